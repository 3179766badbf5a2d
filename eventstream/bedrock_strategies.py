"""Hypothesis strategies at the Bedrock event level: whole typed streams and their answers.

Needs the ``hypothesis`` extra (``pip install 'eventstream[hypothesis]'``); the names are
re-exported by :mod:`eventstream.strategies`, the place to import them from.

Each stream strategy draws a :class:`BedrockStream`: typed events (``ConverseStream`` events,
or ``InvokeModelWithResponseStream`` chunks in Anthropic's format) and what a correct consumer
must make of them: the whole reassembled answer where it is determined (``expected``, a
:class:`eventstream.bedrock.Reassembled`), and always the errors it must report and whether
the stream is complete. The answers are built from what was drawn (the text, the tool inputs,
the usage), never by reassembling the events, so they hold any reassembler to account, ours
included.

Importing this module also registers a strategy for every typed class of
:mod:`eventstream.bedrock` (``st.builds(bedrock.ContentBlockDelta)`` and
``st.from_type(bedrock.Metadata)`` work): their values encode with ``encode_event`` and
decode back equal.
"""

from __future__ import annotations

import base64
import collections.abc
import dataclasses
import functools
import inspect
import itertools
import json
import random
import string
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:  # pragma: no cover - run in a subprocess by the tests
    if (exc.name or "").partition(".")[0] != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "eventstream.bedrock_strategies needs Hypothesis: pip install 'eventstream[hypothesis]'",
        name=exc.name,
    ) from exc

from . import bedrock
from ._message import Message
from .bedrock import (
    PADDING_ALPHABET,
    STREAMS,
    BedrockException,
    Chunk,
    CitationDelta,
    CitationLocation,
    CitationSourceContent,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    DocumentSpan,
    ErrorFrame,
    MessageStart,
    MessageStop,
    Metadata,
    Metrics,
    PerformanceConfiguration,
    ReasoningBlock,
    ReasoningContentDelta,
    Reassembled,
    ServiceTier,
    StreamError,
    TextBlock,
    TextDelta,
    ToolUseBlock,
    ToolUseDelta,
    ToolUseStart,
    TypedEvent,
    UnknownEvent,
    UnknownException,
    Usage,
    WebLocation,
    decode_event,
    encode_event,
)

__all__ = [
    "BedrockStream",
    "BLOCK_KINDS",
    "MALFORMATIONS",
    "converse_streams",
    "invoke_streams",
    "interrupted_streams",
    "malformed_streams",
    "bedrock_exceptions",
]

StreamKind = Literal["converse", "invoke"]

#: The content blocks a valid stream is made of.
BLOCK_KINDS = ("text", "tool_use", "reasoning", "redacted_reasoning")

#: What :func:`malformed_streams` breaks, and what a correct consumer reports for each
#: (the ``type`` of each :class:`eventstream.bedrock.StreamError`, and ``complete``).
MALFORMATIONS: dict[str, str] = {
    "duplicate_start": "a block's start sent again before the end: block_restarted",
    "delta_before_start": "a delta for a block before its start: block_restarted",
    "wrong_kind_delta": "a delta of another kind for an open block: misplaced_delta, once, "
    "or twice when the block's own deltas follow",
    "content_after_end": "a content block event after the end: event_after_end",
    "missing_block_stop": "a tool call's stop left out: no error, the stream is complete "
    "but the tool call is not (ToolUseBlock.complete is false)",
    "missing_end": "the stream stops early, before its end: no error, complete is false",
}


@dataclass(frozen=True)
class BedrockStream:
    """A typed Bedrock stream and what a correct consumer must make of it.

    ``events`` are what :func:`eventstream.bedrock.events` yields for the stream (exceptions
    as values). ``errors`` are the ``type`` of each error a reassembly must report, in order,
    and ``complete`` whether it reached the stream's end without one. ``expected`` is the
    whole answer :func:`eventstream.bedrock.reassemble` must give, where it is determined
    (every kind but the four malformations that misplace content); ``kind`` is ``valid``,
    ``exception`` or a key of :data:`MALFORMATIONS`.
    """

    stream: StreamKind
    events: tuple[TypedEvent, ...]
    kind: str
    errors: tuple[str, ...]
    complete: bool
    expected: Reassembled | None
    description: str

    def __repr__(self) -> str:
        # One event a line, each in its own short form: hypothesis's dataclass printer would
        # spell out every class attribute of every event in a falsifying example.
        events = "".join(f"\n    {event!r}," for event in self.events)
        return (
            f"BedrockStream({self.description!r}, kind={self.kind!r}, errors={self.errors!r}, "
            f"complete={self.complete!r}, events=[{events}\n], expected={self.expected!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def matches(self, result: Reassembled) -> bool:
        """True if ``result`` is the answer: ``expected`` when known, else the labels."""
        if self.expected is not None:
            return result == self.expected
        return result.complete == self.complete and (
            tuple(error.type for error in result.errors) == self.errors
        )

    def encode(self, *, padding: bool | str = True, seed: int = 0) -> bytes:
        """The stream's bytes as Bedrock sends them; the random padding lengths come from
        ``random.Random(seed)``, so the bytes are the same on every call."""
        rng = random.Random(seed)
        return b"".join(
            encode_event(event, padding=padding, rng=rng).encode() for event in self.events
        )


# --- building blocks -------------------------------------------------------------------------

_INT64 = st.integers(-(2**63), 2**63 - 1)
_COUNTS = st.integers(0, 200_000)
_ALNUM = string.ascii_letters + string.digits


@functools.cache
def _text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    # No surrogates: a model's text is Unicode, and UTF-8 (the wire's) has no form for them.
    return st.text(st.characters(exclude_categories=["Cs"]), min_size=min_size, max_size=max_size)


@functools.cache
def _token(prefix: str, size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_ALNUM), min_size=size, max_size=size).map(prefix.__add__)


