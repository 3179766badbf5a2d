"""The mock server package against hostile arguments, files and requests: each raises the
library's error (``ConfigurationError``, ``InputTypeError``, ``FaultSpecError``,
``BadRequest``), never ``TypeError``, ``ValueError``, ``UnicodeError``, ``OverflowError`` or
``RecursionError``; no wait it sets is endless; a request it cannot answer gets a JSON 4xx/5xx
(read by stdlib ``http.client`` and by boto3) and the server goes on serving.

Regression tests for the escapes ``tests/test_hostile_sweep.py`` found in ``eventstream.mock``.
"""

from __future__ import annotations

import http.client
import io
import json
import math
import random
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream import cli, mock
from tests.support import ThreadErrors

DATA = Path(__file__).resolve().parent / "data"
_RNG = random.Random(0)


def _deep(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return root


@pytest.fixture(scope="module")
def server() -> Iterator[mock.MockServer]:
    with mock.MockServer(idle_timeout=2.0, seed=3) as running:
        yield running


def _post(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST ``{}`` with stdlib http.client; the status and the JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", path, body=b"{}", headers=headers)
        response = connection.getresponse()
        body = response.read()
        assert response.getheader("Content-Type") == "application/json"
        return response.status, json.loads(body)
    finally:
        connection.close()


def _still_serves(port: int) -> None:
    status, body = _post(port, "/model/m/converse", {})
    assert status == 200 and body["output"]["message"]["role"] == "assistant"


# --- fault specs ------------------------------------------------------------------------------

# str.isdigit() took Unicode digits that int() refuses, and int() refuses 4300+ digits.
_BAD_NUMBERS = [
    "cut@²:1", "cut@1:²", "http=²00", "http=%C2%B2", "fragment=random,seed=%C2%B2",
    "fragment=random,max=%C2%B2", "corrupt=length,by=%C2%B2", "cut@" + "9" * 5000 + ":1",
    "http=" + "9" * 5000, "fragment=random,seed=" + "9" * 5000, "cut@\u0661:1",
    "corrupt=length,by=-" + "9" * 5000, "cut@" + "9" * 20 + ":1",
]  # fmt: skip


@pytest.mark.parametrize("spec", _BAD_NUMBERS, ids=lambda s: s[:24])
def test_fault_specs_with_numbers_int_refuses(spec: str) -> None:
    with pytest.raises(mock.FaultSpecError):
        mock.parse_faults(spec)


def test_fault_counts_up_to_a_64_bit_counter() -> None:
    (fault,) = mock.parse_faults(f"cut@{2**63 - 1}:{2**63 - 1}")
    assert mock.parse_faults(str(fault)) == (fault,)
    with pytest.raises(mock.FaultSpecError):
        mock.Fault("disconnect", at=2**63)


@pytest.mark.parametrize(
    "build",
    [lambda: mock.Fault("exception", "throttlingException", options={"message": "\ud800"}),
     lambda: mock.Fault("http", "500", options={"message": "\udfff"}),
     lambda: mock.Fault("unknown-event", options={"name": "x\ud800"}),
     lambda: mock.Fault("http", "500", options={"\ud800": "x"})],
    ids=["exception-message", "http-message", "event-name", "option-name"],
)  # fmt: skip
def test_a_fault_holding_a_lone_surrogate_is_refused_when_built(build: Callable[[], Any]) -> None:
    # It has no UTF-8 form: neither its spec (the header) nor its frames could be written.
    with pytest.raises(mock.FaultSpecError, match="lone surrogate"):
        build()


@pytest.mark.parametrize(
    "spec",
    ["http=%C2%B2", "fragment=random,seed=%C2%B2", "cut@" + "9" * 5000 + ":1", "cut@²:1"],
    ids=lambda s: s[:24],
)
def test_the_header_with_such_numbers_gets_a_400(
    server: mock.MockServer, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    errors = ThreadErrors(monkeypatch)
    header = spec.encode("utf-8").decode("latin-1")  # http.client sends latin-1
    status, body = _post(server.port, "/model/m/converse-stream", {mock.FAULT_HEADER: header})
    assert status == 400 and mock.FAULT_HEADER in body["message"]
    _still_serves(server.port)
    assert errors.seen == []


# --- wrong argument types ---------------------------------------------------------------------


def _started(**kwargs: Any) -> None:
    server = mock.MockServer(**kwargs)
    try:
        server.start()
    finally:
        server.stop(timeout=1.0)


_WRONG: dict[str, Callable[[], Any]] = {
    "parse_faults(None)": lambda: mock.parse_faults(None),  # type: ignore[arg-type]
    "parse_faults(bytes)": lambda: mock.parse_faults(b"cut@1:1"),  # type: ignore[arg-type]
    "as_faults(5)": lambda: mock.as_faults(5),  # type: ignore[arg-type]
    "as_faults([None])": lambda: mock.as_faults([None]),  # type: ignore[list-item]
    "Fault('http', None)": lambda: mock.Fault("http", None),  # type: ignore[arg-type]
    "Fault('http', 500)": lambda: mock.Fault("http", 500),  # type: ignore[arg-type]
    "Fault(5)": lambda: mock.Fault(5),  # type: ignore[arg-type]
    "Fault(options=None)": lambda: mock.Fault("http", "500", options=None),  # type: ignore[arg-type]
    "Fault(options={'by': 5})": lambda: mock.Fault("corrupt", "length", options={"by": 5}),  # type: ignore[dict-item]
    "MockServer([None])": lambda: mock.MockServer([None]),  # type: ignore[list-item]
    "MockServer('capture.bin')": lambda: mock.MockServer("capture.bin"),
    "MockServer(script='x')": lambda: mock.MockServer(script="x"),  # type: ignore[arg-type]
    "MockServer(faults=5)": lambda: mock.MockServer(faults=5),  # type: ignore[arg-type]
    "MockServer(journal=5)": lambda: mock.MockServer(journal=5),  # type: ignore[arg-type]
    "MockServer(seed=[])": lambda: mock.MockServer(seed=[]),  # type: ignore[arg-type]
    "MockServer(timing=1)": lambda: mock.MockServer(timing=1),  # type: ignore[arg-type]
    "MockServer(host=None)": lambda: mock.MockServer(host=None),  # type: ignore[arg-type]
    "MockServer(idle_timeout=nan)": lambda: mock.MockServer(idle_timeout=math.nan),
    "MockServer(idle_timeout=1e300)": lambda: mock.MockServer(idle_timeout=1e300),
    "MockServer(port='x')": lambda: mock.MockServer(port="x"),  # type: ignore[arg-type]
    "MockServer(port=10**6).start()": lambda: _started(port=10**6),
    "MockServer(port=-1).start()": lambda: _started(port=-1),
    "MockServer(host='é'*300).start()": lambda: _started(host="é" * 300),
    "MockServer(host='\\ud800').start()": lambda: _started(host="\ud800"),
    "MockServer().stop(inf)": lambda: mock.MockServer().stop(math.inf),
    "Journal(5)": lambda: mock.Journal(5),  # type: ignore[arg-type]
    "Journal().wait(timeout=nan)": lambda: mock.Journal().wait(1, math.nan),
    "Journal().wait(timeout=inf)": lambda: mock.Journal().wait(1, math.inf),
    "read_journal(None)": lambda: mock.read_journal(None),  # type: ignore[arg-type]
    "Script(text=None)": lambda: mock.Script(text=None),  # type: ignore[arg-type]
    "Script(tool_calls=None)": lambda: mock.Script(tool_calls=None),  # type: ignore[arg-type]
    "Script(tool_calls=[5])": lambda: mock.Script(tool_calls=[5]),  # type: ignore[arg-type]
    "Script(input_tokens='1')": lambda: mock.Script(input_tokens="1"),  # type: ignore[arg-type]
    "ToolCall(None)": lambda: mock.ToolCall(None),  # type: ignore[arg-type]
    "ToolCall('f', [1])": lambda: mock.ToolCall("f", [1]),  # type: ignore[arg-type]
    "Timing(10**400)": lambda: mock.Timing(10**400),
    "Responses(script='x')": lambda: mock.Responses(script="x"),  # type: ignore[arg-type]
    "Responses([None])": lambda: mock.Responses([None]),  # type: ignore[list-item]
    "stream_of([None])": lambda: mock.stream_of([None]),  # type: ignore[list-item]
    "stream_of(5)": lambda: mock.stream_of(5),  # type: ignore[arg-type]
    "plan_stream(0 frames, 1 delay)": lambda: mock.plan_stream([], [1.0], "converse"),
    "plan_stream([None])": lambda: mock.plan_stream([None], [0.0], "converse"),  # type: ignore[list-item]
    "plan_stream(faults=[None])": lambda: mock.plan_stream([], [], "converse", [None]),  # type: ignore[list-item]
    "plan_reply(None)": lambda: mock.plan_reply(None),  # type: ignore[arg-type]
    "plan_error(None)": lambda: mock.plan_error(None),  # type: ignore[arg-type]
    "parse_head(str)": lambda: mock.parse_head("GET / HTTP/1.1\r\nHost: x"),  # type: ignore[arg-type]
    "parse_head(None)": lambda: mock.parse_head(None),  # type: ignore[arg-type]
    "load_recordings(str)": lambda: mock.load_recordings("{}", "capture"),  # type: ignore[arg-type]
    "load_recordings(None)": lambda: mock.load_recordings(None, "capture"),  # type: ignore[arg-type]
    "fault_header(None)": lambda: mock.fault_header(None, "cut@1:1").__enter__(),
    "fault_header(CRLF)": lambda: mock.fault_header(None, "x\r\nHost: y").__enter__(),
}


@pytest.mark.parametrize("name", sorted(_WRONG))
def test_wrong_arguments_raise_the_librarys_errors(name: str) -> None:
    with pytest.raises(es.EventStreamError):
        _WRONG[name]()


# --- timing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timing",
    [{"first_event": math.inf}, {"first_event": 3601.0}, {"events_per_second": 1e-300},
     {"events_per_second": math.inf}, {"speed": 1e-300}, {"speed": math.inf},
     {"jitter": math.inf}, {"first_event": math.nan}],
    ids=["first-inf", "first-3601", "rate-1e-300", "rate-inf", "speed-1e-300", "speed-inf",
         "jitter-inf", "first-nan"],
)  # fmt: skip
def test_timing_refuses_waits_for_ever(timing: dict[str, float]) -> None:
    with pytest.raises(es.ConfigurationError):
        mock.Timing(**timing)


def test_no_delay_is_over_an_hour() -> None:
    slow = mock.Timing(first_event=3600.0, events_per_second=1 / 3600, jitter=1.0, speed=1 / 3600)
    rng = random.Random(0)
    delays = slow.delays(50, None, rng) + slow.delays(3, [3600.0, math.nan, -1.0], rng)
    assert all(0 <= d <= 3600 for d in delays), delays
    assert slow.delays(3, [3600.0, math.nan, -1.0], rng) == [3600.0, 0.0, 0.0]


# --- request heads ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head", [b"POST /model/\xff/converse HTTP/1.1\r\nHost: x", b"GET /\xc3\xa9 HTTP/1.1",
             b"GET /\x00 HTTP/1.1", b"GET /\x7f HTTP/1.1"],
)  # fmt: skip
def test_a_request_target_is_visible_ascii(head: bytes) -> None:
    with pytest.raises(mock.BadRequest) as caught:
        mock.parse_head(head)
    assert caught.value.status == 400


