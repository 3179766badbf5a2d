"""Regression tests for the escapes tests/test_hostile_sweep.py found in translate, Nova Sonic,
capture, the decode CLI and the service layers (each failed before its fix).

The rule they hold the code to: an iteration that raised stays failed (every later call
raises :class:`eventstream.DecoderStateError` whose ``__cause__`` is the first error, as the
codec's adapters do), memory stays bounded by the input rather than by what it claims, and a
wrong argument type is refused with the library's own error, never a ``TypeError`` or
``AttributeError`` from inside.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import awslambda, capture, cli, sagemaker, translate
from eventstream import bedrock as br
from eventstream.bedrock import agent, engine
from eventstream.bedrock import nova_sonic as ns


def _fails_then_stays_failed(iterator: Iterator[Any]) -> list[Any]:
    """The items before the first error; then two more calls, each refused with a
    DecoderStateError whose cause is that first error."""
    items: list[Any] = []
    try:
        items.extend(iterator)
    except Exception as exc:  # any error: the iterator's first
        first = exc
    else:
        raise AssertionError("the iteration did not fail")
    for _ in range(2):
        with pytest.raises(es.DecoderStateError) as again:
            next(iterator)
        assert again.value.__cause__ is first
    return items


# --- translate ------------------------------------------------------------------------------

_BAD_SSE = [b"data: {bad\n\n", b"data: {}\n\n"]


@pytest.mark.parametrize("translator", [translate.from_anthropic, translate.from_openai])
def test_from_translators_stay_failed(translator: Callable[..., Iterator[Any]]) -> None:
    iterator = translator(_BAD_SSE)
    _fails_then_stays_failed(iterator)


def _events_then(error: BaseException) -> Iterator[br.TypedEvent]:
    yield br.MessageStart(role="assistant")
    raise error


@pytest.mark.parametrize(
    "translator",
    [lambda e: translate.to_anthropic(e, model="m"), lambda e: translate.to_openai(e, model="m")],
    ids=["to_anthropic", "to_openai"],
)
def test_to_translators_stay_failed_after_a_source_error(
    translator: Callable[[Iterable[br.TypedEvent]], Iterator[bytes]],
) -> None:
    # An error that is not ours (the source's own) cannot be written as an error event: it
    # is raised, and the stream must not then look finished.
    iterator = translator(_events_then(RuntimeError("the upstream socket broke")))
    written = _fails_then_stays_failed(iterator)
    assert written  # what came before the error went out


@pytest.mark.parametrize("translator", [translate.from_anthropic, translate.from_openai])
def test_from_translators_still_end_cleanly_and_close(
    translator: Callable[..., Iterator[Any]],
) -> None:
    events = [br.MessageStart(role="assistant"), br.MessageStop(stop_reason="end_turn")]
    writer = (
        translate.to_anthropic if translator is translate.from_anthropic else translate.to_openai
    )
    body = b"".join(writer(events, model="m"))
    iterator = translator([body])
    assert [type(e) for e in iterator][:1] == [br.MessageStart]
    with pytest.raises(StopIteration):
        next(iterator)  # a clean end stays a clean end
    closed = translator([body])
    next(closed)
    closed.close()  # type: ignore[attr-defined]
    assert list(closed) == []


# --- Nova Sonic -----------------------------------------------------------------------------

_SESSION_END = b'{"event":{"sessionEnd":{}}}'


def test_nova_sonic_input_events_stop_at_the_refused_chunk() -> None:
    # Before: map(decode_input, chunks), so the next call decoded the chunk after the bad one.
    iterator = ns.input_events([b"not json", _SESSION_END])
    assert _fails_then_stays_failed(iterator) == []


def test_nova_sonic_output_events_stay_failed() -> None:
    # A stream exception among the events is raised, and stays raised.
    thrown = br.ModelStreamErrorException("the model failed")
    events = [br.Chunk(bytes=b'{"event":{"completionEnd":{}}}'), thrown, br.Chunk(bytes=b"{}")]
    iterator = ns.output_events(events)
    assert len(_fails_then_stays_failed(iterator)) == 1
    bad = ns.output_events([br.Chunk(bytes=b"not json"), br.Chunk(bytes=b"{}")])
    assert _fails_then_stays_failed(bad) == []


def test_nova_sonic_iterators_still_read_a_whole_stream() -> None:
    assert [type(e) for e in ns.input_events([_SESSION_END, br.Chunk(bytes=_SESSION_END)])] == [
        ns.SessionEnd,
        ns.SessionEnd,
    ]


@pytest.mark.parametrize("function", [ns.decode_input, ns.decode_output])
@pytest.mark.parametrize("argument", [None, "{}", 2**70, -1, 10**6], ids=repr)
def test_nova_sonic_decode_refuses_what_is_not_bytes(
    function: Callable[[Any], Any], argument: Any
) -> None:
    # Before: bytes(argument): TypeError, OverflowError, ValueError, or (an int n) n zero
    # bytes built before the JSON reader refused them.
    with pytest.raises(es.InputTypeError):
        function(argument)


@pytest.mark.parametrize("function", [ns.input_events, ns.output_events])
@pytest.mark.parametrize("argument", [None, 3, b"{}"], ids=repr)
def test_nova_sonic_iterators_refuse_what_is_not_an_iterable_of_chunks(
    function: Callable[[Any], Any], argument: Any
) -> None:
    with pytest.raises(es.InputTypeError):
        list(function(argument))


@pytest.mark.parametrize(
    "function",
    [ns.check_input_order, ns.check_output_order, ns.input_violations, ns.output_violations,
     ns.transcribe],
    ids=lambda f: f.__name__,
)  # fmt: skip
@pytest.mark.parametrize("argument", [None, 5, "sessionEnd"], ids=repr)
def test_nova_sonic_order_checks_refuse_what_is_not_an_iterable_of_events(
    function: Callable[[Any], Any], argument: Any
) -> None:
    # Before: TypeError 'not iterable' (and a str was read as events, one per character).
    with pytest.raises(es.InputTypeError):
        function(argument)


# --- capture: squeezed listings -------------------------------------------------------------

# '*' repeats the line before it up to the next offset: here, 16 TiB of zeros from 100 bytes.
_SQUEEZED = {
    "xxd": b"00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n*\n"
    b"fffffffffff0: 00  .\n",
    "hexdump": b"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
    b"*\nfffffffffff0  00  |.|\n",
}


@pytest.mark.parametrize("given", [True, False], ids=["given", "detected"])
@pytest.mark.parametrize("kind", sorted(_SQUEEZED))
def test_a_squeezed_listing_claiming_terabytes_is_refused_in_bounded_memory(
    kind: str, given: bool
) -> None:
    # Before: previous * (gap // len(previous)) was built whatever the gap: MemoryError.
    tracemalloc.start()
    try:
        with pytest.raises(capture.InputFormatError, match="claims"):
            capture.load_input(_SQUEEZED[kind], kind if given else None)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak


_TOOLS = {"xxd": ["xxd", "-a"], "hexdump": ["hexdump", "-C"]}


@pytest.mark.parametrize("kind", sorted(_TOOLS))
def test_the_tools_squeezed_listings_still_read(kind: str, tmp_path: Path) -> None:
    # The real tools squeeze repeated lines with '*': a megabyte of zeros between two
    # frames reads back whole, under the limit.
    if shutil.which(_TOOLS[kind][0]) is None:
        pytest.skip(f"{_TOOLS[kind][0]} is not installed")
    data = b"head" + bytes(1 << 20) + b"tail"
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    listing = subprocess.run([*_TOOLS[kind], str(path)], capture_output=True, check=True).stdout
    assert b"*\n" in listing and len(listing) < 1000  # squeezed
    loaded = capture.load_input(listing)
    assert loaded.format == kind
    assert loaded.bodies[0].data == data


def test_cli_decode_of_a_squeezed_listing_says_why(tmp_path: Path) -> None:
    path = tmp_path / "squeezed.xxd"
    path.write_bytes(_SQUEEZED["xxd"])
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["decode", "--json", str(path)], stdout=out, stderr=err)
    assert code == 2
    assert "Traceback" not in err.getvalue()
    assert "MiB, the most read" in err.getvalue()


# --- capture: streamed reads and CaptureDecoder stay failed ----------------------------------


class _BreakingFile(io.RawIOBase):
    """A pipe's end whose read fails (OSError) once ``data`` is given out."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._data.readinto(buffer)
        if not count:
            raise OSError("the capture's pipe broke")
        return count


