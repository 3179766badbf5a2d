"""A fake Bedrock Runtime endpoint on 127.0.0.1 that streams frames our encoder made.

Routes ``POST /model/{modelId}/invoke-with-response-stream`` and ``.../converse-stream``; the
test registers, per model id, the event-stream body to send. Bodies go out with chunked
transfer encoding in small, odd-sized chunks, as a real service's network reads would fall.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote

import boto3
from botocore.config import Config

_ROUTE = re.compile(
    r"^/model/(?P<model>[^/]+)/(?P<op>invoke-with-response-stream|converse-stream)$"
)


@dataclass
class Request:
    """What the client sent: the operation, the model id, the JSON body."""

    operation: str
    model_id: str
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeBedrock:
    """Serve ``streams[model_id]`` as the response body; record every request."""

    streams: dict[str, bytes] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    chunk_size: int = 37
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> FakeBedrock:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                match = _ROUTE.match(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if match is None or unquote(match["model"]) not in fake.streams:
                    self.send_error(404)
                    return
                model = unquote(match["model"])
                fake.requests.append(Request(match["op"], model, body, dict(self.headers)))
                data = fake.streams[model]
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.amazon.eventstream")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
                self.end_headers()
                for start in range(0, len(data), fake.chunk_size):
                    piece = data[start : start + fake.chunk_size]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
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
        self._thread.join(timeout=5)


def boto3_client(url: str) -> object:
    """A real boto3 ``bedrock-runtime`` client pointed at ``url`` with dummy credentials."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"max_attempts": 1}, read_timeout=10, connect_timeout=5),
    )
