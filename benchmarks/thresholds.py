"""Measure both sides of each speed threshold in eventstream, interleaved, in one process.

    .venv/bin/python benchmarks/thresholds.py           # about a minute
    .venv/bin/python benchmarks/thresholds.py --quick   # small inputs: a smoke run

Each threshold picks one of two code paths by size, or bounds a cache. Here the real
functions run with the threshold monkeypatched so that one path or the other is always taken
(``_decoder._COPY_OUT_MAX = 0``: every pending frame is decoded through a view; ``= HUGE``:
every one is copied out), at sizes around the threshold. The alternatives of a measurement
run in turn, round after round, and each keeps its best time, so load that comes and goes
hits them alike. Before anything is timed, every alternative must produce the same output,
and a decoder the messages its frames were built from (independently, with ``struct`` and
``zlib``). Prints Markdown; benchmarks/README.md ("Thresholds") records a run.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
import platform
import random
import re
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import eventstream as es
from eventstream import _codec, _decoder, _message

#: (object, attribute, value): one monkeypatch, undone after each run.
Patch = tuple[Any, str, Any]
#: A value no size reaches: with it, a ``size <= threshold`` test always holds.
HUGE = 1 << 40
#: The other path counts as clearly better when the chosen one takes this much longer.
CLEARLY = 1.05

CHUNK_HEADERS = (
    (":event-type", "chunk"),
    (":content-type", "application/json"),
    (":message-type", "event"),
)

# The alternatives of each threshold, as patches (the smoke test checks that each selects
# the path it is named after).
COPY_OUT = {
    "copy out": [(_decoder, "_COPY_OUT_MAX", HUGE)],
    "view": [(_decoder, "_COPY_OUT_MAX", 0)],
}
SMALL_FRAME = {
    "slice": [(_codec, "_SMALL_FRAME", HUGE)],
    "view": [(_codec, "_SMALL_FRAME", 0)],
}
CONCAT = {
    "concat": [(_message, "_CONCAT_MAX", HUGE)],
    "join": [(_message, "_CONCAT_MAX", 0)],
}
BLOCKS_CACHED = [(_codec, "_PARSED_BLOCK_MAX_BYTES", HUGE)]
BLOCKS_OFF = [(_codec, "_PARSED_BLOCK_MAX_BYTES", -1)]
BLOCKS_NO_CAP = [(_codec, "_PARSED_BLOCKS_MAX", HUGE)]
STRINGS_CACHED = [(_message, "_KNOWN_STRING_MAX_BYTES", HUGE)]
STRINGS_OFF = [(_message, "_KNOWN_STRING_MAX_BYTES", -1)]
STRINGS_NO_CAP = [(_message, "_KNOWN_STRINGS_MAX", HUGE)]


# --- timing -------------------------------------------------------------------------------


@dataclass
class Timing:
    """How long each measurement runs: at least ``min_rounds`` rounds (one run of every
    alternative each), more until ``seconds`` of timed runs have passed (``max_rounds`` at
    most)."""

    min_rounds: int = 7
    seconds: float = 0.4
    max_rounds: int = 200


TIMING = Timing()


@contextmanager
def patched(patches: Sequence[Patch]) -> Iterator[None]:
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, value in patches:
            setattr(obj, name, value)
        yield
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)


@dataclass
class Point:
    """One workload, timed under each alternative's patches.

    ``prepare`` runs (untimed, patched) before every run, e.g. to empty or warm a cache;
    ``expected``, when given, is what every alternative's ``run()`` must return; ``count``
    is the number of frames or messages a run handles (times are reported per item).
    """

    run: Callable[[], object]
    alternatives: dict[str, list[Patch]]
    count: int
    prepare: Callable[[], object] | None = None
    expected: object = None


def check(point: Point) -> None:
    """Raise AssertionError unless every alternative gives the same (expected) output."""
    outputs = {}
    for label, patches in point.alternatives.items():
        with patched(patches):
            if point.prepare is not None:
                point.prepare()
            outputs[label] = point.run()
    reference = point.expected
    if reference is None:
        reference = next(iter(outputs.values()))
    for label, output in outputs.items():
        if output != reference:
            raise AssertionError(f"{label!r} gives a different output from the others")


def measure(point: Point) -> dict[str, float]:
    """Check the point, then time its alternatives in turn; best seconds per item of each."""
    check(point)
    labels = list(point.alternatives)
    best = dict.fromkeys(labels, float("inf"))
    clock = time.perf_counter
    spent = 0.0
    rounds = 0
    while rounds < TIMING.min_rounds or (spent < TIMING.seconds and rounds < TIMING.max_rounds):
        # ABBA order: neither alternative always runs just after the other's garbage.
        for label in labels if rounds % 2 == 0 else labels[::-1]:
            with patched(point.alternatives[label]):
                if point.prepare is not None:
                    point.prepare()
                gc.collect()
                gc.disable()
                try:
                    start = clock()
                    result = point.run()
                    elapsed = clock() - start
                finally:
                    gc.enable()
                del result
            best[label] = min(best[label], elapsed)
            spent += elapsed
        rounds += 1
    return {label: seconds / point.count for label, seconds in best.items()}


# --- frames, built without the codec -----------------------------------------------------


def header_block(headers: Sequence[tuple[str, str]]) -> bytes:
    block = b""
    for name, value in headers:
        raw_name, raw_value = name.encode(), value.encode()
        block += bytes((len(raw_name),)) + raw_name + b"\x07"
        block += struct.pack(">H", len(raw_value)) + raw_value
    return block


def build_frame(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes:
    """Lay out one frame with string headers by hand (independent of the codec measured)."""
    block = header_block(headers)
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def frames_for(size: int, plan: Plan) -> int:
    """How many frames of ``size`` bytes a run handles."""
    return max(plan.min_frames, min(plan.max_frames, plan.stream_bytes // size))


def sized_stream(
    size: int, count: int, headers: Sequence[tuple[str, str]] = CHUNK_HEADERS
) -> tuple[list[bytes], list[es.Message]]:
    """``count`` frames of exactly ``size`` bytes (8 payloads in turn), and their messages."""
    rng = random.Random(size)
    payload_length = size - 16 - len(header_block(headers))
    assert payload_length >= 0, (size, headers)
    payloads = [rng.randbytes(payload_length) for _ in range(8)]
    pairs = [(headers, payloads[i % len(payloads)]) for i in range(count)]
    return [build_frame(h, p) for h, p in pairs], [es.Message(list(h), p) for h, p in pairs]


def decode_chunks(chunks: Sequence[bytes]) -> list[es.Message]:
    decoder = es.Decoder()
    feed = decoder.feed
    messages: list[es.Message] = []
    for chunk in chunks:
        messages += feed(chunk)
    decoder.close()
    return messages


def halves(frames: Sequence[bytes]) -> list[bytes]:
    """Each frame in two reads, so that every frame is pending when its second half comes."""
    out = []
    for frame in frames:
        cut = len(frame) // 2
        out += (frame[:cut], frame[cut:])
    return out


def clear_caches() -> None:
    _codec._parsed_blocks.clear()
    _message._known_strings.clear()


# --- tables -------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Sizes at which the path the threshold picks is clearly slower than the other.
    wrong: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.3f}"


def change(new: float, old: float) -> str:
    """``new`` against ``old`` as a signed percentage of ``old``'s time."""
    return f"{(new / old - 1) * 100:+.1f}%"


