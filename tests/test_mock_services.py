"""The mock server's other services: the streaming operations of bedrock-agent-runtime,
sagemaker-runtime and lambda, served at the paths of botocore's models and read by the real
boto3 clients of those services (scripted answers, exception frames, HTTP errors, cuts and
the other faults, recordings), and the planner's bytes read by botocore's own event-stream
parser. The route table is checked against botocore's service models."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import awslambda, sagemaker
from eventstream.bedrock import agent
from eventstream.mock import _services
from tests.markdown import table_after

boto3 = pytest.importorskip("boto3")
botocore_session = pytest.importorskip("botocore.session")
botocore_config = pytest.importorskip("botocore.config")
botocore_exceptions = pytest.importorskip("botocore.exceptions")
botocore_eventstream = pytest.importorskip("botocore.eventstream")
botocore_parsers = pytest.importorskip("botocore.parsers")
urllib3_exceptions = pytest.importorskip("urllib3.exceptions")

from eventstream import mock  # noqa: E402

TEXT = "Paris is the capital of France."
SIZE = 6
PIECES = [TEXT[i : i + SIZE] for i in range(0, len(TEXT), SIZE)]
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}
SERVICES = ("bedrock-agent-runtime", "sagemaker-runtime", "lambda")
SESSION = botocore_session.get_session()
MODELS = {name: SESSION.get_service_model(name) for name in (*SERVICES, "bedrock-runtime")}


def _client(url: str, service: str, *, attempts: int = 1) -> Any:
    config = botocore_config.Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        read_timeout=1.0,
        connect_timeout=2.0,
    )
    return boto3.client(service, endpoint_url=url, config=config, **CREDENTIALS)


@pytest.fixture(scope="module")
def server() -> Iterator[mock.MockServer]:
    with mock.serve(script=mock.Script(text=TEXT, delta_size=SIZE), seed=3) as running:
        yield running


@pytest.fixture(scope="module")
def clients(server: mock.MockServer) -> Iterator[dict[str, Any]]:
    made = {name: _client(server.url, name) for name in SERVICES}
    yield made
    for client in made.values():
        client.close()


# --- the calls, each with the events its stream gives -----------------------------------------


def _agent(clients: dict[str, Any]) -> Any:
    return clients["bedrock-agent-runtime"].invoke_agent(
        agentId="AGENT1", agentAliasId="ALIAS1", sessionId="session-7", inputText="Capital?"
    )["completion"]


def _inline_agent(clients: dict[str, Any]) -> Any:
    return clients["bedrock-agent-runtime"].invoke_inline_agent(
        foundationModel="m",
        instruction="Answer briefly, in one sentence, and always in English.",
        sessionId="session-1",
        inputText="?",
    )["completion"]


def _flow(clients: dict[str, Any]) -> Any:
    inputs = [{"content": {"document": "Capital?"}, "nodeName": "In", "nodeOutputName": "o"}]
    return clients["bedrock-agent-runtime"].invoke_flow(
        flowIdentifier="FLOW1", flowAliasIdentifier="FA1", inputs=inputs
    )["responseStream"]


def _rag(clients: dict[str, Any]) -> Any:
    return clients["bedrock-agent-runtime"].retrieve_and_generate_stream(
        input={"text": "Capital?"}
    )["stream"]


def _optimize(clients: dict[str, Any]) -> Any:
    return clients["bedrock-agent-runtime"].optimize_prompt(
        input={"textPrompt": {"text": "x"}}, targetModelId="m"
    )["optimizedPrompt"]


def _sagemaker(clients: dict[str, Any]) -> Any:
    return clients["sagemaker-runtime"].invoke_endpoint_with_response_stream(
        EndpointName="my-endpoint", Body=b'{"inputs": "Capital?"}'
    )["Body"]


def _lambda(clients: dict[str, Any]) -> Any:
    return clients["lambda"].invoke_with_response_stream(FunctionName="my-function")["EventStream"]


CITATION = {
    "generatedResponsePart": {
        "textResponsePart": {"span": {"end": len(TEXT) - 1, "start": 0}, "text": TEXT}
    },
    "retrievedReferences": [
        {
            "content": {"text": TEXT, "type": "TEXT"},
            "location": {"s3Location": {"uri": "s3://mock-bucket/doc.txt"}, "type": "S3"},
        }
    ],
}
FLOW_EVENTS = [
    {"flowOutputEvent": {"content": {"document": TEXT}, "nodeName": "FlowOutputNode",
                         "nodeType": "Output"}},
    {"flowCompletionEvent": {"completionReason": "SUCCESS"}},
]  # fmt: skip

#: Each stream served: its call, its service, and the events boto3 gives for the script.
CALLS: dict[str, tuple[Callable[[dict[str, Any]], Any], str, list[Any]]] = {
    "agent": (_agent, "bedrock-agent-runtime",
              [{"chunk": {"bytes": p.encode()}} for p in PIECES]),
    "inline-agent": (_inline_agent, "bedrock-agent-runtime",
                     [{"chunk": {"bytes": p.encode()}} for p in PIECES]),
    "flow": (_flow, "bedrock-agent-runtime", FLOW_EVENTS),
    "retrieve-and-generate": (_rag, "bedrock-agent-runtime",
                              [*({"output": {"text": p}} for p in PIECES),
                               {"citation": {"citation": CITATION}}]),
    "optimize-prompt": (_optimize, "bedrock-agent-runtime",
                        [{"analyzePromptEvent": {"message": "The prompt was analyzed."}},
                         {"optimizedPromptEvent": {"optimizedPrompt": {"textPrompt":
                                                                       {"text": TEXT}}}}]),
    "sagemaker": (_sagemaker, "sagemaker-runtime",
                  [{"PayloadPart": {"Bytes": p.encode()}} for p in PIECES]),
    "lambda": (_lambda, "lambda",
               [*({"PayloadChunk": {"Payload": p.encode()}} for p in PIECES),
                {"InvokeComplete": {}}]),
}  # fmt: skip


# --- the route table is botocore's -----------------------------------------------------------


def test_every_streaming_operation_of_the_services_is_served_at_its_model_path() -> None:
    served = {(op.service, op.name): op for op in mock.SERVED}
    for service in SERVICES:
        model = MODELS[service]
        streaming = [
            name
            for name in model.operation_names
            if (output := model.operation_model(name).output_shape) is not None
            and any(m.serialization.get("eventstream") for m in output.members.values())
        ]
        assert streaming, service
        for name in streaming:
            operation = served.pop((service, name))
            http_spec = model.operation_model(name).http
            assert (operation.method, operation.path) == (
                http_spec["method"],
                http_spec["requestUri"],
            )
    bedrock = MODELS["bedrock-runtime"]
    for (service, name), operation in served.items():
        assert service == "bedrock-runtime"
        assert operation.path == bedrock.operation_model(name).http["requestUri"]


@pytest.mark.parametrize("operation", [op for op in mock.SERVED if op.service in SERVICES],
                         ids=lambda op: op.name)  # fmt: skip
def test_each_operation_has_the_modelled_errors_with_their_status(operation: Any) -> None:
    model = MODELS[operation.service].operation_model(operation.name)
    expected = {}
    for shape in model.error_shapes:
        status = shape.metadata.get("error", {}).get("httpStatusCode")
        expected[shape.error_code or shape.name] = status
        key = "Message" if "Message" in shape.members else "message"
        assert (shape.name in operation.capital_message) == (key == "Message"), shape.name
    assert set(operation.errors) == set(expected)
    for code, status in expected.items():
        if status is not None:  # SageMaker's stream errors have none in the model
            assert operation.errors[code] == status, code
    assert operation.refusal in operation.errors and operation.errors[operation.refusal] == 400


def test_the_pages_table_of_the_other_services_is_the_code() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
    rows = table_after(page.read_text(), "<!-- other services: tests/test_mock_services.py")
    assert [row[0].strip("`") for row in rows] == list(_services.SERVICE_STREAMS)
    for stream, operation, path, _ in rows:
        served = _services.OPERATION_OF[stream.strip("`")]
        assert (operation, path.strip("`"), served.method) == (served.name, served.path, "POST")


def _one(server: mock.MockServer, stream: str, faults: str) -> list[dict[str, Any]]:
    """The journal's records of ``stream`` with ``faults`` (after the one expected is in: a
    stall of an earlier test may be journaled late, when the server sees its client gone)."""

    def chosen(record: dict[str, Any]) -> bool:
        spec = record["faults"] if record["outcome"] != "refused" else record["error"]
        return record["stream"] == stream and (spec == faults or bool(faults and faults in spec))

    return server.journal.wait(1, where=chosen)


# --- scripted answers, read by the real clients ----------------------------------------------


@pytest.mark.parametrize("stream", list(CALLS))
def test_the_scripted_answer_of_each_stream(
    stream: str, server: mock.MockServer, clients: dict[str, Any]
) -> None:
    call, service, expected = CALLS[stream]
    server.journal.clear()
    assert list(call(clients)) == expected
    (record,) = _one(server, stream, "")
    operation = _services.OPERATION_OF[stream]
    assert (record["service"], record["operation"], record["stream"]) == (
        service,
        operation.name,
        stream,
    )
    assert record["outcome"] == "complete" and record["source"] == f"script ({stream})"


def test_the_answers_carry_the_output_headers_of_the_models(clients: dict[str, Any]) -> None:
    agent_client = clients["bedrock-agent-runtime"]
    reply = agent_client.invoke_agent(
        agentId="A", agentAliasId="B", sessionId="session-42", inputText="?"
    )
    assert (reply["sessionId"], reply["contentType"]) == ("session-42", "application/json")
    reply["completion"].close()
    reply = clients["sagemaker-runtime"].invoke_endpoint_with_response_stream(
        EndpointName="e", Body=b"{}"
    )
    assert reply["InvokedProductionVariant"] == "AllTraffic"
    reply["Body"].close()
    reply = clients["lambda"].invoke_with_response_stream(FunctionName="f")
    assert (reply["StatusCode"], reply["ExecutedVersion"]) == (200, "$LATEST")
    reply["EventStream"].close()


# --- exception frames, HTTP errors, cuts: what the clients do ---------------------------------


def _read(stream: Any) -> tuple[list[Any], BaseException | None]:
    received: list[Any] = []
    try:
        for event in stream:
            received.append(event)
    except Exception as exc:
        return received, exc
    finally:
        stream.close()
    return received, None


@pytest.mark.parametrize(
    ("stream", "spec", "code"),
    [
        ("agent", "exception=throttlingException@2", "throttlingException"),
        ("flow", "exception=InternalServerException@1,reason=flaky", "internalServerException"),
        ("retrieve-and-generate", "exception=badGatewayException@3,resource-name=kb",
         "badGatewayException"),
        ("sagemaker", "exception=ModelStreamError@2,error-code=ModelError", "ModelStreamError"),
        ("sagemaker", "exception=InternalStreamFailure@0", "InternalStreamFailure"),
    ],
)  # fmt: skip
def test_an_exception_frame_mid_stream(
    stream: str, spec: str, code: str, server: mock.MockServer, clients: dict[str, Any]
) -> None:
    call, service, expected = CALLS[stream]
    at = mock.parse_faults(spec)[0].at
    with mock.fault_header(clients[service], spec):
        received, error = _read(call(clients))
    # botocore raises its EventStreamError (a ClientError) for any exception frame, with
    # the frame's :exception-type as the code: never the modelled class (docs/testing.md).
    assert isinstance(error, botocore_exceptions.EventStreamError), error
    assert error.response["Error"]["Code"] == code
    assert error.response["Error"]["Message"].endswith("injected by eventstream.mock")
    assert received == expected[:at]
    # botocore keeps only the code and message of an exception frame; the layer reads the
    # modelled fields the options set from the same bytes.
    body = _raw_post(server, _path(stream), spec)
    layer = _LAYERS.get(stream, agent)
    with pytest.raises(es.bedrock.BedrockException) as info:
        list(layer.events(body, stream))
    assert info.value.exception_type == code and len(info.value.args) >= 1
    for option, name in (("reason", "reason"), ("resource-name", "resource_name"),
                         ("error-code", "error_code")):  # fmt: skip
        fault = mock.parse_faults(spec)[0]
        if option in fault.options:
            assert getattr(info.value, name) == fault.options[option]


_LAYERS: dict[str, Any] = {"sagemaker": sagemaker, "lambda": awslambda}


def _path(stream: str) -> str:
    return _services.OPERATION_OF[stream].path.replace("{", "").replace("}", "")


@pytest.mark.parametrize(
    ("stream", "spec", "exception", "extra"),
    [
        ("agent", "http=429", "ThrottlingException", {}),
        ("flow", "http=424,type=DependencyFailedException", "DependencyFailedException", {}),
        ("sagemaker", "http=424", "ModelError", {}),
        ("sagemaker", "http=400,message=bad input", "ValidationError", {}),
        ("lambda", "http=404", "ResourceNotFoundException", {"Type": "User"}),
        ("lambda", "http=429", "TooManyRequestsException", {"Type": "User"}),
        ("lambda", "http=500", "ServiceException", {"Type": "Service"}),
    ],
)
def test_an_http_error_before_the_stream(  # noqa: PLR0917 - the parameters and two fixtures
    stream: str,
    spec: str,
    exception: str,
    extra: dict[str, str],
    server: mock.MockServer,
    clients: dict[str, Any],
) -> None:
    call, service, _ = CALLS[stream]
    client = clients[service]
    status = int(mock.parse_faults(spec)[0].value)
    with (
        mock.fault_header(client, spec),
        pytest.raises(getattr(client.exceptions, exception)) as info,
    ):
        call(clients)
    response = info.value.response
    assert response["Error"]["Code"] == exception
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    message = "bad input" if "message=" in spec else f"{exception} injected by eventstream.mock"
    assert response["Error"]["Message"] == message
    assert {key: response[key] for key in extra} == extra


@pytest.mark.parametrize("stream", ["agent", "sagemaker", "lambda"])
def test_a_cut_inside_a_frame(
    stream: str, server: mock.MockServer, clients: dict[str, Any]
) -> None:
    call, service, expected = CALLS[stream]
    server.journal.clear()
    with mock.fault_header(clients[service], "cut@2:10"):
        received, error = _read(call(clients))
    # botocore ends the iteration as if the stream were whole (as on Bedrock Runtime).
    assert (received, error) == (expected[:2], None)
    (record,) = _one(server, stream, "cut@2:10")
    assert record["injected"][0]["applied"] and record["frames"] == 2
    # The service layer, over the same bytes, says the stream was cut.
    body = _raw_post(server, _path(stream), "cut@2:10")
    layer = _LAYERS.get(stream, agent)
    typed: list[Any] = []
    with pytest.raises(es.TruncatedError):
        typed.extend(layer.events(body, stream))
    assert len(typed) == 2


def _raw_post(server: mock.MockServer, path: str, spec: str) -> bytes:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request("POST", path, body=b"{}", headers={mock.FAULT_HEADER: spec})
        response = connection.getresponse()
        assert response.status == 200
        return response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("spec", "outcome"),
    [
        ("fragment=bytes", "whole"),
        ("fragment=random,seed=7;stall=0.05@1", "whole"),
        ("corrupt=message-crc@1", botocore_eventstream.ChecksumMismatch),
        ("body=html", botocore_eventstream.ChecksumMismatch),
        ("disconnect@1", urllib3_exceptions.ProtocolError),
        ("unknown-event@1", "whole"),
        ("error-frame@1,code=InternalFailure", botocore_exceptions.EventStreamError),
        ("violation=missing-stop", "whole"),  # no message stop in these streams: not applied
    ],
)
def test_the_other_faults_on_sagemaker_and_the_agent(
    spec: str, outcome: Any, server: mock.MockServer, clients: dict[str, Any]
) -> None:
    for stream in ("sagemaker", "agent"):
        call, service, expected = CALLS[stream]
        with mock.fault_header(clients[service], spec):
            received, error = _read(call(clients))
        if outcome == "whole":
            assert (received, error) == (expected, None), stream
        else:
            assert isinstance(error, outcome), (stream, error)
            assert received == expected[: len(received)] and len(received) <= 1


def test_a_stall_for_ever_on_lambda_is_a_read_timeout(
    server: mock.MockServer, clients: dict[str, Any]
) -> None:
    call, _, expected = CALLS["lambda"]
    with mock.fault_header(clients["lambda"], "stall=forever@2"):
        received, error = _read(call(clients))
    # urllib3's own ReadTimeoutError, as on Bedrock Runtime (docs/testing.md's table).
    assert isinstance(error, urllib3_exceptions.ReadTimeoutError) and received == expected[:2]


def test_aiobotocore_reads_the_services_streams_and_their_faults(
    server: mock.MockServer,
) -> None:
    session = pytest.importorskip("aiobotocore.session").get_session()
    config = botocore_config.Config(retries={"mode": "standard", "total_max_attempts": 1})

    async def collect(stream: Any) -> tuple[list[Any], BaseException | None]:
        received: list[Any] = []
        try:
            async for event in stream:
                received.append(event)
        except Exception as exc:
            return received, exc
        finally:
            stream.close()
        return received, None

    async def read() -> tuple[list[Any], Any, list[Any]]:
        async with session.create_client(
            "sagemaker-runtime", endpoint_url=server.url, config=config, **CREDENTIALS
        ) as client:
            with mock.fault_header(client, "exception=ModelStreamError@2"):
                reply = await client.invoke_endpoint_with_response_stream(
                    EndpointName="e", Body=b"{}"
                )
                received, error = await collect(reply["Body"])
        async with session.create_client(
            "lambda", endpoint_url=server.url, config=config, **CREDENTIALS
        ) as functions:
            reply = await functions.invoke_with_response_stream(FunctionName="f")
            whole, _ = await collect(reply["EventStream"])
        return received, error, whole

    received, error, whole = asyncio.run(read())
    assert isinstance(error, botocore_exceptions.EventStreamError)
    assert received == CALLS["sagemaker"][2][:2]
    assert error.response["Error"]["Code"] == "ModelStreamError"
    assert whole == CALLS["lambda"][2]


def test_other_methods_and_paths_are_refused_by_name(server: mock.MockServer) -> None:
    for method, path, status, says in [
        ("GET", "/optimize-prompt", 405, "GET /optimize-prompt: only POST is served"),
        ("POST", "/agents", 404, "/2021-11-15/functions/{FunctionName}/response-streaming"),
        ("PUT", "/endpoints/e/invocations-response-stream", 405, "only POST"),
    ]:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
        try:
            connection.request(method, path, body=b"{}")
            response = connection.getresponse()
            assert (response.status, says in response.read().decode()) == (status, True), path
        finally:
            connection.close()


# --- the grammar takes each service's names, and refuses the others ---------------------------


def test_exception_names_of_every_service_parse() -> None:
    for spec in ("exception=ModelStreamError@1,error-code=E", "exception=conflictException",
                 "exception=BadGatewayException,resource-name=r",
                 "http=429,type=TooManyRequestsException", "http=424,type=ModelError"):  # fmt: skip
        assert str(mock.parse_faults(spec)[0]) == spec
    with pytest.raises(
        mock.FaultSpecError, match=r"unknown exception type 'nope'.*ModelStreamError"
    ):
        mock.parse_faults("exception=nope")
    with pytest.raises(mock.FaultSpecError, match="'error-code' belongs to ModelStreamError"):
        mock.parse_faults("exception=throttlingException,error-code=E")


@pytest.mark.parametrize(
    ("stream", "spec", "says"),
    [
        ("sagemaker", "exception=throttlingException@1",
         "'throttlingException' is not an exception of the sagemaker stream; choose one of "
         "InternalStreamFailure, ModelStreamError"),
        ("lambda", "exception=ModelStreamError", "not an exception of the lambda stream; it has "
         "none: use error-frame"),
        ("converse", "exception=ModelStreamError", "not an exception of the converse stream"),
        ("converse", "exception=internalServerException,reason=busy",
         "internalServerException has no 'reason'"),
        ("lambda", "http=429,type=ThrottlingException",
         "'type=ThrottlingException' is not an error of InvokeWithResponseStream"),
        ("converse", "http=429,type=TooManyRequestsException", "not an error of ConverseStream"),
    ],
)  # fmt: skip
def test_a_fault_outside_the_streams_union_is_refused(stream: str, spec: str, says: str) -> None:
    frames = mock.Script(text="x").messages(stream, mock.Timing(), random.Random(1))
    with pytest.raises(mock.FaultSpecError) as info:
        mock.plan_stream(frames, [0.0] * len(frames), stream, mock.parse_faults(spec))
    assert says in info.value.message


def test_the_server_refuses_such_a_fault_in_the_services_own_validation_error(
    server: mock.MockServer, clients: dict[str, Any]
) -> None:
    client = clients["lambda"]
    server.journal.clear()
    with (
        mock.fault_header(client, "exception=throttlingException@1"),
        pytest.raises(client.exceptions.InvalidRequestContentException) as info,
    ):
        _lambda(clients)
    assert "not an exception of the lambda stream" in info.value.response["Error"]["Message"]
    (record,) = _one(server, "lambda", "exception=throttlingException@1")
    assert (record["outcome"], record["fault_source"], record["service"]) == (
        "refused", "header", "lambda",
    )  # fmt: skip
    # Server-wide faults that a request's stream cannot carry are refused the same way.
    with mock.serve(faults="exception=ModelStreamError@1") as other:
        bedrock = _client(other.url, "bedrock-runtime")
        with pytest.raises(bedrock.exceptions.ValidationException, match="do not fit"):
            bedrock.converse_stream(modelId="m", messages=[])
        bedrock.close()
        sm = _client(other.url, "sagemaker-runtime")
        received, error = _read(_sagemaker({"sagemaker-runtime": sm}))
        sm.close()
        assert isinstance(error, botocore_exceptions.EventStreamError) and len(received) == 1


#: Specs that name the services' own things, beside the page's table of Bedrock's.
SERVICE_SPECS = [
    "exception=ModelStreamError@1,error-code=E", "exception=InternalStreamFailure",
    "exception=throttlingException@2", "exception=BadGatewayException,resource-name=r",
    "exception=internalServerException,reason=x", "http=429,type=TooManyRequestsException",
    "http=424", "http=402", "http=418", "unknown-event@1,name=somethingNew",
    "violation=duplicate-start", "cut@1:5;fragment=random,seed=1", "corrupt=length@0,by=-3",
]  # fmt: skip


@pytest.mark.parametrize("stream", [*_services.SERVICE_STREAMS, "converse", "invoke"])
def test_every_spec_plans_on_every_stream_or_is_refused_by_name(stream: str) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "testing.md").read_text()
    rows = table_after(page, "<!-- faults: tests/test_testing_docs.py")
    table = [row[0].strip("`") for row in rows if row[0] != "(none)"]
    assert len(table) > 20
    frames = mock.Script(text=TEXT).messages(stream, mock.Timing(), random.Random(1))
    for spec in [*table, *SERVICE_SPECS]:
        faults = mock.parse_faults(spec)
        try:
            plan = mock.plan_stream(frames, [0.0] * len(frames), stream, faults)
        except mock.FaultSpecError as exc:
            # Refused naming the operation it does not fit, and the fault.
            assert _services.OPERATION_OF[stream].name in exc.message, exc.message
            assert any(str(fault) in exc.message for fault in faults), exc.message
            continue
        assert len(plan.injected) == len(faults), spec
        assert 300 <= plan.status <= 599 or plan.status == 200


def test_plan_stream_refuses_a_stream_it_does_not_serve() -> None:
    for stream in ("bidirectional-output", "nope", None, ["agent"]):
        with pytest.raises(es.ConfigurationError, match="not a served stream"):
            mock.plan_stream([], [], stream)  # type: ignore[arg-type]


# --- the planner's bytes, read by botocore's own parser -------------------------------------


def _botocore_reads(body: bytes, operation: Any) -> tuple[list[Any], Any]:
    """What botocore's rest-json event-stream parser makes of ``body``: the events, and the
    first exception or error's parsed response (``None``)."""
    model = MODELS[operation.service].operation_model(operation.name)
    output = model.output_shape
    shape = next(m for m in output.members.values() if m.serialization.get("eventstream"))
    parser = botocore_parsers.EventStreamJSONParser()
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(body)
    events: list[Any] = []
    for message in buffer:
        response = message.to_response_dict()
        parsed = parser.parse(response, shape)
        if response["status_code"] != 200:
            return events, parsed
        events.append(parsed)
    return events, None


