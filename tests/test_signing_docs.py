"""docs/signing.md: its example runs, prints what it says, and its reason table is the code's."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import eventstream as es
from eventstream import signing
from tests.markdown import python_blocks, table_after

DOC = Path(__file__).resolve().parent.parent / "docs" / "signing.md"


def test_the_example_runs_and_prints_what_it_says() -> None:
    blocks = [block.code for block in python_blocks(DOC.read_text())]
    assert len(blocks) == 2
    namespace: dict[str, object] = {"__name__": "docs_signing_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)

    events, received = namespace["events"], namespace["received"]
    assert isinstance(events, list) and len(events) == 2
    assert received == events
    caught = namespace["caught"]
    assert isinstance(caught, signing.SignatureError)
    assert isinstance(caught, es.EventStreamError)
    assert (caught.reason, caught.frame_index, caught.frame_offset) == ("bad-signature", 0, 0)

    # The body is the two envelopes and the end frame, each chained on the botocore seed.
    body = namespace["body"]
    assert isinstance(body, bytes)
    envelopes = list(es.iter_messages([body]))
    assert [len(m.payload) > 0 for m in envelopes] == [True, True, False]
    assert [es.decode(m.payload) for m in envelopes[:2]] == events

    # Each print() in the example says in a comment what it prints.
    promised = [
        line.split("  # ", 1)[1]
        for block in blocks
        for line in block.splitlines()
        if line.startswith("print(")
    ]
    assert out.getvalue().splitlines() == promised


def test_reason_table_matches_the_code() -> None:
    rows = table_after(DOC.read_text(), "<!-- checked against eventstream.signing.REASONS")
    documented = {cells[0].strip("`"): cells[1] for cells in rows}
    assert documented == dict(signing.REASONS)
