"""Amazon Nova Sonic's events inside ``InvokeModelWithBidirectionalStream``'s chunks: typed, in
order, transcribed.

Each chunk's bytes are one JSON event ``{"event": {<name>: {...}}}``, both directions (AWS,
Amazon Nova user guide: "Handling input events with the bidirectional API", "Handling output
events with the bidirectional API", "Event flow sequence"). :func:`decode_input` /
:func:`decode_output` type a chunk's bytes (audio as ``bytes``, base64 on the wire; unknown
keys in ``extra``; unknown events as :class:`UnknownInputEvent` / :class:`UnknownOutputEvent`),
:func:`encode` gives them back, :func:`input_violations` / :func:`output_violations` check the
documented order, and :class:`TranscriptReassembler` keeps speculative and final text apart.
"""

from __future__ import annotations

import builtins
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from .._errors import EventStreamError, InputTypeError
from ._events import BedrockPayloadError, Chunk
from ._json import dumps, loads
from ._wire import JSON, Struct, UnionMember, WireError, decoder_of, install_init, to_wire
from .failclosed import Ending, FailClosed

__all__ = [
    "decode_input",
    "decode_output",
    "encode",
    "input_chunk",
    "input_events",
    "output_events",
    "NovaSonicError",
    "InputEvent",
    "OutputEvent",
    # input
    "SessionStart",
    "PromptStart",
    "ContentStart",
    "TextInput",
    "AudioInput",
    "ToolResult",
    "ContentEnd",
    "PromptEnd",
    "SessionEnd",
    "UnknownInputEvent",
    # output
    "CompletionStart",
    "OutputContentStart",
    "TextOutput",
    "AudioOutput",
    "ToolUse",
    "OutputContentEnd",
    "UsageEvent",
    "CompletionEnd",
    "UnknownOutputEvent",
    # nested
    "InferenceConfiguration",
    "TurnDetectionConfiguration",
    "MediaConfiguration",
    "AudioConfiguration",
    "ToolResultInputConfiguration",
    "ToolSpec",
    "Tool",
    "ToolConfiguration",
    "TokenCounts",
    "UsageTokens",
    "UsageDetails",
    # order
    "OrderViolation",
    "NovaSonicOrderError",
    "input_violations",
    "output_violations",
    "check_input_order",
    "check_output_order",
    # transcript
    "TranscriptPart",
    "Transcript",
    "TranscriptReassembler",
    "transcribe",
]


# --- nested shapes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InferenceConfiguration(Struct):
    """``sessionStart.inferenceConfiguration``."""

    max_tokens: int | None = None
    top_p: float | None = None
    temperature: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TurnDetectionConfiguration(Struct):
    """``sessionStart.turnDetectionConfiguration`` (Nova 2 Sonic)."""

    endpointing_sensitivity: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class MediaConfiguration(Struct):
    """A text or tool configuration: ``{"mediaType": ...}``."""

    media_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AudioConfiguration(Struct):
    """An audio input or output configuration (16 kHz LPCM in, 24 kHz out, base64)."""

    media_type: str | None = None
    sample_rate_hertz: int | None = None
    sample_size_bits: int | None = None
    channel_count: int | None = None
    voice_id: str | None = None
    encoding: str | None = None
    audio_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolResultInputConfiguration(Struct):
    """``contentStart.toolResultInputConfiguration``: the tool call a result answers."""

    tool_use_id: str | None = None
    type: str | None = None
    text_input_configuration: MediaConfiguration | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolSpec(Struct):
    """A tool: ``name``, ``description``, ``inputSchema`` (kept as JSON)."""

    name: str | None = None
    description: str | None = None
    input_schema: JSON | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Tool(Struct):
    """One entry of ``toolConfiguration.tools``."""

    tool_spec: ToolSpec | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolConfiguration(Struct):
    """``promptStart.toolConfiguration``."""

    tools: tuple[Tool, ...] | None = None
    tool_choice: JSON | None = None