def two_way(
    title: str,
    *,
    constant: str,
    threshold: int,
    alternatives: dict[str, list[Patch]],
    sizes: Sequence[int],
    make: Callable[[int], Point],
) -> Table:
    """A size threshold: sizes up to ``threshold`` take the first alternative, larger ones
    the second. Times both at each size; notes the crossover and any size where the path
    the threshold picks is clearly (``CLEARLY``) slower."""
    small, large = alternatives
    table = Table(
        title,
        (
            "frame bytes",
            f"{small} µs/frame",
            f"{large} µs/frame",
            f"{large} vs {small}",
            f"{constant} = {threshold} picks",
        ),
    )
    large_wins = []
    for size in sizes:
        times = measure(make(size))
        picked, other = (small, large) if size <= threshold else (large, small)
        mark = ""
        if times[picked] > times[other] * CLEARLY:
            lost = times[picked] / times[other] - 1
            mark = f" (**{other} {lost:.0%} faster**)"
            table.wrong.append(
                f"{size} B: {picked} {us(times[picked])} µs, {other} {us(times[other])} µs"
            )
        table.rows.append(
            [f"{size:,}", us(times[small]), us(times[large]), change(times[large], times[small]),
             picked + mark]
        )  # fmt: skip
        large_wins.append(times[large] < times[small])
    # The crossover: the smallest size from which the second path wins at every size measured.
    first = len(sizes)
    while first > 0 and large_wins[first - 1]:
        first -= 1
    if first == len(sizes):
        table.notes.append(f"{small} is faster at the largest size measured.")
    elif first == 0:
        table.notes.append(f"{large} is faster at every size measured.")
    else:
        table.notes.append(
            f"Crossover between {sizes[first - 1]:,} and {sizes[first]:,} B: {small} is faster"
            f" at {sizes[first - 1]:,} B, {large} from {sizes[first]:,} B on;"
            f" {constant} = {threshold}."
        )
    if any(large_wins[:first]):
        mixed = [f"{s:,}" for s, won in zip(sizes[:first], large_wins, strict=False) if won]
        table.notes.append(f"({large} also came out ahead at {', '.join(mixed)} B.)")
    return table


