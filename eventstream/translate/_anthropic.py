"""Bedrock Converse events ↔ Anthropic Messages stream events, one event at a time.

:class:`BedrockToAnthropic` takes typed Bedrock events (Converse events, or Invoke chunks of
any model family, read as Converse events) and returns the SSE bytes of the Anthropic events
they make; :class:`AnthropicToBedrock` reads Anthropic's stream (SSE bytes,
decoded SSE events or parsed JSON objects) and returns typed Bedrock events, for a
ConverseStream or an InvokeModelWithResponseStream body.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import EventStreamError
from ..bedrock import (
    BedrockException,
    Chunk,
    ChunkError,
    ChunkReader,
    CitationDelta,
    CitationLocation,
    CitationSourceContent,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    DocumentSpan,
    InternalServerException,
    MessageStart,
    MessageStop,
    Metadata,
    Metrics,
    ReasoningContentDelta,
    SearchResultSpan,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    TypedEvent,
    Usage,
    WebLocation,
)
from ..sse import ServerSentEvent, SSEDecoder, encode_sse
from ._common import (
    SSEReading,
    cache_creation,
    dumps,
    json_bytes,
    loads_event,
    read_all,
    sse,
    usage_from_anthropic,
    write_all,
)
from ._tables import (
    TranslateError,
    anthropic_error,
    expect,
    from_anthropic_error,
    in_stream,
    stop_from_anthropic,
    stop_to_anthropic,
)

__all__ = [
    "InvokeChunks",
    "anthropic_counts",
    "BedrockToAnthropic",
    "AnthropicToBedrock",
    "to_anthropic",
    "from_anthropic",
    "anthropic_citation",
    "converse_citation",
]

BedrockStreamName = Literal["converse", "invoke"]


# --- citations ------------------------------------------------------------------------------


def anthropic_citation(citation: CitationDelta) -> dict[str, Any]:
    """Anthropic's citation object for a Converse citation (its location decides the type;
    the source contents' texts joined are ``cited_text``)."""
    expect(citation, CitationDelta, "anthropic_citation takes a CitationDelta")
    cited = "".join(part.text or "" for part in citation.source_content or ())
    location = citation.location or CitationLocation()
    if location.web is not None:
        return {
            "type": "web_search_result_location", "url": location.web.url or "",
            "title": citation.title, "cited_text": cited, "encrypted_index": "",
        }  # fmt: skip
    if location.search_result_location is not None:
        span = location.search_result_location
        return {
            "type": "search_result_location", "search_result_index": span.search_result_index,
            "start_block_index": span.start, "end_block_index": span.end,
            "source": citation.source or "", "title": citation.title, "cited_text": cited,
        }  # fmt: skip
    for kind, doc, start, end in (
        ("char_location", location.document_char, "start_char_index", "end_char_index"),
        ("page_location", location.document_page, "start_page_number", "end_page_number"),
        ("content_block_location", location.document_chunk, "start_block_index",
         "end_block_index"),
    ):  # fmt: skip
        if doc is not None:
            return {
                "type": kind, "cited_text": cited, "document_index": doc.document_index,
                "document_title": citation.title, start: doc.start, end: doc.end,
            }  # fmt: skip
    return {"type": "char_location", "cited_text": cited, "document_title": citation.title}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def converse_citation(citation: dict[str, Any]) -> CitationDelta:
    """The Converse citation for Anthropic's citation object (the inverse of
    :func:`anthropic_citation`)."""
    expect(citation, dict, "converse_citation takes a citation's parsed JSON object")
    kind = citation.get("type")
    cited = _str(citation.get("cited_text"))
    title = _str(citation.get("title")) if "title" in citation else None
    source: str | None = None
    location: CitationLocation
    if kind == "web_search_result_location":
        location = CitationLocation(web=WebLocation(url=_str(citation.get("url"))))
    elif kind == "search_result_location":
        location = CitationLocation(
            search_result_location=SearchResultSpan(
                search_result_index=_int(citation.get("search_result_index")),
                start=_int(citation.get("start_block_index")),
                end=_int(citation.get("end_block_index")),
            )
        )
        source = _str(citation.get("source")) or None
    else:
        title = _str(citation.get("document_title"))
        keys = {
            "page_location": ("document_page", "start_page_number", "end_page_number"),
            "content_block_location": ("document_chunk", "start_block_index", "end_block_index"),
        }.get(str(kind), ("document_char", "start_char_index", "end_char_index"))
        span = DocumentSpan(
            document_index=_int(citation.get("document_index")),
            start=_int(citation.get(keys[1])),
            end=_int(citation.get(keys[2])),
        )
        location = CitationLocation(**{keys[0]: span})  # type: ignore[arg-type]
    contents = (CitationSourceContent(text=cited),) if cited else ()
    return CitationDelta(title=title, source=source, source_content=contents, location=location)


