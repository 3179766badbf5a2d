"""Reassembly: turn a stream of typed events into the final message the model produced.

Handles ConverseStream events and InvokeModelWithResponseStream chunks of every model family
in :mod:`._families` (their chunks read as Converse events), including what real streams do:
text blocks with no start event, a tool call cut by ``max_tokens`` with no stop, and errors
sent inside a normal chunk. What breaks the protocol is reported, in :attr:`Reassembled.errors`,
as ``misplaced_delta`` (a delta of another kind than its block, or a tool-use delta no start
opened), ``block_restarted`` (a block started again), ``message_restarted`` (a second message
start before the end) or ``event_after_end`` (anything after the end but an exception).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._errors import InputTypeError
from ._anthropic import AnthropicEvent
from ._events import (
    BedrockEvent,
    BedrockException,
    Chunk,
    CitationDelta,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    ErrorBlock,
    ErrorFrame,
    ImageDelta,
    ImageStart,
    MessageStart,
    MessageStop,
    Metadata,
    Metrics,
    ReasoningContentDelta,
    S3Location,
    TextDelta,
    ToolResultBlockDelta,
    ToolResultDelta,
    ToolResultStart,
    ToolUseDelta,
    ToolUseStart,
    UnknownEvent,
    UnknownException,
    Usage,
)
from ._families import ChunkError, ChunkReader, Family, _Opened, metrics_of, usage_of
from ._json import json_text, loads, pairs_text
from ._streams import TypedEvent
from ._wire import JSON, to_wire

__all__ = [
    "CONVERSE_STOP_REASONS",
    "MAX_ERRORS",
    "Reassembler",
    "reassemble",
    "Reassembled",
    "Block",
    "TextBlock",
    "ToolUseBlock",
    "ReasoningBlock",
    "ToolResultBlock",
    "ImageBlock",
    "StreamError",
]


#: Errors a :class:`Reassembler` keeps; past them it counts (a ``more_errors`` error says
#: how many), so that memory stays bounded on a stream of bad chunks.
MAX_ERRORS = 1000

#: Converse's ``stopReason`` values (the service model's ``StopReason`` enum).
CONVERSE_STOP_REASONS = frozenset(
    {"end_turn", "tool_use", "max_tokens", "stop_sequence", "guardrail_intervened",
     "content_filtered", "malformed_model_output", "malformed_tool_use",
     "model_context_window_exceeded"}
)  # fmt: skip


@dataclass(frozen=True)
class TextBlock:
    """Text the model wrote, with the citations that came with it."""

    text: str
    citations: tuple[CitationDelta, ...] = ()


@dataclass(frozen=True)
class ToolUseBlock:
    """A tool call. ``input`` is the parsed JSON, ``None`` if the text is incomplete.

    ``complete`` is false when the block never stopped (cut by ``max_tokens``) or its input
    does not parse; ``input_json`` always holds the raw text received.
    """

    id: str
    name: str
    input: Any
    input_json: str
    complete: bool


@dataclass(frozen=True)
class ReasoningBlock:
    """Reasoning (extended thinking) text with its signature, or redacted content."""

    text: str
    signature: str | None = None
    redacted_content: bytes | None = None


@dataclass(frozen=True)
class ToolResultBlock:
    """A tool's result the stream carried (``contentBlockStart.start.toolResult``): the
    tool call's id, its ``type`` and ``status`` (``success``, ``error``) and the pieces of
    result (text or JSON) in order."""

    tool_use_id: str
    content: tuple[ToolResultBlockDelta, ...] = ()
    type: str | None = None
    status: str | None = None

    @property
    def text(self) -> str:
        """The text pieces, joined."""
        return "".join(piece.text or "" for piece in self.content)


@dataclass(frozen=True)
class ImageBlock:
    """An image the model produced (``contentBlockStart.start.image``): its ``format``, the
    bytes of its deltas joined, or where it is stored, or the error that replaced it."""

    format: str
    data: bytes = b""
    s3_location: S3Location | None = None
    error: ErrorBlock | None = None

    def __repr__(self) -> str:
        # Bounded, as a Message's is: a 1 MiB image is not 3 MB of repr.
        data = repr(self.data) if len(self.data) <= 64 else f"<{len(self.data):,} bytes>"
        return (
            f"ImageBlock(format={self.format!r}, data={data}, "
            f"s3_location={self.s3_location!r}, error={self.error!r})"
        )


Block = TextBlock | ToolUseBlock | ReasoningBlock | ToolResultBlock | ImageBlock


@dataclass(frozen=True)
class StreamError:
    """An error the stream carried: an exception frame or an in-band error chunk."""

    type: str
    message: str
    status_code: int | None = None
    retryable: bool | None = None


@dataclass(frozen=True, init=False)
class Reassembled:
    """The final message of a stream. ``complete`` says whether the stream reached its end.

    ``usage`` and ``metrics`` are Converse's, whatever the stream (``None`` until it gave
    any): an Invoke stream's token counts in Converse's names (Anthropic's cache creation
    tokens are ``cache_write_input_tokens``), Bedrock's invocation metrics with
    ``latency_ms`` = ``invocationLatency`` and the other figures in ``metrics.extra``. Given a
    mapping instead, the constructor reads it in Converse's or Anthropic's names.
    ``unknown_chunks`` are the Invoke chunks in no layout this library reads (parsed, in
    order); ``family`` is the model family the chunks were read as and ``notes`` say what
    a reader should know (neither is compared).
    """

    role: str | None
    content: tuple[Block, ...]
    stop_reason: str | None
    stop_sequence: str | None
    model: str | None
    id: str | None
    usage: Usage | None
    metrics: Metrics | None
    additional_model_response_fields: Any
    errors: tuple[StreamError, ...]
    complete: bool
    unknown_chunks: tuple[Any, ...]
    family: str | None = field(compare=False)
    notes: tuple[str, ...] = field(compare=False)

    def __init__(  # noqa: PLR0917 - positional, as the dataclass's own __init__ was
        self,
        role: str | None,
        content: tuple[Block, ...],
        stop_reason: str | None,
        stop_sequence: str | None = None,
        model: str | None = None,
        id: str | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
        metrics: Metrics | Mapping[str, Any] | None = None,
        additional_model_response_fields: Any = None,
        errors: tuple[StreamError, ...] = (),
        complete: bool = False,
        *,
        unknown_chunks: tuple[Any, ...] = (),
        family: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        if isinstance(usage, Mapping):
            usage = usage_of(usage)
        if isinstance(metrics, Mapping):
            metrics = metrics_of(metrics)
        values = {
            "role": role, "content": tuple(content), "stop_reason": stop_reason,
            "stop_sequence": stop_sequence, "model": model, "id": id, "usage": usage,
            "metrics": metrics,
            "additional_model_response_fields": additional_model_response_fields,
            "errors": tuple(errors), "complete": complete,
            "unknown_chunks": tuple(unknown_chunks), "family": family, "notes": tuple(notes),
        }  # fmt: skip
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        """All text blocks, joined."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> tuple[ToolUseBlock, ...]:
        """The tool calls, in order."""
        return tuple(b for b in self.content if isinstance(b, ToolUseBlock))

    @property
    def status(self) -> str:
        """``complete``, or ``incomplete:`` and why (the first error, chunks in a format not
        read, or a missing end)."""
        if self.complete:
            return "complete"
        if self.errors:
            return f"incomplete: ended by {self.errors[0].type}"
        if self.unknown_chunks and not self.content:
            return f"incomplete: {self._unread()}"
        return "incomplete: the stream ended before its last event"

    def _unread(self) -> str:
        count = len(self.unknown_chunks)
        family = f" (family {self.family})" if self.family else ""
        return (
            f"{count} chunk{'s' if count != 1 else ''} in a format this library does not "
            f"read{family}, kept in unknown_chunks"
        )

    def rows(self) -> list[tuple[str, str]]:
        """The answer as ``(label, text)`` rows for people: what the CLI and the notebook
        show. A text may span lines."""
        rows: list[tuple[str, str]] = []
        for label, value in (("model", self.model), ("id", self.id), ("role", self.role)):
            if value:
                rows.append((label, value))
        for block in self.content:
            rows.append(_block_row(block))
        if not self.content:
            rows.append(
                ("content", f"(none: {self._unread()})" if self.unknown_chunks else "(none)")
            )
        elif self.unknown_chunks:
            rows.append(("unread", self._unread()))
        rows.append(("stop reason", self.stop_reason or "(none)"))
        for label, figures in (("usage", self.usage), ("metrics", self.metrics)):
            if figures is not None:
                wire = to_wire(figures)  # extra keys first: shown after the declared ones
                shown = {k: v for k, v in wire.items() if k not in figures.extra}
                rows.append((label, pairs_text({**shown, **figures.extra})))
        rows.extend(("note", note) for note in self.notes)
        for error in self.errors:
            status = f"HTTP {error.status_code}, " if error.status_code is not None else ""
            retry = {True: "retryable", False: "not retryable", None: "in-band"}[error.retryable]
            rows.append(("error", f"{error.type} ({status}{retry}): {error.message}"))
        return rows

    def to_converse(self) -> dict[str, Any]:
        """The non-streaming Converse response this stream amounts to (boto3's shape)."""
        content = [_converse_block(block) for block in self.content]
        response: dict[str, Any] = {
            "output": {"message": {"role": self.role or "assistant", "content": content}},
            "stopReason": self.stop_reason,
            "usage": {} if self.usage is None else to_wire(self.usage),
            "metrics": {} if self.metrics is None else to_wire(self.metrics),
        }
        if self.additional_model_response_fields is not None:
            response["additionalModelResponseFields"] = self.additional_model_response_fields
        return response

    def to_anthropic(self) -> dict[str, Any]:
        """The non-streaming Anthropic Messages response this stream amounts to."""
        usage: dict[str, Any] = {}
        if self.usage is not None:
            u = self.usage
            usage = {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens}
            if u.cache_write_input_tokens is not None:
                usage["cache_creation_input_tokens"] = u.cache_write_input_tokens
            if u.cache_read_input_tokens is not None:
                usage["cache_read_input_tokens"] = u.cache_read_input_tokens
        return {
            "id": self.id,
            "type": "message",
            "role": self.role or "assistant",
            "model": self.model,
            "content": [_anthropic_block(block) for block in self.content],
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": usage,
        }


