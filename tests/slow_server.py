"""A server on 127.0.0.1 that sends on a schedule: bytes, pauses, and holds that never end.

For the stall and adapter-hole tests. Each path (or, with ``raw=True``, every connection)
plays a :data:`Plan`: ``bytes`` are sent at once (one HTTP chunk each over HTTP), a
``float`` pauses that many seconds, and :data:`HOLD` sends nothing more until the client
goes away or the server stops. Over HTTP the answer is a chunked 200 and ends with the last
chunk (unless held); raw, the bytes go straight on the socket and the connection closes.

``disconnected(path)`` is an event set when a client closed its connection during a hold:
the proof that ``aclose()`` released a connection at once, not at garbage collection.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Final

#: Stop sending and wait (see the module docstring).
HOLD: Final = "hold"

Plan = Sequence[bytes | float | str]

#: No wait in the server lasts longer than this many seconds.
LIMIT = 5.0


class SlowServer:
    """Serve ``plans`` (path -> plan; the key ``""`` for ``raw``) on a free port, in threads."""

    def __init__(self, plans: Mapping[str, Plan], *, raw: bool = False) -> None:
        self.plans = dict(plans)
        self.raw = raw
        self._stop = threading.Event()
        self._disconnected = {path: threading.Event() for path in self.plans}
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def disconnected(self, path: str = "") -> threading.Event:
        return self._disconnected[path]

    def __enter__(self) -> SlowServer:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(LIMIT)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            path = "" if self.raw else self._read_request(conn)
            plan = self.plans.get(path)
            if plan is None:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            if not self.raw:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
                    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                )
            try:
                for step in plan:
                    if isinstance(step, bytes):
                        conn.sendall(step if self.raw else b"%x\r\n%s\r\n" % (len(step), step))
                    elif step == HOLD:
                        self._hold(conn, path)
                        return
                    elif self._stop.wait(float(step)):
                        return
                if not self.raw:
                    conn.sendall(b"0\r\n\r\n")
            except OSError:  # the client went away early: not the server's fault
                pass

    def _read_request(self, conn: socket.socket) -> str:
        conn.settimeout(LIMIT)
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(4096)
            if not piece:
                break
            data += piece
        line = data.split(b"\r\n", 1)[0].split()
        return line[1].decode() if len(line) > 1 else ""

    def _hold(self, conn: socket.socket, path: str) -> None:
        # Wait for the client to close (recv gives b"") or for the server to stop.
        while not self._stop.is_set():
            readable, _, _ = select.select([conn], [], [], 0.02)
            if readable:
                try:
                    if conn.recv(4096):
                        continue
                except OSError:
                    pass
                self._disconnected[path].set()
                return
