"""Bedrock Converse events ↔ OpenAI ``chat.completion.chunk`` streams, one event at a time.

:class:`BedrockToOpenAI` takes typed Bedrock events (Converse events, or Invoke chunks of
any model family) and returns the SSE bytes of the chunks they make;
:class:`OpenAIToBedrock` reads a chunk stream (SSE bytes, decoded SSE events or parsed JSON)
and returns typed Bedrock events, for a ConverseStream or an Invoke body (each chunk as a
``chunk`` event, the format Bedrock's OpenAI models use).
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .. import EventStreamError
from ..bedrock import (
    BedrockException,
    Chunk,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    InternalServerException,
    MessageStart,
    MessageStop,
    Metadata,
    Metrics,
    ReasoningContentDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    TypedEvent,
    Usage,
)
from ..sse import DONE, ServerSentEvent, SSEDecoder, encode_sse
from ._anthropic import InvokeChunks
from ._common import SSEReading, dumps, json_bytes, loads_event, read_all, sse, write_all
from ._tables import (
    TranslateError,
    expect,
    from_openai_error,
    in_stream,
    openai_error,
    stop_from_openai,
    stop_to_openai,
)

__all__ = ["BedrockToOpenAI", "OpenAIToBedrock", "to_openai", "from_openai"]

BedrockStreamName = Literal["converse", "invoke"]
ReasoningField = Literal["reasoning", "reasoning_content"]

_DONE = encode_sse(DONE)


@dataclass(slots=True)
class _Block:
    """A Converse block on its way out: text, tool (with its dense tool-call index) or
    reasoning (with the signature and redacted content it gathers until its stop)."""

    kind: str
    tool: int = -1
    #: Pieces, joined at the stop: ``+=`` on an attribute copies the whole (quadratic).
    #: ``None`` until one comes: a text delta builds a _Block, and a list each is per event.
    signature: list[str] | None = None
    redacted: bytearray | None = None


class BedrockToOpenAI:
    """Bedrock events in, OpenAI ``chat.completion.chunk`` SSE out, one choice (index 0).

    The role goes out once, in the first chunk. Each tool call gets the next dense index
    (``tool_calls[].index`` counts tool calls, not blocks), its ``id``, ``type`` and
    ``name`` in its first delta only. Reasoning text goes in ``delta.reasoning`` (or
    ``reasoning_content``: ``reasoning_field``); a reasoning block's signature, or its
    redacted content, in one ``reasoning_details`` entry at the block's stop. ``messageStop``
    gives ``finish_reason``; ``metadata`` the usage chunk (``choices: []``, as
    ``stream_options.include_usage`` asks: ``include_usage=False`` leaves it out) and
    ``data: [DONE]``. An exception becomes a ``{"error": ...}`` chunk and ends the stream,
    with no ``[DONE]``.
    """

    def __init__(
        self,
        *,
        model: str = "",
        completion_id: str | None = None,
        created: int | None = None,
        include_usage: bool = True,
        reasoning_field: ReasoningField = "reasoning",
    ) -> None:
        self.model = model
        self.completion_id = completion_id or f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time()) if created is None else created
        self.include_usage = include_usage
        self._reasoning_key = dumps(reasoning_field)
        self._head = ""  # set at the first chunk: the model may come from an Invoke chunk
        # With include_usage, OpenAI sends "usage": null on every chunk but the last.
        self._usage_null = ',"usage":null' if include_usage else ""
        self._tail = f',"logprobs":null,"finish_reason":null}}]{self._usage_null}}}'
        self._blocks: dict[int, _Block] = {}
        self._tools = 0
        self._details = 0
        self._started = False
        #: ``metadata`` came: the usage chunk went out, ``[DONE]`` waits for :meth:`close`
        #: (an exception after the end still goes out as an error chunk).
        self.ended = False
        #: An error chunk went out: nothing more will.
        self.failed = False
        self._closed = False
        self._chunks: InvokeChunks | None = None

    def _chunk(self, delta: str) -> bytes:
        return sse(self._head + delta + self._tail)

    def _start(self, out: list[bytes]) -> None:
        self._started = True
        self._head = (
            f'{{"id":{dumps(self.completion_id)},"object":"chat.completion.chunk",'
            f'"created":{self.created},"model":{dumps(self.model)},'
            '"choices":[{"index":0,"delta":'
        )
        out.append(self._chunk('{"role":"assistant","content":""}'))

    def feed(self, event: TypedEvent) -> list[bytes]:
        """The SSE bytes of the chunks ``event`` makes, in order."""
        if (
            self.failed
            or self._closed
            or (self.ended and not isinstance(event, (BedrockException, Chunk)))
        ):
            return []
        if type(event) is ContentBlockDelta:
            delta = event.delta
            out: list[bytes] = []
            if not self._started:
                self._start(out)
            if type(delta) is TextDelta:
                if delta.text:
                    out.append(sse(f'{self._head}{{"content":{dumps(delta.text)}}}{self._tail}'))
                self._blocks.setdefault(event.content_block_index, _Block("text"))
            elif type(delta) is ToolUseDelta:
                block = self._blocks.get(event.content_block_index)
                if block is None or block.kind != "tool":
                    block = self._open_tool(event.content_block_index, "", "", out)
                if delta.input:
                    out.append(self._chunk(
                        f'{{"tool_calls":[{{"index":{block.tool},'
                        f'"function":{{"arguments":{dumps(delta.input)}}}}}]}}'
                    ))  # fmt: skip
            elif type(delta) is ReasoningContentDelta:
                block = self._blocks.get(event.content_block_index)
                if block is None or block.kind != "reasoning":
                    block = self._blocks[event.content_block_index] = _Block("reasoning")
                if delta.text:
                    out.append(self._chunk(f"{{{self._reasoning_key}:{dumps(delta.text)}}}"))
                if delta.signature is not None:
                    if block.signature is None:
                        block.signature = []
                    block.signature.append(delta.signature)
                if delta.redacted_content is not None:
                    if block.redacted is None:
                        block.redacted = bytearray()
                    block.redacted += delta.redacted_content
            # Citations, tool results, images: chat chunks have no place for them (lossy).
            return out
        out = []
        if isinstance(event, Chunk):
            return self._invoke_chunk(event)
        if isinstance(event, BedrockException):
            return self.error(event)
        if not self._started:
            self._start(out)
        if isinstance(event, ContentBlockStart):
            if isinstance(event.start, ToolUseStart):
                self._open_tool(event.content_block_index, event.start.tool_use_id,
                                event.start.name, out)  # fmt: skip
        elif isinstance(event, ContentBlockStop):
            self._stop(event.content_block_index, out)
        elif isinstance(event, MessageStop):
            for index in list(self._blocks):
                self._stop(index, out)  # a signature not yet sent goes before the end
            reason = dumps(stop_to_openai(event.stop_reason))
            out.append(sse(
                f'{self._head}{{}},"logprobs":null,"finish_reason":{reason}}}]{self._usage_null}}}'
            ))  # fmt: skip
        elif isinstance(event, Metadata):
            if self.include_usage:
                out.append(self._usage(event.usage))
            self.ended = True
        return out

    def _open_tool(self, converse: int, tool_id: str, name: str, out: list[bytes]) -> _Block:
        block = _Block("tool", tool=self._tools)
        self._tools += 1
        self._blocks[converse] = block
        call = {
            "index": block.tool, "id": tool_id, "type": "function",
            "function": {"name": name, "arguments": ""},
        }  # fmt: skip
        out.append(self._chunk(f'{{"tool_calls":[{dumps(call)}]}}'))
        return block

    def _stop(self, converse: int, out: list[bytes]) -> None:
        block = self._blocks.pop(converse, None)
        if block is None or block.kind != "reasoning":
            return
        entry: dict[str, Any] | None = None
        if block.redacted is not None:
            data = base64.b64encode(block.redacted).decode("ascii")
            entry = {"type": "reasoning.encrypted", "data": data}
        elif signature := "".join(block.signature or ()):
            entry = {"type": "reasoning.text", "text": "", "signature": signature}
        if entry is not None:
            # A dense index: the openai SDK merges list entries by it.
            entry["index"] = self._details
            self._details += 1
            out.append(self._chunk(f'{{"reasoning_details":[{dumps(entry)}]}}'))

    def _usage(self, usage: Usage) -> bytes:
        # OpenAI's prompt count includes the cache; Converse's input count does not.
        read = usage.cache_read_input_tokens or 0
        write = usage.cache_write_input_tokens or 0
        prompt = usage.input_tokens + read + write
        counts: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }
        if usage.cache_read_input_tokens is not None:
            counts["prompt_tokens_details"] = {"cached_tokens": read}
        if usage.cache_write_input_tokens is not None:
            # No standard field: Anthropic's name, as LiteLLM sends it.
            counts["cache_creation_input_tokens"] = write
        return sse(
            f'{{"id":{dumps(self.completion_id)},"object":"chat.completion.chunk",'
            f'"created":{self.created},"model":{dumps(self.model)},"choices":[],'
            f'"usage":{dumps(counts)}}}'
        )

    def _invoke_chunk(self, chunk: Chunk) -> list[bytes]:
        # An Invoke chunk, any family's: read into Converse events, then as those.
        if self._chunks is None:
            self._chunks = InvokeChunks(self.model or None)
        events = self._chunks.read(chunk)
        if self._chunks.model and not self.model:
            self.model = self._chunks.model
        return [data for item in events for data in self.feed(item)]

    @staticmethod
    def ping() -> bytes:
        """An SSE comment line: keeps an idle stream open; every SSE reader skips it (chat
        chunks have no ping event)."""
        return b": ping\n\n"

    def error(self, exception: BaseException) -> list[bytes]:
        """The ``{"error": ...}`` chunk that ends the stream for ``exception`` (a Bedrock
        exception by :data:`ERRORS`, anything else as a server error)."""
        if self.failed:
            return []
        if not isinstance(exception, BedrockException):
            exception = InternalServerException(f"the upstream stream failed: {exception}")
        _, body = openai_error(exception)
        out: list[bytes] = []
        if self._started:
            for index in list(self._blocks):
                self._stop(index, out)  # a signature or redacted data held back goes first
        out.append(sse(dumps(body)))
        # Failed once the error event is built: if building it raised, a caller's second
        # error() (to_anthropic's, for what it raised) still ends the stream with one.
        self.failed = True
        return out

    def close(self) -> list[bytes]:
        """End of the input: ``data: [DONE]`` if the stream ended, else the error chunk that
        says it was cut short (never a ``[DONE]`` it did not earn); nothing after an error."""
        if self.failed or self._closed:
            return []
        if self.ended:
            self._closed = True  # [DONE] goes out once
            return [_DONE]
        return self.error(InternalServerException("the Bedrock stream ended before its end"))

    @property
    def finished(self) -> bool:
        """Nothing more will go out but :meth:`close`'s ``[DONE]``."""
        return self.ended or self.failed


