"""Tokenizer benchmark: fineweb-kit vs tiktoken, bpe-openai, HF tokenizers, rustbpe,
sentencepiece (those installed), same input, one run. Same code as `fineweb-kit tokenizer bench`.

    .venv/bin/python benchmarks/tokenizer_bench.py --corpus '../shared/data/text/*.txt.gz'

With ``--peers`` first, it runs the side-by-side table of the fastest exact encoders instead
(fastokens, gigatoken, toktok-rs, quicktok, bpe-openai, tiktoken; exactness gate first, fresh
pinned processes; see ``benchmarks/encode_peers_bench.py`` for its options):

    .venv/bin/python benchmarks/tokenizer_bench.py --peers --runs 5
"""

import sys
from pathlib import Path

# Run from a checkout: import this checkout's package (and its built extension).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.tokenizer_harness import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["--peers"]:
        from benchmarks.encode_peers_bench import main as peers_main

        sys.exit(peers_main(sys.argv[2:]))
    sys.exit(main())