@pytest.mark.parametrize(
    ("text", "fmt"),
    [(b"00" * (1 << 20) + b"zz", "hex"), (b"AAAA" * (1 << 18) + b"!!!!", "base64")],
    ids=["hex", "base64"],
)
def test_streamed_text_reads_stay_failed(text: bytes, fmt: str) -> None:
    loaded = capture.open_input(io.BytesIO(text), fmt)  # type: ignore[arg-type]
    _fails_then_stays_failed(iter(loaded.bodies[0].chunks()))


def test_streamed_raw_reads_stay_failed_when_the_file_breaks() -> None:
    frame = es.encode(es.Message({":message-type": "event"}, b"x"))
    loaded = capture.open_input(_BreakingFile(frame * 100_000))  # streamed: > HEAD_BYTES
    assert loaded.format == "raw"
    chunks = iter(loaded.bodies[0].chunks())
    assert b"".join(_fails_then_stays_failed(chunks)) == frame * 100_000


def test_a_body_of_a_callers_reads_stays_failed() -> None:
    def reads() -> Iterator[bytes]:
        yield b"\x00"
        raise OSError("gone")

    _fails_then_stays_failed(capture.Body(b"", reads=reads()).chunks())


_DAMAGED = b"\x00\x00\x00\x20" + b"\x00" * 30  # a prelude whose checksum fails


