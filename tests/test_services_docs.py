"""docs/services.md: its stream table is the STREAMS tables, and its examples run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventstream import awslambda, sagemaker
from eventstream.bedrock import agent
from tests.markdown import python_blocks, table_after

DOC = Path(__file__).resolve().parent.parent / "docs" / "services.md"


def test_the_stream_table_is_the_streams_tables() -> None:
    expected = [
        [
            f"`{s.name}`",
            s.operation,
            f"`{s.http_path}`",
            ", ".join(f"`{c.event_type}`" for c in sorted(s.events, key=lambda c: c.event_type)),
        ]
        for layer in (agent, sagemaker, awslambda)
        for s in layer.STREAMS.values()
    ]
    assert table_after(DOC.read_text(), "<!-- generated from the STREAMS tables") == expected


def test_the_examples_run_in_order() -> None:
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 10  # one a stream at least, and the helpers
    namespace: dict[str, Any] = {"__name__": "services_doc"}
    for block in blocks:
        exec(block.compiled(str(DOC)), namespace)  # the page's own examples
