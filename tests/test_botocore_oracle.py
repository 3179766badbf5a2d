"""botocore's decoder, which we did not write, reads what our encoder writes."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings

import eventstream as es
from eventstream import strategies as ess
from tests.fuzz.differential import as_botocore_sees_it

botocore_eventstream = pytest.importorskip("botocore.eventstream")


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ess.streams(max_messages=5))
def test_botocore_decodes_our_frames(stream: tuple[list[es.Message], bytes]) -> None:
    messages, data = stream
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(data)
    theirs = list(buffer)
    assert len(theirs) == len(messages)
    for ours, their in zip(messages, theirs, strict=True):
        assert their.payload == ours.payload
        expected = {name: as_botocore_sees_it(value) for name, value in ours.headers.items()}
        assert their.headers == expected
        # Types too: botocore maps bool headers to bool and integers to int.
        for name, value in ours.headers.items():
            assert isinstance(their.headers[name], bool) == isinstance(value, bool)
        assert their.prelude.total_length == len(ours.encode())


def test_botocore_frames_decode_identically() -> None:
    # A frame as botocore's own test-suite shape: all header types, round-tripped both ways.
    message = es.Message(
        [(":event-type", "chunk"), ("t", True), ("f", False), ("b", es.Byte(-1)),
         ("s", es.Short(-300)), ("i", -70000), ("l", es.Long(2**40)), ("y", b"\x00\x01"),
         ("ts", es.Timestamp(1700000000123)), ("u", uuid.UUID(int=2**127))],
        b'{"bytes":"e30="}',
    )  # fmt: skip
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(message.encode())
    (their,) = list(buffer)
    assert their.headers["ts"] == 1700000000123
    assert their.headers["i"] == -70000
    assert their.headers["u"] == (2**127).to_bytes(16, "big")
    assert their.to_response_dict()["status_code"] == 200
