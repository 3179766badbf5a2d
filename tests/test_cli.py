"""The ``eventstream`` command, end to end: real subprocesses, pipes and pseudo-terminals.

In-process calls of ``cli.main`` are used only where the point is the data (round trips over
every capture and vector), not the process.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import eventstream as es
from eventstream import cli
from eventstream import strategies as es_st
from eventstream.bedrock._json import SHOWN_JSON_DEPTH
from eventstream.capture import Body, decode_frames
from eventstream.samples import SAMPLES, make_sample, sample_bytes
from tests.support import shared_path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCRIPT = BIN / "eventstream"
SAMPLE = sample_bytes("claude_invoke_tool_use")
ANSWER = "I'll check the current weather in Paris for you."
ENV = {**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}

if not SCRIPT.exists():  # pragma: no cover - an environment problem, said plainly
    pytest.fail(f"{SCRIPT} is missing: reinstall the project (pip install -e .)", pytrace=False)


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The console script in a subprocess, stdout and stderr piped."""
    return subprocess.run(
        [str(SCRIPT), *args], input=stdin if stdin is not None else b"", capture_output=True,
        timeout=60, env=ENV, cwd=cwd, check=False,
    )  # fmt: skip


def shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """A bash command line, with the environment's bin directory first on PATH."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, cwd=cwd, timeout=60, check=False,
        env={**ENV, "PATH": path, **env},
    )  # fmt: skip


def run_pty(
    command: list[str], *, stdout: bool = True, stderr: bool = True, cwd: Path | None = None
) -> tuple[int, str, bytes, bytes]:
    """Run with stdout and/or stderr on a pseudo-terminal.

    Returns ``(exit code, what the terminal showed, piped stdout, piped stderr)``.
    """
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=slave if stdout else out,
            stderr=slave if stderr else err, env=ENV, cwd=cwd,
        )  # fmt: skip
        os.close(slave)
        shown = bytearray()
        try:
            while True:
                ready, _, _ = select.select([master], [], [], 60)
                if not ready:
                    proc.kill()
                    raise AssertionError(f"{command} printed nothing for 60 s")
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every slave end is closed
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            os.close(master)
        code = proc.wait(timeout=60)
        out.seek(0)
        err.seek(0)
        return code, shown.decode("utf-8").replace("\r\n", "\n"), out.read(), err.read()


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def call(*args: str, stdin: bytes = b"", tty_stdin: bool = False) -> tuple[int, bytes, str]:
    """``cli.main`` in process: ``(exit code, stdout bytes, stderr text)``."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    source = _Terminal(stdin) if tty_stdin else io.BytesIO(stdin)
    code = cli.main(list(args), stdin=source, stdout=out, stderr=err)
    out.flush()
    return code, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


