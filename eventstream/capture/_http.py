"""HTTP/1.1 messages as saved from the wire (``curl -i --raw``, a socket dump, a TCP stream).

Strict where the framing decides what the body is (RFC 9112): the start line, header lines,
Content-Length and chunked transfer coding; then the content codings (gzip, deflate) are
undone, bounded. Anything else is an :class:`InputFormatError` at the offset where it fails.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..bedrock import stream_from_path
from ._base import EVENTSTREAM_CONTENT_TYPE, Found, InputFormatError
from ._compressed import Inflater
from ._exchange import Exchange, Timing

__all__: list[str] = []

#: The most bytes a start line and its header section may take.
MAX_HEAD_SIZE = 64 * 1024

# RFC 9112 4: HTTP-version SP status-code SP [reason-phrase]. curl shows HTTP/2 and HTTP/3
# responses in the same form (without framing: they have no chunked coding).
_STATUS_LINE = re.compile(rb"(HTTP/(?:1\.[01]|2|3)) ([0-9]{3})(?: ([^\r\n]*))?\r?\n")
# RFC 9112 3: method SP request-target SP HTTP-version.
_REQUEST_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^ \r\n]+) (HTTP/1\.[01])\r?\n")
_FIELD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*?)[ \t]*\r?\n")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_LINE_END = re.compile(rb"\r?\n")


def looks_like_http(head: bytes) -> bool:
    """Whether ``head`` starts with an HTTP response's status line or a request line."""
    return bool(_STATUS_LINE.match(head) or _REQUEST_LINE.match(head))


@dataclass
class HttpMessage:
    """One message of a stream: its start line, headers, and where its body lies.

    ``pieces`` are the ``(start, end)`` ranges of the body in the stream, before its content
    codings are undone (more than one for a chunked body). ``cut`` says how the body ends
    early when the input stops inside it (a capture that ended mid-stream): the body is then
    what is there, so that the frames before the cut are read.
    """

    start: int
    end: int
    version: str
    status: int | None
    reason: str
    method: str | None
    target: str | None
    headers: list[tuple[str, str]]
    pieces: list[tuple[int, int]]
    codings: list[str]
    cut: str | None = None

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None

    @property
    def start_line(self) -> str:
        if self.status is not None:
            return f"{self.version} {self.status} {self.reason}".rstrip()
        return f"{self.method} {self.target} {self.version}"


def _text(raw: bytes) -> str:
    # Field values are octets (RFC 9110 5.5); Latin-1 keeps each one as one character.
    return raw.decode("latin-1")


def _head(data: bytes, at: int, what: str) -> tuple[re.Match[bytes], list[tuple[str, str]], int]:
    """The start line and the header fields at ``at``, and where the body starts."""
    window = data[at : at + MAX_HEAD_SIZE]
    line = _STATUS_LINE.match(window) or _REQUEST_LINE.match(window)
    if line is None:
        end = _LINE_END.search(window)
        shown = window[: end.start() if end else 60][:60]
        raise InputFormatError(
            f"{what}: expected an HTTP status line or request line, found {shown!r}", offset=at
        )
    position = line.end()
    fields: list[tuple[str, str]] = []
    while True:
        end = _LINE_END.match(window, position)
        if end is not None:
            return line, fields, at + end.end()
        field = _FIELD.match(window, position)
        if field is None:
            if _LINE_END.search(window, position) is None:
                if len(window) == MAX_HEAD_SIZE:
                    why = f"the header section is longer than {MAX_HEAD_SIZE:,} bytes"
                else:
                    why = "the input ends inside the header section"
                raise InputFormatError(f"{what}: {why}", offset=at + position)
            # RFC 9112 5.1 and 5.2: no whitespace before the colon; obsolete line folding is
            # refused, as a recipient may do, rather than guessed at.
            raise InputFormatError(f"{what}: malformed header line", offset=at + position)
        fields.append((_text(field[1]).lower(), _text(field[2])))
        position = field.end()


def _codings(value: str | None) -> list[str]:
    return [c.strip().lower() for c in (value or "").split(",") if c.strip()]


