"""Content-addressed blob store on local disk: `<DATA_DIR>/blobs/ab/cd/<sha256>`.

`put_*` returns the sha256 only after the bytes and the directory entry are on disk (fsync), so a
database row referring to a blob can be committed safely afterwards. Writes are atomic (temp + rename);
identical content is stored once.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str
    size: int


class BlobStore:
    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(exist_ok=True)

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

    def put_bytes(self, data: bytes) -> StoredBlob:
        sha = hashlib.sha256(data).hexdigest()
        blob = StoredBlob(sha, hashlib.md5(data, usedforsecurity=False).hexdigest(), len(data))
        if self.exists(sha):
            self._confirm(sha)
            return blob
        fd, tmp = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                self._sync_file(fh)
            self._publish(tmp, sha)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return blob

    def put_stream(self, stream: BinaryIO) -> StoredBlob:
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        fd, tmp = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as fh:
                while chunk := stream.read(CHUNK):
                    sha.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
                self._sync_file(fh)
            digest = sha.hexdigest()
            if self.exists(digest):
                self._confirm(digest)
            else:
                self._publish(tmp, digest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return StoredBlob(digest, md5.hexdigest(), size)

    def _sync_file(self, fh: BinaryIO) -> None:
        fh.flush()
        if self.fsync:
            os.fsync(fh.fileno())

    def _confirm(self, sha: str) -> None:
        """Another writer may have renamed the blob without its directory fsync yet: sync it here."""
        if self.fsync:
            _fsync_dir(self.path(sha).parent)

    def _publish(self, tmp: str, sha: str) -> None:
        final = self.path(sha)
        created = not final.parent.exists()
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        if self.fsync:
            _fsync_dir(final.parent)
            if created:  # new fan-out directories must be durable too
                _fsync_dir(final.parent.parent)
                _fsync_dir(self.root)


def _fsync_dir(path: Path) -> None:
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
