"""Reassembly: turn a stream of typed events into the final message the model produced.

Handles ConverseStream events and InvokeModelWithResponseStream chunks in Anthropic's
streaming format, including what real streams do: text blocks with no start event, a tool
call cut by ``max_tokens`` with no stop, and errors sent inside a normal chunk.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._events import (
    BedrockException,
    Chunk,
    CitationDelta,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    MessageStart,
    MessageStop,
    Metadata,
    ReasoningContentDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
)
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
        self._blocks: dict[int, _Open] = {}
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
            self._add_anthropic(event)
        elif isinstance(event, BedrockException):
            self._errors.append(
                StreamError(
                    event.exception_type or type(event).__name__,
                    event.message,
                    event.status_code,
                    event.retryable,
                )
            )
        elif isinstance(event, MessageStart):
            self._role = event.role
        elif isinstance(event, ContentBlockStart):
            if isinstance(event.start, ToolUseStart):
                self._blocks[event.content_block_index] = _Open(
                    "tool_use", tool_id=event.start.tool_use_id, tool_name=event.start.name
                )
        elif isinstance(event, ContentBlockDelta):
            self._add_converse_delta(event)
        elif isinstance(event, ContentBlockStop):
            self._block(event.content_block_index, "text").stopped = True
        elif isinstance(event, MessageStop):
            self._stop_reason = event.stop_reason
            self._additional = event.additional_model_response_fields
        elif isinstance(event, Metadata):
            self._usage.update(to_wire(event.usage))
            self._metrics.update(to_wire(event.metrics))
            self._complete = True

    def _block(self, index: int, kind: str) -> _Open:
        # Converse sends no contentBlockStart for text or reasoning: the first delta opens it.
        block = self._blocks.get(index)
        if block is None:
            block = self._blocks[index] = _Open(kind)
        return block

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

    def _add_anthropic(self, chunk: Chunk) -> None:
        try:
            body = json.loads(chunk.bytes)
        except (ValueError, RecursionError):
            self._errors.append(StreamError("invalid_chunk", "a chunk's bytes are not JSON"))
            return
        if not isinstance(body, dict):
            return
        kind = body.get("type")
        index = body.get("index")
        if kind == "message_start" and isinstance(body.get("message"), dict):
            message = body["message"]
            self._role = message.get("role", self._role)
            self._model = message.get("model", self._model)
            self._id = message.get("id", self._id)
            if isinstance(message.get("usage"), dict):
                self._usage.update(message["usage"])
        elif kind == "content_block_start" and isinstance(index, int):
            start = body.get("content_block") or {}
            block_type = start.get("type")
            if block_type == "tool_use":
                self._blocks[index] = _Open(
                    "tool_use", tool_id=start.get("id", ""), tool_name=start.get("name", "")
                )
            elif block_type in ("thinking", "redacted_thinking"):
                block = self._blocks[index] = _Open("reasoning")
                if block_type == "redacted_thinking":
                    block.redacted = base64.b64decode(start.get("data", ""))
            else:
                self._blocks[index] = _Open("text", parts=[start.get("text", "")])
        elif kind == "content_block_delta" and isinstance(index, int):
            self._add_anthropic_delta(index, body.get("delta") or {})
        elif kind == "content_block_stop" and isinstance(index, int):
            self._block(index, "text").stopped = True
        elif kind == "message_delta":
            delta = body.get("delta") or {}
            self._stop_reason = delta.get("stop_reason", self._stop_reason)
            self._stop_sequence = delta.get("stop_sequence", self._stop_sequence)
            if isinstance(body.get("usage"), dict):
                self._usage.update(body["usage"])
        elif kind == "message_stop":
            metrics = body.get("amazon-bedrock-invocationMetrics")
            if isinstance(metrics, dict):
                self._metrics.update(metrics)
            self._complete = True
        elif kind == "error":
            # An error can arrive inside a normal chunk (for example overloaded_error).
            error = body.get("error") or {}
            self._errors.append(
                StreamError(str(error.get("type", "error")), str(error.get("message", "")))
            )

    def _add_anthropic_delta(self, index: int, delta: dict[str, Any]) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            self._block(index, "text").parts.append(str(delta.get("text", "")))
        elif kind == "input_json_delta":
            self._block(index, "tool_use").parts.append(str(delta.get("partial_json", "")))
        elif kind == "thinking_delta":
            self._block(index, "reasoning").parts.append(str(delta.get("thinking", "")))
        elif kind == "signature_delta":
            block = self._block(index, "reasoning")
            block.signature = (block.signature or "") + str(delta.get("signature", ""))

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
                parsed = json.loads(text) if text else {}
                ok = True
            except (ValueError, RecursionError):
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