def _chunked(data: bytes, at: int, what: str) -> tuple[list[tuple[int, int]], int, str | None]:
    """The data ranges of a chunked body at ``at`` (RFC 9112 7.1), where it ends, and how it
    was cut short if the input ends inside it (then the ranges are what is there)."""
    pieces: list[tuple[int, int]] = []
    position = at
    while True:
        size_line = _CHUNK_SIZE.match(data, position)
        if size_line is None:
            if data.find(b"\n", position, position + 64) < 0 and len(data) - position < 64:
                return pieces, len(data), f"the chunked body ends early, at byte {len(data):,}"
            shown = data[position : position + 20]
            raise InputFormatError(f"{what}: bad chunk size line {shown!r}", offset=position)
        size = int(size_line[1], 16)
        start = size_line.end()
        if size == 0:
            break
        if start + size > len(data):
            pieces.append((start, len(data)))
            return (
                pieces,
                len(data),
                (
                    f"the chunked body ends early: the chunk at byte {position:,} holds "
                    f"{size:,} bytes, {len(data) - start:,} are present"
                ),
            )
        crlf = _LINE_END.match(data, start + size)
        if crlf is None:
            raise InputFormatError(
                f"{what}: a chunk's data is not followed by CRLF", offset=start + size
            )
        pieces.append((start, start + size))
        position = crlf.end()
    # The trailer section: fields, then an empty line.
    position = start
    while True:
        end = _LINE_END.match(data, position)
        if end is not None:
            return pieces, end.end(), None
        field = _FIELD.match(data, position, position + MAX_HEAD_SIZE)
        if field is None:
            if data.find(b"\n", position) < 0:
                # Every chunk came: only the trailer section is cut.
                return pieces, len(data), "the chunked body's trailer section ends early"
            raise InputFormatError(f"{what}: malformed trailer line", offset=position)
        position = field.end()


def parse_messages(
    data: bytes,
    what: str = "HTTP",
    *,
    head_requests: Sequence[bool] = (),
    partial: bool = False,
) -> list[HttpMessage]:
    """Every HTTP/1.x message in ``data``, one after another (requests, responses, or both).

    ``head_requests[i]`` says whether the i-th final response answers a HEAD request (it has
    no body then, whatever its headers say). With ``partial``, a message that cannot be read
    ends the list instead of raising.
    """
    messages: list[HttpMessage] = []
    try:
        _parse_into(messages, data, what, head_requests)
    except InputFormatError:
        if not partial:
            raise
    return messages


def _parse_into(
    messages: list[HttpMessage], data: bytes, what: str, head_requests: Sequence[bool]
) -> None:
    position = 0
    answered = 0
    while True:
        # RFC 9112 2.2: empty lines before a message are ignored (files often join with one).
        while data.startswith((b"\r\n", b"\n"), position):
            position += 2 if data.startswith(b"\r\n", position) else 1
        if position >= len(data):
            return
        number = len(messages) + 1
        where = f"{what}, message {number}"
        line, headers, body_start = _head(data, position, where)
        is_response = line.re is _STATUS_LINE
        version = _text(line[1] if is_response else line[3])
        message = HttpMessage(
            start=position, end=body_start, version=version,
            status=int(line[2]) if is_response else None,
            reason=_text(line[3] or b"") if is_response else "",
            method=None if is_response else _text(line[1]),
            target=None if is_response else _text(line[2]),
            headers=headers, pieces=[], codings=[],
        )  # fmt: skip
        transfer = _codings(message.header("transfer-encoding"))
        lengths = {v.strip() for v in (message.header("content-length") or "").split(",")}
        lengths.discard("")
        status = message.status
        head_request = False
        if status is not None and status >= 200:
            head_request = answered < len(head_requests) and head_requests[answered]
            answered += 1
        if status is not None and (status < 200 or status in (204, 304) or head_request):
            # RFC 9112 6.3, rules 1 and 2: no content, whatever the headers say.
            position = body_start
        elif transfer and transfer[-1] == "chunked" and not version.startswith("HTTP/1.0"):
            message.pieces, position, message.cut = _chunked(data, body_start, where)
            message.codings = transfer[:-1][::-1]
        elif transfer:
            if status is None:
                # RFC 9112 6.3 rule 4: a request whose final coding is not chunked is bad.
                raise InputFormatError(
                    f"{where}: a request with Transfer-Encoding {', '.join(transfer)}",
                    offset=position,
                )
            # The body runs to the end of the connection.
            message.pieces, position = [(body_start, len(data))], len(data)
            message.codings = transfer[::-1]
        elif lengths:
            if len(lengths) > 1 or not all(v.isdigit() and len(v) <= 18 for v in lengths):
                raise InputFormatError(
                    f"{where}: bad Content-Length {message.header('content-length')!r}",
                    offset=position,
                )
            length = int(lengths.pop())
            if body_start + length > len(data):
                message.cut = (
                    f"the body ends early: Content-Length is {length:,}, "
                    f"{len(data) - body_start:,} bytes are present"
                )
                length = len(data) - body_start
            message.pieces, position = [(body_start, body_start + length)], body_start + length
        elif status is None:
            position = body_start  # a request without a length has no body (RFC 9112 6.3)
        else:
            # Close-delimited (RFC 9112 6.3 rule 8): the rest of the input.
            message.pieces, position = [(body_start, len(data))], len(data)
        message.pieces = [(s, e) for s, e in message.pieces if e > s]
        message.codings += _codings(message.header("content-encoding"))[::-1]
        message.end = position
        messages.append(message)


