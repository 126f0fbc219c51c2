"""Tokenizer benchmark: fineweb-kit vs tiktoken, bpe-openai, HF tokenizers, rustbpe,
sentencepiece (those installed), same input, one run. Same code as `fineweb-kit tokenizer bench`.

    .venv/bin/python benchmarks/tokenizer_bench.py --corpus '../shared/data/text/*.txt.gz'
"""

import sys
from pathlib import Path

# Run from a checkout: import this checkout's package (and its built extension).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.tokenizer_harness import main

if __name__ == "__main__":
    sys.exit(main())
