"""The bugs of issue 15 in the ``eventstream`` command and the notebook, each reproduced.

A capture's control characters never reach the terminal; JSON Lines stay strict JSON on any
encoding and round-trip through ``encode`` whatever the text holds; closed standard streams
end in a message, not a traceback; HAR entries are numbered one way everywhere.
"""

from __future__ import annotations

import base64
import json
import re
import select
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream import cli, notebook
from eventstream.capture import escape_controls
from tests.cli_support import ENV, SAMPLE, SCRIPT, call, records, run_pty

# Sequences a terminal acts on: retitle (OSC), clear screen and colour (CSI), a C1 CSI, a
# right-to-left override that reorders what follows, a carriage return that overwrites.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b31m\u202e\r"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def _event(event_type: str, payload: object, **headers: str) -> bytes:
    return es.Message(
        {":event-type": event_type, ":content-type": "application/json",
         ":message-type": "event", **headers},
        json.dumps(payload, ensure_ascii=False).encode(),
    ).encode()  # fmt: skip


def _hostile_converse() -> bytes:
    return b"".join([
        _event("messageStart", {"role": "assistant"}),
        _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": f"hi{HOSTILE}"}}),
        _event(f"odd{HOSTILE}", {"x": 1}),
        _event("messageStop", {"stopReason": f"end_turn{HOSTILE}"}),
        es.Message({":message-type": "error", ":error-code": f"E{HOSTILE}",
                    ":error-message": f"boom{HOSTILE}"}).encode(),
    ])  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("--table",),
        ("--table", "--bedrock"),
        ("--table", "--summary"),
        ("--table", "--summary", "--bedrock"),
        ("--json",),
        ("--json", "--bedrock"),
    ],
)
def test_no_control_character_of_a_capture_reaches_the_terminal(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    path = tmp_path / "hostile.bin"
    path.write_bytes(_hostile_converse())
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", str(path), *args])
    assert code in (cli.EXIT_INCOMPLETE, cli.EXIT_OK)
    assert RAW.search(shown.replace("\n", "")) is None, shown
    assert "\\x1b]0;pwned\\x07" in shown or "\\u001b]0;pwned\\u0007" in shown


def test_a_har_url_with_controls_is_escaped_in_labels_and_notes(tmp_path: Path) -> None:
    url = f"https://h/model/m{HOSTILE}/converse-stream"
    entry = {
        "request": {"method": "POST", "url": url},
        "response": {"content": {"mimeType": "application/vnd.amazon.eventstream",
                                 "encoding": "base64",
                                 "text": base64.b64encode(_hostile_converse()).decode()}},
    }  # fmt: skip
    path = tmp_path / "capture.har"
    path.write_text(json.dumps({"log": {"entries": [entry, entry]}}))
    _code, shown, _, _ = run_pty([str(SCRIPT), "decode", str(path), "--table", "--bedrock"])
    assert "== entry 1: POST https://h/model/m\\x1b]0;pwned" in shown
    assert RAW.search(shown.replace("\n", "")) is None


def test_escape_controls_is_one_function_for_every_shown_text() -> None:
    assert escape_controls("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert escape_controls("x\u2028y\u0085z\u202e") == "x\\u2028y\\x85z\\u202e"
    assert escape_controls("line\nnext\tcol", keep="\n\t") == "line\nnext\tcol"
    assert escape_controls("café ☕ 日本") == "café ☕ 日本"  # printable text is left alone


# --- JSON Lines: strict, and a round trip whatever the text -----------------------------------


def test_decode_json_encode_round_trips_line_and_paragraph_separators(tmp_path: Path) -> None:
    # Raw U+2028, U+2029 and U+0085 inside payloads and headers: splitlines() would cut there.
    text = "one\u2028two\u2029three\u0085four"
    data = _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}) + (
        _event(f"name{text}", {"t": text})
    )
    assert "\u2028".encode() in data
    code, out, _ = call("decode", "--json", "--bedrock", stdin=data)
    assert code in (cli.EXIT_OK, cli.EXIT_INCOMPLETE)
    assert all(line.isascii() or "\u2028" not in line for line in out.decode().split("\n"))
    code, _back, err = call("encode", "-o", str(tmp_path / "back.bin"), stdin=out)
    assert code == cli.EXIT_OK, err
    assert (tmp_path / "back.bin").read_bytes() == data


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_json_lines_are_strict_json_on_a_stdout_that_is_not_utf8(encoding: str) -> None:
    data = _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "😀 é\x85"}})
    result = subprocess.run(
        [str(SCRIPT), "decode", "--json", "--bedrock", "-"], input=data, capture_output=True,
        env={**ENV, "PYTHONIOENCODING": encoding}, timeout=60, check=False,
    )  # fmt: skip
    assert b"\\U0001f600" not in result.stdout
    lines = [json.loads(line) for line in result.stdout.decode(encoding).splitlines()]
    assert lines[0]["payload"]["delta"]["text"] == "😀 é\x85"
    assert result.stdout.isascii()


