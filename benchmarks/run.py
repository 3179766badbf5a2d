"""Benchmark eventstream against botocore and amazon-transcribe, in one process.

    python benchmarks/run.py                # full run (one to two minutes)
    python benchmarks/run.py --quick        # small inputs: a smoke run of every scenario
    python benchmarks/run.py --peers-full   # let the peers finish the 20 MB buffer (slow)

Every decoder is checked before it is timed: it must yield the same headers and payloads as
the frames were built from, so a broken decoder cannot produce a fast figure. Timings are the
best of N runs with ``time.perf_counter``; ratios compare decoders measured in this process.
The test frames are built here with ``struct`` and ``zlib``, not by any codec under test.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import gc
import importlib.metadata
import json
import os
import platform
import random
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore
import botocore.eventstream
from amazon_transcribe import eventstream as transcribe_eventstream

import eventstream as es

#: A decoded message, compared across decoders: headers in wire order and the payload.
Normalized = tuple[tuple[tuple[str, object], ...], bytes]
#: Feeds byte chunks to one decoder; returns how many messages came out. ``sink``, when
#: given, receives every message (the correctness check uses it; timed runs do not).
DecodeFn = Callable[[Sequence[bytes], Callable[[Any], None] | None], int]

CHUNK_HEADERS = (
    (":event-type", "chunk"),
    (":content-type", "application/json"),
    (":message-type", "event"),
)
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
WORDS = ("Hello", " world", ",", " the", " quick brown", " fox", " jumps", " over", "!\n")


# --- test frames ------------------------------------------------------------------------


def build_frame(headers: Iterable[tuple[str, str]], payload: bytes) -> bytes:
    """Lay out one frame with string headers by hand (independent of every codec measured)."""
    block = b""
    for name, value in headers:
        raw_name, raw_value = name.encode(), value.encode()
        block += bytes((len(raw_name),)) + raw_name + b"\x07"
        block += struct.pack(">H", len(raw_value)) + raw_value
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def chunk_payload(index: int) -> bytes:
    """A Bedrock ``chunk`` payload: base64 of an Anthropic text delta plus ``"p"`` padding."""
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": WORDS[index % len(WORDS)]},
    }
    inner = json.dumps(delta, separators=(",", ":")).encode()
    # Padding of varying length, as Bedrock sends: frames come out at 230..274 bytes.
    padding = PADDING[: 12 + (index * 7) % 29]
    outer = {"bytes": base64.b64encode(inner).decode(), "p": padding}
    return json.dumps(outer, separators=(",", ":")).encode()


def chunk_frames(count: int) -> list[bytes]:
    """``count`` distinct-enough chunk frames (the payloads cycle with period 261)."""
    distinct = [build_frame(CHUNK_HEADERS, chunk_payload(i)) for i in range(min(count, 261))]
    return [distinct[i % len(distinct)] for i in range(count)]


def frames_of_size(target_bytes: int) -> list[bytes]:
    """Chunk frames adding up to about ``target_bytes``."""
    sample = chunk_frames(261)
    average = sum(map(len, sample)) / len(sample)
    return chunk_frames(max(1, round(target_bytes / average)))


def big_frames(count: int, payload_size: int) -> list[bytes]:
    """Frames with a ``payload_size``-byte random payload and the three chunk headers."""
    rng = random.Random(1)
    return [build_frame(CHUNK_HEADERS, rng.randbytes(payload_size)) for _ in range(count)]


def split(data: bytes, read_size: int) -> list[bytes]:
    """Cut a stream into reads of ``read_size`` bytes (done before timing starts)."""
    return [data[i : i + read_size] for i in range(0, len(data), read_size)]


def expected_messages(frames: Sequence[bytes]) -> list[Normalized]:
    """What every decoder must produce: the headers and payload each frame was built from."""
    out = []
    for frame in frames:
        (headers_length,) = struct.unpack_from(">I", frame, 4)
        out.append((CHUNK_HEADERS, frame[12 + headers_length : -4]))
    return out


# --- the decoders -----------------------------------------------------------------------


def decode_ours(chunks: Sequence[bytes], sink: Callable[[Any], None] | None = None) -> int:
    decoder = es.Decoder()
    feed = decoder.feed
    count = 0
    for chunk in chunks:
        messages = feed(chunk)
        count += len(messages)
        if sink is not None:
            for message in messages:
                sink(message)
    decoder.close()
    return count


def _peer(buffer_class: Any) -> DecodeFn:
    def decode(chunks: Sequence[bytes], sink: Callable[[Any], None] | None = None) -> int:
        buffer = buffer_class()
        add_data = buffer.add_data
        count = 0
        for chunk in chunks:
            add_data(chunk)
            for message in buffer:
                count += 1
                if sink is not None:
                    sink(message)
        return count

    return decode


decode_botocore = _peer(botocore.eventstream.EventStreamBuffer)
decode_transcribe = _peer(transcribe_eventstream.EventStreamBuffer)

DECODERS: dict[str, DecodeFn] = {
    "eventstream": decode_ours,
    "botocore": decode_botocore,
    "amazon-transcribe": decode_transcribe,
}


def normalize(message: Any) -> Normalized:
    """Our Message and both peers' EventStreamMessage have ``.headers`` and ``.payload``."""
    return tuple(message.headers.items()), bytes(message.payload)


