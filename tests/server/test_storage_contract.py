"""The blob-store contract, run against both backends: local disk and S3 (a real S3-protocol server on
loopback). Every caller relies only on what is checked here."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from server.storage import BlobStore, S3BlobStore, open_store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store(None, data_dir=tmp_path, fsync=True)
    settings = request.getfixturevalue("s3_settings")
    return open_store(settings["BLOB_STORE"], data_dir=tmp_path, endpoint=settings["S3_ENDPOINT"],
                      region=settings["S3_REGION"])


def test_backend_chosen_by_setting(store, request):
    assert isinstance(store, BlobStore if "local" in request.node.name else S3BlobStore)


def test_put_bytes_read_exists(store):
    data = os.urandom(200_000)
    blob = store.put_bytes(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.md5 == hashlib.md5(data).hexdigest()
    assert blob.size == len(data)
    assert store.exists(blob.sha256) and store.read(blob.sha256) == data
    assert store.put_bytes(data) == blob                 # identical content: same key, stored once
    assert [s for s, _ in store.iter_blobs()].count(blob.sha256) == 1


def test_put_stream_matches_put_bytes(store):
    data = os.urandom(300_000)
    a = store.put_stream(io.BytesIO(data))
    assert a == store.put_bytes(data)
    b = store.put_stream(io.BytesIO(b"no md5"), md5=False)
    assert b.md5 is None and b.sha256 == hashlib.sha256(b"no md5").hexdigest() and b.size == 6


def test_large_stream_round_trip(store, monkeypatch):
    """Bigger than the S3 store's in-memory spool: spooled to disk and uploaded in parts."""
    monkeypatch.setattr(S3BlobStore, "SPOOL", 1 << 20)
    data = os.urandom(6 << 20)
    blob = store.put_stream(io.BytesIO(data))
    assert blob.size == len(data) and store.hash_of(blob.sha256) == blob.sha256


def test_open_streams_in_chunks(store):
    data = os.urandom(1 << 20)
    sha = store.put_bytes(data).sha256
    parts = []
    with store.open(sha) as f:
        assert f.read(10) == data[:10]
        while chunk := f.read(100_000):
            assert len(chunk) <= 100_000
            parts.append(chunk)
    assert data[:10] + b"".join(parts) == data
    assert store.hash_of(sha) == sha


def test_missing_blob(store):
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    with pytest.raises(FileNotFoundError):
        store.open(absent)
    with pytest.raises(FileNotFoundError):
        store.read(absent)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "Z" * 64, "/" + "a" * 63])
def test_keys_only_from_digests(store, bad):
    with pytest.raises(ValueError):
        store.open(bad)
    with pytest.raises(ValueError):
        store.exists(bad)


def test_iter_blobs_lists_every_blob_with_its_size(store):
    stored = {store.put_bytes(os.urandom(n)).sha256: n for n in (1, 1000, 70_000)}
    assert dict(store.iter_blobs()) == stored


def test_writable(store):
    assert store.writable()


def test_empty_blob(store):
    blob = store.put_stream(io.BytesIO(b""))
    assert blob.size == 0 and store.read(blob.sha256) == b""
    with store.open(blob.sha256) as f:
        assert f.read() == b""


def test_unknown_scheme_is_refused(tmp_path):
    with pytest.raises(ValueError, match="s3://"):
        open_store("ftp://x/y", data_dir=tmp_path)


def test_expected_hash_is_checked_before_storing(store):
    from server.storage import BlobMismatch

    right = hashlib.sha256(b"right").hexdigest()
    with pytest.raises(BlobMismatch):
        store.put_stream(io.BytesIO(b"wrong"), expect=right)
    assert list(store.iter_blobs()) == []
    assert store.put_stream(io.BytesIO(b"right"), expect=right).sha256 == right
