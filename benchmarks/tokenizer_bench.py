"""Tokenizer benchmark: fineweb-kit's encoder side by side with every installed peer
(tiktoken, fastokens, gigatoken, toktok-rs, quicktok-v1, bpe-openai, HF tokenizers; exactness
gate first, first sight and warm, PNG chart), then the long-run worst case and training (vs
rustbpe, HF tokenizers, sentencepiece). Same code as `fineweb-kit tokenizer bench`.

    .venv/bin/python benchmarks/tokenizer_bench.py --corpus '../shared/data/text/*.txt.gz'

With ``--peers`` first, it runs only the side-by-side table (``--scaling``: our 2 threads vs 1;
``--cache-cost``: first-sight speed by piece-cache cap; see ``benchmarks/encode_peers_bench.py``):

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