# --- Invoke chunks, as Converse events -----------------------------------------------------------


def anthropic_counts(usage: Usage) -> dict[str, Any]:
    """Anthropic's ``usage`` object for Converse's counts (the same input: both leave the
    cache out)."""
    counts: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
    }
    if usage.cache_read_input_tokens is not None:
        counts["cache_read_input_tokens"] = usage.cache_read_input_tokens
    if usage.cache_write_input_tokens is not None:
        counts["cache_creation_input_tokens"] = usage.cache_write_input_tokens
    creation = cache_creation(usage)
    if creation is not None:
        counts["cache_creation"] = creation
    return counts


_ANTHROPIC_TYPES = frozenset((
    "message_start", "content_block_start", "content_block_delta", "content_block_stop",
    "message_delta", "message_stop", "ping", "error",
))  # fmt: skip


class InvokeChunks:
    """An Invoke stream's chunks as Converse events, whatever the model family.

    Claude's (Anthropic's events) go through :class:`AnthropicToBedrock`, the reader of the
    other direction, which keeps ``message_start``'s id and counts; every other family's
    through :class:`eventstream.bedrock.ChunkReader` (from the model id if it names one,
    else from the chunks). An in-band error becomes the exception :data:`ERRORS` gives it.
    """

    def __init__(self, model_id: str | None = None) -> None:
        self.model_id = model_id
        self._anthropic: AnthropicToBedrock | None = None
        self._family: ChunkReader | None = None

    def read(self, chunk: Chunk) -> list[TypedEvent]:
        """The Converse events one chunk amounts to (a chunk that is not JSON: none)."""
        try:
            value = chunk.json()
        except EventStreamError:
            return []  # reassembly reports it; nothing to translate
        if self._anthropic is None and self._family is None:
            kind = value.get("type") if isinstance(value, dict) else None
            if isinstance(kind, str) and kind in _ANTHROPIC_TYPES:
                self._anthropic = AnthropicToBedrock()
            else:
                self._family = ChunkReader("auto", model_id=self.model_id)
        if self._anthropic is not None:
            return self._anthropic.feed(value) if isinstance(value, dict) else []
        assert self._family is not None
        events: list[TypedEvent] = []
        for item in self._family.read(value):
            if isinstance(item, ChunkError):
                error = {"type": "error", "error": {"type": item.type, "message": item.message}}
                events.append(in_stream(from_anthropic_error(None, error), "converse"))
            else:
                events.append(item)
        return events

    @property
    def model(self) -> str | None:
        """The model the chunks named, if any."""
        reader = self._anthropic or self._family
        return reader.model if reader is not None else None

    @property
    def message_id(self) -> str | None:
        """The message id the chunks gave, if any."""
        reader = self._anthropic or self._family
        return reader.message_id if reader is not None else None

    @property
    def start_usage(self) -> dict[str, Any] | None:
        """The counts for ``message_start``: Claude's as they came, another family's so far
        (in Anthropic's names), ``None`` before any."""
        if self._anthropic is not None:
            return self._anthropic.start_usage
        usage = self._family.usage if self._family is not None else None
        return anthropic_counts(usage) if usage is not None else None

    @property
    def usage(self) -> dict[str, Any]:
        """The counts so far, in Anthropic's names."""
        if self._anthropic is not None:
            return self._anthropic.usage
        usage = self._family.usage if self._family is not None else None
        return anthropic_counts(usage) if usage is not None else {"output_tokens": 0}