_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    _INT64,
    st.floats(allow_nan=False, allow_infinity=False),
    _text(max_size=12),
)


@functools.cache
def _json_values() -> st.SearchStrategy[Any]:
    """JSON values (strict JSON: no NaN or infinities), a few levels deep at most."""
    return st.recursive(
        _JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(_text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


def _pieces(draw: st.DrawFn, text: str, *, max_cuts: int = 6) -> list[str]:
    """``text`` cut anywhere into consecutive pieces, empty ones included (at least one)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=max_cuts)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def _chunk(body: dict[str, Any]) -> Chunk:
    return Chunk(bytes=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


@st.composite
def _tool_input(draw: st.DrawFn) -> tuple[Any, str]:
    """A tool's input object and the JSON text a model streams for it (``""`` for ``{}``
    sometimes: no input text means an empty object)."""
    value = draw(st.dictionaries(_text(max_size=10), _json_values(), max_size=4))
    if not value and draw(st.booleans()):
        return value, ""
    layout = draw(st.sampled_from([(", ", ": "), (",", ":"), None]))
    if layout is None:
        text = json.dumps(value, indent=2, ensure_ascii=draw(st.booleans()))
    else:
        text = json.dumps(value, separators=layout, ensure_ascii=draw(st.booleans()))
    return value, text


# --- a stream as steps: each event with what it adds to the answer ---------------------------
#
# The answer is built from the steps' effects, in plan terms (this piece of that block's
# text), by _answer() below: an oracle that never looks at the events. A prefix of the steps
# gives the answer of a stream cut there.

Effect = tuple[Any, ...]


@dataclass(frozen=True)
class _Step:
    event: TypedEvent
    effects: tuple[Effect, ...] = ()
    block: int | None = None  # the content block index, for block events
    phase: str | None = None  # "start", "delta", "stop"; "end" for the stream's last event
    kind: str | None = None  # a block event's block kind, as reassembly sees it


@dataclass
class _Block:
    kind: str
    parts: list[str] = dataclasses.field(default_factory=list)
    tool_id: str = ""
    tool_name: str = ""
    json_text: str = ""
    value: Any = None
    signature: str | None = None
    redacted: bytes | None = None
    citations: list[CitationDelta] = dataclasses.field(default_factory=list)
    stopped: bool = False


def _answer(steps: Iterable[_Step], errors: Sequence[StreamError] = ()) -> Reassembled:
    """The reassembled message the steps' effects amount to."""
    blocks: dict[int, _Block] = {}
    message: dict[str, Any] = {"usage": {}, "metrics": {}}
    ended = False

    def block(index: int, kind: str) -> _Block:
        return blocks.setdefault(index, _Block(kind))

    for step in steps:
        for op, *args in step.effects:
            if op == "open":
                index, kind, tool_id, tool_name, json_text, value, redacted = args
                blocks[index] = _Block(
                    kind, tool_id=tool_id, tool_name=tool_name, json_text=json_text,
                    value=value, redacted=redacted,
                )  # fmt: skip
            elif op == "text":
                block(args[0], "text").parts.append(args[1])
            elif op == "citation":
                block(args[0], "text").citations.append(args[1])
            elif op == "json":
                block(args[0], "tool_use").parts.append(args[1])
            elif op == "thinking":
                block(args[0], "reasoning").parts.append(args[1])
            elif op == "signature":
                b = block(args[0], "reasoning")
                b.signature = (b.signature or "") + args[1]
            elif op == "redacted":
                b = block(args[0], "reasoning")
                b.redacted = (b.redacted or b"") + args[1]
            elif op == "stop":
                block(args[0], "text").stopped = True
            elif op in ("usage", "metrics"):
                message[op].update(args[0])
            elif op == "end":
                ended = True
            else:
                message[op] = args[0]
    return Reassembled(
        role=message.get("role"),
        content=tuple(_finish(blocks[i]) for i in sorted(blocks)),
        stop_reason=message.get("stop_reason"),
        stop_sequence=message.get("stop_sequence"),
        model=message.get("model"),
        id=message.get("id"),
        usage=message["usage"],
        metrics=message["metrics"],
        additional_model_response_fields=message.get("additional"),
        errors=tuple(errors),
        complete=ended and not errors,
    )


def _finish(block: _Block) -> TextBlock | ToolUseBlock | ReasoningBlock:
    text = "".join(block.parts)
    if block.kind == "tool_use":
        # Known without parsing: the whole text is the drawn value; no text is an empty
        # input; any other prefix of a JSON object's text lacks its closing brace.
        if text == block.json_text:
            value, parsed = block.value, True
        elif not text:
            value, parsed = {}, True
        else:
            value, parsed = None, False
        return ToolUseBlock(block.tool_id, block.tool_name, value, text, parsed and block.stopped)
    if block.kind == "reasoning":
        return ReasoningBlock(text, block.signature, block.redacted)
    return TextBlock(text, tuple(block.citations))


def _reassembly_kind(kind: str) -> str:
    return "reasoning" if kind == "redacted_reasoning" else kind


# --- ConverseStream ---------------------------------------------------------------------------

_CONVERSE_STOP_REASONS = (
    "end_turn", "max_tokens", "stop_sequence", "guardrail_intervened", "content_filtered",
)  # fmt: skip


@st.composite
def _converse_citation(draw: st.DrawFn) -> CitationDelta:
    location = draw(
        st.one_of(
            st.builds(
                lambda u, d: CitationLocation(web=WebLocation(url=u, domain=d)),
                _text(max_size=20), _text(max_size=10),
            ),
            st.builds(
                lambda i, a, b: CitationLocation(
                    document_char=DocumentSpan(document_index=i, start=a, end=a + b)
                ),
                st.integers(0, 9), st.integers(0, 10_000), st.integers(0, 500),
            ),
        )
    )  # fmt: skip
    sources = draw(
        st.lists(_text(max_size=20).map(lambda t: CitationSourceContent(text=t)), max_size=2)
    )
    return CitationDelta(
        title=draw(st.none() | _text(max_size=20)), source_content=tuple(sources), location=location
    )


@st.composite
def _converse_block(draw: st.DrawFn, index: int, kind: str) -> list[_Step]:
    own = _reassembly_kind(kind)  # the block kind as reassembly sees it

    def delta(delta: Any, *effects: Effect) -> _Step:
        event = ContentBlockDelta(content_block_index=index, delta=delta)
        return _Step(event, effects, phase="delta", block=index, kind=own)

    steps: list[_Step] = []
    if kind == "text":
        steps = [delta(TextDelta(text=p), ("text", index, p)) for p in _pieces(draw, draw(_text()))]
        for citation in draw(st.lists(_converse_citation(), max_size=2)):
            at = draw(st.integers(0, len(steps)))
            steps.insert(at, delta(citation, ("citation", index, citation)))
    elif kind == "tool_use":
        # Unique in the message, as Bedrock's are: the block index is part of the id.
        tool_id, name = draw(_token(f"tooluse_{index:02d}", 20)), draw(_TOOL_NAMES)
        value, text = draw(_tool_input())
        start = ContentBlockStart(
            content_block_index=index, start=ToolUseStart(tool_use_id=tool_id, name=name)
        )
        opened = ("open", index, "tool_use", tool_id, name, text, value, None)
        steps = [_Step(start, (opened,), phase="start", block=index, kind=own)]
        pieces = [] if not text and draw(st.booleans()) else _pieces(draw, text)
        steps += [delta(ToolUseDelta(input=p), ("json", index, p)) for p in pieces]
    elif kind == "reasoning":
        pieces = _pieces(draw, draw(_text()))
        steps = [delta(ReasoningContentDelta(text=p), ("thinking", index, p)) for p in pieces]
        if draw(st.integers(0, 3)):  # usually signed
            signature = draw(_SIGNATURES)
            steps.append(
                delta(ReasoningContentDelta(signature=signature), ("signature", index, signature))
            )
    else:
        data = draw(st.binary(min_size=1, max_size=48))
        cut = draw(st.integers(0, len(data)))
        for piece in (data[:cut], data[cut:]) if draw(st.booleans()) else (data,):
            steps.append(
                delta(ReasoningContentDelta(redacted_content=piece), ("redacted", index, piece))
            )
    steps.append(
        _Step(
            ContentBlockStop(content_block_index=index),
            (("stop", index),),
            phase="stop",
            block=index,
            kind=own,
        )
    )
    return steps


_TOOL_NAMES = st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9_-]{0,20}\Z")
_SIGNATURES = st.text(st.sampled_from(_ALNUM + "+/="), min_size=1, max_size=40)


