"""Content-addressed blob store on local disk: `<DATA_DIR>/blobs/ab/cd/<sha256>`.

`put_*` returns the sha256 only after the bytes and the directory entry are on disk (fsync), so a
database row referring to a blob can be committed safely afterwards. Writes are atomic (temp + rename);
identical content is stored once.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str | None   # None when the caller asked not to compute it
    size: int


class BlobStore:
    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(exist_ok=True)
        self._root_str = str(self.root)
        self._tmp_str = str(self._tmp)
        # Fan-out directories whose own entries (in their parent and in the root) this process has
        # synced. A directory another writer (thread or process) created may not be durable yet.
        self._durable_dirs: set[str] = set()

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def put_bytes(self, data: bytes, *, md5: bool = True) -> StoredBlob:
        """Store `data`; with md5=False the returned `md5` is None (not computed)."""
        sha = hashlib.sha256(data).hexdigest()
        blob = StoredBlob(sha, hashlib.md5(data, usedforsecurity=False).hexdigest() if md5 else None, len(data))
        directory, final = self._location(sha)
        if os.path.exists(final):
            self._confirm(directory)
            return blob
        fd, tmp = self._temp()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        self._publish(tmp, directory, final)
        return blob

    def put_stream(self, stream: BinaryIO, *, md5: bool = True) -> StoredBlob:
        """Store what `stream` yields; with md5=False the returned `md5` is None (not computed)."""
        sha, md5_hash, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False) if md5 else None, 0
        fd, tmp = self._temp()
        try:
            while chunk := stream.read(CHUNK):
                sha.update(chunk)
                if md5_hash is not None:
                    md5_hash.update(chunk)
                size += len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        digest = sha.hexdigest()
        directory, final = self._location(digest)
        if os.path.exists(final):
            os.unlink(tmp)
            self._confirm(directory)
        else:
            self._publish(tmp, directory, final)
        return StoredBlob(digest, md5_hash.hexdigest() if md5_hash is not None else None, size)

    def _location(self, sha: str) -> tuple[str, str]:
        directory = f"{self._root_str}/{sha[:2]}/{sha[2:4]}"
        return directory, f"{directory}/{sha}"

    def _temp(self) -> tuple[int, str]:
        tmp = f"{self._tmp_str}/{secrets.token_hex(12)}.tmp"
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), tmp

    def _confirm(self, directory: str) -> None:
        """Another writer may have renamed the blob without its directory fsync yet: sync it here."""
        if self.fsync:
            _fsync_dir(directory)
            self._sync_fan_out(directory)

    def _sync_fan_out(self, directory: str) -> None:
        """Make the fan-out directory's own entries durable once per process: whoever created it
        (this writer, another thread, another process) may not have synced its parents yet."""
        if directory not in self._durable_dirs:
            _fsync_dir(os.path.dirname(directory))
            _fsync_dir(self._root_str)
            self._durable_dirs.add(directory)

    def _publish(self, tmp: str, directory: str, final: str) -> None:
        """Rename the synced temp file into place; the directory entries are synced before returning."""
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if self.fsync:
            _fsync_dir(directory)
            self._sync_fan_out(directory)


def _fsync_dir(path: str | os.PathLike[str]) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def init_app(app: Flask) -> BlobStore:
    store = BlobStore(Path(app.config["DATA_DIR"]) / "blobs", fsync=app.config["FSYNC"])
    app.extensions["shoudi.blobs"] = store
    return store


def get_blobs(app: Flask | None = None) -> BlobStore:
    return (app or current_app).extensions["shoudi.blobs"]