def test_non_finite_numbers_are_never_written_as_infinity_or_nan(tmp_path: Path) -> None:
    payload = b'{"contentBlockIndex":0,"delta":{"text":"a"},"big":1e999}'
    frame = es.Message({":event-type": "contentBlockDelta", ":message-type": "event"}, payload)
    code, out, _ = call("decode", "--json", "--bedrock", stdin=frame.encode())
    assert b"Infinity" not in out and b"NaN" not in out
    (record, *_) = records(out)
    assert record["payload_text"] == payload.decode()  # not JSON a float can hold: kept as text
    # A hand-written record with 1e999 or NaN: refused, not written as Infinity.
    for value in ("1e999", "NaN", "-Infinity"):
        line = f'{{"headers": {{"a": "b"}}, "payload": {{"x": {value}}}}}\n'.encode()
        code, _, err = call("encode", "-o", str(tmp_path / "x.bin"), stdin=line)
        assert code == cli.EXIT_USAGE and "line 1" in err, err


# --- closed standard streams ----------------------------------------------------------------


def test_closed_stdin_and_stdout_end_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(SAMPLE)
    for command, needle in (
        (f"'{SCRIPT}' decode <&-", "standard input is closed"),
        (f"'{SCRIPT}' decode - <&-", "standard input is closed"),
        (f"'{SCRIPT}' encode - <&-", "standard input is closed"),
        (f"'{SCRIPT}' decode '{path}' >&-", "standard output is closed"),
        (f"'{SCRIPT}' decode --sample >&-", "standard output is closed"),
    ):
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, env=ENV, timeout=60, check=False
        )
        err = result.stderr.decode()
        assert "Traceback" not in err, (command, err)
        assert needle in err, (command, err)
        assert result.returncode == cli.EXIT_USAGE, (command, err)
    # A file given with stdin closed decodes as usual.
    result = subprocess.run(
        ["bash", "-c", f"'{SCRIPT}' decode --json '{path}' <&-"], capture_output=True,
        env=ENV, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == cli.EXIT_OK and len(records(result.stdout)) == 15


def test_dev_zero_fails_at_the_first_prelude_in_bounded_memory() -> None:
    result = subprocess.run(
        ["bash", "-c", f"ulimit -v 400000; '{SCRIPT}' decode --json /dev/zero"],
        capture_output=True, env=ENV, timeout=60, check=False,
    )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == cli.EXIT_STREAM_ERROR, err
    assert "MemoryError" not in err and "Traceback" not in err
    assert "prelude checksum mismatch" in err and "0 frames" in err


# --- detection past damage, HAR numbering, stream names, bounded reprs ----------------------


def test_a_damaged_converse_capture_is_still_detected_and_reassembled() -> None:
    data = bytearray(es.samples.sample_bytes("converse_tool_use"))  # type: ignore[attr-defined]
    frames = list(es.Decoder().frames(bytes(data)))
    damaged = frames[len(frames) // 2]
    data[damaged.offset + damaged.length - 1] ^= 0xFF  # its message CRC
    stream = notebook.decode_capture(bytes(data))
    assert stream.stream == "converse" and len(stream) == damaged.frame_index
    assert stream.reassembled is not None and not stream.reassembled.complete
    assert isinstance(stream.fault, es.MessageChecksumError)
    code, out, _ = call("decode", "--json", "--bedrock", stdin=bytes(data))
    lines = records(out)
    assert code == cli.EXIT_STREAM_ERROR
    assert lines[-2]["reassembled"]["stream"] == "converse" and "error" in lines[-1]


def _two_stream_har() -> bytes:
    def entry(url: str, data: bytes | None) -> dict[str, Any]:
        if data is None:
            return {"request": {"method": "GET", "url": url},
                    "response": {"content": {"mimeType": "text/html", "text": "<p>"}}}  # fmt: skip
        content = {"mimeType": "application/vnd.amazon.eventstream", "text": data.decode("latin-1")}
        return {"request": {"method": "POST", "url": url}, "response": {"content": content}}

    converse = es.samples.sample_bytes("converse_tool_use")  # type: ignore[attr-defined]
    return json.dumps({"log": {"entries": [
        entry("https://example.com/", None),
        entry("https://h/model/m/invoke-with-response-stream", SAMPLE),
        entry("https://h/model/m/converse-stream", converse),
    ]}}).encode()  # fmt: skip


def test_har_entries_are_numbered_alike_and_every_record_has_its_source() -> None:
    har = _two_stream_har()
    _, out, err = call("decode", "--json", "--bedrock", stdin=har)
    lines = records(out)
    assert all("source" in line for line in lines)  # frames, reassembled, summary alike
    sources = {line["source"] for line in lines}
    assert sources == {
        "entry 1: POST https://h/model/m/invoke-with-response-stream",
        "entry 2: POST https://h/model/m/converse-stream",
    }  # the labels carry no notes; how a body was read is said on stderr
    assert "read as Latin-1" in err
    _code, out, _ = call("decode", "--json", "--summary", stdin=har)
    assert [line["summary"]["source"] for line in records(out)] == sorted(sources)
    # decode_capture(entry=N) is the CLI's "entry N".
    assert notebook.decode_capture(har, entry=2).stream == "converse"
    assert notebook.decode_capture(har, entry=1).stream == "invoke"
    assert notebook.decode_capture(har).stream == "invoke"  # the first stream
    with pytest.raises(es.EventStreamError, match="entries 1, 2"):
        notebook.decode_capture(har, entry=0)


def test_decode_capture_refuses_a_stream_name_that_is_not_one() -> None:
    for name in ("Invoke", "converse-stream", ""):
        with pytest.raises(es.ConfigurationError, match="unknown stream"):
            notebook.decode_capture(SAMPLE, stream=name)  # type: ignore[arg-type]
    assert notebook.decode_capture(SAMPLE, stream="invoke").stream == "invoke"


def test_repr_of_large_typed_events_is_bounded() -> None:
    chunk = br.Chunk(bytes=b"\x00" * (1 << 20))
    assert len(repr(chunk)) < 2 * 2048 and "1048576 bytes" in repr(chunk)
    assert len(chunk._repr_html_()) < 3000
    text = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="x" * (1 << 20)))
    assert len(repr(text)) < 2 * 2048 and "1048576 characters" in repr(text)
    assert len(text._repr_html_()) < 3 * 4096
    image = br.ContentBlockDelta(
        content_block_index=1,
        delta=br.ImageDelta(source=br.ImageSource(bytes=b"\x89PNG" * (1 << 18))),
    )
    assert len(repr(image)) < 2 * 2048 and "1048576 bytes" in repr(image)
    assert len(image._repr_html_()) < 3 * 4096
    # Short values are shown whole, as before.
    assert repr(br.TextDelta(text="hi")) == "TextDelta(text='hi')"


