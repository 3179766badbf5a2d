"""The thin shell: a threaded HTTP/1.1 server on 127.0.0.1 that carries out each plan.

One thread per connection; keep-alive as HTTP/1.1 has it; streams framed with
``Transfer-Encoding: chunked`` (one chunk per planned write, as Bedrock sends them), other
bodies with ``Content-Length``. Any signature is accepted: requests are not checked.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email.utils
import http
import json
import math
import os
import random
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from .. import ConfigurationError, EventStreamError
from .. import bedrock as br
from ._faults import Fault, FaultSpecError, as_faults, check_stream, format_faults, parse_faults
from ._http import MAX_BODY_BYTES, MAX_HEAD_BYTES, BadRequest, Request, parse_head, route
from ._journal import Journal
from ._plan import Drop, Plan, Send, plan_error, plan_reply, plan_stream, service_error
from ._script import Script, Timing
from ._services import Operation, stream_headers
from ._sources import Recording, Responses, load_recordings

__all__ = ["FAULT_HEADER", "MockServer", "serve", "fault_header"]

#: The request header that sets the faults of one request (overriding the server's).
FAULT_HEADER = "x-eventstream-fault"

#: Idle keep-alive connections are closed after this many seconds.
IDLE_TIMEOUT = 60.0
#: The longest idle_timeout taken (a day); settimeout() overflows on huge values.
IDLE_TIMEOUT_MAX = 86400.0
#: How often a stall looks for a client that went away, or a server that stops.
_POLL = 0.02

FaultsLike = str | Fault | Iterable[Fault] | None


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Gone(Exception):
    """The client went away, or the server is stopping: abandon the response."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class MockServer:
    """A Bedrock Runtime-compatible server on ``host`` (port 0: a free one), which also
    answers the other services' streaming operations at their paths (:data:`SERVED`), serving
    ``captures`` (paths, or :class:`Recording` values) in turn for their stream and
    ``script`` for a stream with none, with ``faults`` on every request unless the
    ``x-eventstream-fault`` header says otherwise. A context manager: ``url`` is set while
    it runs; ``journal`` records each request and the faults injected into it.
    """

    def __init__(
        self,
        captures: Iterable[str | os.PathLike[str] | Recording] = (),
        *,
        script: Script | None = None,
        faults: FaultsLike = None,
        timing: Timing | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        _check_options(host, port, seed, idle_timeout, timing)
        given: object = captures
        if not isinstance(given, Iterable) or isinstance(given, str | bytes):
            raise ConfigurationError(f"captures {captures!r} must be a list of paths or Recordings")
        if journal is not None and not isinstance(journal, Journal | str | os.PathLike):
            raise ConfigurationError(f"journal {journal!r} must be a Journal, a path or None")
        recordings: list[Recording] = []
        for capture in captures:
            if isinstance(capture, Recording):
                recordings.append(capture)
            elif not isinstance(capture, str | os.PathLike):
                raise ConfigurationError(f"a capture is a path or a Recording, not {capture!r}")
            else:
                path = Path(capture)
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from None
                recordings += load_recordings(data, str(path))
        self.responses = Responses(recordings, script)
        self._faults = as_faults(faults)
        self.timing = timing if timing is not None else Timing()
        self.journal = journal if isinstance(journal, Journal) else Journal(journal)
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: set[threading.Thread] = set()
        self._connections: set[socket.socket] = set()
        self._count = 0

    # --- configuration --------------------------------------------------------------------

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults of every request without the header; set a spec, faults or ``None``."""
        return self._faults

    @faults.setter
    def faults(self, faults: FaultsLike) -> None:
        self._faults = as_faults(faults)

    @property
    def url(self) -> str:
        """``http://host:port`` (the endpoint_url to give a client)."""
        if self._listener is None:
            raise EventStreamError("the server is not running")
        return f"http://{self.host}:{self.port}"

    # --- running --------------------------------------------------------------------------

    def start(self) -> MockServer:
        """Listen and serve in background threads."""
        _check_options(self.host, self.port, 0, self.idle_timeout, None)
        try:
            # Resolved first: create_server's bind() raises TypeError for a host with a NUL
            # or no IDNA form, and leaks the socket it made (it closes it on OSError only).
            socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except (TypeError, ValueError) as exc:  # UnicodeError is a ValueError
            raise ConfigurationError(f"host {self.host!r}: {exc}") from None
        listener = socket.create_server((self.host, self.port))
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, name="eventstream-mock", daemon=True)
        thread.start()
        self._threads.add(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, end every connection (a stall included) and wait for them."""
        if not _seconds(timeout):
            raise ConfigurationError(f"stop: timeout {timeout!r} must be seconds from 0 to 2**31")
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve until interrupted (``KeyboardInterrupt``), then stop."""
        if self._listener is None:
            self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._connection, args=(connection,), daemon=True)
            with self._lock:
                self._connections.add(connection)
                self._threads.add(thread)
            thread.start()

    # --- one connection -------------------------------------------------------------------

    def _connection(self, connection: socket.socket) -> None:
        buffer = bytearray()
        try:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(self.idle_timeout)
            while not self._stopping.is_set():
                try:
                    head = self._read_head(connection, buffer)
                    if head is None:
                        return
                    request = parse_head(head)
                except BadRequest as exc:
                    self._refuse(connection, exc)
                    return
                if request.header("expect") == "100-continue":
                    connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = self._read_body(connection, buffer, request.content_length)
                if body is None:
                    return
                if not self._answer(connection, request, body):
                    return
        except (OSError, _Gone):
            return
        finally:
            with self._lock:
                self._connections.discard(connection)
                self._threads.discard(threading.current_thread())
            with contextlib.suppress(OSError):
                connection.close()

    def _read_head(self, connection: socket.socket, buffer: bytearray) -> bytes | None:
        while True:
            # RFC 9112 section 2.2: ignore empty lines before a request line.
            while buffer.startswith(b"\r\n"):
                del buffer[:2]
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                return head
            if len(buffer) > MAX_HEAD_BYTES:
                raise BadRequest(f"the request head is over {MAX_HEAD_BYTES} bytes", status=431)
            data = connection.recv(65536)
            if not data:
                return None
            buffer += data

    @staticmethod
    def _read_body(connection: socket.socket, buffer: bytearray, length: int) -> bytes | None:
        assert length <= MAX_BODY_BYTES  # parse_head refused more
        while len(buffer) < length:
            data = connection.recv(min(1 << 20, length - len(buffer)))
            if not data:
                return None
            buffer += data
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def _refuse(self, connection: socket.socket, error: BadRequest) -> None:
        body = json.dumps({"message": error.message}).encode()
        head = (
            f"HTTP/1.1 {error.status} {_reason(error.status)}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self._journal(status=error.status, outcome="refused", error=error.message)
        with contextlib.suppress(OSError):
            connection.sendall(head.encode() + body)

    def _number(self) -> tuple[int, random.Random]:
        with self._lock:
            self._count += 1
            return self._count, random.Random(self._rng.getrandbits(64))

    def _answer(self, connection: socket.socket, request: Request, body: bytes) -> bool:
        number, rng = self._number()
        path = request.target.split("?", 1)[0]
        request_id = str(uuid.uuid4())
        keep_alive = request.keep_alive
        try:
            operation, labels = route(request)
        except BadRequest as exc:
            # The status says what is wrong (404 no such operation, 405 not a POST).
            error = plan_error(br.ResourceNotFoundException(exc.message), request_id=request_id)
            plan = dataclasses.replace(error, status=exc.status)
            record = {"request": number, "method": request.method, "path": path,
                      "status": exc.status, "outcome": "refused", "error": exc.message}  # fmt: skip
            self._carry_out(connection, plan, keep_alive, record)
            return keep_alive
        stream = operation.stream
        bedrock = operation.service == "bedrock-runtime"
        # Bedrock Runtime's records keep the path's operation (converse-stream); the others
        # name the model's operation (InvokeAgent) and the resource of its first path label.
        name = operation.path.rsplit("/", 1)[1] if bedrock else operation.name
        resource = labels.get("modelId", "") if bedrock else next(iter(labels.values()), "")
        about = {"request": number, "path": path, "service": operation.service,
                 "operation": name, "stream": stream, "model": resource}  # fmt: skip
        header = request.header(FAULT_HEADER)
        source = "header" if header is not None else "server"
        try:
            faults = parse_faults(header) if header is not None else self._faults
            check_stream(faults, stream)
        except FaultSpecError as exc:
            message = f"bad {FAULT_HEADER} header: {exc.message}"
            if header is None:
                message = f"the server's faults do not fit this request: {exc.message}"
            plan = _refusal(operation, message, request_id)
            record = {**about, "status": 400, "outcome": "refused", "fault_source": source,
                      "error": message}  # fmt: skip
            self._carry_out(connection, plan, keep_alive, record)
            return keep_alive
        try:
            recording, delays = self.responses.next(stream, self.timing, rng)
            if operation.streaming:
                plan = plan_stream(
                    recording.messages, delays, stream, faults, request_id=request_id, rng=rng,
                    headers=stream_headers(stream, request_id=request_id, labels=labels),
                )  # fmt: skip
            else:
                plan = _reply(
                    recording, cast(br.StreamName, stream), faults, request_id=request_id,
                    seconds=sum(delays), rng=rng,
                )  # fmt: skip
        except EventStreamError as exc:
            # What is served cannot be written (a script holding a lone surrogate, say): the
            # client gets a 500 saying so, the server goes on serving.
            message = f"the mock server cannot answer: {exc}"
            message = message.encode("utf-8", "backslashreplace").decode("utf-8")
            plan = _failure(operation, message, request_id)
            record = {**about, "status": plan.status, "outcome": "refused",
                      "fault_source": source, "error": message}  # fmt: skip
            self._carry_out(connection, plan, keep_alive, record)
            return keep_alive
        record = {
            **about, "status": plan.status, "frames": plan.frames,
            "faults": format_faults(faults),
            "fault_source": source if header is not None or faults else None,
            "injected": list(plan.injected), "source": recording.label, "request_id": request_id,
        }  # fmt: skip
        outcome = self._carry_out(connection, plan, keep_alive, record)
        return keep_alive and outcome == "complete"

    def _journal(self, **fields: Any) -> None:
        record: dict[str, Any] = {
            "request": None, "method": "POST", "path": "", "service": "", "operation": "",
            "stream": "", "model": "",
            "status": 0, "outcome": "", "bytes": 0, "frames": 0, "faults": "",
            "fault_source": None, "injected": [],
        }  # fmt: skip
        record.update(fields)
        self.journal.write(record)

    def _carry_out(
        self,
        connection: socket.socket,
        plan: Plan,
        keep_alive: bool,
        record: dict[str, Any] | None = None,
    ) -> str:
        """Send ``plan``; return the outcome (``complete``, ``dropped``, ``client-gone``,
        ``server-stopped``). ``record`` is journaled with the outcome and the body bytes
        written, just *before* the write that lets the client finish (the last chunk, the
        last of a ``Content-Length`` body, or the drop): whoever has read a whole response,
        or seen it break, finds its record in the journal."""
        lines = [f"HTTP/1.1 {plan.status} {_reason(plan.status)}"]
        lines += [f"{name}: {value}" for name, value in plan.headers]
        lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if plan.chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {len(plan.body)}")
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        sends = [i for i, op in enumerate(plan.ops) if isinstance(op, Send)]
        # The write the client finishes on: the terminator of a chunked body (after every
        # op), else the last write of the body.
        last = len(plan.ops) if plan.chunked or not sends else sends[-1]
        sent = 0
        pending = record

        def journal(outcome: str) -> None:
            nonlocal pending
            if pending is not None:
                # A refusal keeps its own outcome, however the write goes.
                self._journal(**{"outcome": outcome, "bytes": sent, **pending})
                pending = None

        try:
            if not sends and not plan.chunked and not any(isinstance(op, Drop) for op in plan.ops):
                journal("complete")
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            for index, op in enumerate(plan.ops):
                if isinstance(op, Send):
                    if op.delay > 0:
                        self._wait(connection, op.delay)
                    data = b"%x\r\n%s\r\n" % (len(op.data), op.data) if plan.chunked else op.data
                    sent += len(op.data)
                    if index == last:
                        journal("complete")
                    connection.sendall(data)
                elif isinstance(op, Drop):
                    journal("dropped")
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
                    raise _Gone("dropped")
                else:
                    self._wait(connection, op.seconds)
            if plan.chunked:
                journal("complete")
                connection.sendall(b"0\r\n\r\n")
        except _Gone as gone:
            journal(gone.outcome)
            return gone.outcome
        except OSError:
            journal("client-gone")
            return "client-gone"
        journal("complete")
        return "complete"

    def _wait(self, connection: socket.socket, seconds: float | None) -> None:
        """Write nothing for ``seconds`` (``None``: for ever); raise :class:`_Gone` as soon
        as the client closes its side or the server stops."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if left <= 0:
                return
            if self._stopping.is_set():
                raise _Gone("server-stopped")
            readable, _, _ = select.select([connection], [], [], left)
            if readable:
                if self._stopping.is_set():  # stop() shut the connection down
                    raise _Gone("server-stopped")
                try:
                    peek = connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    raise _Gone("client-gone")
                # A pipelined request waits for this response: keep stalling.
                self._stopping.wait(left)


def _failure(operation: Operation, message: str, request_id: str) -> Plan:
    """The 500 a request gets when what is served cannot be written."""
    if operation.service == "bedrock-runtime":
        return plan_error(br.InternalServerException(message), request_id=request_id)
    code = next((c for c, status in operation.errors.items() if status == 500), None)
    return service_error(operation, 500, code, message, request_id=request_id)


def _seconds(value: object) -> bool:
    """``value`` is a number of seconds a thread can wait: finite and >= 0 (threading's
    waits raise OverflowError past time_t, and never end on NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return value >= 0 and math.isfinite(value) and value < 2**31
    except OverflowError:
        return False


def _check_options(
    host: object, port: object, seed: object, idle_timeout: object, timing: object
) -> None:
    """Refuse what ``socket.create_server`` or ``random.Random`` would raise a TypeError,
    ValueError or OverflowError for (and leak the socket it made, on OverflowError)."""
    if not isinstance(host, str):
        raise ConfigurationError(f"host {host!r} must be a str")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigurationError(f"port {port!r} must be a whole number from 0 to 65535")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigurationError(f"seed {seed!r} must be a whole number or None")
    wait: object = idle_timeout
    if (
        isinstance(wait, bool)
        or not isinstance(wait, int | float)
        or not 0 < wait <= IDLE_TIMEOUT_MAX
    ):
        raise ConfigurationError(
            f"idle_timeout {idle_timeout!r} must be seconds > 0, at most {IDLE_TIMEOUT_MAX:g}"
        )
    if timing is not None and not isinstance(timing, Timing):
        raise ConfigurationError(f"timing {timing!r} must be an eventstream.mock.Timing")


def _refusal(operation: Operation, message: str, request_id: str) -> Plan:
    """The 400 a request the server refuses gets, in its service's validation error."""
    if operation.service == "bedrock-runtime":
        return plan_error(br.ValidationException(message), request_id=request_id)
    code = operation.refusal
    return service_error(operation, 400, code, message, request_id=request_id)


def _bytes_as_base64(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _reply(
    recording: Recording,
    stream: br.StreamName,
    faults: Sequence[Fault],
    *,
    request_id: str,
    seconds: float,
    rng: random.Random,
) -> Plan:
    """The non-streaming answer (``invoke``/``converse``) the recording amounts to."""
    events = []
    for message in recording.messages:
        try:
            event = br.decode_event(message, stream)
        except EventStreamError:
            continue
        if isinstance(event, br.BedrockException) and not any(f.kind == "http" for f in faults):
            return plan_error(event, request_id=request_id)
        events.append(event)
    result = br.reassemble(events)
    headers: list[tuple[str, str]] = []
    if stream == "converse":
        document = result.to_converse()
        usage = document["usage"] or {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
        document["usage"] = usage
        document["metrics"] = document["metrics"] or {"latencyMs": round(seconds * 1000)}
        document["stopReason"] = document["stopReason"] or "end_turn"
    else:
        document = result.to_anthropic()
        usage = document.get("usage") or {}
        headers = [
            ("X-Amzn-Bedrock-Input-Token-Count", str(usage.get("input_tokens", 0))),
            ("X-Amzn-Bedrock-Output-Token-Count", str(usage.get("output_tokens", 0))),
            ("X-Amzn-Bedrock-Invocation-Latency", str(round(seconds * 1000))),
        ]
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_bytes_as_base64)
    return plan_reply(
        body.encode(), faults, request_id=request_id, headers=headers, delay=seconds, rng=rng
    )


@contextlib.contextmanager
def serve(
    captures: Iterable[str | os.PathLike[str] | Recording] = (), **options: Any
) -> Iterator[MockServer]:
    """Run a :class:`MockServer` for the ``with`` block (same arguments)."""
    with MockServer(captures, **options) as server:
        yield server


@contextlib.contextmanager
def fault_header(client: Any, faults: FaultsLike) -> Iterator[str]:
    """Send the ``x-eventstream-fault`` header with every request ``client`` (a boto3 or
    aiobotocore client of any service served) makes inside the block; yields the spec sent.
    A string goes as it is (the server answers a bad one with a 400 naming its part)."""
    spec = faults if isinstance(faults, str) else format_faults(as_faults(faults))
    if not spec.isascii() or not spec.isprintable():
        # A header value is visible ASCII (RFC 9110 section 5.5); a CR or LF would be a
        # header injection, which botocore refuses with its own error.
        raise FaultSpecError(f"the spec {spec!r} cannot be a header value (visible ASCII)")

    def add(request: Any, **_: Any) -> None:
        request.headers[FAULT_HEADER] = spec

    try:
        event = f"before-sign.{client.meta.service_model.service_id.hyphenize()}.*"
        events = client.meta.events
    except AttributeError:
        raise ConfigurationError(f"{client!r} is not a boto3 or aiobotocore client") from None
    events.register(event, add)
    try:
        yield spec
    finally:
        events.unregister(event, add)