# --- the plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    sizes: Sequence[int] = (256, 512, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 16384)
    #: For _COPY_OUT_MAX, whose crossover lies further out.
    pending_sizes: Sequence[int] = (
        256, 512, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 16384, 32768, 65536,
    )  # fmt: skip
    #: For _SMALL_FRAME, which governs larger frames.
    crc_sizes: Sequence[int] = (
        256, 1024, 2048, 3072, 4096, 6144, 8192, 16384, 32768, 65536,
    )  # fmt: skip
    #: Frames of one size per run: about this many bytes, within min_frames..max_frames.
    stream_bytes: int = 512 * 1024
    min_frames: int = 64
    max_frames: int = 2048
    #: Frames or messages per run in the cache measurements.
    cache_count: int = 2048
    #: Header block sizes for the parsed-block cache (75: the three chunk headers).
    block_sizes: Sequence[int] = (75, 256, 512, 1024, 1536, 2048, 4096)
    #: Encoded sizes of each of three string headers for the known-string cache (0: the
    #: chunk headers as they are, 20 to 33 bytes).
    string_sizes: Sequence[int] = (0, 64, 128, 256, 384, 512, 1024)
    #: Distinct header blocks (or values of one header) a stream cycles through.
    block_distinct: Sequence[int] = (16, 64, 256, 384, 1024)
    string_distinct: Sequence[int] = (16, 64, 96, 256, 1024)
    #: Bytes of chunk frames read in 4 KiB reads, for the inline prelude check.
    chunk_bytes: int = 1_000_000


FULL = Plan()
QUICK = Plan(
    sizes=(256, 2048, 4096, 16384),
    pending_sizes=(256, 2048, 4096, 65536),
    crc_sizes=(1024, 4096, 8192, 65536),
    stream_bytes=64 * 1024,
    min_frames=16,
    max_frames=256,
    cache_count=256,
    block_sizes=(75, 1024, 2048),
    string_sizes=(0, 256, 512),
    block_distinct=(16, 384),
    string_distinct=(16, 96),
    chunk_bytes=100_000,
)


# --- the thresholds -----------------------------------------------------------------------


def copy_out(plan: Plan) -> Table:
    """_decoder._COPY_OUT_MAX: a pending frame is copied out to bytes, or read via a view."""

    def make(size: int) -> Point:
        frames, messages = sized_stream(size, frames_for(size, plan))
        chunks = halves(frames)
        return Point(lambda: decode_chunks(chunks), COPY_OUT, len(frames), expected=messages)

    table = two_way(
        "Pending frames: copied out, or decoded through a view (`_decoder._COPY_OUT_MAX`)",
        constant="_COPY_OUT_MAX",
        threshold=_decoder._COPY_OUT_MAX,
        alternatives=COPY_OUT,
        sizes=plan.pending_sizes,
        make=make,
    )
    table.notes.insert(
        0,
        "Every frame arrives in two reads, so each is decoded from the decoder's buffer; "
        "`Decoder().feed` per read, chunk headers, random payloads.",
    )
    return table


