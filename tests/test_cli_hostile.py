"""Hostile and odd input to the ``eventstream`` command: it reports, it does not crash.

Well-framed Bedrock streams whose payloads are not what they claim, keys that try to replace
the record's own, JSON nested deeper than the records show or near the parser's recursion
limit, lone surrogates, and a path holding a NUL.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import eventstream as es
from eventstream import cli
from eventstream.bedrock._json import SHOWN_JSON_DEPTH
from tests.cli_support import ENV, ROOT, SAMPLE, call, har, records, run

# --- hostile but well-framed Bedrock streams -----------------------------------------------

_JSON_HEADERS = {":content-type": "application/json"}


def _frame(kind: str, name: str, payload: bytes) -> bytes:
    """A Bedrock frame: ``kind`` is ``event`` or ``exception``, ``name`` its type."""
    headers = {f":{kind}-type": name, **_JSON_HEADERS, ":message-type": kind}
    return es.Message(headers, payload).encode()


def _event(event_type: str, payload: bytes) -> bytes:
    return _frame("event", event_type, payload)


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
        return _frame("exception", name, payload)

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


def test_event_keys_from_the_stream_cannot_replace_the_record_keys() -> None:
    # Keys the service adds (kept as extra) land under "fields", never on the record itself.
    hostile = {"class": "Forged", "name": "forged", "fields": 1, "status_code": 200}
    chunk = base64.b64encode(b'{"type":"message_stop"}').decode()
    stream = b"".join([
        _frame("event", "messageStart", _js({"role": "assistant", **hostile})),
        _frame("event", "messageStop", _js({"stopReason": "end_turn", "class": "X"})),
        _frame("exception", "throttlingException", _js({"message": "slow", **hostile})),
    ])  # fmt: skip
    invoke = _frame("event", "chunk", _js({"bytes": chunk, **hostile}))
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
    assert shown.lstrip().startswith("#  offset  length  event") and "\nreassembled (" in shown


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


# --- lone surrogates and NUL characters -----------------------------------------------------


def test_a_har_text_body_with_a_lone_surrogate_is_a_usage_error() -> None:
    document = har(SAMPLE).replace(b'"encoding": "base64", ', b"")
    document = re.sub(rb'"text": "[^"]*"}}}]', rb'"text": "\\ud800AAAA"}}}]', document)
    assert b'"text": "\\ud800AAAA"' in document
    for forced in ((), ("--input-format", "har")):
        result = run("decode", "--bedrock", *forced, "-", stdin=document)
        err = result.stderr.decode()
        assert (result.returncode, result.stdout) == (cli.EXIT_USAGE, b""), err
        assert "Traceback" not in err
        assert "entry 1: POST" in err and "lone surrogate '\\ud800' at character 0" in err


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
    jsonl = str(tmp_path / "r.jsonl")
    Path(jsonl).write_text('{"payload_text": "x"}\n')
    for args, verb in (
        (("decode", bad), "read"),
        (("encode", bad), "read"),
        (("encode", jsonl, "-o", bad), "write"),
        (("sample", "-o", bad), "write"),
    ):
        code, out, err = call(*args)
        assert (code, out) == (cli.EXIT_USAGE, b""), args
        assert err == f"eventstream: cannot {verb} {bad!r}: a path cannot hold a NUL character\n"