def collect(decode: DecodeFn, chunks: Sequence[bytes]) -> list[Normalized]:
    """Run ``decode`` over ``chunks`` and return every message it yields, normalized."""
    got: list[Normalized] = []
    count = decode(chunks, lambda message: got.append(normalize(message)))
    if count != len(got):
        raise AssertionError(f"decoder counted {count} messages but yielded {len(got)}")
    return got


def check_decoder(
    name: str,
    decode: DecodeFn,
    chunks: Sequence[bytes],
    frames: Sequence[bytes],
    want: list[Normalized] | None = None,
) -> None:
    """Raise AssertionError unless ``decode`` yields exactly the messages ``frames`` hold."""
    got = collect(decode, chunks)
    if want is None:
        want = expected_messages(frames)
    if got != want:
        bad = next(
            (i for i, pair in enumerate(zip(got, want, strict=False)) if pair[0] != pair[1]), None
        )
        raise AssertionError(
            f"{name} decoded {len(got)} messages, expected {len(want)}; first mismatch at {bad}"
        )


# --- timing -----------------------------------------------------------------------------


#: Short measurements are repeated until this many seconds have passed (see best_of).
MIN_SECONDS = 0.25


def best_of(run: Callable[[], object], repeat: int, min_seconds: float | None = None) -> float:
    """Best wall time of at least ``repeat`` calls (the least disturbed by other load).

    Short runs are repeated until ``min_seconds`` have passed (at most 200 calls), so a
    millisecond-long measurement is not decided by one unlucky scheduling slice.
    """
    if min_seconds is None:
        min_seconds = MIN_SECONDS
    best = float("inf")
    spent = 0.0
    calls = 0
    while calls < repeat or (spent < min_seconds and calls < 200):
        gc.collect()
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        calls += 1
    return best


class _Stop(Exception):
    """Raised from a sink to stop a decoder that ran past its time cap."""


def timed_progress(
    decode: DecodeFn, chunks: Sequence[bytes], cap: float | None
) -> tuple[list[float], float, bool]:
    """One run of ``decode`` noting when each message came out (seconds from the start).

    Returns the stamps, the run's seconds, and whether it finished before ``cap`` seconds.
    The sink's cost (one call per message) is negligible next to the peers' per-frame copy
    of the rest of the buffer, which is what this is used to measure.
    """
    stamps: list[float] = []
    clock = time.perf_counter

    def sink(message: object) -> None:
        now = clock() - start
        stamps.append(now)
        if cap is not None and now > cap:
            raise _Stop

    gc.collect()
    start = clock()
    try:
        decode(chunks, sink)
    except _Stop:
        return stamps, clock() - start, False
    return stamps, clock() - start, True


@dataclass
class Row:
    """One measurement: ``frames`` frames of ``nbytes`` bytes in ``seconds``."""

    name: str
    frames: int
    nbytes: int
    seconds: float

    @property
    def fps(self) -> float:
        return self.frames / self.seconds

    @property
    def mbps(self) -> float:
        return self.nbytes / self.seconds / 1e6