def test_a_non_ascii_target_gets_a_400_and_the_server_serves_on(
    server: mock.MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = ThreadErrors(monkeypatch)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(
            b"POST /model/\xff/converse-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        )
        answer = b""
        while piece := connection.recv(65536):
            answer += piece
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert "request line" in json.loads(answer.partition(b"\r\n\r\n")[2])["message"]
    _still_serves(server.port)
    assert errors.seen == []


# --- scripts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [{"tool_calls": [{"name": "\udc00", "input": {}}]}, {"model": "\ud800"},
     {"tool_calls": [{"name": "f", "input": {"k": "\ud800"}}]}],
    ids=["tool-name", "model", "tool-input"],
)  # fmt: skip
@pytest.mark.parametrize("stream", ["converse", "invoke"])
def test_a_script_holding_a_lone_surrogate(document: dict[str, Any], stream: str) -> None:
    # Valid JSON ("\ud800" escaped) reads as a lone surrogate, which UTF-8 cannot write.
    script = mock.script_from_json(json.loads(json.dumps(document)), "script.json")
    try:
        messages = script.messages(stream, mock.Timing(), random.Random(0))
    except es.EventStreamError:
        return
    for message in messages:  # written after all: every frame decodes
        br.decode_event(message, stream)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", ["converse", "invoke"])