def _block_row(block: Block) -> tuple[str, str]:
    if isinstance(block, TextBlock):
        cited = f"\n({len(block.citations)} citations)" if block.citations else ""
        return "text", block.text + cited
    if isinstance(block, ToolUseBlock):
        state = "" if block.complete else "  (INCOMPLETE: cut off or not valid JSON)"
        shown = (
            json_text(block.input, separators=(", ", ": "))
            if block.input is not None
            else repr(block.input_json)
        )
        return "tool call", f"{block.name}  id={block.id}{state}\ninput {shown}"
    if isinstance(block, ToolResultBlock):
        status = f"  status={block.status}" if block.status else ""
        pieces = [
            piece.text if piece.text is not None else json_text(piece.json)
            for piece in block.content
        ]
        return "tool result", "\n".join([f"id={block.tool_use_id}{status}", *pieces])
    if isinstance(block, ImageBlock):
        if block.error is not None:
            return "image", f"{block.format}, error: {block.error.message or '(no message)'}"
        if block.s3_location is not None:
            return "image", f"{block.format}, at {block.s3_location.uri}"
        return "image", f"{block.format}, {len(block.data)} bytes"
    if block.redacted_content is not None:
        return "reasoning", f"(redacted, {len(block.redacted_content)} bytes)"
    signature = block.signature
    signed = f"\n(signature, {len(signature)} characters)" if signature else ""
    return "reasoning", block.text + signed


