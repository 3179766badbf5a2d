"""docs/signing.md: its example runs, prints what it says, and its reason table is the code's."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import eventstream as es
from eventstream import signing

DOC = Path(__file__).resolve().parent.parent / "docs" / "signing.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_example_runs_and_prints_what_it_says() -> None:
    blocks = _python_blocks(DOC.read_text())
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
    text = DOC.read_text()
    marker = "<!-- checked against eventstream.signing.REASONS"
    block = text[text.index(marker) :].split("\n\n")[0]
    rows = [line for line in block.splitlines() if line.startswith("|")][2:]
    documented = {
        cells[0].strip("`"): cells[1]
        for cells in ([c.strip() for c in row.strip("|").split("|")] for row in rows)
    }
    assert documented == dict(signing.REASONS)