def _frame_then_broken_pipe(frame: bytes) -> Iterator[bytes]:
    yield frame
    raise OSError("the capture's pipe broke")


@pytest.mark.parametrize("method", ["frames", "items"])
@pytest.mark.parametrize("resync", [False, True])
def test_capture_decoder_stays_failed(method: str, resync: bool) -> None:
    frame = es.encode(es.Message({":message-type": "event"}, b"x"))
    if resync:
        body = capture.Body(b"", reads=_frame_then_broken_pipe(frame))  # resync skips damage
    else:
        body = capture.Body(frame + frame[:-3])  # the second frame cut short
    decoder = capture.CaptureDecoder(body, resync=resync)
    items = _fails_then_stays_failed(getattr(decoder, method)())
    assert len([i for i in items if isinstance(i, capture.CapturedFrame)]) == 1
    _fails_then_stays_failed(capture.CaptureDecoder(capture.Body(_DAMAGED)).frames())


def test_the_later_error_says_where_the_first_was() -> None:
    frame = es.encode(es.Message({":message-type": "event"}, b"x"))
    frames = capture.CaptureDecoder(capture.Body(frame + _DAMAGED)).frames()
    with pytest.raises(es.EventStreamError) as first:
        list(frames)
    with pytest.raises(es.DecoderStateError) as again:
        next(frames)
    assert first.value.offset is not None
    where = (again.value.offset, again.value.frame_index, again.value.frame_offset)
    assert where == (first.value.offset, first.value.frame_index, first.value.frame_offset)
    assert first.value.frame_offset == len(frame)


def test_decode_frames_still_keeps_the_fault() -> None:
    decoded = capture.decode_frames(capture.Body(_DAMAGED))
    assert decoded.frames == () and isinstance(decoded.fault, es.EventStreamError)


# --- capture: wrong argument types ----------------------------------------------------------


class _Reads:
    """A file object whose read() gives ``value`` (a wrong type), once."""

    def __init__(self, value: Any) -> None:
        self.value: Any = value

    def read(self, size: int = -1) -> Any:
        value, self.value = self.value, b""
        return value


_WRONG_TYPES: dict[str, tuple[Callable[[], Any], type[es.EventStreamError]]] = {
    "load_input(str)": (lambda: capture.load_input("AAAA"), es.InputTypeError),  # type: ignore[arg-type]
    "load_input(None)": (lambda: capture.load_input(None), es.InputTypeError),  # type: ignore[arg-type]
    "load_input(memoryview)": (
        lambda: capture.load_input(memoryview(b"AAAA")),  # type: ignore[arg-type]
        es.InputTypeError,
    ),
    "load_input(bytearray)": (
        lambda: capture.load_input(bytearray(b"\x1f\x8b")),  # type: ignore[arg-type]
        es.InputTypeError,
    ),
    "open_input(None)": (lambda: capture.open_input(None), es.InputTypeError),  # type: ignore[arg-type]
    "open_input(bytes)": (lambda: capture.open_input(b"AAAA"), es.InputTypeError),  # type: ignore[arg-type]
    "open_input(read() -> str)": (lambda: capture.open_input(_Reads("AAAA")), es.InputTypeError),
    "open_input(read() -> None)": (lambda: capture.open_input(_Reads(None)), es.InputTypeError),
    "open_input(text file)": (
        lambda: capture.open_input(io.StringIO("AAAA")),  # type: ignore[arg-type]
        es.InputTypeError,
    ),
    "open_input(size='x')": (
        lambda: capture.open_input(io.BytesIO(b"AAAA"), size="x"),  # type: ignore[arg-type]
        es.ConfigurationError,
    ),
    "open_input(size=-1)": (
        lambda: capture.open_input(io.BytesIO(b"AAAA"), size=-1),
        es.ConfigurationError,
    ),
    "decode_frames(None)": (lambda: capture.decode_frames(None), es.InputTypeError),  # type: ignore[arg-type]
    "decode_frames(bytes)": (lambda: capture.decode_frames(b"x"), es.InputTypeError),  # type: ignore[arg-type]
    "CaptureDecoder(read_size=0)": (
        lambda: capture.CaptureDecoder(capture.Body(b""), read_size=0),
        es.ConfigurationError,
    ),
    "Body(None)": (lambda: capture.Body(None), es.InputTypeError),  # type: ignore[arg-type]
    "Body(str)": (lambda: capture.Body("AAAA"), es.InputTypeError),  # type: ignore[arg-type]
    "Body.chunks(0)": (lambda: list(capture.Body(b"abc").chunks(0)), es.ConfigurationError),
    "timeline(None)": (lambda: capture.timeline(None), es.InputTypeError),  # type: ignore[arg-type]
    "list_streams(None)": (lambda: capture.list_streams(None), es.InputTypeError),  # type: ignore[arg-type]
    "list_streams([None])": (lambda: capture.list_streams([None]), es.InputTypeError),  # type: ignore[list-item]
}


