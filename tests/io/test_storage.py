"""io/storage.py against a real S3 server (moto on 127.0.0.1 via s3fs), with a counting proxy:
large-block reads (requests per MB), paged listing, atomic commit, staging to a local cache,
and local paths left as plain ``pathlib.Path``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fineweb_kit.exceptions import InputError
from fineweb_kit.io import storage
from fineweb_kit.io.files import expand_globs, open_binary
from fineweb_kit.tools.local_s3 import s3_env, s3fs_client
from fineweb_kit.tools.s3_proxy import faulty_proxy
from tests.s3 import patched_env


@pytest.fixture(scope="module")
def server(s3_endpoint):
    fs = s3fs_client(s3_endpoint)
    fs.mkdir("store-test")
    return s3_endpoint, fs


@pytest.fixture
def counted(server, tmp_path):
    """A proxy counting every request, set as the endpoint of the code under test."""
    endpoint, fs = server
    log: list[tuple[str, str]] = []

    def policy(method: str, path: str, n: int) -> None:
        log.append((method, path))

    with (
        faulty_proxy(endpoint, policy) as (url, _),
        patched_env({**s3_env(url), "FWK_STAGING_DIR": str(tmp_path / "staging")}),
    ):
        import fsspec

        fsspec.filesystem("s3").clear_instance_cache()
        yield fs, log
        fsspec.filesystem("s3").clear_instance_cache()


def test_local_paths_stay_plain_paths(tmp_path):
    assert storage.as_path(str(tmp_path)) == tmp_path and type(storage.as_path("a/b")) is type(
        Path("a/b")
    )
    assert storage.as_path(f"file://{tmp_path}") == tmp_path
    assert not storage.is_remote(str(tmp_path)) and storage.is_remote("s3://b/k")
    assert storage.join("s3://b/run", "output") == storage.as_path("s3://b/run/output")
    assert storage.join(tmp_path, "/abs/x") == Path("/abs/x")


def test_streaming_a_large_object_costs_one_request_per_block(counted):
    fs, log = counted
    blob = os.urandom(40 * 1024 * 1024)
    fs.pipe_file("store-test/big.bin", blob)
    log.clear()
    got = bytearray()
    with storage.open_read("s3://store-test/big.bin") as f:
        while chunk := f.read(64 * 1024):  # small reads, as a decompressor makes them
            got += chunk
    assert bytes(got) == blob
    gets = [m for m, _ in log if m == "GET"]
    assert len(gets) <= 40 // 16 + 2, log  # 16 MiB blocks
    assert len(log) / 40 < 0.2  # requests per MB read


def test_listing_many_keys_is_paged(counted):
    fs, log = counted
    for i in range(1500):
        fs.pipe_file(f"store-test/many/part-{i:05d}.jsonl", b"{}\n")
    fs.pipe_file("store-test/many/other.txt", b"x")
    log.clear()
    files = expand_globs(["s3://store-test/many/*.jsonl"], Path("."))
    assert len(files) == 1500 and files[0] == "s3://store-test/many/part-00000.jsonl"
    assert len(log) <= 4, log  # 1000 keys per page, not one request per key


def test_commit_puts_the_whole_object_in_place_and_leaves_no_temp_key(counted, tmp_path):
    fs, log = counted
    final = storage.as_path("s3://store-test/out/part.jsonl")
    tmp = storage.local_temp_for(final)
    assert tmp.parent == tmp_path / "staging"  # a local file, never a partial object
    tmp.write_bytes(b"a\n" * 1000)
    assert not fs.exists("store-test/out/part.jsonl")
    storage.commit(tmp, final)
    fs.invalidate_cache()
    assert fs.cat_file("store-test/out/part.jsonl") == b"a\n" * 1000
    assert fs.ls("store-test/out") == ["store-test/out/part.jsonl"] and not tmp.exists()
    puts = [p for m, p in log if m == "PUT"]
    assert puts[0].startswith("/store-test/out/.part.jsonl.") and puts[0].endswith(".tmp")


def test_atomic_write_and_stage_local_round_trip(counted):
    fs, _ = counted
    with storage.atomic_write("s3://store-test/cfg/model.json") as f:
        f.write('{"a": 1}')
    local = storage.stage_local("s3://store-test/cfg/model.json")
    assert local.read_text() == '{"a": 1}' and storage.stage_local(local) == local
    fs.pipe_file("store-test/shards/a.bin", b"1" * 10)
    fs.pipe_file("store-test/shards/sub/b.bin", b"2" * 20)
    folder = storage.stage_local("s3://store-test/shards")
    assert (folder / "a.bin").read_bytes() == b"1" * 10
    assert (folder / "sub" / "b.bin").read_bytes() == b"2" * 20


def test_gzip_input_from_a_bucket_and_a_missing_object(counted):
    import gzip

    fs, _ = counted
    fs.pipe_file("store-test/in/x.jsonl.gz", gzip.compress(b'{"text": "hi"}\n'))
    with open_binary("s3://store-test/in/x.jsonl.gz") as f:
        assert f.read() == b'{"text": "hi"}\n'
    with pytest.raises(InputError, match=r"nope\.jsonl\.gz"):
        open_binary("s3://store-test/in/nope.jsonl.gz")
