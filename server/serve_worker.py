"""`shoudi serve`'s gunicorn worker: gthread, hardened against slow and oversize clients.

gunicorn's gthread worker hands a connection to a thread as soon as one byte arrives; the thread
then blocks until the request head is complete. Ten clients trickling their headers a byte at a
time (slowloris) hold every thread and the server stops answering. This worker:

- reads request heads in the main loop, without blocking (`_HeadReader`): a connection gets a thread
  only once its head is complete (for kept-alive connections too); a head not complete within
  HEADER_TIMEOUT seconds, or larger than `MAX_HEAD_BYTES`, closes the connection (431 for the latter);
- bounds every read of a request body by READ_TIMEOUT seconds (a stalled upload gets 408, see
  server/submissions/multipart.py), so a thread is never held by a silent client;
- after a response that closes the connection before the body was read (413 and other refusals),
  half-closes and drains the rest of the body for up to LINGER_SECONDS (bounded in bytes too), so
  the client finishes sending and reads the answer instead of a broken pipe / connection reset.

Plain HTTP only: with gunicorn's own TLS (`certfile`) connections take gthread's path unchanged
(deployments terminate HTTPS at the reverse proxy, docs/configuration.md).
"""
from __future__ import annotations

import errno
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

MAX_HEAD_BYTES = 64 * 1024     # request line + headers (gunicorn's own field limits apply after)
LINGER_MIN_RATE = 32 * 1024    # bytes/s a refused client must keep sending for the drain to go on
LINGER_MAX_BYTES = 512 * 1024 * 1024   # …and at most this much (or twice MAX_BODY_BYTES) is discarded
_HEAD_END = b"\r\n\r\n"
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")


class _Conn(TConn):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.head = bytearray()             # bytes read ahead by the main loop
        self.head_deadline = 0.0
        self.lingered = False               # FIN sent and the body drained in the thread already

    def close(self, graceful: bool = False) -> None:
        # gthread closes "gracefully" in its main loop (shutdown + up to 2 s of reads there): not
        # again after `_linger` did it in the request's thread
        super().close(graceful=graceful and not self.lingered)


class ShoudiWorker(ThreadWorker):
    """gthread with request heads read in the main loop, bounded body reads and lingering close."""

    def init_process(self) -> None:
        self.reading_heads: deque[_Conn] = deque()
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})
        self.header_timeout = float(config.get("HEADER_TIMEOUT", 15))
        self.read_timeout = float(config.get("READ_TIMEOUT", 30))
        self.linger_seconds = float(config.get("LINGER_SECONDS", 10))
        self.linger_bytes = max(2 * int(config.get("MAX_BODY_BYTES", 100_000_000)), LINGER_MAX_BYTES)

    # -- heads, in the main loop ------------------------------------------------------------------

    def accept(self, listener) -> None:  # noqa: ANN001
        if self.cfg.is_ssl:
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _Conn(self.cfg, client_sock, client_addr, listener.getsockname())   # non-blocking
        self._read_head(conn)

    def on_client_socket_readable(self, conn, client) -> None:  # noqa: ANN001
        """A kept-alive connection's next request: its head is read here too, not in a thread."""
        if not isinstance(conn, _Conn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        conn.sock.setblocking(False)
        self._read_head(conn)

    def _read_head(self, conn: _Conn) -> None:
        conn.head.clear()
        conn.head_deadline = time.monotonic() + self.header_timeout
        self.reading_heads.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_readable, conn))
        self._on_head_readable(conn, conn.sock)   # a kept-alive client has usually sent it already

    def _on_head_readable(self, conn: _Conn, _sock) -> None:  # noqa: ANN001
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:                      # the client went away
            self._drop_head(conn)
            return
        conn.head += data
        if _HEAD_END in conn.head or b"\n\n" in conn.head or conn.head.startswith(b"PRI * HTTP/2"):
            self._stop_reading_head(conn)
            conn.data_ready = True
            self.enqueue_req(conn)
        elif len(conn.head) > MAX_HEAD_BYTES:
            try:
                conn.sock.send(_TOO_LARGE)
            except OSError:
                pass
            self._drop_head(conn)

    def _stop_reading_head(self, conn: _Conn) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        try:
            self.reading_heads.remove(conn)
        except ValueError:
            pass

    def _drop_head(self, conn: _Conn) -> None:
        self._stop_reading_head(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        now = time.monotonic()
        force = force or not self.alive        # stopping: heads not complete yet are not waited for
        for conn in [c for c in self.reading_heads if force or c.head_deadline <= now]:
            self._drop_head(conn)

    # -- the request, in a thread -----------------------------------------------------------------

    def handle(self, conn):  # noqa: ANN001, ANN201
        if isinstance(conn, _Conn) and conn.head:
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(bytes(conn.head))
            conn.head.clear()
        return super().handle(conn)

    def handle_request(self, req, conn):  # noqa: ANN001, ANN201
        conn.sock.settimeout(self.read_timeout)        # each body read; the head is already here
        keepalive = super().handle_request(req, conn)
        # gunicorn ignores an application's `Connection: close`: a body left unread (a refusal
        # before reading it) ends the connection here, after the lingering drain
        if keepalive and not conn.parser.finish_body(deadline=time.monotonic() + 1.0, max_bytes=1 << 20):
            keepalive = False
        if not keepalive:
            self._linger(conn)
        return keepalive

    def _linger(self, conn) -> None:  # noqa: ANN001
        """The response is out and the connection closes: send FIN, then read and discard what is
        left of the request body (bounded in time and bytes) so the client can finish sending and
        read the response; closing with unread data would reset the connection instead."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        conn.lingered = True
        start = time.monotonic()
        deadline, drained = start + self.linger_seconds, 0
        try:
            while drained < self.linger_bytes:
                now = time.monotonic()
                # a client still sending at upload speed gets its answer; a trickler is cut off
                if now >= deadline or (now - start > 1 and drained < LINGER_MIN_RATE * (now - start)):
                    break
                conn.sock.settimeout(min(1.0, deadline - now))
                data = conn.sock.recv(256 * 1024)
                if not data:
                    break
                drained += len(data)
        except OSError:   # timed out, reset, gone: nothing more to read
            pass