@st.composite
def _converse_usage(draw: st.DrawFn) -> tuple[Usage, dict[str, Any]]:
    """A ``Usage`` and, written out by hand, the JSON object it stands for."""
    inputs, outputs = draw(_COUNTS), draw(_COUNTS)
    wire: dict[str, Any] = {"inputTokens": inputs, "outputTokens": outputs}
    fields: dict[str, Any] = {}
    if draw(st.booleans()):  # prompt caching
        read, write = draw(_COUNTS), draw(_COUNTS)
        fields.update(cache_read_input_tokens=read, cache_write_input_tokens=write)
        wire.update(cacheReadInputTokens=read, cacheWriteInputTokens=write)
        if draw(st.booleans()):
            ttl = draw(st.sampled_from(["5m", "1h"]))
            fields["cache_details"] = (bedrock.CacheDetail(ttl=ttl, input_tokens=write),)
            wire["cacheDetails"] = [{"ttl": ttl, "inputTokens": write}]
        inputs += read + write
    wire["totalTokens"] = inputs + outputs
    usage = Usage(
        input_tokens=wire["inputTokens"],
        output_tokens=outputs,
        total_tokens=inputs + outputs,
        **fields,
    )
    return usage, wire


@st.composite
def _block_kinds(
    draw: st.DrawFn, kinds: Sequence[str], min_blocks: int, max_blocks: int, need: str | None
) -> list[str]:
    if "tool_use" in kinds and max_blocks >= 2 and draw(st.integers(0, 3)) == 3:
        # Parallel tool calls, as models make them (a quarter of the draws): perhaps a text
        # first, then two or more calls. Drawn at random, they would be rare.
        lead = ["text"] if "text" in kinds and max_blocks >= 3 and draw(st.booleans()) else []
        calls = draw(st.integers(max(2, min_blocks - len(lead)), max_blocks - len(lead)))
        chosen = [*lead, *["tool_use"] * calls]
    else:
        chosen = draw(st.lists(st.sampled_from(kinds), min_size=min_blocks, max_size=max_blocks))
    if need is not None and need not in chosen:
        chosen.insert(draw(st.integers(0, len(chosen))), need)
    return chosen