# --- input events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SessionStart(UnionMember):
    """``sessionStart``: the first event, with the inference configuration."""

    union_key: ClassVar[str] = "sessionStart"
    inference_configuration: InferenceConfiguration | None = None
    turn_detection_configuration: TurnDetectionConfiguration | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptStart(UnionMember):
    """``promptStart``: names the prompt every later event carries; output formats, tools."""

    union_key: ClassVar[str] = "promptStart"
    prompt_name: str
    text_output_configuration: MediaConfiguration | None = None
    audio_output_configuration: AudioConfiguration | None = None
    tool_use_output_configuration: MediaConfiguration | None = None
    tool_configuration: ToolConfiguration | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentStart(UnionMember):
    """Input ``contentStart``: a content block (``type`` TEXT, AUDIO or TOOL; ``role``)."""

    union_key: ClassVar[str] = "contentStart"
    prompt_name: str
    content_name: str
    type: str | None = None
    interactive: bool | None = None
    role: str | None = None
    text_input_configuration: MediaConfiguration | None = None
    audio_input_configuration: AudioConfiguration | None = None
    tool_result_input_configuration: ToolResultInputConfiguration | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextInput(UnionMember):
    """``textInput``: text of a TEXT content (system prompt, history, a typed turn)."""

    union_key: ClassVar[str] = "textInput"
    prompt_name: str
    content_name: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AudioInput(UnionMember):
    """``audioInput``: one audio frame (~32 ms) of an AUDIO content, as PCM bytes."""

    union_key: ClassVar[str] = "audioInput"
    prompt_name: str
    content_name: str
    content: bytes


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolResult(UnionMember):
    """``toolResult``: a tool's result (JSON text) in a TOOL content."""

    union_key: ClassVar[str] = "toolResult"
    prompt_name: str
    content_name: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentEnd(UnionMember):
    """Input ``contentEnd``: closes the content block."""

    union_key: ClassVar[str] = "contentEnd"
    prompt_name: str
    content_name: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptEnd(UnionMember):
    """``promptEnd``: closes the prompt."""

    union_key: ClassVar[str] = "promptEnd"
    prompt_name: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SessionEnd(UnionMember):
    """``sessionEnd``: the last event."""

    union_key: ClassVar[str] = "sessionEnd"


@dataclass(frozen=True, slots=True)
class UnknownInputEvent:
    """An input event this library does not know, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


# --- output events ----------------------------------------------------------------------------


def _stage(additional_model_fields: str | None) -> str | None:
    if not additional_model_fields:
        return None
    try:
        value = loads(additional_model_fields)
    except ValueError:
        return None
    stage = value.get("generationStage") if isinstance(value, dict) else None
    return stage if isinstance(stage, str) else None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionStart(UnionMember):
    """``completionStart``: a response begins (its ids unite the events after it)."""

    union_key: ClassVar[str] = "completionStart"
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OutputContentStart(UnionMember):
    """Output ``contentStart``: ``type`` TEXT, AUDIO or TOOL; ``role``; the generation stage
    in ``additional_model_fields`` (a JSON text)."""

    union_key: ClassVar[str] = "contentStart"
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    content_id: str | None = None
    type: str | None = None
    role: str | None = None
    additional_model_fields: str | None = None
    text_output_configuration: MediaConfiguration | None = None
    audio_output_configuration: AudioConfiguration | None = None
    tool_use_output_configuration: MediaConfiguration | None = None

    @property
    def generation_stage(self) -> str | None:
        """``"SPECULATIVE"`` (planned speech), ``"FINAL"`` (what was said), or ``None``."""
        return _stage(self.additional_model_fields)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextOutput(UnionMember):
    """``textOutput``: transcript text (the user's speech, or the assistant's)."""

    union_key: ClassVar[str] = "textOutput"
    content: str
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    content_id: str | None = None
    role: str | None = None

    @property
    def interrupted(self) -> bool:
        """Whether this is the barge-in notice (``{"interrupted": true}`` as its text)."""
        try:
            value = loads(self.content)
        except ValueError:
            return False
        return isinstance(value, dict) and value.get("interrupted") is True


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AudioOutput(UnionMember):
    """``audioOutput``: a piece of speech, as PCM bytes."""

    union_key: ClassVar[str] = "audioOutput"
    content: bytes
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    content_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolUse(UnionMember):
    """``toolUse``: the model calls a tool (``content``: its input, JSON text)."""

    union_key: ClassVar[str] = "toolUse"
    content: str
    tool_name: str | None = None
    tool_use_id: str | None = None
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    content_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OutputContentEnd(UnionMember):
    """Output ``contentEnd``; ``stop_reason`` (``INTERRUPTED`` after a barge-in)."""

    union_key: ClassVar[str] = "contentEnd"
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    content_id: str | None = None
    stop_reason: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TokenCounts(Struct):
    """Speech and text tokens."""

    speech_tokens: int | None = None
    text_tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class UsageTokens(Struct):
    """Input and output token counts."""

    input: TokenCounts | None = None
    output: TokenCounts | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class UsageDetails(Struct):
    """``usageEvent.details``: the change since the last usage event, and the totals."""

    delta: UsageTokens | None = None
    total: UsageTokens | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class UsageEvent(UnionMember):
    """``usageEvent``: token use so far (cumulative)."""

    union_key: ClassVar[str] = "usageEvent"
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    details: UsageDetails | None = None
    total_input_tokens: int | None = None
    total_output_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionEnd(UnionMember):
    """``completionEnd``: the response ends; ``stop_reason`` says how."""

    union_key: ClassVar[str] = "completionEnd"
    session_id: str | None = None
    prompt_name: str | None = None
    completion_id: str | None = None
    stop_reason: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownOutputEvent:
    """An output event this library does not know, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


