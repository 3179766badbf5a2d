"""benchmarks/run.py on tiny inputs: every decoder it times yields the same messages.

No timings are asserted; this only guards against a benchmark that measures a broken decoder.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

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
    assert len(report.sections) == 7
