"""Checks that two wheels hold the same package (used by ci-wheel.sh: the wheel built from the
repository versus the one built from the sdist). Same file names; same bytes for every file but
the compiled extension (its bytes embed build paths), RECORD (which hashes it) and the SBOM
(maturin records the build's serial number and time); the extension
must be there in both and of similar size.

Usage: python scripts/compare_wheels.py A.whl B.whl
"""

from __future__ import annotations

import sys
import zipfile


def is_binary(name: str) -> bool:
    """Files whose bytes depend on the build (paths, hashes, time), compared by name only."""
    return name.endswith((".so", ".pyd", ".dist-info/RECORD")) or "/sboms/" in name


def main(a: str, b: str) -> int:
    za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
    na, nb = set(za.namelist()), set(zb.namelist())
    if na != nb:
        print(f"wheels differ: only in {a}: {sorted(na - nb)}; only in {b}: {sorted(nb - na)}")
        return 1
    differ = [n for n in sorted(na) if not is_binary(n) and za.read(n) != zb.read(n)]
    if differ:
        print(f"wheels differ in {differ}")
        return 1
    ext = [n for n in na if n.endswith((".so", ".pyd"))]
    sizes = [(za.getinfo(n).file_size, zb.getinfo(n).file_size) for n in ext]
    if not ext or any(abs(x - y) > 0.02 * max(x, y) for x, y in sizes):
        print(
            f"compiled extension missing or of another size: {dict(zip(ext, sizes, strict=True))}"
        )
        return 1
    print(f"wheel from the sdist = wheel from the repository: {len(na)} files, extension {ext}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