@pytest.mark.parametrize("stream", list(_services.SERVICE_STREAMS))
def test_the_plan_of_each_stream_is_what_botocore_reads(stream: str) -> None:
    operation = _services.OPERATION_OF[stream]
    frames = mock.Script(text=TEXT, delta_size=SIZE).messages(
        stream, mock.Timing(), random.Random(1)
    )
    plan = mock.plan_stream(
        frames, [0.0] * len(frames), stream, mock.parse_faults("fragment=bytes")
    )
    assert all(len(op.data) == 1 for op in plan.ops if isinstance(op, mock.Send))
    events, error = _botocore_reads(plan.body, operation)
    assert error is None and len(events) == len(frames)
    if stream in CALLS:
        assert events == CALLS[stream][2]
    # The layer reads back what the script built.
    layer = _LAYERS.get(stream, agent)
    assert [layer.encode_event(e) for e in layer.events(plan.body, stream)] == frames
    union = _services.SERVICE_STREAMS[stream]
    if union.exceptions:
        name = union.exceptions[0].exception_type
        plan = mock.plan_stream(frames, [0.0] * len(frames), stream,
                                mock.parse_faults(f"exception={name}@1,message=stop"))  # fmt: skip
        events, error = _botocore_reads(plan.body, operation)
        assert len(events) == 1 and error["Error"] == {"Code": name, "Message": "stop"}
        assert plan.injected[0]["frame"] == 1