def small_frame(plan: Plan) -> Table:
    """_codec._SMALL_FRAME: a frame in bytes is checksummed from a slice, or through a view."""

    def make(size: int) -> Point:
        frames, messages = sized_stream(size, frames_for(size, plan))
        data = [b"".join(frames)]
        return Point(lambda: decode_chunks(data), SMALL_FRAME, len(frames), expected=messages)

    table = two_way(
        "Whole frames in bytes: crc32 of a slice, or of a view (`_codec._SMALL_FRAME`)",
        constant="_SMALL_FRAME",
        threshold=_codec._SMALL_FRAME,
        alternatives=SMALL_FRAME,
        sizes=plan.crc_sizes,
        make=make,
    )
    table.notes.insert(0, "The frames in one `bytes` buffer, fed in one call.")
    return table


def concat(plan: Plan) -> Table:
    """_message._CONCAT_MAX: a frame is encoded by concatenation, or by a second crc32 and
    a join."""

    def make(size: int) -> Point:
        frames, messages = sized_stream(size, frames_for(size, plan))
        return Point(lambda: [m.encode() for m in messages], CONCAT, len(frames), expected=frames)

    table = two_way(
        "Encoding: concatenation, or a second crc32 and a join (`_message._CONCAT_MAX`)",
        constant="_CONCAT_MAX",
        threshold=_message._CONCAT_MAX,
        alternatives=CONCAT,
        sizes=plan.sizes,
        make=make,
    )
    table.notes.insert(0, "`Message.encode()` of messages built beforehand, chunk headers.")
    return table


def filler_headers(block_size: int) -> list[tuple[str, str]]:
    """The chunk headers plus ~40-byte string headers: a block of exactly ``block_size``."""
    headers = list(CHUNK_HEADERS)
    left = block_size - len(header_block(headers))
    index = 0
    while left > 0:
        # 9 bytes of name, type and length around the value; the last one takes the rest.
        value_length = 31 if left >= 80 else left - 9
        assert value_length >= 0, block_size
        headers.append((f"x-h{index:02d}", "v" * value_length))
        left -= 9 + value_length
        index += 1
    assert len(header_block(headers)) == block_size
    return headers


def block_cache(plan: Plan) -> list[Table]:
    """_codec._PARSED_BLOCK_MAX_BYTES and _PARSED_BLOCKS_MAX: the parsed header blocks."""
    count = plan.cache_count
    limit = _codec._PARSED_BLOCK_MAX_BYTES
    by_size = Table(
        "Parsed header blocks: a hit against a miss, by block size "
        "(`_codec._PARSED_BLOCK_MAX_BYTES`)",
        ("block bytes", "headers", "hit µs/frame", "miss µs/frame", "a hit saves",
         f"{limit} caches it"),
    )  # fmt: skip
    alternatives = {"hit": BLOCKS_CACHED, "miss": BLOCKS_OFF}
    for size in plan.block_sizes:
        headers = filler_headers(size)
        frames, messages = sized_stream(size + 16 + 100, count, headers)
        data = [b"".join(frames)]
        times = measure(
            Point(
                lambda data=data: decode_chunks(data),
                alternatives,
                count,
                prepare=clear_caches,
                expected=messages,
            )
        )
        cached = size <= limit
        hit, miss = times["hit"], times["miss"]
        if cached and hit > miss * CLEARLY:
            by_size.wrong.append(f"{size} B: hit {us(hit)} µs, miss {us(miss)} µs")
        by_size.rows.append(
            [f"{size:,}", str(len(headers)), us(hit), us(miss), f"{1 - hit / miss:.0%}",
             "yes" if cached else "no"]
        )  # fmt: skip
    by_size.notes += [
        f"{count} frames (100-byte payloads) with one header block, in one buffer: every "
        "frame after the first hits the cache, or (cache off) parses its block.",
        f"Above {limit} B a hit would save as much: the cap bounds memory (see the cache "
        "memory table), not time.",
    ]

    cap = _codec._PARSED_BLOCKS_MAX
    distinct = Table(
        f"Parsed header blocks: streams of K distinct blocks (`_codec._PARSED_BLOCKS_MAX` = {cap})",
        ("K", f"cap {cap} µs/frame", "no cap µs/frame", "cache off µs/frame",
         f"cap {cap} vs no cap"),
    )  # fmt: skip
    three = {f"cap {cap}": [], "no cap": BLOCKS_NO_CAP, "off": BLOCKS_OFF}
    for k in plan.block_distinct:
        frames, messages = _numbered_stream(k, max(count, 2 * k))
        data = [b"".join(frames)]
        warm = [b"".join(frames[:k])]

        def prepare(warm: list[bytes] = warm) -> None:
            clear_caches()
            decode_chunks(warm)

        times = measure(
            Point(
                lambda data=data: decode_chunks(data),
                three,
                len(frames),
                prepare=prepare,
                expected=messages,
            )
        )
        capped = times[f"cap {cap}"]
        distinct.rows.append(
            [f"{k:,}", us(capped), us(times["no cap"]), us(times["off"]),
             change(capped, times["no cap"])]
        )  # fmt: skip
    # A miss on a block never seen: the cache's insert (and emptying when full), against off.
    frames, messages = _numbered_stream(count, count)
    data = [b"".join(frames)]
    miss = measure(
        Point(
            lambda: decode_chunks(data),
            {"cache": [], "off": BLOCKS_OFF},
            count,
            prepare=clear_caches,
            expected=messages,
        )
    )
    distinct.notes += [
        "Chunk frames with an `x-seq` header taking K values in turn (a 90-byte block), "
        f"{max(count, 2 * min(plan.block_distinct))}+ frames in one buffer, after one "
        "untimed pass.",
        f"A stream whose blocks are all new ({count} frames, empty cache): "
        f"{us(miss['cache'])} µs/frame with the cache, {us(miss['off'])} with it off "
        f"({change(miss['cache'], miss['off'])}): the cost of a miss.",
    ]
    return [by_size, distinct]