@dataclass
class Report:
    """Everything one run measured, for printing and for the target checks."""

    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    targets: list[tuple[str, str, str, bool]] = field(default_factory=list)

    def table(self, title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        self.sections.append((title, lines))
        print(f"\n### {title}\n", flush=True)
        print("\n".join(lines), flush=True)

    def note(self, text: str) -> None:
        self.sections[-1][1].extend(["", text])
        print(f"\n{text}", flush=True)

    def target(self, what: str, goal: str, got: str, met: bool) -> None:
        self.targets.append((what, goal, got, met))


def _check_count(name: str, count: int, want: int) -> None:
    if count != want:
        raise AssertionError(f"{name} decoded {count} messages during timing, expected {want}")


def time_decoders(
    chunks: Sequence[bytes],
    frames: Sequence[bytes],
    repeat: int,
    decoders: dict[str, DecodeFn] = DECODERS,
) -> dict[str, Row]:
    """Time each decoder over the same chunks (best of ``repeat``), checking its count."""
    nbytes = sum(map(len, chunks))
    rows = {}
    for name, decode in decoders.items():
        count = [0]

        def run(decode: DecodeFn = decode, count: list[int] = count) -> None:
            count[0] = decode(chunks, None)

        seconds = best_of(run, repeat)
        _check_count(name, count[0], len(frames))
        rows[name] = Row(name, len(frames), nbytes, seconds)
    return rows


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def _ratio_rows(rows: dict[str, Row], ref: str = "eventstream") -> list[list[str]]:
    out = []
    for name, row in rows.items():
        ratio = rows[ref].fps / row.fps
        out.append(
            [
                name,
                _fmt_rate(row.fps),
                f"{row.mbps:,.1f}",
                f"{row.seconds * 1e3:,.1f}",
                "1.00" if name == ref else f"{ratio:.2f}x",
            ]
        )
    return out


DECODE_HEADER = ("decoder", "frames/s", "MB/s", "best ms", "eventstream / this")


# --- scenarios --------------------------------------------------------------------------


def scenario_reads(
    report: Report, frames: Sequence[bytes], read_size: int, repeat: int
) -> dict[str, Row]:
    """1. Chunk frames arriving in reads of ``read_size`` bytes."""
    stream = b"".join(frames)
    chunks = split(stream, read_size)
    for name, decode in DECODERS.items():
        check_decoder(name, decode, chunks, frames)
    rows = time_decoders(chunks, frames, repeat)
    size = f"{read_size // 1024} KiB" if read_size % 1024 == 0 else f"{read_size}-byte"
    report.table(
        f"Chunk frames (~{len(stream) // len(frames)} B) in {size} reads: {len(frames):,} frames",
        DECODE_HEADER,
        _ratio_rows(rows),
    )
    return rows


def _faster(
    decode: DecodeFn, chunks: Sequence[bytes], cap: float | None, runs: int = 2
) -> tuple[list[float], float, bool]:
    """The :func:`timed_progress` run, of ``runs``, that decoded the most frames per second."""
    return max(
        (timed_progress(decode, chunks, cap) for _ in range(runs)),
        key=lambda run: len(run[0]) / run[1],
    )


@dataclass
class BufferResult:
    """One decoder on the small and the large buffer (scenario 2)."""

    small: Row
    large: Row
    ratio: float
    #: When the large run was stopped at its time cap: how many frames it had decoded.
    capped_at: int | None = None


def scenario_one_buffer(
    report: Report, small_bytes: int, large_bytes: int, repeat: int, peer_cap: float | None
) -> dict[str, BufferResult]:
    """2. All frames in one buffer fed in one call, at two sizes; the large/small ratio.

    botocore and amazon-transcribe copy the rest of the buffer after every frame, so a run
    over ~20 MB takes about two minutes each. With ``peer_cap`` their large run stops after
    that many seconds; their large-buffer rate and ratio then compare the first k frames of
    each buffer (timed within the same full run over the small buffer), which is what a
    quadratic decoder's ratio depends on, without the full two minutes.
    """
    small, large = frames_of_size(small_bytes), frames_of_size(large_bytes)
    small_stream, large_stream = b"".join(small), b"".join(large)
    head = small[:400]
    for name, decode in DECODERS.items():
        check_decoder(name, decode, [b"".join(head)], head)
    ours = time_decoders([small_stream], small, repeat, {"eventstream": decode_ours})
    ours_large = time_decoders([large_stream], large, repeat, {"eventstream": decode_ours})
    s, big = ours["eventstream"], ours_large["eventstream"]
    results = {"eventstream": BufferResult(s, big, big.fps / s.fps)}
    for name in ("botocore", "amazon-transcribe"):
        decode = DECODERS[name]
        # Runs of seconds each: the better of two is enough to shed a burst of other load.
        small_stamps, small_seconds, _ = _faster(decode, [small_stream], None)
        _check_count(name, len(small_stamps), len(small))
        # Uncapped (--peers-full), one run over the large buffer takes minutes already.
        large_stamps, large_seconds, finished = _faster(
            decode, [large_stream], peer_cap, runs=1 if peer_cap is None else 2
        )
        s = Row(name, len(small), len(small_stream), small_seconds)
        if finished:
            _check_count(name, len(large_stamps), len(large))
            big = Row(name, len(large), len(large_stream), large_seconds)
            results[name] = BufferResult(s, big, big.fps / s.fps)
            continue
        k = min(len(large_stamps), len(small_stamps))
        big = Row(name, k, k * len(large_stream) // len(large), large_stamps[k - 1])
        first_k_small = k / small_stamps[k - 1]
        results[name] = BufferResult(s, big, big.fps / first_k_small, capped_at=k)
    mb_s, mb_l = len(small_stream) / 1e6, len(large_stream) / 1e6
    table = []
    capped = False
    for name, result in results.items():
        mark = " \u2020" if result.capped_at else ""
        capped = capped or bool(result.capped_at)
        table.append(
            [
                name,
                _fmt_rate(result.small.fps),
                _fmt_rate(result.large.fps) + mark,
                f"{result.ratio:.0%}" + mark,
                f"{result.large.seconds:,.2f}" + mark,
            ]
        )
    report.table(
        f"One buffer, one call: {mb_s:.1f} MB ({len(small):,} frames) and "
        f"{mb_l:.1f} MB ({len(large):,} frames)",
        (
            "decoder",
            f"frames/s {mb_s:.3g} MB",
            f"frames/s {mb_l:.3g} MB",
            "large / small",
            "large: s",
        ),
        table,
    )
    if capped:
        notes = ", ".join(
            f"{n} after {r.capped_at:,} of {len(large):,} frames"
            for n, r in results.items()
            if r.capped_at
        )
        report.note(
            f"\u2020 Stopped at the {peer_cap:.0f} s cap ({notes}): the rate is over those "
            "first frames, and the ratio compares them with the same first frames of the small "
            "buffer. A full run's rate is higher (the rest of the buffer to copy shrinks as it "
            "drains) but its ratio is alike; `--peers-full` runs them to the end."
        )
    return results


def scenario_big_payloads(
    report: Report, count: int, payload_size: int, repeat: int
) -> tuple[Row, Row, float]:
    """3. Frames with 1 MiB payloads: decode throughput against ``zlib.crc32`` alone."""
    frames = big_frames(count, payload_size)
    stream = b"".join(frames)
    # Expected messages for these frames carry random payloads, not chunk JSON.
    want = [(CHUNK_HEADERS, f[-4 - payload_size : -4]) for f in frames]
    for name, decode in DECODERS.items():
        check_decoder(name, decode, [stream], frames, want)
    crc_seconds = best_of(lambda: zlib.crc32(stream), repeat)
    crc_row = Row("zlib.crc32 over the same bytes", count, len(stream), crc_seconds)
    one = time_decoders([stream], frames, repeat)
    reads = time_decoders(split(stream, 64 * 1024), frames, repeat, {"eventstream": decode_ours})
    ours = one["eventstream"]
    table = [[crc_row.name, f"{crc_row.mbps:,.0f}", _fmt_rate(crc_row.fps), "100%"]]
    for label, row in (
        ("eventstream, one buffer", ours),
        ("eventstream, 64 KiB reads", reads["eventstream"]),
        ("botocore, one buffer", one["botocore"]),
        ("amazon-transcribe, one buffer", one["amazon-transcribe"]),
    ):
        table.append(
            [label, f"{row.mbps:,.0f}", _fmt_rate(row.fps), f"{row.mbps / crc_row.mbps:.0%}"]
        )
    report.table(
        f"{payload_size // 1024} KiB payloads: {count} frames, {len(stream) / 1e6:.1f} MB",
        ("what", "MB/s", "frames/s", "of crc32"),
        table,
    )
    return ours, crc_row, reads["eventstream"].mbps / crc_row.mbps


def scenario_encode(report: Report, count: int, repeat: int) -> dict[str, Row]:
    """4. Encoding chunk frames: construct + encode, encode alone, and the peer's serializer."""
    payloads = [chunk_payload(i) for i in range(count)]
    headers = dict(CHUNK_HEADERS)
    frames = [build_frame(CHUNK_HEADERS, p) for p in payloads]
    serializer = transcribe_eventstream.EventStreamMessageSerializer()
    if [es.Message(headers, p).encode() for p in payloads] != frames:
        raise AssertionError("eventstream encodes chunk frames wrongly")
    if [serializer.serialize(headers, p) for p in payloads] != frames:
        raise AssertionError("amazon-transcribe serializes chunk frames wrongly")
    message = es.Message
    serialize = serializer.serialize

    def construct_and_encode() -> None:
        for payload in payloads:
            message(headers, payload).encode()

    def transcribe() -> None:
        for payload in payloads:
            serialize(headers, payload)

    # Encode alone: fresh messages each run, since a message caches its header block.
    fresh: list[list[es.Message]] = []

    def prepare() -> None:
        fresh.append([message(headers, p) for p in payloads])

    def encode_alone() -> None:
        for m in fresh.pop():
            m.encode()

    best_alone = float("inf")
    for _ in range(repeat):
        prepare()
        best_alone = min(best_alone, best_of(encode_alone, 1, min_seconds=0))
    nbytes = sum(map(len, frames))
    rows = {
        "eventstream Message(...).encode()": Row(
            "construct + encode", count, nbytes, best_of(construct_and_encode, repeat)
        ),
        "eventstream encode() of a built Message": Row("encode", count, nbytes, best_alone),
        "amazon-transcribe serialize(headers, payload)": Row(
            "transcribe", count, nbytes, best_of(transcribe, repeat)
        ),
    }
    ref = rows["amazon-transcribe serialize(headers, payload)"].fps
    report.table(
        f"Encoding chunk frames: {count:,} frames",
        ("encoder", "frames/s", "MB/s", "vs amazon-transcribe"),
        [[k, _fmt_rate(r.fps), f"{r.mbps:,.1f}", f"{r.fps / ref:.2f}x"] for k, r in rows.items()],
    )
    return rows


# --- 6. typed Bedrock events ----------------------------------------------------------------

CONVERSE_WORDS = ("Hello there, general ", "the weather in Paris is ", "mild with a chance ",
                  "of rain tomorrow, then ", "sunshine all week long. ")  # fmt: skip


def _json_payload(body: dict[str, Any]) -> bytes:
    # Bedrock's own form (compact, keys sorted), written here with json, not by our encoder.
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def converse_frames(deltas: int) -> list[bytes]:
    """A ConverseStream laid out by hand: messageStart, a tool-use contentBlockStart,
    ``deltas`` text deltas of about 25 characters with 0..15 characters of padding,
    contentBlockStop, messageStop and metadata."""
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("messageStart", {"role": "assistant"}),
        ("contentBlockStart", {"contentBlockIndex": 0,
                               "start": {"toolUse": {"toolUseId": "t1", "name": "get"}}}),
    ]  # fmt: skip
    for i in range(deltas):
        body: dict[str, Any] = {
            "contentBlockIndex": 1,
            "delta": {"text": CONVERSE_WORDS[i % len(CONVERSE_WORDS)]},
        }
        if (i * 7) % 16:
            body["p"] = PADDING[: (i * 7) % 16]
        bodies.append(("contentBlockDelta", body))
    bodies += [
        ("contentBlockStop", {"contentBlockIndex": 1}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": {"inputTokens": 10, "outputTokens": deltas,
                                "totalTokens": deltas + 10}, "metrics": {"latencyMs": 1234}}),
    ]  # fmt: skip
    frames = []
    for name, body in bodies:
        headers = ((":event-type", name), (":content-type", "application/json"),
                   (":message-type", "event"))  # fmt: skip
        frames.append(build_frame(headers, _json_payload(body)))
    return frames


