"""Timelines (frame sizes, types and arrival times; time to first token, tokens per second),
their plot, and the list of streams in a capture."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eventstream import capture, notebook
from eventstream.capture import _timeline

ROOT = Path(__file__).resolve().parent.parent
# tcpdump -i lo while curl asked a local server that replayed the bundled sample
# (claude_invoke_tool_use) at a model's pace: headers after 50 ms, the first frame after
# 0.6 s, then a frame every 40 ms.
PACED = ROOT / "docs" / "notebooks" / "claude-invoke-paced.pcap"
MITM_HAR = ROOT / "tests" / "data" / "invoke.mitmproxy.har"


def _tshark_arrivals(path: Path) -> tuple[list[float], float]:
    """Wireshark's reading of the capture: each server payload byte's arrival, and when
    the request started, as seconds since the capture's first packet."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    fields = subprocess.run(
        [tshark, "-r", str(path), "-Y", "tcp.len > 0", "-T", "fields", "-e", "frame.time_relative",
         "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.payload"],
        capture_output=True, check=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    server: dict[int, tuple[float, bytes]] = {}
    request_start = None
    for line in fields.splitlines():
        when, port, seq, payload = line.split("\t")
        if port == "18461":
            server.setdefault(int(seq), (float(when), bytes.fromhex(payload)))
        elif request_start is None:
            request_start = float(when)
    assert request_start is not None
    times: list[float] = []
    for seq in sorted(server):
        when, payload = server[seq]
        assert seq - 1 == len(times)  # tshark's relative sequence numbers start at 1
        times += [when] * len(payload)
    return times, request_start