@pytest.mark.parametrize("name", sorted(_WRONG_TYPES))
def test_capture_refuses_wrong_argument_types(name: str) -> None:
    call, error = _WRONG_TYPES[name]
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("read_size", [0, -1, 1.5, True, "64"], ids=repr)
def test_open_input_refuses_a_read_size_that_is_not_positive(read_size: Any) -> None:
    # Before: 0 raised ValueError (range step 0), -1 read the file whole and split the hex
    # text where no separator was: "an odd number of hex digits" for valid text.
    with pytest.raises(es.ConfigurationError):
        capture.open_input(io.BytesIO(b"00" * (1 << 20)), "hex", read_size=read_size)


@pytest.mark.parametrize("read_size", [63, 1 << 16])
def test_open_input_small_read_sizes_still_read_hex(read_size: int) -> None:
    text = b"00" * (1 << 20) + b"0a"
    loaded = capture.open_input(io.BytesIO(text), "hex", read_size=read_size)
    assert b"".join(bytes(c) for c in loaded.bodies[0].chunks()) == bytes(1 << 20) + b"\n"


# --- translate: one block's many pieces -----------------------------------------------------

_R = br.ReasoningContentDelta
_MANY_PIECES = {
    "BedrockToAnthropic redacted": (translate.BedrockToAnthropic, _R(redacted_content=b"x" * 1000)),
    "BedrockToOpenAI redacted": (translate.BedrockToOpenAI, _R(redacted_content=b"x" * 1000)),
    "BedrockToOpenAI signature": (translate.BedrockToOpenAI, _R(signature="s" * 1000)),
}


def _translate_pieces(make: Callable[[], Any], delta: Any, count: int) -> tuple[float, bytes]:
    translator = make()
    event = br.ContentBlockDelta(content_block_index=0, delta=delta)
    start = time.perf_counter()
    written = [*translator.feed(br.MessageStart(role="assistant"))]
    for _ in range(count):
        written += translator.feed(event)
    written += translator.feed(br.ContentBlockStop(content_block_index=0))
    return time.perf_counter() - start, b"".join(written)


@pytest.mark.parametrize("name", sorted(_MANY_PIECES))
def test_many_pieces_of_one_block_take_linear_time(name: str) -> None:
    # Before: a new buffer per piece (bytes + bytes, str += on an attribute): 8,000 pieces
    # of 1 KB took 7.7 s (64 GB copied), a hostile upstream's DoS. Linear, they take ~0.15 s;
    # the bound leaves room for a loaded machine. (A ratio of two sizes is not used: the
    # stop's one pass over megabytes does not scale with the pieces' count alone.)
    make, delta = _MANY_PIECES[name]
    seconds, out = _translate_pieces(make, delta, 8000)
    assert seconds < 2.5, f"{seconds:.3f} s for 8,000 pieces of 1 KB"
    whole = delta.redacted_content or delta.signature.encode()
    carried = base64.b64encode(whole * 8000) if delta.redacted_content else whole * 8000
    assert carried in out  # every piece, once, in order


# --- the service layers' decode_event -------------------------------------------------------

_SERVICES = {"agent": agent, "awslambda": awslambda, "sagemaker": sagemaker}


@pytest.mark.parametrize("argument", [None, b"\x00", "event", 3], ids=repr)
@pytest.mark.parametrize("service", sorted(_SERVICES))
def test_service_decode_event_refuses_what_is_not_a_message(service: str, argument: Any) -> None:
    # Before: AttributeError ('bytes' object has no attribute 'headers').
    with pytest.raises(es.InputTypeError):
        _SERVICES[service].decode_event(argument)


@pytest.mark.parametrize("service", sorted(_SERVICES))
def test_service_reader_refuses_what_is_not_a_message(service: str) -> None:
    reader = engine.ServiceReader(_SERVICES[service].STREAMS)  # "auto": settles first
    with pytest.raises(es.InputTypeError):
        reader.read(b"\x00")  # type: ignore[arg-type]


def test_service_decode_event_still_reads_a_message() -> None:
    message = es.Message({":message-type": "event", ":event-type": "PayloadPart"}, b"hi")
    event = sagemaker.decode_event(message)
    assert getattr(event, "bytes", None) == b"hi"