def test_a_script_with_a_count_past_int32(stream: str) -> None:
    for tokens in (10**5000, 2**31):
        with pytest.raises(es.ConfigurationError, match="input_tokens"):
            mock.Script(input_tokens=tokens).messages(stream, mock.Timing(), _RNG)
    assert mock.Script(input_tokens=2**31 - 1).messages(stream, mock.Timing(), _RNG)


@pytest.mark.parametrize("stream", ["converse", "invoke"])
def test_a_script_with_a_tool_input_nested_too_deep(stream: str) -> None:
    script = mock.Script(tool_calls=(mock.ToolCall("f", _deep(10_000)),))
    with pytest.raises(es.ConfigurationError, match="too deep"):
        script.messages(stream, mock.Timing(), _RNG)


def test_a_script_with_a_tool_input_that_is_not_json() -> None:
    script = mock.Script(tool_calls=(mock.ToolCall("f", {"k": {1, 2}}),))
    with pytest.raises(es.ConfigurationError, match="not JSON"):
        script.messages("invoke", mock.Timing(), _RNG)


def test_a_server_whose_script_cannot_be_written_answers_500(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boto3 = pytest.importorskip("boto3")
    botocore_config = pytest.importorskip("botocore.config")
    errors = ThreadErrors(monkeypatch)
    script = mock.script_from_json(json.loads('{"model": "\\ud800"}'), "script.json")
    with mock.MockServer(script=script, idle_timeout=2.0) as running:
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=running.url,
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            config=botocore_config.Config(retries={"total_max_attempts": 1}, read_timeout=5),
        )
        with pytest.raises(client.exceptions.InternalServerException) as caught:
            client.invoke_model_with_response_stream(modelId="m", body=b"{}")
        assert "lone surrogate" in caught.value.response["Error"]["Message"]
        # Converse writes no model name: it is served as ever.
        assert client.converse(modelId="m", messages=[])["output"]["message"]["content"]
        (record,) = running.journal.wait(1, where=lambda r: r["status"] == 500)
        assert record["outcome"] == "refused" and "lone surrogate" in record["error"]
    assert errors.seen == []