InputEvent: TypeAlias = (
    SessionStart | PromptStart | ContentStart | TextInput | AudioInput | ToolResult | ContentEnd
    | PromptEnd | SessionEnd | UnknownInputEvent
)  # fmt: skip
OutputEvent: TypeAlias = (
    CompletionStart | OutputContentStart | TextOutput | AudioOutput | ToolUse | OutputContentEnd
    | UsageEvent | CompletionEnd | UnknownOutputEvent
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class _InputEnvelope(Struct):
    event: InputEvent


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class _OutputEnvelope(Struct):
    event: OutputEvent


for _shape in list(vars().values()):
    if isinstance(_shape, type) and issubclass(_shape, Struct) and _shape.__module__ == __name__:
        install_init(_shape)
del _shape


# --- decoding and encoding --------------------------------------------------------------------


class NovaSonicError(BedrockPayloadError):
    """A chunk's bytes are not a Nova Sonic event: not JSON, not ``{"event": {...}}`` with one
    member, or a member that does not fit its shape (``path`` says where)."""


def _bytes_of(chunk: Chunk | bytes | bytearray | memoryview) -> builtins.bytes:
    if isinstance(chunk, Chunk):
        if chunk.bytes is None:
            raise NovaSonicError("the chunk has no bytes")
        return chunk.bytes
    if isinstance(chunk, bytes | bytearray | memoryview):
        return bytes(chunk)
    # Not bytes(chunk): an int n would build n zero bytes, and a str raises TypeError.
    raise InputTypeError(
        f"a Nova Sonic chunk is a Chunk or its bytes, not a {type(chunk).__name__}"
    )


def _decode(envelope: type[Struct], chunk: Chunk | bytes | bytearray | memoryview) -> Any:
    data = _bytes_of(chunk)
    try:
        value = loads(data)
    except ValueError as exc:
        raise NovaSonicError(f"chunk bytes are not JSON ({exc})") from None
    if not isinstance(value, dict) or set(value) != {"event"}:
        # Refused rather than dropped: no Nova Sonic event has keys beside "event".
        raise NovaSonicError('expected {"event": {<name>: {...}}}')
    try:
        return decoder_of(envelope)(value).event
    except WireError as exc:
        raise NovaSonicError(f"the event does not fit its shape: event.{exc}") from None


def decode_input(chunk: Chunk | bytes | bytearray | memoryview) -> InputEvent:
    """The input event a chunk (or its bytes) carries; raise :class:`NovaSonicError`."""
    event: InputEvent = _decode(_InputEnvelope, chunk)
    return event


def decode_output(chunk: Chunk | bytes | bytearray | memoryview) -> OutputEvent:
    """The output event a chunk (or its bytes) carries; raise :class:`NovaSonicError`."""
    event: OutputEvent = _decode(_OutputEnvelope, chunk)
    return event


def encode(event: InputEvent | OutputEvent) -> builtins.bytes:
    """A chunk's bytes for ``event``: ``{"event": {<name>: {...}}}``, compact JSON with sorted
    keys (audio base64), unknown keys and events as they came."""
    input_kinds = (*_INPUT_CLASSES, UnknownInputEvent)
    envelope: Struct = (
        _InputEnvelope(event=event)
        if isinstance(event, input_kinds)
        else _OutputEnvelope(event=event)
    )
    return dumps(to_wire(envelope))


def input_chunk(event: InputEvent) -> Chunk:
    """The ``chunk`` event of the bidirectional input stream that carries ``event``
    (``bedrock.encode_event(input_chunk(e))`` is its frame)."""
    return Chunk(bytes=encode(event))


def input_events(chunks: Iterable[Chunk | bytes]) -> Iterator[InputEvent]:
    """The input events of chunks (``bidirectional-input`` events, or their bytes). Fails
    closed: after a chunk is refused, every call raises :class:`~eventstream.DecoderStateError`
    (never the events after it)."""
    _check_iterable(chunks, "input_events")
    ending = Ending("nova_sonic.input_events()")
    return FailClosed(_input_events(chunks, ending), ending)


def _check_iterable(value: object, name: str, items: str = "chunks") -> None:
    if not isinstance(value, Iterable) or isinstance(value, bytes | bytearray | memoryview | str):
        raise InputTypeError(f"{name} takes an iterable of {items}, not a {type(value).__name__}")


def _input_events(
    chunks: Iterable[Chunk | bytes], ending: Ending
) -> Generator[InputEvent, None, None]:
    try:
        for chunk in chunks:
            yield decode_input(chunk)
    except GeneratorExit:
        raise
    except BaseException as exc:
        ending.fail(exc)
        raise


def output_events(events: Iterable[Any]) -> Iterator[OutputEvent]:
    """The output events of a ``bidirectional-output`` stream's typed events: its chunks,
    decoded; a stream exception among them is raised. Fails closed: after raising, every
    call raises :class:`~eventstream.DecoderStateError`."""
    _check_iterable(events, "output_events")
    ending = Ending("nova_sonic.output_events()")
    return FailClosed(_output_events(events, ending), ending)


def _output_events(events: Iterable[Any], ending: Ending) -> Generator[OutputEvent, None, None]:
    try:
        for event in events:
            if isinstance(event, Chunk):
                yield decode_output(event)
            elif isinstance(event, BaseException):
                raise event
    except GeneratorExit:
        raise
    except BaseException as exc:
        ending.fail(exc)
        raise


_INPUT_CLASSES = (
    SessionStart, PromptStart, ContentStart, TextInput, AudioInput, ToolResult, ContentEnd,
    PromptEnd, SessionEnd,
)  # fmt: skip
_CONTENT_TYPE = {TextInput: "TEXT", AudioInput: "AUDIO", ToolResult: "TOOL",
                 TextOutput: "TEXT", AudioOutput: "AUDIO", ToolUse: "TOOL"}  # fmt: skip


# --- the documented order ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderViolation:
    """An event out of the documented order: ``index`` in the session, its name, and what
    was expected there instead."""

    index: int
    event: str
    expected: str

    def __str__(self) -> str:
        return f"event {self.index} ({self.event}): expected {self.expected}"


class NovaSonicOrderError(EventStreamError):
    """A Nova Sonic session breaks the documented order; ``violations`` lists each break
    (``frame_index`` is the first one's event index)."""

    def __init__(self, violations: tuple[OrderViolation, ...]) -> None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"{first}{more}", frame_index=first.index)
        self.violations = violations


