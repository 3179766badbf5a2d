"""Hypothesis strategies for event-stream values, messages, frames and streams.

Needs the ``hypothesis`` extra (``pip install 'eventstream[hypothesis]'``). Every strategy
reaches the extremes of its type: the ends of each integer width, empty and 32,767-byte
values, 255-byte names, timestamps a ``datetime`` cannot hold.
"""

from __future__ import annotations

import itertools
import uuid

from hypothesis import strategies as st

from ._codec import DEFAULT_MAX_HEADERS_LENGTH
from ._headers import (
    MAX_HEADER_NAME_BYTES,
    MAX_HEADER_VALUE_BYTES,
    Byte,
    HeaderValue,
    Integer,
    Long,
    Short,
    Timestamp,
)
from ._message import Message

__all__ = [
    "header_names",
    "header_values",
    "headers",
    "messages",
    "frames",
    "streams",
    "split_points",
]


def _signed(bits: int) -> st.SearchStrategy[int]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return st.one_of(st.sampled_from([low, -1, 0, 1, high]), st.integers(low, high))


def header_names(*, max_bytes: int = MAX_HEADER_NAME_BYTES) -> st.SearchStrategy[str]:
    """Valid header names: 1..255 UTF-8 bytes, any code points, including the longest."""
    names = st.text(min_size=1, max_size=max_bytes).filter(
        lambda name: (
            0 < len(name.encode("utf-8", "surrogatepass")) <= max_bytes
            and not any(0xD800 <= ord(c) <= 0xDFFF for c in name)
        )
    )
    return st.one_of(names, st.just("n" * max_bytes), st.sampled_from([":event-type", "é"]))


def _sized_text(max_bytes: int) -> st.SearchStrategy[str]:
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=64)
    edge = st.sampled_from(["", "x" * max_bytes, "é" * (max_bytes // 2)])
    return st.one_of(text, edge).filter(lambda s: len(s.encode("utf-8")) <= max_bytes)


def header_values(
    *, max_value_bytes: int = MAX_HEADER_VALUE_BYTES
) -> st.SearchStrategy[HeaderValue]:
    """Canonical values of all ten wire types, extremes included."""
    return st.one_of(
        st.booleans(),
        _signed(8).map(Byte),
        _signed(16).map(Short),
        _signed(32).map(Integer),
        _signed(64).map(Long),
        st.one_of(
            st.binary(max_size=64),
            st.sampled_from([b"", b"\x00" * max_value_bytes]),
        ),
        _sized_text(max_value_bytes),
        _signed(64).map(Timestamp),
        st.builds(uuid.UUID, int=st.integers(0, (1 << 128) - 1)),
    )


def headers(*, max_size: int = 12) -> st.SearchStrategy[dict[str, HeaderValue]]:
    """Header maps with unique names (wire order is the dict's order)."""
    return st.dictionaries(header_names(), header_values(), max_size=max_size)


def messages(
    *,
    max_headers: int = 12,
    max_payload: int = 512,
    max_headers_length: int = DEFAULT_MAX_HEADERS_LENGTH,
) -> st.SearchStrategy[Message]:
    """Valid messages: any headers, any payload (empty included).

    The header block stays within ``max_headers_length`` (the decoder's default limit), so
    every message decodes with default settings.
    """
    built = st.builds(Message, headers(max_size=max_headers), st.binary(max_size=max_payload))
    return built.filter(lambda m: len(m.header_block()) <= max_headers_length)


def frames(**kwargs: int) -> st.SearchStrategy[bytes]:
    """Encoded valid frames; keyword arguments go to :func:`messages`."""
    return messages(**kwargs).map(Message.encode)


def streams(
    *, max_messages: int = 8, **kwargs: int
) -> st.SearchStrategy[tuple[list[Message], bytes]]:
    """``(messages, their concatenated frames)``: a whole stream and what it must decode to."""
    return st.lists(messages(**kwargs), max_size=max_messages).map(
        lambda ms: (ms, b"".join(m.encode() for m in ms))
    )


def split_points(data: bytes, *, max_splits: int = 16) -> st.SearchStrategy[list[bytes]]:
    """Ways to cut ``data`` into consecutive slices (empty slices included)."""
    return st.lists(st.integers(0, len(data)), max_size=max_splits).map(
        lambda cuts: _cut(data, sorted(cuts))
    )


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]
