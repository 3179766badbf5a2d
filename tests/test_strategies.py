"""eventstream.strategies: what each strategy draws, and our codec's properties built on them.

Every corruption strategy declares the exact error class its bytes must cause; here our
decoder is held to each declaration, through ``decode()`` and through a ``Decoder`` fed the
corruption after valid frames, cut anywhere.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import eventstream as es
from eventstream import strategies as ess
from tests.markdown import python_blocks, table_after
from tests.support import crc32_oracle

relaxed = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
# For the tests parametrized over the eleven corruption strategies.
per_strategy = settings(relaxed, max_examples=50)

# --- what the strategies draw ----------------------------------------------------------------


@pytest.mark.parametrize("type_id", range(10))
@relaxed
@given(data=st.data())
def test_header_values_of_one_type_have_that_wire_type(type_id: int, data: st.DataObject) -> None:
    value = data.draw(ess.header_values(types=[type_id]))
    ((_, wire_type, _),) = es.Message({"h": value}).typed_headers()
    assert wire_type == type_id


def test_header_values_reject_unknown_types() -> None:
    with pytest.raises(ValueError, match=r"0\.\.9"):
        ess.header_values(types=[10])


def _size(value: es.HeaderValue) -> int:
    return len(value.encode() if isinstance(value, str) else value)  # type: ignore[arg-type]


# (type id, what to look at, a value it must reach). Searched on the summary, not the value:
# hypothesis would print a 32 KiB value in full.
EXTREMES: list[tuple[int, Callable[[es.HeaderValue], object], object]] = [
    (2, int, -128),
    (2, int, 127),
    (3, int, -(2**15)),
    (4, int, 2**31 - 1),
    (5, int, -(2**63)),
    (5, int, 2**63 - 1),
    (6, _size, 0),
    (6, _size, es.MAX_HEADER_VALUE_BYTES),
    (7, _size, es.MAX_HEADER_VALUE_BYTES),
    (8, int, 2**63 - 1),  # a timestamp no datetime can hold
    (9, int, 0),
    (9, int, 2**128 - 1),
]


@pytest.mark.parametrize(("type_id", "summary", "target"), EXTREMES)
def test_header_values_reach_the_extremes(
    type_id: int, summary: Callable[[es.HeaderValue], object], target: object
) -> None:
    strategy = ess.header_values(types=[type_id]).map(summary)
    found = find(
        strategy, lambda s: s == target, settings=settings(max_examples=5000, database=None)
    )
    assert found == target


@relaxed
@given(ess.header_names())
def test_header_names_are_valid_and_reach_255_bytes(name: str) -> None:
    assert 1 <= len(name.encode("utf-8")) <= 255
    es.Message({name: True})


def test_header_names_reach_the_longest() -> None:
    found = find(ess.header_names(), lambda n: len(n.encode()) == 255)
    assert len(found.encode()) == 255


@relaxed
@given(ess.split_streams(max_messages=4))
def test_split_streams_chunks_join_to_the_frames(
    drawn: tuple[list[es.Message], list[bytes]],
) -> None:
    messages, chunks = drawn
    assert b"".join(chunks) == b"".join(m.encode() for m in messages)


# --- our properties --------------------------------------------------------------------------


@relaxed
@given(ess.messages())
def test_decode_encode_round_trip(message: es.Message) -> None:
    data = message.encode()
    assert es.decode(data) == message
    assert es.decode(data).encode() == data
    # The CRCs, checked by an implementation we did not write.
    assert struct.unpack(">I", data[-4:])[0] == crc32_oracle(data[:-4])


@relaxed
@given(ess.split_streams(max_messages=5))
def test_every_split_yields_the_same_messages(
    drawn: tuple[list[es.Message], list[bytes]],
) -> None:
    messages, chunks = drawn
    decoder = es.Decoder()
    got = [m for chunk in chunks for m in decoder.feed(chunk)]
    decoder.close()
    assert got == messages


@relaxed
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_random_chunks_give_messages_or_our_error(chunks: list[bytes]) -> None:
    decoder = es.Decoder()
    try:
        for chunk in chunks:
            decoder.feed(chunk)
        decoder.close()
    except es.EventStreamError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= sum(map(len, chunks))


@relaxed
@given(ess.corruptions(), st.data())
def test_corrupted_chunks_give_messages_or_our_error(
    corruption: ess.Corruption, data: st.DataObject
) -> None:
    assume(corruption.data)  # an empty stream is a valid one
    chunks = data.draw(ess.split_points(corruption.data))
    with pytest.raises(es.EventStreamError):
        _feed_all(es.Decoder(**corruption.limits), chunks)


def _feed_all(decoder: es.Decoder, chunks: list[bytes]) -> list[es.Message]:
    got = [m for chunk in chunks for m in decoder.feed(chunk)]
    decoder.close()
    return got


CORRUPTIONS = [
    ess.flipped_bits,
    ess.truncated_frames,
    ess.trailing_data,
    ess.lying_lengths,
    ess.over_limits,
    ess.unknown_header_types,
    ess.invalid_utf8,
    ess.empty_header_names,
    ess.duplicate_names,
    ess.truncated_headers,
    ess.oversize_values,
]


@pytest.mark.parametrize("strategy", CORRUPTIONS, ids=lambda s: s.__name__)
@per_strategy
@given(data=st.data())
def test_each_corruption_raises_exactly_its_declared_error(
    strategy: Callable[[], st.SearchStrategy[ess.Corruption]], data: st.DataObject
) -> None:
    corruption = data.draw(strategy())
    assert corruption.data != corruption.original or corruption.limits
    es.decode(corruption.original)  # the frame it came from is valid
    with pytest.raises(es.EventStreamError) as caught:
        es.decode(corruption.data, **corruption.limits)
    assert corruption.matches(caught.value), (corruption, caught.value)
    assert caught.value.offset is not None and 0 <= caught.value.offset <= len(corruption.data)


@pytest.mark.parametrize(
    "strategy",
    [s for s in CORRUPTIONS if s is not ess.trailing_data],
    ids=lambda s: s.__name__,
)
@per_strategy
@given(data=st.data())
def test_each_corruption_after_valid_frames_fails_the_decoder_there(
    strategy: Callable[[], st.SearchStrategy[ess.Corruption]], data: st.DataObject
) -> None:
    corruption = data.draw(strategy())
    # No bytes at all is no frame: in a stream that is a clean end, not a truncation.
    assume(corruption.data)
    before, prefix = data.draw(ess.streams(max_messages=3, max_headers=3, max_payload=32))
    payload_limit = corruption.limits.get("max_payload_length")
    headers_limit = corruption.limits.get("max_headers_length")
    # The valid frames before it must be within the limits the corruption is decoded with.
    before = [
        m
        for m in before
        if (payload_limit is None or len(m.payload) <= payload_limit)
        and (headers_limit is None or len(m.header_block()) <= headers_limit)
    ]
    prefix = b"".join(m.encode() for m in before)
    chunks = data.draw(ess.split_points(prefix + corruption.data, max_splits=6))
    decoder = es.Decoder(**corruption.limits)
    got: list[es.Message] = []
    with pytest.raises(es.EventStreamError) as caught:  # noqa: PT012 -- any call may raise
        for chunk in chunks:
            got += decoder.feed(chunk)
        decoder.close()
    got += caught.value.messages
    assert corruption.matches(caught.value), (corruption, caught.value)
    assert got == before
    assert (caught.value.frame_index, caught.value.frame_offset) == (len(before), len(prefix))


@relaxed
@given(ess.messages(max_payload=64))
def test_limits_at_the_frame_figures_accept_it(message: es.Message) -> None:
    data = message.encode()
    exact = {
        "max_payload_length": len(message.payload),
        "max_headers_length": len(message.header_block()),
    }
    assert es.decode(data, **exact) == message


def test_corruption_match_is_exact_not_a_subclass() -> None:
    frame = es.Message().encode()
    corruption = ess.Corruption(frame, es.FrameLengthError, "example", frame)
    limit = es.LimitExceededError(
        "x", limit_name="max_payload_length", limit=0, actual=1, total_length=17, headers_length=0
    )
    assert not corruption.matches(limit)
    header = ess.Corruption(frame, es.HeaderError, "example", frame, problem="empty-name")
    assert not header.matches(es.HeaderError("x", problem="truncated"))
    assert header.matches(es.HeaderError("x", problem="empty-name"))


def test_flipped_bits_in_a_crc_field_never_straddle_into_its_data() -> None:
    # The CRC-32 burst guarantee covers bursts in the data or in the CRC, not across both.
    def straddles(c: ess.Corruption) -> bool:
        changed = [i for i, (a, b) in enumerate(zip(c.data, c.original, strict=True)) if a != b]
        end = len(c.original) - 4
        return (min(changed) < 8 <= max(changed)) or (min(changed) < end <= max(changed))

    with pytest.raises(NoSuchExample):
        find(ess.flipped_bits(), straddles, settings=settings(max_examples=200, database=None))


# --- docs/fuzzing.md -------------------------------------------------------------------------

FUZZING_MD = Path(__file__).resolve().parent.parent / "docs" / "fuzzing.md"


def test_docs_tables_name_every_strategy() -> None:
    text = FUZZING_MD.read_text()
    named = set(re.findall(r"^\| `(\w+)\(", text, flags=re.MULTILINE))
    public = {name for name in ess.__all__ if name != "Corruption"}
    assert named - {"matches"} == public  # Corruption.matches is in the field table
    rows = table_after(text, "<!-- checked against eventstream.strategies")
    in_table = [name for row in rows for name in re.findall(r"^`(\w+)\(", row[0])]
    assert in_table == [s.__name__ for s in CORRUPTIONS]


def test_docs_botocore_example_runs_and_finds_the_leaks(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("botocore")
    text = FUZZING_MD.read_text()
    after = text[text.index("<!-- example: run by tests/test_strategies.py -->") :]
    code = python_blocks(after)[0].code
    namespace: dict[str, object] = {}
    exec(compile(code, str(FUZZING_MD), "exec"), namespace)
    leaks, accepted = namespace["leaks"], namespace["accepted"]
    assert isinstance(leaks, Counter) and isinstance(accepted, Counter)
    printed = capsys.readouterr().out
    assert (
        printed
        == f"leaked:  {dict(leaks.most_common())}\naccepted: {dict(accepted.most_common())}\n"
    )
    # What the page says botocore does. If botocore fixes these, update docs/fuzzing.md.
    assert {"builtins.KeyError", "struct.error", "builtins.UnicodeDecodeError"} <= set(leaks)
    assert "value-too-long" in accepted