def _converse_block(block: Block) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"text": block.text}
    if isinstance(block, ToolUseBlock):
        return {"toolUse": {"toolUseId": block.id, "name": block.name, "input": block.input}}
    if isinstance(block, ToolResultBlock):
        result: dict[str, Any] = {
            "toolUseId": block.tool_use_id,
            "content": [to_wire(piece) for piece in block.content],
        }
        if block.status is not None:
            result["status"] = block.status
        return {"toolResult": result}
    if isinstance(block, ImageBlock):
        source: dict[str, Any] = {}
        if block.s3_location is not None:
            source["s3Location"] = to_wire(block.s3_location)
        else:
            source["bytes"] = block.data
        return {"image": {"format": block.format, "source": source}}
    if block.redacted_content is not None:
        return {"reasoningContent": {"redactedContent": block.redacted_content}}
    reasoning: dict[str, Any] = {"text": block.text}
    if block.signature is not None:
        reasoning["signature"] = block.signature
    return {"reasoningContent": {"reasoningText": reasoning}}


def _anthropic_block(block: Block) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ToolResultBlock):
        return {
            "type": "tool_result",
            "tool_use_id": block.tool_use_id,
            "content": [{"type": "text", "text": block.text}],
            "is_error": block.status == "error",
        }
    if isinstance(block, ImageBlock):
        data = base64.b64encode(block.data).decode("ascii")
        media = {"type": "base64", "media_type": f"image/{block.format}", "data": data}
        return {"type": "image", "source": media}
    if block.redacted_content is not None:
        data = base64.b64encode(block.redacted_content).decode("ascii")
        return {"type": "redacted_thinking", "data": data}
    return {"type": "thinking", "thinking": block.text, "signature": block.signature}


