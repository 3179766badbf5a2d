"""``eventstream encode`` and ``sample``: JSON Lines back to frames, byte for byte.

Every capture and vector decoded to JSON Lines and encoded back gives the same bytes; records
written by hand make frames botocore reads; encode's errors name the line; the output formats;
and the bundled samples.
"""

from __future__ import annotations

import base64
import json
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings

import eventstream as es
from eventstream import cli
from eventstream import strategies as es_st
from eventstream.capture import Body, decode_frames
from eventstream.samples import SAMPLES, make_sample, sample_bytes
from tests.cli_support import SAMPLE, SCRIPT, call, records, run, run_pty, shell
from tests.support import shared_path
from tests.vectors import go_description, go_value

# --- JSON Lines and encode ------------------------------------------------------------------


def _round_trip(path: Path, *extra: str) -> bytes:
    code, out, err = call("decode", "--json", *extra, str(path))
    assert code in (cli.EXIT_OK, cli.EXIT_INCOMPLETE), err
    with tempfile.TemporaryDirectory() as tmp:
        jsonl, target = Path(tmp) / "frames.jsonl", Path(tmp) / "frames.bin"
        jsonl.write_bytes(out)
        code, _, err = call("encode", str(jsonl), "-o", str(target))
        assert code == cli.EXIT_OK, err
        return target.read_bytes()


def _public_inputs() -> list[Path]:
    captures = sorted(shared_path("captures").glob("*.bin"))
    vectors = sorted(shared_path("vectors", "aws-sdk-go", "encoded", "positive").iterdir())
    vectors += sorted(shared_path("vectors", "smithy-rs").glob("valid_*"))
    return captures + vectors


def test_decode_json_then_encode_gives_back_every_capture_and_vector() -> None:
    inputs = _public_inputs()
    assert len(inputs) >= 16
    for path in inputs:
        assert _round_trip(path) == path.read_bytes(), path.name
    for path in sorted(shared_path("captures").glob("*.bin")):
        assert _round_trip(path, "--bedrock") == path.read_bytes(), path.name


