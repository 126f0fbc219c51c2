"""Main-content extraction in the Rust core (see :mod:`.main_content`)."""

from fineweb_kit.extract.main_content import ExtractResult, extract, extract_batch

__all__ = ["ExtractResult", "extract", "extract_batch"]