# --- Bedrock → Anthropic ----------------------------------------------------------------------


@dataclass(slots=True)
class _Out:
    """A Converse block on its way out: its kind and Anthropic index (-1: not started)."""

    kind: str
    index: int = -1
    signature: list[str] = field(default_factory=list)
    redacted: bytearray | None = None
    stopped: bool = False


def _sse(event: str, data: str) -> bytes:
    return sse(data, event=event)


# Templates for the per-delta events (exact: ``dumps`` of a string is its JSON form).
def _text_delta(index: int, text: str) -> bytes:
    return sse(
        f'{{"type":"content_block_delta","index":{index},'
        f'"delta":{{"type":"text_delta","text":{dumps(text)}}}}}',
        event="content_block_delta",
    )


def _json_delta(index: int, text: str) -> bytes:
    return sse(
        f'{{"type":"content_block_delta","index":{index},'
        f'"delta":{{"type":"input_json_delta","partial_json":{dumps(text)}}}}}',
        event="content_block_delta",
    )


def _thinking_delta(index: int, text: str) -> bytes:
    return sse(
        f'{{"type":"content_block_delta","index":{index},'
        f'"delta":{{"type":"thinking_delta","thinking":{dumps(text)}}}}}',
        event="content_block_delta",
    )


_PING = encode_sse('{"type":"ping"}', event="ping")


