"""The gunicorn worker of `enrich serve`: gthread, but a request reaches a thread only when whole.

gunicorn's gthread worker hands a connection to a thread as soon as it is readable, and the
thread then blocks reading the headers and body. A client that sends headers and
`Content-Length: 1000` and then nothing holds that thread for as long as it likes: 16 such
connections held every thread of `enrich serve` and valid deliveries timed out (issue 15,
finding 4). Here the event loop reads each request (headers and body, non-blocking) into memory
first, as a buffering reverse proxy does, and gives it to a thread only once it is complete; a
request not complete within `defaults.REQUEST_READ_S` of its first byte is answered 408 and
closed. Slow clients then cost a socket and a buffer each, never a thread.

Errors gunicorn answers itself (request line or headers too long, malformed HTTP) are written
in enrich's JSON error shape, not gunicorn's HTML page.
"""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.http.errors import (
    ExpectationFailed,
    ForbiddenProxyRequest,
    InvalidChunkExtension,
    InvalidChunkSize,
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidProxyLine,
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidSchemeHeaders,
    LimitRequestHeaders,
    LimitRequestLine,
    ObsoleteFolding,
    UnsupportedTransferCoding,
)
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import TConn, ThreadWorker

from enrich import defaults

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.IGNORECASE)
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)

# status, reason, error code for what gunicorn's parser refuses (the rest is a 400)
_PARSE_ERRORS: list[tuple[type[Exception], int, str, str]] = [
    (LimitRequestLine, 414, "URI Too Long", "request_line_too_long"),
    (LimitRequestHeaders, 431, "Request Header Fields Too Large", "headers_too_large"),
    (ExpectationFailed, 417, "Expectation Failed", "expectation_failed"),
    (UnsupportedTransferCoding, 501, "Not Implemented", "unsupported_transfer_coding"),
    (ForbiddenProxyRequest, 403, "Forbidden", "forbidden_proxy"),
]
_CLIENT_ERRORS = (
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidHTTPVersion,
    InvalidHeader,
    InvalidHeaderName,
    InvalidProxyLine,
    InvalidSchemeHeaders,
    ObsoleteFolding,
    InvalidChunkSize,
    InvalidChunkExtension,
)


@dataclass
class _Buffering:
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    continued: bool = False


def request_complete(data: bytes | bytearray, max_body: int) -> bool:
    """Whether `data` holds a whole HTTP/1 request (or enough to refuse it: headers past any
    sane size, a body announced larger than `max_body`, or framing the parser will refuse)."""
    end = data.find(_HEAD_END)
    if end < 0:
        return len(data) > defaults.MAX_REQUEST_HEAD_BYTES
    head, body_at = bytes(data[: end + 2]), end + 4
    if _CHUNKED.search(head):
        return _chunked_complete(data, body_at, max_body)
    found = _CONTENT_LENGTH.search(head)
    if found is None:
        return True
    try:
        length = int(found.group(1).strip())
    except ValueError:
        return True  # the parser answers 400
    return length > max_body or len(data) - body_at >= length


def _chunked_complete(data: bytes | bytearray, body_at: int, max_body: int) -> bool:
    at = body_at
    while True:
        if at - body_at > max_body + 64 * 1024:
            return True  # larger than the app accepts: it answers 413
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return len(data) - at > 1024  # a chunk-size line is short
        try:
            size = int(bytes(data[at:line_end]).split(b";")[0].strip(), 16)
        except ValueError:
            return True  # the parser answers 400
        if size == 0:  # trailers, then an empty line
            rest = data[line_end + 2 :]
            return rest.startswith(b"\r\n") or _HEAD_END in rest
        at = line_end + 2 + size + 2
        if at > len(data):
            return at - body_at > max_body + 64 * 1024


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker with whole requests handed to threads (module docstring)."""

    max_body = defaults.MAX_WEBHOOK_BYTES

    def init_process(self) -> None:
        self.buffering: dict[TConn, _Buffering] = {}
        super().init_process()

    def enqueue_req(self, conn: TConn) -> None:
        ready = (
            getattr(conn, "prebuffered", None) is not None
            or self.cfg.is_ssl
            or (conn.parser is not None and conn.parser.unreader.buf.getvalue())
        )
        if ready:
            super().enqueue_req(conn)
            return
        conn.sock.setblocking(False)
        self.buffering[conn] = _Buffering(time.monotonic() + defaults.REQUEST_READ_S)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        self._readable(conn, conn.sock)

    def _readable(self, conn: TConn, _sock: Any) -> None:
        state = self.buffering.get(conn)
        if state is None:
            return
        try:
            chunk = conn.sock.recv(256 * 1024)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away before finishing its request
            self._forget(conn)
            self.nr_conns -= 1
            conn.close()
            return
        state.data += chunk
        if not state.continued and _HEAD_END in state.data:
            state.continued = True
            head_end = state.data.find(_HEAD_END)
            expect = _EXPECT_CONTINUE.search(state.data, 0, head_end + 2)
            if expect:  # the client waits for this before sending its body
                del state.data[expect.start() : expect.end()]
                with contextlib.suppress(OSError):
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if request_complete(state.data, self.max_body):
            self._forget(conn)
            conn.prebuffered = bytes(state.data)
            conn.data_ready = True
            super().enqueue_req(conn)

    def _forget(self, conn: TConn) -> None:
        self.buffering.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def handle(self, conn: TConn) -> Any:
        data = getattr(conn, "prebuffered", None)
        if data is not None:
            conn.prebuffered = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, state in self.buffering.items() if state.deadline <= now]:
            self._forget(conn)
            _write_json_error(
                conn.sock,
                408,
                "Request Timeout",
                "request_timeout",
                f"the request was not received within {defaults.REQUEST_READ_S:g} s",
            )
            self.nr_conns -= 1
            conn.close()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        known = [(s, r, c) for kind, s, r, c in _PARSE_ERRORS if isinstance(exc, kind)]
        if known:
            status, reason, code = known[0]
        elif isinstance(exc, _CLIENT_ERRORS):
            status, reason, code = 400, "Bad Request", "malformed_request"
        else:
            super().handle_error(req, client, addr, exc)  # a 500, logged with its traceback
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        _write_json_error(client, status, reason, code, f"{type(exc).__name__}: {exc}"[:300])


def _write_json_error(sock: Any, status: int, reason: str, code: str, message: str) -> None:
    body = json.dumps({"error": {"status": status, "code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with contextlib.suppress(OSError):
        write_nonblock(sock, head + body)
