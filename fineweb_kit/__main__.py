import sys

from fineweb_kit.cli import main

sys.exit(main())