def _merge(draw: st.DrawFn, blocks: list[list[_Step]], interleave: bool) -> list[_Step]:
    if not interleave:
        return [step for steps in blocks for step in steps]
    # Each block's own order kept; which block goes next drawn (shrinks to one after another).
    order = draw(st.permutations([n for n, steps in enumerate(blocks) for _ in steps]))
    queues = [iter(steps) for steps in blocks]
    return [next(queues[n]) for n in order]


def _check_kinds(block_kinds: Iterable[str] | None) -> tuple[str, ...]:
    if block_kinds is None:
        return BLOCK_KINDS
    kinds = tuple(block_kinds)
    if not kinds or any(k not in BLOCK_KINDS for k in kinds):
        raise ValueError(f"block_kinds must be some of {BLOCK_KINDS}, got {kinds!r}")
    return kinds


@st.composite
def _converse_steps(
    draw: st.DrawFn,
    *,
    min_blocks: int = 0,
    max_blocks: int = 4,
    block_kinds: Iterable[str] | None = None,
    interleave: bool = False,
    need: str | None = None,
) -> list[_Step]:
    kinds = draw(_block_kinds(_check_kinds(block_kinds), min_blocks, max_blocks, need))
    blocks = [draw(_converse_block(i, kind)) for i, kind in enumerate(kinds)]
    steps = [_Step(MessageStart(role="assistant"), (("role", "assistant"),))]
    steps += _merge(draw, blocks, interleave)
    reason = "tool_use" if "tool_use" in kinds else draw(st.sampled_from(_CONVERSE_STOP_REASONS))
    additional = draw(st.none() | st.dictionaries(_text(max_size=8), _json_values(), max_size=2))
    steps.append(
        _Step(
            MessageStop(stop_reason=reason, additional_model_response_fields=additional),
            (("stop_reason", reason), ("additional", additional)),
        )
    )
    usage, usage_wire = draw(_converse_usage())
    latency = draw(st.integers(0, 120_000))
    extras: dict[str, Any] = {}
    if draw(st.booleans()):
        extras["performance_config"] = PerformanceConfiguration(
            latency=draw(st.sampled_from(["standard", "optimized"]))
        )
    if draw(st.booleans()):
        extras["service_tier"] = ServiceTier(
            type=draw(st.sampled_from(["default", "priority", "flex"]))
        )
    metadata = Metadata(usage=usage, metrics=Metrics(latency_ms=latency), **extras)
    effects = (("usage", usage_wire), ("metrics", {"latencyMs": latency}), ("end",))
    steps.append(_Step(metadata, effects, phase="end"))
    return steps


# --- InvokeModelWithResponseStream, Anthropic's format ----------------------------------------

_INVOKE_STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "pause_turn", "refusal")
_MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022")


@st.composite
def _anthropic_citation(draw: st.DrawFn) -> tuple[dict[str, Any], CitationDelta]:
    """An Anthropic citation and, built from the same draws, the Converse citation it is."""
    cited = draw(_text(max_size=20))
    quoted = (CitationSourceContent(text=cited),)
    if draw(st.booleans()):
        start, document = draw(st.integers(0, 10_000)), draw(st.integers(0, 9))
        title = draw(_text(max_size=12))
        span = DocumentSpan(document_index=document, start=start, end=start + len(cited))
        return {
            "type": "char_location", "cited_text": cited,
            "document_index": document, "document_title": title,
            "start_char_index": start, "end_char_index": start + len(cited),
        }, CitationDelta(
            title=title, source_content=quoted, location=CitationLocation(document_char=span)
        )  # fmt: skip
    url, title = "https://example.com/" + draw(_token("", 6)), draw(_text(max_size=12))
    index = draw(_token("", 12))
    return {
        "type": "web_search_result_location", "cited_text": cited,
        "url": url, "title": title, "encrypted_index": index,
    }, CitationDelta(
        title=title, source_content=quoted, location=CitationLocation(web=WebLocation(url=url)),
        extra={"encrypted_index": index},  # Converse has no field for it
    )  # fmt: skip


@st.composite
def _invoke_block(draw: st.DrawFn, index: int, kind: str) -> list[_Step]:
    own = _reassembly_kind(kind)  # the block kind as reassembly sees it

    def start(content_block: dict[str, Any], opened: Effect) -> _Step:
        body = {"type": "content_block_start", "index": index, "content_block": content_block}
        return _Step(_chunk(body), (opened,), phase="start", block=index, kind=own)

    def delta(delta: dict[str, Any], *effects: Effect) -> _Step:
        body = {"type": "content_block_delta", "index": index, "delta": delta}
        return _Step(_chunk(body), effects, block=index, phase="delta", kind=own)

    steps: list[_Step]
    if kind == "text":
        steps = [
            start({"type": "text", "text": ""}, ("open", index, "text", "", "", "", None, None))
        ]
        deltas = [
            delta({"type": "text_delta", "text": p}, ("text", index, p))
            for p in _pieces(draw, draw(_text()))
        ]
        for citation, converse in draw(st.lists(_anthropic_citation(), max_size=2)):
            at = draw(st.integers(0, len(deltas)))
            cited = {"type": "citations_delta", "citation": citation}
            deltas.insert(at, delta(cited, ("citation", index, converse)))
        steps += deltas
    elif kind == "tool_use":
        tool_id, name = draw(_token(f"toolu_bdrk_{index:02d}", 22)), draw(_TOOL_NAMES)
        value, text = draw(_tool_input())
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
        steps = [start(block, ("open", index, "tool_use", tool_id, name, text, value, None))]
        steps += [
            delta({"type": "input_json_delta", "partial_json": p}, ("json", index, p))
            for p in _pieces(draw, text)
        ]
    elif kind == "reasoning":
        opened = ("open", index, "reasoning", "", "", "", None, None)
        steps = [start({"type": "thinking", "thinking": ""}, opened)]
        steps += [
            delta({"type": "thinking_delta", "thinking": p}, ("thinking", index, p))
            for p in _pieces(draw, draw(_text()))
        ]
        if draw(st.integers(0, 3)):
            signature = draw(_SIGNATURES)
            steps.append(
                delta(
                    {"type": "signature_delta", "signature": signature},
                    ("signature", index, signature),
                )
            )
    else:
        data = draw(st.binary(min_size=1, max_size=48))
        block = {"type": "redacted_thinking", "data": base64.b64encode(data).decode("ascii")}
        steps = [start(block, ("open", index, "reasoning", "", "", "", None, data))]
    body = {"type": "content_block_stop", "index": index}
    steps.append(_Step(_chunk(body), (("stop", index),), phase="stop", block=index, kind=own))
    return steps


