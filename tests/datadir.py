"""Where the shared test data is: ``../shared/data`` (as in CI), or ``$FINEWEB_KIT_DATA``.

Module-level paths (used in ``parametrize``) cannot use the ``shared_data`` fixture; helper
worktrees that do not sit beside ``shared/`` set ``FINEWEB_KIT_DATA``.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import SHARED_DATA

DATA = Path(os.environ["FINEWEB_KIT_DATA"]) if os.environ.get("FINEWEB_KIT_DATA") else SHARED_DATA