def _numbered_stream(k: int, count: int) -> tuple[list[bytes], list[es.Message]]:
    rng = random.Random(k)
    payloads = [rng.randbytes(150) for _ in range(8)]
    pairs = [([*CHUNK_HEADERS, ("x-seq", f"{i % k:08d}")], payloads[i % 8]) for i in range(count)]
    return [build_frame(h, p) for h, p in pairs], [es.Message(h, p) for h, p in pairs]


def _sized_string_headers(size: int) -> dict[str, str]:
    """The chunk header names with values padded so that each header encodes to ``size``
    bytes (or the chunk headers themselves when they are that large already)."""
    headers = {}
    for name, value in CHUNK_HEADERS:
        encoded = 4 + len(name) + len(value)
        headers[name] = value + "." * max(0, size - encoded)
    return headers


def string_cache(plan: Plan) -> list[Table]:
    """_message._KNOWN_STRING_MAX_BYTES and _KNOWN_STRINGS_MAX: the encoded str headers."""
    count = plan.cache_count
    payload = bytes(200)
    limit = _message._KNOWN_STRING_MAX_BYTES
    by_size = Table(
        "Known string headers: a hit against a miss, by header size "
        "(`_message._KNOWN_STRING_MAX_BYTES`)",
        ("header bytes", "hit µs/message", "miss µs/message", "a hit saves",
         f"{limit} caches it"),
    )  # fmt: skip
    alternatives = {"hit": STRINGS_CACHED, "miss": STRINGS_OFF}
    for size in plan.string_sizes:
        headers = _sized_string_headers(size)
        expected = [build_frame(list(headers.items()), payload)] * count

        def build(headers: dict[str, str] = headers) -> list[es.Message]:
            return [es.Message(headers, payload) for _ in range(count)]

        times = measure(
            Point(
                build,
                alternatives,
                count,
                prepare=clear_caches,
                expected=_Encoded(expected),
            )
        )
        sizes = sorted({4 + len(n.encode()) + len(v.encode()) for n, v in headers.items()})
        shown = f"{sizes[0]}-{sizes[-1]}" if len(sizes) > 1 else f"{sizes[0]}"
        cached = sizes[-1] <= limit
        hit, miss = times["hit"], times["miss"]
        if cached and hit > miss * CLEARLY:
            by_size.wrong.append(f"{shown} B: hit {us(hit)} µs, miss {us(miss)} µs")
        by_size.rows.append(
            [shown, us(hit), us(miss), f"{1 - hit / miss:.0%}", "yes" if cached else "no"]
        )
    by_size.notes += [
        f"`Message(headers, payload)` x {count}: three `str` headers, a 200-byte payload; "
        "hit: the cache holds them, miss: checked and encoded each time.",
        f"Above {limit} B a hit would save as much: the cap bounds memory (see the cache "
        "memory table), not time.",
    ]

    cap = _message._KNOWN_STRINGS_MAX
    distinct = Table(
        f"Known string headers: K distinct values of one header "
        f"(`_message._KNOWN_STRINGS_MAX` = {cap})",
        ("K", f"cap {cap} µs/message", "no cap µs/message", "cache off µs/message",
         f"cap {cap} vs no cap"),
    )  # fmt: skip
    three = {f"cap {cap}": [], "no cap": STRINGS_NO_CAP, "off": STRINGS_OFF}
    for k in plan.string_distinct:
        total = max(count, 2 * k)
        values = [f"{i:08d}" for i in range(k)]
        expected = [build_frame([("x-id", values[i % k])], payload) for i in range(total)]

        def build_k(values: list[str] = values, total: int = total) -> list[es.Message]:
            k = len(values)
            return [es.Message({"x-id": values[i % k]}, payload) for i in range(total)]

        def prepare(values: list[str] = values) -> None:
            clear_caches()
            for value in values:
                es.Message({"x-id": value})

        times = measure(Point(build_k, three, total, prepare=prepare, expected=_Encoded(expected)))
        capped = times[f"cap {cap}"]
        distinct.rows.append(
            [f"{k:,}", us(capped), us(times["no cap"]), us(times["off"]),
             change(capped, times["no cap"])]
        )  # fmt: skip
    values = [f"{i:08d}" for i in range(count)]
    expected = [build_frame([("x-id", value)], payload) for value in values]
    miss = measure(
        Point(
            lambda: [es.Message({"x-id": value}, payload) for value in values],
            {"cache": [], "off": STRINGS_OFF},
            count,
            prepare=clear_caches,
            expected=_Encoded(expected),
        )
    )
    distinct.notes += [
        "`Message({'x-id': value}, payload)`, the value taking K 8-character values in turn, "
        "after one untimed pass.",
        f"Values all new ({count} messages, empty cache): {us(miss['cache'])} µs/message with "
        f"the cache, {us(miss['off'])} with it off ({change(miss['cache'], miss['off'])}): "
        "the cost of a miss.",
    ]
    return [by_size, distinct]


