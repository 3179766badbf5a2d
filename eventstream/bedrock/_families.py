"""Model families on InvokeModelWithResponseStream, read as typed Converse events.

Each family's ``chunk`` bytes are JSON in the model's own format. :data:`FAMILIES` holds one
declarative table per family: the model ids it answers to, the chunk layouts it sends
(where each keeps its text, reasoning, tool calls, stop reason and token counts) and its
stop reasons in Converse's words. Four readers apply the tables: Anthropic's Messages events,
Converse-shaped events (Nova), flat completions (Llama, Mistral, Titan, Cohere, DeepSeek)
and chat-completion chunks (OpenAI gpt-oss, AI21 Jamba, Mistral's chat models).

:class:`ChunkReader` turns one stream's chunks into :class:`MessageStart`,
:class:`ContentBlockStart`, :class:`ContentBlockDelta`, :class:`ContentBlockStop`,
:class:`MessageStop` and :class:`Metadata`, as ConverseStream would send them, so that
reassembly and translators take every family the same way. Where Converse has no field for
a fact, the event's ``extra`` keeps it (``model`` and ``id`` on the message start, the
model's own ``modelStopReason`` on the message stop); an Anthropic stop sequence is in the
message stop's ``additional_model_response_fields`` as ``stop_sequence``, where Converse puts
it when asked for ``/stop_sequence``. The model's JSON is read through type checks: an odd
value leaves a fact out, never raises.

Facts: ``gateway-formats.md`` sections 4 and 6, and each provider's Bedrock parameters page.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import unquote

from .._errors import ConfigurationError
from ._anthropic import AnthropicEvent, read_anthropic
from ._events import (
    CacheDetail,
    Chunk,
    CitationDelta,
    CitationLocation,
    CitationSourceContent,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    DocumentSpan,
    MessageStart,
    MessageStop,
    Metadata,
    Metrics,
    ReasoningContentDelta,
    SearchResultSpan,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    Usage,
    WebLocation,
)
from ._json import json_text, loads
from ._streams import text_delta_event
from ._wire import JSON, WireError, from_wire

__all__ = [
    "Family",
    "FAMILIES",
    "FamilyTable",
    "ChunkFormat",
    "ChunkReader",
    "ChunkError",
    "ChunkEvent",
    "family_of",
    "detect_family",
    "chunk_events",
]

#: The model families whose Invoke chunks this library reads.
Family = Literal[
    "anthropic", "nova", "llama", "mistral", "ai21", "cohere", "openai", "deepseek", "titan"
]

#: A place in a chunk's JSON: keys and list positions, outermost first.
Path = tuple[str | int, ...]

#: The key Bedrock adds to a stream's last chunk, whatever the family.
INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"


@dataclass(frozen=True)
class ChunkFormat:
    """One chunk layout a family sends, and where it keeps each fact.

    ``kind`` names the reader: ``anthropic`` (Messages stream events), ``converse`` (one
    Converse event name per chunk), ``completion`` (text and counts at fixed places) or
    ``chat`` (chat-completion chunks: ``choices[0]`` with a ``delta`` or ``message``).
    A chunk has this layout when every ``marker`` path holds a value and every ``marker_equals``
    path holds the value given. Each fact is a tuple of paths: the first one present wins.
    ``detect``: whether the layout alone names the family (false where another family's
    chunks look the same). Paths of a ``chat`` layout start at the choice, except the token
    counts, which start at the chunk.
    """

    kind: Literal["anthropic", "converse", "completion", "chat"]
    marker: tuple[Path, ...] = ()
    marker_equals: tuple[tuple[Path, object], ...] = ()
    detect: bool = True
    text: tuple[Path, ...] = ()
    #: Read the text only when this path holds this value (Cohere's ``event_type``).
    text_when: tuple[Path, str] | None = None
    stop: tuple[Path, ...] = ()
    input_tokens: tuple[Path, ...] = ()
    output_tokens: tuple[Path, ...] = ()
    #: Prompt tokens read from the cache (chat: counted in the input tokens too).
    cache_read_tokens: tuple[Path, ...] = ()
    #: Whole tool calls: a list of objects with ``name`` and the input under ``tool_input``.
    tool_calls: Path | None = None
    tool_calls_when: tuple[Path, str] | None = None
    tool_input: str = "parameters"


@dataclass(frozen=True)
class FamilyTable:
    """A model family: the model ids it answers to (after any Region prefix such as ``us.``),
    the chunk layouts it sends, its stop reasons in Converse's words (a value not in the
    table is passed on as the model wrote it) and where the facts come from."""

    name: Family
    model_prefixes: tuple[str, ...]
    formats: tuple[ChunkFormat, ...]
    stop_reasons: Mapping[str, str]
    source: str


def _reasons(**pairs: str) -> Mapping[str, str]:
    return MappingProxyType(pairs)


_OPENAI_CHUNK = ChunkFormat(
    "chat",
    marker=(("choices",),),
    marker_equals=((("object",), "chat.completion.chunk"),),
    stop=(("finish_reason",),),
    input_tokens=(("usage", "prompt_tokens"),),
    output_tokens=(("usage", "completion_tokens"),),
    cache_read_tokens=(("usage", "prompt_tokens_details", "cached_tokens"),),
)

_LLAMA = ChunkFormat(
    "completion",
    marker=(("generation",),),
    text=(("generation",),),
    stop=(("stop_reason",),),
    input_tokens=(("prompt_token_count",),),
    output_tokens=(("generation_token_count",),),
)

# Detection tries the families in this order: the more particular layouts first, AI21's
# plain ``choices`` last.
FAMILIES: Mapping[Family, FamilyTable] = MappingProxyType(
    {
        "anthropic": FamilyTable(
            "anthropic",
            ("anthropic.",),
            (ChunkFormat("anthropic"),),
            # Converse has every Anthropic stop reason but pause_turn and refusal: those two
            # are passed on as they are (gateway-formats.md 6.1).
            _reasons(),
            "Anthropic Messages streaming events, amazon-bedrock-invocationMetrics on "
            "message_stop (captures: envoy-ai-gateway, aimock)",
        ),
        "nova": FamilyTable(
            "nova",
            ("amazon.nova-",),
            (ChunkFormat("converse"),),
            _reasons(),
            "Amazon Nova messages-v1: one Converse event per chunk (Nova user guide, "
            '"Using the Invoke API"); usage in metadata',
        ),
        "llama": FamilyTable(
            "llama",
            ("meta.",),
            (_LLAMA,),
            _reasons(stop="end_turn", length="max_tokens"),
            "Meta Llama models page: generation, prompt_token_count, generation_token_count, "
            "stop_reason (stop, length)",
        ),
        "titan": FamilyTable(
            "titan",
            ("amazon.titan-text", "amazon.titan-tg1"),
            (
                ChunkFormat(
                    "completion",
                    marker=(("outputText",),),
                    text=(("outputText",),),
                    stop=(("completionReason",),),
                    input_tokens=(("inputTextTokenCount",),),
                    output_tokens=(("totalOutputTextTokenCount",),),
                ),
            ),
            _reasons(
                FINISH="end_turn",
                LENGTH="max_tokens",
                STOP_CRITERIA_MET="stop_sequence",
                CONTENT_FILTERED="content_filtered",
            ),
            "Amazon Titan Text page: outputText, completionReason, token counts",
        ),
        "cohere": FamilyTable(
            "cohere",
            ("cohere.command",),
            (
                # Command R and R+: stream events; the stream-end one repeats the whole
                # response, so only text-generation events add text.
                ChunkFormat(
                    "completion",
                    marker=(("event_type",),),
                    text=(("text",),),
                    text_when=(("event_type",), "text-generation"),
                    stop=(("finish_reason",),),
                    input_tokens=(
                        ("response", "meta", "tokens", "input_tokens"),
                        ("response", "meta", "billed_units", "input_tokens"),
                    ),
                    output_tokens=(
                        ("response", "meta", "tokens", "output_tokens"),
                        ("response", "meta", "billed_units", "output_tokens"),
                    ),
                    tool_calls=("tool_calls",),
                    tool_calls_when=(("event_type",), "tool-calls-generation"),
                ),
                # Command (text): generations[0].
                ChunkFormat(
                    "completion",
                    marker=(("generations", 0, "text"),),
                    text=(("generations", 0, "text"),),
                    stop=(("generations", 0, "finish_reason"), ("finish_reason",)),
                ),
            ),
            _reasons(
                COMPLETE="end_turn",
                MAX_TOKENS="max_tokens",
                STOP_SEQUENCE="stop_sequence",
                TOOL_CALL="tool_use",
                ERROR_TOXIC="content_filtered",
                ERROR_LIMIT="model_context_window_exceeded",
            ),
            "Cohere Command R and R+ page: stream events (text-generation, "
            "tool-calls-generation, stream-end with finish_reason and response)",
        ),
        "mistral": FamilyTable(
            "mistral",
            ("mistral.",),
            (
                ChunkFormat(
                    "completion",
                    marker=(("outputs", 0),),
                    text=(("outputs", 0, "text"),),
                    stop=(("outputs", 0, "stop_reason"), ("stop_reason",)),
                ),
                # The chat models (Mistral Large 2407 and later) send AI21's v1 layout.
                ChunkFormat(
                    "chat",
                    marker=(("choices",),),
                    detect=False,
                    stop=(("stop_reason",), ("finish_reason",)),
                ),
            ),
            _reasons(
                stop="end_turn",
                length="max_tokens",
                model_length="model_context_window_exceeded",
                tool_calls="tool_use",
            ),
            "Mistral AI models page: outputs[0].text and stop_reason; chat models: "
            "choices[0].message",
        ),
        "openai": FamilyTable(
            "openai",
            ("openai.",),
            (_OPENAI_CHUNK,),
            _reasons(
                stop="end_turn",
                length="max_tokens",
                tool_calls="tool_use",
                function_call="tool_use",
                content_filter="content_filtered",
            ),
            "OpenAI models page (gpt-oss): the request is OpenAI's Create chat completion; "
            "chunks are chat.completion.chunk",
        ),
        "deepseek": FamilyTable(
            "deepseek",
            ("deepseek.",),
            (
                ChunkFormat(
                    "completion",
                    marker=(("choices", 0, "text"),),
                    text=(("choices", 0, "text"),),
                    stop=(("choices", 0, "stop_reason"), ("choices", 0, "finish_reason")),
                ),
                ChunkFormat(
                    "chat",
                    marker=(("choices",),),
                    detect=False,
                    stop=(("finish_reason",), ("stop_reason",)),
                    input_tokens=_OPENAI_CHUNK.input_tokens,
                    output_tokens=_OPENAI_CHUNK.output_tokens,
                ),
                # The distilled R1 models answer in Llama's layout (langchain-aws #353).
                dataclasses.replace(_LLAMA, detect=False),
            ),
            _reasons(stop="end_turn", length="max_tokens", tool_calls="tool_use"),
            "DeepSeek models page: choices[0].text and stop_reason (stop, length); LiteLLM and "
            "langchain-aws #353 also see Llama's layout",
        ),
        "ai21": FamilyTable(
            "ai21",
            ("ai21.",),
            (
                # v1 choices[0].message with stop_reason; v2 choices[0].delta with
                # finish_reason and usage (captures: ai21-python).
                ChunkFormat(
                    "chat",
                    marker=(("choices",),),
                    stop=(("finish_reason",), ("stop_reason",)),
                    input_tokens=_OPENAI_CHUNK.input_tokens,
                    output_tokens=_OPENAI_CHUNK.output_tokens,
                ),
            ),
            _reasons(stop="end_turn", length="max_tokens", tool_calls="tool_use"),
            "AI21 Jamba page and the ai21-python captures: chat-completion chunks",
        ),
    }
)

_ANTHROPIC_TYPES = frozenset(
    {"message_start", "content_block_start", "content_block_delta", "content_block_stop",
     "message_delta", "message_stop", "ping", "error"}
)  # fmt: skip
_CONVERSE_EVENTS: Mapping[str, type] = MappingProxyType(
    {
        "messageStart": MessageStart,
        "contentBlockStart": ContentBlockStart,
        "contentBlockDelta": ContentBlockDelta,
        "contentBlockStop": ContentBlockStop,
        "messageStop": MessageStop,
        "metadata": Metadata,
    }
)


def family_of(model_id: str | None) -> Family | None:
    """The family of a model id, inference profile id (``us.``...), ARN or URL path
    (``/model/<id>/invoke-with-response-stream``); ``None`` if none matches."""
    if not isinstance(model_id, str) or not model_id:
        return None
    text = unquote(model_id).lower()
    if "/model/" in text:  # a request path
        text = text.split("/model/", 1)[1].split("/", 1)[0]
    text = text.rsplit("/", 1)[-1]  # an ARN's resource: foundation-model/..., inference-profile/...
    for candidate in (text, text.split(".", 1)[-1]):  # as is, then without a Region prefix
        for table in FAMILIES.values():
            if candidate.startswith(table.model_prefixes):
                return table.name
    return None


def detect_family(chunk_json: JSON) -> Family | None:
    """The family whose chunk layout ``chunk_json`` (a chunk's parsed bytes) has; ``None``
    when no layout fits. Where two families' chunks look the same, the first in
    :data:`FAMILIES` is named: the events they give are the same."""
    for table in FAMILIES.values():
        if any(f.detect and _fits(f, chunk_json) for f in table.formats):
            return table.name
    return None


def _fits(layout: ChunkFormat, value: JSON) -> bool:
    if not isinstance(value, dict):
        return False
    if layout.kind == "anthropic":
        kind = value.get("type")
        # A str test first: a list or an object there is not hashable ({"type": [1]}).
        return type(kind) is str and kind in _ANTHROPIC_TYPES
    if layout.kind == "converse":
        return any(key in _CONVERSE_EVENTS for key in value)
    return all(_at(value, p) is not None for p in layout.marker) and all(
        _at(value, p) == v for p, v in layout.marker_equals
    )


@dataclass(frozen=True)
class ChunkError:
    """An error a chunk carried or was: an in-band error event (Anthropic's ``error``, with
    its ``type``), or ``invalid_chunk`` for content that does not fit its layout."""

    type: str
    message: str


@dataclass(frozen=True)
class _Opened:
    """Inside the package only: an Anthropic block start that Converse has no event for (a
    text or reasoning block). Reassembly needs it to tell a restarted block; public readers
    get the Converse delta it amounts to, if any."""

    index: int
    kind: str  # text or reasoning
    text: str = ""
    redacted: bytes | None = None


#: What a chunk reads as: Converse events, and in-band errors.
ChunkEvent = (
    MessageStart
    | ContentBlockStart
    | ContentBlockDelta
    | ContentBlockStop
    | MessageStop
    | Metadata
    | ChunkError
)


class ChunkReader:
    """Reads one Invoke stream's chunks, in order, as Converse events.

    ``family`` is a :data:`Family`, or ``"auto"``: from ``model_id`` if it names one, else
    from the first chunk whose layout fits a family. :meth:`read` takes each chunk's parsed
    JSON and returns the events it amounts to (none, one or several). A chunk that fits no
    layout of the family is kept in :attr:`unknown`. Between chunks, :attr:`usage`,
    :attr:`metrics`, :attr:`model` and :attr:`message_id` give what the stream has said so
    far (a gateway can send input tokens before the end).
    """

    def __init__(
        self, family: Family | Literal["auto"] = "auto", *, model_id: str | None = None
    ) -> None:
        self.family: Family | None
        #: How :attr:`family` was chosen.
        self.family_note: str
        if family == "auto":
            self.family = family_of(model_id)
            self.family_note = "from the model id" if self.family else "not known yet"
        elif family in FAMILIES:
            self.family, self.family_note = family, "as given"
        else:
            raise ConfigurationError(
                f"family must be 'auto' or one of {', '.join(FAMILIES)}, not {family!r}"
            )
        self.model: str | None = None
        self.message_id: str | None = None
        #: The chunks that fit no layout of the family, parsed, in order.
        self.unknown: list[JSON] = []
        self._usage: dict[str, Any] = {}  # Converse names, or Anthropic's for that family
        self._metrics: dict[str, Any] = {}  # amazon-bedrock-invocationMetrics
        self._latency: int | None = None  # Nova's metadata.metrics.latencyMs
        self._started = self._stopped = self._ended = False
        # Blocks this reader numbers itself (completion and chat layouts): open ones, the
        # next index, the text and reasoning block now open, and each tool call's block.
        self._open: list[int] = []
        self._next = 0
        self._text: int | None = None
        self._reasoning: int | None = None
        self._tools: dict[object, int] = {}

    # --- what the stream has said so far ------------------------------------------------

    @property
    def usage(self) -> Usage | None:
        """Token counts so far, in Converse's terms (``None`` before any)."""
        return usage_of(self._usage, self._metrics)

    @property
    def metrics(self) -> Metrics | None:
        """Latency and Bedrock's invocation metrics so far (``None`` before any)."""
        if self._latency is not None:  # Nova's own figure first, Bedrock's beside it
            return Metrics(latency_ms=self._latency, extra=self._metrics)
        return metrics_of(self._metrics)

    @property
    def ended(self) -> bool:
        """Whether the stream's end (its :class:`Metadata`) has been read."""
        return self._ended

    # --- reading ----------------------------------------------------------------------

    def read(self, chunk_json: JSON) -> list[ChunkEvent]:
        """The Converse events (and in-band errors) one chunk amounts to."""
        events: list[ChunkEvent] = []
        for item in self._read_all(chunk_json):
            if isinstance(item, _Opened):
                if item.redacted is not None:
                    delta: Any = ReasoningContentDelta(redacted_content=item.redacted)
                elif item.text:
                    delta = (
                        TextDelta(text=item.text)
                        if item.kind == "text"
                        else ReasoningContentDelta(text=item.text)
                    )
                else:
                    continue
                events.append(ContentBlockDelta(content_block_index=item.index, delta=delta))
            else:
                events.append(item)
        return events

    def read_chunk(self, chunk: Chunk) -> list[ChunkEvent]:
        """:meth:`read` for a typed ``chunk`` event: its bytes parsed (strict JSON); bytes
        that are not JSON are one ``invalid_chunk`` error, a chunk without bytes nothing."""
        if chunk.bytes is None:
            return []
        try:
            value = loads(chunk.bytes)
        except ValueError:
            return [ChunkError("invalid_chunk", "a chunk's bytes are not JSON")]
        return self.read(value)

    def _read_all(self, chunk_json: JSON) -> list[ChunkEvent | _Opened]:
        """:meth:`read`, with the block starts Converse has no event for (package use)."""
        # Claude's text deltas, nearly every chunk of its streams, without the general
        # reader's AnthropicEvent: the same event (tests/test_families.py), ~3 us less each.
        if self.family == "anthropic" and type(chunk_json) is dict:
            delta = chunk_json.get("delta")
            index = chunk_json.get("index")
            if (
                chunk_json.get("type") == "content_block_delta"
                and type(index) is int
                and type(delta) is dict
                and delta.get("type") == "text_delta"
            ):
                text = delta.get("text")
                if type(text) is str:
                    return [text_delta_event(index, text)]
        if isinstance(chunk_json, dict) and chunk_json.keys() == {INVOCATION_METRICS}:
            # Bedrock's figures in a chunk of their own: the end, whatever the family.
            return self._end_if_metrics(chunk_json)
        layout = self._layout(chunk_json)
        if layout is None:
            self.unknown.append(chunk_json)
            return []
        assert isinstance(chunk_json, dict)  # _layout fits only objects
        if layout.kind == "anthropic":
            return self._anthropic(read_anthropic(chunk_json))
        if layout.kind == "converse":
            return self._converse(chunk_json)
        if layout.kind == "completion":
            events = self._completion(layout, chunk_json)
        else:
            events = self._chat(layout, chunk_json)
        return events + self._end_if_metrics(chunk_json)

    def _layout(self, value: JSON) -> ChunkFormat | None:
        if self.family is None:
            found = detect_family(value)
            if found is None:
                return None
            self.family, self.family_note = found, "from the chunks"
        formats = FAMILIES[self.family].formats
        if len(formats) == 1:  # most families: no generator per chunk
            return formats[0] if _fits(formats[0], value) else None
        return next((f for f in formats if _fits(f, value)), None)

    def _stop_reason(self, reason: str) -> tuple[str, dict[str, Any]]:
        assert self.family is not None
        mapped = FAMILIES[self.family].stop_reasons.get(reason, reason)
        return mapped, ({} if mapped == reason else {"modelStopReason": reason})

    # --- Anthropic ----------------------------------------------------------------------

    def _anthropic(self, event: AnthropicEvent | None) -> list[ChunkEvent | _Opened]:
        assert event is not None  # the layout fits only objects with a known type
        kind, index = event.type, event.index
        if kind == "content_block_delta" and index is not None:  # most chunks: first
            delta = _anthropic_delta(event)
            if delta is None:
                self.unknown.append(dict(event.body))
                return []
            return [ContentBlockDelta(content_block_index=index, delta=delta)]
        if kind == "message_start":
            self.model = event.model or self.model
            self.message_id = event.id or self.message_id
            self._usage.update(event.usage)
            extra = {k: v for k, v in (("model", event.model), ("id", event.id)) if v}
            return [MessageStart(role=event.role or "assistant", extra=extra)]
        if kind == "content_block_start" and index is not None:
            return self._anthropic_start(index, event)
        if kind == "content_block_stop" and index is not None:
            return [ContentBlockStop(content_block_index=index)]
        if kind == "message_delta":
            self._usage.update(event.usage)
            if event.stop_reason is None:
                return []
            reason, extra = self._stop_reason(event.stop_reason)
            fields = None if event.stop_sequence is None else {"stop_sequence": event.stop_sequence}
            self._stopped = True
            return [
                MessageStop(
                    stop_reason=reason, additional_model_response_fields=fields, extra=extra
                )
            ]
        if kind == "message_stop":
            self._metrics.update(event.metrics)
            return [self._metadata()]
        if kind == "error":
            return [ChunkError(event.error_type or "error", event.error_message or "")]
        if kind != "ping":
            self.unknown.append(dict(event.body))
        return []

    def _anthropic_start(self, index: int, event: AnthropicEvent) -> list[ChunkEvent | _Opened]:
        if event.block_type == "tool_use":
            start = ToolUseStart(tool_use_id=event.tool_id or "", name=event.tool_name or "")
            return [ContentBlockStart(content_block_index=index, start=start)]
        if event.block_type == "redacted_thinking":
            try:
                data = base64.b64decode(event.redacted_data or "")
            except (binascii.Error, ValueError):
                return [
                    _Opened(index, "reasoning"),
                    ChunkError("invalid_chunk", "redacted_thinking data is not base64"),
                ]
            return [_Opened(index, "reasoning", redacted=data)]
        if event.block_type == "thinking":
            thinking = _str(_at(event.body, ("content_block", "thinking")))
            return [_Opened(index, "reasoning", thinking or "")]
        # text, and block types this library does not know, assemble as text.
        return [_Opened(index, "text", event.text or "")]

    # --- Converse-shaped (Nova) ---------------------------------------------------------

    def _converse(self, value: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = []
        metrics = value.get(INVOCATION_METRICS)
        if isinstance(metrics, dict):
            self._metrics.update(metrics)
        for key, cls in _CONVERSE_EVENTS.items():
            body = value.get(key)
            if body is None:
                continue
            if key == "metadata":
                events.extend(self._nova_metadata(body))
                continue
            try:
                event: Any = from_wire(cls, body)
            except WireError as exc:
                events.append(ChunkError("invalid_chunk", f"a {key} chunk: {exc}"))
                continue
            if isinstance(event, MessageStop):
                self._stopped = True
            events.append(event)
        return events

    def _nova_metadata(self, body: JSON) -> list[ChunkEvent | _Opened]:
        if not isinstance(body, dict):
            return [ChunkError("invalid_chunk", "a metadata chunk that is not an object")]
        usage = body.get("usage")
        if isinstance(usage, dict):
            self._usage.update(usage)
        latency = _at(body, ("metrics", "latencyMs"))
        if _int(latency) is not None:
            self._latency = latency
        return [self._metadata()]

    # --- completion layouts -------------------------------------------------------------

    def _completion(self, layout: ChunkFormat, value: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = self._start()
        if layout.text_when is None or _at(value, layout.text_when[0]) == layout.text_when[1]:
            text = _str(_first(value, layout.text))
            if text:
                events += self._text_delta(text)
        if layout.tool_calls is not None and (
            layout.tool_calls_when is None
            or _at(value, layout.tool_calls_when[0]) == layout.tool_calls_when[1]
        ):
            calls = _at(value, layout.tool_calls)
            for call in calls if isinstance(calls, list) else ():
                if isinstance(call, dict):
                    events += self._whole_tool_call(call, layout.tool_input)
        self._counts(layout, value)
        reason = _str(_first(value, layout.stop))
        if reason is not None:
            events += self._message_stop(reason)
        return events

    def _counts(self, layout: ChunkFormat, value: JSON, cached_in_input: bool = False) -> None:
        inputs = _int(_first(value, layout.input_tokens))
        outputs = _int(_first(value, layout.output_tokens))
        cached = _int(_first(value, layout.cache_read_tokens))
        if inputs is not None:
            # OpenAI's prompt_tokens counts cached tokens too; Converse's inputTokens does not.
            self._usage["inputTokens"] = inputs - cached if cached and cached_in_input else inputs
        if cached is not None:
            self._usage["cacheReadInputTokens"] = cached
        if outputs is not None:  # the counts are running totals: the last one holds
            self._usage["outputTokens"] = outputs

    # --- chat-completion chunks ---------------------------------------------------------

    def _chat(self, layout: ChunkFormat, value: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = []
        if self.model is None:
            self.model = _str(value.get("model"))
        if self.message_id is None:
            self.message_id = _str(value.get("id"))
        choice = _at(value, ("choices", 0))
        if isinstance(choice, dict):
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = choice.get("message")
            if isinstance(delta, dict):
                events += self._start(_str(delta.get("role")))
                events += self._chat_delta(delta)
        self._counts(layout, value, cached_in_input=True)
        reason = _str(_first(choice, layout.stop)) if isinstance(choice, dict) else None
        if reason is not None:
            events += self._message_stop(reason)
        return events

    def _chat_delta(self, delta: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = []
        # vLLM and DeepSeek send reasoning beside the content, under either name.
        reasoning = _str(delta.get("reasoning_content")) or _str(delta.get("reasoning"))
        if reasoning:
            if self._reasoning is None:
                events += self._close_text()
                self._reasoning = self._open_block()
            piece = ReasoningContentDelta(text=reasoning)
            events.append(ContentBlockDelta(content_block_index=self._reasoning, delta=piece))
        text = _str(delta.get("content"))
        if text:
            events += self._text_delta(text)
        calls = delta.get("tool_calls")
        for position, call in enumerate(calls if isinstance(calls, list) else ()):
            if isinstance(call, dict):
                events += self._tool_call_piece(position, call)
        return events

    def _tool_call_piece(self, position: int, call: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        # A call's first piece has its index, id and name; later pieces only the index and a
        # fragment of the arguments (gateway-formats.md 3).
        key = _int(call.get("index"))
        key = position if key is None else key
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        events: list[ChunkEvent | _Opened] = []
        block = self._tools.get(key)
        if block is None:
            events += self._close_text()
            block = self._tools[key] = self._open_block()
            start = ToolUseStart(
                tool_use_id=_str(call.get("id")) or "", name=_str(function.get("name")) or ""
            )
            events.append(ContentBlockStart(content_block_index=block, start=start))
        arguments = function.get("arguments")
        if isinstance(arguments, dict):  # a whole call, as some layouts send it
            arguments = json_text(arguments)
        if isinstance(arguments, str) and arguments:
            piece = ToolUseDelta(input=arguments)
            events.append(ContentBlockDelta(content_block_index=block, delta=piece))
        return events

    # --- shared by the layouts this reader numbers blocks for ---------------------------

    def _start(self, role: str | None = None) -> list[ChunkEvent | _Opened]:
        if self._started:
            return []
        self._started = True
        extra = {k: v for k, v in (("model", self.model), ("id", self.message_id)) if v}
        return [MessageStart(role=role or "assistant", extra=extra)]

    def _open_block(self) -> int:
        index = self._next
        self._next += 1
        self._open.append(index)
        return index

    def _close(self, index: int) -> list[ChunkEvent | _Opened]:
        self._open.remove(index)
        return [ContentBlockStop(content_block_index=index)]

    def _close_text(self) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = []
        for name in ("_text", "_reasoning"):
            index = getattr(self, name)
            if index is not None:
                events += self._close(index)
                setattr(self, name, None)
        return events

    def _text_delta(self, text: str) -> list[ChunkEvent | _Opened]:
        events: list[ChunkEvent | _Opened] = []
        if self._text is None:
            if self._reasoning is not None:
                events += self._close(self._reasoning)
                self._reasoning = None
            self._text = self._open_block()
        events.append(ContentBlockDelta(content_block_index=self._text, delta=TextDelta(text=text)))
        return events

    def _whole_tool_call(self, call: dict[str, Any], input_key: str) -> list[ChunkEvent | _Opened]:
        events = self._close_text()
        index = self._open_block()
        start = ToolUseStart(
            tool_use_id=_str(call.get("id")) or "", name=_str(call.get("name")) or ""
        )
        events.append(ContentBlockStart(content_block_index=index, start=start))
        arguments = call.get(input_key)
        if arguments is not None:
            text = arguments if isinstance(arguments, str) else json_text(arguments)
            piece = ToolUseDelta(input=text)
            events.append(ContentBlockDelta(content_block_index=index, delta=piece))
        return events + self._close(index)

    def _message_stop(self, reason: str) -> list[ChunkEvent | _Opened]:
        if self._stopped:
            return []
        events: list[ChunkEvent | _Opened] = self._start()
        for index in list(self._open):
            events += self._close(index)
        self._text = self._reasoning = None
        self._tools.clear()
        self._stopped = True
        mapped, extra = self._stop_reason(reason)
        events.append(MessageStop(stop_reason=mapped, extra=extra))
        return events

    def _end_if_metrics(self, value: dict[str, Any]) -> list[ChunkEvent | _Opened]:
        metrics = value.get(INVOCATION_METRICS)
        if not isinstance(metrics, dict):
            return []
        self._metrics.update(metrics)
        return [] if self._ended else [self._metadata()]

    def _metadata(self) -> Metadata:
        self._ended = True
        # Metadata needs both: zeros stand where the stream gave no figure.
        return Metadata(
            usage=self.usage or Usage(input_tokens=0, output_tokens=0, total_tokens=0),
            metrics=self.metrics or Metrics(latency_ms=0),
        )


def chunk_events(family: Family | Literal["auto"], chunk_json: JSON) -> list[ChunkEvent]:
    """The Converse events one chunk amounts to on its own; for a whole stream use one
    :class:`ChunkReader`, which numbers blocks and counts tokens across chunks."""
    return ChunkReader(family).read(chunk_json)


# --- Anthropic's deltas and citations ---------------------------------------------------


def _anthropic_delta(event: AnthropicEvent) -> Any:
    kind = event.delta_type
    if kind == "text_delta":
        return TextDelta(text=event.text or "")
    if kind == "input_json_delta":
        return ToolUseDelta(input=event.text or "")
    if kind == "thinking_delta":
        return ReasoningContentDelta(text=event.text or "")
    if kind == "signature_delta":
        return ReasoningContentDelta(signature=event.signature or "")
    if kind == "citations_delta":
        citation = _at(event.body, ("delta", "citation"))
        return anthropic_citation(citation if isinstance(citation, dict) else {})
    return None


#: Anthropic citation types: the Converse location member and the keys of its span.
_CITATION_SPANS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "char_location": ("document_char", "start_char_index", "end_char_index"),
        "page_location": ("document_page", "start_page_number", "end_page_number"),
        "content_block_location": ("document_chunk", "start_block_index", "end_block_index"),
    }
)


def anthropic_citation(citation: Mapping[str, Any]) -> CitationDelta:
    """Converse's citation for one of Anthropic's (``citations_delta.citation``); keys
    Converse has no field for stay in ``extra`` under their own names."""
    used = {"type", "cited_text"}
    kind = _str(citation.get("type"))
    cited = _str(citation.get("cited_text"))
    title: str | None = None
    source: str | None = None
    location: CitationLocation | None = None
    if kind is not None and kind in _CITATION_SPANS:
        member, start, end = _CITATION_SPANS[kind]
        used |= {"document_index", "document_title", start, end}
        title = _str(citation.get("document_title"))
        span = DocumentSpan(
            document_index=_int(citation.get("document_index")),
            start=_int(citation.get(start)),
            end=_int(citation.get(end)),
        )
        location = CitationLocation(**typing.cast(dict[str, Any], {member: span}))
    elif kind == "web_search_result_location":
        used |= {"url", "title"}
        title = _str(citation.get("title"))
        location = CitationLocation(web=WebLocation(url=_str(citation.get("url"))))
    elif kind == "search_result_location":
        used |= {"search_result_index", "source", "title", "start_block_index", "end_block_index"}
        title, source = _str(citation.get("title")), _str(citation.get("source"))
        location = CitationLocation(
            search_result_location=SearchResultSpan(
                search_result_index=_int(citation.get("search_result_index")),
                start=_int(citation.get("start_block_index")),
                end=_int(citation.get("end_block_index")),
            )
        )
    extra = {k: v for k, v in citation.items() if k not in used}
    if kind is not None and location is None:
        extra["type"] = kind  # a type this table does not know: keep it
    return CitationDelta(
        title=title,
        source=source,
        source_content=None if cited is None else (CitationSourceContent(text=cited),),
        location=location,
        extra=extra,
    )


# --- usage and metrics in Converse's terms ----------------------------------------------

#: Anthropic usage key -> Converse Usage field.
_ANTHROPIC_USAGE = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation_input_tokens": "cache_write_input_tokens",
}
_CONVERSE_USAGE = {
    "inputTokens": "input_tokens",
    "outputTokens": "output_tokens",
    "totalTokens": "total_tokens",
    "cacheReadInputTokens": "cache_read_input_tokens",
    "cacheWriteInputTokens": "cache_write_input_tokens",
}
#: Bedrock's invocation metrics -> Usage field, where the family's own usage says nothing.
_METRICS_USAGE = {
    "inputTokenCount": "input_tokens",
    "outputTokenCount": "output_tokens",
    "cacheReadInputTokenCount": "cache_read_input_tokens",
    "cacheWriteInputTokenCount": "cache_write_input_tokens",
}


def usage_of(usage: Mapping[str, Any], metrics: Mapping[str, Any] | None = None) -> Usage | None:
    """Converse's :class:`Usage` for token counts in Converse's names (``inputTokens``...)
    or Anthropic's (``input_tokens``, ``cache_creation_input_tokens``...), completed from
    Bedrock's invocation metrics (``inputTokenCount``...); ``None`` if there are none.
    ``totalTokens`` when not given is input + output + cache read + cache write."""
    converse = any(key in _CONVERSE_USAGE or key == "cacheDetails" for key in usage)
    if converse and "totalTokens" in usage:
        try:
            return from_wire(Usage, dict(usage))
        except WireError:
            pass  # read it field by field below
    names = _CONVERSE_USAGE if converse else _ANTHROPIC_USAGE
    counts: dict[str, int] = {}
    extra: dict[str, Any] = {}
    details: tuple[CacheDetail, ...] | None = None
    for key, value in usage.items():
        name, number = names.get(key), _int(value)
        if name is not None and number is not None:
            counts[name] = number
        elif converse and key == "cacheDetails" and isinstance(value, list):
            read = (_cache_detail(item) for item in value)
            details = tuple(detail for detail in read if detail is not None)
        elif not converse and key == "cache_creation" and isinstance(value, dict):
            details = tuple(
                CacheDetail(ttl=ttl, input_tokens=value[f"ephemeral_{ttl}_input_tokens"])
                for ttl in ("5m", "1h")
                if _int(value.get(f"ephemeral_{ttl}_input_tokens"))
            )
        elif name is None:
            extra[key] = value
    for key, name in _METRICS_USAGE.items():
        number = _int((metrics or {}).get(key))
        if name not in counts and number is not None:
            counts[name] = number
    if not counts and not extra and not details:
        return None
    total = counts.pop("total_tokens", None)
    if total is None:
        total = sum(counts.values())
    return Usage(
        input_tokens=counts.get("input_tokens", 0),
        output_tokens=counts.get("output_tokens", 0),
        total_tokens=total,
        cache_read_input_tokens=counts.get("cache_read_input_tokens"),
        cache_write_input_tokens=counts.get("cache_write_input_tokens"),
        cache_details=details or None,
        extra=extra,
    )


def _cache_detail(value: JSON) -> CacheDetail | None:
    try:
        return from_wire(CacheDetail, value)
    except WireError:
        return None


def metrics_of(metrics: Mapping[str, Any]) -> Metrics | None:
    """Converse's :class:`Metrics` for ``{"latencyMs": ...}`` or for Bedrock's invocation
    metrics: ``latency_ms`` is ``invocationLatency``, and the other figures
    (``firstByteLatency``, ``inputTokenCount``...) stay in ``extra``. ``None`` without a
    latency."""
    if "latencyMs" in metrics:
        try:
            return from_wire(Metrics, dict(metrics))
        except WireError:
            return None
    latency = _int(metrics.get("invocationLatency"))
    if latency is None:
        return None
    extra = {k: v for k, v in metrics.items() if k != "invocationLatency"}
    return Metrics(latency_ms=latency, extra=extra)


# --- reading the model's JSON -----------------------------------------------------------


def _at(value: JSON, path: Path) -> JSON:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or len(value) <= step:
                return None
        elif not isinstance(value, dict):
            return None
        value = value[step] if isinstance(step, int) else value.get(step)
    return value


def _first(value: JSON, paths: tuple[Path, ...]) -> JSON:
    for path in paths:
        found = _at(value, path)
        if found is not None:
            return found
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


assert set(typing.get_args(Family)) == set(FAMILIES), "a family without a table"