def invoke_frames(count: int) -> list[bytes]:
    """InvokeModelWithResponseStream chunks of Anthropic text deltas, with padding."""
    return [build_frame(CHUNK_HEADERS, chunk_payload(i)) for i in range(count)]


class _Raw:
    """What botocore's EventStream reads: a body with ``stream()`` and ``close()``."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks

    def stream(self) -> Iterable[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        pass


def _botocore_stream(operation: str, member: str) -> Callable[[Sequence[bytes]], Any]:
    """botocore's EventStream over the real bedrock-runtime model: what boto3 users run."""
    import botocore.session  # noqa: PLC0415 - only this scenario needs the service model
    from botocore.eventstream import EventStream  # noqa: PLC0415
    from botocore.parsers import EventStreamJSONParser  # noqa: PLC0415

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model(operation).output_shape.members[member]
    parser = EventStreamJSONParser()
    return lambda chunks: EventStream(_Raw(chunks), shape, parser, operation)


def scenario_typed(report: Report, deltas: int, repeat: int) -> dict[str, float]:
    """6. Typed Bedrock events: bytes -> typed events, Invoke chunks -> the Anthropic event,
    typed events -> bytes, and a relay, each against what a boto3 user or a naive gateway
    runs, on the same bytes."""
    from eventstream import bedrock as br  # noqa: PLC0415 - the typed layer, only here

    serializer = transcribe_eventstream.EventStreamMessageSerializer()
    converse = converse_frames(deltas)
    converse_chunks = split(b"".join(converse), 4096)
    invoke_chunks = split(b"".join(invoke_frames(deltas)), 4096)
    boto_converse = _botocore_stream("ConverseStream", "stream")
    boto_invoke = _botocore_stream("InvokeModelWithResponseStream", "body")
    count = len(converse)

    # Correctness first: the same events, the same JSON, the same bytes back.
    ours = list(br.events(converse_chunks, "converse"))
    theirs = list(boto_converse(converse_chunks))
    if len(ours) != len(theirs) != count:
        raise AssertionError("the typed decoders disagree on the number of events")
    for event, parsed in zip(ours, theirs, strict=True):
        wire = br._wire.to_wire(event)
        if {event.event_type: wire} != parsed:
            raise AssertionError(f"typed event {event!r} differs from botocore's {parsed!r}")
    # (Padding kept as it came: an event that came without any is sent without.)
    again = [br.encode_event(e, padding=e.padding is not None).encode() for e in ours]
    if again != converse:
        raise AssertionError("re-encoding the typed events does not give the frames back")
    inner = [e.json() for e in br.events(invoke_chunks, "invoke")]
    if inner != [json.loads(e["chunk"]["bytes"]) for e in boto_invoke(invoke_chunks)]:
        raise AssertionError("the Anthropic events inside the chunks differ")

    def ours_converse() -> None:
        _check_count("bedrock.events", sum(1 for _ in br.events(converse_chunks, "converse")),
                     count)  # fmt: skip

    def boto_converse_run() -> None:
        _check_count("botocore EventStream", sum(1 for _ in boto_converse(converse_chunks)),
                     count)  # fmt: skip

    def ours_invoke() -> None:
        for event in br.events(invoke_chunks, "invoke"):
            event.json()  # type: ignore[union-attr]

    def boto_invoke_run() -> None:
        for event in boto_invoke(invoke_chunks):
            json.loads(event["chunk"]["bytes"])

    texts = [CONVERSE_WORDS[i % len(CONVERSE_WORDS)] for i in range(deltas)]
    pads = [PADDING[: 1 + (i * 7) % 15] for i in range(deltas)]
    delta_headers = {":event-type": "contentBlockDelta", ":content-type": "application/json",
                     ":message-type": "event"}  # fmt: skip
    event_class, text_class, encode_event = br.ContentBlockDelta, br.TextDelta, br.encode_event

    def ours_encode() -> None:
        for text, pad in zip(texts, pads, strict=True):
            event = event_class(content_block_index=1, delta=text_class(text=text), padding=pad)
            encode_event(event).encode()

    def naive_encode() -> None:
        for text, pad in zip(texts, pads, strict=True):
            body = {"contentBlockIndex": 1, "delta": {"text": text}, "p": pad}
            serializer.serialize(delta_headers, json.dumps(body, separators=(",", ":")).encode())

    def ours_relay() -> None:
        # The minimal gateway of docs/bedrock.md: decode, re-encode every event.
        for event in br.events(converse_chunks, "converse", raise_exceptions=False):
            encode_event(event).encode()

    def boto_relay() -> None:
        for parsed in boto_converse(converse_chunks):
            ((name, body),) = parsed.items()
            headers = {":event-type": name, ":content-type": "application/json",
                       ":message-type": "event"}  # fmt: skip
            serializer.serialize(headers, json.dumps(body, separators=(",", ":")).encode())

    pairs = {
        "ConverseStream bytes -> typed events": (ours_converse, boto_converse_run, count),
        "Invoke bytes -> Chunk -> Anthropic event": (ours_invoke, boto_invoke_run, deltas),
        "typed text deltas -> bytes (construct + encode)": (ours_encode, naive_encode, deltas),
        "relay: bytes -> typed -> bytes": (ours_relay, boto_relay, count),
    }
    rows, ratios = [], {}
    for name, (mine, peer, events) in pairs.items():
        # Interleaved, so both sides of a ratio see the same machine.
        best_mine = best_peer = float("inf")
        for _ in range(repeat):
            best_mine = min(best_mine, best_of(mine, 1))
            best_peer = min(best_peer, best_of(peer, 1))
        ratios[name] = best_peer / best_mine
        rows.append([name, _fmt_rate(events / best_mine), _fmt_rate(events / best_peer),
                     f"{ratios[name]:.2f}x"])  # fmt: skip
    report.table(
        f"Typed Bedrock events: {deltas:,} deltas in 4 KiB reads",
        ("path", "eventstream events/s", "botocore or naive events/s", "ratio"),
        rows,
    )
    report.note(
        "Peers: botocore's EventStream with EventStreamJSONParser and the installed "
        "bedrock-runtime model (what boto3 runs), json.loads for the chunk's Anthropic event; "
        "json.dumps + amazon-transcribe's EventStreamMessageSerializer for encoding."
    )
    return ratios


