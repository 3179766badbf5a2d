"""boto3 reads what the serving functions send, over real HTTP (wsgiref and the WSGI shell):
every modelled error before the stream raises its own ``client.exceptions`` class and is
retried exactly when botocore's standard policy says so; the success headers land where
boto3 reports them; a fault mid-stream ends in an exception frame boto3 raises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream.gateway import wsgi
from tests.gateway_support import boto3_client, no_backoff, serve_wsgi

botocore_exceptions = pytest.importorskip("botocore.exceptions")

#: The codes botocore's standard retry mode retries (throttling codes, the model's
#: ``retryable`` trait, and 500/502/503/504); the others fail at the first attempt.
RETRIED = {
    "ThrottlingException",
    "ModelNotReadyException",
    "InternalServerException",
    "ServiceUnavailableException",
}

EVENTS: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hi")),
]


def _error(code: str) -> br.BedrockException:
    if code == "ModelErrorException":
        return br.ModelErrorException("m", original_status_code=500, resource_name="arn:r")
    if code == "ModelStreamErrorException":
        return br.ModelStreamErrorException(
            "m", original_status_code=529, original_message="Overloaded"
        )
    return br.HTTP_ERRORS[code](f"{code} says no")


class App:
    """``/model/error-<Code>/...``: that error before any event; ``ok``: two events;
    ``cut``: two events, then a truncated upstream."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        _, _, model, _ = environ["PATH_INFO"].split("/")
        self.calls[model] = self.calls.get(model, 0) + 1
        stream = br.stream_from_path(environ["PATH_INFO"])
        assert stream is not None
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))

        def events() -> Iterator[br.TypedEvent]:
            if model.startswith("error-"):
                raise _error(model.removeprefix("error-"))
            yield from (EVENTS if stream == "converse" else [br.Chunk(bytes=b'{"a":1}')])
            if model == "cut":
                raise es.TruncatedError("ended inside a frame", expected=40, received=9, offset=77)

        return wsgi.stream_response(
            start_response, events(), stream, request_id=f"req-{model}",
            model_content_type="application/json; charset=utf-8",
        )  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[App, Any]]:
    app = App()
    with serve_wsgi(app) as url:
        client = boto3_client(url, attempts=3)
        yield app, client
        client.close()


def _call(client: Any, operation: str, model: str) -> Any:
    if operation == "invoke":
        return client.invoke_model_with_response_stream(modelId=model, body=b"{}")
    return client.converse_stream(modelId=model, messages=[])


@pytest.mark.parametrize("operation", ["invoke", "converse"])
@pytest.mark.parametrize("code", list(br.HTTP_ERRORS))
def test_boto3_raises_each_modelled_error_and_retries_as_botocore_says(
    server: tuple[App, Any], code: str, operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_backoff(monkeypatch)
    app, client = server
    model = f"error-{code}"
    app.calls.pop(model, None)
    error = _error(code)
    with pytest.raises(getattr(client.exceptions, code)) as info:
        _call(client, operation, model)
    response = info.value.response
    assert response["Error"] == {"Code": code, "Message": error.message}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == error.status_code
    assert response["ResponseMetadata"]["RequestId"] == f"req-{model}"
    # The modelled fields reach boto3 too (botocore parses the body into the error's shape).
    for _, key, _ in error._fields:
        assert response[key] == br.exception_body(error)[key]
    assert app.calls[model] == (3 if code in RETRIED else 1), "attempts"


def test_boto3_reads_the_success_headers(server: tuple[App, Any]) -> None:
    _, client = server
    invoke = client.invoke_model_with_response_stream(modelId="ok", body=b"{}")
    assert invoke["contentType"] == "application/json; charset=utf-8"
    assert invoke["ResponseMetadata"]["RequestId"] == "req-ok"
    assert invoke["ResponseMetadata"]["HTTPHeaders"]["content-type"] == br.EVENTSTREAM_CONTENT_TYPE
    assert list(invoke["body"]) == [{"chunk": {"bytes": b'{"a":1}'}}]
    invoke["body"].close()
    converse = client.converse_stream(modelId="ok", messages=[])
    assert converse["ResponseMetadata"]["RequestId"] == "req-ok"
    assert [next(iter(e)) for e in converse["stream"]] == ["messageStart", "contentBlockDelta"]
    converse["stream"].close()


@pytest.mark.parametrize("operation", ["invoke", "converse"])
def test_boto3_raises_the_exception_frame_that_ends_a_broken_stream(
    server: tuple[App, Any], operation: str
) -> None:
    _, client = server
    response = _call(client, operation, "cut")
    stream = response["body" if operation == "invoke" else "stream"]
    received: list[Any] = []
    try:
        with pytest.raises(botocore_exceptions.EventStreamError) as info:
            received.extend(stream)
    finally:
        stream.close()
    assert len(received) == (1 if operation == "invoke" else 2)  # intact, before the error
    assert info.value.response["Error"] == {
        "Code": "internalServerException",
        "Message": "the upstream stream failed: TruncatedError: byte 77: ended inside a frame",
    }


def test_the_error_body_is_what_boto3_parses() -> None:
    # The form boto3 reads above, byte for byte: compact JSON, UTF-8 text.
    reply = br.error_response(br.ThrottlingException("Trop de requêtes"), request_id="r")
    assert reply.body == '{"message":"Trop de requêtes"}'.encode()
    assert json.loads(reply.body) == {"message": "Trop de requêtes"}