@st.composite
def _invoke_steps(
    draw: st.DrawFn,
    *,
    min_blocks: int = 0,
    max_blocks: int = 4,
    block_kinds: Iterable[str] | None = None,
    interleave: bool = False,
    need: str | None = None,
) -> list[_Step]:
    kinds = draw(_block_kinds(_check_kinds(block_kinds), min_blocks, max_blocks, need))
    blocks = [draw(_invoke_block(i, kind)) for i, kind in enumerate(kinds)]
    message_id, model = draw(_token("msg_bdrk_", 24)), draw(st.sampled_from(_MODELS))
    inputs, outputs = draw(_COUNTS), draw(_COUNTS)
    usage: dict[str, Any] = {"input_tokens": inputs, "output_tokens": draw(st.integers(0, 5))}
    metrics: dict[str, Any] = {"inputTokenCount": inputs, "outputTokenCount": outputs}
    if draw(st.booleans()):  # prompt caching
        read, write = draw(_COUNTS), draw(_COUNTS)
        usage.update(cache_creation_input_tokens=write, cache_read_input_tokens=read)
        metrics.update(cacheReadInputTokenCount=read, cacheWriteInputTokenCount=write)
    metrics.update(
        invocationLatency=draw(st.integers(0, 120_000)),
        firstByteLatency=draw(st.integers(0, 60_000)),
    )
    start = {
        "type": "message_start",
        "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage,
        },
    }  # fmt: skip
    steps = [
        _Step(
            _chunk(start),
            (("role", "assistant"), ("model", model), ("id", message_id), ("usage", usage)),
        )
    ]
    steps += _merge(draw, blocks, interleave)
    reason = "tool_use" if "tool_use" in kinds else draw(st.sampled_from(_INVOKE_STOP_REASONS))
    sequence = draw(_text(min_size=1, max_size=8)) if reason == "stop_sequence" else None
    final_usage = {"output_tokens": outputs}
    body = {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": sequence},
        "usage": final_usage,
    }
    effects: list[Effect] = [("stop_reason", reason), ("usage", final_usage)]
    if sequence is not None:
        effects.append(("stop_sequence", sequence))
    steps.append(_Step(_chunk(body), tuple(effects)))
    body = {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}
    steps.append(_Step(_chunk(body), (("metrics", metrics), ("end",)), phase="end"))
    return steps


def _steps_of(stream: StreamKind) -> Callable[..., st.SearchStrategy[list[_Step]]]:
    return _converse_steps if stream == "converse" else _invoke_steps


def _describe(steps: Sequence[_Step]) -> str:
    kinds: dict[int, str] = {}
    for step in steps:
        if step.block is not None and step.kind is not None:
            kinds.setdefault(step.block, step.kind)
    return f"{len(steps)} events, blocks {[kinds[b] for b in sorted(kinds)]}"


def _valid(stream: StreamKind, steps: list[_Step]) -> BedrockStream:
    events = tuple(step.event for step in steps)
    return BedrockStream(
        stream, events, "valid", (), True, _answer(steps), f"{stream}: {_describe(steps)}"
    )


@st.composite
def converse_streams(
    draw: st.DrawFn,
    /,
    *,
    min_blocks: int = 0,
    max_blocks: int = 4,
    block_kinds: Iterable[str] | None = None,
    interleave: bool = False,
) -> BedrockStream:
    """Valid ``ConverseStream`` streams: message start, ``min_blocks..max_blocks`` content
    blocks of ``block_kinds`` (text with citations, tool use with its input JSON cut anywhere,
    empty pieces included, signed reasoning, redacted reasoning), message stop, metadata with
    usage (cache tokens included) and metrics.

    ``interleave`` mixes the blocks' events (each block's own order kept), which Bedrock does
    not do but the block index allows: it finds a consumer that ignores the index.
    """
    steps = draw(
        _converse_steps(
            min_blocks=min_blocks,
            max_blocks=max_blocks,
            block_kinds=block_kinds,
            interleave=interleave,
        )
    )
    return _valid("converse", steps)


