"""The docs tables are checked against the code's own tables, so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import eventstream as es
from tests.markdown import table_after

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_type_table_matches_header_types() -> None:
    text = (DOCS / "format.md").read_text()
    rows = table_after(text, "<!-- checked against eventstream.HEADER_TYPES")
    assert rows == [
        [str(t.type_id), t.name, t.python_type, _size(t), t.value_layout] for t in es.HEADER_TYPES
    ]


def _size(row: es.HeaderType) -> str:
    return "2 + length" if row.fixed_size is None else str(row.fixed_size)


def test_error_table_matches_the_classes() -> None:
    text = (DOCS / "format.md").read_text()
    rows = table_after(text, "<!-- checked against the classes exported")
    documented = {row[0].strip("`"): row[1] for row in rows}
    exported = {
        name: obj
        for name in es.__all__
        if isinstance(obj := getattr(es, name), type) and issubclass(obj, es.EventStreamError)
    }
    assert set(documented) == set(exported)
    for name, parents in documented.items():
        bases = [base.__name__ for base in exported[name].__bases__]
        assert [p.strip("` ") for p in parents.split(",")] == bases


def test_documented_limits_are_the_defaults() -> None:
    text = (DOCS / "format.md").read_text()
    figures = [int(n.replace(",", "")) for n in re.findall(r"\| ([\d,]+) bytes \(", text)]
    assert figures == [es.DEFAULT_MAX_PAYLOAD_LENGTH, es.DEFAULT_MAX_HEADERS_LENGTH]
