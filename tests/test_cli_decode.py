"""``eventstream decode``, end to end: input formats, tables and JSON Lines, --bedrock and
--summary, broken streams and exit codes, the notes on stderr, and the progress bar."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import eventstream as es
from eventstream import cli
from eventstream._console import TableWriter, cells, fit
from tests.cli_support import ANSWER, ROOT, SAMPLE, SCRIPT, call, har, records, run, run_pty, shell
from tests.support import shared_path

# --- the command exists ---------------------------------------------------------------------


def test_console_script_and_python_m_are_the_same_command() -> None:
    script = run("--version")
    module = shell(f"'{sys.executable}' -m eventstream --version", ROOT)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout == f"eventstream {es.__version__}\n".encode()


# --- input formats, end to end --------------------------------------------------------------


FORMATS: dict[str, tuple[bytes, str]] = {
    "raw": (SAMPLE, "raw bytes"),
    "hex": (SAMPLE.hex().encode(), "hex text"),
    "hex with spaces and 0x": (", ".join(f"0x{b:02X}" for b in SAMPLE).encode(), "hex text"),
    "base64": (base64.encodebytes(SAMPLE), "base64 text"),
    "har": (har(SAMPLE), "a HAR file"),
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


# --- output modes ---------------------------------------------------------------------------


def test_table_on_a_terminal_and_json_lines_through_a_pipe() -> None:
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--sample"])
    assert code == 0
    assert re.search(r"^ #  offset  length  type   event\s+payload$", shown, re.M)
    assert re.search(r"^ 0       0     652  event  chunk\s+\{\"bytes\":\"eyJ0", shown, re.M)
    assert "add --bedrock for typed events" in shown  # the note on stderr, same terminal
    piped = run("decode", "--sample")
    assert piped.returncode == 0 and len(records(piped.stdout)) == 15


def test_tables_fit_the_terminal_width() -> None:
    for width in (60, 100, 160):
        table = TableWriter(["#", "event", "detail"], [1, 1, 20], width)
        lines = [*table.head(), table.row(["0", "x", "é" * 300])]
        assert all(cells(line) <= width for line in lines), width
        assert lines[2].endswith("…")
    # Rows are written as they come: a wider cell widens its column from that row on.
    table = TableWriter(["#", "event", "detail"], [2, 5, 20], 80)
    assert table.row(["1", "chunk", "a"]) == " 1  chunk  a"
    assert table.row(["100", "chunk", "b"]) == "100  chunk  b"
    assert table.row(["2", "\x1b[2J", "c\x9b"]) == "  2  \\x1b[2J  c\\x9b"  # escaped
    # Wide characters take two cells.
    assert fit("👋" * 10, 7) == "👋👋👋…"


def test_bedrock_table_and_reassembled_answer() -> None:
    code, out, _ = call("decode", "--bedrock", "--table", "--sample")
    text = out.decode()
    assert code == 0
    assert ' 2     899     262  content_block_delta  [0] text_delta "I\'ll check"' in text, text
    assert "reassembled (invoke stream, complete):" in text
    assert f"  text         {ANSWER}" in text
    assert '               input {"location": "Paris, France", "unit": "celsius"}' in text
    assert "  stop reason  tool_use" in text
    assert "  metrics      latencyMs=1912 inputTokenCount=402 outputTokenCount=71 " in text


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
    assert re.search(r"^ 2     899     262  content_block_delta", shown, re.M)
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
    assert "\rdecoding [" in shown  # one pass: each frame is written as it is decoded
    assert f"100%  {size / 2**20:.1f}/{size / 2**20:.1f} MiB" in shown
    assert shown.endswith("\r")  # the bar is wiped at the end
    piped = run("decode", "--json", str(tmp_path / "big.bin"))
    assert b"\r" not in piped.stderr and b"%" not in piped.stderr
    code, shown, _, _ = run_pty([*command, "--no-progress"], stdout=False, stderr=True)
    assert "\r" not in shown.replace("\n", "")
    # A small input gets no bar even on a terminal.
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--json", "--sample"], stdout=False)
    assert "decoding [" not in shown