@st.composite
def invoke_streams(
    draw: st.DrawFn,
    /,
    *,
    min_blocks: int = 0,
    max_blocks: int = 4,
    block_kinds: Iterable[str] | None = None,
    interleave: bool = False,
) -> BedrockStream:
    """Valid ``InvokeModelWithResponseStream`` streams in Anthropic's format, one event per
    ``chunk``: ``message_start`` (id, model, usage with cache tokens), content blocks
    (``text_delta`` and ``citations_delta``, ``input_json_delta`` cut anywhere,
    ``thinking_delta`` and ``signature_delta``, ``redacted_thinking``), ``message_delta``
    (stop reason, stop sequence, output tokens) and ``message_stop`` with
    ``amazon-bedrock-invocationMetrics``. Arguments as for :func:`converse_streams`.
    """
    steps = draw(
        _invoke_steps(
            min_blocks=min_blocks,
            max_blocks=max_blocks,
            block_kinds=block_kinds,
            interleave=interleave,
        )
    )
    return _valid("invoke", steps)


def _stream_kind(draw: st.DrawFn, stream: StreamKind | None) -> StreamKind:
    if stream is None:
        chosen: StreamKind = draw(st.sampled_from(["converse", "invoke"]))
        return chosen
    if stream not in ("converse", "invoke"):
        raise ValueError(f"stream must be 'converse', 'invoke' or None, not {stream!r}")
    return stream


# --- exceptions -------------------------------------------------------------------------------


def _error_of(event: TypedEvent) -> StreamError:
    """The error a reassembly reports for an exception value (or an in-band error chunk)."""
    if isinstance(event, Chunk):
        error = json.loads(event.bytes or b"{}")["error"]
        return StreamError(error["type"], error["message"])
    assert isinstance(event, BedrockException)
    if isinstance(event, ErrorFrame):
        name = event.error_code
    elif isinstance(event, UnknownException):
        name = event.name
    else:
        name = event.exception_type
    return StreamError(name, event.message, event.status_code, event.retryable)


def _union_exceptions(stream: str | None) -> tuple[type[BedrockException], ...]:
    if stream is not None:
        return STREAMS[stream].exceptions
    found: dict[type[BedrockException], None] = {}
    for union in STREAMS.values():
        found.update(dict.fromkeys(union.exceptions))
    return tuple(found)


def bedrock_exceptions(stream: str | None = None) -> st.SearchStrategy[BedrockException]:
    """Exception values a stream can carry: every exception class of ``stream``'s union (all
    unions' for ``None``) with any message, modelled fields and extra keys, an
    :class:`~eventstream.bedrock.UnknownException` of a name outside it, and a
    ``:message-type: error`` frame (:class:`~eventstream.bedrock.ErrorFrame`).
    ``decode_event(encode_event(e), stream)`` gives each back equal."""
    if stream is not None and stream not in STREAMS:
        raise ValueError(f"stream must be one of {sorted(STREAMS)} or None, not {stream!r}")
    return st.one_of(
        *(_exception_values(cls) for cls in _union_exceptions(stream)),
        _unknown_exceptions(stream),
        _error_frames(),
    )


#: The keywords of every exception's constructor that say where it was, not what it is.
_PLACE = ("extra", "offset", "frame_index", "frame_offset")


def _exception_values(cls: type[BedrockException]) -> st.SearchStrategy[BedrockException]:
    hints = typing.get_type_hints(cls.__init__)
    modelled = {
        name: st.none() | _for_hint(hints[name])
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in _PLACE
    }
    reserved = {"message", *map(_camel, modelled)}
    extra = st.dictionaries(
        _text(max_size=8).filter(lambda key: key not in reserved), _json_values(), max_size=2
    )
    return st.builds(cls, _text(), extra=extra, **modelled)