def records(stdout: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


# --- the command exists ---------------------------------------------------------------------


def test_console_script_and_python_m_are_the_same_command() -> None:
    script = run("--version")
    module = shell(f"'{sys.executable}' -m eventstream --version", ROOT)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout == f"eventstream {es.__version__}\n".encode()


# --- input formats, end to end --------------------------------------------------------------


def _har(data: bytes) -> bytes:
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke-with-response-stream"
    entries = [
        {"request": {"method": "GET", "url": "https://example.com/"},
         "response": {"status": 200, "content": {"mimeType": "text/html", "text": "<p>"}}},
        {"request": {"method": "POST", "url": url},
         "response": {"status": 200, "content": {
             "mimeType": "application/vnd.amazon.eventstream", "encoding": "base64",
             "text": base64.b64encode(data).decode()}}},
    ]  # fmt: skip
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


FORMATS: dict[str, tuple[bytes, str]] = {
    "raw": (SAMPLE, "raw bytes"),
    "hex": (SAMPLE.hex().encode(), "hex text"),
    "hex with spaces and 0x": (", ".join(f"0x{b:02X}" for b in SAMPLE).encode(), "hex text"),
    "base64": (base64.encodebytes(SAMPLE), "base64 text"),
    "har": (_har(SAMPLE), "a HAR file"),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_decode_each_input_format_from_a_file(fmt: str, tmp_path: Path) -> None:
    data, said = FORMATS[fmt]
    path = tmp_path / "capture"
    path.write_bytes(data)
    result = run("decode", "--bedrock", str(path))
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)  # stdout is a pipe: JSON Lines by default
    assert [r["frame"] for r in lines[:-1]] == list(range(15))
    assert lines[-1]["reassembled"]["text"] == ANSWER
    assert lines[-1]["reassembled"]["stop_reason"] == "tool_use"
    stderr = result.stderr.decode()
    assert f"{path}: {said}" in stderr  # it says what it detected
    if fmt == "har":
        assert lines[0]["source"].startswith("entry 1: POST https://bedrock-runtime")
        assert "invoke (from the request URL)" in stderr


def test_decode_from_stdin_with_dash_and_without_a_file() -> None:
    dash = run("decode", "--summary", "--json", "-", stdin=SAMPLE)
    implicit = run("decode", "--summary", "--json", stdin=SAMPLE.hex(" ").encode())
    for result in (dash, implicit):
        assert result.returncode == 0, result.stderr
        (line,) = records(result.stdout)
        assert line["summary"]["frames"] == 15 and line["summary"]["bytes"] == len(SAMPLE)
    assert "standard input: raw bytes" in dash.stderr.decode()
    assert "standard input: hex text" in implicit.stderr.decode()


def test_no_input_on_a_terminal_is_a_usage_error() -> None:
    code, out, err = call("decode", tty_stdin=True)
    assert (code, out) == (cli.EXIT_USAGE, b"")
    assert "--sample" in err


def test_input_format_override_and_its_errors() -> None:
    result = run("decode", "--input-format", "hex", "-", stdin=b"00 0x11 zz")
    assert result.returncode == cli.EXIT_USAGE
    assert b"byte 8: the input is not hex text: 'z' is not a hex digit" in result.stderr
    # Forced raw: the hex text is not decoded, and the core's hint says what it is.
    result = run("decode", "--input-format", "raw", "--json", "-", stdin=SAMPLE.hex().encode())
    assert result.returncode == cli.EXIT_STREAM_ERROR
    assert b"this looks like hex text" in result.stderr


def test_a_har_text_body_with_a_lone_surrogate_is_a_usage_error() -> None:
    document = _har(SAMPLE).replace(b'"encoding": "base64", ', b"")
    document = re.sub(rb'"text": "[^"]*"}}}]', rb'"text": "\\ud800AAAA"}}}]', document)
    assert b'"text": "\\ud800AAAA"' in document
    for forced in ((), ("--input-format", "har")):
        result = run("decode", "--bedrock", *forced, "-", stdin=document)
        err = result.stderr.decode()
        assert (result.returncode, result.stdout) == (cli.EXIT_USAGE, b""), err
        assert "Traceback" not in err
        assert "entry 1: POST" in err and "lone surrogate '\\ud800' at character 0" in err


# --- output modes ---------------------------------------------------------------------------


def test_table_on_a_terminal_and_json_lines_through_a_pipe() -> None:
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--sample"])
    assert code == 0
    assert re.search(r"^ #  offset  length  type   event  payload$", shown, re.M)
    assert re.search(r"^ 0       0     652  event  chunk  \{\"bytes\":\"eyJ0", shown, re.M)
    assert "add --bedrock for typed events" in shown  # the note on stderr, same terminal
    piped = run("decode", "--sample")
    assert piped.returncode == 0 and len(records(piped.stdout)) == 15


def test_tables_fit_the_terminal_width() -> None:
    for width in (60, 100, 160):
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        lines = cli.table_lines(["#", "event", "detail"], [["0", "x", "é" * 300]], width)
        assert all(cli._cells(line) <= width for line in lines), width
        assert lines[2].endswith("…")
        out.close()
    # Wide characters take two cells.
    assert cli._fit("👋" * 10, 7) == "👋👋👋…"


def test_bedrock_table_and_reassembled_answer() -> None:
    code, out, _ = call("decode", "--bedrock", "--table", "--sample")
    text = out.decode()
    assert code == 0
    assert ' 2     899     262  content_block_delta  [0] text_delta "I\'ll check"' in text
    assert "reassembled (invoke stream, complete):" in text
    assert f"  text         {ANSWER}" in text
    assert '               input {"location": "Paris, France", "unit": "celsius"}' in text
    assert "  stop reason  tool_use" in text
    assert "invocationLatency=1912 firstByteLatency=622" in text


def test_converse_sample_and_explicit_stream() -> None:
    code, out, err = call(
        "decode", "--stream", "converse", "--json", "--sample", "converse_tool_use"
    )
    assert code == 0 and "converse (as given)" in err
    lines = records(out)
    assert lines[0]["event"] == {
        "class": "MessageStart",
        "name": "messageStart",
        "fields": {"role": "assistant"},
    }
    final = lines[-1]["reassembled"]
    assert (final["text"], final["usage"]["totalTokens"], final["metrics"]) == (
        ANSWER, 473, {"latencyMs": 1890},
    )  # fmt: skip


def _bedrock_frame(kind: str, name: str, payload: object) -> bytes:
    """A Bedrock frame: ``kind`` is ``event`` or ``exception``, ``payload`` its JSON."""
    headers = {
        f":{kind}-type": name,
        ":content-type": "application/json",
        ":message-type": kind,
    }
    return es.Message(headers, json.dumps(payload).encode()).encode()


def test_event_keys_from_the_stream_cannot_replace_the_record_keys() -> None:
    # Keys the service adds (kept as extra) land under "fields", never on the record itself.
    hostile = {"class": "Forged", "name": "forged", "fields": 1, "status_code": 200}
    chunk = base64.b64encode(b'{"type":"message_stop"}').decode()
    stream = b"".join([
        _bedrock_frame("event", "messageStart", {"role": "assistant", **hostile}),
        _bedrock_frame("event", "messageStop", {"stopReason": "end_turn", "class": "X"}),
        _bedrock_frame("exception", "throttlingException", {"message": "slow", **hostile}),
    ])  # fmt: skip
    invoke = _bedrock_frame("event", "chunk", {"bytes": chunk, **hostile})
    for data, stream_name in ((stream, "converse"), (invoke, "invoke")):
        code, out, err = call("decode", "--stream", stream_name, "--json", "-", stdin=data)
        assert code in (cli.EXIT_OK, cli.EXIT_INCOMPLETE), err
        events = [line["event"] for line in records(out) if "event" in line]
        for event in events:
            assert event["class"] != "Forged" and event["name"] != "forged", event
        # Every frame record encodes back to the identical bytes, the event record aside.
        code, back, err = call("encode", "-", stdin=out)
        assert (code, back) == (cli.EXIT_OK, data), err
    (start, stop, throttled) = [
        line["event"]
        for line in records(call("decode", "--bedrock", "--json", "-", stdin=stream)[1])
        if "event" in line
    ]  # fmt: skip
    assert start == {
        "class": "MessageStart", "name": "messageStart",
        "fields": {**hostile, "role": "assistant"},
    }  # fmt: skip
    assert stop["fields"] == {"class": "X", "stopReason": "end_turn"}
    assert throttled["class"] == "ThrottlingException" and throttled["status_code"] == 429
    assert throttled["fields"] == {**hostile, "message": "slow"}
    code, out, _ = call("decode", "--bedrock", "--json", "-", stdin=invoke)
    (event,) = [line["event"] for line in records(out) if "event" in line]
    assert (event["class"], event["name"], event["json"]) == (
        "Chunk", "message_stop", {"type": "message_stop"},
    )  # fmt: skip
    assert event["fields"] == {**hostile, "bytes": chunk}


def test_summary_counts() -> None:
    code, out, _ = call("decode", "--summary", "--bedrock", "--json", "--sample")
    summary = records(out)[0]["summary"]
    assert code == 0
    assert summary["frames"] == 15 and summary["bytes"] == summary["size"] == len(SAMPLE)
    assert summary["message_types"] == {"event": 15} and summary["event_types"] == {"chunk": 15}
    assert summary["typed_events"]["content_block_delta"] == 8
    assert summary["exception_types"] == {}
    code, out, _ = call("decode", "--summary", "--table", "--sample", "claude_invoke_stream_error")
    assert "exceptions     throttlingException=1" in out.decode()


# --- broken streams -------------------------------------------------------------------------


def test_truncated_capture_prints_frames_then_the_error() -> None:
    result = run("decode", "--bedrock", "--json", "-", stdin=SAMPLE[:2000])
    assert result.returncode == cli.EXIT_STREAM_ERROR
    lines = records(result.stdout)
    assert [r["frame"] for r in lines[:6]] == list(range(6))
    assert lines[6]["reassembled"]["text"] == ANSWER  # what arrived before the cut
    assert lines[7]["error"] == {
        "class": "TruncatedError",
        "message": "the stream ended after 91 of the frame's 371 bytes",
        "offset": 2000, "frame_index": 6, "frame_offset": 1909,
        "frames_decoded": 6, "bytes_decoded": 1909,
    }  # fmt: skip
    stderr = result.stderr.decode()
    assert "error: frame 6, byte 2000: the stream ended after 91 of the frame's 371 bytes" in stderr
    assert "TruncatedError; the frame starts at byte 1909; 6 frames (1,909 bytes)" in stderr


def test_corrupt_frame_in_the_middle_on_a_terminal() -> None:
    corrupt = bytearray(SAMPLE)
    corrupt[1200] ^= 0x01  # inside frame 3's payload
    path = Path(tempfile.mkdtemp()) / "corrupt.bin"
    path.write_bytes(bytes(corrupt))
    try:
        code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--bedrock", str(path)])
    finally:
        shutil.rmtree(path.parent)
    assert code == cli.EXIT_STREAM_ERROR
    assert re.search(r"^2     899     262  content_block_delta", shown, re.M)
    assert not re.search(r"^3 ", shown, re.M)  # nothing past the fault
    assert "eventstream: error: frame 3, byte 1431: message checksum mismatch" in shown
    assert "MessageChecksumError; the frame starts at byte 1161; 3 frames (1,161 bytes)" in shown


def test_a_json_error_body_is_named_as_such() -> None:
    body = b'{"message":"The security token included in the request is invalid."}'
    result = run("decode", "-", stdin=body)
    assert result.returncode == cli.EXIT_STREAM_ERROR
    stderr = result.stderr.decode()
    assert "JSON that is not a HAR file" in stderr
    assert "this looks like a JSON document (an HTTP error body?)" in stderr


def test_a_guessed_format_says_how_to_override() -> None:
    result = run("decode", "-", stdin=(bytes(4) + SAMPLE).hex().encode())
    assert result.returncode == cli.EXIT_STREAM_ERROR
    stderr = result.stderr.decode()
    assert "ambiguous" in stderr and "override with --input-format" in stderr
    assert "hint: reading the input as hex was a guess" in stderr


def test_exit_codes() -> None:
    assert call("decode", "--sample", "claude_invoke_stream_error")[0] == cli.EXIT_OK
    code, out, _ = call("decode", "--bedrock", "--table", "--sample", "claude_invoke_stream_error")
    assert code == cli.EXIT_INCOMPLETE
    assert "INCOMPLETE: ended by throttlingException" in out.decode()
    assert "throttlingException (HTTP 429, retryable): Too many tokens" in out.decode()
    cut = shared_path("captures", "aimock_invoke-stream_claude-sonnet-4-5_tool_max_tokens.bin")
    code, out, _ = call("decode", "--bedrock", "--table", str(cut))
    assert code == cli.EXIT_OK  # max_tokens is a complete stream; the tool call is the one cut
    assert "(INCOMPLETE: cut off or not valid JSON)" in out.decode()
    assert call("decode", "/nonexistent/capture.bin")[0] == cli.EXIT_USAGE
    assert run("decode", "--no-such-flag").returncode == cli.EXIT_USAGE
    assert call("decode", "--sample", "--input-format", "har")[0] == cli.EXIT_USAGE


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(SAMPLE * 200)
    result = shell(
        'eventstream decode --json big.bin | head -n 1; echo "${PIPESTATUS[0]}"', tmp_path
    )
    first, status = result.stdout.decode().splitlines()
    assert json.loads(first)["frame"] == 0
    assert status == "0"
    assert b"Traceback" not in result.stderr and b"BrokenPipe" not in result.stderr


# --- hostile but well-framed Bedrock streams -----------------------------------------------

_JSON_HEADERS = {":content-type": "application/json"}


def _event(event_type: str, payload: bytes) -> bytes:
    headers = {":event-type": event_type, **_JSON_HEADERS, ":message-type": "event"}
    return es.Message(headers, payload).encode()


def _chunk(body: bytes) -> bytes:
    """An InvokeModelWithResponseStream ``chunk`` frame carrying ``body`` (the model's bytes)."""
    return _event("chunk", json.dumps({"bytes": base64.b64encode(body).decode()}).encode())


def _js(value: object) -> bytes:
    return json.dumps(value).encode()


def hostile_streams() -> dict[str, bytes]:
    """Bedrock streams whose every frame is sound but whose payloads are not what they claim.

    Built with ``es.Message(...).encode()``; names say what is wrong.
    """
    deep = b"[" * 100_000 + b"]" * 100_000
    start = _chunk(_js({"type": "message_start", "message": {
        "role": "assistant", "model": "m", "id": "msg", "content": [],
        "usage": {"input_tokens": 3}}}))  # fmt: skip

    def block_start(block: object, index: object = 0) -> bytes:
        return _chunk(_js({"type": "content_block_start", "index": index, "content_block": block}))

    def delta(value: object, index: object = 0) -> bytes:
        return _chunk(_js({"type": "content_block_delta", "index": index, "delta": value}))

    stop = _chunk(_js({"type": "content_block_stop", "index": 0}))
    role = _event("messageStart", _js({"role": "assistant"}))
    text = _event("contentBlockDelta", _js({"contentBlockIndex": 0, "delta": {"text": "a"}}))

    def exception(name: str, payload: bytes) -> bytes:
        headers = {":exception-type": name, **_JSON_HEADERS, ":message-type": "exception"}
        return es.Message(headers, payload).encode()

    invoke = {
        "error is a string": [start, _chunk(_js({"type": "error", "error": "overloaded"}))],
        "error fields of the wrong type": [
            start, _chunk(_js({"type": "error", "error": {"type": 5, "message": [1]}}))],
        "delta is a string": [start, delta("x")],
        "redacted thinking": [
            start, block_start({"type": "redacted_thinking", "data": "YQ"}), stop],
        "text block with an int text": [
            start, block_start({"type": "text", "text": 5}),
            delta({"type": "text_delta", "text": "a"}), stop],
        "message_start model int, id null": [
            _chunk(_js({"type": "message_start", "message": {"model": 5, "id": None}}))],
        "tool_use id null, name int": [
            start, block_start({"type": "tool_use", "id": None, "name": 7, "input": {}}),
            delta({"type": "input_json_delta", "partial_json": '{"a": 1}'}), stop],
        "tool_use input not JSON": [
            start, block_start({"type": "tool_use", "id": "t", "name": "n", "input": {}}),
            delta({"type": "input_json_delta", "partial_json": "{nope"}), stop],
        "index of every type": [
            start, block_start({"type": "text", "text": ""}, "0"),
            delta({"type": "text_delta", "text": 5}, None), delta({"type": "x"}, -1),
            delta({"type": "thinking_delta", "thinking": None}, 10**30), stop],
        "message_delta and stop of the wrong types": [
            start, _chunk(_js({"type": "message_delta", "delta": {"stop_reason": 5},
                               "usage": {"output_tokens": "x"}})),
            _chunk(_js({"type": "message_stop", "amazon-bedrock-invocationMetrics": "x"}))],
        "chunk bytes not JSON": [start, _chunk(b"\xff\xfe not json")],
        "chunk bytes a JSON array": [start, _chunk(b"[1, 2, 3]")],
        "chunk bytes nested 100000 deep": [start, _chunk(deep)],
        "chunk bytes not base64": [start, _event("chunk", _js({"bytes": "***"}))],
        "chunk bytes an int": [start, _event("chunk", _js({"bytes": 5}))],
        "chunk payload not JSON": [start, _event("chunk", b"\x00\x01")],
        "exception fields of the wrong type": [
            start, exception("throttlingException", _js({"message": 5}))],
        "model stream error of the wrong types": [
            start, exception("modelStreamErrorException",
                             _js({"originalStatusCode": "x", "originalMessage": 7}))],
        "exception payload not JSON": [start, exception("internalServerException", b"<html>")],
        "exception payload an array": [start, exception("validationException", b"[]")],
        "unknown exception": [start, exception("fooException", _js({"message": "?"}))],
        "error frame with an int code": [
            start, es.Message({":message-type": "error", ":error-code": es.Short(5)}).encode()],
        "unknown event and no message type": [
            start, _event("zzz", b"{}"), es.Message({":event-type": "chunk"}, b"{}").encode(),
            es.Message({":message-type": es.Integer(1)}, b"").encode()],
    }  # fmt: skip
    converse = {
        "role is an int": [_event("messageStart", _js({"role": 5})), text],
        "delta text is an int": [
            role, _event("contentBlockDelta", _js({"contentBlockIndex": 0, "delta": {"text": 5}}))],
        "block index is a string": [
            role, _event("contentBlockDelta", _js({"contentBlockIndex": "0", "delta": {}}))],
        "usage and metrics of the wrong types": [
            role, text, _event("messageStop", _js({"stopReason": "end_turn"})),
            _event("metadata", _js({"usage": "x", "metrics": {"latencyMs": "x"}}))],
        "stop reason is an int": [role, text, _event("messageStop", _js({"stopReason": 5}))],
        "toolUse id null, name int": [
            role, _event("contentBlockStart", _js({"contentBlockIndex": 0, "start": {
                "toolUse": {"toolUseId": None, "name": 7}}})),
            _event("contentBlockDelta", _js({"contentBlockIndex": 0, "delta": {
                "toolUse": {"input": 5}}}))],
        "padding not a prefix of the alphabet": [
            _event("messageStart", _js({"role": "assistant", "p": "zzz"})),
            _event("contentBlockDelta", _js(
                {"contentBlockIndex": 0, "delta": {"text": "a"}, "p": 5})),
            _event("contentBlockStop", _js({"contentBlockIndex": 0, "p": None})),
            _event("messageStop", _js({"stopReason": "end_turn", "p": "abcX"})),
            _event("metadata", _js({"usage": {}, "metrics": {}, "p": ["a"]}))],
        "payload not JSON": [_event("messageStart", b"\xff not json"), text],
        "payload a JSON array": [_event("messageStart", b"[]"), text],
        "payload nested 100000 deep": [_event("messageStart", deep), text],
        "a chunk in a converse stream": [role, _chunk(b"{}"), text],
    }  # fmt: skip
    streams = {f"invoke: {name}": b"".join(frames) for name, frames in invoke.items()}
    streams |= {f"converse: {name}": b"".join(frames) for name, frames in converse.items()}
    # And cut short in the middle of a frame after them: the frames before still show.
    streams["invoke: tool_use id null, cut short"] = streams["invoke: tool_use id null, name int"][
        :-9
    ]
    streams["converse: role is an int, cut short"] = streams["converse: role is an int"][:-9]
    return streams


HOSTILE = hostile_streams()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bedrock_streams_are_reported_not_crashed_on(name: str) -> None:
    data = HOSTILE[name]
    result = run("decode", "--bedrock", "--json", "-", stdin=data)
    err = result.stderr.decode()
    assert result.returncode in (cli.EXIT_OK, cli.EXIT_STREAM_ERROR, cli.EXIT_INCOMPLETE), err
    assert "Traceback" not in err
    assert all(line.startswith("eventstream: ") for line in err.splitlines()), err
    lines = records(result.stdout)
    frames = [line for line in lines if "frame" in line]
    assert [f["frame"] for f in frames] == list(range(len(frames)))
    assert "reassembled" in lines[-1 if result.returncode != cli.EXIT_STREAM_ERROR else -2]
    decoded = sum(f["length"] for f in frames)
    if result.returncode == cli.EXIT_STREAM_ERROR:
        (fault,) = [line["error"] for line in lines if "error" in line]
        assert (fault["frame_index"], fault["offset"]) == (len(frames), len(data))
        assert f"error: frame {len(frames)}, byte {len(data)}:" in err
    else:
        assert decoded == len(data)
    misfits = [f for f in frames if f["event"]["class"] == "BedrockPayloadError"]
    if misfits:
        # The framing is sound: every frame is listed, the first misfit named on stderr.
        first = misfits[0]
        assert f"payload error: frame {first['frame']}, byte {first['offset']}:" in err
        assert result.returncode != cli.EXIT_OK
    # What was decoded encodes back to the same bytes, hostile events and all.
    code, back, encode_err = call("encode", "-", stdin=result.stdout)
    assert (code, back) == (cli.EXIT_OK, data[:decoded]), encode_err
    # The table, as a terminal would show it, from the same command in process.
    code, out, table_err = call("decode", "--bedrock", "--table", "-", stdin=data)
    assert (code, table_err) == (result.returncode, err)
    shown = out.decode()
    assert shown.startswith("#  offset  length  event") and "\nreassembled (" in shown


def test_json_deeper_than_the_record_limit_is_text_or_a_note() -> None:
    # {"role": ..., "x": [[...]]}: an object and lists, as deep as allowed, then one deeper.
    within = json.loads("[" * (SHOWN_JSON_DEPTH - 1) + "]" * (SHOWN_JSON_DEPTH - 1))
    beyond = [within]
    data = b"".join([
        _event("messageStart", _js({"role": "assistant", "x": within})),
        _event("messageStart", _js({"role": "assistant", "x": beyond})),
    ])  # fmt: skip
    code, out, _ = call("decode", "--stream", "converse", "--json", "-", stdin=data)
    first, second, _ = records(out)
    assert code == cli.EXIT_INCOMPLETE
    # The payload: parsed within the limit, text beyond it.
    assert first["payload"] == {"role": "assistant", "x": within}
    assert second["payload_text"] == json.dumps({"role": "assistant", "x": beyond})
    # The typed event: whole within the limit, cut at it with a note beyond.
    assert first["event"]["fields"]["x"] == within
    assert json.dumps(second["event"]["fields"]).count('"(JSON nested too deeply to show)"') == 1
    assert call("encode", "-", stdin=out)[:2] == (cli.EXIT_OK, data)


def test_the_converse_misfits_are_payload_errors_with_their_place() -> None:
    # Wrong-typed Converse fields are BedrockPayloadError from the library; the command
    # reports them, with the frame and byte, and goes on to the frames after them.
    for name in ("role is an int", "toolUse id null, name int", "payload a JSON array"):
        code, out, err = call(
            "decode", "--bedrock", "--json", "-", stdin=HOSTILE[f"converse: {name}"]
        )
        assert code == cli.EXIT_INCOMPLETE, name
        misfits = [
            r for r in records(out) if r.get("event", {}).get("class") == "BedrockPayloadError"
        ]
        assert misfits and "payload error: frame" in err, name


# Run as a fresh process: whether JSON parsed near the recursion limit can be written back
# depends on the stack above the call, and pytest's own is deep enough to hide the failures
# a top-level command meets. It sweeps the depths around the parser's limit.
_NEAR_THE_LIMIT = """
import base64, io, json, sys
import eventstream as es
from eventstream import cli, notebook

def main(argv, data):
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    code = cli.main(argv, stdin=io.BytesIO(data), stdout=out, stderr=err)
    out.flush()
    return code, out.buffer.getvalue()

def event(event_type, payload):
    headers = {":event-type": event_type, ":message-type": "event"}
    return es.Message(headers, payload).encode()

def chunk(body):
    return event("chunk", json.dumps({"bytes": base64.b64encode(body).decode()}).encode())

def parser_limit():
    depth = 500
    while True:
        try:
            json.loads("[" * depth + "]" * depth)
        except RecursionError:
            return depth - 1
        depth += 1

failures = []
limit = parser_limit()
for depth in range(limit - 40, limit + 2):
    nested = "[" * depth + "]" * depth
    tool = {"type": "tool_use", "id": "t", "name": "n", "input": {}}
    delta = {"type": "input_json_delta", "partial_json": nested}
    data = b"".join([
        chunk(b'{"type": "odd", "a": ' + nested.encode() + b"}"),
        chunk(json.dumps({"type": "content_block_start", "content_block": tool}).encode()),
        chunk(json.dumps({"type": "content_block_delta", "delta": delta}).encode()),
        event("other", nested.encode()),
    ])
    try:
        code, out = main(["decode", "--bedrock", "--json", "-"], data)
        if main(["encode", "-"], out) != (0, data):
            failures.append([depth, "decode --json | encode is not the identity"])
        main(["decode", "--bedrock", "--table", "-"], data)
        line = '{"payload": ' + nested + "}"
        main(["encode", "-", "--output-format", "hex"], line.encode())
        notebook.decode_capture(data)._repr_html_()
    except Exception as exc:
        failures.append([depth, repr(exc)[:200]])
print(json.dumps({"limit": limit, "failures": failures}))
"""


def test_json_parsed_near_the_recursion_limit_is_shown_and_written() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NEAR_THE_LIMIT], capture_output=True, timeout=120, env=ENV,
        cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    outcome = json.loads(result.stdout)
    assert outcome["limit"] > 500 and outcome["failures"] == [], outcome


