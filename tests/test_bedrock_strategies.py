"""The Bedrock-level strategies: typed streams with their answers, held against our reassembler,
the wire, and reassemblers with a planted bug that the strategies must find."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from eventstream import bedrock
from eventstream import bedrock_strategies as bs
from eventstream import strategies as ess
from tests.markdown import python_blocks, table_after

relaxed = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

VALID = st.one_of(
    ess.converse_streams(),
    ess.invoke_streams(),
    ess.converse_streams(interleave=True),
    ess.invoke_streams(interleave=True),
)


def _wire_events(drawn: bs.BedrockStream, chunks: Iterable[bytes] | None = None) -> list[Any]:
    source = [drawn.encode(seed=3)] if chunks is None else chunks
    return list(bedrock.events(source, drawn.stream, raise_exceptions=False))


# --- valid and interrupted streams: the whole answer -----------------------------------------


@settings(relaxed, max_examples=60)
@given(VALID)
def test_valid_streams_reassemble_to_the_expected_answer(drawn: bs.BedrockStream) -> None:
    assert drawn.expected is not None and drawn.complete and drawn.errors == ()
    result = bedrock.reassemble(drawn.events)
    assert result == drawn.expected
    assert drawn.matches(result)


@settings(relaxed, max_examples=40)
@given(st.data())
def test_streams_cross_the_wire_cut_anywhere(data: st.DataObject) -> None:
    drawn = data.draw(VALID | ess.interrupted_streams())
    chunks = data.draw(ess.split_points(drawn.encode(seed=3)))
    events = _wire_events(drawn, chunks)
    assert events == list(drawn.events)
    assert bedrock.reassemble(events) == drawn.expected


@settings(relaxed, max_examples=60)
@given(ess.interrupted_streams())
def test_an_exception_mid_stream_gives_the_answer_so_far(drawn: bs.BedrockStream) -> None:
    result = bedrock.reassemble(drawn.events)
    assert result == drawn.expected
    assert (len(result.errors), result.complete) == (1, False)
    assert (result.errors[0].type,) == drawn.errors


def _blocks(kind: type, drawn: bs.BedrockStream) -> list[Any]:
    assert drawn.expected is not None
    return [b for b in drawn.expected.content if isinstance(b, kind)]


def _empty_tool_piece(drawn: bs.BedrockStream) -> bool:
    pieces = [
        e.delta.input
        for e in drawn.events
        if isinstance(e, bedrock.ContentBlockDelta) and isinstance(e.delta, bedrock.ToolUseDelta)
    ]
    return "" in pieces and any(t.input for t in _blocks(bedrock.ToolUseBlock, drawn))


def _expected(drawn: bs.BedrockStream) -> bedrock.Reassembled:
    assert drawn.expected is not None
    return drawn.expected


#: What the answers must hold, each found within the default example count: the strategies
#: reach every part the docs promise, not only what reassembly happens to give.
def _some(kind: type, attribute: str) -> Callable[[bs.BedrockStream], bool]:
    return lambda d: any(getattr(b, attribute) for b in _blocks(kind, d))


def _has(part: str, name: str) -> Callable[[bs.BedrockStream], bool]:
    return lambda d: getattr(getattr(_expected(d), part), name, None) is not None


REACHED: list[tuple[str, Any, Callable[[bs.BedrockStream], bool]]] = [
    ("two tool calls", ess.converse_streams(), lambda d: len(_expected(d).tool_uses) >= 2),
    ("an empty piece of a tool input", ess.converse_streams(), _empty_tool_piece),
    ("signed reasoning", ess.converse_streams(), _some(bedrock.ReasoningBlock, "signature")),
    ("redacted reasoning", ess.invoke_streams(), _some(bedrock.ReasoningBlock, "redacted_content")),
    ("citations", ess.converse_streams(), _some(bedrock.TextBlock, "citations")),
    ("cache tokens", ess.converse_streams(), _has("usage", "cache_read_input_tokens")),
    ("invoke cache tokens", ess.invoke_streams(), _has("usage", "cache_write_input_tokens")),
    ("invocation metrics", ess.invoke_streams(),
     lambda d: "firstByteLatency" in getattr(_expected(d).metrics, "extra", {})),
    ("a stop sequence", ess.invoke_streams(), lambda d: _expected(d).stop_sequence is not None),
    ("an in-band error chunk", ess.interrupted_streams("invoke"),
     lambda d: _expected(d).errors[0].status_code is None),
    ("an unknown exception", ess.interrupted_streams("converse"),
     lambda d: isinstance(d.events[-1], bedrock.UnknownException)),
]  # fmt: skip

find_fast = settings(relaxed, phases=[Phase.generate], max_examples=300)  # found: no shrinking


@pytest.mark.parametrize(("what", "streams", "holds"), REACHED, ids=[r[0] for r in REACHED])
def test_the_strategies_reach(what: str, streams: Any, holds: Callable[..., bool]) -> None:
    find(streams, holds, settings=find_fast)


# --- malformed sequences: the labels ---------------------------------------------------------


@pytest.mark.parametrize("kind", list(bs.MALFORMATIONS))
@settings(relaxed, max_examples=25)
@given(data=st.data())
def test_malformed_streams_are_reported_as_labelled(kind: str, data: st.DataObject) -> None:
    drawn = data.draw(ess.malformed_streams(kinds=[kind]))
    assert drawn.kind == kind
    result = bedrock.reassemble(drawn.events)
    assert tuple(error.type for error in result.errors) == drawn.errors
    assert result.complete == drawn.complete
    assert drawn.matches(result)
    if drawn.expected is not None:
        assert result == drawn.expected
    if kind == "missing_block_stop":
        assert not all(tool.complete for tool in result.tool_uses)
    # Malformed or not, the events are valid frames: the wire carries them as they are.
    assert _wire_events(drawn) == list(drawn.events)


def test_the_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="block_kinds"):
        find(ess.converse_streams(block_kinds=["picture"]), lambda _: True)
    with pytest.raises(ValueError, match="kinds"):
        find(ess.malformed_streams(kinds=["late"]), lambda _: True)
    with pytest.raises(ValueError, match="stream"):
        find(ess.interrupted_streams("bidirectional-output"), lambda _: True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stream"):
        ess.bedrock_exceptions("nope")


# --- the typed classes: registered, and faithful on the wire ---------------------------------


def _typed_classes() -> list[type]:
    """What the registration must cover, found as it finds it: the dataclasses with ``extra``
    and the unions' fallbacks (``UnknownDelta``, ...), from ``eventstream.bedrock.__all__``."""
    exported = [getattr(bedrock, name) for name in bedrock.__all__]
    return [
        obj
        for obj in exported
        if isinstance(obj, type)
        and dataclasses.is_dataclass(obj)
        and (
            any(f.name == "extra" for f in dataclasses.fields(obj))
            or {f.name for f in dataclasses.fields(obj)} == {"member", "value"}
        )
    ]