@st.composite
def _unknown_exceptions(draw: st.DrawFn, stream: str | None = None) -> UnknownException:
    known = {cls.exception_type for cls in _union_exceptions(stream)}
    name = draw(_text(max_size=30).filter(lambda n: n not in known))
    payload = json.dumps({"message": draw(_text())}).encode()
    frame = Message(
        {
            ":exception-type": name,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        payload,
    )
    decoded = decode_event(frame, typing.cast(Any, stream))
    assert isinstance(decoded, UnknownException), decoded
    return decoded


def _error_frames() -> st.SearchStrategy[ErrorFrame]:
    return st.builds(ErrorFrame, _text(), error_code=_text(max_size=30))


@st.composite
def _in_band_errors(draw: st.DrawFn) -> Chunk:
    kind = draw(st.sampled_from(["overloaded_error", "api_error", "rate_limit_error"]))
    return _chunk({"type": "error", "error": {"type": kind, "message": draw(_text())}})


@st.composite
def interrupted_streams(
    draw: st.DrawFn, /, stream: StreamKind | None = None, **kwargs: Any
) -> BedrockStream:
    """A valid stream cut by an exception after event N (N from 0 to all of them): any
    exception of the stream's union (:func:`bedrock_exceptions`), and for Invoke also an
    in-band ``error`` chunk. ``expected`` is the answer so far with that one error, and
    ``complete`` is false. Keyword arguments go to :func:`converse_streams` or
    :func:`invoke_streams` (``stream=None``: either)."""
    kind = _stream_kind(draw, stream)
    steps = draw(_steps_of(kind)(**kwargs))
    after = draw(st.integers(0, len(steps)))
    carriers = bedrock_exceptions(kind)
    exception: TypedEvent = draw((carriers | _in_band_errors()) if kind == "invoke" else carriers)
    error = _error_of(exception)
    events = (*(step.event for step in steps[:after]), exception)
    return BedrockStream(
        kind, events, "exception", (error.type,), False, _answer(steps[:after], [error]),
        f"{kind}: {error.type} after event {after} of {len(steps)} ({_describe(steps)})",
    )  # fmt: skip


# --- malformed sequences ----------------------------------------------------------------------


def _stray_delta(stream: StreamKind, index: int, kind: str, piece: str) -> TypedEvent:
    """A delta of reassembly kind ``kind`` (text, tool_use, reasoning) for block ``index``."""
    if stream == "converse":
        delta: Any = {
            "text": TextDelta(text=piece),
            "tool_use": ToolUseDelta(input=piece),
            "reasoning": ReasoningContentDelta(text=piece),
        }[kind]
        return ContentBlockDelta(content_block_index=index, delta=delta)
    key, delta_type = {
        "text": ("text", "text_delta"),
        "tool_use": ("partial_json", "input_json_delta"),
        "reasoning": ("thinking", "thinking_delta"),
    }[kind]
    body = {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": delta_type, key: piece},
    }
    return _chunk(body)


def _first(steps: Sequence[_Step], index: int, phase: str | None = None) -> int:
    return next(
        n for n, s in enumerate(steps) if s.block == index and (phase is None or s.phase == phase)
    )


@st.composite
def malformed_streams(
    draw: st.DrawFn,
    /,
    stream: StreamKind | None = None,
    kinds: Iterable[str] | None = None,
    **kwargs: Any,
) -> BedrockStream:
    """A stream broken in one way of :data:`MALFORMATIONS` (all, or those in ``kinds``),
    labelled with what a correct consumer reports: ``errors`` (the
    :class:`~eventstream.bedrock.StreamError` types, in order), ``complete``, and
    ``expected`` where the answer is still determined (``missing_block_stop``,
    ``missing_end``). Keyword arguments go to the valid stream it starts from."""
    chosen = tuple(MALFORMATIONS) if kinds is None else tuple(kinds)
    if not chosen or any(k not in MALFORMATIONS for k in chosen):
        raise ValueError(f"kinds must be some of {tuple(MALFORMATIONS)}, got {chosen!r}")
    kind = draw(st.sampled_from(chosen))
    stream_kind = _stream_kind(draw, stream)
    # Converse starts only tool blocks; the kinds about starts and stops need one.
    need = "tool_use" if kind == "missing_block_stop" or (
        stream_kind == "converse" and kind in ("duplicate_start", "delta_before_start")
    ) else None  # fmt: skip
    least = 1 if kind in ("duplicate_start", "delta_before_start", "wrong_kind_delta") else 0
    options = {"min_blocks": least, **kwargs, "need": need}
    steps = draw(_steps_of(stream_kind)(**options))
    end = next(n for n, s in enumerate(steps) if s.phase == "end")
    blocks = sorted({s.block for s in steps if s.block is not None})
    started = sorted({s.block for s in steps if s.phase == "start" and s.block is not None})
    events = [step.event for step in steps]
    expected: Reassembled | None = None
    errors: tuple[str, ...]
    complete = False
    if kind == "duplicate_start":
        index = draw(st.sampled_from(started))
        start = _first(steps, index, "start")
        at = draw(st.integers(start + 1, end))
        events.insert(at, steps[start].event)
        errors, what = ("block_restarted",), f"block {index}'s start again at event {at}"
    elif kind == "delta_before_start":
        index = draw(st.sampled_from(started))
        start = _first(steps, index, "start")
        at = draw(st.integers(min(1, start), start))
        block_kind = typing.cast(str, steps[start].kind)
        events.insert(at, _stray_delta(stream_kind, index, block_kind, draw(_text(max_size=8))))
        errors, what = (
            ("block_restarted",),
            f"a delta for block {index} at event {at}, before its start",
        )
    elif kind == "wrong_kind_delta":
        index = draw(st.sampled_from(blocks))
        first = _first(steps, index)
        block_kind = typing.cast(str, steps[first].kind)
        other = draw(
            st.sampled_from([k for k in ("text", "tool_use", "reasoning") if k != block_kind])
        )
        at = draw(st.integers(first + 1, end))
        events.insert(at, _stray_delta(stream_kind, index, other, draw(_text(max_size=8))))
        # The stray delta opens a block of its kind at the index; the block's own next delta
        # is then misplaced too (and opens one of the first kind again).
        own_later = any(s.block == index and s.phase == "delta" and s.kind for s in steps[at:])
        errors = ("misplaced_delta",) * (1 + own_later)
        what = f"a {other} delta at event {at} for block {index}, a {block_kind} block"
    elif kind == "content_after_end":
        fresh = len(blocks)
        choice = draw(
            st.sampled_from(
                ["delta", "stop", "fresh delta", "fresh start"]
                if blocks
                else ["fresh delta", "fresh start"]
            )
        )
        if choice.startswith("fresh"):
            index, block_kind = fresh, "text"
        else:
            index = draw(st.sampled_from(blocks))
            block_kind = typing.cast(str, steps[_first(steps, index)].kind)
        if choice == "stop":
            event: TypedEvent = steps[_first(steps, index, "stop")].event
        elif choice == "fresh start":
            event = draw(
                _converse_block(fresh, "tool_use")
                if stream_kind == "converse"
                else _invoke_block(fresh, "text")
            )[0].event
        else:
            event = _stray_delta(stream_kind, index, block_kind, draw(_text(max_size=8)))
        events.append(event)
        errors, what = ("event_after_end",), f"a {choice} for block {index} after the end"
    elif kind == "missing_block_stop":
        index = draw(
            st.sampled_from(
                [
                    s.block
                    for s in steps
                    if s.phase == "start" and s.kind == "tool_use" and s.block is not None
                ]
            )
        )
        stop = _first(steps, index, "stop")
        del steps[stop], events[stop]
        errors, complete, expected = (), True, _answer(steps)
        what = f"tool block {index}'s stop left out"
    else:
        at = draw(st.integers(0, len(steps) - 1))
        del steps[at:], events[at:]
        errors, expected = (), _answer(steps)
        what = f"the stream stops after event {at} of {end + 1}"
    return BedrockStream(
        stream_kind,
        tuple(events),
        kind,
        errors,
        complete,
        expected,
        f"{stream_kind}, {kind}: {what}",
    )


# --- strategies for the typed classes ---------------------------------------------------------


def _camel(name: str) -> str:
    # The typed layer's rule (docs/bedrock.md): a snake_case field is a lowerCamel wire key.
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _for_hint(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a field's type hint that the wire carries back unchanged."""
    if hint is Any:
        return _json_values()
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        inner = st.one_of(*map(_for_hint, members))
        return st.none() | inner if len(members) < len(typing.get_args(hint)) else inner
    if origin is tuple:
        return st.lists(_for_hint(typing.get_args(hint)[0]), max_size=2).map(tuple)
    if origin is collections.abc.Mapping:  # a JSON object of any keys
        return st.dictionaries(_text(max_size=8), _for_hint(typing.get_args(hint)[1]), max_size=2)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        # Ours when it is one of ours (hypothesis checks each strategy as it is registered,
        # before the nested classes may be), else the registry's.
        return st.deferred(lambda: _TYPED[hint] if hint in _TYPED else st.from_type(hint))
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: _text(max_size=20),
        int: _INT64,
        float: st.floats(allow_nan=False, allow_infinity=False),
        bool: st.booleans(),
        bytes: st.binary(max_size=32),
    }
    if hint in simple:
        return simple[hint]
    raise TypeError(f"no strategy for {hint!r}")  # pragma: no cover - a new kind of field


def _structures(cls: type) -> st.SearchStrategy[Any]:
    """Instances of a declared shape: every field (optional ones set or not), extra keys."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    declared = {f.metadata.get("wire", _camel(f.name)) for f in fields}
    is_event = any(f.name == "padding" for f in fields)
    reserved = declared | ({"p"} if is_event else set())
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields:
        if f.name == "extra":
            if getattr(cls, "wraps", None) is not None:
                continue  # the wire value is the wrapped field itself: no room for extra keys
            keys = _text(max_size=10).filter(lambda key: key not in reserved)
            kwargs["extra"] = st.dictionaries(keys, _json_values(), max_size=2)
        elif f.name == "padding":
            kwargs["padding"] = st.none() | st.integers(1, len(PADDING_ALPHABET)).map(
                lambda n: PADDING_ALPHABET[:n]
            )
        else:
            values = _for_hint(hints[f.name])
            if f.default is not dataclasses.MISSING:
                values = st.just(f.default) | values
            kwargs[f.name] = values
    return st.builds(cls, **kwargs)


def _unknown_members(cls: type, known: frozenset[str]) -> st.SearchStrategy[Any]:
    """A union's fallback (``UnknownDelta``, ...): a member name outside the union, any JSON."""
    return st.builds(
        cls, member=_text(max_size=12).filter(lambda m: m not in known), value=_json_values()
    )


@st.composite
def _unknown_events(draw: st.DrawFn) -> UnknownEvent:
    stream = draw(st.sampled_from([None, *STREAMS]))
    unions = [STREAMS[stream]] if stream else list(STREAMS.values())
    known = {cls.event_type for union in unions for cls in union.events}
    name = draw(_text(max_size=20).filter(lambda n: n not in known))
    headers = {":event-type": name, ":content-type": "application/json", ":message-type": "event"}
    return UnknownEvent(name, Message(headers, draw(st.binary(max_size=32))), stream)


#: The strategy of each typed class, as registered with hypothesis.
_TYPED: dict[type, st.SearchStrategy[Any]] = {}


def _lazy(factory: Callable[..., st.SearchStrategy[Any]], *args: Any) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: factory(*args))


