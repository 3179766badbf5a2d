"""Captures read as they stream: raw, hex and base64 decoded read by read give the frames
``load_input`` gives for the whole input; documents are bounded; the notebook keeps a bounded
number of frames and decodes the rest again on demand; peak memory stays flat."""

from __future__ import annotations

import base64
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import eventstream as es
from eventstream import notebook
from eventstream.capture import (
    Body,
    CaptureDecoder,
    InputFormatError,
    _formats,
    load_input,
    open_input,
)
from eventstream.capture._summary import MAX_NAMES, OTHER_NAMES, Summary
from eventstream.samples import sample_bytes
from tests.cli_support import ROOT

SAMPLE = sample_bytes("claude_invoke_tool_use")
# Larger than the head read whole, so that detection and decoding stream.
BIG = SAMPLE * (_formats.HEAD_BYTES // len(SAMPLE) + 40)


class _Trickle(io.RawIOBase):
    """A pipe that gives at most ``size`` bytes a read, as a socket does."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.pos, self.size = data, 0, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.data[self.pos : self.pos + min(self.size, len(buffer))]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def _per_line_base64(data: bytes) -> bytes:
    rng = random.Random(7)
    parts, i = [], 0
    while i < len(data):
        n = rng.randint(1, 3000)
        parts.append(base64.b64encode(data[i : i + n]))
        i += n
    return b"\n".join(parts) + b"\n"


ENCODINGS = {
    "raw": lambda d: d,
    "hex one line": lambda d: d.hex().encode(),
    "hex spaced": lambda d: d.hex(" ", 1).encode() + b"\n",
    "hex 0x, commas": lambda d: ", ".join(f"0x{b:02x}" for b in d).encode(),
    "base64 one line": base64.b64encode,
    "base64 wrapped": base64.encodebytes,
    "base64 url-safe unpadded": lambda d: base64.urlsafe_b64encode(d).rstrip(b"="),
    "base64 one string a line": _per_line_base64,
}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_streamed_formats_decode_the_same_bytes_as_the_whole_input(name: str) -> None:
    text = ENCODINGS[name](BIG)
    streamed = open_input(io.BufferedReader(_Trickle(text, 5000)))
    whole = load_input(text)
    assert streamed.format == whole.format
    assert streamed.bodies[0].data == b""  # not held: read as decoded
    data = b"".join(bytes(c) for c in streamed.bodies[0].chunks())
    assert data == whole.bodies[0].data == BIG


def test_small_inputs_are_detected_exactly_as_before() -> None:
    for text in (SAMPLE.hex().encode(), base64.b64encode(SAMPLE), b"", b"\x00" * 20):
        assert open_input(io.BytesIO(text)).note == load_input(text).note


def test_bad_text_mid_stream_is_an_input_format_error_with_its_offset() -> None:
    text = bytearray(BIG.hex().encode())
    text[len(text) - 1000] = ord("z")
    body = open_input(io.BytesIO(bytes(text))).bodies[0]
    with pytest.raises(InputFormatError, match="'z' is not a hex digit") as caught:
        b"".join(bytes(c) for c in body.chunks())
    assert caught.value.offset == len(text) - 1000


def test_a_document_is_read_whole_only_up_to_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_formats, "HEAD_BYTES", 1000)
    monkeypatch.setattr(_formats, "MAX_DOCUMENT_BYTES", 5000)
    entry = {"request": {"url": "u"}, "response": {"content": {
        "mimeType": "application/vnd.amazon.eventstream", "encoding": "base64",
        "text": base64.b64encode(SAMPLE).decode()}}}  # fmt: skip
    har = json.dumps({"log": {"entries": [entry]}}).encode()
    with pytest.raises(
        InputFormatError, match=r"JSON \(HAR\) document larger than 0 MiB, the most read whole"
    ):
        open_input(io.BytesIO(har))
    monkeypatch.setattr(_formats, "MAX_DOCUMENT_BYTES", 1 << 20)
    assert open_input(io.BytesIO(har)).bodies[0].data == SAMPLE


def test_a_live_pipe_yields_its_first_frame_before_the_rest_arrives() -> None:
    first = next(es.Decoder().frames(SAMPLE))

    def reads() -> object:
        yield SAMPLE[: first.length]
        raise AssertionError("read past the first frame before handing it out")

    decoder = CaptureDecoder(Body(b"", reads=reads()))  # type: ignore[arg-type]
    frames = decoder.frames()
    assert next(frames).length == first.length


def test_decode_capture_keeps_a_bounded_number_of_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notebook, "MAX_KEPT_BYTES", 2000)
    path = tmp_path / "capture.bin"
    path.write_bytes(SAMPLE * 3)
    stream = notebook.decode_capture(path)
    expected = list(es.Decoder().frames(SAMPLE * 3))
    assert len(stream) == len(expected) and len(stream.frames._kept) < 10  # type: ignore[attr-defined]
    assert [f.offset for f in stream] == [f.offset for f in expected]
    assert stream[-1].message == expected[-1].message and stream[20].offset == expected[20].offset
    assert [f.index for f in stream.frames[10:13]] == [10, 11, 12]
    assert stream.bytes_decoded == len(SAMPLE) * 3 and stream.size == len(SAMPLE) * 3
    assert stream.reassembled is not None and stream.stream == "invoke"


def test_peak_memory_of_the_cli_stays_flat() -> None:
    # benchmarks/memory.py in miniature: 24 MiB decoded in a subprocess.
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "memory.py"), "--mib", "24", "--mode",
         "summary"], capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    row = result.stdout.decode().strip().split("|")
    peak = float(row[4].split()[0].replace(",", ""))
    assert row[6].strip() == "0"
    assert peak < 60, result.stdout  # the capture is 24 MiB; the process ~30 MiB at rest


def test_summary_counts_stay_bounded_whatever_the_names() -> None:
    frames = b"".join(
        es.Message({":message-type": "event", ":event-type": f"e{n}"}).encode()
        for n in range(MAX_NAMES + 50)
    )
    summary = Summary()
    for frame in CaptureDecoder(Body(frames)).frames():
        summary.add(frame, bedrock=False)
    assert len(summary.event_types) == MAX_NAMES + 1
    assert summary.event_types[OTHER_NAMES] == 50 and summary.frames == MAX_NAMES + 50


def test_the_reassembled_record_is_written_in_pieces_not_copied_whole() -> None:
    # The record is as big as the stream's text: it went out as one string, escaped into a
    # second and joined with its newline into a third (about 6 times the text at the peak).
    import io  # noqa: PLC0415
    import tracemalloc  # noqa: PLC0415

    from eventstream._console import Console  # noqa: PLC0415

    text = "x" * 4_000_000

    class Null(io.TextIOBase):
        encoding = "utf-8"

        def write(self, s: str) -> int:
            return len(s)

    out = io.StringIO()
    Console(None, out, io.StringIO()).write_json({"reassembled": {"text": text}}, large=True)
    assert (
        out.getvalue() == json.dumps({"reassembled": {"text": text}}, separators=(",", ":")) + "\n"
    )
    console = Console(None, Null(), io.StringIO())
    record = {"reassembled": {"text": text, "content": [{"text": text}]}}
    tracemalloc.start()
    try:
        console.write_json(record, large=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * len(text), peak  # each piece once: no whole line, no copies of it