def test_the_round_trip_through_a_real_pipe(tmp_path: Path) -> None:
    capture = shared_path("captures", "envoy-ai-gateway_invoke-stream_claude-sonnet-4-5.bin")
    command = (
        f"set -o pipefail; eventstream decode --bedrock '{capture}' | eventstream encode -o out.bin"
    )
    result = shell(command, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.bin").read_bytes() == capture.read_bytes()
    assert b"wrote 10 frames (2,999 bytes) to out.bin" in result.stderr


def _as_the_cli_writes(value: es.HeaderValue) -> object:
    """A header value in the JSON form of a frame record.

    uuid (type 9) as ``str()``, byte_array (6) as base64 text, timestamp (8) as milliseconds,
    the sized ints (2-5) as plain ints; booleans and strings as they are.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, es.Timestamp):
        return value.millis
    if isinstance(value, bool | str):
        return value
    return int(value)


def test_json_headers_agree_with_the_aws_sdk_go_description() -> None:
    vector = shared_path("vectors", "aws-sdk-go", "encoded", "positive", "all_headers")
    described = go_description("all_headers")
    (record,) = records(call("decode", "--json", str(vector))[1])
    names = {t.type_id: t.name for t in es.HEADER_TYPES}
    expected = [
        {"name": h["name"], "type": names[h["type"]],
         "value": _as_the_cli_writes(go_value(h["type"], h["value"]))}
        for h in described["headers"]
    ]  # fmt: skip
    assert record["headers"] == expected
    assert record["payload_base64"] == described["payload"]
    assert record["payload_text"] == "{'foo':'bar'}"  # not JSON (single quotes): kept as text
    assert record["length"] == described["total_length"]


@settings(max_examples=40, deadline=None)
@given(message=es_st.messages(max_payload=128))
def test_every_frame_record_encodes_back_to_its_message(message: es.Message) -> None:
    (frame,) = decode_frames(Body(message.encode())).frames
    line = json.dumps(cli.frame_record(frame), ensure_ascii=False)
    assert cli.record_message(json.loads(line), "line 1") == message


def test_hand_written_records_make_frames_botocore_reads(tmp_path: Path) -> None:
    botocore_eventstream = pytest.importorskip("botocore.eventstream")
    fixture = tmp_path / "fixture.jsonl"
    lines = [
        {"headers": {":event-type": "chunk", ":message-type": "event", "n": 7},
         "payload": {"bytes": "aGk="}},
        {"headers": [{"name": ":message-type", "type": "string", "value": "exception"},
                     {"name": "retry", "type": "bool_true"},
                     {"name": "at", "type": "timestamp", "value": 1700000000000}],
         "payload_text": "slow down"},
        {"reassembled": {"text": "skipped: not a frame"}},
    ]  # fmt: skip
    fixture.write_text("\n\n".join(map(json.dumps, lines)) + "\n", encoding="utf-8")
    result = run("encode", str(fixture), "-o", str(tmp_path / "fixture.bin"))
    assert result.returncode == 0, result.stderr
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data((tmp_path / "fixture.bin").read_bytes())
    first, second = list(buffer)
    assert first.headers == {":event-type": "chunk", ":message-type": "event", "n": 7}
    assert first.payload == b'{"bytes":"aGk="}'
    assert second.headers[":message-type"] == "exception" and second.headers["retry"] is True
    assert second.payload == b"slow down"


def test_encode_refuses_an_edit_it_would_ignore(tmp_path: Path) -> None:
    code, out, _ = call("decode", "--json", "--sample")
    lines = out.decode().splitlines()
    record = json.loads(lines[3])
    record["payload"]["p"] = "edited"
    lines[3] = json.dumps(record)
    (tmp_path / "edited.jsonl").write_text("\n".join(lines) + "\n")
    code, _, err = call("encode", str(tmp_path / "edited.jsonl"), "-o", str(tmp_path / "x.bin"))
    assert code == cli.EXIT_USAGE
    assert "line 4: payload and payload_base64 disagree; to encode an edited payload" in err
    del record["payload_base64"]
    lines[3] = json.dumps(record)
    (tmp_path / "edited.jsonl").write_text("\n".join(lines) + "\n")
    code, _, err = call("encode", str(tmp_path / "edited.jsonl"), "-o", str(tmp_path / "x.bin"))
    assert code == cli.EXIT_OK, err
    frames = decode_frames(Body((tmp_path / "x.bin").read_bytes())).frames
    assert json.loads(frames[3].message.payload)["p"] == "edited"


def test_encode_errors_name_the_line(tmp_path: Path) -> None:
    cases = {
        "not json": "not JSON",
        '{"headers": [{"name": "n", "type": "short", "value": 40000}]}': "Short holds -32768",
        '{"headers": [{"name": "n", "type": "nonsense", "value": 1}]}': "unknown header type",
        '{"headers": {"n": 1.5}}': "give a type for a float value",
        '{"headers": [{"name": "n", "type": "bool_false", "value": true}]}': "has the value False",
        '{"frame": 3}': "not a frame record",
    }
    for line, message in cases.items():
        (tmp_path / "bad.jsonl").write_text('{"payload_text": "ok"}\n' + line + "\n")
        code, _, err = call("encode", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "x.bin"))
        assert code == cli.EXIT_USAGE and "bad.jsonl, line 2" in err and message in err, line
    with pytest.raises(cli.RecordError) as caught:
        cli.record_message({"headers": 5}, "line 9", offset=120, frame_index=4)
    assert isinstance(caught.value, es.EventStreamError)
    assert (caught.value.offset, caught.value.frame_index) == (120, 4)
    assert str(caught.value).startswith("frame 4, byte 120: line 9: headers is a list")


def test_encode_and_sample_output_formats(tmp_path: Path) -> None:
    for fmt in ("hex", "base64"):
        result = run("sample", "--output-format", fmt, "-o", "-")
        assert result.returncode == 0
        decoded = run("decode", "--summary", "--json", "-", stdin=result.stdout)
        assert records(decoded.stdout)[0]["summary"]["frames"] == 15, fmt
    result = run("sample", "converse_tool_use", "-o", str(tmp_path / "c.bin"))
    assert (tmp_path / "c.bin").read_bytes() == sample_bytes("converse_tool_use")
    listing = run("sample", "--list").stdout.decode()
    assert all(name in listing for name in SAMPLES)
    code, out, _ = call("sample", "--output-format", "raw")  # stdout is not a terminal here
    assert code == 0 and out == SAMPLE


def test_raw_bytes_are_not_written_to_a_terminal() -> None:
    code, shown, _, _ = run_pty([str(SCRIPT), "sample"])
    assert code == cli.EXIT_USAGE
    assert "not writing binary frames to a terminal" in shown


# --- the bundled samples --------------------------------------------------------------------


def test_shipped_samples_are_what_the_script_builds() -> None:
    for name in SAMPLES:
        assert make_sample.build(name) == sample_bytes(name), f"{name}: run make_sample.py"
    assert make_sample.main(["--check"]) == 0


def test_botocore_reads_the_samples_as_bedrock_streams() -> None:
    botocore_eventstream = pytest.importorskip("botocore.eventstream")
    for name, sample in SAMPLES.items():
        buffer = botocore_eventstream.EventStreamBuffer()
        buffer.add_data(sample_bytes(name))
        for message in buffer:
            headers = message.headers
            assert list(headers)[1:] == [":content-type", ":message-type"], name
            body = json.loads(message.payload)
            if headers[":message-type"] == "event":
                # Bedrock's padding: a prefix of the alphabet, on every event.
                assert "abcdefghijklmnopqrstuvwxyz".startswith(body["p"][:26]), name
                if sample.stream == "invoke":
                    assert json.loads(base64.b64decode(body["bytes"]))["type"]