@pytest.mark.parametrize("cls", _typed_classes(), ids=lambda c: c.__name__)
def test_every_typed_class_has_a_strategy(cls: type) -> None:
    assert isinstance(find(st.from_type(cls), lambda _: True, settings=find_fast), cls)


#: What decode_event gives back: the events of every union, its exceptions, unknown frames.
WIRE_CLASSES = [
    *dict.fromkeys(c for s in bedrock.STREAMS.values() for c in (*s.events, *s.exceptions)),
    bedrock.UnknownException,
    bedrock.ErrorFrame,
    bedrock.UnknownEvent,
]


@pytest.mark.parametrize("cls", WIRE_CLASSES, ids=lambda c: c.__name__)
@settings(relaxed, max_examples=25)
@given(data=st.data())
def test_registered_values_encode_and_decode_back_equal(cls: type, data: st.DataObject) -> None:
    event: Any = data.draw(st.from_type(cls))
    message = bedrock.encode_event(event, rng=random.Random(0))
    assert type(event) is cls
    stream: Any = event.stream if isinstance(event, bedrock.UnknownEvent) else None
    assert bedrock.decode_event(message, stream) == event


@pytest.mark.parametrize(
    "cls", [bedrock.ContentBlockDelta, bedrock.ContentBlockStart, bedrock.Metadata]
)
@settings(relaxed, max_examples=25)
@given(data=st.data())
def test_st_builds_works_on_the_json_typed_classes(cls: type, data: st.DataObject) -> None:
    event = data.draw(st.builds(cls))
    assert bedrock.decode_event(bedrock.encode_event(event, padding=False)) == event