class _Encoded:
    """Equal to a list of messages that encode to these frames."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and [m.encode() for m in other] == self.frames

    __hash__ = None  # type: ignore[assignment]


def cache_memory(plan: Plan) -> Table:
    """What each cache holds when full at its caps, and for a Bedrock stream (tracemalloc)."""
    table = Table("Cache memory (tracemalloc, retained)", ("cache", "content", "KiB"))
    blocks_max, block_bytes = _codec._PARSED_BLOCKS_MAX, _codec._PARSED_BLOCK_MAX_BYTES
    big = filler_headers(block_bytes)
    names_max, string_bytes = _message._KNOWN_STRINGS_MAX, _message._KNOWN_STRING_MAX_BYTES

    def full_blocks() -> None:
        # Distinct blocks of exactly the byte cap: the last filler header's value varies.
        name, value = big[-1]
        for i in range(blocks_max):
            headers = [*big[:-1], (name, f"{i:08d}" + value[8:])]
            es.decode(build_frame(headers, b""))

    def full_strings() -> None:
        width = string_bytes - 4 - len("x-name-00")
        for n in range(names_max):
            for v in range(names_max):
                es.Message({f"x-name-{n:02d}": f"{v:08d}".ljust(width, ".")})

    chunk = build_frame(CHUNK_HEADERS, b"{}")

    cases = [
        ("parsed blocks", f"{blocks_max} blocks of {block_bytes} B ({len(big)} headers)",
         full_blocks),
        ("parsed blocks", "a Bedrock chunk stream (1 block of 3 headers)",
         lambda: es.decode(chunk)),
        ("known strings", f"{names_max} names x {names_max} values of {string_bytes} B",
         full_strings),
        ("known strings", "a Bedrock chunk stream (3 headers)",
         lambda: es.Message(dict(CHUNK_HEADERS))),
    ]  # fmt: skip
    for cache, content, fill in cases:
        clear_caches()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            fill()
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        table.rows.append([cache, content, f"{retained / 1024:,.1f}"])
    assert len(_message._known_strings) <= names_max
    clear_caches()
    return table


def calling_check_prelude() -> Callable[..., Any]:
    """Decoder._frames with its inline prelude test replaced by a call to check_prelude.

    Made from the real source (the rest of the loop is the same code), compiled against the
    decoder module's names.
    """
    source = textwrap.dedent(inspect.getsource(_decoder.Decoder._frames))
    pattern = re.compile(
        r"^(?P<indent> *)total, headers_length, prelude_crc = _PRELUDE\.unpack_from\(view, pos\)\n"
        r".*?^(?P=indent) {4}check_prelude\(view, pos, limits, base, frame_index\)\n",
        re.DOTALL | re.MULTILINE,
    )
    call = (
        r"\g<indent>total, headers_length, prelude_crc = check_prelude("
        r"view, pos, limits, base, frame_index)\n"
    )
    variant, found = pattern.subn(call, source)
    if found != 1:
        raise RuntimeError("Decoder._frames no longer has the inline prelude test expected here")
    namespace = dict(vars(_decoder))
    exec(compile(variant, "<Decoder._frames calling check_prelude>", "exec"), namespace)
    return namespace["_frames"]  # type: ignore[no-any-return]


def chunk_stream(nbytes: int) -> tuple[list[bytes], list[es.Message]]:
    """Chunk frames of 230 to 280 bytes adding up to about ``nbytes``."""
    rng = random.Random(7)
    payloads = [rng.randbytes(139 + i % 51) for i in range(261)]
    frames: list[bytes] = []
    messages: list[es.Message] = []
    size = 0
    while size < nbytes:
        payload = payloads[len(frames) % len(payloads)]
        frames.append(build_frame(CHUNK_HEADERS, payload))
        messages.append(es.Message(dict(CHUNK_HEADERS), payload))
        size += len(frames[-1])
    return frames, messages


def inline_prelude(plan: Plan) -> Table:
    """The decoder's fast loop tests the prelude inline instead of calling check_prelude."""
    frames, messages = chunk_stream(plan.chunk_bytes)
    data = b"".join(frames)
    alternatives = {
        "inline": [(_decoder.Decoder, "_frames", _decoder.Decoder._frames)],
        "call": [(_decoder.Decoder, "_frames", calling_check_prelude())],
    }
    table = Table(
        "The prelude test in the decoder's loop: inline, or a check_prelude call per frame",
        ("input", "inline frames/s", "call frames/s", "the call costs"),
    )
    for label, read in (("4 KiB reads", 4096), ("one buffer", len(data))):
        chunks = [data[i : i + read] for i in range(0, len(data), read)]
        times = measure(
            Point(lambda chunks=chunks: decode_chunks(chunks), alternatives, len(frames),
                  expected=messages)
        )  # fmt: skip
        inline, call = times["inline"], times["call"]
        table.rows.append(
            [
                label,
                f"{1 / inline:,.0f}",
                f"{1 / call:,.0f}",
                f"{1 - inline / call:.1%} of the rate",
            ]
        )
    table.notes.append(
        f"{len(frames):,} chunk frames of 230 to 280 bytes ({len(data):,} B). Both loops are "
        "the same source but for that test (the call version is made from Decoder._frames)."
    )
    return table


