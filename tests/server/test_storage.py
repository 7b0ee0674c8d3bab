"""The content-addressed blob store: atomic, deduplicated, path-safe."""
from __future__ import annotations

import hashlib
import io

import pytest

from server.storage import BlobStore


def test_put_read_dedupe(tmp_path):
    store = BlobStore(tmp_path, fsync=True)
    a = store.put_bytes(b"hello")
    assert a.sha256 == hashlib.sha256(b"hello").hexdigest() and a.md5 == hashlib.md5(b"hello").hexdigest()
    assert store.read(a.sha256) == b"hello"
    assert store.path(a.sha256).relative_to(tmp_path).parts[:2] == (a.sha256[:2], a.sha256[2:4])
    b = store.put_stream(io.BytesIO(b"hello"))
    assert b == a
    big = bytes(range(256)) * 20000
    c = store.put_stream(io.BytesIO(big))
    assert c.size == len(big) and store.read(c.sha256) == big
    assert list((tmp_path / "tmp").iterdir()) == []  # no temp files left behind


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "Z" * 64, "/" + "a" * 63])
def test_paths_only_from_digests(tmp_path, bad):
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path(bad)
