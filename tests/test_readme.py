"""README.md: every ```python block runs, its asserts hold, and its prints print what they say.

The blocks run in README order in one namespace, as a reader would run them in one session.
The namespace is prepared once with the few names the blocks take as given (``pieces``,
``response_body``), built from real frames by the package's encoders. A ``print(...)`` line
with a comment must print that comment: all of it, its tail when the print starts with a
label (``print("retry later:", ...)   # True 429``), or its start when it ends with ``...``.
A new block is picked up without a change here; a name it takes as given goes in
``_prepared()``.
"""

from __future__ import annotations

import builtins
import io
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock
from tests.markdown import PythonBlock, python_blocks

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = python_blocks(README.read_text())

# --- what the blocks take as given -----------------------------------------------------------

#: A Converse answer cut short by throttling, as Bedrock sends it (padding fixed, not random).
BEDROCK_EVENTS: list[bedrock.TypedEvent] = [
    bedrock.MessageStart(role="assistant"),
    bedrock.ContentBlockDelta(content_block_index=0, delta=bedrock.TextDelta(text="Hello")),
    bedrock.ContentBlockDelta(content_block_index=0, delta=bedrock.TextDelta(text=", world")),
    bedrock.ThrottlingException("Too many requests, please wait before trying again."),
]
BEDROCK_MESSAGES = [
    bedrock.encode_event(e, padding=bedrock.PADDING_ALPHABET[:11]) for e in BEDROCK_EVENTS
]
BEDROCK_STREAM = b"".join(m.encode() for m in BEDROCK_MESSAGES)

#: Raw frames of every kind for the decoder block: Bedrock's, an empty one, all header types.
RAW_MESSAGES = [
    *BEDROCK_MESSAGES,
    es.Message(),
    es.Message(
        {"t": True, "b": es.Byte(-1), "s": es.Short(300), "l": es.Long(1 << 40), "y": b"\x00"},
        bytes(range(256)),
    ),
]
RAW_STREAM = b"".join(m.encode() for m in RAW_MESSAGES)


def _network_pieces(data: bytes, sizes: tuple[int, ...] = (1, 7, 12, 30, 64)) -> list[bytes]:
    """``data`` in slices that cut preludes, headers and payloads, as network reads do."""
    ends = itertools.accumulate(itertools.cycle(sizes))
    cuts = [0, *itertools.takewhile(lambda end: end < len(data), ends), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def _prepared() -> dict[str, Any]:
    """The names the README's blocks use without defining them."""
    return {
        "__name__": "readme",
        "pieces": _network_pieces(RAW_STREAM),
        "response_body": io.BytesIO(BEDROCK_STREAM),  # what an HTTP client's body reads like
    }


# --- running the README once -----------------------------------------------------------------


@dataclass
class Ran:
    """What one block did: what each of its lines printed, its error, the names after it."""

    block: PythonBlock
    printed: dict[int, list[str]] = field(default_factory=dict)
    error: Exception | None = None
    names: dict[str, Any] = field(default_factory=dict)


def _run_readme() -> list[Ran]:
    namespace = _prepared()
    runs: list[Ran] = []

    def recording_print(*args: Any, sep: str | None = " ", end: str | None = "\n") -> None:
        # print() as usual, but kept by the README line it was called from.
        text = io.StringIO()
        builtins.print(*args, sep=sep, end=end, file=text)
        line = sys._getframe(1).f_lineno
        runs[-1].printed.setdefault(line, []).append(text.getvalue().removesuffix("\n"))

    namespace["print"] = recording_print
    for block in BLOCKS:
        runs.append(Ran(block))
        try:
            exec(block.compiled(str(README)), namespace)
        except Exception as exc:  # reported by the block's own test
            runs[-1].error = exc
        runs[-1].names = dict(namespace)
    return runs


@pytest.fixture(scope="module")
def runs() -> list[Ran]:
    return _run_readme()


def _ran(runs: list[Ran], snippet: str) -> Ran:
    """The run of the one block whose code contains ``snippet``."""
    found = [ran for ran in runs if snippet in ran.block.code]
    assert len(found) == 1, f"README.md: expected one python block with {snippet!r}"
    return found[0]


def _promises(block: PythonBlock) -> dict[int, str]:
    """README line → the comment of each ``print(...)  # comment`` line of the block."""
    promised = {}
    for number, line in enumerate(block.code.splitlines(), start=block.line):
        code, hash_, comment = line.partition("  # ")
        if hash_ and code.strip().startswith("print("):
            promised[number] = comment.strip()
    return promised


def _keeps(printed: str, promise: str) -> bool:
    if promise.endswith("..."):
        return printed.startswith(promise.removesuffix("...").rstrip())
    return printed == promise or printed.endswith(" " + promise)


# --- the tests -------------------------------------------------------------------------------


def test_the_readme_has_its_python_blocks() -> None:
    assert len(BLOCKS) >= 3
    assert all(block.code.strip() for block in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[f"line{b.line}" for b in BLOCKS])
def test_block_runs_and_prints_what_it_says(runs: list[Ran], index: int) -> None:
    ran = runs[index]
    if ran.error is not None:
        raise ran.error
    for line, promise in _promises(ran.block).items():
        outputs = ran.printed.get(line)
        assert outputs, f"README.md:{line}: this print() never ran"
        for printed in outputs:
            assert _keeps(printed, promise), f"README.md:{line}: printed {printed!r}"


def test_every_given_name_is_used_by_a_block() -> None:
    given = set(_prepared()) - {"__name__"}
    unused = {name for name in given if not any(name in b.code for b in BLOCKS)}
    assert not unused, f"no README block uses {unused}: drop them from _prepared()"


def test_the_one_frame_block_keeps_the_wire_type(runs: list[Ran]) -> None:
    names = _ran(runs, "es.decode(frame)").names
    count = names["message"].headers["count"]
    assert type(count) is es.Short and repr(count) == "Short(3)"
    assert names["message"] == es.decode(names["frame"])


def test_the_decoder_block_decodes_every_piece(runs: list[Ran]) -> None:
    names = _ran(runs, "decoder.feed(piece)").names
    decoder = names["decoder"]
    assert len(names["pieces"]) > len(RAW_MESSAGES)  # frames really were cut
    assert (decoder.offset, decoder.frame_index, decoder.pending) == (
        len(RAW_STREAM),
        len(RAW_MESSAGES),
        0,
    )
    assert names["message"] == RAW_MESSAGES[-1]  # the loop saw every message, the last too
    with pytest.raises(es.DecoderStateError):  # the block closed it
        decoder.feed(b"")


def test_the_bedrock_block_reads_the_events_and_reassembles_them(runs: list[Ran]) -> None:
    ran = _ran(runs, "bedrock.reassemble(events)")
    names = ran.names
    assert names["events"] == BEDROCK_EVENTS
    result = names["result"]
    assert result == bedrock.reassemble(BEDROCK_EVENTS)
    assert (result.text, result.stop_reason, result.complete) == ("Hello, world", None, False)
    assert [error.type for error in result.errors] == ["throttlingException"]
    # The print without a comment prints what the result holds.
    (line,) = [n for n, outputs in ran.printed.items() if outputs == ["Hello, world None None"]]
    assert "print(result.text" in README.read_text().splitlines()[line - 1]
