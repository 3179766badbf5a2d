"""Scripted answers and timing: text and tool calls turned into the stream Bedrock would send.

ConverseStream gets ``messageStart``, text deltas with no ``contentBlockStart`` (as Bedrock
sends text), a ``contentBlockStart``/``toolUse`` per tool call with its input JSON in deltas,
``contentBlockStop`` per block, ``messageStop`` and ``metadata`` (usage, latency). Invoke gets
the same answer as Claude's chunks (``../shared/reference/gateway-formats.md`` section 2.4):
``message_start`` ... ``message_delta``, and ``message_stop`` carrying
``amazon-bedrock-invocationMetrics``.
"""

from __future__ import annotations

import json
import math
import random
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ConfigurationError, Message, awslambda, sagemaker
from .. import bedrock as br
from ..bedrock import agent
from ..bedrock.engine import ServiceEvent
from . import _services

__all__ = ["ToolCall", "Script", "Timing", "script_from_json"]

#: The longest wait a timing or a recording may set before a frame, in seconds (an hour): a
#: longer one is a hang, which the ``stall=forever`` fault asks for by name.
MAX_DELAY = 3600.0

_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ToolCall:
    """A tool call the scripted model makes: the tool's ``name`` and its ``input`` (JSON)."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ConfigurationError(f"a tool call's name is a str, not {self.name!r}")
        if not isinstance(self.input, Mapping):
            raise ConfigurationError(f"tool {self.name!r}: its input is a mapping (a JSON object)")


@dataclass(frozen=True)
class Script:
    """A scripted answer: ``text``, then ``tool_calls``, in deltas of ``delta_size``
    characters. ``stop_reason`` defaults to ``tool_use`` when there are tool calls, else
    ``end_turn``; ``input_tokens`` is reported as the prompt's size; output tokens are the
    answer's characters / 4, rounded up."""

    text: str = "Hello! How can I help you today?"
    tool_calls: tuple[ToolCall, ...] = ()
    delta_size: int = 8
    stop_reason: str | None = None
    input_tokens: int = 12
    model: str = "claude-sonnet-4-5-20250929"

    def __post_init__(self) -> None:
        size: object = self.delta_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"delta_size {self.delta_size!r} must be a whole number >= 1")
        tokens: object = self.input_tokens
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
            raise ConfigurationError(
                f"input_tokens {self.input_tokens!r} must be a whole number >= 0"
            )
        for name in ("text", "model", "stop_reason"):
            value = getattr(self, name)
            if not isinstance(value, str) and not (name == "stop_reason" and value is None):
                raise ConfigurationError(f"script {name}={value!r} must be a str")
        calls: object = self.tool_calls
        if not isinstance(calls, Iterable) or isinstance(calls, str | Mapping):
            raise ConfigurationError(f"tool_calls {calls!r} must be a sequence of ToolCall")
        chosen = tuple(calls)
        for call in chosen:
            if not isinstance(call, ToolCall):
                raise ConfigurationError(f"tool_calls: {call!r} is not a ToolCall")
        object.__setattr__(self, "tool_calls", chosen)

    @property
    def chosen_stop_reason(self) -> str:
        """The stop reason the stream reports."""
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if self.tool_calls else "end_turn"

    def _pieces(self, text: str) -> list[str]:
        size = self.delta_size
        return [text[i : i + size] for i in range(0, len(text), size)] or [""]

    @property
    def output_tokens(self) -> int:
        """The output token count reported: every character of the answer, / 4."""
        size = len(self.text) + sum(len(_json(call.input)) for call in self.tool_calls)
        return max(1, -(-size // 4))

    def converse_events(self, rng: random.Random, latency_ms: int) -> list[br.TypedEvent]:
        """The ConverseStream events of this answer."""
        events: list[br.TypedEvent] = [br.MessageStart(role="assistant")]
        index = 0
        if self.text:
            events += [
                br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=piece))
                for piece in self._pieces(self.text)
            ]
            events.append(br.ContentBlockStop(content_block_index=0))
            index = 1
        for call in self.tool_calls:
            tool_id = "tooluse_" + _random_id(rng, 22)
            start = br.ToolUseStart(tool_use_id=tool_id, name=call.name)
            events.append(br.ContentBlockStart(content_block_index=index, start=start))
            events += [
                br.ContentBlockDelta(content_block_index=index, delta=br.ToolUseDelta(input=p))
                for p in self._pieces(_json(call.input))
            ]
            events.append(br.ContentBlockStop(content_block_index=index))
            index += 1
        events.append(br.MessageStop(stop_reason=self.chosen_stop_reason))
        usage = br.Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
        )
        events.append(br.Metadata(usage=usage, metrics=br.Metrics(latency_ms=latency_ms)))
        return events

    def invoke_events(
        self, rng: random.Random, latency_ms: int, first_byte_ms: int
    ) -> list[br.TypedEvent]:
        """The InvokeModelWithResponseStream chunks of this answer, in Claude's format."""
        bodies: list[dict[str, Any]] = [
            {
                "type": "message_start",
                "message": {
                    "model": self.model,
                    "id": "msg_bdrk_" + _random_id(rng, 24),
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": self.input_tokens, "output_tokens": 1},
                },
            }
        ]
        index = 0
        if self.text:
            bodies.append(
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}}
            )  # fmt: skip
            bodies += [
                {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": piece}}
                for piece in self._pieces(self.text)
            ]  # fmt: skip
            bodies.append({"type": "content_block_stop", "index": 0})
            index = 1
        for call in self.tool_calls:
            block = {"type": "tool_use", "id": "toolu_bdrk_" + _random_id(rng, 24),
                     "name": call.name, "input": {}}  # fmt: skip
            bodies.append({"type": "content_block_start", "index": index, "content_block": block})
            # The first input delta is empty, as Claude's are (see the captures).
            for piece in ["", *self._pieces(_json(call.input))]:
                bodies.append(
                    {"type": "content_block_delta", "index": index,
                     "delta": {"type": "input_json_delta", "partial_json": piece}}
                )  # fmt: skip
            bodies.append({"type": "content_block_stop", "index": index})
            index += 1
        bodies.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self.chosen_stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": self.output_tokens},
            }
        )
        bodies.append(
            {
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": self.input_tokens,
                    "outputTokenCount": self.output_tokens,
                    "invocationLatency": latency_ms,
                    "firstByteLatency": first_byte_ms,
                },
            }
        )
        return [br.Chunk(bytes=_utf8(_json(body))) for body in bodies]

    def service_events(self, stream: str) -> list[ServiceEvent]:
        """The events of this answer on another service's ``stream`` (docs/testing.md,
        "Other services' streams"); tool calls are Bedrock Runtime's only."""
        pieces = [piece.encode() for piece in self._pieces(self.text)]
        if stream == "agent":
            return [agent.PayloadPart(bytes=piece) for piece in pieces]
        if stream == "inline-agent":
            return [agent.InlineAgentPayloadPart(bytes=piece) for piece in pieces]
        if stream == "flow":
            return [
                agent.FlowOutputEvent(
                    content=agent.FlowOutputContentDocument(document=self.text),
                    node_name="FlowOutputNode",
                    node_type="Output",
                ),
                agent.FlowCompletionEvent(completion_reason="SUCCESS"),
            ]
        if stream == "retrieve-and-generate":
            span = agent.Span(start=0, end=max(0, len(self.text) - 1))
            part = agent.GeneratedResponsePart(
                text_response_part=agent.TextResponsePart(text=self.text, span=span)
            )
            reference = agent.RetrievedReference(
                content=agent.RetrievalResultContent(text=self.text, type="TEXT"),
                location=agent.RetrievalResultLocation(
                    type="S3",
                    s3_location=agent.RetrievalResultS3Location(uri="s3://mock-bucket/doc.txt"),
                ),
            )
            citation = agent.Citation(
                generated_response_part=part, retrieved_references=(reference,)
            )
            return [
                *(agent.RetrieveAndGenerateOutputEvent(text=p) for p in self._pieces(self.text)),
                agent.CitationEvent(citation=citation),
            ]
        if stream == "optimize-prompt":
            return [
                agent.AnalyzePromptEvent(message="The prompt was analyzed."),
                agent.OptimizedPromptEvent(optimized_prompt=agent.TextPrompt(text=self.text)),
            ]
        if stream == "agentic-retrieve":
            return [agent.AgenticRetrieveResponseEvent(text=p) for p in self._pieces(self.text)]
        if stream == "sagemaker":
            return [sagemaker.PayloadPart(bytes=piece) for piece in pieces]
        if stream == "lambda":
            return [
                *(awslambda.InvokeResponseStreamUpdate(payload=piece) for piece in pieces),
                awslambda.InvokeWithResponseStreamCompleteEvent(),
            ]
        raise ConfigurationError(f"no scripted answer for stream {stream!r}")

    def messages(self, stream: str, timing: Timing, rng: random.Random) -> list[Message]:
        """The frames of this answer on ``stream`` (``converse``, ``invoke``, or another
        service's stream)."""
        if self.input_tokens > _MAX_TOKENS:
            # The models' token counts are Smithy Integers (int32); Converse's encoder refuses
            # more, and Invoke's JSON cannot write 10**5000 (int max str digits).
            raise ConfigurationError(
                f"input_tokens {_shown(self.input_tokens)} is over {_MAX_TOKENS}"
            )
        count = 4 + len(self.text) // self.delta_size + 4 * len(self.tool_calls)
        total_ms = round(1000 * (timing.first_event + count / timing.events_per_second))
        first_ms = round(1000 * timing.first_event)
        if stream == "invoke":
            events: Sequence[Any] = self.invoke_events(rng, total_ms, first_ms)
        elif stream == "converse":
            events = self.converse_events(rng, total_ms)
        else:
            events = self.service_events(stream)
        return [_services.encode(event, stream, rng) for event in events]