class BedrockToAnthropic:
    """Bedrock events in, Anthropic Messages SSE out: :meth:`feed` one event, get the bytes
    of the zero or more events it makes; :meth:`close` at the end of the input.

    Converse block indexes become Anthropic's dense indexes, in the order the blocks start.
    Text and reasoning blocks start at their first delta (Converse sends no start for
    them); a redacted reasoning block goes out whole at its stop (Anthropic carries its data
    in the start), and a signature just before the block's stop. ``messageStop`` gives a
    ``message_delta`` with the stop reason; ``metadata`` (Converse's usage comes last) a
    second one with the counts, then ``message_stop``. An exception becomes an ``error``
    event (:data:`ERRORS`) and ends the stream, after ``message_stop`` too.
    """

    def __init__(self, *, model: str = "", message_id: str | None = None) -> None:
        self.model = model
        self.message_id = message_id or f"msg_{uuid.uuid4().hex[:24]}"
        self._blocks: dict[int, _Out] = {}
        self._next = 0
        self._started = False
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        #: ``message_stop`` went out (an exception after it still goes out as an error).
        self.ended = False
        #: An ``error`` went out: nothing more will.
        self.failed = False
        self._chunks: InvokeChunks | None = None
        # An Invoke stream's message_start usage (Converse has it only at the end).
        self._start_usage: dict[str, Any] | None = None

    # The hot path: one text delta is one template and one encode_sse.
    def feed(self, event: TypedEvent) -> list[bytes]:
        """The SSE bytes of the Anthropic events ``event`` makes, in order."""
        if self.failed or (self.ended and not isinstance(event, (BedrockException, Chunk))):
            return []
        if type(event) is ContentBlockDelta:
            delta = event.delta
            if type(delta) is TextDelta:
                block = self._blocks.get(event.content_block_index)
                out: list[bytes] = []
                if block is None or block.kind != "text" or block.stopped:
                    block = self._open(event.content_block_index, "text", out)
                out.append(_text_delta(block.index, delta.text))
                return out
            return self._delta(event)
        if isinstance(event, Chunk):
            return self._chunk(event)
        if isinstance(event, MessageStart):
            return self._message_start([])
        if isinstance(event, ContentBlockStart):
            out = self._message_start([]) if not self._started else []
            if isinstance(event.start, ToolUseStart):
                self._open(event.content_block_index, "tool_use", out, event.start)
            # Tool results and images have no Anthropic stream form: dropped (docs/translate.md).
            return out
        if isinstance(event, ContentBlockStop):
            return self._stop(event.content_block_index)
        if isinstance(event, MessageStop):
            self._stop_reason = stop_to_anthropic(event.stop_reason)
            fields = event.additional_model_response_fields
            if isinstance(fields, dict) and isinstance(fields.get("stop_sequence"), str):
                self._stop_sequence = fields["stop_sequence"]
            # The stop reason now (so that a stream cut before metadata still has it), the
            # counts with metadata: message_delta may come more than once, counts cumulative.
            # An Invoke stream has counts so far; Converse's come with metadata.
            counts = self._chunks.usage if self._chunks is not None else {"output_tokens": 0}
            return self._message_delta(self._message_start([]), counts)
        if isinstance(event, Metadata):
            return self._end(event.usage)
        if isinstance(event, BedrockException):
            return self.error(event)
        return []  # unknown events carry nothing Anthropic's stream has

    def _message_start(self, out: list[bytes]) -> list[bytes]:
        if not self._started:
            self._started = True
            message: dict[str, Any] = {
                "id": self.message_id, "type": "message", "role": "assistant", "content": [],
                "model": self.model, "stop_reason": None, "stop_sequence": None,
                "usage": self._start_usage or {"input_tokens": 0, "output_tokens": 0},
            }  # fmt: skip
            out.append(_sse("message_start", dumps({"type": "message_start", "message": message})))
        return out

    def _open(
        self, converse: int, kind: str, out: list[bytes], tool: ToolUseStart | None = None
    ) -> _Out:
        self._message_start(out)
        old = self._blocks.get(converse)
        if old is not None and not old.stopped:
            out.extend(self._stop(converse))  # a misfit opens a new block, as reassembly does
        block = _Out(kind)
        self._blocks[converse] = block
        if kind == "redacted":
            return block  # Anthropic carries the data in the start: it goes out at the stop
        block.index, self._next = self._next, self._next + 1
        if kind == "text":
            shell: dict[str, Any] = {"type": "text", "text": ""}
        elif kind == "tool_use":
            assert tool is not None
            shell = {"type": "tool_use", "id": tool.tool_use_id, "name": tool.name, "input": {}}
        elif kind == "thinking":
            shell = {"type": "thinking", "thinking": "", "signature": ""}
        else:
            raise AssertionError(kind)
        out.append(
            _sse(
                "content_block_start",
                dumps(
                    {"type": "content_block_start", "index": block.index, "content_block": shell}
                ),
            )
        )
        return block

    def _delta(self, event: ContentBlockDelta) -> list[bytes]:
        delta, converse = event.delta, event.content_block_index
        out: list[bytes] = []
        block = self._blocks.get(converse)
        if isinstance(delta, ToolUseDelta):
            if block is None or block.kind != "tool_use" or block.stopped:
                block = self._open(converse, "tool_use", out, ToolUseStart(tool_use_id="", name=""))
            out.append(_json_delta(block.index, delta.input))
        elif isinstance(delta, ReasoningContentDelta):
            if block is None or block.stopped or block.kind not in ("thinking", "redacted"):
                only_redacted = delta.text is None and delta.signature is None
                block = self._open(converse, "redacted" if only_redacted else "thinking", out)
            if block.kind == "redacted":
                if delta.redacted_content is not None:
                    # Extended in place: a new buffer per piece is quadratic (h2 #474).
                    if block.redacted is None:
                        block.redacted = bytearray()
                    block.redacted += delta.redacted_content
            else:
                if delta.text is not None:
                    out.append(_thinking_delta(block.index, delta.text))
                if delta.signature is not None:
                    block.signature.append(delta.signature)
            # Text beside redacted content in one block: Anthropic has no such block (lossy).
        elif isinstance(delta, CitationDelta):
            if block is None or block.kind != "text" or block.stopped:
                block = self._open(converse, "text", out)
            citation = {"type": "citations_delta", "citation": anthropic_citation(delta)}
            data = {"type": "content_block_delta", "index": block.index, "delta": citation}
            out.append(_sse("content_block_delta", dumps(data)))
        # Tool results, images and unknown deltas: no Anthropic form (docs/translate.md).
        return out

    def _stop(self, converse: int) -> list[bytes]:
        out: list[bytes] = []
        block = self._blocks.get(converse)
        if block is not None and block.stopped:
            return out  # stopped already
        if block is None:
            # A stop with nothing before it: an empty text block, as reassembly has it.
            block = self._open(converse, "text", out)
        self._flush(block, out)
        block.stopped = True
        out.append(
            _sse("content_block_stop", f'{{"type":"content_block_stop","index":{block.index}}}')
        )
        return out

    def _end(self, usage: Usage) -> list[bytes]:
        out = self._message_start([])
        self._message_delta(out, anthropic_counts(usage))
        out.append(_sse("message_stop", '{"type":"message_stop"}'))
        self.ended = True
        return out

    def _message_delta(self, out: list[bytes], counts: dict[str, Any]) -> list[bytes]:
        delta = {"stop_reason": self._stop_reason, "stop_sequence": self._stop_sequence}
        data = {"type": "message_delta", "delta": delta, "usage": counts}
        out.append(_sse("message_delta", dumps(data)))
        return out

    @property
    def finished(self) -> bool:
        """The stream has ended: ``message_stop`` or an ``error`` went out."""
        return self.ended or self.failed

    def _chunk(self, chunk: Chunk) -> list[bytes]:
        # An Invoke chunk, any family's: read into Converse events, then as those.
        if self._chunks is None:
            self._chunks = InvokeChunks(self.model or None)
        events = self._chunks.read(chunk)
        if self._chunks.model and not self.model:
            self.model = self._chunks.model
        if not self._started:
            self.message_id = self._chunks.message_id or self.message_id
            self._start_usage = self._chunks.start_usage
        return [data for item in events for data in self.feed(item)]

    @staticmethod
    def ping() -> bytes:
        """A ``ping`` event: what Anthropic sends to keep an idle stream open (readers skip it)."""
        return _PING

    def error(self, exception: BaseException) -> list[bytes]:
        """The ``error`` event that ends the stream for ``exception``: a Bedrock exception
        by :data:`ERRORS`, anything else (a cut upstream) as an ``api_error``."""
        if self.failed:
            return []
        if not isinstance(exception, BedrockException):
            exception = InternalServerException(f"the upstream stream failed: {exception}")
        _, body = anthropic_error(exception)
        out: list[bytes] = []
        for block in self._blocks.values():
            if not block.stopped:
                self._flush(block, out)  # what a block had so far, though it never stopped
        out.append(_sse("error", dumps(body)))
        # Failed once the error event is built: if building it raised, a caller's second
        # error() (to_anthropic's, for what it raised) still ends the stream with one.
        self.failed = True
        return out

    def _flush(self, block: _Out, out: list[bytes]) -> None:
        # What a block holds back until its stop: the redacted data, or the signature.
        if block.kind == "redacted" and block.index < 0:
            data = base64.b64encode(bytes(block.redacted or b"")).decode("ascii")
            block.index, self._next = self._next, self._next + 1
            shell = {"type": "redacted_thinking", "data": data}
            start = {"type": "content_block_start", "index": block.index, "content_block": shell}
            out.append(_sse("content_block_start", dumps(start)))
        elif block.signature:
            # Anthropic's readers keep the last signature_delta: send the whole one, once.
            signed = {"type": "signature_delta", "signature": "".join(block.signature)}
            event = {"type": "content_block_delta", "index": block.index, "delta": signed}
            out.append(_sse("content_block_delta", dumps(event)))
            block.signature.clear()

    def close(self) -> list[bytes]:
        """End of the input: nothing if the stream ended, else the ``error`` event that says
        it was cut short (never a ``message_stop`` it did not have)."""
        if self.finished:
            return []
        return self.error(InternalServerException("the Bedrock stream ended before its end"))