def _name(event: object) -> str:
    if isinstance(event, UnknownInputEvent | UnknownOutputEvent):
        return event.member
    return str(getattr(event, "union_key", type(event).__name__))


def input_violations(
    events: Iterable[InputEvent], *, complete: bool = True
) -> tuple[OrderViolation, ...]:
    """Every break of the input order: ``sessionStart`` first, then prompts
    (``promptStart`` … ``promptEnd``), each of content blocks (``contentStart``, its
    ``textInput``/``audioInput``/``toolResult`` events of the block's type, ``contentEnd``),
    the system prompt first, history (non-interactive USER/ASSISTANT text) before audio, one
    audio block at a time, every event
    naming the open prompt and an open block, ``sessionEnd`` last. ``complete``: the session
    is over, so a missing ``sessionEnd`` is a break too."""
    _check_iterable(events, "input_violations", "events")
    found: list[OrderViolation] = []
    started = ended = False
    prompt: str | None = None
    prompts: set[str] = set()
    contents: dict[str, str | None] = {}  # open blocks: name -> type
    seen: set[str] = set()
    first_content = True
    audio_started = False
    index = -1
    for index, event in enumerate(events):
        name = _name(event)

        def expect(what: str, index: int = index, name: str = name) -> None:
            found.append(OrderViolation(index, name, what))

        if isinstance(event, UnknownInputEvent):
            continue
        if ended:
            expect("nothing after sessionEnd")
            continue
        if isinstance(event, SessionStart):
            if started:
                expect("sessionStart once, as the first event")
            started = True
            continue
        if not started:
            expect("sessionStart first")
            started = True  # reported once; the rest is checked as if it had come
        if isinstance(event, SessionEnd):
            if prompt is not None:
                expect(f"promptEnd of {prompt!r} before sessionEnd")
            ended = True
            continue
        if isinstance(event, PromptStart):
            if prompt is not None:
                expect(f"promptEnd of {prompt!r} before another promptStart")
            if event.prompt_name in prompts:
                expect(f"a new promptName, not {event.prompt_name!r} again")
            prompt = event.prompt_name
            prompts.add(prompt)
            contents.clear()
            first_content = True
            continue
        if prompt is None:
            expect("promptStart before it")
            continue
        if event.prompt_name != prompt:
            expect(f"promptName {prompt!r} (the open prompt), not {event.prompt_name!r}")
        if isinstance(event, PromptEnd):
            if contents:
                expect(f"contentEnd of {', '.join(map(repr, contents))} before promptEnd")
            prompt = None
            continue
        content = event.content_name
        if isinstance(event, ContentStart):
            if content in seen:
                expect(f"a new contentName, not {content!r} again")
            if first_content and event.role != "SYSTEM":
                expect("the system prompt (a role SYSTEM content) first")
            if event.type == "AUDIO":
                if any(kind == "AUDIO" for kind in contents.values()):
                    expect("one audio content at a time (contentEnd of the open one first)")
                audio_started = True
            elif (
                event.role in ("USER", "ASSISTANT") and event.type == "TEXT" and audio_started
                and event.interactive is not True  # Nova 2 takes typed turns (interactive)
            ):  # fmt: skip
                expect("conversation history before audio streaming begins")
            first_content = False
            seen.add(content)
            contents[content] = event.type
            continue
        if content not in contents:
            expect(f"contentStart of {content!r} before it")
            continue
        if isinstance(event, ContentEnd):
            del contents[content]
            continue
        wanted = _CONTENT_TYPE[type(event)]
        if contents[content] != wanted:
            expect(
                f"{name} only in a content of type {wanted}, not in {content!r} "
                f"({contents[content]})"
            )
    if complete and not ended:
        found.append(OrderViolation(index + 1, "(end)", "sessionEnd to close the session"))
    return tuple(found)