def to_openai(
    events: Iterable[TypedEvent],
    *,
    model: str = "",
    completion_id: str | None = None,
    include_usage: bool = True,
) -> Iterator[bytes]:
    """OpenAI chunk SSE for a stream of typed Bedrock events (exceptions as values); an
    error the iteration raises goes out as an error chunk, and ends it. Fails closed: after
    raising, every call raises :class:`~eventstream.DecoderStateError`."""
    return write_all(
        lambda: BedrockToOpenAI(
            model=model, completion_id=completion_id, include_usage=include_usage
        ),
        events,
        "to_openai",
    )


# --- OpenAI → Bedrock ---------------------------------------------------------------------------


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAIToBedrock(SSEReading):
    """OpenAI ``chat.completion.chunk`` events in, typed Bedrock events out.

    ``stream="converse"``: choice 0 becomes Converse blocks with dense indexes. Text and
    reasoning run until something else starts; a ``reasoning_details`` entry (signature or
    encrypted data) ends its reasoning block; each tool call (by its ``index``) is one tool
    block, open until ``finish_reason``, which stops every open block and gives
    ``messageStop``. The usage chunk gives ``metadata``; without one (no
    ``include_usage``), ``[DONE]`` gives a ``metadata`` with zero counts.
    ``stream="invoke"``: each chunk as an Invoke ``chunk`` event, as it came.
    A ``{"error": ...}`` chunk becomes the exception of :data:`ERRORS` the union carries.
    """

    def __init__(self, stream: BedrockStreamName = "converse") -> None:
        if stream not in ("converse", "invoke"):
            raise TranslateError(f"stream must be 'converse' or 'invoke', not {stream!r}")
        self.stream = stream
        self.model: str | None = None
        self.completion_id: str | None = None
        self._next = 0
        self._current: tuple[str, int] | None = None  # the open text or reasoning block
        self._tools: dict[int, int] = {}  # tool-call index -> Converse index, while open
        self._started = False
        self._stopped = False  # finish_reason came
        self._count = 0
        #: The usage chunk (or ``[DONE]``) came: the end (an error after it still counts).
        self.ended = False
        #: An error came, or the end did not: nothing more is read.
        self.failed = False
        self._decoder: SSEDecoder | None = None

    def feed_sse(self, sse: ServerSentEvent) -> list[TypedEvent]:
        """Take one decoded SSE event: a chunk, an error, or ``[DONE]``."""
        expect(sse, ServerSentEvent, "feed_sse takes an eventstream.sse.ServerSentEvent")
        if self.failed:
            return []
        if sse.data.startswith(DONE):  # what the openai SDK tests
            return self.done()
        value = loads_event(sse.data, self._count, "OpenAI")
        if self.stream == "invoke" and not self.ended and not value.get("error"):
            self._count += 1
            self._track(value)
            return [Chunk(bytes=sse.data.encode())]
        return self.feed(value)

    def _track(self, value: dict[str, Any]) -> None:
        if self.model is None and isinstance(value.get("model"), str):
            self.model = value["model"]
        if self.completion_id is None and isinstance(value.get("id"), str):
            self.completion_id = value["id"]
        choices = value.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            self._stopped = self._stopped or bool(choices[0].get("finish_reason"))
        if value.get("usage"):
            self.ended = self._stopped

    def feed(self, value: dict[str, Any]) -> list[TypedEvent]:
        """Take one chunk as parsed JSON."""
        expect(value, dict, "feed takes a chunk's parsed JSON object")
        if self.failed or (self.ended and not value.get("error")):
            return []
        self._count += 1
        if value.get("error"):  # what the openai SDK raises on
            self.failed = True
            return [in_stream(from_openai_error(None, value), self.stream)]
        if self.stream == "invoke":
            self._track(value)
            return [Chunk(bytes=json_bytes(value))]
        if self.model is None and isinstance(value.get("model"), str):
            self.model = value["model"]
        if self.completion_id is None and isinstance(value.get("id"), str):
            self.completion_id = value["id"]
        out: list[TypedEvent] = []
        choices = value.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else None
        if isinstance(choice, dict) and _int(choice.get("index")) in (0, None):
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, out)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason and not self._stopped:
                self._begin(None, out)
                self._close_current(out)
                for index in sorted(self._tools.values()):
                    out.append(ContentBlockStop(content_block_index=index))
                self._tools.clear()
                self._stopped = True
                out.append(MessageStop(stop_reason=stop_from_openai(reason)))
        usage = value.get("usage")
        if isinstance(usage, dict) and self._stopped:
            out.append(_metadata(usage))
            self.ended = True
        return out

    def _begin(self, role: object, out: list[TypedEvent]) -> None:
        if not self._started:
            self._started = True
            out.append(MessageStart(role=role if isinstance(role, str) else "assistant"))

    def _close_current(self, out: list[TypedEvent]) -> None:
        if self._current is not None:
            out.append(ContentBlockStop(content_block_index=self._current[1]))
            self._current = None

    def _block(self, kind: str, out: list[TypedEvent]) -> int:
        if self._current is not None and self._current[0] == kind:
            return self._current[1]
        self._close_current(out)
        self._current = (kind, self._next)
        self._next += 1
        return self._current[1]

    def _delta(self, delta: dict[str, Any], out: list[TypedEvent]) -> None:
        self._begin(delta.get("role"), out)
        for key in ("reasoning", "reasoning_content"):
            text = delta.get(key)
            if isinstance(text, str) and text:
                index = self._block("reasoning", out)
                out.append(ContentBlockDelta(content_block_index=index,
                                             delta=ReasoningContentDelta(text=text)))  # fmt: skip
        details = delta.get("reasoning_details")
        if isinstance(details, list):
            for entry in details:
                if isinstance(entry, dict):
                    self._detail(entry, out)
        for key in ("content", "refusal"):
            text = delta.get(key)
            if isinstance(text, str) and text:
                index = self._block("text", out)
                out.append(ContentBlockDelta(content_block_index=index, delta=TextDelta(text=text)))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                if isinstance(call, dict):
                    self._tool_call(call, out)

    def _detail(self, entry: dict[str, Any], out: list[TypedEvent]) -> None:
        kind = entry.get("type")
        if kind == "reasoning.encrypted" and isinstance(entry.get("data"), str):
            try:
                data = base64.b64decode(entry["data"], validate=True)
            except (binascii.Error, ValueError):
                raise TranslateError(
                    f"OpenAI event {self._count - 1}: reasoning.encrypted data is not base64",
                    frame_index=self._count - 1,
                ) from None
            self._close_current(out)
            index = self._block("reasoning", out)
            redacted = ReasoningContentDelta(redacted_content=data)
            out.append(ContentBlockDelta(content_block_index=index, delta=redacted))
            self._close_current(out)
        elif isinstance(entry.get("signature"), str):
            index = self._block("reasoning", out)
            signature = ReasoningContentDelta(signature=entry["signature"])
            out.append(ContentBlockDelta(content_block_index=index, delta=signature))
            self._close_current(out)  # a signature ends its block

    def _tool_call(self, call: dict[str, Any], out: list[TypedEvent]) -> None:
        number = _int(call.get("index"))
        if number is None:
            number = len(self._tools)
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        index = self._tools.get(number)
        if index is None:
            self._close_current(out)
            index = self._tools[number] = self._next
            self._next += 1
            tool_id, name = call.get("id"), function.get("name")
            start = ToolUseStart(
                tool_use_id=tool_id if isinstance(tool_id, str) else "",
                name=name if isinstance(name, str) else "",
            )
            out.append(ContentBlockStart(content_block_index=index, start=start))
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            out.append(ContentBlockDelta(content_block_index=index,
                                         delta=ToolUseDelta(input=arguments)))  # fmt: skip

    def done(self) -> list[TypedEvent]:
        """``data: [DONE]``: the end. Without a usage chunk, zero counts; without a
        ``finish_reason``, not an answer: an exception."""
        if self.finished:
            return []
        if not self._stopped:
            self.failed = True
            return [InternalServerException("the OpenAI stream ended without a finish_reason")]
        self.ended = True
        if self.stream == "invoke":
            return []
        return [_metadata({})]

    @property
    def finished(self) -> bool:
        """The stream has ended: its usage, ``[DONE]`` or an error came."""
        return self.ended or self.failed

    def close(self) -> list[TypedEvent]:
        """End of the input: nothing if the stream ended; else what ``[DONE]`` would give
        after a ``finish_reason`` (a plain close also ends an OpenAI stream), or the
        exception that says it was cut short."""
        if self._decoder is not None:
            try:
                self._decoder.close()
            except EventStreamError:
                self._stopped = False  # cut inside an event: not an answer
        return self.done()


def _metadata(usage: dict[str, Any]) -> Metadata:
    def count(value: object) -> int:
        number = _int(value)
        return number if number is not None and number >= 0 else 0

    prompt, completion = count(usage.get("prompt_tokens")), count(usage.get("completion_tokens"))
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    read = count(cached) if cached is not None else None
    written = usage.get("cache_creation_input_tokens")
    write = count(written) if written is not None else None
    total = _int(usage.get("total_tokens"))
    return Metadata(
        usage=Usage(
            input_tokens=max(prompt - (read or 0) - (write or 0), 0),
            output_tokens=completion,
            total_tokens=total if total is not None else prompt + completion,
            cache_read_input_tokens=read,
            cache_write_input_tokens=write,
        ),
        metrics=Metrics(latency_ms=0),
    )


def from_openai(
    body: Iterable[bytes], stream: BedrockStreamName = "converse"
) -> Iterator[TypedEvent]:
    """Typed Bedrock events for an OpenAI chunk SSE body given in slices; a body that ends
    early ends in an exception event. Fails closed: after raising, every call raises
    :class:`~eventstream.DecoderStateError`."""
    return read_all(lambda: OpenAIToBedrock(stream), body, "from_openai")
