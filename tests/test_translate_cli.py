"""``eventstream decode --to anthropic|openai`` (issue 14, item 6): the console script
prints the translated SSE; the vendors' SSE readers and our reassembly agree on it, and the
exit status says whether the stream was whole."""

from __future__ import annotations

import pytest

from eventstream import bedrock as br
from eventstream import samples
from eventstream import translate as tr
from eventstream.sse import decode_sse
from tests.cli_support import run
from tests.test_translate_support import anthropic_view, openai_view


@pytest.mark.parametrize("name", list(samples.SAMPLES))
@pytest.mark.parametrize("to", ["anthropic", "openai"])
def test_decode_to_prints_the_translated_stream(name: str, to: str) -> None:
    done = run("decode", "--sample", name, "--to", to)
    original = br.reassemble(br.events(samples.sample_bytes(name), "auto", raise_exceptions=False))
    assert done.returncode == (0 if original.complete else 3), done.stderr
    events = decode_sse(done.stdout)  # well-formed SSE, ending with its blank line
    reader = tr.from_anthropic if to == "anthropic" else tr.from_openai
    back = br.reassemble(reader([done.stdout]))
    view = anthropic_view if to == "anthropic" else openai_view
    if original.complete:
        assert view(back) == view(original)
        last = events[-1]
        assert (last.event, last.data) in (
            ("message_stop", '{"type":"message_stop"}'),
            ("message", "[DONE]"),
        )
    else:  # cut by an exception: the text so far, then the error, and no clean end
        assert back.text == original.text
        assert "error" in events[-1].data and "[DONE]" not in events[-1].data


def test_a_corrupt_capture_ends_in_an_error_event_and_exit_1(tmp_path: object) -> None:
    data = samples.sample_bytes("converse_tool_use")
    done = run("decode", "-", "--to", "anthropic", stdin=data[:-5])
    assert done.returncode == 1
    events = decode_sse(done.stdout)
    assert events[-1].event == "error" and "message_stop" not in {e.event for e in events}
    assert b"truncated" in done.stderr.lower() or b"ended" in done.stderr.lower()


def test_to_needs_a_bedrock_runtime_stream() -> None:
    done = run("decode", "--sample", "--to", "openai", "--stream", "agent")
    assert done.returncode == 2
    assert b"--to translates Bedrock Runtime streams" in done.stderr
