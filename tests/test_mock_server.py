"""The mock server over real sockets: every fault reached from Python (read by boto3) and from
the ``serve`` flags (read by httpx and ``bedrock.events``) with the outcome docs/testing.md
gives for the header; strict request parsing; keep-alive; captures, JSON Lines, HAR timing and
scripts as sources; timing; stalls that end when the client or the server goes; the Anthropic
SDK's Bedrock client; and ``eventstream serve`` as a process."""

from __future__ import annotations

import base64
import http.client
import io
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream import cli, mock
from eventstream.mock.cli import server_from_args
from eventstream.samples import sample_bytes
from tests import test_testing_docs as table
from tests.markdown import table_after

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")
httpx = pytest.importorskip("httpx")

#: The page's row for each spec: (boto3, aiobotocore, retried, httpx).
ROWS = {
    row[0].strip("`") if row[0] != "(none)" else "": row[1:]
    for row in table_after(table.DOC.read_text(), table.MARKER)
}
SPECS = [spec for spec in table.SPECS if spec]


def _client(url: str) -> Any:
    return boto3.client(
        "bedrock-runtime", endpoint_url=url, config=table._config(), **table.CREDENTIALS
    )


@pytest.fixture(scope="module")
def server() -> Iterator[mock.MockServer]:
    with mock.serve(seed=5) as running:
        yield running


@pytest.fixture
def fresh(server: mock.MockServer) -> Iterator[mock.MockServer]:
    server.faults = None
    server.journal.clear()
    yield server
    server.faults = None


# --- every fault, from Python and from the flags --------------------------------------------


def _boto3_without_header(client: Any) -> str:
    received: list[Any] = []
    try:
        response = client.converse_stream(modelId="m", messages=[])
    except Exception as exc:
        return f"{table._error_text(exc)} from the call"
    try:
        for event in response["stream"]:
            received.append(event)
    except Exception as exc:
        return table._events(len(received), table._error_text(exc))
    finally:
        response["stream"].close()
    return table._events(len(received), "the end")


def test_every_fault_from_python_as_boto3_sees_it(fresh: mock.MockServer) -> None:
    client = _client(fresh.url)
    try:
        with table._no_backoff():
            for spec in SPECS:
                # Fault values built in Python, set on the server: no header.
                faults = tuple(
                    mock.Fault(f.kind, f.value, f.at, f.byte, f.options)
                    for f in mock.parse_faults(spec)
                )
                fresh.faults = faults
                after = table._last(fresh.journal)
                seen = _boto3_without_header(client)
                assert seen == ROWS[spec][0], spec
                (record, *_) = table._attempts(fresh.journal, spec, after, seen)
                assert record["fault_source"] == "server"
                assert [f["fault"] for f in record["injected"]] == [str(f) for f in faults]
    finally:
        client.close()


def _httpx_without_header(url: str) -> str:
    received: list[Any] = []
    timeout = httpx.Timeout(5.0, read=table.READ_TIMEOUT)
    with (
        httpx.Client(base_url=url, timeout=timeout) as client,
        client.stream("POST", "/model/m/converse-stream", content=b"{}") as response,
    ):
        if response.status_code != 200:
            error = br.error_from_response(
                response.status_code, response.headers.items(), response.read()
            )
            return f"HTTP {response.status_code}: {type(error).__name__}"
        try:
            for event in br.events(response.iter_bytes(), "converse"):
                received.append(event)
        except Exception as exc:
            return table._events(len(received), type(exc).__name__)
    whole = "complete" if br.reassemble(received).complete else "incomplete"
    return table._events(len(received), f"the end ({whole})")


def test_every_fault_from_the_serve_flags_as_httpx_sees_it(tmp_path: Path) -> None:
    parser = cli.build_parser()
    for number, spec in enumerate(SPECS):
        journal = tmp_path / f"journal-{number}.jsonl"
        args = parser.parse_args(["serve", "--fault", spec, "--journal", str(journal)])
        with server_from_args(args) as running:
            assert _httpx_without_header(running.url) == ROWS[spec][3], spec
            running.journal.wait(1)
        (record,) = mock.read_journal(journal)
        assert record["fault_source"] == "server" and record["faults"] == table._sent(spec)
        assert all(f["applied"] for f in record["injected"])


def test_several_flags_join_into_one_spec() -> None:
    args = cli.build_parser().parse_args(
        ["serve", "--fault", "fragment=bytes", "--fault", "exception=throttlingException@2"]
    )
    assert [f.kind for f in server_from_args(args).faults] == ["fragment", "exception"]