# --- progress -------------------------------------------------------------------------------


def _big_capture(path: Path) -> tuple[int, int]:
    """A capture just over the progress threshold: ``(bytes, frames)``."""
    frame = es.Message({":message-type": "event", ":event-type": "x"}, bytes(500)).encode()
    count = cli.PROGRESS_MIN_BYTES // len(frame) + 100
    path.write_bytes(frame * count)
    return len(frame) * count, count


def test_progress_bar_only_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    size, count = _big_capture(tmp_path / "big.bin")
    command = [str(SCRIPT), "decode", "--json", str(tmp_path / "big.bin")]
    code, shown, stdout, _ = run_pty(command, stdout=False, stderr=True)
    assert code == 0
    assert len(stdout.splitlines()) == count  # the frames, all of them, on the pipe
    assert "\rdecoding [" in shown and "\rwriting  [" in shown
    assert f"100%  {size / 2**20:.1f}/{size / 2**20:.1f} MiB" in shown
    assert shown.endswith("\r")  # the bar is wiped at the end
    piped = run("decode", "--json", str(tmp_path / "big.bin"))
    assert b"\r" not in piped.stderr and b"%" not in piped.stderr
    code, shown, _, _ = run_pty([*command, "--no-progress"], stdout=False, stderr=True)
    assert "\r" not in shown.replace("\n", "")
    # A small input gets no bar even on a terminal.
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--json", "--sample"], stdout=False)
    assert "decoding [" not in shown


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