def decode_body(
    data: bytes,
    message: HttpMessage,
    what: str,
    arrivals: Sequence[tuple[int, float]] = (),
) -> tuple[bytes, tuple[tuple[int, float], ...]]:
    """The body of ``message`` with its codings undone, and when its bytes arrived.

    ``arrivals`` are ``(stream offset, time)`` at each network read of ``data``; the result
    maps body offsets to those times (a decompressed byte arrived with the read that let it
    out).
    """
    inflaters = []
    for coding in message.codings:
        if coding in ("gzip", "x-gzip"):
            inflaters.append(Inflater("gzip", what))
        elif coding == "deflate":
            inflaters.append(Inflater("deflate", what))
        elif coding != "identity":
            raise InputFormatError(
                f"{what}: the body has the coding {coding!r}, which this reader does not undo "
                "(gzip and deflate only)",
                offset=message.start,
            )
    # The body's pieces, cut where a new network read starts.
    cuts = [offset for offset, _ in arrivals]
    times = [time for _, time in arrivals]
    out: list[bytes] = []
    size = 0
    body_arrivals: list[tuple[int, float]] = []
    index = 0
    for start, end in message.pieces:
        position = start
        while position < end:
            while index + 1 < len(cuts) and cuts[index + 1] <= position:
                index += 1
            stop = min(end, cuts[index + 1]) if index + 1 < len(cuts) else end
            piece = data[position:stop]
            for inflater in inflaters:
                inflater.base = position
                piece = inflater.feed(piece)
            if piece:
                if times and (not body_arrivals or body_arrivals[-1][1] != times[index]):
                    body_arrivals.append((size, times[index]))
                out.append(piece)
                size += len(piece)
            position = stop
    if message.pieces and message.cut is None:  # a cut body's compressed data stops early
        for inflater in inflaters:
            inflater.finish()
    return b"".join(out), tuple(body_arrivals)


def cut_notes(messages: Sequence[HttpMessage], what: str = "") -> list[str]:
    """What a reader says of the messages cut short by the end of the input."""
    prefix = f"{what}, " if what else ""
    return [
        f"{prefix}message {number} is cut short ({m.cut})"
        for number, m in enumerate(messages, 1)
        if m.cut is not None
    ]


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def http_bodies(
    data: bytes,
    what: str = "HTTP",
    *,
    arrivals: Sequence[tuple[int, float]] = (),
    requests: Sequence[HttpMessage] = (),
    request_timing: Sequence[tuple[float, float] | None] = (),
    started: float | None = None,
    client: str | None = None,
    server: str | None = None,
) -> tuple[list[Found], list[HttpMessage]]:
    """The event-stream bodies among the responses in ``data``, and every message read.

    Requests in ``data`` itself (a dump of both directions) answer the responses that follow
    them; ``requests`` (another stream's, as in a pcap) answer the responses in order, their
    ``request_timing`` being when each was sent (start and end, in capture seconds).
    ``started`` is the capture's first time; with ``arrivals`` the bodies carry their timing.
    """
    head_requests = [m.method == "HEAD" for m in requests]
    messages = parse_messages(data, what, head_requests=head_requests)
    bodies: list[Found] = []
    pending: list[HttpMessage] = []
    answered = 0
    for number, message in enumerate(messages, 1):
        if message.status is None:
            pending.append(message)
            continue
        request: HttpMessage | None = None
        sent: tuple[float, float] | None = None
        if message.status >= 200:
            if pending:
                request = pending.pop(0)
            elif answered < len(requests):
                request = requests[answered]
                sent = request_timing[answered] if answered < len(request_timing) else None
            answered += 1
        content_type = message.header("content-type")
        if _media_type(content_type) != EVENTSTREAM_CONTENT_TYPE:
            continue
        label = f"{what}, response {number}: {message.start_line}"
        target = None
        if request is not None:
            target = request.target
            label += f" (to {request.method} {target})"
        body, body_arrivals = decode_body(data, message, f"{what}, message {number}", arrivals)
        timing = None
        if arrivals and started is not None:
            begin = sent[0] if sent is not None else _time_at(arrivals, message.start)
            first = _time_at(arrivals, message.start)
            last = _time_at(arrivals, message.end - 1)
            timing = Timing(
                started + begin,
                None if sent is None else sent[1] - begin,
                first - begin,
                last - begin,
                tuple((offset, time - begin) for offset, time in body_arrivals),
            )
        exchange = Exchange(
            status=message.status, reason=message.reason or None, content_type=content_type,
            method=request.method if request else None, url=target, client=client,
            server=server, timing=timing,
        )  # fmt: skip
        hint = stream_from_path(target) if target else None
        bodies.append(Found(body, label, hint, exchange))
    return bodies, messages


def _time_at(arrivals: Sequence[tuple[int, float]], offset: int) -> float:
    """The time of the read that brought the stream byte at ``offset``."""
    index = bisect.bisect_right(arrivals, offset, key=lambda item: item[0]) - 1
    return arrivals[max(index, 0)][1]
