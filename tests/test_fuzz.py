"""Coverage-guided fuzzing: a bounded atheris session per harness, and every finding since.

The long runs and their figures are in docs/reliability.md; this is the short session CI
runs (a few seconds a harness) plus the regression inputs the fuzzers found.
"""

from __future__ import annotations

import pytest

import eventstream as es
from tests.fuzz import invariants
from tests.support import frame, header

# --- findings, each kept as a regression test ------------------------------------------------


def test_header_errors_name_the_frame_they_belong_to() -> None:
    # Finding 1 (fuzz_decode, first seconds): HeaderError carried offset and frame_index but
    # frame_offset None, unlike every other error; the docs promise all three.
    data = frame(header(b"a", 10))
    with pytest.raises(es.HeaderError) as caught:
        es.decode(data)
    assert (caught.value.offset, caught.value.frame_index, caught.value.frame_offset) == (14, 0, 0)
    second = es.Message().encode() + data
    decoder = es.Decoder()
    with pytest.raises(es.HeaderError) as caught:
        decoder.feed(second)
    assert (caught.value.offset, caught.value.frame_index, caught.value.frame_offset) == (30, 1, 16)
    invariants.check_decode(data)
    invariants.check_decoder(second + b"\x00\x00")