def output_violations(
    events: Iterable[OutputEvent], *, complete: bool = True
) -> tuple[OrderViolation, ...]:
    """Every break of the output order: ``completionStart`` first; content blocks
    (``contentStart``, its ``textOutput``/``audioOutput``/``toolUse`` of the block's type,
    ``contentEnd``) inside a completion; ``completionEnd`` after its blocks closed.
    ``complete``: the stream is over, so an open completion is a break too."""
    _check_iterable(events, "output_violations", "events")
    found: list[OrderViolation] = []
    completion: str | None = None
    is_open = False
    contents: dict[str | None, str | None] = {}
    index = -1
    for index, event in enumerate(events):
        name = _name(event)

        def expect(what: str, index: int = index, name: str = name) -> None:
            found.append(OrderViolation(index, name, what))

        if isinstance(event, UnknownOutputEvent):
            continue
        if isinstance(event, CompletionStart):
            if is_open:
                expect(f"completionEnd of {completion!r} before another completionStart")
            is_open, completion = True, event.completion_id
            contents.clear()
            continue
        if not is_open:
            expect("completionStart before it")
            continue
        if completion is not None and event.completion_id not in (None, completion):
            expect(f"completionId {completion!r} (the open one), not {event.completion_id!r}")
        if isinstance(event, UsageEvent):
            continue
        if isinstance(event, CompletionEnd):
            if contents:
                expect(f"contentEnd of {', '.join(map(repr, contents))} before completionEnd")
            is_open = False
            continue
        content = event.content_id
        if isinstance(event, OutputContentStart):
            if content in contents:
                expect(f"a new contentId, not {content!r} again")
            contents[content] = event.type
            continue
        if content not in contents:
            expect(f"contentStart of {content!r} before it")
            continue
        if isinstance(event, OutputContentEnd):
            del contents[content]
            continue
        wanted = _CONTENT_TYPE[type(event)]
        if contents[content] != wanted:
            expect(
                f"{name} only in a content of type {wanted}, not in {content!r} "
                f"({contents[content]})"
            )
    if complete and is_open:
        found.append(OrderViolation(index + 1, "(end)", f"completionEnd of {completion!r}"))
    return tuple(found)