# --- the run ------------------------------------------------------------------------------


SECTIONS: tuple[Callable[[Plan], Table | list[Table]], ...] = (
    copy_out,
    small_frame,
    concat,
    block_cache,
    string_cache,
    cache_memory,
    inline_prelude,
)


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return result.stdout.strip()


def run(plan: Plan) -> list[Table]:
    loads = [load()]
    started = time.perf_counter()
    print(
        f"# eventstream thresholds\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"commit {commit()}: Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.machine()}, "
        f"{os.cpu_count()} CPUs, eventstream {es.__version__}; load average {loads[0]:.2f}",
        flush=True,
    )
    tables: list[Table] = []
    for section in SECTIONS:
        result = section(plan)
        for table in result if isinstance(result, list) else [result]:
            print("\n" + table.markdown(), flush=True)
            tables.append(table)
        loads.append(load())
    clear_caches()
    wrong = [f"{t.title}: {w}" for t in tables for w in t.wrong]
    print(
        f"\nLoad average (1 min) {min(loads):.2f} to {max(loads):.2f} during the run; "
        f"total {time.perf_counter() - started:.0f} s.",
    )
    if wrong:
        print("\nWhere the path a threshold picks is over 5% slower than the other:")
        print("\n".join(f"* {w}" for w in wrong))
    return tables


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        TIMING.min_rounds, TIMING.seconds = 3, 0.05
    run(QUICK if args.quick else FULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