def test_an_http_error_plan_is_what_botocore_parses() -> None:
    plan = mock.plan_stream([], [], "lambda", mock.parse_faults("http=429"))
    parser = botocore_parsers.create_parser("rest-json")
    model = MODELS["lambda"].operation_model("InvokeWithResponseStream")
    # botocore's HTTP layer gives the parser the headers with their names in lower case.
    headers = {name.lower(): value for name, value in plan.headers}
    response = {"status_code": plan.status, "headers": headers, "body": plan.body}
    parsed = parser.parse(response, model.output_shape)
    # The modelled fields, as botocore's endpoint adds them: parsed with the error's shape.
    shape = MODELS["lambda"].shape_for_error_code(parsed["Error"]["Code"])
    parsed.update(parser.parse(response, shape))
    assert parsed["Error"] == {
        "Code": "TooManyRequestsException",
        "Message": "TooManyRequestsException injected by eventstream.mock",
    }
    assert parsed["Type"] == "User"
    assert plan.injected[0]["error_type"] == "TooManyRequestsException"
    # A status no modelled error has goes without x-amzn-ErrorType: botocore's code is the
    # status; Lambda's Type still follows it.
    plan = mock.plan_stream([], [], "lambda", mock.parse_faults("http=418"))
    headers = {name.lower(): value for name, value in plan.headers}
    response = {"status_code": plan.status, "headers": headers, "body": plan.body}
    parsed = parser.parse(response, model.output_shape)
    assert "x-amzn-errortype" not in headers and parsed["Error"]["Code"] == "418"
    assert json.loads(plan.body) == {"Type": "User", "message": "418 injected by eventstream.mock"}