def test_stdin_and_output_flush_per_frame_so_a_live_pipe_shows_output_at_once() -> None:
    # The first frame goes in, the pipe stays open: its record must come out before EOF.
    proc = subprocess.Popen(
        [str(SCRIPT), "decode", "--json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=ENV,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    first = next(es.Decoder().frames(SAMPLE))
    proc.stdin.write(SAMPLE[: first.length])
    proc.stdin.flush()
    # Before issue 15 the whole input was read first: nothing came until EOF.
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    if not ready:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        raise AssertionError("no output 30 s after the first frame was written")
    line = proc.stdout.readline()
    assert json.loads(line)["frame"] == 0
    proc.stdin.write(SAMPLE[first.length :])
    proc.stdin.close()
    rest = proc.stdout.read()
    proc.stdout.close()
    assert proc.wait(timeout=60) == cli.EXIT_OK
    assert len(rest.decode().splitlines()) == 14


# --- any text a capture can hold ------------------------------------------------------------

_SHOWN_RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    name=st.text(st.characters(codec="utf-8"), max_size=12),
    text=st.text(st.characters(codec="utf-8"), max_size=12),
)
def test_no_text_a_capture_can_hold_is_shown_raw(name: str, text: str) -> None:
    data = b"".join([
        _event("messageStart", {"role": text}),
        _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}),
        _event(name or "x", {"v": text}, **{name or "h": text}),
        es.Message({":message-type": "exception", ":exception-type": name or "x"},
                   json.dumps({"message": text}).encode()).encode(),
        es.Message({":message-type": "error", ":error-code": name or "x",
                    ":error-message": text}).encode(),
    ])  # fmt: skip
    for args in (("--table",), ("--table", "--bedrock"), ("--table", "--summary", "--bedrock")):
        _, out, err = call("decode", *args, stdin=data)
        for shown in (out.decode("utf-8"), err):
            assert _SHOWN_RAW.search(shown) is None, (args, shown)
    _, out, _ = call("decode", "--json", "--bedrock", stdin=data)
    assert _SHOWN_RAW.search(out.decode("utf-8")) is None