def check_input_order(events: Iterable[InputEvent], *, complete: bool = True) -> None:
    """Raise :class:`NovaSonicOrderError` if :func:`input_violations` finds any."""
    violations = input_violations(events, complete=complete)
    if violations:
        raise NovaSonicOrderError(violations)


def check_output_order(events: Iterable[OutputEvent], *, complete: bool = True) -> None:
    """Raise :class:`NovaSonicOrderError` if :func:`output_violations` finds any."""
    violations = output_violations(events, complete=complete)
    if violations:
        raise NovaSonicOrderError(violations)


# --- the transcript ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranscriptPart:
    """The text of one output content block: whose (``role``), and its ``stage``
    (``"SPECULATIVE"``: planned speech; ``"FINAL"``: what was said or heard)."""

    role: str | None
    stage: str | None
    text: str
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    """What a Nova Sonic response amounts to."""

    parts: tuple[TranscriptPart, ...]
    #: Every audioOutput's bytes, in order.
    audio: bytes
    tool_uses: tuple[ToolUse, ...]
    #: A barge-in notice arrived (or a block ended INTERRUPTED).
    interrupted: bool
    stop_reason: str | None
    usage: UsageEvent | None

    def text(self, role: str | None = "ASSISTANT", stage: str | None = "FINAL") -> str:
        """The text of ``role``'s blocks at ``stage`` (``None``: any), joined by spaces."""
        return " ".join(
            p.text
            for p in self.parts
            if (role is None or p.role == role) and (stage is None or p.stage == stage)
        )

    @property
    def final(self) -> str:
        """What the assistant said (its FINAL text)."""
        return self.text("ASSISTANT", "FINAL")

    @property
    def speculative(self) -> str:
        """What the assistant planned to say (its SPECULATIVE text)."""
        return self.text("ASSISTANT", "SPECULATIVE")

    @property
    def user(self) -> str:
        """What the model heard the user say (the USER transcript)."""
        return self.text("USER", None)


class TranscriptReassembler:
    """Output events in (:meth:`add`), a :class:`Transcript` out (:meth:`result`)."""

    def __init__(self) -> None:
        self._blocks: dict[str | None, OutputContentStart] = {}
        self._parts: list[TranscriptPart] = []
        self._text: dict[int, list[str]] = {}
        self._audio: list[bytes] = []
        self._tools: list[ToolUse] = []
        self._interrupted = False
        self._stop: str | None = None
        self._usage: UsageEvent | None = None

    def add(self, event: OutputEvent) -> None:
        """Take the next output event."""
        if isinstance(event, OutputContentStart):
            self._blocks[event.content_id] = event
        elif isinstance(event, TextOutput):
            if event.interrupted:
                self._interrupted = True
                return
            block = self._blocks.get(event.content_id)
            stage = block.generation_stage if block else None
            role = event.role or (block.role if block else None)
            last = self._parts[-1] if self._parts else None
            if last and (last.content_id, last.role, last.stage) == (
                event.content_id, role, stage,
            ):  # fmt: skip
                self._parts[-1] = TranscriptPart(role, stage, last.text + event.content,
                                                 event.content_id)  # fmt: skip
            else:
                self._parts.append(TranscriptPart(role, stage, event.content, event.content_id))
        elif isinstance(event, AudioOutput):
            self._audio.append(event.content)
        elif isinstance(event, ToolUse):
            self._tools.append(event)
        elif isinstance(event, OutputContentEnd):
            if event.stop_reason == "INTERRUPTED":
                self._interrupted = True
        elif isinstance(event, UsageEvent):
            self._usage = event
        elif isinstance(event, CompletionEnd):
            self._stop = event.stop_reason

    def result(self) -> Transcript:
        """The transcript so far."""
        return Transcript(
            tuple(self._parts), b"".join(self._audio), tuple(self._tools), self._interrupted,
            self._stop, self._usage,
        )  # fmt: skip


def transcribe(events: Iterable[OutputEvent]) -> Transcript:
    """The :class:`Transcript` of a response's output events."""
    _check_iterable(events, "transcribe", "events")
    reassembler = TranscriptReassembler()
    for event in events:
        reassembler.add(event)
    return reassembler.result()