# --- recordings: a capture is served at its own stream's path ---------------------------------


def _agent_capture() -> bytes:
    events = [
        agent.TracePart(agent_id="AGENT1", session_id="s"),
        agent.PayloadPart(bytes=b"Recorded "),
        agent.PayloadPart(bytes=b"answer."),
    ]
    return b"".join(agent.encode_event(event).encode() for event in events)


def test_recordings_are_served_at_their_streams_paths(tmp_path: Path) -> None:
    capture = tmp_path / "agent.bin"
    capture.write_bytes(_agent_capture())
    parts = [sagemaker.PayloadPart(bytes=b'{"token": "Hi"}\n')]
    lines = tmp_path / "sagemaker.b64"
    lines.write_text(base64.b64encode(sagemaker.encode_event(parts[0]).encode()).decode())
    chunk_only = mock.Recording(
        (agent.encode_event(agent.PayloadPart(bytes=b"inline")),), "inline-agent", "by hand"
    )
    with mock.serve([capture, lines, chunk_only], script=mock.Script(text="Script.")) as running:
        assert [r.stream for r in running.responses.recordings] == [
            "agent", "sagemaker", "inline-agent",
        ]  # fmt: skip
        made = {name: _client(running.url, name) for name in (*SERVICES, "bedrock-runtime")}
        try:
            events = list(_agent(made))
            assert [e["chunk"]["bytes"] for e in events if "chunk" in e] == [
                b"Recorded ", b"answer.",
            ]  # fmt: skip
            assert events[0]["trace"]["agentId"] == "AGENT1"
            assert list(_inline_agent(made)) == [{"chunk": {"bytes": b"inline"}}]
            assert list(_sagemaker(made)) == [{"PayloadPart": {"Bytes": b'{"token": "Hi"}\n'}}]
            # A stream with no recording gets the script; Bedrock Runtime's too.
            first, *_ = _lambda(made)
            assert first == {"PayloadChunk": {"Payload": b"Script."}}
            reply = made["bedrock-runtime"].converse(modelId="m", messages=[])
            assert reply["output"]["message"]["content"] == [{"text": "Script."}]
        finally:
            for client in made.values():
                client.close()
        sources = {r["stream"]: r["source"] for r in running.journal.wait(5)}
    assert sources["agent"] == str(capture) and sources["lambda"] == "script (lambda)"