#: The largest token count a usage reports (Smithy's Integer, which the models use).
_MAX_TOKENS = 2**31 - 1


def _shown(number: int) -> str:
    # str() of an int past 4300 digits raises ValueError (sys.set_int_max_str_digits).
    return str(number) if number.bit_length() < 64 else f"of {number.bit_length()} bits"


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise ConfigurationError("a tool input is nested too deep to write as JSON") from None
    except (TypeError, ValueError) as exc:  # not JSON; an int past int max str digits
        raise ConfigurationError(f"a tool input is not JSON ({exc})") from None


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A lone surrogate (JSON's "\ud800" reads as one) has no UTF-8 form.
        raise ConfigurationError(f"the script holds a lone surrogate ({exc.reason})") from None


def _random_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(length))


def script_from_json(document: object, where: str) -> Script:
    """A :class:`Script` from its JSON form: ``{"text", "tool_calls": [{"name", "input"}],
    "delta_size", "stop_reason", "input_tokens", "model"}`` (every key optional)."""
    if not isinstance(document, dict):
        raise ConfigurationError(f"{where}: a script is a JSON object")
    known = {"text", "tool_calls", "delta_size", "stop_reason", "input_tokens", "model"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown script key {unknown[0]!r} (known: {sorted(known)})"
        )
    calls = document.get("tool_calls", [])
    if not isinstance(calls, list):
        raise ConfigurationError(f"{where}: 'tool_calls' is a list")
    tools = []
    for number, call in enumerate(calls):
        if (
            not isinstance(call, dict)
            or not isinstance(call.get("name"), str)
            or not isinstance(call.get("input", {}), dict)
        ):
            raise ConfigurationError(
                f"{where}: tool_calls[{number}] must be {{'name': str, 'input': object}}"
            )
        tools.append(ToolCall(call["name"], call.get("input", {})))
    kinds = {"text": str, "delta_size": int, "stop_reason": str, "input_tokens": int, "model": str}
    values: dict[str, Any] = {}
    for key, kind in kinds.items():
        if key in document:
            value = document[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigurationError(f"{where}: {key!r} must be a {kind.__name__}")
            values[key] = value
    return Script(tool_calls=tuple(tools), **values)


@dataclass(frozen=True)
class Timing:
    """When events go out: ``first_event`` seconds before the first, then
    ``events_per_second``, each gap varied by up to ``jitter`` (a fraction: 0.2 is ±20%).

    A source with recorded timing (a HAR file) keeps its gaps, divided by ``speed`` (2.0 is
    twice as fast; ``0`` or less is refused); ``first_event`` and ``events_per_second`` then
    do not apply. No wait is longer than an hour: ``first_event`` is at most 3600 and
    ``events_per_second`` at least 1/3600, ``speed`` at least 1/3600, and a slowed recorded
    gap is cut to an hour.
    """

    first_event: float = 0.0
    events_per_second: float = 1000.0
    jitter: float = 0.0
    speed: float = 1.0

    def __post_init__(self) -> None:
        for name in ("first_event", "events_per_second", "jitter", "speed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(f"timing {name}={value!r} must be a number")
            if not _finite(value):
                raise ConfigurationError(f"timing {name}={value!r} must be a finite number")
        if self.first_event < 0 or self.jitter < 0 or self.jitter > 1:
            raise ConfigurationError("timing: first_event >= 0, 0 <= jitter <= 1")
        if self.events_per_second <= 0 or self.speed <= 0:
            raise ConfigurationError("timing: events_per_second and speed must be > 0")
        if self.first_event > MAX_DELAY:
            raise ConfigurationError(
                f"timing: first_event={self.first_event!r} is over {MAX_DELAY:g} s (a hang: "
                "use the stall=forever fault)"
            )
        for name in ("events_per_second", "speed"):
            if getattr(self, name) < 1 / MAX_DELAY:
                raise ConfigurationError(
                    f"timing: {name}={getattr(self, name)!r} is under 1/{MAX_DELAY:g} (waits "
                    "over an hour: use the stall=forever fault)"
                )

    def delays(
        self, count: int, recorded: Sequence[float] | None, rng: random.Random
    ) -> list[float]:
        """Seconds to wait before each of ``count`` frames."""
        if recorded is not None:
            # A recorded gap is seconds >= 0 (NaN and below 0 are none), an hour at most.
            gaps = [
                min(gap / self.speed, MAX_DELAY) if gap >= 0 else 0.0 for gap in recorded[:count]
            ]
            return gaps + [0.0] * (count - len(gaps))
        gap = 1.0 / self.events_per_second
        delays = []
        for index in range(count):
            base = self.first_event if index == 0 else gap
            if self.jitter:
                base *= 1.0 + rng.uniform(-self.jitter, self.jitter)
            delays.append(min(base, MAX_DELAY))
        return delays


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False
