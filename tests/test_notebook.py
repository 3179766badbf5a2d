"""Notebook helpers: rich reprs, to_dataframe, and the example notebook run by a real kernel."""

from __future__ import annotations

import base64
import copy
import doctest
import errno
import html.parser
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream import notebook
from eventstream.samples import sample_bytes
from tests.support import shared_path
from tests.test_cli_hostile import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebooks" / "decode-a-capture.ipynb"
SAMPLE = sample_bytes("claude_invoke_tool_use")
ANSWER = "I'll check the current weather in Paris for you."


class _Balance(html.parser.HTMLParser):
    """Checks that every opened element is closed, in order (void elements aside)."""

    VOID = frozenset({"br"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html_text(markup: str) -> str:
    """The text of well-formed markup (fails if an element is left open or closed twice)."""
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    assert parser.stack == [], parser.stack
    return "".join(parser.text)


# --- decode_capture and DecodedStream -------------------------------------------------------


def test_a_decoded_sample_shows_its_frames_and_answer() -> None:
    stream = notebook.decode_capture(sample="claude_invoke_tool_use")
    assert repr(stream) == (
        "DecodedStream(15 frames, 4,479 bytes, invoke stream, complete, "
        f'text "{ANSWER}", tool calls: get_weather)'
    )
    assert len(stream) == 15 and stream[6].event_name == "content_block_start"
    assert [f.index for f in stream] == list(range(15))
    assert stream.messages[0] == es.decode(SAMPLE[:652])
    assert all(isinstance(e, br.Chunk) for e in stream.events)
    text = _html_text(stream._repr_html_())
    assert "15 frames" in text and "Bedrock stream: invoke" in text
    assert '[1] input_json_delta \'{"location": "Par\'' in text
    assert "Reassembled (invoke stream, complete)" in text
    assert ANSWER in text and '"location": "Paris, France"' in text
    assert "inputTokenCount=402" in text


def test_a_truncated_capture_keeps_its_frames_and_shows_the_fault() -> None:
    stream = notebook.decode_capture(SAMPLE[:2000])
    assert isinstance(stream.fault, es.TruncatedError) and len(stream) == 6
    assert "fault: TruncatedError at byte 2000" in repr(stream)
    text = _html_text(stream._repr_html_())
    assert "TruncatedError: frame 6, byte 2000: the stream ended after 91" in text
    assert "6 frames (1,909 bytes) decoded before it" in text
    assert "incomplete: the stream ended before its last event" in text


def test_decode_capture_sources_and_options(tmp_path: Path) -> None:
    path = tmp_path / "capture.hex"
    path.write_bytes(SAMPLE.hex(" ").encode())
    from_path = notebook.decode_capture(path)
    assert from_path.input_format == "hex" and from_path.reassembled is not None
    assert notebook.decode_capture(str(path)).frames == from_path.frames
    plain = notebook.decode_capture(SAMPLE, stream=None)
    assert plain.reassembled is None and plain.events == [] and plain.stream is None
    vector = shared_path("vectors", "aws-sdk-go", "encoded", "positive", "all_headers")
    untyped = notebook.decode_capture(vector.read_bytes())  # no Bedrock events: no typing
    assert untyped.reassembled is None and len(untyped) == 1
    converse = notebook.decode_capture(sample="converse_tool_use", stream="converse")
    assert converse.reassembled is not None and converse.reassembled.text == ANSWER
    with pytest.raises(ValueError, match="not both"):
        notebook.decode_capture(SAMPLE, sample="converse_tool_use")
    with pytest.raises(FileNotFoundError, match=r"pass it as bytes"):
        notebook.decode_capture(SAMPLE.hex())
    with pytest.raises(es.EventStreamError, match="not hex text"):
        notebook.decode_capture(b"zz", input_format="hex")


def test_a_bad_sample_name_or_path_is_reported_plainly(tmp_path: Path) -> None:
    names = "claude_invoke_tool_use, converse_tool_use, claude_invoke_stream_error"
    for call in (lambda: notebook.decode_capture(sample="nope"), lambda: sample_bytes("nope")):
        with pytest.raises(ValueError, match=f"no sample 'nope'; the samples are {names}$"):
            call()
    # open() raises ValueError for a NUL; it is a file that cannot exist, as the OS says it.
    with pytest.raises(FileNotFoundError, match="no path holds a NUL character") as caught:
        notebook.decode_capture(SAMPLE.decode("latin-1"))  # a capture's bytes, as a str
    assert caught.value.errno == errno.ENOENT
    with pytest.raises(FileNotFoundError, match="the path holds a NUL character"):
        notebook.decode_capture(tmp_path / "a\0b")
    # A path os.fsdecode() kept undecodable bytes in cannot be hex text: the OS's own error.
    with pytest.raises(FileNotFoundError, match="No such file") as caught:
        notebook.decode_capture(str(tmp_path / "\udcff"))
    # The hex-text hint is for a missing file only, not for a directory.
    (tmp_path / "abcd").mkdir()
    with pytest.raises(IsADirectoryError):
        notebook.decode_capture(str(tmp_path / "abcd"))


def test_a_har_entry_is_chosen_by_number() -> None:
    def entry(url: str, data: bytes) -> dict[str, Any]:
        content = {
            "mimeType": "application/vnd.amazon.eventstream",
            "encoding": "base64",
            "text": base64.b64encode(data).decode(),
        }
        return {"request": {"method": "POST", "url": url}, "response": {"content": content}}

    har = json.dumps({"log": {"entries": [
        entry("https://h/model/m/invoke-with-response-stream", SAMPLE),
        entry("https://h/model/m/converse-stream", sample_bytes("converse_tool_use")),
    ]}}).encode()  # fmt: skip
    assert notebook.decode_capture(har).stream == "invoke"
    second = notebook.decode_capture(har, entry=1)
    assert second.stream == "converse" and second.body.label is not None
    assert "entry 1: POST https://h/model/m/converse-stream" in _html_text(second._repr_html_())
    with pytest.raises(es.EventStreamError, match="its event streams are entries 0, 1"):
        notebook.decode_capture(har, entry=2)


def test_html_rows_are_capped_and_text_is_escaped() -> None:
    hostile = es.Message(
        {":message-type": "event", ":event-type": "<b>x</b>"}, b"<script>1</script>"
    )
    stream = notebook.decode_capture(hostile.encode() * (notebook.MAX_HTML_ROWS + 5), stream=None)
    markup = stream._repr_html_()
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    text = _html_text(markup)
    assert "… 5 more frames (to_dataframe() has them all)" in text
    assert markup.count("<tr>") == notebook.MAX_HTML_ROWS + 2  # heading, rows, the "more" row


def test_core_objects_render_in_notebooks() -> None:
    message = es.Message(
        {":event-type": "<chunk>", "n": es.Short(3), "id": b"\x00"}, b'{"a":"<&>"}'
    )
    text = _html_text(message._repr_html_())
    assert "<chunk>" in text and "short" in text and "Short(3)" in text and '{"a":"<&>"}' in text
    event = br.ContentBlockDelta(content_block_index=2, delta=br.TextDelta(text="<hi>"))
    assert "TextDelta(text='<hi>')" in _html_text(event._repr_html_())
    throttled = br.ThrottlingException("slow <down>", frame_index=5, offset=1718)
    text = _html_text(throttled._repr_html_())
    assert "throttlingException" in text and "429" in text and "yes" in text
    assert "slow <down>" in text and "5 (byte 1718)" in text
    unknown = br.decode_event(es.Message({":message-type": "event", ":event-type": "z"}), "invoke")
    assert "UnknownEvent 'z' (not in the invoke union)" in _html_text(unknown._repr_html_())


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bedrock_streams_display_and_tabulate(name: str) -> None:
    # Well-framed streams whose payloads lie about their shape (built in test_cli_hostile.py), typed
    # against every union: nothing but an EventStreamError may come out, and none does here.
    pandas = importlib.util.find_spec("pandas") is not None
    data = HOSTILE[name]
    for stream_name in ("auto", "invoke", "converse", "bidirectional-output", None):
        try:
            stream = notebook.decode_capture(data, stream=stream_name)  # type: ignore[arg-type]
        except es.EventStreamError:  # allowed, though a fault is kept rather than raised
            continue
        if stream.fault is None:
            assert stream.bytes_decoded == len(data), stream_name
        else:  # the cut-short ones: every frame before the cut is kept
            assert isinstance(stream.fault, es.TruncatedError) and "cut short" in name
            assert stream.fault.offset == len(data) > stream.bytes_decoded
        text = _html_text(stream._repr_html_())
        assert f"{len(stream)} frames" in text and repr(stream).startswith("DecodedStream(")
        if stream.reassembled is not None:
            assert "Reassembled (" in text
            misfits = [f for f in stream if f.event_error is not None]
            assert len(stream.events) == len(stream) - len(misfits)
        if pandas:
            table = stream.to_dataframe()
            assert list(table.index) == [f.index for f in stream]
            if stream.reassembled is not None:
                assert list(table["detail"]) == [f.event_detail() for f in stream]


# --- to_dataframe ---------------------------------------------------------------------------


def test_to_dataframe_has_one_row_per_frame() -> None:
    pytest.importorskip("pandas", reason="to_dataframe needs the notebook extra (pandas)")
    stream = notebook.decode_capture(sample="claude_invoke_tool_use")
    frames = notebook.to_dataframe(stream)
    assert list(frames.index) == list(range(15)) and frames.index.name == "frame"
    assert list(frames["offset"]) == [f.offset for f in stream.frames]
    assert frames["length"].sum() == len(SAMPLE)
    assert set(frames["event_type"]) == {"chunk"}
    assert frames.loc[13, "detail"] == "stop_reason=tool_use output_tokens=71"
    assert frames.loc[0, "headers"] == {
        ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event",
    }  # fmt: skip
    assert frames.loc[0, "payload"] == stream.messages[0].payload
    assert isinstance(frames.loc[0, "event"], br.Chunk)
    assert frames.attrs["fault"] is None
    # The same from bytes, and plain frames from messages.
    cut = notebook.to_dataframe(SAMPLE[:2000])
    assert len(cut) == 6 and cut.attrs["fault"].startswith("frame 6, byte 2000")
    plain = notebook.to_dataframe(stream.messages[:3])
    assert list(plain["offset"]) == [0, 652, 899] and "event" not in plain.columns
    assert stream.to_dataframe().equals(frames)


def test_to_dataframe_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def no_pandas(name: str, package: str | None = None) -> Any:
        if name == "pandas":
            raise ModuleNotFoundError("No module named 'pandas'")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'eventstream\[notebook\]'"):
        notebook.to_dataframe(SAMPLE)
    # The rest of the module works without pandas.
    assert notebook.decode_capture(SAMPLE).reassembled is not None
    assert "pandas" not in notebook.__dict__  # imported when called, not at import time


# --- the example notebook, run by a real kernel ---------------------------------------------


def _outputs(cell: Any) -> list[dict[str, Any]]:
    """A cell's outputs without what changes from run to run."""
    kept = []
    for output in cell.get("outputs", []):
        stable = copy.deepcopy(dict(output))
        stable.pop("execution_count", None)
        stable.pop("metadata", None)
        kept.append(stable)
    return kept


def test_the_example_notebook_runs_and_shows_the_answer(tmp_path: Path) -> None:
    for module in ("nbclient", "nbformat", "ipykernel", "pandas", "matplotlib"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: pip install 'eventstream[notebook,plot]'")
    nbclient = importlib.import_module("nbclient")
    nbformat = importlib.import_module("nbformat")

    stored = nbformat.read(NOTEBOOK, as_version=4)
    fresh = copy.deepcopy(stored)
    # The capture the timeline cells read, beside the notebook in docs/.
    shutil.copy(NOTEBOOK.parent / "claude-invoke-paced.pcap", tmp_path)
    client = nbclient.NotebookClient(
        fresh, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    code = [cell for cell in fresh.cells if cell.cell_type == "code"]

    def shown(cell: Any, kind: str) -> str:
        out = []
        for output in cell.outputs:
            if output.output_type == "stream":
                out.append(output.text)
            elif kind in output.get("data", {}):
                out.append(output["data"][kind])
        return "".join(out)

    first = shown(code[0], "text/html")
    assert "Reassembled (invoke stream, complete)" in _html_text(first)
    assert "<table>" in first and "content_block_delta" in first
    assert "event_name" in shown(code[1], "text/html")  # the DataFrame
    answer = shown(code[3], "text/plain")
    assert ANSWER in answer
    assert "get_weather {'location': 'Paris, France', 'unit': 'celsius'}" in answer
    assert "stop reason: tool_use" in answer
    assert "TruncatedError" in _html_text(shown(code[4], "text/html"))
    assert "frame 6, byte 2000" in shown(code[5], "text/plain")
    assert "first token 681 ms · 71 output tokens" in shown(code[6], "text/plain")
    assert "image/png" in code[7].outputs[0]["data"]  # the timeline, drawn
    assert "200 application/vnd.amazon.eventstream" in shown(code[8], "text/plain")
    # The outputs stored in docs/ are what a run gives (pandas' HTML and matplotlib's pixels
    # vary by version).
    for before, after in zip(stored.cells, fresh.cells, strict=True):
        if not {"dataframe", "figure"} & set(before.metadata.get("tags", [])):
            assert _outputs(before) == _outputs(after), (
                "docs/notebooks/decode-a-capture.ipynb has stale outputs: run "
                "jupyter execute --inplace docs/notebooks/decode-a-capture.ipynb"
            )


def test_the_sessions_in_docs_notebooks_md_run() -> None:
    pytest.importorskip("pandas", reason="the examples use to_dataframe (notebook extra)")
    results = doctest.testfile(
        str(ROOT / "docs" / "notebooks.md"), module_relative=False, verbose=False, report=True,
        optionflags=doctest.ELLIPSIS,
    )  # fmt: skip
    assert results.attempted >= 20
    assert results.failed == 0, "docs/notebooks.md shows output the code no longer gives"
