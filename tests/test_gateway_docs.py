"""docs/gateway.md: its error table is the code's, and its complete gateway runs.

The gateway is served by uvicorn in front of a scripted upstream (tests/gateway_support.py)
and read by boto3 and aiobotocore; every row of the page's fault table is one upstream
script, and the row says what the client must see: the events before the fault intact, the
exception class or stream error code, and whether the SDK retried (counted at the upstream).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventstream import bedrock as br
from tests.gateway_support import (
    Script,
    Upstream,
    aiobotocore_client,
    boto3_client,
    no_backoff,
    serve_asgi,
)
from tests.markdown import python_blocks, table_after
from tests.test_bedrock_serve_boto3 import RETRIED

botocore_exceptions = pytest.importorskip("botocore.exceptions")

DOC = Path(__file__).resolve().parent.parent / "docs" / "gateway.md"
TEXT = DOC.read_text()
#: What the page writes in an empty cell (an en dash).
NONE = "\N{EN DASH}"
# Long enough for a loaded machine to answer at once, short enough for the stall cases.
IDLE_TIMEOUT = 0.5
#: Attempts the clients may make: a retried fault reaches the upstream this many times.
ATTEMPTS = 2

# --- the error table ------------------------------------------------------------------------


def test_error_table_is_http_errors() -> None:
    in_streams = {c for s in br.STREAMS.values() for c in s.exceptions}
    expected = [
        [
            f"`{code}`",
            f"`{cls.__name__}`",
            str(cls.status_code),
            ", ".join(f"`{key}`" for _, key, _ in cls._fields) or NONE,
            "yes" if cls in in_streams else "no",
            "yes" if code in RETRIED else "no",
        ]
        for code, cls in br.HTTP_ERRORS.items()
    ]
    assert table_after(TEXT, "<!-- generated from eventstream.bedrock.HTTP_ERRORS") == expected


# --- the gateway and its upstream -----------------------------------------------------------

UPSTREAM_EVENTS: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="hello")),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=" world")),
    br.ContentBlockStop(content_block_index=0),
]
#: What boto3 yields for each upstream event once the gateway has upper-cased the text.
CLIENT_EVENTS: list[dict[str, Any]] = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "HELLO"}}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": " WORLD"}}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
]


def _frames(*events: br.TypedEvent) -> bytes:
    return b"".join(br.encode_event(e).encode() for e in events)


def _corrupt(frame: bytes) -> bytes:
    bad = bytearray(frame)
    bad[-6] ^= 0x01  # a payload byte: the message CRC no longer matches
    return bytes(bad)


TWO = _frames(*UPSTREAM_EVENTS[:2])
THIRD = _frames(UPSTREAM_EVENTS[2])
JSON_ERROR = (("Content-Type", "application/json"),)
SCRIPTS = {
    "clean": Script(_frames(*UPSTREAM_EVENTS)),
    "truncated": Script(TWO + THIRD[: len(THIRD) // 2]),
    "corrupt": Script(TWO + _corrupt(THIRD)),
    "dropped": Script(TWO + THIRD[: len(THIRD) // 2], then="drop"),
    "stalled": Script(TWO, then="stall"),
    "throttled": Script(TWO + _frames(br.ThrottlingException("Too many requests"))),
    "model-stream-error": Script(
        TWO
        + _frames(
            br.ModelStreamErrorException(
                "Model stream failed", original_status_code=529, original_message="Overloaded"
            )
        )
    ),
    "http-throttled": Script(
        b'{"message":"Too many requests, please wait before trying again."}',
        status=429,
        headers=(
            *JSON_ERROR,
            ("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/"),
        ),
    ),
    "http-validation": Script(
        b'{"message":"Malformed input request"}',
        status=400,
        headers=(*JSON_ERROR, ("x-amzn-ErrorType", "ValidationException")),
    ),
    "http-bare-502": Script(
        b"<html>502 Bad Gateway</html>", status=502, headers=(("Content-Type", "text/html"),)
    ),
    "throttled-first": Script(_frames(br.ThrottlingException("Too many requests"))),
    "stalled-first": Script(b"", then="stall"),
}


def _row_name(cell: str) -> str:
    match = re.match(r"`([a-z0-9-]+)`", cell)
    assert match, cell
    return match[1]


ROWS = {
    _row_name(row[0]): row[1:] for row in table_after(TEXT, "<!-- faults: tests/test_gateway_docs")
}


def test_every_fault_row_has_an_upstream_script() -> None:
    assert set(ROWS) == set(SCRIPTS)


def _expectation(name: str) -> tuple[str, int | None, str | None, bool]:
    """(kind, events before the fault, code, retried) from the page's row ``name``."""
    sees, code_cell, retried_cell = ROWS[name]
    code = code_cell.strip("`") if code_cell != NONE else None
    if sees == "the four events, then the end":
        return "clean", 4, None, False
    if match := re.fullmatch(r"`EventStreamError` after (\d+) events", sees):
        return "in-stream", int(match[1]), code, retried_cell == "yes"
    match = re.fullmatch(r"`(\w+)` raised from the call", sees)
    assert match and match[1] == code, sees
    return "raised", None, code, retried_cell == "yes"


