"""Prints a pip constraints file pinning each runtime dependency of pyproject.toml to its lower
bound (``name>=X`` -> ``name==X``): ``pip install -c`` it to test the oldest allowed versions.

Usage: python scripts/lower_bounds.py pyproject.toml > constraints.txt
"""

from __future__ import annotations

import re
import sys

import tomllib


def lower_bounds(pyproject: str) -> list[str]:
    with open(pyproject, "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pins = []
    for dep in deps:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][^,;\s]*)", dep)
        if not m:
            raise SystemExit(f"{pyproject}: dependency {dep!r} has no lower bound (>=)")
        pins.append(f"{m.group(1)}=={m.group(2)}")
    return pins


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print("\n".join(lower_bounds(sys.argv[1])))