def test_a_bad_flag_is_a_usage_error() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["serve", "--fault", "stall=soon@2"], stdout=out, stderr=err) == 2
    assert "'stall=soon@2': fault 'stall': '=soon' must be seconds" in err.getvalue()
    assert out.getvalue() == ""
    err = io.StringIO()
    assert cli.main(["serve", "/no/such/capture.bin"], stdout=out, stderr=err) == 2
    assert "/no/such/capture.bin: cannot read" in err.getvalue()


def test_a_bad_header_is_a_validation_exception_naming_the_part(fresh: mock.MockServer) -> None:
    client = _client(fresh.url)
    try:
        with (
            mock.fault_header(client, "exception=throttlingException@1;cut@1"),
            pytest.raises(client.exceptions.ValidationException) as info,
        ):
            client.converse_stream(modelId="m", messages=[])
    finally:
        client.close()
    message = info.value.response["Error"]["Message"]
    assert message == (
        "bad x-eventstream-fault header: 'cut@1': fault 'cut' needs '@FRAME:BYTES' (e.g. cut@2:10)"
    )
    record = fresh.journal.wait(1, where=lambda r: r["outcome"] == "refused")[-1]
    assert record["status"] == 400 and record["error"] == message


def test_the_header_replaces_the_servers_faults_for_one_request(fresh: mock.MockServer) -> None:
    fresh.faults = "http=500"
    client = _client(fresh.url)
    try:
        with mock.fault_header(client, "") as sent:
            assert sent == ""
            assert _boto3_without_header(client) == "8 events, then the end"
        with pytest.raises(client.exceptions.InternalServerException):
            client.converse_stream(modelId="m", messages=[])
    finally:
        client.close()


# --- requests, read strictly ----------------------------------------------------------------