def test_json_headers_agree_with_the_aws_sdk_go_description() -> None:
    vector = shared_path("vectors", "aws-sdk-go", "encoded", "positive", "all_headers")
    described = json.loads(
        shared_path("vectors", "aws-sdk-go", "decoded", "positive", "all_headers").read_text()
    )
    (record,) = records(call("decode", "--json", str(vector))[1])
    names = {t.type_id: t.name for t in es.HEADER_TYPES}
    expected = []
    for header in described["headers"]:
        value = header["value"]
        if header["type"] == 7:  # the Go description keeps strings as base64
            value = base64.b64decode(value).decode()
        elif header["type"] == 9:
            value = str(uuid.UUID(bytes=base64.b64decode(value)))
        expected.append({"name": header["name"], "type": names[header["type"]], "value": value})
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


def test_a_lone_surrogate_in_a_payload_is_a_record_error(tmp_path: Path) -> None:
    # JSON can spell "\ud800", which no UTF-8 payload can hold: a usage error naming the line,
    # not a UnicodeEncodeError traceback.
    for key, value in (("payload", '{"k": "\\ud800"}'), ("payload_text", '"a\\udfffb"')):
        line = f'{{"headers": {{}}, "{key}": {value}}}'
        (tmp_path / "bad.jsonl").write_text('{"payload_text": "ok"}\n\n' + line + "\n")
        result = run("encode", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "x.bin"))
        err = result.stderr.decode()
        assert result.returncode == cli.EXIT_USAGE, err
        assert "Traceback" not in err
        assert "bad.jsonl, line 3" in err and f"{key} holds the lone surrogate" in err
    assert not (tmp_path / "x.bin").exists()
    with pytest.raises(cli.RecordError) as caught:
        cli.record_message({"payload_text": "\ud800"}, "line 2", offset=40, frame_index=1)
    assert (caught.value.offset, caught.value.frame_index) == (40, 1)


