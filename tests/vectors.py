"""Test data shared between test files, and the one way every vector is run.

* Hand-built streams: Bedrock-shaped event frames laid out by hand (tests/support.py, CRCs
  from crcmod) next to the message each must decode to, and a stream made of them.
* The public vectors in ../shared/vectors (see its README): their bytes, and what each must
  decode to (aws-sdk-go's JSON descriptions, the values smithy-rs's own tests assert).
* :func:`decode_three_ways`: a vector decoded whole, fed one byte at a time and followed by
  trailing bytes (and in random splits), every way agreeing; :func:`feed_every_way` is the
  same for a stream.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import struct
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import eventstream as es
from tests.support import frame, shared_path, string_header

# --- hand-built streams -----------------------------------------------------------------------


def event(event_type: str, payload: bytes) -> tuple[bytes, es.Message]:
    """A Bedrock-shaped event frame laid out by hand, and the message it must decode to."""
    wire = (
        string_header(b":event-type", event_type.encode())
        + string_header(b":content-type", b"application/json")
        + string_header(b":message-type", b"event")
    )
    headers: dict[str, es.HeaderInput] = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return frame(wire, payload), es.Message(headers, payload)


#: The smallest frame: 16 bytes, no headers, no payload.
EMPTY = (frame(), es.Message())


class HandStream(NamedTuple):
    """Hand-built frames back to back, and what the stream must decode to."""

    pairs: list[tuple[bytes, es.Message]]  # (frame, message) in stream order
    frames: list[bytes]
    messages: list[es.Message]
    data: bytes
    #: Stream offset at which each frame starts, and the end of the stream.
    starts: list[int]


def hand_stream(pairs: Sequence[tuple[bytes, es.Message]]) -> HandStream:
    frames = [data for data, _ in pairs]
    return HandStream(
        list(pairs),
        frames,
        [message for _, message in pairs],
        b"".join(frames),
        [0, *itertools.accumulate(len(f) for f in frames)],
    )


def check_hand_built(stream: HandStream) -> None:
    """Guard the fixtures themselves: each frame is byte-faithful to its message."""
    for data, message in stream.pairs:
        assert message.encode() == data
        assert struct.unpack_from(">I", data)[0] == len(data)
    assert len(stream.data) == stream.starts[-1]


# --- feeding a Decoder ----------------------------------------------------------------------


@dataclass
class Outcome:
    """What feeding some chunks and then closing gave."""

    messages: list[es.Message]
    error: es.EventStreamError | None
    fed: int  # bytes fed when the error was raised (all of them if none was)
    at_close: bool  # the error came from close(), not feed()
    #: Bytes fed when each message was handed over (for those before an error, when it was).
    ends: list[int] = field(default_factory=list)


def run(chunks: Iterable[bytes], **limits: int | None) -> Outcome:
    """Feed ``chunks`` to a new Decoder, then close it; collect messages, also those on errors."""
    decoder = es.Decoder(**limits)
    messages: list[es.Message] = []
    ends: list[int] = []
    fed = 0
    try:
        for chunk in chunks:
            fed += len(chunk)
            got = decoder.feed(chunk)
            messages += got
            ends += [fed] * len(got)
    except es.EventStreamError as exc:
        messages += exc.messages
        ends += [fed] * len(exc.messages)
        return Outcome(messages, exc, fed, at_close=False, ends=ends)
    try:
        decoder.close()
    except es.EventStreamError as exc:
        return Outcome(messages, exc, fed, at_close=True, ends=ends)
    return Outcome(messages, None, fed, at_close=False, ends=ends)


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def random_split(data: bytes, rng: random.Random, max_cuts: int = 12) -> list[bytes]:
    cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(1, max_cuts)))
    return [data[a:b] for a, b in itertools.pairwise([0, *cuts, len(data)])]


def fixed_chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def frame_ends_bytewise(data: bytes) -> tuple[list[es.Message], list[int]]:
    """Feed one byte at a time; return the messages and the stream offset at which each ended."""
    decoder = es.Decoder()
    messages: list[es.Message] = []
    ends: list[int] = []
    for i in range(len(data)):
        got = decoder.feed(data[i : i + 1])
        assert len(got) <= 1
        if got:
            messages += got
            ends.append(i + 1)
    decoder.close()
    return messages, ends


def splits(data: bytes, seed: str, random_splits: int = 20) -> list[tuple[str, list[bytes]]]:
    """``data`` whole, one byte at a time, then in ``random_splits`` random splits from ``seed``."""
    rng = random.Random(seed)
    ways = [("whole", [data]), ("bytewise", bytewise(data))]
    ways += [(f"random{i}", random_split(data, rng)) for i in range(random_splits)]
    return ways


def fault(error: es.EventStreamError | None, text: bool = True) -> tuple[object, ...] | None:
    """What must not depend on how the input was cut: class, where, and (``text``) the text."""
    if error is None:
        return None
    where = (type(error), error.offset, error.frame_index, error.frame_offset)
    return (*where, str(error)) if text else where


def feed_every_way(
    data: bytes,
    seed: str = "",
    random_splits: int = 20,
    *,
    text: bool = True,
    **limits: int | None,
) -> dict[str, Outcome]:
    """Feed ``data`` in each of :func:`splits`; every way must give what the whole feed gives.

    The same messages, and the same error (class, offset, frame and, unless ``text`` is false,
    text) from the same call (feed or close). Returns each way's outcome, ``"whole"`` and
    ``"bytewise"`` first. (A JSON hint quotes the bytes at hand, which depend on the split.)
    """
    outcomes = {way: run(chunks, **limits) for way, chunks in splits(data, seed, random_splits)}
    whole = outcomes["whole"]
    for way, outcome in outcomes.items():
        assert outcome.messages == whole.messages, way
        assert fault(outcome.error, text) == fault(whole.error, text), way
        assert outcome.at_close == whole.at_close, way
    return outcomes


#: What :func:`decode_three_ways` appends to a vector. The 40 zeros are no frame: 8 bytes in,
#: their prelude CRC is wrong.
TRAILING = b"\x00" * 40


def decode_three_ways(vector: bytes, *, seed: str = "", random_splits: int = 0) -> es.Message:
    """``es.decode(vector)``, after checking that every other way of reading it agrees.

    The ways: ``decode()`` whole; a Decoder fed it whole, one byte at a time (a message comes
    out at the last byte) and in ``random_splits`` random splits; and both again with
    :data:`TRAILING` after it. For a valid frame the trailing bytes are a fault of their own
    after the message (``TrailingDataError`` from ``decode()``); for a broken one the error
    stays the same. Returns the message, or raises ``decode()``'s error.
    """
    try:
        message = es.decode(vector)
    except es.EventStreamError as exc:
        message, error = None, exc
    else:
        error = None
    fed = feed_every_way(vector, seed, random_splits)
    followed = feed_every_way(vector + TRAILING, seed + "+trailing", random_splits)
    try:
        es.decode(vector + TRAILING)
    except es.EventStreamError as exc:
        trailing_error: es.EventStreamError | None = exc
    else:
        trailing_error = None
    if error is not None:
        for outcome in (fed["whole"], followed["whole"]):
            assert outcome.messages == []
            assert fault(outcome.error) == fault(error)
        assert fault(trailing_error) == fault(error)
        raise error
    assert message is not None
    assert (fed["whole"].messages, fed["whole"].error) == ([message], None)
    assert fed["bytewise"].ends == [len(vector)]
    assert isinstance(trailing_error, es.TrailingDataError)
    where = (trailing_error.offset, trailing_error.frame_index, trailing_error.frame_offset)
    assert where == (len(vector), 0, 0)
    after = followed["whole"]
    assert after.messages == [message]
    assert isinstance(after.error, es.PreludeChecksumError) and not after.at_close
    where = (after.error.offset, after.error.frame_index, after.error.frame_offset)
    assert where == (len(vector) + 8, 1, len(vector))
    return message


# --- the public vectors (../shared/vectors) --------------------------------------------------

GO_POSITIVE = ["all_headers", "empty_message", "int32_header", "payload_no_headers",
               "payload_one_str_header"]  # fmt: skip
RS_POSITIVE = ["valid_with_all_headers_and_payload", "valid_empty_payload", "valid_no_headers"]
#: Every valid vector, as ``source/name``.
POSITIVE = [f"aws-sdk-go/{n}" for n in GO_POSITIVE] + [f"smithy-rs/{n}" for n in RS_POSITIVE]

#: Every broken vector: (``source/name``, error class, bytes after which a Decoder fed one
#: byte at a time must raise it).
NEGATIVE: list[tuple[str, type[es.EventStreamError], int]] = [
    ("aws-sdk-go/corrupted_header_len", es.PreludeChecksumError, 12),
    # One byte short of its declared length: only a prelude check at 12 bytes catches it.
    ("aws-sdk-go/corrupted_length", es.PreludeChecksumError, 12),
    ("aws-sdk-go/corrupted_headers", es.MessageChecksumError, 61),
    ("aws-sdk-go/corrupted_payload", es.MessageChecksumError, 29),
    ("smithy-rs/invalid_prelude_checksum", es.PreludeChecksumError, 12),
    ("smithy-rs/invalid_message_checksum", es.MessageChecksumError, 150),
    ("smithy-rs/invalid_headers_length", es.FrameLengthError, 12),
    # The invalid_header_* files were mutated without new CRCs: the message CRC fails first.
    ("smithy-rs/invalid_header_value_type", es.MessageChecksumError, 150),
    ("smithy-rs/invalid_header_name_length", es.MessageChecksumError, 150),
    ("smithy-rs/invalid_header_string_value_length", es.MessageChecksumError, 150),
    ("smithy-rs/invalid_header_string_length_cut_off", es.MessageChecksumError, 93),
    # Declares 93 of its 123 bytes: the error is at the end of the declared frame.
    ("smithy-rs/invalid_header_name_length_too_long", es.MessageChecksumError, 93),
]


def go_file(kind: str, cls: str, name: str) -> bytes:
    """``aws-sdk-go/<kind>/<cls>/<name>``: kind ``encoded`` or ``decoded``, cls ``positive`` or
    ``negative``."""
    return shared_path("vectors", "aws-sdk-go", kind, cls, name).read_bytes()


def rs_file(name: str) -> bytes:
    return shared_path("vectors", "smithy-rs", name).read_bytes()


def go_description(name: str) -> dict[str, Any]:
    """The JSON description of the valid aws-sdk-go vector ``name``."""
    described = json.loads(go_file("decoded", "positive", name))
    assert isinstance(described, dict)
    return described


_GO_WRAPPERS: dict[int, Callable[[int], es.HeaderValue]] = {
    2: es.Byte, 3: es.Short, 4: es.Integer, 5: es.Long, 8: es.Timestamp,
}  # fmt: skip


def go_value(type_id: int, value: object) -> es.HeaderValue:
    """The header value our decoder must give for one header of an aws-sdk-go description.

    JSON booleans for types 0/1, integers for 2-5 and 8 (milliseconds), base64 for 6
    (byte_array), 7 (string) and 9 (uuid).
    """
    if type_id in (0, 1):
        assert isinstance(value, bool)
        return value
    if type_id in (6, 7, 9):
        raw = base64.b64decode(str(value))
        if type_id == 9:
            return uuid.UUID(bytes=raw)
        return raw.decode("utf-8") if type_id == 7 else raw
    assert isinstance(value, int)
    return _GO_WRAPPERS[type_id](value)


def go_message(described: dict[str, Any]) -> es.Message:
    """The message an aws-sdk-go description describes, headers in its (wire) order."""
    return es.Message(
        [(h["name"], go_value(h["type"], h["value"])) for h in described["headers"]],
        base64.b64decode(described["payload"]),
    )


# smithy-rs ships no descriptions; these are the values its own tests assert (vectors README).
RS_EXPECTED = {
    "valid_with_all_headers_and_payload": es.Message(
        {
            "true": True,
            "false": False,
            "byte": es.Byte(50),
            "short": es.Short(20000),
            "int": es.Integer(500000),
            "long": es.Long(50_000_000_000),
            "bytes": b"some bytes",
            "str": "some str",
            "time": es.Timestamp(5_000_000_000),
            "uuid": uuid.UUID("b79bc914-de21-4e13-b8b2-bc47e85b7f0b"),
        },
        b"some payload",
    ),
    "valid_empty_payload": es.Message({"some-header": es.Short(500)}, b""),
    "valid_no_headers": es.Message({}, b"another test payload"),
}


def positive_vector(name: str) -> tuple[bytes, es.Message]:
    """The bytes of the valid vector ``source/name`` and the message they must decode to."""
    source, short = name.split("/")
    if source == "aws-sdk-go":
        return go_file("encoded", "positive", short), go_message(go_description(short))
    return rs_file(short), RS_EXPECTED[short]


def negative_vector(name: str) -> bytes:
    """The bytes of the broken vector ``source/name``."""
    source, short = name.split("/")
    if source == "aws-sdk-go":
        return go_file("encoded", "negative", short)
    return rs_file(short)
