"""HTTP/1.1 requests, read strictly and within bounds, without I/O (RFC 9112).

:func:`parse_head` takes the bytes up to the blank line and gives a :class:`Request` or
raises :class:`BadRequest` with the status and a message a person can act on; the server
answers that with a 400 (or 413, 431, 501) and closes the connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import EventStreamError, InputTypeError
from ._services import SERVED, Operation

__all__ = [
    "MAX_HEAD_BYTES",
    "MAX_HEADERS",
    "MAX_BODY_BYTES",
    "BadRequest",
    "Request",
    "parse_head",
]

#: The request line and headers together, at most (a SigV4-signed request is ~1.5 KiB).
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
#: Bedrock's own limit on a request body is 25 MB (InvokeModel); this is the server's.
MAX_BODY_BYTES = 32 * 1024 * 1024

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# RFC 9112 section 3.2: a request-target is visible ASCII (non-ASCII must be percent-encoded).
_REQUEST_LINE = re.compile(rb"^([A-Z]+) ([\x21-\x7e]+) HTTP/(1\.[01])$")


class BadRequest(EventStreamError):
    """A request the server refuses: ``status`` and why."""

    __module__ = "eventstream.mock"

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    """A request head: method, target, version and headers (names lower-cased, in order)."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (lower case), or ``None``."""
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_length(self) -> int:
        """The body's length (``0`` when none is declared)."""
        value = self.header("content-length")
        return int(value) if value is not None else 0

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after this exchange."""
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version == "1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


def parse_head(head: bytes) -> Request:
    """The request in ``head`` (request line and headers, without the blank line)."""
    if not isinstance(head, bytes | bytearray | memoryview):
        raise InputTypeError(f"a request head is bytes, not {type(head).__name__}")
    head = bytes(head)
    if len(head) > MAX_HEAD_BYTES:
        raise BadRequest(f"the request head is over {MAX_HEAD_BYTES} bytes", status=431)
    lines = head.split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None:
        shown = lines[0][:80].decode("latin-1")
        raise BadRequest(f"not an HTTP/1.1 request line: {shown!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest(f"more than {MAX_HEADERS} headers", status=431)
    headers = []
    for number, line in enumerate(lines[1:], 1):
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            # Also refuses obsolete line folding (a line starting with white space).
            raise BadRequest(f"header line {number} is not 'Name: value'")
        try:
            text = value.strip(b" \t").decode("ascii")
        except UnicodeDecodeError:
            raise BadRequest(f"header {name.decode()!r} is not ASCII") from None
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in text):
            raise BadRequest(f"header {name.decode()!r} holds a control character")
        headers.append((name.decode("ascii").lower(), text))
    request = Request(
        match[1].decode(), match[2].decode("ascii"), match[3].decode(), tuple(headers)
    )
    if request.header("transfer-encoding") is not None:
        # boto3 and aiobotocore send Content-Length; a chunked upload is not supported.
        raise BadRequest(
            "request bodies must have a Content-Length (no Transfer-Encoding)", status=501
        )
    lengths = {value for key, value in headers if key == "content-length"}
    if len(lengths) > 1:
        raise BadRequest("conflicting Content-Length headers")
    if lengths:
        (length,) = lengths
        if not length.isdigit() or len(length) > 12:
            raise BadRequest(f"Content-Length {length!r} is not a byte count")
        if int(length) > MAX_BODY_BYTES:
            raise BadRequest(f"the body is over {MAX_BODY_BYTES} bytes", status=413)
    if request.version == "1.1" and request.header("host") is None:
        raise BadRequest("an HTTP/1.1 request needs a Host header")
    return request


def route(request: Request) -> tuple[Operation, dict[str, str]]:
    """The operation a request is for, and its path's labels (``modelId``, ``agentId``...);
    else :class:`BadRequest` (404 for another path, 405 for another method)."""
    path = request.target.split("?", 1)[0]
    for operation in SERVED:
        labels = operation.labels(path)
        if labels is not None:
            if request.method != operation.method:
                raise BadRequest(
                    f"{request.method} {path}: only {operation.method} is served", status=405
                )
            return operation, labels
    bedrock = ", ".join(
        op.path.rsplit("/", 1)[1] for op in SERVED if op.service == "bedrock-runtime"
    )
    others = ", ".join(op.path for op in SERVED if op.service != "bedrock-runtime")
    raise BadRequest(
        f"no such operation: {path!r} (served: POST /model/{{modelId}}/{{{bedrock}}}; {others})",
        status=404,
    )
