"""Differential testing against botocore's EventStreamBuffer (tests/fuzz/differential.py).

The full run (100,000 inputs) and its figures are in docs/reliability.md; CI runs 2,000
generated inputs and a few hundred corruptions drawn by eventstream.strategies.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import eventstream as es
from eventstream import strategies as ess
from tests.support import frame, header, string_header

differential = pytest.importorskip("tests.fuzz.differential")


def test_generated_inputs_show_no_unexplained_disagreement() -> None:
    report = differential.run(2000, seed=20240601)
    assert report.unexplained == []
    assert report.cases == 2000
    # Not vacuous: inputs both accept, both reject, and ones only botocore accepts.
    assert report.outcomes["both accept every frame"] > 100
    assert report.outcomes["both reject"] > 100
    assert report.outcomes["botocore accepts a frame we reject"] > 10
    assert set(report.rules) <= set(differential.RULE_ERRORS)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ess.corruptions())
def test_corruptions_show_no_unexplained_disagreement(corruption: ess.Corruption) -> None:
    if corruption.limits:  # botocore has no configurable limits to compare with
        return
    report = differential.Report()
    differential.compare(corruption.data, report)
    assert report.unexplained == []


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ess.streams(max_messages=4))
def test_valid_streams_decode_identically(stream: tuple[list[es.Message], bytes]) -> None:
    _, data = stream
    report = differential.Report()
    differential.compare(data, report)
    assert report.outcomes == {"both accept every frame": 1}


# The independent spec check that classifies "botocore accepts, we reject", on frames laid out
# by hand (tests/support.py), each breaking one rule.
RULE_CASES = [
    ("T < 16", frame(total=12)),
    ("H > T - 16", frame(header(b"a", 0), headers_length=4)),
    ("empty header name", frame(header(b"", 0))),
    ("header name or type past the block", frame(b"\x05ab")),
    ("header name not UTF-8", frame(header(b"\xff", 0))),
    ("unknown header type", frame(header(b"a", 10))),
    ("header value past the block", frame(header(b"a", 6, b"\x00\x09ab"))),
    ("header value past the block", frame(header(b"a", 9, b"\x00" * 15))),
    ("header value over 32767 bytes", frame(string_header(b"a", b"v" * 32768))),
    ("string value not UTF-8", frame(string_header(b"a", b"\xc0"))),
    ("duplicate header name", frame(header(b"a", 0) + header(b"a", 1))),
    (None, frame(header(b"a", 0) + string_header(b"b", b"\xc3\xa9"), b"payload")),
]


@pytest.mark.parametrize(("rule", "data"), RULE_CASES)
def test_spec_rule_names_the_broken_rule(rule: str | None, data: bytes) -> None:
    assert differential.spec_rule(data) == rule
    # And the error we raise is the one the table expects for that rule.
    if rule is None:
        es.decode(data)
        return
    error, problem = differential.RULE_ERRORS[rule]
    with pytest.raises(error) as caught:
        es.decode(data)
    assert type(caught.value) is error
    assert getattr(caught.value, "problem", None) == problem