def _gateway_code() -> str:
    blocks = python_blocks(TEXT[TEXT.index("## A complete gateway") :])
    return blocks[0].code


@pytest.fixture(scope="module")
def gateways() -> Iterator[tuple[Upstream, dict[bool, str]]]:
    """One upstream; the gateway in front of it twice: per event, and per read."""
    namespace: dict[str, Any] = {}
    exec(compile(_gateway_code(), str(DOC), "exec"), namespace)
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(Upstream(dict(SCRIPTS)))
        urls = {
            per_read: stack.enter_context(
                serve_asgi(
                    namespace["gateway"](upstream.url, idle_timeout=IDLE_TIMEOUT, per_read=per_read)
                )
            )
            for per_read in (False, True)
        }
        yield upstream, urls


@pytest.fixture
def gateway(gateways: tuple[Upstream, dict[bool, str]]) -> tuple[Upstream, str]:
    """The gateway as the page runs it by default: a chunk per event."""
    return gateways[0], gateways[1][False]


def _check(
    name: str, upstream: Upstream, outcome: tuple[str, Any], received: list[dict[str, Any]]
) -> None:
    kind, count, code, retried = _expectation(name)
    what, value = outcome
    attempts = upstream.requests[name]
    if kind == "clean":
        assert what == "end", value
        assert received == CLIENT_EVENTS
    elif kind == "in-stream":
        assert what == "stream-error", value
        assert value.response["Error"]["Code"] == code
        assert received == CLIENT_EVENTS[:count]  # the events before the fault, intact
    else:
        assert what == "raised", value
        assert type(value).__name__ == code
        assert value.response["Error"]["Code"] == code
    assert attempts == (ATTEMPTS if retried else 1), f"{attempts} attempts"


@pytest.mark.parametrize("per_read", [False, True], ids=["per-event", "per-read"])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_boto3_through_the_gateway(
    gateways: tuple[Upstream, dict[bool, str]],
    name: str,
    per_read: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_backoff(monkeypatch)
    upstream, url = gateways[0], gateways[1][per_read]
    upstream.requests.pop(name, None)
    client = boto3_client(url, attempts=ATTEMPTS)
    received: list[dict[str, Any]] = []
    outcome: tuple[str, Any]
    try:
        response = client.converse_stream(modelId=name, messages=[])
    except botocore_exceptions.ClientError as exc:
        outcome = ("raised", exc)
    else:
        stream = response["stream"]
        try:
            received.extend(stream)
            outcome = ("end", None)
        except botocore_exceptions.EventStreamError as exc:
            outcome = ("stream-error", exc)
        finally:
            stream.close()
    finally:
        client.close()
    if outcome[0] == "raised":
        # The modelled class itself, from the client's own exception table.
        assert isinstance(outcome[1], getattr(client.exceptions, _expectation(name)[2] or ""))
    _check(name, upstream, outcome, received)


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_aiobotocore_through_the_gateway(
    gateway: tuple[Upstream, str], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_backoff(monkeypatch)
    upstream, url = gateway
    upstream.requests.pop(name, None)

    async def run() -> tuple[tuple[str, Any], list[dict[str, Any]]]:
        received: list[dict[str, Any]] = []
        async with aiobotocore_client(url, attempts=ATTEMPTS) as client:
            try:
                response = await client.converse_stream(modelId=name, messages=[])
            except botocore_exceptions.ClientError as exc:
                assert isinstance(exc, getattr(client.exceptions, _expectation(name)[2] or ""))
                return ("raised", exc), received
            try:
                async for event in response["stream"]:
                    received.append(event)
            except botocore_exceptions.EventStreamError as exc:
                return ("stream-error", exc), received
            finally:
                response["stream"].close()
            return ("end", None), received

    outcome, received = asyncio.run(asyncio.wait_for(run(), 10))
    _check(name, upstream, outcome, received)


def test_boto3_invoke_through_the_gateway(gateway: tuple[Upstream, str]) -> None:
    upstream, url = gateway
    chunks = [br.Chunk(bytes=b'{"type":"message_start"}'), br.Chunk(bytes=b'{"x":"y"}')]
    upstream.scripts["invoke-cut"] = Script(_frames(*chunks) + _frames(chunks[0])[:20])
    client = boto3_client(url)
    try:
        response = client.invoke_model_with_response_stream(modelId="invoke-cut", body=b"{}")
        assert response["contentType"] == "application/json"  # forwarded from the upstream
        assert response["ResponseMetadata"]["RequestId"] == "upstream-request-id"
        received: list[Any] = []
        with pytest.raises(botocore_exceptions.EventStreamError) as info:
            received.extend(response["body"])
        response["body"].close()
    finally:
        client.close()
    assert received == [{"chunk": {"bytes": c.bytes}} for c in chunks]
    assert info.value.response["Error"]["Code"] == "internalServerException"
    assert "TruncatedError" in info.value.response["Error"]["Message"]
