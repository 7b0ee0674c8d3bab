"""Content-addressed blob stores: local disk (`<DATA_DIR>/blobs/ab/<sha256>`, the embedded default) or any
S3-compatible object store (`SHOUDI_BLOB_STORE=s3://bucket/prefix`: objects `prefix/ab/<sha256>`).

Both offer one interface (`BlobStoreBase`): `put_bytes`, `put_stream`, `open` (a streaming binary file:
nothing holds a whole blob in memory), `read`, `exists`, `iter_blobs`, `writable`. Every caller goes
through it; nobody reads a blob by path except the local store itself.

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
import io
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

from flask import Flask, current_app

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
FAN_OUT = tuple(f"{i:02x}" for i in range(256))   # blobs/ab/<sha256>


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str | None   # None when the caller asked not to compute it
    size: int


class BlobMismatch(ValueError):
    """Content that was to be stored under one sha256 hashes to another."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"content of blob {expected} hashes to {actual}")
        self.expected, self.actual = expected, actual


class BlobStoreBase:
    """What every blob store offers. Keys are sha256 hex digests of the content."""

    url: str   # where it is, for messages and manifests (`file:///…/blobs` or `s3://bucket/prefix`)

    def put_bytes(self, data: bytes, *, md5: bool = True) -> StoredBlob:
        raise NotImplementedError

    def put_stream(self, stream: BinaryIO, *, md5: bool = True, expect: str | None = None) -> StoredBlob:
        """Store what `stream` yields. With `expect` (a sha256), content hashing otherwise is refused
        (BlobMismatch) and nothing is stored: copies between stores never store bytes under a wrong key."""
        raise NotImplementedError

    def open(self, sha256: str) -> BinaryIO:
        """A binary file streaming the blob (FileNotFoundError when absent); close it after use."""
        raise NotImplementedError

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def size(self, sha256: str) -> int | None:
        """Stored size of a blob, None when absent."""
        raise NotImplementedError

    def iter_blobs(self) -> Iterator[tuple[str, int]]:
        """(sha256, size) of every stored blob, in no particular order."""
        raise NotImplementedError

    def writable(self) -> bool:
        """Can this process store blobs now (for /healthz)?"""
        raise NotImplementedError

    def hash_of(self, sha256: str) -> str:
        """sha256 of the stored bytes, read back through `open` (verification)."""
        digest = hashlib.sha256()
        with self.open(sha256) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


class BlobStore(BlobStoreBase):
    """The local-disk store."""

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(exist_ok=True)
        self._root_str = str(self.root)
        self.url = self.root.resolve().as_uri()
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

    def writable(self) -> bool:
        return os.access(self._root_str, os.W_OK)

    def size(self, sha256: str) -> int | None:
        try:
            return os.stat(self.path(sha256)).st_size
        except FileNotFoundError:
            return None

    def iter_blobs(self) -> Iterator[tuple[str, int]]:
        for prefix in FAN_OUT:
            with os.scandir(f"{self._root_str}/{prefix}") as entries:
                for entry in entries:
                    if entry.is_file() and _SHA256.fullmatch(entry.name):
                        yield entry.name, entry.stat().st_size
                    elif entry.is_dir() and len(entry.name) == 2:   # the earlier ab/cd/<sha256> layout
                        with os.scandir(entry.path) as legacy:
                            for item in legacy:
                                if item.is_file() and _SHA256.fullmatch(item.name):
                                    yield item.name, item.stat().st_size

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

    def put_stream(self, stream: BinaryIO, *, md5: bool = True, expect: str | None = None) -> StoredBlob:
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
        if expect is not None and digest != expect:
            os.unlink(tmp)
            raise BlobMismatch(expect, digest)
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


