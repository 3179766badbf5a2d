"""Input loading for the CLI and notebooks: format detection, HAR, and the decoded-frame model."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
import eventstream.samples
from eventstream import capture as inputs
from eventstream import strategies as es_st
from eventstream.capture._text import preview_bytes
from eventstream.samples import sample_bytes
from tests.support import shared_path

SAMPLE = sample_bytes("claude_invoke_tool_use")


def _encodings(data: bytes) -> dict[str, tuple[str, bytes]]:
    """Ways people paste a capture, each with the format it must be detected as."""
    b64 = base64.b64encode(data)
    hex_text = data.hex().encode()
    xxd = b"\n".join(hex_text[i : i + 60] for i in range(0, len(hex_text), 60))
    return {
        "raw": ("raw", data),
        "hex": ("hex", hex_text),
        "hex upper, newline": ("hex", data.hex().upper().encode() + b"\n"),
        "hex spaced": ("hex", data.hex(" ").encode()),
        "hex 0x prefix": ("hex", b"0x" + data.hex().encode()),
        "hex 0x each, commas": ("hex", ", ".join(f"0x{b:02x}" for b in data).encode()),
        "hex colons": ("hex", data.hex(":").encode()),
        "hex xxd -p lines": ("hex", xxd),
        "base64": ("base64", b64),
        "base64 no padding": ("base64", b64.rstrip(b"=")),
        "base64 url-safe": ("base64", base64.urlsafe_b64encode(data)),
        "base64 wrapped": ("base64", base64.encodebytes(data)),
        "base64 with BOM": ("base64", b"\xef\xbb\xbf" + b64),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_encodings(SAMPLE)))
def test_every_way_of_writing_the_sample_is_detected(name: str) -> None:
    expected, text = _encodings(SAMPLE)[name]
    loaded = inputs.load_input(text)
    assert (loaded.format, loaded.ambiguous, loaded.detected) == (expected, False, True)
    (body,) = loaded.bodies
    assert body.data == SAMPLE
    assert "valid" in loaded.note and "prelude" in loaded.note  # says why it decided


@settings(max_examples=60, deadline=None)
@given(stream=es_st.streams(max_messages=4, max_payload=64).filter(lambda s: bool(s[0])))
def test_detection_never_guesses_wrong_on_valid_streams(
    stream: tuple[list[es.Message], bytes],
) -> None:
    messages, data = stream
    for name, (expected, text) in _encodings(data).items():
        loaded = inputs.load_input(text)
        assert (loaded.format, loaded.ambiguous) == (expected, False), name
        assert loaded.bodies[0].data == data, name
        decoded = inputs.decode_frames(loaded.bodies[0])
        assert decoded.fault is None
        assert [f.message for f in decoded.frames] == messages


def test_hex_that_is_also_base64_is_decided_by_the_prelude() -> None:
    # Every hex digit is a base64 character: both readings parse, only one gives a frame.
    text = SAMPLE.hex().encode()
    assert base64.b64decode(text + b"==", validate=True)  # it really is base64 (unpadded)
    loaded = inputs.load_input(text)
    assert loaded.format == "hex"
    assert loaded.note.endswith("; not as base64")


def test_the_envoy_network_reads_one_base64_string_per_line() -> None:
    # Each line is one network read, padded on its own: the joined text is not base64.
    reads = shared_path(
        "captures", "envoy-ai-gateway_invoke-stream_claude-sonnet-4-5.network-reads.b64.txt"
    )
    capture = shared_path("captures", "envoy-ai-gateway_invoke-stream_claude-sonnet-4-5.bin")
    loaded = inputs.load_input(reads.read_bytes())
    assert loaded.format == "base64" and not loaded.ambiguous
    assert loaded.bodies[0].data == capture.read_bytes()


def test_every_capture_is_detected_as_raw_and_as_its_hex() -> None:
    for path in sorted(shared_path("captures").glob("*.bin")):
        data = path.read_bytes()
        assert inputs.load_input(data).format == "raw", path.name
        loaded = inputs.load_input(data.hex(" ").encode())
        assert (loaded.format, loaded.bodies[0].data) == ("hex", data), path.name


def test_corrupt_text_is_read_but_flagged_ambiguous() -> None:
    # A corrupt first prelude: the text still reads as hex (and as base64), so say it is a guess.
    corrupt = bytes(4) + SAMPLE
    loaded = inputs.load_input(corrupt.hex().encode())
    assert (loaded.format, loaded.ambiguous) == ("hex", True)
    assert "ambiguous" in loaded.note and "neither" in loaded.note
    loaded = inputs.load_input(base64.b64encode(corrupt) + b"$$")  # not hex, not base64
    assert loaded.format == "raw"


def test_binary_and_text_that_is_no_encoding_stay_raw() -> None:
    negative = shared_path("vectors", "aws-sdk-go", "encoded", "negative", "corrupted_length")
    loaded = inputs.load_input(negative.read_bytes())
    assert (loaded.format, loaded.ambiguous) == ("raw", False)
    assert "not a valid event-stream prelude" in loaded.note
    assert "too short" in inputs.load_input(b"\x00\x00\x00").note
    body = b'{"message":"The security token included in the request is invalid."}'
    loaded = inputs.load_input(body)
    assert loaded.format == "raw" and "not a HAR file" in loaded.note
    fault = inputs.decode_frames(loaded.bodies[0]).fault
    assert isinstance(fault, es.PreludeChecksumError)
    assert "looks like a JSON document" in str(fault)
    assert inputs.load_input(b"data: {}\n\n").format == "raw"
    assert inputs.load_input(b"").note == "empty input (0 bytes)"


def test_a_given_format_is_obeyed_and_errors_say_where() -> None:
    assert inputs.load_input(SAMPLE.hex().encode(), "raw").bodies[0].data == SAMPLE.hex().encode()
    assert inputs.load_input(SAMPLE.hex().encode(), "hex").detected is False
    with pytest.raises(inputs.InputFormatError) as caught:
        inputs.load_input(b"00 11 2z 33", "hex")
    assert caught.value.offset == 7 and "'z' is not a hex digit" in str(caught.value)
    assert isinstance(caught.value, es.EventStreamError)
    with pytest.raises(inputs.InputFormatError) as caught:
        inputs.load_input(b"\xef\xbb\xbfAAAA$", "base64")
    assert caught.value.offset == 7  # the byte order mark counts
    with pytest.raises(inputs.InputFormatError, match="odd number"):
        inputs.load_input(b"abc", "hex")
    with pytest.raises(inputs.InputFormatError, match="binary"):
        inputs.load_input(SAMPLE, "base64")
    with pytest.raises(inputs.InputFormatError, match=r"no log\.entries"):
        inputs.load_input(b"{}", "har")


def test_the_first_bad_character_is_found_in_a_large_input() -> None:
    # 10 MB with the fault near the end: the position is exact (one search in C, not a match
    # per character from Python, which took seconds).
    hex_text = SAMPLE.hex(" ").encode() * 800
    with pytest.raises(inputs.InputFormatError, match="'g' is not a hex digit") as caught:
        inputs.load_input(b"\xef\xbb\xbf" + hex_text + b"g00", "hex")
    assert caught.value.offset == 3 + len(hex_text)  # the byte order mark counts
    b64_text = base64.encodebytes(SAMPLE) * 1200
    with pytest.raises(inputs.InputFormatError, match="'\\$' is not in the base64") as caught:
        inputs.load_input(b64_text + b"$AAAA", "base64")
    assert caught.value.offset == len(b64_text)
    # Non-ASCII whitespace is not a separator; an x is good only as a "0x" prefix.
    hex_text = hex_text[:3000]
    for bad, at in ((b"\xc2\xa0", 0), (b"x", 0), (b"ax", 1), (b"a0x", 2), (b"0xx", 2)):
        with pytest.raises(inputs.InputFormatError) as caught:
            inputs.load_input(hex_text + bad + b"00", "hex")
        assert caught.value.offset == len(hex_text) + at, bad
        assert f"{bad.decode()[at]!r} is not a hex digit" in str(caught.value)
    for bad in (b"\xe2\x80\x83", b"."):  # an em space is not base64 whitespace
        with pytest.raises(inputs.InputFormatError, match="not in the base64 alphabet") as caught:
            inputs.load_input(b"AAAA\nAAAA" + bad + b"AAAA", "base64")
        assert caught.value.offset == 9, bad
    # "0x" prefixes, "0X" too, are not faults; a text of only separators has no digits.
    with pytest.raises(inputs.InputFormatError, match="odd number of hex digits"):
        inputs.load_input(b"0x00, 0X1", "hex")
    with pytest.raises(inputs.InputFormatError, match="holds no hex digits"):
        inputs.load_input(b"0x , :", "hex")
    with pytest.raises(inputs.InputFormatError, match="holds no base64 characters"):
        inputs.load_input(b" \n", "base64")
    with pytest.raises(inputs.InputFormatError, match="length or padding"):
        inputs.load_input(b"AAAAA", "base64")


# --- HAR ------------------------------------------------------------------------------------


def har(*entries: dict[str, Any]) -> bytes:
    """A HAR 1.2 document as browsers export it (only the fields that matter here)."""
    log = {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": list(entries)}
    return json.dumps({"log": log}).encode()


def har_entry(
    url: str, content: dict[str, Any], headers: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"method": "POST", "url": url, "headers": []},
        "response": {"status": 200, "headers": headers or [], "content": content},
    }  # fmt: skip


EVENTSTREAM = "application/vnd.amazon.eventstream"
INVOKE_URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke-with-response-stream"
CONVERSE_URL = "https://bedrock-runtime.us-west-2.amazonaws.com/model/m/converse-stream?x=1"


def test_har_keeps_only_event_stream_responses_in_both_encodings() -> None:
    converse = sample_bytes("converse_tool_use")
    document = har(
        har_entry("https://example.com/", {"mimeType": "text/html", "text": "<html></html>"}),
        har_entry(INVOKE_URL, {
            "mimeType": "application/vnd.amazon.eventstream", "encoding": "base64",
            "text": base64.b64encode(SAMPLE).decode(), "size": len(SAMPLE),
        }),
        # Stored as text: the bytes map to code points one to one (Latin-1).
        har_entry(CONVERSE_URL, {
            "mimeType": "application/vnd.amazon.eventstream; charset=binary",
            "text": converse.decode("latin-1"),
        }),
        # No mimeType in content, but the header says it; no body saved.
        har_entry(INVOKE_URL, {"size": 10}, [{"name": "Content-Type", "value": EVENTSTREAM}]),
    )  # fmt: skip
    loaded = inputs.load_input(document)
    assert loaded.format == "har"
    assert [b.data for b in loaded.bodies] == [SAMPLE, converse]
    assert [b.stream_hint for b in loaded.bodies] == ["invoke", "converse"]
    assert loaded.bodies[0].label == f"entry 1: POST {INVOKE_URL}"
    # How a text body was read is said in the note, not on the label (a record's "source").
    assert loaded.bodies[1].label == (
        "entry 2: POST https://bedrock-runtime.us-west-2.amazonaws.com/model/m/converse-stream?x=1"
    )
    assert "entry 2's text content read as Latin-1" in loaded.note
    assert [b.entry for b in loaded.bodies] == [1, 2]
    assert "2 of 4 entries" in loaded.note and "1 more have no saved body" in loaded.note


def _utf8_frame() -> bytes:
    """A frame whose every byte sequence is valid UTF-8, with a non-ASCII payload character."""
    for pad in range(5000):
        frame = es.Message({":message-type": "event"}, ("é" + "a" * pad).encode()).encode()
        try:
            frame.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return frame
    raise AssertionError("no such frame in range")  # pragma: no cover


def test_har_text_body_in_utf8_and_errors() -> None:
    frame = _utf8_frame()
    content = {"mimeType": "application/vnd.amazon.eventstream", "text": frame.decode("utf-8")}
    loaded = inputs.load_input(har(har_entry(INVOKE_URL, content)))
    # Read as Latin-1 the "é" would be one byte, and the frame's CRC would fail.
    assert loaded.bodies[0].data == frame
    assert "text content read as UTF-8" in loaded.note
    with pytest.raises(inputs.InputFormatError, match=r"response types found: text/html"):
        inputs.load_input(har(har_entry("https://e.com/", {"mimeType": "text/html", "text": "x"})))
    bad = {"mimeType": EVENTSTREAM, "encoding": "base64", "text": "**"}
    with pytest.raises(inputs.InputFormatError, match="marked base64 but is not"):
        inputs.load_input(har(har_entry(INVOKE_URL, bad)))


def test_har_text_with_a_lone_surrogate_is_an_input_error() -> None:
    # Bytes a tool could not decode, kept as U+DC80..U+DCFF by surrogateescape, come back.
    escaped = {"mimeType": EVENTSTREAM, "text": SAMPLE.decode("utf-8", "surrogateescape")}
    assert inputs.load_input(har(har_entry(INVOKE_URL, escaped))).bodies[0].data == SAMPLE
    # Any other lone surrogate stands for no byte: an input error, detected or given.
    frame = _utf8_frame().decode("utf-8")
    for text, at in (("\ud800" + frame, 0), (frame[:20] + "\udbff\u0041" + frame[20:], 20)):
        document = har(har_entry(INVOKE_URL, {"mimeType": EVENTSTREAM, "text": text}))
        assert b"\\ud" in document  # the JSON spells it as an escape, as a producer would
        for forced in (False, True):
            with pytest.raises(inputs.InputFormatError, match="lone surrogate") as caught:
                inputs.load_input(document, "har" if forced else None)
            assert f"at character {at}," in str(caught.value)
            assert "entry 0: POST" in str(caught.value)


def test_deeply_nested_json_is_an_input_error_not_a_recursion_error() -> None:
    deep = b'{"a":' + b"[" * 100_000 + b"}"
    with pytest.raises(inputs.InputFormatError, match="nested too deeply"):
        inputs.load_input(deep, "har")
    assert inputs.load_input(deep).format == "raw"  # detection: JSON, but not a HAR file
    # Fields read as text that hold something else (here nested deep) are taken as absent.
    nest = "[" * 900 + "]" * 900
    content = {"mimeType": EVENTSTREAM, "text": base64.b64encode(SAMPLE).decode()}
    for entry in (
        har_entry("NEST", {**content, "encoding": "base64"}),
        {**har_entry(INVOKE_URL, {**content, "encoding": "base64"}), "request": {"method": "NEST"}},
    ):
        document = har(entry).replace(b'"NEST"', nest.encode())
        for forced in (False, True):
            loaded = inputs.load_input(document, "har" if forced else None)
            assert loaded.bodies[0].data == SAMPLE
            assert "[" not in (loaded.bodies[0].label or "")
    for where in ({"mimeType": "NEST"}, {"headers": [{"name": "NEST", "value": EVENTSTREAM}]}):
        entry = har_entry(INVOKE_URL, {"text": content["text"], "encoding": "base64"})
        if "mimeType" in where:
            entry["response"]["content"].update(where)
        else:
            entry["response"].update(where)
        document = har(entry).replace(b'"NEST"', nest.encode())
        with pytest.raises(inputs.InputFormatError, match="none with a saved"):
            inputs.load_input(document)


# --- stream detection and frames ------------------------------------------------------------


def _detected(body: inputs.Body) -> tuple[str | None, str]:
    decoded = inputs.decode_frames(body, bedrock=True)
    return decoded.stream, decoded.stream_note


def test_stream_detection_on_captures_and_vectors() -> None:
    for path in sorted(shared_path("captures").glob("*.bin")):
        stream, note = _detected(inputs.Body(path.read_bytes()))
        assert stream == ("converse" if "converse-stream" in path.name else "invoke"), path.name
        assert "detected from its" in note
    vector = shared_path("vectors", "aws-sdk-go", "encoded", "positive", "all_headers")
    assert _detected(inputs.Body(vector.read_bytes()))[0] is None
    hinted = inputs.Body(SAMPLE, "entry 0", "bidirectional-output")
    assert _detected(hinted) == (
        "bidirectional-output",
        "bidirectional-output (from the request URL)",
    )


def test_frames_keep_offsets_and_a_fault_keeps_the_frames_before_it() -> None:
    decoded = inputs.decode_frames(inputs.Body(SAMPLE[:2000]), bedrock=True, stream="invoke")
    assert [f.index for f in decoded.frames] == list(range(6))
    assert decoded.frames[1].offset == decoded.frames[0].length
    assert decoded.bytes_decoded == sum(f.length for f in decoded.frames) == 1909
    assert isinstance(decoded.fault, es.TruncatedError)
    assert (decoded.fault.frame_index, decoded.fault.frame_offset, decoded.fault.offset) == (
        6,
        1909,
        2000,
    )
    assert decoded.reassembled is not None
    assert decoded.reassembled.text == "I'll check the current weather in Paris for you."
    assert not decoded.reassembled.complete


def test_progress_is_reported_up_to_the_whole_input() -> None:
    seen: list[int] = []
    data = SAMPLE * 40
    decoder = inputs.CaptureDecoder(inputs.Body(data), on_progress=seen.append, read_size=1000)
    assert sum(1 for _ in decoder.frames()) == 15 * 40
    assert seen == sorted(seen) and seen[-1] == len(data) and len(seen) == -(-len(data) // 1000)


def _details(data: bytes, stream: str) -> list[tuple[str, str]]:
    decoded = inputs.decode_frames(inputs.Body(data), bedrock=True, stream=stream)  # type: ignore[arg-type]
    return [(f.event_name, f.event_detail()) for f in decoded.frames]


def test_event_details_for_claude_chunks() -> None:
    details = _details(SAMPLE, "invoke")
    assert details[0] == (
        "message_start",
        "role=assistant model=claude-sonnet-4-5-20250929 id=msg_bdrk_01SampLeCapTure7bW3tQ9xZkVn "
        "input_tokens=402 cache_creation_input_tokens=0 cache_read_input_tokens=0 output_tokens=1",
    )
    assert details[2] == ("content_block_delta", '[0] text_delta "I\'ll check"')
    assert details[6] == (
        "content_block_start",
        "[1] tool_use get_weather id=toolu_bdrk_01SampLeToOLuSe4kD8mQ2wRy",
    )
    assert details[8] == ("content_block_delta", '[1] input_json_delta \'{"location": "Par\'')
    assert details[12] == ("content_block_stop", "[1]")
    assert details[13] == ("message_delta", "stop_reason=tool_use output_tokens=71")
    assert details[14] == (
        "message_stop",
        "inputTokenCount=402 outputTokenCount=71 invocationLatency=1912 firstByteLatency=622",
    )  # fmt: skip


def test_event_details_for_converse_reasoning_and_exceptions() -> None:
    excerpt = shared_path(
        "captures", "aimock_converse-stream_claude-sonnet-4-5_reasoning_excerpt.bin"
    )
    details = _details(excerpt.read_bytes(), "converse")
    assert details[0] == ("contentBlockDelta", "[0] reasoning ''")
    assert details[1][1].startswith("[0] reasoning signature (") and details[1][1].endswith(
        " characters)"
    )
    assert details[2] == ("contentBlockStop", "[0]")
    assert details[3] == ("contentBlockDelta", "[1] text '#'")
    converse = _details(sample_bytes("converse_tool_use"), "converse")
    assert converse[5] == (
        "contentBlockStart",
        "[1] toolUse get_weather id=tooluse_SampLeCapTureQx7Rt2",
    )
    assert converse[-1] == (
        "metadata",
        "inputTokens=402 outputTokens=71 totalTokens=473 latencyMs=1890",
    )
    error = _details(sample_bytes("claude_invoke_stream_error"), "invoke")[-1]
    assert error == (
        "throttlingException",
        "HTTP 429, retryable: Too many tokens, please wait before trying again.",
    )


def test_unknown_events_and_payload_errors_do_not_stop_decoding() -> None:
    frames = b"".join(
        m.encode()
        for m in (
            es.Message({":message-type": "event", ":event-type": "mystery"}, b"\x00\x01"),
            es.Message({":message-type": "event", ":event-type": "chunk"}, b"not json"),
            es.Message({":message-type": "error", ":error-code": "E1", ":error-message": "bad"}),
            es.Message({":message-type": "event", ":event-type": "chunk"}, b'{"bytes":"aGk="}'),
        )
    )
    decoded = inputs.decode_frames(inputs.Body(frames), bedrock=True, stream="invoke")
    assert decoded.fault is None and len(decoded.frames) == 4
    rows = [(f.event_name, f.event_detail()) for f in decoded.frames]
    assert rows[0] == ("mystery", "not in the invoke stream's union: 0x 00 01")
    assert rows[1][0] == "chunk" and rows[1][1].startswith("payload error: payload is not JSON")
    assert rows[2] == ("error E1", "bad")
    assert rows[3] == ("chunk", "hi")  # a chunk that is not JSON shows its bytes


@given(st.binary(max_size=64))
def test_preview_is_one_line(data: bytes) -> None:
    shown = preview_bytes(data)
    assert "\n" not in shown and "\r" not in shown and shown


def test_samples_path_is_inside_the_package() -> None:
    assert (
        Path(eventstream.samples.__file__).parent / "claude_invoke_tool_use.bin"
    ).read_bytes() == SAMPLE
