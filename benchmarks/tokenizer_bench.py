"""Tokenizer benchmark: fineweb-kit vs tiktoken, bpe-openai, HF tokenizers, rustbpe,
sentencepiece (those installed), same input, one run. Same code as `fineweb-kit tokenizer bench`.

    .venv/bin/python benchmarks/tokenizer_bench.py --corpus '../shared/data/text/*.txt.gz'
"""

import sys

from fineweb_kit.tokenizer.bench import main

if __name__ == "__main__":
    sys.exit(main())