@dataclass
class _Open:
    """A block being assembled; ``kind`` is text, tool_use, reasoning, tool_result or image.

    ``started``: a start event opened it (else its first delta did); ``flagged``: it was
    opened by a delta already reported as misplaced; ``superseded``: a start came after it.
    """

    kind: str
    parts: list[str] = field(default_factory=list)
    #: ``parts`` joined :data:`_JOIN_AT` at a time: a long answer as ~100 KB strings, not a
    #: str object (~50 bytes more than its text) per delta, which tripled the memory.
    joined: list[str] = field(default_factory=list)
    tool_id: str = ""
    tool_name: str = ""
    signature: str | None = None
    redacted: bytes | None = None
    signature_parts: list[str] = field(default_factory=list)
    redacted_parts: list[bytes] = field(default_factory=list)
    citations: list[CitationDelta] = field(default_factory=list)
    results: list[ToolResultBlockDelta] = field(default_factory=list)
    result_type: str | None = None
    status: str | None = None
    image_format: str = ""
    data: list[bytes] = field(default_factory=list)
    s3_location: S3Location | None = None
    error: ErrorBlock | None = None
    stopped: bool = False
    started: bool = False
    flagged: bool = False
    superseded: bool = False


#: Deltas of a block joined into one string at a time (see ``_Open.joined``).
_JOIN_AT = 4096


def _join(block: _Open) -> None:
    block.joined.append("".join(block.parts))
    block.parts.clear()