def test_a_path_with_a_nul_is_an_unreadable_file(tmp_path: Path) -> None:
    # A shell cannot pass a NUL, but main(argv) can; open() raises ValueError for it.
    bad = str(tmp_path / "a\0b")
    records = str(tmp_path / "r.jsonl")
    Path(records).write_text('{"payload_text": "x"}\n')
    for args, verb in (
        (("decode", bad), "read"),
        (("encode", bad), "read"),
        (("encode", records, "-o", bad), "write"),
        (("sample", "-o", bad), "write"),
    ):
        code, out, err = call(*args)
        assert (code, out) == (cli.EXIT_USAGE, b""), args
        assert err == f"eventstream: cannot {verb} {bad!r}: a path cannot hold a NUL character\n"


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


# --- the bundled samples and the README command ---------------------------------------------


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


def test_the_readme_command_on_a_terminal(tmp_path: Path) -> None:
    # The console script of this environment, run as the README's quick start runs it.
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--bedrock", "--sample"], cwd=tmp_path)
    assert code == 0
    assert "reassembled (invoke stream, complete):" in shown and ANSWER in shown
    assert "tool call    get_weather" in shown


def test_an_installed_package_carries_the_samples_and_the_command(tmp_path: Path) -> None:
    # What `pip install .` puts in site-packages: setuptools' build_py (as the wheel build
    # runs it), from a copy of the project so the tree is untouched.
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed in this environment (Python >= 3.12 venvs)")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "eventstream", project / "eventstream", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = shell(
        f"'{sys.executable}' -c 'from setuptools import setup; setup()' -q build_py "
        f"--build-lib '{tmp_path}/site' egg_info --egg-base '{tmp_path}'",
        project,
    )
    assert build.returncode == 0, build.stderr
    installed = tmp_path / "site" / "eventstream"
    assert sorted(p.name for p in (installed / "samples").glob("*.bin")) == sorted(
        s.filename for s in SAMPLES.values()
    )
    entry_points = next(tmp_path.glob("*.egg-info")).joinpath("entry_points.txt").read_text()
    assert "eventstream = eventstream.cli:main" in entry_points
    # -S: no site-packages, so only the installed copy can answer (the library needs nothing).
    script = "import sys; from eventstream.cli import main; sys.exit(main())"
    result = shell(
        f"'{sys.executable}' -S -c '{script}' decode --bedrock --sample",
        tmp_path,
        PYTHONPATH=str(tmp_path / "site"),
    )
    assert result.returncode == 0, result.stderr
    assert records(result.stdout)[-1]["reassembled"]["text"] == ANSWER


