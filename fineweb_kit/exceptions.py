"""The exceptions fineweb-kit raises. Every message says what went wrong and what to do.

Errors from the Rust core are mapped to these classes in ``rust/fineweb-kit-py/src/error.rs``.
"""

from __future__ import annotations


class FinewebKitError(Exception):
    """Base class of every error fineweb-kit raises on purpose."""


class ConfigError(FinewebKitError, ValueError):
    """A pipeline or training config is invalid. The message names the file and YAML path."""


class InputError(FinewebKitError):
    """An input file is missing, unreadable or damaged. The message names the file (and offset)."""


class InvalidArgument(FinewebKitError, ValueError):
    """The Rust core refused an argument (a parameter out of range, an unknown mode). Also a
    ``ValueError``, so ``except ValueError`` callers keep working."""


class CoreIOError(InputError, OSError):
    """The Rust core could not read or write a file; the message starts with its path. Also an
    ``OSError``."""


class CoreFileNotFoundError(CoreIOError, FileNotFoundError):
    """The Rust core was given a path that does not exist. Also a ``FileNotFoundError``."""


class FormatError(FinewebKitError, ValueError):
    """A binary file of ours (signatures, shards, ...) is damaged, truncated or of another
    version."""


class TokenizerError(FinewebKitError, ValueError):
    """A tokenizer file is malformed, or text cannot be encoded as asked."""


class StepTimeout(FinewebKitError):
    """A per-document operation (e.g. extraction) took longer than its hard limit."""


class StorageError(FinewebKitError):
    """Remote storage failed after the client's retries (connection lost, server error). Never
    taken for damaged input: the file fails, keeps no marker and is redone by a rerun."""
