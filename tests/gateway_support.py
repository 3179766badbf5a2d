"""Real servers on 127.0.0.1 for the gateway tests, and real SDK clients pointed at them.

* :class:`Upstream`: a Bedrock-compatible server that misbehaves on purpose: each model id
  names a :class:`Script` (status, headers, body, then a clean end, a stall or a dropped
  connection).
* :func:`serve_wsgi`, :func:`serve_asgi` (uvicorn) and :func:`serve_aiohttp` run an app in a
  thread on port 0 and stop it on exit, with bounded waits.
* :func:`boto3_client` / :func:`aiobotocore_client`: the SDKs with dummy credentials, their
  retries in standard mode (``attempts``), with the back-off sleep patched out by
  :func:`no_backoff` so that counting attempts costs no time.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any, Literal
from urllib.parse import unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import aiobotocore.session
import boto3
import pytest
import uvicorn
from aiohttp import web
from botocore.config import Config
from botocore.retries import standard

#: Every wait in these servers and clients is bounded by this many seconds.
TIMEOUT = 5.0

_ROUTE = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>[a-z-]+)$")

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}


@dataclass(frozen=True)
class Script:
    """What the upstream does for one model id: send ``status``, ``headers`` and ``body``
    (chunked, in ``chunk_size`` pieces), then ``then``: end cleanly, stall (send nothing more
    until the server stops, at most :data:`TIMEOUT`), or drop the connection mid-chunk."""

    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (
        ("Content-Type", "application/vnd.amazon.eventstream"),
        ("x-amzn-RequestId", "upstream-request-id"),
        ("X-Amzn-Bedrock-Content-Type", "application/json"),
    )
    then: Literal["end", "stall", "drop"] = "end"
    chunk_size: int = 41


@dataclass
class Upstream:
    """A scripted Bedrock-compatible upstream; ``requests`` counts the calls per model id."""

    scripts: dict[str, Script] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    url: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Upstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                match = _ROUTE.match(self.path)
                model = unquote(match["model"]) if match else ""
                script = upstream.scripts.get(model)
                if script is None:
                    self.send_error(404)
                    return
                upstream.requests[model] = upstream.requests.get(model, 0) + 1
                self.send_response(script.status)
                for name, value in script.headers:
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                data = script.body
                for start in range(0, len(data), script.chunk_size):
                    piece = data[start : start + script.chunk_size]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                if script.then == "stall":
                    upstream._stop.wait(TIMEOUT)
                elif script.then == "drop":
                    # Announce a chunk, send half of it, and go: an incomplete HTTP body.
                    self.wfile.write(b"40\r\nhalf")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


# --- running apps -------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI app with wsgiref (threaded) on 127.0.0.1; yield its URL."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a socket bound to port 0 first)."""
    sock = _bound_socket()
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)
        sock.close()


@contextlib.contextmanager
def serve_aiohttp(app: Any) -> Iterator[str]:
    """Serve an aiohttp.web app on 127.0.0.1, in a thread with its own event loop."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    sock = _bound_socket()

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()
        sock.close()


# --- clients ------------------------------------------------------------------------------


def _config(attempts: int) -> Any:
    return Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        read_timeout=TIMEOUT,
        connect_timeout=TIMEOUT,
    )


def boto3_client(url: str, *, attempts: int = 1) -> Any:
    """A real boto3 ``bedrock-runtime`` client for ``url``."""
    return boto3.client(
        "bedrock-runtime", endpoint_url=url, config=_config(attempts), **CREDENTIALS
    )


@contextlib.asynccontextmanager
async def aiobotocore_client(url: str, *, attempts: int = 1) -> AsyncIterator[Any]:
    """A real aiobotocore ``bedrock-runtime`` client for ``url``."""
    session = aiobotocore.session.get_session()
    async with session.create_client(
        "bedrock-runtime", endpoint_url=url, config=_config(attempts), **CREDENTIALS
    ) as client:
        yield client


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without their sleeps: botocore's (and so aiobotocore's) back-off is 0 s."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