# --- recordings and journals ------------------------------------------------------------------


@pytest.mark.parametrize("wait", [b"1e400", b"-1e400", b"NaN", b"1e300", b"3600001", b'"1e400"'])
def test_a_har_timing_no_server_can_wait_is_refused(wait: bytes) -> None:
    har = (DATA / "invoke.mitmproxy.har").read_bytes()
    assert b'"wait": ' in har
    har = har.replace(b'"wait": ', b'"wait": ' + wait + b', "was": ', 1)
    with pytest.raises(es.ConfigurationError, match="timings"):
        mock.load_recordings(har, "capture.har")


def test_a_har_timing_of_an_hour_is_kept() -> None:
    har = (DATA / "invoke.mitmproxy.har").read_bytes()
    har = har.replace(b'"wait": ', b'"wait": 3600000, "was": ', 1)
    first = mock.load_recordings(har, "capture.har")[0]
    assert first.delays is not None and first.delays[0] == 3600.0


@pytest.mark.parametrize(
    "data", [b"\xff\xfe{}\n", b"[" * 100_000 + b"\n", b"9" * 5000 + b"\n"],
    ids=["not-utf8", "deep", "long-int"],
)  # fmt: skip
def test_read_journal_of_hostile_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(data)
    with pytest.raises(es.ConfigurationError, match=r"journal\.jsonl"):
        mock.read_journal(path)
    with pytest.raises(es.ConfigurationError, match="cannot read"):
        mock.read_journal(tmp_path / "none.jsonl")


def test_a_journal_record_with_a_lone_surrogate_is_written(tmp_path: Path) -> None:
    journal = mock.Journal(tmp_path / "journal.jsonl")
    journal.write({"note": "\ud800", "text": "é"})
    assert mock.read_journal(tmp_path / "journal.jsonl") == [{"note": "\ud800", "text": "é"}]


# --- eventstream serve ------------------------------------------------------------------------


def _serve(args: list[str]) -> tuple[int, str]:
    """``eventstream serve`` with arguments it must refuse before serving (bounded)."""
    out, err = io.StringIO(), io.StringIO()
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["code"] = cli.main(["serve", *args], stdout=out, stderr=err)
        except BaseException as exc:
            result["escaped"] = "".join(traceback.format_exception(exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), f"serve {args} is serving; it should have refused"
    assert "escaped" not in result, result["escaped"]
    assert "Traceback" not in err.getvalue()
    return result["code"], err.getvalue()


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--fault", "http=²"], "http"), (["--fault", "cut@" + "9" * 5000 + ":1"], "frame count"),
     (["--port", "99999"], "port"), (["--port", "-1"], "port"),
     (["--tool", "x=" + "[" * 100_000], "--tool"), (["--first-event", "inf"], "first_event"),
     (["--rate", "1e-300"], "events_per_second"), (["--speed", "1e-300"], "speed")],
    ids=["fault-unicode-digit", "fault-5000-digits", "port-99999", "port-minus-1",
         "tool-deep", "first-event-inf", "rate-1e-300", "speed-1e-300"],
)  # fmt: skip
def test_serve_refuses_with_a_usage_error(args: list[str], said: str) -> None:
    code, err = _serve(args)
    assert code == 2 and said in err, err


def test_serve_refuses_a_tool_input_that_is_not_strict_json() -> None:
    # 1e400 and NaN parse in Python's json (as inf and nan), and went out as Infinity and
    # NaN in the tool input's JSON, which no client's parser reads.
    import io  # noqa: PLC0415

    from eventstream import cli  # noqa: PLC0415

    for text in ('x={"a":1e400}', 'x={"a":NaN}', 'x={"a":-Infinity}'):
        err = io.StringIO()
        code = cli.main(["serve", "--tool", text, "--port", "0"], stdout=io.StringIO(), stderr=err)
        assert code == cli.EXIT_USAGE, err.getvalue()
        assert "--tool" in err.getvalue() and "Traceback" not in err.getvalue()
