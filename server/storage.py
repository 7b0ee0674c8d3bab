"""Content-addressed blob store on local disk: `<DATA_DIR>/blobs/ab/<sha256>`.

`put_*` returns the sha256 only after the bytes and the directory entry are on disk (fsync), so a
database row referring to a blob can be committed safely afterwards. Writes are atomic (temp + rename);
identical content is stored once.

The 256 fan-out directories `00` … `ff` are made (and the root synced) when a store is opened, so a
write is: temp file, fsync, rename into its fan-out directory, fsync of that directory — two fsyncs,
no mkdir. (Until 2026-12 blobs went to `ab/cd/<sha256>`: 65,536 directories, so nearly every blob of a
young store created a directory and synced its parent and the root as well — four fsyncs and a mkdir,
≈ 0.5 ms of CPU per blob here. Blobs stored that way are still found: reads fall back to that path.)
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
FAN_OUT = tuple(f"{i:02x}" for i in range(256))   # blobs/ab/<sha256>


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
        for prefix in FAN_OUT:
            os.makedirs(f"{self._root_str}/{prefix}", exist_ok=True)
        if fsync:
            # The fan-out directories' entries (and the store's own) are durable before this store
            # writes into them, whoever (this process or another one opening the same store) made them.
            _fsync_dir(self._root_str)
            _fsync_dir(os.path.dirname(os.path.abspath(self._root_str)))

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a sha256 hex digest")
        final = self._location(sha256)[1]
        if not os.path.exists(final):
            legacy = self._legacy_location(sha256)[1]
            if os.path.exists(legacy):
                return Path(legacy)
        return Path(final)

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
        if self._stored(sha, final, directory):
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
        if self._stored(digest, final, directory):
            os.unlink(tmp)
        else:
            self._publish(tmp, directory, final)
        return StoredBlob(digest, md5_hash.hexdigest() if md5_hash is not None else None, size)

    def sweep_tmp(self, older_than: float) -> int:
        """Delete temp files (partial uploads a crash left behind) unmodified for `older_than` seconds;
        returns how many. A write in progress touches its file, so it is never taken."""
        import time
        cutoff = time.time() - older_than
        removed = 0
        with os.scandir(self._tmp_str) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:   # another process swept it first
                    continue
        return removed

    def _location(self, sha: str) -> tuple[str, str]:
        """(directory, file) of a blob: `ab/<sha256>`."""
        directory = f"{self._root_str}/{sha[:2]}"
        return directory, f"{directory}/{sha}"

    def _legacy_location(self, sha: str) -> tuple[str, str]:
        """(directory, file) in the layout of stores written before 2026-12: `ab/cd/<sha256>`."""
        directory = f"{self._root_str}/{sha[:2]}/{sha[2:4]}"
        return directory, f"{directory}/{sha}"

    def _stored(self, sha: str, final: str, directory: str) -> bool:
        """Is this content stored already (made durable here if another writer may not have synced it)?"""
        for found_dir, found in ((directory, final), self._legacy_location(sha)):
            if os.path.exists(found):
                self._confirm(found_dir)
                return True
        return False

    def _temp(self) -> tuple[int, str]:
        tmp = f"{self._tmp_str}/{secrets.token_hex(12)}.tmp"
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), tmp

    def _confirm(self, directory: str) -> None:
        """Another writer may have renamed the blob without its directory fsync yet: sync it here."""
        if self.fsync:
            _fsync_dir(directory)

    def _publish(self, tmp: str, directory: str, final: str) -> None:
        """Rename the synced temp file into its fan-out directory (made when the store was opened) and
        sync that directory before returning."""
        try:
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if self.fsync:
            _fsync_dir(directory)


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
