#!/usr/bin/env bash
# Fetches data assets that ship inside PyPI packages (never from elsewhere) into fineweb_kit/assets/.
# Idempotent; called by `make setup`.
#
# URL blocklist: FineWeb's URL filter used the UT1 "adult" list as packaged in datatrove 0.2.0
# (datatrove/assets/url_filterblacklists.tar.gz, UT1 of 2023-07-27, CC BY-SA 4.0, Université
# Toulouse 1 Capitole) plus datatrove's banned-word lists. We take exactly those files from that
# wheel: `pip download --no-deps datatrove==0.2.0` (pure-Python wheel, nothing is installed).
set -euo pipefail
VENV=${1:-.venv}
DATATROVE_VERSION=${DATATROVE_VERSION:-0.2.0}
DEST=fineweb_kit/assets/url_filter
cd "$(dirname "$0")/.."

if [[ -s $DEST/domains && -s $DEST/banned_words.txt && -f $DEST/VERSION ]] \
  && [[ $(cat "$DEST/VERSION") == "datatrove==$DATATROVE_VERSION" ]]; then
  echo "assets: URL blocklist present ($DEST, datatrove==$DATATROVE_VERSION)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "assets: downloading datatrove==$DATATROVE_VERSION wheel (for its URL blocklist)"
"$VENV/bin/python" -m pip download --no-deps --quiet --only-binary=:all: \
  "datatrove==$DATATROVE_VERSION" -d "$tmp"
mkdir -p "$DEST.tmp"
"$VENV/bin/python" - "$tmp" "$DEST.tmp" <<'PY'
import glob, io, sys, tarfile, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(f"{src}/datatrove-*.whl")[0])
names = set(wheel.namelist())
for word_list in ("banned_words.txt", "banned_subwords.txt", "soft_banned_words.txt"):
    with open(f"{dest}/{word_list}", "wb") as f:
        f.write(wheel.read(f"datatrove/assets/{word_list}"))
tar_name = next(n for n in ("datatrove/assets/url_filterblacklists.tar.gz",
                            "datatrove/assets/url_filterblacklistsv0_3_0.tar.gz") if n in names)
with tarfile.open(fileobj=io.BytesIO(wheel.read(tar_name))) as tar:
    for member in tar.getmembers():
        base = member.name.rsplit("/", 1)[-1]
        if base in ("domains", "urls") and member.isfile():
            with open(f"{dest}/{base}", "wb") as f:
                f.write(tar.extractfile(member).read())
PY
cat > "$DEST.tmp/README.md" <<'MD'
UT1 blocklist ("adult" category) and banned-word lists as shipped in the datatrove wheel named in
VERSION (fetched by scripts/fetch-assets.sh). UT1: https://dsi.ut-capitole.fr/blacklists/,
CC BY-SA 4.0, Université Toulouse 1 Capitole. Word lists: datatrove, Apache-2.0.
MD
echo "datatrove==$DATATROVE_VERSION" > "$DEST.tmp/VERSION"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "assets: URL blocklist in $DEST ($(wc -l < "$DEST/domains") domains)"
# Pre-build the hash arrays URLFilter loads (fineweb_kit/steps/filters/url.py), so no worker
# spends seconds hashing 4.5 M domains.
"$VENV/bin/python" -c "
import sys; sys.path.insert(0, '.')
from pathlib import Path
from fineweb_kit.steps.filters.url import load_list_hashes
for name in ('domains', 'urls'):
    load_list_hashes(Path('$DEST') / name)
"
