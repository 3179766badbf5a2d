"""The capture tools decode once and parse each payload once (issue 10, item 5)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import eventstream as es
from eventstream import cli


def _counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"loads": 0, "decoders": 0}
    real_loads, real_init = json.loads, es.Decoder.__init__

    def loads(*args: Any, **kwargs: Any) -> Any:
        counts["loads"] += 1
        return real_loads(*args, **kwargs)

    def init(self: es.Decoder, *args: Any, **kwargs: Any) -> None:
        counts["decoders"] += 1
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(json, "loads", loads)
    monkeypatch.setattr(es.Decoder, "__init__", init)
    return counts


@pytest.mark.parametrize("view", ["--json", "--table", "--summary"])
def test_decode_bedrock_parses_each_payload_once_in_one_pass(
    monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    counts = _counted(monkeypatch)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["decode", "--bedrock", view, "--sample"], stdout=out, stderr=err)
    assert code == cli.EXIT_OK, err.getvalue()
    # The sample: 15 chunk frames, one tool call whose input is parsed once reassembled.
    chunks, tool_calls = 15, 1
    assert counts["decoders"] == 1
    assert counts["loads"] <= 2 * chunks + tool_calls, counts
    if view == "--json":
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        assert sum("frame" in line for line in lines) == chunks


def test_the_count_would_see_a_second_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = _counted(monkeypatch)
    json.loads("{}")
    es.Decoder()
    assert counts == {"loads": 1, "decoders": 1}