def test_a_pcap_timeline_agrees_with_wireshark() -> None:
    line = notebook.timeline(PACED)
    decoded = notebook.decode_capture(PACED)
    assert len(line) == len(decoded) == 15
    times, start = _tshark_arrivals(PACED)
    stream = subprocess.run(
        [shutil.which("tshark") or "tshark", "-r", str(PACED), "-q", "-z", "follow,tcp,raw,0"],
        capture_output=True, check=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    # The server's half of the stream as tshark follows it (indented lines are the server's).
    served = bytes.fromhex("".join(x.strip() for x in stream.splitlines() if x.startswith("\t")))
    assert len(served) == len(times)
    for point, frame in zip(line, decoded, strict=True):
        wire = frame.message.encode()
        end = served.index(wire) + len(wire) - 1
        assert point.arrival == pytest.approx(times[end] - start, abs=1e-6)
        assert (point.offset, point.length) == (frame.offset, frame.length)
        assert point.event_type == frame.event_name
    assert line.time_to_first_token == pytest.approx(line.points[2].arrival)  # the first delta
    assert line.points[2].event_type == "content_block_delta"
    assert line.output_tokens == 71
    assert line.time_to_first_byte is not None and 0.04 < line.time_to_first_byte < 0.6
    span = line.points[-1].arrival - line.points[2].arrival  # type: ignore[operator]
    assert line.tokens_per_second == pytest.approx(71 / span)
    assert "first token" in line.summary() and "tokens/s" in line.summary()


def test_a_har_timeline_has_the_entry_timings_only() -> None:
    document = json.loads(MITM_HAR.read_text())
    timings = document["log"]["entries"][0]["timings"]
    line = notebook.timeline(MITM_HAR)
    assert all(point.arrival is None for point in line)  # HAR has no per-read times
    before = (timings["connect"] + timings["send"]) / 1000  # blocked, dns and ssl are -1
    assert line.timing is not None and line.timing.request_sent == pytest.approx(before)
    assert line.time_to_first_byte == pytest.approx(before + timings["wait"] / 1000)
    assert line.time_to_first_token is None
    assert line.tokens_per_second == pytest.approx(71 / (timings["receive"] / 1000))
    second = notebook.timeline(MITM_HAR, entry=1)
    assert second.label is not None and "gzip=1" in second.label


def test_a_capture_without_times_is_a_timeline_of_offsets() -> None:
    line = notebook.timeline(notebook.decode_capture(sample="claude_invoke_tool_use"))
    assert [p.offset for p in line][:3] == [0, 652, 899]
    assert all(p.arrival is None for p in line)
    assert (line.time_to_first_byte, line.time_to_first_token, line.tokens_per_second) == (
        None, None, None,
    )  # fmt: skip
    assert line.output_tokens == 71
    assert line.rows()[0] == {
        "frame": 0, "offset": 0, "length": 652, "message_type": "event",
        "event_type": "message_start", "arrival": None,
    }  # fmt: skip
    untyped = capture.timeline(capture.decode_frames(capture.Body(PACED.read_bytes()[:0])))
    assert len(untyped) == 0 and untyped.summary() == "0 frames"
    pandas = pytest.importorskip("pandas")
    table = line.to_dataframe()
    assert isinstance(table, pandas.DataFrame) and list(table["length"])[:2] == [652, 247]


def test_the_plot_is_a_matplotlib_figure() -> None:
    figure_module = pytest.importorskip("matplotlib.figure")
    figure = notebook.plot_timeline(PACED)
    assert isinstance(figure, figure_module.Figure)
    (axes,) = figure.axes
    assert axes.get_xlabel() == "seconds after the request started"
    labels = axes.get_legend_handles_labels()[1]
    assert labels[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert labels[-2:] == ["first byte", "first token"]
    heights = sorted(
        float(segment[1][1])
        for collection in axes.collections
        for segment in collection.get_segments()
    )
    assert heights == sorted(float(p.length) for p in notebook.timeline(PACED))
    assert figure._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")  # shows itself in Jupyter
    plain = notebook.plot_timeline(notebook.decode_capture(sample="claude_invoke_tool_use"))
    assert plain.axes[0].get_xlabel() == "offset in the body (bytes)"


def test_without_matplotlib_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def no_matplotlib(name: str, package: str | None = None) -> Any:
        if name.startswith("matplotlib"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", no_matplotlib)
    _timeline._figure_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"pip install 'eventstream\[plot\]'"):
            notebook.plot_timeline(PACED)
        assert len(notebook.timeline(PACED)) == 15  # the data needs no matplotlib
    finally:
        _timeline._figure_class.cache_clear()


def test_the_streams_of_a_capture() -> None:
    (paced,) = notebook.streams(PACED)
    assert (paced.entry, paced.status, paced.frames, paced.fault) == (0, 200, 15, None)
    assert paced.server == "127.0.0.1:18461" and paced.client is not None
    assert (
        paced.method == "POST"
        and paced.url is not None
        and paced.url.endswith("/invoke-with-response-stream")
    )
    assert paced.content_type == "application/vnd.amazon.eventstream"
    assert paced.size == 4479 and paced.duration is not None and paced.duration > 1.0
    listed = notebook.streams(MITM_HAR)
    assert [(s.entry, s.status, s.frames) for s in listed] == [(0, 200, 15), (1, 200, 15)]
    for info in listed:
        # The entry picks that stream in decode_capture.
        chosen = notebook.decode_capture(MITM_HAR, entry=info.entry)
        assert chosen.body.label == info.label
    cut = notebook.streams(
        notebook.decode_capture(sample="claude_invoke_tool_use").body.data[:2000]
    )
    assert cut[0].frames == 6 and cut[0].fault is not None and "byte 2000" in cut[0].fault


def test_a_har_timing_past_a_float_s_range_is_no_timing_not_an_overflow() -> None:
    # A HAR timings.wait of 1 and 400 zeros (valid JSON) raised OverflowError in
    # math.isfinite, through capture.load_input and mock.load_recordings.
    import json  # noqa: PLC0415

    from eventstream import capture  # noqa: PLC0415

    for wait in (int("1" + "0" * 400), 10**15, -(10**400)):
        har = {"log": {"entries": [{
            "request": {"url": "https://h/model/m/converse-stream", "method": "POST"},
            "response": {"status": 200, "content": {
                "mimeType": "application/vnd.amazon.eventstream", "text": "", "encoding": "base64",
            }},
            "timings": {"wait": wait, "receive": 5},
        }]}}  # fmt: skip
        loaded = capture.load_input(json.dumps(har).encode())
        assert loaded.bodies[0].exchange is not None