def test_a_har_entrys_url_names_the_stream_of_a_chunk_only_capture(tmp_path: Path) -> None:
    frames = agent.encode_event(agent.PayloadPart(bytes=b"From the HAR.")).encode()
    url = "https://bedrock-agent-runtime.us-east-1.amazonaws.com/agents/A/agentAliases/B/sessions/S/text"
    entry = {
        "request": {"method": "POST", "url": url},
        "response": {"status": 200, "headers": [], "content": {
            "mimeType": "application/vnd.amazon.eventstream", "encoding": "base64",
            "text": base64.b64encode(frames).decode()}},
        "timings": {"send": 1, "wait": 1, "receive": 1},
    }  # fmt: skip
    har = tmp_path / "agent.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    with mock.serve([har], script=mock.Script(text="Script.")) as running:
        assert [r.stream for r in running.responses.recordings] == ["agent"]
        made = {name: _client(running.url, name) for name in ("bedrock-agent-runtime",)}
        bedrock = _client(running.url, "bedrock-runtime")
        try:
            assert list(_agent(made)) == [{"chunk": {"bytes": b"From the HAR."}}]
            # Invoke's chunks are the same bytes, but the recording's stream decides.
            reply = bedrock.invoke_model_with_response_stream(modelId="m", body=b"{}")
            chunks = [json.loads(e["chunk"]["bytes"]) for e in reply["body"]]
            assert chunks[0]["type"] == "message_start" and chunks[-1]["type"] == "message_stop"
        finally:
            made["bedrock-agent-runtime"].close()
            bedrock.close()