def test_importing_without_hypothesis_names_the_extra() -> None:
    for module in ("eventstream.strategies", "eventstream.bedrock_strategies"):
        code = (
            "import sys\n"
            "sys.modules['hypothesis'] = None  # as if it were not installed\n"
            "try:\n"
            f"    import {module}\n"
            "except ImportError as exc:\n"
            "    print(type(exc).__name__, exc)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert out.startswith("ModuleNotFoundError ")  # an ImportError, as before
        assert "pip install 'eventstream[hypothesis]'" in out, out


# --- the proof: a reassembler with a planted bug is caught -----------------------------------


def _merges_tool_inputs(events: Iterable[Any]) -> bedrock.Reassembled:
    """Puts every tool call's JSON into the first tool call's block."""
    first: int | None = None
    out = []
    for event in events:
        if isinstance(event, bedrock.ContentBlockDelta) and isinstance(
            event.delta, bedrock.ToolUseDelta
        ):
            first = event.content_block_index if first is None else first
            out.append(dataclasses.replace(event, content_block_index=first))
        else:
            out.append(event)
    return bedrock.reassemble(out)


def _drops_the_last_text_delta(events: Iterable[Any]) -> bedrock.Reassembled:
    events = list(events)
    text = [
        n for n, e in enumerate(events) if isinstance(getattr(e, "delta", None), bedrock.TextDelta)
    ]
    return bedrock.reassemble([e for n, e in enumerate(events) if not text or n != text[-1]])


def _ignores_the_block_index(events: Iterable[Any]) -> bedrock.Reassembled:
    """Files every delta and stop under the block that started (or was written to) last."""
    current = 0
    out = []
    for event in events:
        if isinstance(event, bedrock.ContentBlockStart):
            current = event.content_block_index
        elif isinstance(event, bedrock.ContentBlockDelta | bedrock.ContentBlockStop):
            out.append(dataclasses.replace(event, content_block_index=current))
            continue
        out.append(event)
    return bedrock.reassemble(out)


def _drops_signature_deltas(events: Iterable[Any]) -> bedrock.Reassembled:
    return bedrock.reassemble(
        e
        for e in events
        if not (isinstance(e, bedrock.Chunk) and b"signature_delta" in (e.bytes or b""))
    )


#: hypothesis's own default, whatever profile a CI run loads.
DEFAULT_EXAMPLES = settings.get_profile("default").max_examples

PLANTED = [
    (_merges_tool_inputs, ess.converse_streams()),
    (_drops_the_last_text_delta, ess.converse_streams()),
    (_ignores_the_block_index, ess.converse_streams(interleave=True)),
    (_drops_signature_deltas, ess.invoke_streams()),
]


def _property(
    reassemble: Callable[[Iterable[Any]], bedrock.Reassembled],
    streams: Any,
    tried: list[bool],
) -> Callable[[], None]:
    """The property a user writes, run as CI would: derandomized, no example database, the
    default example count. (Not shrunk: finding is the claim, and shrinking a stream to its
    smallest failing form takes longer than finding it.)"""

    @settings(
        max_examples=DEFAULT_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(streams)
    def reassembles_correctly(drawn: bs.BedrockStream) -> None:
        ok = reassemble(drawn.events) == drawn.expected
        tried.append(ok)
        assert ok, drawn.description

    run: Callable[[], None] = reassembles_correctly
    return run


@pytest.mark.parametrize(
    ("broken", "streams"), PLANTED, ids=[broken.__name__.strip("_") for broken, _ in PLANTED]
)
def test_the_planted_bug_is_found_within_the_default_example_count(
    broken: Callable[[Iterable[Any]], bedrock.Reassembled], streams: Any
) -> None:
    tried: list[bool] = []
    with pytest.raises(AssertionError):
        _property(broken, streams, tried)()
    first_failure = tried.index(False) + 1
    print(f"{broken.__name__}: found at example {first_failure} of {DEFAULT_EXAMPLES}")
    assert first_failure <= DEFAULT_EXAMPLES == 100
    # ...and the same property passes with the correct reassembler.
    passed: list[bool] = []
    _property(bedrock.reassemble, streams, passed)()
    assert passed and all(passed)


# --- docs/fuzzing.md --------------------------------------------------------------------------

FUZZING_MD = Path(__file__).resolve().parent.parent / "docs" / "fuzzing.md"
SECTION = "## Bedrock-level strategies"


def _section() -> str:
    text = FUZZING_MD.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else None]


def test_docs_malformations_table_is_the_code() -> None:
    rows = table_after(
        _section(), "<!-- checked against eventstream.bedrock_strategies.MALFORMATIONS"
    )
    assert [row[0].strip("`") for row in rows] == list(bs.MALFORMATIONS)


def test_docs_bedrock_examples_run() -> None:
    blocks = python_blocks(_section())
    assert len(blocks) == 3
    for block in blocks:
        namespace: dict[str, Any] = {"__name__": "fuzzing_md"}
        if "my_reassemble" not in block.code:
            exec(block.compiled(str(FUZZING_MD)), namespace)
            tests = [f for name, f in namespace.items() if name.startswith("test_")]
            assert tests
            for test in tests:
                test()
        else:
            _run_the_planted_bug(block, namespace)


def _run_the_planted_bug(block: Any, namespace: dict[str, Any]) -> None:
    """The page's planted bug: found within the default example count (not shrunk: found is
    what is checked, and the shrinking the page shows takes seconds more)."""
    current = settings.get_current_profile_name()
    unshrunk = settings(settings.get_profile(current), phases=[Phase.explicit, Phase.generate])
    settings.register_profile("docs-unshrunk", unshrunk)
    settings.load_profile("docs-unshrunk")  # before the block's @settings is made
    try:
        exec(block.compiled(str(FUZZING_MD)), namespace)
        found: list[bool] = []
        broken = namespace["my_reassemble"]

        def counted(events: Any) -> Any:
            result = broken(events)
            found.append(result.tool_uses != bedrock.reassemble(events).tool_uses)
            return result

        namespace["my_reassemble"] = counted
        with pytest.raises(AssertionError):
            namespace["test_my_tool_calls"]()
    finally:
        settings.load_profile(current)
    found_at = found.index(True) + 1
    print(f"docs/fuzzing.md's planted bug: found at example {found_at}")
    assert found_at <= DEFAULT_EXAMPLES