# --- docs/cli.md shows real output ----------------------------------------------------------

CLI_DOC = ROOT / "docs" / "cli.md"


def _run_doc_command(command: str, cwd: Path) -> str:
    # A terminal, as a reader's; the commands share one scratch directory, in order.
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    _, shown, _, _ = run_pty(["bash", "-c", f"PATH='{path}'; {command}"], cwd=cwd)
    return shown


def _doc_with_fresh_output(doc: str, cwd: Path) -> str:
    """docs/cli.md with the output under each ``$ `` line of a console block run again."""

    def block(match: re.Match[str]) -> str:
        commands = re.findall(r"^\$ (.*)$", match.group(1), re.M)
        body = "".join(f"$ {c}\n{_run_doc_command(c, cwd)}" for c in commands)
        return f"```console\n{body}```"

    return re.sub(r"```console\n(.*?)```", block, doc, flags=re.S)


def test_docs_cli_output_is_what_the_cli_prints(tmp_path: Path) -> None:
    doc = CLI_DOC.read_text(encoding="utf-8")
    assert doc.count("```console") >= 8
    fresh = _doc_with_fresh_output(doc, tmp_path)
    if os.environ.get("EVENTSTREAM_UPDATE_DOCS") == "1":
        CLI_DOC.write_text(fresh, encoding="utf-8")
    assert doc == fresh, "docs/cli.md is stale: rerun with EVENTSTREAM_UPDATE_DOCS=1 and review"
