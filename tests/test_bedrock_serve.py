"""The sans-IO serving functions: body chunks, faults as exception frames, priming, headers,
errors before the stream and reading them back. No network here; the real clients read the
same bytes in test_bedrock_serve_boto3.py and test_gateway_*.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br

EVENTS: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hé")),
    br.ContentBlockStop(content_block_index=0),
]


def _decoded(body: bytes) -> list[br.TypedEvent]:
    return list(br.events([body], "converse", raise_exceptions=False))


class Source:
    """Events, then optionally a raise; records whether it was closed."""

    def __init__(self, events: list[br.TypedEvent], error: Exception | None = None) -> None:
        self.events, self.error, self.closed, self.pulled = events, error, False, 0

    def __iter__(self) -> Iterator[br.TypedEvent]:
        return self

    def __next__(self) -> br.TypedEvent:
        if self.pulled < len(self.events):
            self.pulled += 1
            return self.events[self.pulled - 1]
        if self.error is not None:
            raise self.error
        raise StopIteration

    def close(self) -> None:
        self.closed = True


class ASource(Source):
    def __aiter__(self) -> AsyncIterator[br.TypedEvent]:
        return self

    async def __anext__(self) -> br.TypedEvent:
        await asyncio.sleep(0)
        try:
            return next(self)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.closed = True


def _serve(source: Source, asynchronous: bool, **options: Any) -> bytes:
    if not asynchronous:
        return b"".join(br.encode_stream(source, **options))

    async def collect() -> bytes:
        assert isinstance(source, ASource)
        return b"".join([chunk async for chunk in br.aencode_stream(source, **options)])

    return asyncio.run(collect())


FAULTS: list[tuple[Exception, br.BedrockException]] = [
    (
        es.TruncatedError("stream ended inside a frame", expected=90, received=12, offset=300),
        br.InternalServerException(
            "the upstream stream failed: TruncatedError: byte 300: stream ended inside a frame"
        ),
    ),
    (
        es.MessageChecksumError("bad CRC", expected=1, actual=2, offset=96, frame_index=1),
        br.InternalServerException(
            "the upstream stream failed: MessageChecksumError: frame 1, byte 96: bad CRC"
        ),
    ),
    (TimeoutError(), br.InternalServerException("the upstream stream stalled (TimeoutError)")),
    (
        ConnectionResetError("10.0.0.7:443 reset"),  # the address stays out of the answer
        br.InternalServerException("the upstream failed (ConnectionResetError)"),
    ),
    (br.ThrottlingException("slow down"), br.ThrottlingException("slow down")),
    (
        br.ModelStreamErrorException("failed", original_status_code=529, original_message="busy"),
        br.ModelStreamErrorException("failed", original_status_code=529, original_message="busy"),
    ),
]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("fault", "sent"), FAULTS, ids=lambda f: type(f).__name__)
def test_a_fault_ends_the_body_with_one_exception_frame_after_the_events_before_it(
    fault: Exception, sent: br.BedrockException, asynchronous: bool
) -> None:
    source = (ASource if asynchronous else Source)(EVENTS, fault)
    body = _serve(source, asynchronous, stream="converse")
    assert _decoded(body) == [*EVENTS, sent]
    assert source.closed


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_yielded_exception_ends_the_stream_and_stops_reading(asynchronous: bool) -> None:
    throttled = br.ThrottlingException("slow down")
    source = (ASource if asynchronous else Source)([*EVENTS[:2], throttled, *EVENTS[2:]])
    assert _decoded(_serve(source, asynchronous)) == [*EVENTS[:2], throttled]
    assert source.pulled == 3 and source.closed


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_clean_end_is_a_clean_end(asynchronous: bool) -> None:
    source = (ASource if asynchronous else Source)(EVENTS)
    chunks = (
        list(br.encode_stream(source, padding=False))
        if not asynchronous
        else asyncio.run(_alist(br.aencode_stream(source, padding=False)))
    )
    assert chunks == [br.encode_event(e, padding=False).encode() for e in EVENTS]
    assert source.closed


async def _alist(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


def test_an_event_that_cannot_be_encoded_is_a_fault_too() -> None:
    bad = br.MessageStop(stop_reason="end_turn", additional_model_response_fields=float("nan"))
    body = b"".join(br.encode_stream(Source([EVENTS[0], bad])))
    decoded = _decoded(body)
    assert decoded[0] == EVENTS[0]
    assert isinstance(decoded[1], br.InternalServerException)
    assert "EncodeError" in decoded[1].message


def test_an_unknown_exception_becomes_one_the_client_can_read() -> None:
    frame = es.Message(
        {":message-type": "exception", ":exception-type": "fooException"}, b'{"message":"x"}'
    )
    unknown = br.decode_event(frame, "converse")
    assert isinstance(unknown, br.UnknownException)
    body = b"".join(br.encode_stream(Source([unknown])))
    assert _decoded(body) == [
        br.InternalServerException(
            "the upstream sent an exception this stream cannot carry (fooException): x"
        )
    ]
    # An error frame is read by every SDK: it goes out as it came.
    error = br.ErrorFrame("broke", error_code="InternalFailure")
    assert _decoded(b"".join(br.encode_stream(Source([error])))) == [error]


def test_an_exception_whose_payload_was_not_json_goes_out_as_json() -> None:
    frame = es.Message(
        {":message-type": "exception", ":exception-type": "throttlingException"}, b"slow down"
    )
    throttled = br.decode_event(frame, "converse")
    assert isinstance(throttled, br.ThrottlingException) and throttled.raw_payload is not None
    (chunk,) = br.encode_stream(Source([throttled]))
    assert es.decode(chunk).payload == b'{"message":"slow down"}'
    assert throttled.raw_payload == b"slow down"  # the caller's value is left as it was


def test_an_exception_outside_the_union_is_sent_as_internal_server() -> None:
    # ConverseStream has no modelTimeoutException: boto3 would report Code '' and Message ''.
    timeout = br.ModelTimeoutException("took too long")
    assert _decoded(b"".join(br.encode_stream(Source([timeout]), stream="converse"))) == [
        br.InternalServerException("took too long")
    ]
    invoke = b"".join(br.encode_stream(Source([timeout]), stream="invoke"))
    assert list(br.events([invoke], "invoke", raise_exceptions=False)) == [timeout]


def test_on_fault_chooses_the_frame_and_a_broken_one_falls_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def overloaded(error: Exception) -> br.BedrockException:
        return br.ModelStreamErrorException(
            "model overloaded", original_status_code=529, original_message=str(error)
        )

    body = b"".join(br.encode_stream(Source(EVENTS[:1], OSError("529")), on_fault=overloaded))
    assert _decoded(body)[1] == br.ModelStreamErrorException(
        "model overloaded", original_status_code=529, original_message="529"
    )

    def broken(error: Exception) -> br.BedrockException:
        raise KeyError(error)

    body = b"".join(br.encode_stream(Source(EVENTS[:1], TimeoutError()), on_fault=broken))
    assert _decoded(body)[1] == br.InternalServerException(
        "the upstream stream stalled (TimeoutError)"
    )
    assert "on_fault failed" in caplog.text


def test_closing_the_body_early_closes_the_events() -> None:
    source = Source(EVENTS)
    body = br.encode_stream(source)
    next(body)
    body.close()
    assert source.closed and source.pulled == 1


# --- prime / respond ----------------------------------------------------------------------


def test_prime_raises_what_comes_before_the_first_event() -> None:
    with pytest.raises(es.TruncatedError):
        br.prime(Source([], es.TruncatedError("cut", expected=1, received=0)))
    source = Source([br.ThrottlingException("slow")])
    with pytest.raises(br.ThrottlingException):
        br.prime(source)
    assert source.closed
    primed = br.prime(Source(EVENTS))
    assert list(primed) == EVENTS
    assert list(br.prime(Source([]))) == []


def test_a_primed_stream_closed_before_it_is_read_closes_its_source() -> None:
    source = Source(EVENTS)
    reply = br.respond(source, "converse")
    reply.body.close()  # the client went away before the first chunk
    assert source.closed


def test_respond_answers_a_fault_before_the_stream_with_an_http_error() -> None:
    reply = br.respond(Source([], TimeoutError()), "converse", request_id="r-1")
    assert reply.status == 500
    assert reply.headers["x-amzn-ErrorType"] == "InternalServerException"
    assert reply.headers["x-amzn-RequestId"] == "r-1"
    assert json.loads(b"".join(reply.body)) == {
        "message": "the upstream stream stalled (TimeoutError)"
    }
    ok = br.respond(Source(EVENTS), "invoke", request_id="r-2", headers={"X-Extra": "1"})
    assert ok.status == 200
    assert ok.headers == {
        "Content-Type": "application/vnd.amazon.eventstream",
        "x-amzn-RequestId": "r-2",
        "X-Amzn-Bedrock-Content-Type": "application/json",
        "X-Extra": "1",
    }
    assert _decoded(b"".join(ok.body)) == EVENTS


def test_arespond_is_the_twin() -> None:
    async def run() -> tuple[int, bytes, int, bytes]:
        bad = await br.arespond(ASource([br.ThrottlingException("slow")]), "converse")
        good = await br.arespond(
            ASource(EVENTS, es.TruncatedError("c", expected=2, received=1)), "converse"
        )
        return (
            bad.status,
            b"".join(await _alist(bad.body)),
            good.status,
            b"".join(await _alist(good.body)),
        )

    bad_status, bad_body, good_status, good_body = asyncio.run(run())
    assert (bad_status, json.loads(bad_body)) == (429, {"message": "slow"})
    assert good_status == 200
    decoded = _decoded(good_body)
    assert decoded[:3] == EVENTS and isinstance(decoded[3], br.InternalServerException)


# --- headers and errors -------------------------------------------------------------------


def test_response_headers_per_stream() -> None:
    assert br.response_headers("converse", request_id="x") == {
        "Content-Type": "application/vnd.amazon.eventstream",
        "x-amzn-RequestId": "x",
    }
    invoke = br.response_headers("invoke", model_content_type="text/plain")
    assert invoke["X-Amzn-Bedrock-Content-Type"] == "text/plain"
    assert len(invoke["x-amzn-RequestId"]) == 36  # a fresh UUID
    with pytest.raises(es.ConfigurationError, match="not a response stream"):
        br.response_headers("bidirectional-input")  # type: ignore[arg-type]
    with pytest.raises(es.ConfigurationError):
        br.response_headers("nope")  # type: ignore[arg-type]


def test_every_modelled_error_has_its_code_status_and_fields() -> None:
    for code, cls in br.HTTP_ERRORS.items():
        reply = br.error_response(cls("m"), request_id="id")
        assert reply.status == cls.status_code
        assert reply.headers == {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": "id",
        }
        assert json.loads(reply.body) == {"message": "m"}
        # ...and reads back as itself.
        assert br.error_from_response(reply.status, reply.headers, reply.body) == cls("m")
    error = br.ModelErrorException("e", original_status_code=500, resource_name="arn:r")
    reply = br.error_response(error)
    assert json.loads(reply.body) == {
        "message": "e", "originalStatusCode": 500, "resourceName": "arn:r"
    }  # fmt: skip
    assert br.error_from_response(424, reply.headers, reply.body) == error


def test_unknown_exceptions_and_error_frames_answer_500_under_their_own_code() -> None:
    frame = br.ErrorFrame("broke", error_code="InternalFailure")
    reply = br.error_response(frame)
    assert (reply.status, reply.headers["x-amzn-ErrorType"]) == (500, "InternalFailure")
    assert json.loads(reply.body) == {"message": "broke"}


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        # botocore's order: the header wins and is cut at ":" and after "#".
        (
            429,
            {"X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/x/"},
            b'{"message":"Too many requests"}',
            br.ThrottlingException("Too many requests"),
        ),
        (400, [("x-amzn-errortype", "aws#ValidationException")], b"{}", br.ValidationException()),
        (400, {}, b'{"code":"ValidationException","Message":"bad"}', br.ValidationException("bad")),
        (403, {}, b'{"__type":"AccessDeniedException"}', br.AccessDeniedException()),
        # No code, or one the service does not model: the status says what it is.
        (429, {}, b"", br.ThrottlingException()),
        (503, {}, b"<html>Service Unavailable</html>", br.ServiceUnavailableException()),
        (502, {"x-amzn-ErrorType": "BadGateway"}, b"{}", br.InternalServerException()),
        (413, {}, b'{"message":"too big"}', br.ValidationException("too big")),
        # Keys beyond the shape are kept, so they go back out as they came.
        (
            424,
            {},
            b'{"__type":"ModelStreamErrorException","message":"m","originalStatusCode":529,"x":1}',
            br.ModelStreamErrorException("m", original_status_code=529, extra={"x": 1}),
        ),
    ],
)
def test_error_from_response_reads_as_botocore_does(
    status: int, headers: Any, body: bytes, expected: br.BedrockException
) -> None:
    assert br.error_from_response(status, headers, body) == expected