def to_anthropic(
    events: Iterable[TypedEvent], *, model: str = "", message_id: str | None = None
) -> Iterator[bytes]:
    """Anthropic Messages SSE for a stream of typed Bedrock events (exceptions as values);
    an error the iteration raises goes out as an ``error`` event, and ends it. Fails
    closed: after raising, every call raises :class:`~eventstream.DecoderStateError`."""
    return write_all(
        lambda: BedrockToAnthropic(model=model, message_id=message_id), events, "to_anthropic"
    )


# --- Anthropic → Bedrock ----------------------------------------------------------------------


@dataclass(slots=True)
class _In:
    """An Anthropic block on its way in: its kind and Converse index."""

    kind: str
    index: int


class AnthropicToBedrock(SSEReading):
    """Anthropic Messages stream events in, typed Bedrock events out.

    ``stream="converse"`` gives ConverseStream events (blocks with dense indexes; the usage
    of ``message_start`` and ``message_delta`` in the final ``metadata``); ``"invoke"`` gives
    each event as an Invoke ``chunk``, as Bedrock sends Claude's, with
    ``amazon-bedrock-invocationMetrics`` on the last. An ``error`` event becomes the
    exception of :data:`ERRORS` that the stream's union carries.
    """

    def __init__(self, stream: BedrockStreamName = "converse") -> None:
        if stream not in ("converse", "invoke"):
            raise TranslateError(f"stream must be 'converse' or 'invoke', not {stream!r}")
        self.stream = stream
        self.model: str | None = None
        self.message_id: str | None = None
        #: message_start's usage, as it came.
        self.start_usage: dict[str, Any] | None = None
        self._blocks: dict[int, _In] = {}
        self._next = 0
        self._usage: dict[str, Any] = {}
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._stop_sent = False
        self._metrics: dict[str, Any] = {}
        self._count = 0  # events read
        #: ``message_stop`` came (an error after it still becomes an exception).
        self.ended = False
        #: An error came, or the end did not: nothing more is read.
        self.failed = False
        self._decoder: SSEDecoder | None = None

    def feed_sse(self, sse: ServerSentEvent) -> list[TypedEvent]:
        """Take one decoded SSE event (Anthropic names each after its ``type``)."""
        expect(sse, ServerSentEvent, "feed_sse takes an eventstream.sse.ServerSentEvent")
        if sse.event == "ping" or self.failed:
            return []
        value = loads_event(sse.data, self._count, "Anthropic")
        if sse.event == "error" and value.get("type") != "error":
            value = {"type": "error", "error": value.get("error", value)}
        if (
            self.stream == "invoke"
            and not self.ended
            and value.get("type")
            not in (
                "message_stop",
                "error",
            )
        ):
            self._note(value)
            self._count += 1
            return [Chunk(bytes=sse.data.encode())]  # the data as it came: no re-encoding
        return self.feed(value)

    def feed(self, value: dict[str, Any]) -> list[TypedEvent]:
        """Take one Anthropic event as parsed JSON."""
        expect(value, dict, "feed takes an event's parsed JSON object")
        kind = value.get("type")
        if self.failed or (self.ended and kind != "error"):
            return []
        self._count += 1
        if kind == "error":
            self.failed = True
            exception = in_stream(from_anthropic_error(None, value), self.stream)
            return [exception]
        if self.stream == "invoke":
            return self._invoke(value)
        if kind == "content_block_delta":
            return self._delta(value)
        if kind == "message_start":
            self._note(value)
            message = value.get("message")
            role = message.get("role") if isinstance(message, dict) else None
            return [MessageStart(role=role if isinstance(role, str) else "assistant")]
        if kind == "content_block_start":
            return self._start(value)
        if kind == "content_block_stop":
            block = self._blocks.get(_int(value.get("index")) or 0)
            return [] if block is None or block.kind == "dropped" else [
                ContentBlockStop(content_block_index=block.index)
            ]  # fmt: skip
        if kind == "message_delta":
            self._note(value)
            if self._stop_reason is None or self._stop_sent:
                return []
            # messageStop as soon as the stop reason comes (the usage waits for the end,
            # where Converse has it): a stream cut before message_stop keeps it.
            self._stop_sent = True
            return [self._message_stop()]
        if kind == "message_stop":
            return self._end(value)
        return []  # ping, and event types this library does not know

    def _note(self, value: dict[str, Any]) -> None:
        # What the end needs: id, model and usage of message_start, message_delta's stop.
        kind = value.get("type")
        if kind == "message_start":
            message = value.get("message")
            if isinstance(message, dict):
                self.model = _str(message.get("model"))
                self.message_id = _str(message.get("id"))
                if isinstance(message.get("usage"), dict):
                    self._usage.update(message["usage"])
                    self.start_usage = dict(message["usage"])
        elif kind == "message_delta":
            delta = value.get("delta")
            if isinstance(delta, dict):
                self._stop_reason = _str(delta.get("stop_reason")) or self._stop_reason
                self._stop_sequence = _str(delta.get("stop_sequence")) or self._stop_sequence
            if isinstance(value.get("usage"), dict):
                # Cumulative counts: the latest wins, absent ones keep message_start's.
                self._usage.update({k: v for k, v in value["usage"].items() if v is not None})

    def _invoke(self, value: dict[str, Any]) -> list[TypedEvent]:
        self._note(value)
        if value.get("type") == "message_stop":
            self.ended = True
            usage = usage_from_anthropic(self._usage)
            value = dict(value)
            value.setdefault("amazon-bedrock-invocationMetrics", {
                "inputTokenCount": usage.input_tokens, "outputTokenCount": usage.output_tokens,
                "invocationLatency": 0, "firstByteLatency": 0,
            })  # fmt: skip
        return [Chunk(bytes=json_bytes(value))]

    def _block(self, index: int, kind: str) -> _In:
        block = _In(kind, self._next)
        if kind != "dropped":
            self._next += 1
        self._blocks[index] = block
        return block

    def _start(self, value: dict[str, Any]) -> list[TypedEvent]:
        index = _int(value.get("index")) or 0
        shell = value.get("content_block")
        shell = shell if isinstance(shell, dict) else {}
        kind = shell.get("type")
        if kind == "text":
            block = self._block(index, "text")
            # Converse opens a text block with its first delta: send one, empty or not, so
            # that a block started and cut before any text still is one.
            return [_text(block.index, _str(shell.get("text")) or "")]
        if kind == "tool_use":
            block = self._block(index, "tool_use")
            start = ToolUseStart(
                tool_use_id=_str(shell.get("id")) or "", name=_str(shell.get("name")) or ""
            )
            out: list[TypedEvent] = [
                ContentBlockStart(content_block_index=block.index, start=start)
            ]
            given = shell.get("input")
            if given:  # a start that carries the whole input
                out.append(_tool(block.index, dumps(given)))
            return out
        if kind == "thinking":
            block = self._block(index, "thinking")
            return [_reasoning(block.index, text=_str(shell.get("thinking")) or "")]
        if kind == "redacted_thinking":
            block = self._block(index, "thinking")
            try:
                data = base64.b64decode(_str(shell.get("data")) or "", validate=True)
            except (binascii.Error, ValueError):
                raise TranslateError(
                    f"Anthropic event {self._count - 1}: redacted_thinking data is not base64",
                    frame_index=self._count - 1,
                ) from None
            return [_reasoning(block.index, redacted=data)]
        # Server tool use, tool results, and blocks this library does not know: dropped.
        self._block(index, "dropped")
        return []

    def _delta(self, value: dict[str, Any]) -> list[TypedEvent]:
        index = _int(value.get("index")) or 0
        delta = value.get("delta")
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        block = self._blocks.get(index)
        if block is None:  # a delta without its start: the block begins here
            block = self._block(index, "tool_use" if kind == "input_json_delta" else "text")
        if block.kind == "dropped":
            return []
        converse = block.index
        if kind == "text_delta":
            return [_text(converse, _str(delta.get("text")) or "")]
        if kind == "input_json_delta":
            return [_tool(converse, _str(delta.get("partial_json")) or "")]
        if kind == "thinking_delta":
            return [_reasoning(converse, text=_str(delta.get("thinking")) or "")]
        if kind == "signature_delta":
            return [_reasoning(converse, signature=_str(delta.get("signature")) or "")]
        if kind == "citations_delta" and isinstance(delta.get("citation"), dict):
            return [ContentBlockDelta(content_block_index=converse,
                                      delta=converse_citation(delta["citation"]))]  # fmt: skip
        return []

    def _end(self, value: dict[str, Any]) -> list[TypedEvent]:
        self.ended = True
        metrics = value.get("amazon-bedrock-invocationMetrics")
        latency = _int(metrics.get("invocationLatency")) if isinstance(metrics, dict) else None
        if not self._stop_sent:
            # No stop reason: not a finished answer, whatever the end says.
            self.failed = True
            return [InternalServerException("the Anthropic stream ended without a stop reason")]
        return [
            Metadata(
                usage=usage_from_anthropic(self._usage), metrics=Metrics(latency_ms=latency or 0)
            ),
        ]

    def _message_stop(self) -> MessageStop:
        assert self._stop_reason is not None
        additional = {"stop_sequence": self._stop_sequence} if self._stop_sequence else None
        return MessageStop(
            stop_reason=stop_from_anthropic(self._stop_reason),
            additional_model_response_fields=additional,
        )

    def close(self) -> list[TypedEvent]:
        """End of the input: nothing if the stream ended, else the exception that says it
        was cut short (an SSE event left unfinished included)."""
        if self._decoder is not None:
            with contextlib.suppress(EventStreamError):
                self._decoder.close()  # an unfinished event: the stream did not end (below)
        if self.finished:
            return []
        self.failed = True
        return [InternalServerException("the Anthropic stream ended before message_stop")]

    @property
    def usage(self) -> dict[str, Any]:
        """The token counts so far, in Anthropic's names (``output_tokens`` always)."""
        return {"output_tokens": 0, **self._usage}

    @property
    def finished(self) -> bool:
        """The stream has ended: ``message_stop`` or an error came."""
        return self.ended or self.failed


def _text(index: int, text: str) -> ContentBlockDelta:
    return ContentBlockDelta(content_block_index=index, delta=TextDelta(text=text))


def _tool(index: int, text: str) -> ContentBlockDelta:
    return ContentBlockDelta(content_block_index=index, delta=ToolUseDelta(input=text))


def _reasoning(
    index: int, *, text: str | None = None, signature: str | None = None,
    redacted: bytes | None = None,
) -> ContentBlockDelta:  # fmt: skip
    delta = ReasoningContentDelta(text=text, signature=signature, redacted_content=redacted)
    return ContentBlockDelta(content_block_index=index, delta=delta)


def from_anthropic(
    body: Iterable[bytes], stream: BedrockStreamName = "converse"
) -> Iterator[TypedEvent]:
    """Typed Bedrock events for an Anthropic Messages SSE body given in slices; a body that
    ends early ends in an exception event. Fails closed: after raising, every call raises
    :class:`~eventstream.DecoderStateError`."""
    return read_all(lambda: AnthropicToBedrock(stream), body, "from_anthropic")