class S3BlobStore(BlobStoreBase):
    """Blobs as objects `<prefix>/ab/<sha256>` of a bucket on any S3-compatible service (obstore client:
    bench/blobs/bench_s3_clients.py measured it against boto3).

    A put returns only after the service answered the PUT with success (S3 PUTs are atomic and durable
    once acknowledged), so the 201 still follows a stored blob. Streams are hashed while they are spooled
    (in memory up to SPOOL bytes, then a temp file), because the key is the content's digest.
    Credentials come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    `AWS_SESSION_TOKEN`), or from the instance's role where the service provides one.
    """

    SPOOL = 8 << 20
    READ_CHUNK = 1 << 16

    def __init__(self, url: str, *, endpoint: str | None = None, region: str | None = None,
                 environ: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.endpoint, self.region = endpoint, region
        self._environ = dict(os.environ if environ is None else environ)
        self._store = None
        self._pid = -1

    @property
    def store(self):  # noqa: ANN201
        """The obstore client, made again after a fork (gunicorn workers; its runtime's threads do not
        survive fork)."""
        if self._pid != os.getpid():
            from obstore.store import S3Store

            env = self._environ
            options = {"timeout": "120s", "connect_timeout": "10s"}
            if self.endpoint and self.endpoint.startswith("http://"):
                options["allow_http"] = "true"
            credentials = {k: v for k, v in (("access_key_id", env.get("AWS_ACCESS_KEY_ID")),
                                              ("secret_access_key", env.get("AWS_SECRET_ACCESS_KEY")),
                                              ("session_token", env.get("AWS_SESSION_TOKEN"))) if v}
            # a phone waits for the 201: a few quick retries, then an error it can retry itself
            retry = {"max_retries": 3, "retry_timeout": timedelta(seconds=30),
                     "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=5),
                                 "base": 2.0}}
            self._store = S3Store(self.bucket, endpoint=self.endpoint,
                                  region=self.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
                                  client_options=options, retry_config=retry, **credentials)
            self._pid = os.getpid()
        return self._store

    def key(self, sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a sha256 hex digest")
        return f"{self.prefix}/{sha256[:2]}/{sha256}" if self.prefix else f"{sha256[:2]}/{sha256}"

    def put_bytes(self, data: bytes, *, md5: bool = True) -> StoredBlob:
        import obstore

        sha = hashlib.sha256(data).hexdigest()
        obstore.put(self.store, self.key(sha), data)
        return StoredBlob(sha, hashlib.md5(data, usedforsecurity=False).hexdigest() if md5 else None, len(data))

    def put_stream(self, stream: BinaryIO, *, md5: bool = True, expect: str | None = None) -> StoredBlob:
        import obstore

        sha, md5_hash, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False) if md5 else None, 0
        with tempfile.SpooledTemporaryFile(self.SPOOL) as spool:
            while chunk := stream.read(CHUNK):
                sha.update(chunk)
                if md5_hash is not None:
                    md5_hash.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            digest = sha.hexdigest()
            if expect is not None and digest != expect:
                raise BlobMismatch(expect, digest)
            if size <= self.SPOOL:
                spool.seek(0)
                obstore.put(self.store, self.key(digest), spool.read())
            else:
                spool.seek(0)
                obstore.put(self.store, self.key(digest), spool, chunk_size=CHUNK * 8)
        return StoredBlob(digest, md5_hash.hexdigest() if md5_hash is not None else None, size)

    def open(self, sha256: str) -> BinaryIO:
        import obstore
        from obstore.exceptions import NotFoundError

        try:
            result = obstore.get(self.store, self.key(sha256))
        except (NotFoundError, FileNotFoundError):
            raise FileNotFoundError(f"{self.url}: no blob {sha256}") from None
        reader = io.BufferedReader(_ChunkReader(iter(result.stream(min_chunk_size=self.READ_CHUNK))),
                                   buffer_size=self.READ_CHUNK)
        reader.size = result.meta["size"]  # type: ignore[attr-defined]
        return reader

    def read(self, sha256: str) -> bytes:
        import obstore
        from obstore.exceptions import NotFoundError

        try:
            return bytes(obstore.get(self.store, self.key(sha256)).bytes())
        except (NotFoundError, FileNotFoundError):
            raise FileNotFoundError(f"{self.url}: no blob {sha256}") from None

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        import obstore
        from obstore.exceptions import NotFoundError

        try:
            return obstore.head(self.store, self.key(sha256))["size"]
        except (NotFoundError, FileNotFoundError):
            return None

    def iter_blobs(self) -> Iterator[tuple[str, int]]:
        import obstore

        for batch in obstore.list(self.store, prefix=self.prefix or None, chunk_size=1000):
            for meta in batch:
                name = meta["path"].rsplit("/", 1)[-1]
                if _SHA256.fullmatch(name):
                    yield name, meta["size"]

    def writable(self) -> bool:
        import obstore

        try:
            for _ in obstore.list(self.store, prefix=self.prefix or None, chunk_size=1):
                break
            return True
        except Exception:  # noqa: BLE001 — any failure to reach the bucket means "not ready"
            return False


class _ChunkReader(io.RawIOBase):
    """A raw binary file over an iterator of byte chunks (obstore's streamed GET body)."""

    def __init__(self, chunks: Iterator) -> None:  # noqa: ANN401
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._chunks = iter(())
        self._pending = memoryview(b"")
        super().close()


def open_store(url: str | None, *, data_dir: str | os.PathLike[str], fsync: bool = True,
               endpoint: str | None = None, region: str | None = None) -> BlobStoreBase:
    """The store a `SHOUDI_BLOB_STORE` value names: None → `<DATA_DIR>/blobs`, `s3://bucket/prefix`,
    or `file:///absolute/path` (a local store elsewhere)."""
    if not url:
        return BlobStore(Path(data_dir) / "blobs", fsync=fsync)
    if url.startswith("s3://"):
        return S3BlobStore(url, endpoint=endpoint, region=region)
    if url.startswith("file://"):
        return BlobStore(urlsplit(url).path, fsync=fsync)
    raise ValueError(f"SHOUDI_BLOB_STORE must be s3://bucket/prefix or file:///path, not {url!r}")


def init_app(app: Flask) -> BlobStoreBase:
    store = open_store(app.config.get("BLOB_STORE"), data_dir=app.config["DATA_DIR"], fsync=app.config["FSYNC"],
                       endpoint=app.config.get("S3_ENDPOINT"), region=app.config.get("S3_REGION"))
    app.extensions["shoudi.blobs"] = store
    return store


def get_blobs(app: Flask | None = None) -> BlobStoreBase:
    return (app or current_app).extensions["shoudi.blobs"]
