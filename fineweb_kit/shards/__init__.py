"""Token shards: the ``.fks`` file format (see ``rust/fineweb-kit-shards/src/lib.rs``),
readers over ``np.memmap``, a size-bounded writer, merge/shuffle and export to llm.c/nanoGPT."""

from fineweb_kit.shards.reader import SUFFIX, Shard, ShardHeader, list_shards
from fineweb_kit.shards.tokenizer import ShardTokenizer, load_tokenizer
from fineweb_kit.shards.writer import ShardFormat, ShardSetWriter

__all__ = [
    "SUFFIX",
    "Shard",
    "ShardFormat",
    "ShardHeader",
    "ShardSetWriter",
    "ShardTokenizer",
    "list_shards",
    "load_tokenizer",
]
