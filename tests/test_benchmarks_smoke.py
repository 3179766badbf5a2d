"""benchmarks/run.py on tiny inputs: every decoder it times yields the same messages.

No timings are asserted; this guards against a benchmark that measures a broken decoder.
The tests at the end pin down the behaviour of the fast paths the benchmarks led to (header
caches, small-read path, bytes input): they must be invisible.
"""

from __future__ import annotations

import enum
import importlib.util
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import eventstream as es
from eventstream import _codec, _message

pytest.importorskip("botocore.eventstream")
pytest.importorskip("amazon_transcribe.eventstream")

RUN_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if not RUN_PY.exists():
        pytest.skip(f"{RUN_PY} is absent")
    spec = importlib.util.spec_from_file_location("eventstream_benchmarks_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("read_size", [1, 7, 4096, 1 << 20])
def test_every_decoder_yields_the_frames_it_was_given(bench: ModuleType, read_size: int) -> None:
    frames = bench.chunk_frames(300)
    want = bench.expected_messages(frames)
    chunks = bench.split(b"".join(frames), read_size)
    results = {name: bench.collect(decode, chunks) for name, decode in bench.DECODERS.items()}
    for name, got in results.items():
        assert got == want, name
    # The expected messages are real chunk frames: three string headers, a JSON payload.
    headers, payload = want[0]
    assert headers == (
        (":event-type", "chunk"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
    assert payload.startswith(b'{"bytes":"') and b'"p":"abcdefghijkl' in payload
    assert 200 < sum(map(len, frames)) / len(frames) < 300


def _dropping_last(decode: Any) -> Callable[..., int]:
    def broken(chunks: Sequence[bytes], sink: Callable[[Any], None] | None = None) -> int:
        seen: list[Any] = []
        decode(chunks, seen.append)
        for message in seen[:-1]:
            if sink is not None:
                sink(message)
        return len(seen) - 1

    return broken


def test_the_check_catches_a_broken_decoder(bench: ModuleType) -> None:
    frames = bench.chunk_frames(20)
    chunks = [b"".join(frames)]
    bench.check_decoder("eventstream", bench.decode_ours, chunks, frames)
    with pytest.raises(AssertionError, match="decoded 19 messages, expected 20"):
        bench.check_decoder("broken", _dropping_last(bench.decode_ours), chunks, frames)
    with pytest.raises(AssertionError, match="first mismatch at 0"):
        bench.check_decoder("shifted", bench.decode_ours, chunks, frames[1:] + frames[:1])


def test_scenarios_run_on_tiny_inputs(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "MIN_SECONDS", 0.0)  # one call per measurement is enough here
    report = bench.Report()
    frames = bench.frames_of_size(20_000)
    for read_size in (4096, 7):
        rows = bench.scenario_reads(report, frames, read_size, 1)
        assert {row.frames for row in rows.values()} == {len(frames)}
    buffers = bench.scenario_one_buffer(report, 30_000, 60_000, 1, None)
    assert set(buffers) == set(bench.DECODERS)
    assert not any(result.capped_at for result in buffers.values())
    # A cap of 0 s stops each peer after its first message: the capped path runs too.
    capped = bench.scenario_one_buffer(report, 30_000, 60_000, 1, 0.0)
    assert capped["botocore"].capped_at == capped["amazon-transcribe"].capped_at == 1
    assert capped["eventstream"].capped_at is None
    ours, crc, _ = bench.scenario_big_payloads(report, 2, 64 * 1024, 1)
    assert ours.frames == crc.frames == 2
    encoded = bench.scenario_encode(report, 50, 1)
    assert {row.frames for row in encoded.values()} == {50}
    memory = bench.scenario_memory(report, 200_000)
    assert memory["frames"] > 700
    assert memory["tracemalloc"] > 0
    typed = bench.scenario_typed(report, 40, 1)
    assert set(typed) == {
        "ConverseStream bytes -> typed events",
        "Invoke bytes -> Chunk -> Anthropic event",
        "typed text deltas -> bytes (construct + encode)",
        "relay: bytes -> typed -> bytes",
    }
    assert all(ratio > 0 for ratio in typed.values())
    assert len(report.sections) == 8


# --- the fast paths these benchmarks led to keep the library's behaviour -------------------


def _frames_with_all_types(count: int) -> tuple[list[es.Message], bytes]:
    messages = [
        es.Message(
            [
                (":event-type", "chunk" if i % 3 else "metadata"),
                ("t", bool(i % 2)),
                ("b", es.Byte(-i % 128)),
                ("s", es.Short(i)),
                ("i", i * 1000),
                ("l", es.Long(i << 40)),
                ("y", bytes([i % 256]) * (i % 5)),
                ("ts", es.Timestamp(1_700_000_000_000 + i)),
                ("u", uuid.UUID(int=i)),
            ],
            bytes([i % 256]) * (i * 37 % 5000),
        )
        for i in range(count)
    ]
    return messages, b"".join(message.encode() for message in messages)


@pytest.mark.parametrize("read_size", [1, 5, 12, 13, 4096, 1 << 20])
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_any_split_and_input_type_decodes_alike(read_size: int, kind: type) -> None:
    messages, stream = _frames_with_all_types(40)
    decoder = es.Decoder()
    got: list[es.Message] = []
    for start in range(0, len(stream), read_size):
        got += decoder.feed(kind(stream[start : start + read_size]))
    decoder.close()
    assert got == messages
    # A decoded message keeps its wire header block, which is what encoding gives.
    assert b"".join(message.encode() for message in got) == stream
    assert [m.header_block() for m in got] == [m.header_block() for m in messages]


def test_small_reads_after_close_or_failure_still_raise() -> None:
    frame = es.Message({":event-type": "chunk"}, b"{}").encode()
    decoder = es.Decoder()
    assert decoder.feed(frame[:3]) == []
    assert decoder.pending == 3
    with pytest.raises(es.TruncatedError):
        decoder.close()
    with pytest.raises(es.DecoderStateError):
        decoder.feed(b"x")
    failed = es.Decoder()
    bad = bytearray(frame)
    bad[8] ^= 1  # the prelude CRC
    with pytest.raises(es.PreludeChecksumError):
        failed.feed(bytes(bad[:12]))
    with pytest.raises(es.DecoderStateError):
        failed.feed(b"x")


def test_a_header_block_seen_before_still_fails_elsewhere_in_the_frame() -> None:
    frame = bytearray(es.Message({":event-type": "chunk"}, b"payload").encode())
    es.decode(bytes(frame))  # the block is now cached
    frame[-6] ^= 1  # the payload: the message CRC must still catch it
    with pytest.raises(es.MessageChecksumError) as error:
        es.decode(bytes(frame))
    assert error.value.offset == len(frame) - 4


def test_string_headers_checked_once_are_still_checked_exactly() -> None:
    class Kind(str, enum.Enum):  # enum.StrEnum is 3.11+
        CHUNK = "chunk"

    first = es.Message({":event-type": "chunk"})
    again = es.Message({":event-type": Kind.CHUNK})  # equal to a known pair, not a str
    assert type(again.headers[":event-type"]) is Kind
    assert again.encode() == first.encode()
    with pytest.raises(es.EncodeError, match="appears twice"):
        es.Message([(":event-type", "chunk"), (":event-type", "chunk")])
    with pytest.raises(es.EncodeError, match="cannot send a float"):
        es.Message([(":event-type", "chunk"), ("x", 1.5)])
    plain = es.Message({":event-type": "chunk", "n": 5})  # a dict is copied, then checked
    assert type(plain.headers["n"]) is es.Integer
    assert list(plain.headers) == [":event-type", "n"]


def test_the_caches_are_bounded() -> None:
    for i in range(3000):
        es.Message({"name": f"value {i}"}).encode()
    decoder = es.Decoder()
    for i in range(1000):
        decoder.feed(es.Message({"id": f"{i}"}, b"").encode())
    for i in range(3000):
        es.Message({f"name {i}": "value"})
    known = _message._known_strings
    assert len(known) <= _message._KNOWN_STRINGS_MAX
    assert all(len(values) <= _message._KNOWN_STRINGS_MAX for values in known.values())
    assert not _message._NOTHING
    assert len(_codec._parsed_blocks) <= _codec._PARSED_BLOCKS_MAX