# --- 5. memory, in a child process --------------------------------------------------------


def write_capture(path: Path, size: int) -> int:
    """Write about ``size`` bytes of chunk frames to ``path``; return the largest frame."""
    block_frames = chunk_frames(4096)
    block = b"".join(block_frames)
    with path.open("wb") as out:
        for _ in range(max(1, size // len(block))):
            out.write(block)
    return max(map(len, block_frames))


def memory_child(path: str, mode: str) -> dict[str, int]:
    """Iterate ``path`` with iter_messages; report peak bytes above the pre-loop baseline.

    With ``tracemalloc`` it also measures what makes up the peak: one read's worth of
    decoded messages, and two hand-written loops over the first 10 MB (a peak does not grow
    with the length: that is what is being checked) that show what iter_messages could reach.
    """
    count = 0
    if mode == "tracemalloc":
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        with open(path, "rb") as source:
            for _ in es.iter_messages(source):
                count += 1
        result = {"peak": tracemalloc.get_traced_memory()[1] - baseline, "frames": count}
        with open(path, "rb") as source:
            chunk = source.read(es.DEFAULT_READ_SIZE)
        before = tracemalloc.get_traced_memory()[0]
        batch = es.Decoder().feed(chunk)
        result["batch"] = tracemalloc.get_traced_memory()[0] - before
        result["batch_messages"] = len(batch)
        del batch, chunk
        for name, loop in (("dropped", _loop_dropping_references), ("sliced", _loop_in_slices)):
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            loop(path, 10_000_000)
            result[name] = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
        return result
    # Peak RSS: reset the kernel's high-water mark (VmHWM) so the start-up peak is not counted.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    baseline = _proc_status("VmRSS")
    with open(path, "rb") as source:
        for _ in es.iter_messages(source):
            count += 1
    return {"peak": _proc_status("VmHWM") - baseline, "frames": count}


def _loop_dropping_references(path: str, limit: int) -> None:
    """Decoder.feed per read, each read and its messages let go before the next read."""
    decoder = es.Decoder()
    with open(path, "rb") as source:
        for _ in range(limit // es.DEFAULT_READ_SIZE):
            chunk = source.read(es.DEFAULT_READ_SIZE)
            messages = decoder.feed(chunk)
            del chunk
            for _message in messages:
                pass
            del messages


def _loop_in_slices(path: str, limit: int, piece: int = 4096) -> None:
    """As above, but each read fed to the decoder in ``piece``-byte slices."""
    decoder = es.Decoder()
    with open(path, "rb") as source:
        for _ in range(limit // es.DEFAULT_READ_SIZE):
            chunk = source.read(es.DEFAULT_READ_SIZE)
            for start in range(0, len(chunk), piece):
                for _message in decoder.feed(chunk[start : start + piece]):
                    pass
            del chunk


def _proc_status(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def scenario_memory(report: Report, size: int) -> dict[str, int]:
    """5. Peak memory while iterating a capture file of ``size`` bytes, in child processes."""
    results: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "capture.bin"
        largest = write_capture(path, size)
        file_size = path.stat().st_size
        modes = ["tracemalloc"] + (["rss"] if Path("/proc/self/clear_refs").exists() else [])
        for mode in modes:
            child = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(path), mode],
                check=True,
                capture_output=True,
                text=True,
            )
            data = json.loads(child.stdout)
            results[mode] = data.pop("peak")
            results.update(data)
    results["bound"] = 2 * largest + es.DEFAULT_READ_SIZE
    results["largest"] = largest
    results["file"] = file_size
    rows = [
        [
            "tracemalloc peak above baseline (Python allocations)",
            f"{results['tracemalloc'] / 1024:,.0f} KiB",
        ]
    ]
    if "rss" in results:
        rows.append(
            ["peak RSS above baseline (VmHWM - VmRSS)", f"{results['rss'] / 1024:,.0f} KiB"]
        )
    rows += [
        [
            f"bound: 2 x largest frame ({largest} B) + read size ({es.DEFAULT_READ_SIZE} B)",
            f"{results['bound'] / 1024:,.0f} KiB",
        ],
        [
            f"for scale: the messages one {es.DEFAULT_READ_SIZE // 1024} KiB read decodes to "
            f"({results['batch_messages']} messages)",
            f"{results['batch'] / 1024:,.0f} KiB",
        ],
        [
            "what-if (first 10 MB, tracemalloc): Decoder.feed per read, read and messages "
            "dropped before the next read",
            f"{results['dropped'] / 1024:,.0f} KiB",
        ],
        [
            "what-if (first 10 MB, tracemalloc): each read fed in 4 KiB slices",
            f"{results['sliced'] / 1024:,.0f} KiB",
        ],
    ]
    report.table(
        f"Memory: iter_messages(open(path, 'rb')) over {file_size / 1e6:.0f} MB "
        f"({results['frames']:,} frames)",
        ("measure", "value"),
        rows,
    )
    return results


# --- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    reads_4k_bytes: int
    reads_7_bytes: int
    buffer_small: int
    buffer_large: int
    big_count: int
    encode_count: int
    memory_bytes: int
    typed_deltas: int
    repeat: int
    #: Seconds botocore and amazon-transcribe get on the large buffer (None: to the end).
    peer_cap: float | None


FULL = Plan(4_000_000, 400_000, 5_000_000, 20_000_000, 16, 50_000, 100_000_000, 20_000, 7, 10.0)
QUICK = Plan(400_000, 40_000, 250_000, 1_000_000, 4, 5_000, 10_000_000, 2_000, 3, 10.0)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.2f}; "
        f"eventstream {es.__version__}, botocore {botocore.__version__}, "
        f"amazon-transcribe {_version('amazon-transcribe')}"
    )


def _version(dist: str) -> str:
    return importlib.metadata.version(dist)


def run(plan: Plan) -> Report:
    report = Report()
    print(f"# eventstream benchmarks\n\n{machine()}", flush=True)
    started = time.perf_counter()

    r4k = scenario_reads(report, frames_of_size(plan.reads_4k_bytes), 4096, plan.repeat)
    r7 = scenario_reads(report, frames_of_size(plan.reads_7_bytes), 7, plan.repeat)
    buffers = scenario_one_buffer(
        report, plan.buffer_small, plan.buffer_large, plan.repeat, plan.peer_cap
    )
    ours_big, crc, _ = scenario_big_payloads(report, plan.big_count, 1024 * 1024, plan.repeat)
    enc = scenario_encode(report, plan.encode_count, plan.repeat)
    mem = scenario_memory(report, plan.memory_bytes)
    typed = scenario_typed(report, plan.typed_deltas, plan.repeat)

    def vs_boto(rows: dict[str, Row]) -> float:
        return rows["eventstream"].fps / rows["botocore"].fps

    ours_ratio, boto_ratio = buffers["eventstream"].ratio, buffers["botocore"].ratio
    enc_ratio = (
        enc["eventstream Message(...).encode()"].fps
        / enc["amazon-transcribe serialize(headers, payload)"].fps
    )
    report.target("4 KiB reads vs botocore", ">= 5x", f"{vs_boto(r4k):.2f}x", vs_boto(r4k) >= 5)
    report.target("7-byte reads vs botocore", ">= 3x", f"{vs_boto(r7):.2f}x", vs_boto(r7) >= 3)
    report.target(
        "large / small buffer frames/s",
        ">= 90% (botocore ~20%)",
        f"{ours_ratio:.0%} (botocore {boto_ratio:.0%})",
        ours_ratio >= 0.9,
    )
    report.target(
        "1 MiB payloads vs zlib.crc32",
        ">= 60%",
        f"{ours_big.mbps / crc.mbps:.0%}",
        ours_big.mbps / crc.mbps >= 0.6,
    )
    report.target(
        "construct + encode vs amazon-transcribe", ">= 2x", f"{enc_ratio:.2f}x", enc_ratio >= 2
    )
    for what, goal in (
        ("ConverseStream bytes -> typed events", 5),
        ("Invoke bytes -> Chunk -> Anthropic event", 4),
        ("typed text deltas -> bytes (construct + encode)", 2),
        ("relay: bytes -> typed -> bytes", 3),
    ):
        ratio = typed[what]
        report.target(f"typed: {what}", f">= {goal}x", f"{ratio:.2f}x", ratio >= goal)
    peak = max(mem["tracemalloc"], mem.get("rss", 0))
    report.target(
        "peak memory over a capture file",
        f"< {mem['bound'] / 1024:,.0f} KiB",
        f"{mem['tracemalloc'] / 1024:,.0f} KiB traced, "
        + (f"{mem['rss'] / 1024:,.0f} KiB RSS" if "rss" in mem else "RSS n/a"),
        peak < mem["bound"],
    )
    report.table(
        "Targets",
        ("target", "goal", "measured", "met"),
        [[w, g, m, "yes" if ok else "**no**"] for w, g, m, ok in report.targets],
    )
    print(f"\nTotal time {time.perf_counter() - started:.0f} s.", flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small inputs: a fast smoke run")
    parser.add_argument(
        "--peers-full",
        action="store_true",
        help="let botocore and amazon-transcribe finish the 20 MB buffer (minutes more)",
    )
    parser.add_argument("--memory-child", nargs=2, metavar=("PATH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return 0
    plan = QUICK if args.quick else FULL
    if args.peers_full:
        plan = dataclasses.replace(plan, peer_cap=None)
    run(plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