def _raw(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` on a new connection; the status, headers and body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            piece = sock.recv(65536)
            if not piece:
                break
            received += piece
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("Content-Length", "0")):
            body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


HEAD = "POST /model/m/converse-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
BAD_REQUESTS = [
    (b"GARBAGE\r\n\r\n", 400, "not an HTTP/1.1 request line"),
    (b"POST /model/m/converse-stream HTTP/2.0\r\nHost: x\r\n\r\n", 400, "request line"),
    (b"POST /model/m/converse-stream HTTP/1.1\r\n\r\n", 400, "needs a Host header"),
    ((HEAD + "Bad header\r\n\r\n{}").encode(), 400, "header line 3 is not 'Name: value'"),
    ((HEAD + " folded\r\n\r\n{}").encode(), 400, "header line 3"),
    ((HEAD + "X: caf\xe9\r\n\r\n{}").encode("latin-1"), 400, "is not ASCII"),
    ((HEAD + "X: a\x01b\r\n\r\n{}").encode(), 400, "control character"),
    ((HEAD + "Content-Length: 3\r\n\r\n{}").encode(), 400, "conflicting Content-Length"),
    (b"POST /model/m/converse-stream HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
     "is not a byte count"),
    (b"POST /model/m/converse-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
     413, "the body is over"),
    (b"POST /model/m/converse-stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
     501, "Content-Length"),
    ((HEAD + "".join(f"X-{n}: y\r\n" for n in range(100)) + "\r\n{}").encode(), 431,
     "more than 100 headers"),
    ((HEAD + "X: " + "y" * 70_000 + "\r\n\r\n{}").encode(), 431, "over 65536 bytes"),
    (b"POST /model/m/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404,
     "no such operation: '/model/m/chat'"),
    (b"GET /model/m/converse-stream HTTP/1.1\r\nHost: x\r\n\r\n", 405, "only POST is served"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404, "no such operation"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "status", "says"), BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_a_bad_request_gets_a_clear_error(
    fresh: mock.MockServer, data: bytes, status: int, says: str
) -> None:
    got, headers, body = _raw(fresh.url, data)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert says in json.loads(body)["message"]
    record = fresh.journal.wait(1, where=lambda r: r["outcome"] == "refused")[-1]
    assert record["status"] == status and says in record["error"]


def test_parse_head_alone() -> None:
    request = mock.parse_head(b"POST /a HTTP/1.0\r\nHost: h\r\nConnection: keep-alive")
    assert request.keep_alive and request.header("host") == "h" and request.content_length == 0
    assert not mock.parse_head(b"POST /a HTTP/1.1\r\nHost: h\r\nConnection: close").keep_alive
    with pytest.raises(mock.BadRequest) as info:
        mock.parse_head(b"x" * (mock.MAX_HEAD_BYTES + 1))
    assert info.value.status == 431


def test_keep_alive_and_close(fresh: mock.MockServer) -> None:
    host, port = fresh.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    bodies, sockets = [], []
    for _ in range(3):
        connection.request("POST", "/model/m/converse-stream", body=b"{}")
        response = connection.getresponse()
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Connection") == "keep-alive"
        bodies.append(response.read())
        sockets.append(connection.sock)
    assert sockets[0] is sockets[1] is sockets[2]  # one connection, kept open
    connection.request("POST", "/model/m/converse", body=b"{}", headers={"Connection": "close"})
    response = connection.getresponse()
    assert response.getheader("Connection") == "close"
    assert response.getheader("Content-Length") == str(len(response.read()))
    connection.close()
    assert all(len(list(br.events(body, "converse"))) == 8 for body in bodies)
    assert len(fresh.journal.wait(4)) == 4


# --- what is served -------------------------------------------------------------------------


def _recorded(name: str) -> tuple[bytes, list[Any]]:
    data = sample_bytes(name)
    stream = "invoke" if "invoke" in name else "converse"
    return data, list(br.events(data, stream, raise_exceptions=False))


def test_captures_are_served_byte_for_byte_in_turn(tmp_path: Path) -> None:
    converse, invoke = tmp_path / "c.bin", tmp_path / "i.bin"
    converse.write_bytes(sample_bytes("converse_tool_use"))
    invoke.write_bytes(sample_bytes("claude_invoke_tool_use"))
    errors = tmp_path / "e.bin"
    errors.write_bytes(sample_bytes("claude_invoke_stream_error"))
    with mock.serve([converse, invoke, errors]) as running, httpx.Client(base_url=running.url) as c:
        got = c.post("/model/m/converse-stream", content=b"{}").content
        assert got == converse.read_bytes()
        turns = [
            c.post("/model/m/invoke-with-response-stream", content=b"{}").content for _ in "abc"
        ]
        assert turns == [invoke.read_bytes(), errors.read_bytes(), invoke.read_bytes()]
        client = _client(running.url)
        try:
            events = list(client.converse_stream(modelId="m", messages=[])["stream"])
        finally:
            client.close()
    assert events[0] == {"messageStart": {"role": "assistant"}}
    assert any("toolUse" in json.dumps(e) for e in events)


def test_json_lines_from_decode_are_served_as_the_frames(tmp_path: Path) -> None:
    capture = tmp_path / "c.bin"
    capture.write_bytes(sample_bytes("converse_tool_use"))
    out = io.StringIO()
    assert cli.main(["decode", str(capture), "--json", "-q"], stdout=out, stderr=io.StringIO()) == 0
    lines = tmp_path / "c.jsonl"
    lines.write_text(out.getvalue())
    with mock.serve([lines]) as running:
        (recording,) = running.responses.recordings
        assert recording.stream == "converse"
        assert httpx.post(running.url + "/model/m/converse-stream").content == capture.read_bytes()


def test_a_corrupt_capture_is_refused_with_its_name(tmp_path: Path) -> None:
    capture = tmp_path / "bad.bin"
    capture.write_bytes(sample_bytes("converse_tool_use")[:-3])
    with pytest.raises(es.ConfigurationError, match=r"bad\.bin: not a sound event stream"):
        mock.MockServer([capture])


def _har(frames: bytes, wait_ms: float, receive_ms: float) -> bytes:
    entry = {
        "request": {"method": "POST", "url": "https://bedrock-runtime/model/m/converse-stream"},
        "response": {
            "status": 200,
            "headers": [],
            "content": {
                "mimeType": br.EVENTSTREAM_CONTENT_TYPE,
                "encoding": "base64",
                "text": base64.b64encode(frames).decode(),
            },
        },
        "timings": {"send": 1, "wait": wait_ms, "receive": receive_ms},
    }
    return json.dumps({"log": {"version": "1.2", "entries": [entry]}}).encode()


def _arrivals(url: str, path: str = "/model/m/converse-stream") -> list[float]:
    """Seconds from the request to each frame's arrival."""
    start = time.monotonic()
    times = []
    with httpx.stream("POST", url + path, content=b"{}") as response:
        for _ in es.iter_messages(response.iter_bytes()):
            times.append(time.monotonic() - start)
    return times


def test_a_har_keeps_its_recorded_timing_and_the_speed_divides_it(tmp_path: Path) -> None:
    frames = sample_bytes("converse_tool_use")
    count = len(es.Decoder().feed(frames))
    har = tmp_path / "c.har"
    har.write_bytes(_har(frames, wait_ms=1600, receive_ms=400))
    (recording,) = mock.load_recordings(har.read_bytes(), "c.har")
    assert recording.delays == pytest.approx([1.6] + [0.4 / (count - 1)] * (count - 1))
    with mock.serve([har], timing=mock.Timing(speed=4.0)) as running:
        times = _arrivals(running.url)
    assert len(times) == count
    # 1,600 ms at four times the speed; the upper bounds leave a loaded machine room but
    # not the recorded 1.6 s.
    assert 0.4 <= times[0] < 1.2
    assert 0.5 <= times[-1] < 1.4  # (1,600 + 400) / 4
    assert times[-1] - times[0] >= 0.09  # the 400 ms of receiving, divided too


def test_script_timing_first_event_rate_and_jitter() -> None:
    timing = mock.Timing(first_event=0.2, events_per_second=50)
    with mock.serve(timing=timing) as running:
        times = _arrivals(running.url)
    assert len(times) == 8
    # The upper bounds leave a loaded machine room (the request's own setup is in them).
    assert 0.2 <= times[0] < 0.8
    assert 0.2 + 7 / 50 <= times[-1] < 1.2
    assert times[-1] - times[0] >= 7 / 50 - 0.01
    jittery = mock.Timing(events_per_second=10, jitter=0.5)
    delays = jittery.delays(50, None, random.Random(3))
    assert delays == jittery.delays(50, None, random.Random(3))
    assert all(0.05 <= d <= 0.15 for d in delays[1:]) and len(set(delays)) > 40
    with pytest.raises(es.ConfigurationError):
        mock.Timing(speed=0)
    with pytest.raises(es.ConfigurationError):
        mock.Timing(jitter=2)


def test_a_script_with_tool_calls_through_boto3_and_the_non_streaming_calls() -> None:
    script = mock.Script(
        text="Let me check.", tool_calls=(mock.ToolCall("weather", {"city": "Paris"}),)
    )
    with mock.serve(script=script, seed=1) as running:
        client = _client(running.url)
        try:
            stream = client.converse_stream(modelId="m", messages=[])["stream"]
            events = list(stream)
            answer = client.converse(modelId="m", messages=[])
            invoked = client.invoke_model(modelId="m", body=b"{}")
            chunks = list(client.invoke_model_with_response_stream(modelId="m", body=b"{}")["body"])
        finally:
            client.close()
    starts = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert starts[0]["start"]["toolUse"]["name"] == "weather"
    assert [e.get("messageStop") for e in events if "messageStop" in e] == [
        {"stopReason": "tool_use"}
    ]
    assert answer["stopReason"] == "tool_use"
    content = answer["output"]["message"]["content"]
    assert content[0] == {"text": "Let me check."}
    assert content[1]["toolUse"]["input"] == {"city": "Paris"}
    body = json.loads(invoked["body"].read())
    assert invoked["contentType"] == "application/json"
    assert body["content"][1]["input"] == {"city": "Paris"} and body["stop_reason"] == "tool_use"
    headers = invoked["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == script.output_tokens
    types = [json.loads(c["chunk"]["bytes"])["type"] for c in chunks]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    metrics = json.loads(chunks[-1]["chunk"]["bytes"])["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == script.output_tokens


def test_the_anthropic_sdk_reads_the_invoke_stream() -> None:
    anthropic = pytest.importorskip("anthropic")
    script = mock.Script(text="Bonjour", delta_size=3, tool_calls=(mock.ToolCall("t", {"a": 1}),))
    with mock.serve(script=script) as running:
        options = {"aws_region": "us-east-1", "aws_access_key": "a", "aws_secret_key": "b"}
        client = anthropic.AnthropicBedrock(base_url=running.url, max_retries=0, **options)
        request = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
        with client.messages.stream(**request) as stream:
            assert list(stream.text_stream) == ["Bon", "jou", "r"]
            message = stream.get_final_message()
        assert message.stop_reason == "tool_use" and message.content[1].input == {"a": 1}
        created = client.messages.create(**request)
        assert created.content[0].text == "Bonjour"
        throttled = anthropic.AnthropicBedrock(
            base_url=running.url, max_retries=0,
            default_headers={mock.FAULT_HEADER: "exception=throttlingException@3"}, **options,
        )  # fmt: skip
        with (
            pytest.raises(anthropic.APIStatusError) as info,
            throttled.messages.stream(**request) as s,
        ):
            list(s.text_stream)
        assert info.value.body["error"]["type"] == "throttlingException"  # type: ignore[index]


# --- stalls end when the client or the server goes ------------------------------------------


def test_a_stall_for_ever_ends_when_the_client_goes(fresh: mock.MockServer) -> None:
    fresh.faults = "stall=forever@2"
    with httpx.stream("POST", fresh.url + "/model/m/converse-stream", timeout=5) as response:
        reads = response.iter_bytes()
        received = b""
        while len(es.Decoder().feed(received)) < 2:
            received += next(reads)
    started = time.monotonic()
    (record,) = fresh.journal.wait(1, timeout=3)
    assert time.monotonic() - started < 1.0
    assert record["outcome"] == "client-gone" and record["injected"][0]["frame"] == 2


def test_a_stall_for_ever_ends_when_the_server_stops() -> None:
    running = mock.MockServer(faults="stall=forever@1").start()
    failure: list[BaseException] = []

    def read() -> None:
        try:
            httpx.post(running.url + "/model/m/converse-stream", timeout=10).read()
        except Exception as exc:
            failure.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2.0
    reader.join(5)
    assert failure and isinstance(failure[0], httpx.HTTPError)
    (record,) = running.journal.records()
    assert record["outcome"] == "server-stopped"


# --- eventstream serve, as a process --------------------------------------------------------


def test_eventstream_serve_as_a_process(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "eventstream", "serve", "--text", "Hi from the CLI",
         "--fault", "exception=throttlingException@2", "--journal", str(journal), "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = _client(url)
        try:
            stream = client.converse_stream(modelId="m", messages=[])["stream"]
            received: list[Any] = []
            with pytest.raises(botocore_exceptions.EventStreamError) as info:
                received.extend(stream)
            stream.close()
        finally:
            client.close()
        assert info.value.response["Error"]["Code"] == "throttlingException"
        assert received[1] == {
            "contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi from "}}
        }
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"serving Bedrock Runtime on {url}: the script" in err
    (record,) = mock.read_journal(journal)
    assert record["injected"][0]["kind"] == "exception" and record["fault_source"] == "server"


# --- the non-streaming answers have botocore's shapes ---------------------------------------


def _check_shape(value: Any, shape: Any, where: str) -> None:
    """``value`` (parsed JSON) fits ``shape`` of botocore's model: required members present,
    no member the shape lacks, scalars of the right JSON type."""
    kind = shape.type_name
    if shape.metadata.get("document"):
        json.dumps(value)  # any JSON value
    elif kind == "structure":
        assert isinstance(value, dict), where
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{where}: required {missing}"
        union = shape.metadata.get("union", False)
        assert not union or len(value) == 1, f"{where}: a union holds one member"
        for key, item in value.items():
            assert key in shape.members, f"{where}: {key} is not a member"
            _check_shape(item, shape.members[key], f"{where}.{key}")
    elif kind == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _check_shape(item, shape.member, f"{where}[{index}]")
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "string":
        assert isinstance(value, str), where
        enum = shape.enum
        assert not enum or value in enum, f"{where}: {value!r} not in {enum}"


def test_the_converse_answer_has_botocores_converse_response_shape() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("bedrock-runtime")
    output = model.operation_model("Converse").output_shape
    script = mock.Script(text="Hi", tool_calls=(mock.ToolCall("t", {"a": [1, 2]}),))
    with mock.serve(script=script) as running:
        body = httpx.post(running.url + "/model/m/converse", content=b"{}").json()
    # botocore binds no member of the response to a header or the status.
    assert set(body) == {"output", "stopReason", "usage", "metrics"}
    _check_shape(body, output, "ConverseResponse")
    assert body["output"]["message"]["content"][1]["toolUse"]["input"] == {"a": [1, 2]}


def test_garbage_never_stops_the_server(fresh: mock.MockServer) -> None:
    rng = random.Random(11)
    host, port = fresh.url.removeprefix("http://").split(":")
    for _ in range(30):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(garbage + b"\r\n\r\n")
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 4") or answer.startswith(b"HTTP/1.1 5"), answer[:40]
    client = _client(fresh.url)
    try:
        assert _boto3_without_header(client) == "8 events, then the end"
    finally:
        client.close()
