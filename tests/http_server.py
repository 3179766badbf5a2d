"""A real HTTP/1.1 server on 127.0.0.1 for the adapter tests.

It serves fixed bodies, by default as ``application/vnd.amazon.eventstream`` with
``Transfer-Encoding: chunked``, cut into HTTP chunks of sizes the test chooses so that the
boundaries fall inside preludes, headers and payloads. Each response closes its connection,
so a client never waits on a kept-alive socket and the server stops cleanly.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

EVENTSTREAM = "application/vnd.amazon.eventstream"


@dataclass(frozen=True)
class Body:
    """One response: its bytes, status, type, and how it is cut into HTTP chunks.

    ``chunk_sizes`` repeats until the body is sent; ``None`` sends it in one piece with a
    ``Content-Length`` instead of chunked encoding.
    """

    data: bytes
    status: int = 200
    content_type: str = EVENTSTREAM
    chunk_sizes: tuple[int, ...] | None = (1, 2, 3, 5, 7, 11, 13, 17, 300, 4099)

    def chunks(self) -> list[bytes]:
        """The body as the HTTP chunks the server sends, in order (never an empty one)."""
        if self.chunk_sizes is None:
            return [self.data]
        pieces: list[bytes] = []
        pos = 0
        for size in itertools.cycle(self.chunk_sizes):
            if pos >= len(self.data):
                return pieces
            pieces.append(self.data[pos : pos + size])
            pos += size
        raise AssertionError("unreachable: cycle() never ends")

    def boundaries(self) -> list[int]:
        """Body offsets at which one HTTP chunk ends and the next begins."""
        return list(itertools.accumulate(len(c) for c in self.chunks()))[:-1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    bodies: Mapping[str, Body]
    served: list[str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        body = self.server.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.server.served.append(self.path)
        self.send_response(body.status)
        self.send_header("Content-Type", body.content_type)
        self.send_header("Connection", "close")
        if body.chunk_sizes is None:
            self.send_header("Content-Length", str(len(body.data)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if body.chunk_sizes is None:
                self.wfile.write(body.data)
            else:
                # One write (one send) per chunk, so the boundaries reach the socket as cut.
                for chunk in body.chunks():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # A client that stops reading early (a failing test) is not the server's fault.
            pass
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        # Keep the test output clean; failures show up in the tests' own assertions.
        pass


class EventStreamServer:
    """Serve ``bodies`` (path -> :class:`Body`) on 127.0.0.1 at a free port, in a thread.

    Use it as a context manager; leaving it shuts the server down and joins its thread.
    """

    def __init__(self, bodies: Mapping[str, Body]) -> None:
        self.bodies = dict(bodies)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> EventStreamServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.bodies = self.bodies
        server.served = []
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not running"
        return int(self._server.server_address[1])

    @property
    def served(self) -> list[str]:
        """Paths answered so far, in order (a check that a request really hit this server)."""
        assert self._server is not None, "the server is not running"
        return self._server.served

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