def _register_types() -> None:
    """A strategy for every typed class of ``eventstream.bedrock``, found from ``__all__``
    (so classes added later are covered): the declared shapes (dataclasses with ``extra``),
    the unions' fallbacks, the stream exceptions, unknown events."""
    exported = [getattr(bedrock, name) for name in bedrock.__all__]
    fallbacks: dict[type, set[str]] = {}
    for union in (obj for obj in exported if isinstance(obj, types.UnionType)):
        members = typing.get_args(union)
        if not any(hasattr(m, "union_key") for m in members):
            continue  # not a wire union (TypedEvent, say)
        keys = {m.union_key for m in members if hasattr(m, "union_key")}
        for member in members:
            if not hasattr(member, "union_key"):
                fallbacks.setdefault(member, set()).update(keys)
    classes = [c for c in exported if isinstance(c, type) and dataclasses.is_dataclass(c)]
    for cls in classes:
        if any(other is not cls and issubclass(other, cls) for other in classes):
            continue  # a base (BedrockEvent): from_type() draws its registered subclasses
        if cls in fallbacks:
            _TYPED[cls] = _lazy(_unknown_members, cls, frozenset(fallbacks[cls]))
        elif any(f.name == "extra" for f in dataclasses.fields(cls)):
            _TYPED[cls] = _lazy(_structures, cls)
    for exception in _union_exceptions(None):
        _TYPED[exception] = _lazy(_exception_values, exception)
    _TYPED[UnknownException] = st.deferred(_unknown_exceptions)
    _TYPED[ErrorFrame] = st.deferred(_error_frames)
    _TYPED[UnknownEvent] = st.deferred(_unknown_events)
    for cls, strategy in _TYPED.items():
        st.register_type_strategy(cls, strategy)


_register_types()
