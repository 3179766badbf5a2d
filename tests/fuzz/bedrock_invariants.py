"""The typed Bedrock layer's fuzz invariant: typed value or our error, and faithful.

The fuzzer cannot forge CRCs, so the input chooses a frame's parts instead of being one:
byte 0 picks the stream union, byte 1 the message type and name, the rest is the payload.
"""

from __future__ import annotations

import json

import eventstream as es
from eventstream import bedrock as br
from tests.test_bedrock import EVENTS  # the built events, one per shape

from .invariants import InvariantViolation

__all__ = ["check_bedrock", "frame_for"]

STREAMS: tuple[br.StreamName, ...] = ("invoke", "converse", "bidirectional-output")
NAMES = (
    "chunk", "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop",
    "messageStop", "metadata", "throttlingException", "modelStreamErrorException",
    "validationException", "modelTimeoutException", "serverToolCall",
)  # fmt: skip
MESSAGE_TYPES = ("event", "exception", "error")


def frame_for(data: bytes) -> tuple[br.StreamName, es.Message]:
    """The stream and the message that a fuzz input stands for."""
    control = data[:2].ljust(2, b"\x00")
    stream = STREAMS[control[0] % len(STREAMS)]
    message_type = MESSAGE_TYPES[(control[1] >> 4) % len(MESSAGE_TYPES)]
    name = NAMES[(control[1] & 0x0F) % len(NAMES)]
    headers = {
        ":event-type": name,
        ":exception-type": name,
        ":error-code": name,
        ":message-type": message_type,
    }
    return stream, es.Message(headers, data[2:])


def check_bedrock(data: bytes) -> None:
    """decode_event gives a typed value or our error; a typed value re-encodes faithfully,
    and a stream of it iterates and reassembles without any other exception."""
    stream, message = frame_for(data)
    try:
        event = br.decode_event(message, stream)
    except es.EventStreamError as exc:
        str(exc)
        _check_after_warm_up(stream, message, type(exc))
        return
    # Padding as it came: none added where the frame had none (encode_event's default
    # adds it, as Bedrock does).
    keep = not isinstance(event, br.BedrockEvent) or event.padding is not None
    again = br.encode_event(event, padding=keep)
    if isinstance(event, br.BedrockEvent) and json.loads(again.payload) != json.loads(
        message.payload
    ):
        raise InvariantViolation(f"{type(event).__name__} re-encodes to a different JSON value")
    if br.decode_event(again, stream) != event:
        raise InvariantViolation(f"{type(event).__name__} does not survive a round trip")
    typed = list(br.events([message.encode()], stream, raise_exceptions=False))
    if typed != [event]:
        raise InvariantViolation("events() disagrees with decode_event()")
    result = br.reassemble(typed)
    result.to_converse()
    result.to_anthropic()
    repr(event)
    _check_after_warm_up(stream, message, event)


# A frame with the same headers and Bedrock's plainest payload for its type, sent first: it
# teaches the reader the header block, so that the fuzzed frame after it goes through the
# decoder's fast table (Decoder.mapped) rather than through read_frame.
_WARM_UP = {"contentBlockDelta": b'{"contentBlockIndex":0,"delta":{"text":""}}', "chunk": b"{}"}


def _check_after_warm_up(stream: br.StreamName, message: es.Message, expected: object) -> None:
    warm = _WARM_UP.get(str(message.headers[":event-type"]))
    if warm is None or message.headers[":message-type"] != "event":
        return  # no fast table for this frame
    data = es.Message(message.headers, warm).encode() + message.encode()
    try:
        got: object = list(br.events([data], stream, raise_exceptions=False))[1:]
    except es.EventStreamError as exc:
        if exc.frame_index != 1:
            where = f"after a warm-up frame, an error at frame {exc.frame_index}"
            raise InvariantViolation(where) from exc
        got = type(exc)
    if isinstance(expected, type):
        if got is not expected:
            raise InvariantViolation(f"after a warm-up frame: {got!r}, not {expected.__name__}")
    elif got != [expected] or getattr(got[0], "padding", None) != getattr(
        expected, "padding", None
    ):
        raise InvariantViolation("after a warm-up frame, events() disagrees with decode_event()")


def seeds() -> list[bytes]:
    """Fuzz inputs for a frame of every kind the layer knows, built with our own encoder."""
    typed: list[br.TypedEvent] = [
        *EVENTS,
        br.ModelStreamErrorException("m", original_status_code=529, original_message="o"),
        br.ThrottlingException("slow down"),
    ]
    found = []
    for event in typed:
        message = br.encode_event(event)
        kind = str(message.headers[":message-type"])
        name = str(message.headers.get(":event-type") or message.headers[":exception-type"])
        stream = 0 if isinstance(event, br.Chunk | br.BedrockException) else 1
        control = (MESSAGE_TYPES.index(kind) << 4) | NAMES.index(name)
        found.append(bytes([stream, control]) + message.payload)
    return found
