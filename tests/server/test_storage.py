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
    assert store.path(a.sha256).relative_to(tmp_path).parts == (a.sha256[:2], a.sha256)
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


def test_opening_a_store_makes_every_fan_out_directory_durable(tmp_path, monkeypatch):
    """The 256 fan-out directories exist (and the root is synced) before anything is written, whichever
    process made them; each write then syncs only its own fan-out directory."""
    import server.storage as storage

    synced: list[str] = []
    real = storage._fsync_dir
    monkeypatch.setattr(storage, "_fsync_dir", lambda path: (synced.append(str(path)), real(path)))
    root = tmp_path / "blobs"
    BlobStore(root, fsync=True)                           # "another process" made the directories
    assert sorted(p.name for p in root.iterdir()) == sorted([*storage.FAN_OUT, "tmp"])
    assert synced == [str(root), str(tmp_path)]

    synced.clear()
    store = BlobStore(root, fsync=True)                   # this process: they exist already
    assert synced == [str(root), str(tmp_path)]
    synced.clear()
    digest = store.put_bytes(b"first").sha256
    assert synced == [str(root / digest[:2])]             # the file's fsync, then its directory's
    synced.clear()
    store.put_bytes(b"first")                             # already stored: its directory is confirmed
    assert synced == [str(root / digest[:2])]


def test_blobs_of_the_earlier_two_level_layout_are_found(tmp_path):
    """Until 2026-12 blobs were stored at ab/cd/<sha256>: they are read from there, not stored twice."""
    store = BlobStore(tmp_path, fsync=True)
    data = b"stored by an earlier version"
    digest = hashlib.sha256(data).hexdigest()
    legacy = tmp_path / digest[:2] / digest[2:4] / digest
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(data)
    assert store.exists(digest) and store.read(digest) == data and store.path(digest) == legacy
    with store.open(digest) as f:
        assert f.read() == data
    assert store.put_bytes(data).sha256 == digest and store.put_stream(io.BytesIO(data)).sha256 == digest
    assert not (tmp_path / digest[:2] / digest).exists()   # not written again in the new layout
    assert list((tmp_path / "tmp").iterdir()) == []


def test_no_fsync_means_no_directory_syncs(tmp_path, monkeypatch):
    import server.storage as storage

    monkeypatch.setattr(storage, "_fsync_dir", lambda path: pytest.fail("synced with fsync off"))
    store = BlobStore(tmp_path, fsync=False)
    assert store.read(store.put_bytes(b"x").sha256) == b"x"
