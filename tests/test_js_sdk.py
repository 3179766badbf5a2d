"""A client in another language reads what the serving functions send: the AWS SDK for
JavaScript v3 (``@aws-sdk/client-bedrock-runtime``) over real HTTP (wsgiref and the WSGI
shell), run by node (tests/js/bedrock_client.mjs).

It decodes every frame with its own event-stream codec (preludes, CRCs, headers) and its own
deserializers from the service model: the events it gives equal what we sent, exception
frames mid-stream raise the SDK's class of that name (with ``originalStatusCode``), and each
modelled error before the stream raises its class with its HTTP status.

Skipped, with the reason, where node or the SDK is absent. ``.ci/run`` installs the SDK into
``.ci-node``; elsewhere: ``npm install --prefix .ci-node @aws-sdk/client-bedrock-runtime
@smithy/node-http-handler``, or point ``EVENTSTREAM_JS_SDK`` at a ``node_modules`` folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock._wire import to_wire
from eventstream.gateway import wsgi
from tests.gateway_support import serve_wsgi

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "tests" / "js" / "bedrock_client.mjs"
SDK = Path(os.environ.get("EVENTSTREAM_JS_SDK", ROOT / ".ci-node" / "node_modules"))
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (SDK / "@aws-sdk" / "client-bedrock-runtime").is_dir()
        or not (SDK / "@smithy" / "node-http-handler").is_dir(),
        reason=f"the AWS SDK for JavaScript is not installed in {SDK} (see this module's "
        "docstring)",
    ),
]

CONVERSE: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hello, ")),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="wörld 😀 \u2028\n")),
    br.ContentBlockStop(content_block_index=0),
    br.ContentBlockStart(
        content_block_index=1, start=br.ToolUseStart(tool_use_id="tool-1", name="get_weather")
    ),
    br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='{"city":')),
    br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='"Paris"}')),
    br.ContentBlockStop(content_block_index=1),
    br.MessageStop(stop_reason="tool_use"),
    br.Metadata(
        usage=br.Usage(input_tokens=12, output_tokens=34, total_tokens=46),
        metrics=br.Metrics(latency_ms=321),
    ),
]
CHUNKS = [
    b'{"type":"message_start","message":{"role":"assistant"}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \xc3\xa9"}}',
    b'{"type":"message_stop"}',
]


def _error(code: str) -> br.BedrockException:
    if code == "ModelErrorException":
        return br.ModelErrorException("m", original_status_code=500, resource_name="arn:r")
    if code == "ModelStreamErrorException":
        return br.ModelStreamErrorException(
            "the model failed", original_status_code=529, original_message="Overloaded"
        )
    return br.HTTP_ERRORS[code](f"{code} says no")


def app(environ: dict[str, Any], start_response: Any) -> Any:
    """``/model/<scenario>/<operation>``: ``ok``; ``error-<Code>`` before any event;
    ``mid-<Code>``: two events, then that exception frame; ``cut``: two events, then a
    fault of the upstream (the serving functions end it with an exception frame)."""
    _, _, model, _ = environ["PATH_INFO"].split("/")
    stream = br.stream_from_path(environ["PATH_INFO"])
    assert stream is not None
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer = CONVERSE if stream == "converse" else [br.Chunk(bytes=c) for c in CHUNKS]

    def events() -> Iterator[br.TypedEvent]:
        if model.startswith("error-"):
            raise _error(model.removeprefix("error-"))
        if model == "ok":
            yield from answer
            return
        yield from answer[:2]
        if model.startswith("mid-"):
            yield _error(model.removeprefix("mid-"))
        else:
            raise es.TruncatedError("ended inside a frame", expected=40, received=9, offset=77)

    return wsgi.stream_response(
        start_response, events(), stream, request_id=f"req-{model}",
        model_content_type="application/json",
    )  # fmt: skip


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_wsgi(app) as served:
        yield served


def run_client(url: str, operation: str, model: str) -> list[dict[str, Any]]:
    assert NODE is not None
    config = json.dumps({"endpoint": url, "operation": operation, "modelId": model})
    done = subprocess.run(
        [NODE, str(CLIENT), config], capture_output=True, text=True, timeout=60,
        env={**os.environ, "EVENTSTREAM_JS_SDK": str(SDK)}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # split("\n"), not splitlines(): the text holds U+2028, which JSON.stringify leaves raw.
    return [json.loads(line) for line in done.stdout.split("\n") if line]


def _wire(event: br.TypedEvent) -> dict[str, Any]:
    """The event as the SDK gives it: the union member's name, its wire fields."""
    body = to_wire(event)
    body.pop("p", None)
    return {event.event_type: body}  # type: ignore[union-attr]


def test_converse_stream_events_reach_the_js_sdk_as_sent(url: str) -> None:
    lines = run_client(url, "converse", "ok")
    assert lines[0]["metadata"]["requestId"] == "req-ok"
    assert [line["event"] for line in lines[1:-1]] == [_wire(e) for e in CONVERSE]
    assert lines[-1] == {"done": True}


def test_invoke_chunks_reach_the_js_sdk_byte_for_byte(url: str) -> None:
    lines = run_client(url, "invoke", "ok")
    assert lines[0]["metadata"] == {"requestId": "req-ok", "contentType": "application/json"}
    got = [line["event"]["chunk"]["text"].encode() for line in lines[1:-1]]
    assert got == CHUNKS
    assert lines[-1] == {"done": True}


@pytest.mark.parametrize("operation", ["converse", "invoke"])
@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "ValidationException", "ModelStreamErrorException",
     "InternalServerException", "ServiceUnavailableException", "ModelTimeoutException"],
)  # fmt: skip
def test_an_exception_frame_mid_stream_raises_its_sdk_class_after_the_events(
    url: str, operation: str, code: str
) -> None:
    lines = run_client(url, operation, f"mid-{code}")
    events = [line["event"] for line in lines if "event" in line]
    assert len(events) == 2
    error = lines[-1]["error"]
    # An exception outside the operation's union is sent as an internalServerException
    # (the SDK would not know it): its text says which it was.
    union = br.STREAMS[operation]
    expected = (
        code if union.exception_class(code[0].lower() + code[1:]) else "InternalServerException"
    )
    assert error["name"] == expected, error
    assert code in error["message"] or error["message"] == "the model failed"
    if code == "ModelStreamErrorException":
        assert error["originalStatusCode"] == 529


@pytest.mark.parametrize("code", sorted(br.HTTP_ERRORS))
def test_a_modelled_error_before_the_stream_raises_its_sdk_class_with_its_status(
    url: str, code: str
) -> None:
    lines = run_client(url, "converse", f"error-{code}")
    error = lines[-1]["error"]
    assert error["name"] == code, error
    assert error["httpStatusCode"] == br.error_response(_error(code)).status
    assert error["fault"] == ("client" if error["httpStatusCode"] < 500 else "server")


def test_an_upstream_fault_mid_stream_is_an_error_the_sdk_raises_not_a_clean_end(url: str) -> None:
    lines = run_client(url, "converse", "cut")
    assert [line["event"] for line in lines if "event" in line] == [_wire(e) for e in CONVERSE[:2]]
    assert "done" not in lines[-1]
    assert lines[-1]["error"]["name"] == "InternalServerException"
