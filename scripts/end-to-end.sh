#!/usr/bin/env bash
# WARC -> filtered text -> a trained 4k BPE -> token shards -> a tiny GPT on CPU -> a sample.
# Run from the repository root. TEXT_FROM=cc-docs skips the WARC stage and uses the
# already-extracted real web documents of ../shared/data/cc-docs instead.
set -euo pipefail
PY=${PY:-.venv/bin/python}
FK="$PY -m fineweb_kit"
VOCAB=${VOCAB:-4096}
rm -rf runs/e2e runs/e2e-shards runs/e2e-merged runs/e2e-model
if [[ "${TEXT_FROM:-warc}" == "cc-docs" ]]; then
  mkdir -p runs/e2e/text
  cp ../shared/data/cc-docs/*.jsonl.gz runs/e2e/text/
else
  $FK run pipelines/end-to-end.yaml --plain
fi
$PY - "$VOCAB" <<'PYEOF'
import sys
from fineweb_kit.tokenizer import train_bpe
tok = train_bpe("runs/e2e/text/*.jsonl.gz", int(sys.argv[1]), pattern="r50k_base")
tok.save("runs/e2e/tokenizer.json")
print(f"tokenizer: {tok.n_vocab} ids -> runs/e2e/tokenizer.json")
PYEOF
$FK run pipelines/end-to-end-tokenize.yaml --plain
$FK shards merge runs/e2e-shards/shards --output runs/e2e-merged --seed 0 --val-tokens 20000
$FK shards info runs/e2e-merged --tokenizer runs/e2e/tokenizer.json --verify --sample-chars 120
$FK train pipelines/train-tiny.yaml "$@"
$FK sample --checkpoint runs/e2e-model --prompt "The " --max-tokens 80 --temperature 0.8
