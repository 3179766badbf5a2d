"""Reassembly: turn a stream of typed events into the final message the model produced.

Handles ConverseStream events and InvokeModelWithResponseStream chunks in Anthropic's
streaming format, including what real streams do: text blocks with no start event, a tool
call cut by ``max_tokens`` with no stop, and errors sent inside a normal chunk.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._anthropic import AnthropicEvent, read_anthropic
from ._events import (
    BedrockException,
    Chunk,
    CitationDelta,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    ErrorFrame,
    MessageStart,
    MessageStop,
    Metadata,
    ReasoningContentDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    UnknownException,
)
from ._json import json_text, loads, pairs_text
from ._streams import TypedEvent
from ._wire import to_wire

__all__ = [
    "Reassembler",
    "reassemble",
    "Reassembled",
    "TextBlock",
    "ToolUseBlock",
    "ReasoningBlock",
    "StreamError",
]


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


Block = TextBlock | ToolUseBlock | ReasoningBlock


@dataclass(frozen=True)
class StreamError:
    """An error the stream carried: an exception frame or an in-band error chunk."""

    type: str
    message: str
    status_code: int | None = None
    retryable: bool | None = None


@dataclass(frozen=True)
class Reassembled:
    """The final message of a stream. ``complete`` says whether the stream reached its end."""

    role: str | None
    content: tuple[Block, ...]
    stop_reason: str | None
    stop_sequence: str | None = None
    model: str | None = None
    id: str | None = None
    #: Token counts as the stream gave them (Converse or Anthropic key names).
    usage: Mapping[str, Any] = field(default_factory=dict)
    #: ``latencyMs`` (Converse) or ``amazon-bedrock-invocationMetrics`` (Invoke) figures.
    metrics: Mapping[str, Any] = field(default_factory=dict)
    additional_model_response_fields: Any = None
    errors: tuple[StreamError, ...] = ()
    complete: bool = False

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
        """``complete``, or ``incomplete:`` and why (the first error, or a missing end)."""
        if self.complete:
            return "complete"
        if self.errors:
            return f"incomplete: ended by {self.errors[0].type}"
        return "incomplete: the stream ended before its last event"

    def rows(self) -> list[tuple[str, str]]:
        """The answer as ``(label, text)`` rows for people: what the CLI and the notebook
        show. A text may span lines."""
        rows: list[tuple[str, str]] = []
        for label, value in (("model", self.model), ("id", self.id), ("role", self.role)):
            if value:
                rows.append((label, value))
        for block in self.content:
            if isinstance(block, TextBlock):
                cited = f"\n({len(block.citations)} citations)" if block.citations else ""
                rows.append(("text", block.text + cited))
            elif isinstance(block, ToolUseBlock):
                state = "" if block.complete else "  (INCOMPLETE: cut off or not valid JSON)"
                shown = (
                    json_text(block.input, separators=(", ", ": "))
                    if block.input is not None
                    else repr(block.input_json)
                )
                rows.append(("tool call", f"{block.name}  id={block.id}{state}\ninput {shown}"))
            elif block.redacted_content is not None:
                rows.append(("reasoning", f"(redacted, {len(block.redacted_content)} bytes)"))
            else:
                signature = block.signature
                signed = f"\n(signature, {len(signature)} characters)" if signature else ""
                rows.append(("reasoning", block.text + signed))
        if not self.content:
            rows.append(("content", "(none)"))
        rows.append(("stop reason", self.stop_reason or "(none)"))
        if self.usage:
            rows.append(("usage", pairs_text(self.usage)))
        if self.metrics:
            rows.append(("metrics", pairs_text(self.metrics)))
        for error in self.errors:
            status = f"HTTP {error.status_code}, " if error.status_code is not None else ""
            retry = {True: "retryable", False: "not retryable", None: "in-band"}[error.retryable]
            rows.append(("error", f"{error.type} ({status}{retry}): {error.message}"))
        return rows

    def to_converse(self) -> dict[str, Any]:
        """The non-streaming Converse response this stream amounts to (boto3's shape)."""
        content: list[dict[str, Any]] = []
        for block in self.content:
            if isinstance(block, TextBlock):
                content.append({"text": block.text})
            elif isinstance(block, ToolUseBlock):
                content.append(
                    {"toolUse": {"toolUseId": block.id, "name": block.name, "input": block.input}}
                )
            elif block.redacted_content is not None:
                content.append({"reasoningContent": {"redactedContent": block.redacted_content}})
            else:
                reasoning: dict[str, Any] = {"text": block.text}
                if block.signature is not None:
                    reasoning["signature"] = block.signature
                content.append({"reasoningContent": {"reasoningText": reasoning}})
        response: dict[str, Any] = {
            "output": {"message": {"role": self.role or "assistant", "content": content}},
            "stopReason": self.stop_reason,
            "usage": dict(self.usage),
            "metrics": dict(self.metrics),
        }
        if self.additional_model_response_fields is not None:
            response["additionalModelResponseFields"] = self.additional_model_response_fields
        return response

    def to_anthropic(self) -> dict[str, Any]:
        """The non-streaming Anthropic Messages response this stream amounts to."""
        content: list[dict[str, Any]] = []
        for block in self.content:
            if isinstance(block, TextBlock):
                content.append({"type": "text", "text": block.text})
            elif isinstance(block, ToolUseBlock):
                content.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
            elif block.redacted_content is not None:
                data = base64.b64encode(block.redacted_content).decode("ascii")
                content.append({"type": "redacted_thinking", "data": data})
            else:
                content.append(
                    {"type": "thinking", "thinking": block.text, "signature": block.signature}
                )
        return {
            "id": self.id,
            "type": "message",
            "role": self.role or "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": dict(self.usage),
        }


@dataclass
class _Open:
    """A block being assembled; ``kind`` is text, tool_use or reasoning."""

    kind: str
    parts: list[str] = field(default_factory=list)
    tool_id: str = ""
    tool_name: str = ""
    signature: str | None = None
    redacted: bytes | None = None
    citations: list[CitationDelta] = field(default_factory=list)
    stopped: bool = False


class Reassembler:
    """Feed typed events one at a time with :meth:`add`; read the result with :meth:`result`.

    No I/O: it serves sync and async streams alike, and a gateway can keep one per request.
    """

    def __init__(self) -> None:
        # Blocks by (content block index, n): a misfit for an index opens block n + 1 there
        # instead of merging into the block it does not belong to. _open: each index's last.
        self._blocks: dict[tuple[int, int], _Open] = {}
        self._open: dict[int, tuple[int, int]] = {}
        self._ended = False  # messageStop + metadata (Converse) or message_stop (Anthropic)
        self._role: str | None = None
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._model: str | None = None
        self._id: str | None = None
        self._usage: dict[str, Any] = {}
        self._metrics: dict[str, Any] = {}
        self._additional: Any = None
        self._errors: list[StreamError] = []
        self._complete = False

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
            self._errors.append(
                StreamError(name, event.message, event.status_code, event.retryable)
            )
        elif isinstance(event, MessageStart):
            self._role = event.role
        elif isinstance(event, ContentBlockStart):
            if isinstance(event.start, ToolUseStart):
                self._start(
                    event.content_block_index,
                    _Open("tool_use", tool_id=event.start.tool_use_id, tool_name=event.start.name),
                )
        elif isinstance(event, ContentBlockDelta):
            self._add_converse_delta(event)
        elif isinstance(event, ContentBlockStop):
            self._stop(event.content_block_index)
        elif isinstance(event, MessageStop):
            self._stop_reason = event.stop_reason
            self._additional = event.additional_model_response_fields
        elif isinstance(event, Metadata):
            self._usage.update(to_wire(event.usage))
            self._metrics.update(to_wire(event.metrics))
            self._complete = self._ended = True

    def _violation(self, kind: str, text: str) -> None:
        self._errors.append(StreamError(kind, text))

    def _current(self, index: int) -> _Open | None:
        if self._ended:
            self._violation("event_after_end", f"content block {index} changed after the end")
        key = self._open.get(index)
        return None if key is None else self._blocks[key]

    def _new(self, index: int, block: _Open) -> _Open:
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
            return self._new(index, _Open(kind))
        return block

    def _start(self, index: int, block: _Open) -> None:
        if self._current(index) is not None:
            self._violation("block_restarted", f"content block {index} started a second time")
        self._new(index, block)

    def _stop(self, index: int) -> None:
        block = self._current(index)
        (block or self._new(index, _Open("text"))).stopped = True

    def _add_converse_delta(self, event: ContentBlockDelta) -> None:
        delta = event.delta
        index = event.content_block_index
        if isinstance(delta, TextDelta):
            self._block(index, "text").parts.append(delta.text)
        elif isinstance(delta, ToolUseDelta):
            self._block(index, "tool_use").parts.append(delta.input)
        elif isinstance(delta, ReasoningContentDelta):
            block = self._block(index, "reasoning")
            if delta.text is not None:
                block.parts.append(delta.text)
            if delta.signature is not None:
                block.signature = (block.signature or "") + delta.signature
            if delta.redacted_content is not None:
                block.redacted = (block.redacted or b"") + delta.redacted_content
        elif isinstance(delta, CitationDelta):
            self._block(index, "text").citations.append(delta)

    def _add_chunk(self, chunk: Chunk) -> None:
        if chunk.bytes is None:
            return  # the model allows a chunk without bytes: it adds nothing
        try:
            value = loads(chunk.bytes)
        except ValueError:
            self._errors.append(StreamError("invalid_chunk", "a chunk's bytes are not JSON"))
            return
        self.add_anthropic(read_anthropic(value))

    def add_anthropic(self, event: AnthropicEvent | None) -> None:
        """Take the Anthropic event inside the next ``chunk`` (``None``: not one), for a
        caller that has read it already; :meth:`add` reads a chunk itself."""
        if event is None:
            return
        kind, index = event.type, event.index
        if kind == "message_start":
            self._role = event.role or self._role
            self._model = event.model or self._model
            self._id = event.id or self._id
            self._usage.update(event.usage)
        elif kind == "content_block_start" and index is not None:
            if event.block_type == "tool_use":
                block = _Open(
                    "tool_use", tool_id=event.tool_id or "", tool_name=event.tool_name or ""
                )
                self._start(index, block)
            elif event.block_type in ("thinking", "redacted_thinking"):
                block = _Open("reasoning")
                self._start(index, block)
                if event.block_type == "redacted_thinking":
                    try:
                        block.redacted = base64.b64decode(event.redacted_data or "")
                    except ValueError:  # binascii.Error is a ValueError
                        self._errors.append(
                            StreamError("invalid_chunk", "redacted_thinking data is not base64")
                        )
            else:
                self._start(index, _Open("text", parts=[event.text or ""]))
        elif kind == "content_block_delta" and index is not None:
            self._add_anthropic_delta(index, event)
        elif kind == "content_block_stop" and index is not None:
            self._stop(index)
        elif kind == "message_delta":
            self._stop_reason = event.stop_reason or self._stop_reason
            self._stop_sequence = event.stop_sequence or self._stop_sequence
            self._usage.update(event.usage)
        elif kind == "message_stop":
            self._metrics.update(event.metrics)
            self._complete = self._ended = True
        elif kind == "error":
            self._errors.append(StreamError(event.error_type or "error", event.error_message or ""))

    def _add_anthropic_delta(self, index: int, event: AnthropicEvent) -> None:
        kind = event.delta_type
        if kind == "text_delta":
            self._block(index, "text").parts.append(event.text or "")
        elif kind == "input_json_delta":
            self._block(index, "tool_use").parts.append(event.text or "")
        elif kind == "thinking_delta":
            self._block(index, "reasoning").parts.append(event.text or "")
        elif kind == "signature_delta":
            block = self._block(index, "reasoning")
            block.signature = (block.signature or "") + (event.signature or "")

    def result(self) -> Reassembled:
        """The message as it stands: call it at the end, or at any point for a partial view."""
        content = tuple(self._finish(self._blocks[i]) for i in sorted(self._blocks))
        return Reassembled(
            role=self._role,
            content=content,
            stop_reason=self._stop_reason,
            stop_sequence=self._stop_sequence,
            model=self._model,
            id=self._id,
            usage=dict(self._usage),
            metrics=dict(self._metrics),
            additional_model_response_fields=self._additional,
            errors=tuple(self._errors),
            complete=self._complete and not self._errors,
        )

    @staticmethod
    def _finish(block: _Open) -> Block:
        text = "".join(block.parts)
        if block.kind == "tool_use":
            try:
                # No input text at all means an empty input object, as the start event says.
                parsed = loads(text) if text else {}
                ok = True
            except ValueError:
                parsed, ok = None, False
            return ToolUseBlock(block.tool_id, block.tool_name, parsed, text, ok and block.stopped)
        if block.kind == "reasoning":
            return ReasoningBlock(text, block.signature, block.redacted)
        return TextBlock(text, tuple(block.citations))


def reassemble(events: Iterable[TypedEvent]) -> Reassembled:
    """Reassemble a whole stream of typed events (pass exceptions as values to keep them)."""
    reassembler = Reassembler()
    for event in events:
        reassembler.add(event)
    return reassembler.result()