class Reassembler:
    """Feed typed events one at a time with :meth:`add`; read the result with :meth:`result`.

    No I/O: it serves sync and async streams alike, and a gateway can keep one per request.
    Invoke chunks are read as ``family`` (a :data:`~eventstream.bedrock.Family`, or
    ``"auto"``: from ``model_id``, else from the chunks).
    """

    def __init__(
        self, family: Family | Literal["auto"] = "auto", *, model_id: str | None = None
    ) -> None:
        # Blocks by (content block index, n): a misfit for an index opens block n + 1 there
        # instead of merging into the block it does not belong to. _open: each index's last.
        self._blocks: dict[tuple[int, int], _Open] = {}
        self._open: dict[int, tuple[int, int]] = {}
        self._ended = False  # the stream's Metadata (Converse, or read from the chunks)
        self._started = False
        self._early = False  # event_before_start reported
        self._stopped = False  # a message stop came
        self._role: str | None = None
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._model: str | None = None
        self._id: str | None = None
        self._usage: Usage | None = None
        self._metrics: Metrics | None = None
        self._additional: Any = None
        self._errors: list[StreamError] = []
        self._errors_dropped = 0
        self._complete = False
        # Made on the first chunk (a bad family is refused here, not then).
        self._family: Family | Literal["auto"] = family
        self._model_id = model_id
        self._reader: ChunkReader | None = None
        if family != "auto":
            ChunkReader(family)  # checks the name

    def add(self, event: TypedEvent) -> None:
        """Take the next event of the stream (exceptions as values included)."""
        if isinstance(event, Chunk):
            self._add_chunk(event)
        elif isinstance(event, BedrockException):
            if isinstance(event, ErrorFrame):
                name = event.error_code
            elif isinstance(event, UnknownException):
                name = event.name
            else:
                name = event.exception_type
            self._error(StreamError(name, event.message, event.status_code, event.retryable))
        elif isinstance(event, MessageStart):
            self._message_start(event)
        elif isinstance(event, ContentBlockStart):
            self._block_start(event)
        elif isinstance(event, ContentBlockDelta):
            self._add_converse_delta(event)
        elif isinstance(event, ContentBlockStop):
            self._stop(event.content_block_index)
        elif isinstance(event, MessageStop):
            self._message_stop(event)
            self._additional = event.additional_model_response_fields
        elif isinstance(event, Metadata):
            self._after_end("a metadata event")
            if not self._stopped and not self._ended:
                # The answer has no stop reason: a gateway that dropped messageStop
                # (bifrost #4262 dropped contentBlockStop the same way) must not pass.
                self._violation("missing_stop", "the metadata came with no message stop")
            self._usage, self._metrics = event.usage, event.metrics
            self._complete = self._ended = True
        elif not isinstance(event, BedrockEvent | UnknownEvent):
            raise InputTypeError(
                f"a Reassembler takes typed Bedrock events, not a {type(event).__name__}"
            )

    def _violation(self, kind: str, text: str) -> None:
        self._error(StreamError(kind, text))

    def _error(self, error: StreamError) -> None:
        # Bounded: a stream of a million bad chunks keeps the first MAX_ERRORS errors and a
        # count of the others, not a million objects.
        if len(self._errors) < MAX_ERRORS:
            self._errors.append(error)
        else:
            self._errors_dropped += 1

    def _after_end(self, what: str) -> None:
        if self._ended:
            self._violation("event_after_end", f"{what} after the end")

    def _before_start(self, what: str) -> None:
        # Once a stream: what came before the message start is one fault, however long.
        if not self._started and not self._early:
            self._early = True
            self._violation("event_before_start", f"{what} before the message start")

    def _message_start(self, event: MessageStart) -> None:
        if self._ended:
            self._violation("event_after_end", "a message start after the end")
        elif self._started:
            # Two streams run together, as a gateway retrying mid-stream can send them.
            self._violation("message_restarted", "a second message start before the end")
        self._started = True
        self._role = event.role
        # An Invoke chunk's model and message id ride in extra (Converse has no field).
        for name, key in (("_model", "model"), ("_id", "id")):
            value = event.extra.get(key)
            if isinstance(value, str) and value:
                setattr(self, name, value)

    def _message_stop(self, event: MessageStop) -> None:
        self._after_end("a message stop")
        self._before_start("a message stop")
        self._stopped = True
        self._stop_reason = event.stop_reason
        # The stop sequence, where Converse gives it when asked (additionalModelResponse-
        # FieldPaths "/stop_sequence" or "/delta/stop_sequence", vercel/ai #11410).
        fields = event.additional_model_response_fields
        if isinstance(fields, dict):
            delta = fields.get("delta")
            for sequence in (
                fields.get("stop_sequence"),
                delta.get("stop_sequence") if isinstance(delta, dict) else None,
            ):
                if isinstance(sequence, str):
                    self._stop_sequence = sequence

    def _block_start(self, event: ContentBlockStart) -> None:
        start, index = event.start, event.content_block_index
        if isinstance(start, ToolUseStart):
            self._start(index, _Open("tool_use", tool_id=start.tool_use_id, tool_name=start.name))
        elif isinstance(start, ToolResultStart):
            block = _Open(
                "tool_result", tool_id=start.tool_use_id, result_type=start.type,
                status=start.status,
            )  # fmt: skip
            self._start(index, block)
        elif isinstance(start, ImageStart):
            self._start(index, _Open("image", image_format=start.format))
        # An UnknownStart (a member newer than this library) opens nothing: its deltas do.

    def _current(self, index: int) -> _Open | None:
        if self._ended:
            self._violation("event_after_end", f"content block {index} changed after the end")
        key = self._open.get(index)
        return None if key is None else self._blocks[key]

    def _new(self, index: int, block: _Open) -> _Open:
        # Checked per block, not per delta: the first event of every block comes here.
        if not self._started:
            self._before_start(f"content block {index}")
        key = self._open.get(index)
        key = (index, 0) if key is None else (index, key[1] + 1)
        self._blocks[key] = block
        self._open[index] = key
        return block

    def _block(self, index: int, kind: str) -> _Open:
        # Converse sends no contentBlockStart for text or reasoning: the first delta opens it.
        block = self._current(index)
        if block is None:
            return self._new(index, _Open(kind))
        if block.kind != kind:
            self._violation(
                "misplaced_delta", f"a {kind} delta for content block {index}, a {block.kind} block"
            )
            return self._new(index, _Open(kind, flagged=True))
        return block

    def _start(self, index: int, block: _Open) -> None:
        current = self._current(index)
        if current is not None:
            self._violation("block_restarted", f"content block {index} started a second time")
            current.superseded = True
        block.started = True
        self._new(index, block)

    def _stop(self, index: int) -> None:
        block = self._current(index)
        (block or self._new(index, _Open("text"))).stopped = True

    def _add_converse_delta(self, event: ContentBlockDelta) -> None:
        delta = event.delta
        index = event.content_block_index
        if isinstance(delta, TextDelta):
            block = self._block(index, "text")
            parts = block.parts
            parts.append(delta.text)
            if len(parts) >= _JOIN_AT:
                _join(block)
        elif isinstance(delta, ToolUseDelta):
            block = self._block(index, "tool_use")
            block.parts.append(delta.input)
            if len(block.parts) >= _JOIN_AT:
                _join(block)
        elif isinstance(delta, ReasoningContentDelta):
            block = self._block(index, "reasoning")
            if delta.text is not None:
                block.parts.append(delta.text)
                if len(block.parts) >= _JOIN_AT:
                    _join(block)
            # Listed, joined at the end: adding to a str or bytes each time was quadratic
            # (8,000 pieces of 1 KB took 3 s).
            if delta.signature is not None:
                block.signature_parts.append(delta.signature)
            if delta.redacted_content is not None:
                block.redacted_parts.append(delta.redacted_content)
        elif isinstance(delta, CitationDelta):
            self._block(index, "text").citations.append(delta)
        elif isinstance(delta, ToolResultDelta):
            self._block(index, "tool_result").results.extend(delta.blocks)
        elif isinstance(delta, ImageDelta):
            block = self._block(index, "image")
            if delta.source is not None and delta.source.bytes is not None:
                block.data.append(delta.source.bytes)
            if delta.source is not None and delta.source.s3_location is not None:
                block.s3_location = delta.source.s3_location
            if delta.error is not None:
                block.error = delta.error

    # --- Invoke chunks --------------------------------------------------------------------

    def _add_chunk(self, chunk: Chunk) -> None:
        if chunk.bytes is None:
            return  # the model allows a chunk without bytes: it adds nothing
        try:
            value = loads(chunk.bytes)
        except ValueError:
            self._error(StreamError("invalid_chunk", "a chunk's bytes are not JSON"))
            return
        self.add_chunk_json(value)

    def add_chunk_json(self, chunk_json: JSON) -> None:
        """Take the next ``chunk``'s parsed bytes, for a caller that has parsed them
        already; :meth:`add` parses a chunk itself."""
        reader = self._reader
        if reader is None:
            reader = self._reader = ChunkReader(self._family, model_id=self._model_id)
        for item in reader._read_all(chunk_json):
            if type(item) is ContentBlockDelta:  # most chunks: straight to the block
                self._add_converse_delta(item)
            elif isinstance(item, _Opened):
                # An Anthropic text or thinking block's start: Converse has none.
                parts = [item.text] if item.text else []
                self._start(item.index, _Open(item.kind, parts=parts, redacted=item.redacted))
            elif isinstance(item, ChunkError):
                self._error(StreamError(item.type, item.message))
            elif isinstance(item, MessageStop):
                # An Invoke stream has no additional fields: the stop sequence carried there
                # for Converse is Reassembled.stop_sequence only.
                self._message_stop(item)
            else:
                self.add(item)

    def add_anthropic(self, event: AnthropicEvent | None) -> None:
        """Take the Anthropic event inside the next ``chunk`` (``None``: not one), for a
        caller that has read it already; :meth:`add` reads a chunk itself."""
        if event is None:
            return
        if self._reader is None and self._family == "auto":
            self._family = "anthropic"
        self.add_chunk_json(dict(event.body))

    def result(self) -> Reassembled:
        """The message as it stands: call it at the end, or at any point for a partial view."""
        content = tuple(self._finish(self._blocks[i]) for i in sorted(self._blocks))
        errors = [*self._errors]
        if self._errors_dropped:
            errors.append(
                StreamError(
                    "more_errors",
                    f"{self._errors_dropped:,} more errors, not kept (after "
                    f"the first {MAX_ERRORS:,})",
                )
            )
        for (index, _), block in sorted(self._blocks.items()):
            if block.kind == "tool_use" and not (
                block.started or block.flagged or block.superseded
            ):
                errors.append(
                    StreamError(
                        "misplaced_delta",
                        f"tool input for content block {index}, which no start opened",
                    )
                )
        reader = self._reader
        usage, metrics = self._usage, self._metrics
        if reader is not None:  # its running figures: usage from the first chunk on
            usage, metrics = reader.usage, reader.metrics
        notes: list[str] = []
        if self._stop_reason is not None and self._stop_reason not in CONVERSE_STOP_REASONS:
            # Defaulting such a value to a success hides truncation and refusals (opencode
            # #46193, any-llm #1358): it is passed on, and said.
            notes.append(f"stop reason {self._stop_reason!r} is not one of Converse's")
        return Reassembled(
            role=self._role,
            content=content,
            stop_reason=self._stop_reason,
            stop_sequence=self._stop_sequence,
            model=self._model,
            id=self._id,
            usage=usage,
            metrics=metrics,
            additional_model_response_fields=self._additional,
            errors=tuple(errors),
            complete=self._complete and not errors,
            unknown_chunks=() if reader is None else tuple(reader.unknown),
            family=None if reader is None else reader.family,
            notes=tuple(notes),
        )

    @staticmethod
    def _finish(block: _Open) -> Block:
        text = "".join([*block.joined, *block.parts]) if block.joined else "".join(block.parts)
        if block.kind == "tool_use":
            try:
                # No input text at all means an empty input object, as the start event says.
                parsed = loads(text) if text else {}
                ok = True
            except ValueError:
                parsed, ok = None, False
            return ToolUseBlock(block.tool_id, block.tool_name, parsed, text, ok and block.stopped)
        if block.kind == "reasoning":
            signature, redacted = block.signature, block.redacted
            if block.signature_parts:
                signature = (signature or "") + "".join(block.signature_parts)
            if block.redacted_parts:
                redacted = (redacted or b"") + b"".join(block.redacted_parts)
            return ReasoningBlock(text, signature, redacted)
        if block.kind == "tool_result":
            return ToolResultBlock(
                block.tool_id, tuple(block.results), block.result_type, block.status
            )
        if block.kind == "image":
            return ImageBlock(
                block.image_format, b"".join(block.data), block.s3_location, block.error
            )
        return TextBlock(text, tuple(block.citations))


def reassemble(
    events: Iterable[TypedEvent],
    *,
    family: Family | Literal["auto"] = "auto",
    model_id: str | None = None,
) -> Reassembled:
    """Reassemble a whole stream of typed events (pass exceptions as values to keep them);
    Invoke chunks are read as ``family`` (see :class:`Reassembler`)."""
    reassembler = Reassembler(family, model_id=model_id)
    try:
        iterator = iter(events)
    except TypeError:
        raise InputTypeError(
            f"reassemble() takes an iterable of typed events, not a {type(events).__name__}"
        ) from None
    for event in iterator:
        reassembler.add(event)
    return reassembler.result()
