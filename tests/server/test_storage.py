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


def test_md5_is_optional(tmp_path):
    store = BlobStore(tmp_path, fsync=True)
    a = store.put_bytes(b"no md5", md5=False)
    b = store.put_stream(io.BytesIO(b"no md5 either"), md5=False)
    assert a.md5 is None and b.md5 is None
    assert a.sha256 == hashlib.sha256(b"no md5").hexdigest() and store.read(b.sha256) == b"no md5 either"
    assert store.put_stream(io.BytesIO(b"no md5")).md5 == hashlib.md5(b"no md5").hexdigest()  # stored once
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_failing_stream_leaves_nothing_behind(tmp_path):
    class Broken(io.BytesIO):
        def read(self, *args):  # noqa: ANN002, ANN202
            if self.tell():
                raise OSError("client went away")
            return super().read(4)

    store = BlobStore(tmp_path, fsync=True)
    with pytest.raises(OSError):
        store.put_stream(Broken(b"partial upload"))
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_blobs_sharing_a_fan_out_directory(tmp_path):
    store = BlobStore(tmp_path, fsync=True)
    stored = [store.put_bytes(str(i).encode()) for i in range(600)]  # some share ab/ or ab/cd/
    assert all(store.read(s.sha256) == str(i).encode() for i, s in enumerate(stored))
    assert len({s.sha256[:2] for s in stored}) < 600


def _same_directory_pair() -> tuple[bytes, bytes]:
    """Two contents whose digests share the fan-out directory ab/cd/."""
    seen: dict[str, bytes] = {}
    i = 0
    while True:
        data = f"blob-{i}".encode()
        key = hashlib.sha256(data).hexdigest()[:4]
        if key in seen:
            return seen[key], data
        seen[key] = data
        i += 1


def test_a_fan_out_directory_made_by_another_writer_is_synced_before_use(tmp_path, monkeypatch):
    """A blob renamed into a directory that another process created must not depend on that process
    having synced the directory's entries: the first use in this process syncs parent and root."""
    import server.storage as storage

    synced: list[str] = []
    real = storage._fsync_dir
    monkeypatch.setattr(storage, "_fsync_dir", lambda path: (synced.append(str(path)), real(path)))
    first, second = _same_directory_pair()
    digest = hashlib.sha256(first).hexdigest()
    leaf = tmp_path / digest[:2] / digest[2:4]
    BlobStore(tmp_path, fsync=True).put_bytes(first)      # "another process" creates ab/cd/
    assert synced == [str(leaf), str(leaf.parent), str(tmp_path)]

    synced.clear()
    store = BlobStore(tmp_path, fsync=True)               # this process: the directory already exists
    store.put_bytes(second)
    assert synced == [str(leaf), str(leaf.parent), str(tmp_path)]
    synced.clear()
    store.put_bytes(first)                                # already stored: the directory is confirmed
    assert synced == [str(leaf)]


def test_no_fsync_means_no_directory_syncs(tmp_path, monkeypatch):
    import server.storage as storage

    monkeypatch.setattr(storage, "_fsync_dir", lambda path: pytest.fail("synced with fsync off"))
    store = BlobStore(tmp_path, fsync=False)
    assert store.read(store.put_bytes(b"x").sha256) == b"x"
