"""``--resync``: past a damaged frame to the next one whose prelude and checksums hold, with
each gap reported (offset, bytes skipped, why) in the CLI, JSON Lines and the notebook.

The frames come from the bundled samples (real Bedrock captures); every damage is checked
against the frames ``eventstream.Decoder`` gives for the undamaged bytes.
"""

from __future__ import annotations

import time

import pytest

import eventstream as es
from eventstream import cli, notebook
from eventstream.capture import Body, CaptureDecoder, Gap, decode_frames
from eventstream.samples import sample_bytes
from tests.cli_support import call, records

SAMPLE = sample_bytes("converse_tool_use")
FRAMES = list(es.Decoder().frames(SAMPLE))


def _damaged(index: int, where: str) -> bytes:
    frame = FRAMES[index]
    data = bytearray(SAMPLE)
    position = {
        "prelude": frame.offset + 9,  # the prelude CRC
        "length": frame.offset + 3,  # the total length
        "payload": frame.offset + frame.length - 10,
        "crc": frame.offset + frame.length - 1,
    }[where]
    data[position] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("where", ["prelude", "length", "payload", "crc"])
@pytest.mark.parametrize("index", [0, 3, len(FRAMES) - 1])
def test_every_frame_but_the_damaged_one_is_recovered(index: int, where: str) -> None:
    decoded = decode_frames(Body(_damaged(index, where)), bedrock=True, resync=True)
    assert decoded.fault is None
    expected = [f for f in FRAMES if f.frame_index != index]
    assert [(f.offset, f.length, f.message) for f in decoded.frames] == [
        (f.offset, f.length, f.message) for f in expected
    ]
    (gap,) = decoded.gaps
    damaged = FRAMES[index]
    assert (gap.offset, gap.length) == (damaged.offset, damaged.length)
    assert gap.to_end == (index == len(FRAMES) - 1)
    assert isinstance(gap.fault, es.EventStreamError) and gap.reason
    # Without resync: the first fault ends it, as before.
    plain = decode_frames(Body(_damaged(index, where)), bedrock=True)
    assert len(plain.frames) == index and plain.fault is not None and not plain.gaps


def test_garbage_between_frames_and_a_truncated_tail() -> None:
    junk = b"\x00\x01garbage\x00" * 50
    data = SAMPLE[: FRAMES[2].offset] + junk + SAMPLE[FRAMES[2].offset :] + SAMPLE[:100]
    items = list(CaptureDecoder(Body(data), resync=True, read_size=7).items())
    gaps = [i for i in items if isinstance(i, Gap)]
    frames = [i for i in items if not isinstance(i, Gap)]
    assert [f.message for f in frames] == [f.message for f in FRAMES]
    assert [(g.offset, g.length, g.to_end) for g in gaps] == [
        (FRAMES[2].offset, len(junk), False),
        (len(SAMPLE) + len(junk), 100, True),
    ]
    assert isinstance(gaps[1].fault, es.TruncatedError)
    # Frame indexes count the frames decoded; offsets are the stream's.
    assert [f.index for f in frames] == list(range(len(FRAMES)))
    assert frames[3].offset == FRAMES[3].offset + len(junk)


def test_the_search_is_linear_in_the_bytes_skipped() -> None:
    # 4 MiB of bytes a frame could start at (zeros pass the first-byte filter), then a frame.
    data = b"\x00" * (4 << 20) + SAMPLE
    start = time.perf_counter()
    decoded = decode_frames(Body(data), resync=True)
    elapsed = time.perf_counter() - start
    assert len(decoded.frames) == len(FRAMES)
    assert [(g.offset, g.length) for g in decoded.gaps] == [(0, 4 << 20)]
    assert elapsed < 15, elapsed  # a prelude CRC per candidate, never a message CRC


def test_cli_reports_gaps_in_the_table_json_and_exit_code() -> None:
    data = _damaged(3, "payload")
    code, out, err = call("decode", "--json", "--bedrock", "--resync", stdin=data)
    assert code == cli.EXIT_STREAM_ERROR  # the capture is damaged, resync or not
    lines = records(out)
    (gap,) = [line["gap"] for line in lines if "gap" in line]
    assert gap["offset"] == FRAMES[3].offset and gap["length"] == FRAMES[3].length
    assert gap["class"] == "MessageChecksumError" and not gap["to_end"]
    assert sum("frame" in line for line in lines) == len(FRAMES) - 1
    assert lines[-1]["reassembled"]["stream"] == "converse"
    assert f"skipped {FRAMES[3].length:,} damaged bytes in 1 gap" in err
    code, out, _ = call("decode", "--table", "--resync", stdin=data)
    text = out.decode()
    assert f"-- gap at byte {FRAMES[3].offset}: {FRAMES[3].length:,} bytes skipped" in text
    code, out, _ = call("decode", "--json", "--summary", "--resync", stdin=data)
    (summary,) = records(out)
    assert summary["summary"]["gaps"] == 1
    assert summary["summary"]["gap_bytes"] == FRAMES[3].length
    # Without --resync: fail at the first fault.
    code, out, _ = call("decode", "--json", stdin=data)
    assert code == cli.EXIT_STREAM_ERROR and "error" in records(out)[-1]
    assert sum("frame" in line for line in records(out)) == 3


def test_notebook_lists_the_gaps() -> None:
    stream = notebook.decode_capture(_damaged(2, "crc"), resync=True)
    assert stream.fault is None and len(stream) == len(FRAMES) - 1
    assert [(g.offset, g.length) for g in stream.gaps] == [(FRAMES[2].offset, FRAMES[2].length)]
    assert "1 gaps" in repr(stream)
    assert "Resync: 1 gap" in stream._repr_html_()
