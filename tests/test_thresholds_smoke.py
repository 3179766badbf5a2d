"""benchmarks/thresholds.py on tiny inputs: every pair of alternatives it times agrees.

No timings are asserted. The script checks that the alternatives of each measurement give
the same output before it times them; these tests run every measurement on tiny inputs, show
that the check catches a disagreement, and that each patch selects the path it is named
after (otherwise both columns of a table would time the same code).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import eventstream as es
from eventstream import _codec, _decoder, _message

THRESHOLDS_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "thresholds.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if not THRESHOLDS_PY.exists():
        pytest.skip(f"{THRESHOLDS_PY} is absent")
    spec = importlib.util.spec_from_file_location(
        "eventstream_benchmarks_thresholds", THRESHOLDS_PY
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def once(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One timed run of each alternative per measurement; the caches emptied afterwards."""
    monkeypatch.setattr(bench.TIMING, "min_rounds", 1)
    monkeypatch.setattr(bench.TIMING, "seconds", 0.0)
    yield
    bench.clear_caches()


def test_every_measurement_runs_on_tiny_inputs(
    bench: ModuleType, once: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Sizes on both sides of each threshold, and distinct counts past each cache's cap.
    tiny = bench.Plan(
        sizes=(256, 4096),
        pending_sizes=(256, 4096),
        crc_sizes=(256, 8192),
        stream_bytes=1024,
        min_frames=2,
        max_frames=4,
        cache_count=8,
        block_sizes=(75, 2048),
        string_sizes=(0, 512),
        block_distinct=(4, 300),
        string_distinct=(4, 70),
        chunk_bytes=5000,
    )
    tables = bench.run(tiny)
    assert len(tables) == 9
    assert all(table.rows for table in tables)
    out = capsys.readouterr().out
    assert out.count("\n### ") == 9
    assert "| frame bytes | copy out µs/frame | view µs/frame |" in out
    assert "Load average (1 min)" in out


def test_the_check_catches_alternatives_that_disagree(bench: ModuleType, once: None) -> None:
    box = SimpleNamespace(value=1)
    agree = bench.Point(lambda: box.value, {"a": [], "b": [(box, "value", 1)]}, 1)
    assert set(bench.measure(agree)) == {"a", "b"}
    differ = bench.Point(lambda: box.value, {"a": [], "b": [(box, "value", 2)]}, 1)
    with pytest.raises(AssertionError, match="'b' gives a different output"):
        bench.measure(differ)
    wrong = bench.Point(lambda: box.value, {"a": []}, 1, expected=3)
    with pytest.raises(AssertionError, match="'a' gives a different output"):
        bench.measure(wrong)
    assert box.value == 1  # the patches were undone


def _spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(module, name, spy)
    return calls


def _types(calls: list[tuple[Any, ...]]) -> set[type]:
    return {type(args[0]) for args in calls}


def test_each_patch_selects_its_path(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = bench.build_frame(bench.CHUNK_HEADERS, bytes(4000))
    # _COPY_OUT_MAX: what decode_body is given for a pending frame.
    calls = _spy(monkeypatch, _decoder, "decode_body")
    for label, kind in (("copy out", bytes), ("view", memoryview)):
        with bench.patched(bench.COPY_OUT[label]):
            bench.decode_chunks(bench.halves([frame]))
        assert _types(calls) == {kind}, label
        calls.clear()
    # _SMALL_FRAME: what crc32 reads for a small frame in bytes.
    calls = _spy(monkeypatch, _codec, "crc32")
    for label, kind in (("slice", bytes), ("view", memoryview)):
        with bench.patched(bench.SMALL_FRAME[label]):
            bench.decode_chunks([frame])
        assert _types(calls) == {kind}, label
        calls.clear()
    # _CONCAT_MAX: a join takes a third crc32 call.
    message = es.Message(dict(bench.CHUNK_HEADERS), b"{}")
    calls = _spy(monkeypatch, _message, "crc32")
    for label, count in (("concat", 2), ("join", 3)):
        with bench.patched(bench.CONCAT[label]):
            assert message.encode() == bench.build_frame(bench.CHUNK_HEADERS, b"{}")
        assert len(calls) == count, label
        calls.clear()


def test_each_cache_patch_does_what_it_says(bench: ModuleType) -> None:
    try:
        big = bench.build_frame(bench.filler_headers(2048), b"")
        bench.clear_caches()
        es.decode(big)
        assert not _codec._parsed_blocks  # over the byte cap
        with bench.patched(bench.BLOCKS_CACHED):
            es.decode(big)
        assert len(_codec._parsed_blocks) == 1
        bench.clear_caches()
        frames, _ = bench._numbered_stream(300, 300)
        with bench.patched(bench.BLOCKS_NO_CAP):
            bench.decode_chunks([b"".join(frames)])
        assert len(_codec._parsed_blocks) == 300
        bench.clear_caches()
        with bench.patched(bench.BLOCKS_OFF):
            bench.decode_chunks([b"".join(frames)])
        assert not _codec._parsed_blocks

        long = "x" * 300
        es.Message({"n": long})
        assert not _message._known_strings  # over the byte cap
        with bench.patched(bench.STRINGS_CACHED):
            es.Message({"n": long})
        assert long in _message._known_strings["n"]
        bench.clear_caches()
        with bench.patched(bench.STRINGS_NO_CAP):
            for i in range(100):
                es.Message({"n": f"{i}"})
        assert len(_message._known_strings["n"]) == 100
        bench.clear_caches()
        with bench.patched(bench.STRINGS_OFF):
            es.Message({"n": "short"})
        assert not _message._known_strings
    finally:
        bench.clear_caches()


def test_the_call_variant_calls_check_prelude_per_frame(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy(monkeypatch, _decoder, "check_prelude")
    variant = bench.calling_check_prelude()  # compiled against the spy
    frames, messages = bench.chunk_stream(2000)
    data = [b"".join(frames)]
    assert bench.decode_chunks(data) == messages
    assert not calls  # the real loop tests valid preludes inline
    monkeypatch.setattr(_decoder.Decoder, "_frames", variant)
    assert bench.decode_chunks(data) == messages
    assert len(calls) == len(frames)
