#!/usr/bin/env bash
# WARC -> filtered text -> a trained 4k BPE -> token shards -> a tiny GPT on CPU -> a sample.
# Run from the repository root: scripts/end-to-end.sh [extra `train` args, e.g. --set ...].
# PIPELINE=... runs another pipeline that writes runs/e2e/{tokenizer.json,merged/}.
set -euo pipefail
PY=${PY:-.venv/bin/python}
FK="$PY -m fineweb_kit"
rm -rf runs/e2e runs/e2e-model
$FK run "${PIPELINE:-pipelines/end-to-end.yaml}" --plain
$FK shards info runs/e2e/merged --tokenizer runs/e2e/tokenizer.json --verify --sample-chars 120
$FK train pipelines/train-tiny.yaml "$@"
$FK sample --checkpoint runs/e2e-model --prompt "The " --max-tokens 80 --temperature 0.8
