"""Errors of the Rust core arrive as the project's exceptions, which the CLI reports."""

from __future__ import annotations

from pathlib import Path

import pytest

import fineweb_kit._core as core
from fineweb_kit import cli
from fineweb_kit.exceptions import (
    CoreFileNotFoundError,
    CoreIOError,
    FinewebKitError,
    InputError,
    InvalidArgument,
)
from fineweb_kit.text import AnalysisConfig, analyse_texts


def test_invalid_argument_is_a_project_error_and_a_value_error():
    with pytest.raises(InvalidArgument, match="n-gram sizes must be >= 1") as e:
        analyse_texts(["x"], AnalysisConfig(top_ngrams=(0,)))
    assert isinstance(e.value, FinewebKitError) and isinstance(e.value, ValueError)


def test_io_errors_are_project_errors_and_os_errors(tmp_path: Path):
    missing = tmp_path / "none.bin"
    with pytest.raises(CoreFileNotFoundError, match=r"none\.bin") as e:
        core.FastTextKernel(str(missing))
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, InputError)
    with pytest.raises(CoreIOError, match="Is a directory") as e2:
        core.shard_header(str(tmp_path))  # a folder: opens, cannot be read as a file
    assert isinstance(e2.value, OSError) and isinstance(e2.value, FinewebKitError)


def test_cli_reports_a_core_io_error_instead_of_a_traceback(tmp_path: Path, capsys):
    rc = cli.main(["shards", "info", str(tmp_path)])  # a folder where a shard file should be
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error: ") and str(tmp_path) in err