def test_stream_of_tells_the_services_apart() -> None:
    def frames(layer: Any, *events: Any) -> list[es.Message]:
        return [layer.encode_event(event) for event in events]

    trace = agent.TracePart(agent_id="A")
    chunk = agent.PayloadPart(bytes=b"x")
    assert mock.stream_of(frames(agent, chunk)) == "invoke"  # the same bytes as Invoke's
    assert mock.stream_of(frames(agent, trace, chunk)) == "agent"
    assert mock.stream_of(frames(sagemaker, sagemaker.PayloadPart(bytes=b"x"))) == "sagemaker"
    complete = awslambda.InvokeWithResponseStreamCompleteEvent()
    assert mock.stream_of(frames(awslambda, complete)) == "lambda"
    flow = agent.FlowCompletionEvent(completion_reason="SUCCESS")
    assert mock.stream_of(frames(agent, flow)) == "flow"


# --- eventstream serve, as a process ---------------------------------------------------------


def test_eventstream_serve_serves_the_services_by_path(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "eventstream", "serve", "--text", "From the CLI", "--delta-size",
         "4", "--fault", "exception=ModelStreamError@2", "--journal", str(journal)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        made = {"sagemaker-runtime": _client(url, "sagemaker-runtime"),
                "lambda": _client(url, "lambda")}  # fmt: skip
        try:
            received, error = _read(_sagemaker(made))
            assert isinstance(error, botocore_exceptions.EventStreamError)
            assert error.response["Error"]["Code"] == "ModelStreamError"
            assert received == [{"PayloadPart": {"Bytes": b"From"}},
                                {"PayloadPart": {"Bytes": b" the"}}]  # fmt: skip
            with pytest.raises(made["lambda"].exceptions.InvalidRequestContentException):
                _lambda(made)
        finally:
            for client in made.values():
                client.close()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "bedrock-agent-runtime" in err and "sagemaker-runtime" in err
    records = mock.read_journal(journal)
    assert [(r["service"], r["outcome"]) for r in records] == [
        ("sagemaker-runtime", "complete"), ("lambda", "refused"),
    ]  # fmt: skip
