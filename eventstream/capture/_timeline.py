"""A stream along time: each frame's offset, size, type and arrival, and the figures people
quote (time to first byte and token, tokens per second) when the capture says when bytes came.

:func:`timeline` is plain data; :func:`plot_timeline` draws it with matplotlib, imported only
when called (``pip install 'eventstream[plot]'``).
"""

from __future__ import annotations

import functools
import importlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from .._errors import EventStreamError, InputTypeError
from ._exchange import Exchange, Timing
from ._formats import Body
from ._frames import CaptureDecoder, CapturedFrame, Decoded

__all__ = ["TimelinePoint", "Timeline", "timeline", "plot_timeline", "StreamInfo", "list_streams"]

# The events that carry generated output: a Converse text or tool-input delta, an Anthropic
# Invoke chunk's delta; any other family's Invoke answer comes as plain "chunk" events.
_TOKEN_EVENTS = frozenset(("contentBlockDelta", "content_block_delta"))


@dataclass(frozen=True)
class TimelinePoint:
    """One frame on the timeline. ``arrival`` is when its last byte arrived, in seconds after
    the request started (``None`` when the capture has no per-read times)."""

    frame: int
    offset: int
    length: int
    message_type: str
    event_type: str
    arrival: float | None


@dataclass(frozen=True)
class Timeline:
    """A decoded stream along time, and its figures (``None`` where the capture cannot say).

    ``time_to_first_byte`` is when the response started; ``time_to_first_token`` when the
    first frame with output (a delta, or an Invoke ``chunk``) had arrived, which needs
    per-read times (a pcap, not a HAR file); ``tokens_per_second`` is the output tokens the
    stream reports over the time from the first output frame to the last frame (from a HAR
    file: over the entry's receive phase). All times count from the request's start.
    """

    points: tuple[TimelinePoint, ...]
    timing: Timing | None
    label: str | None
    time_to_first_byte: float | None
    time_to_first_token: float | None
    output_tokens: int | None
    tokens_per_second: float | None

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[TimelinePoint]:
        return iter(self.points)

    def rows(self) -> list[dict[str, Any]]:
        """The points as dictionaries (one per frame), for any table library."""
        return [asdict(point) for point in self.points]

    def to_dataframe(self) -> Any:
        """The points as a ``pandas.DataFrame`` indexed by frame (needs pandas)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise ImportError(
                "Timeline.to_dataframe() needs pandas, which is not installed: "
                "pip install 'eventstream[notebook]' (or rows() gives plain dictionaries)"
            ) from None
        columns = ["frame", "offset", "length", "message_type", "event_type", "arrival"]
        return pandas.DataFrame(self.rows(), columns=columns).set_index("frame")

    def summary(self) -> str:
        """The figures on one line, as the plot's caption."""
        parts = []
        if self.time_to_first_byte is not None:
            parts.append(f"first byte {self.time_to_first_byte * 1000:,.0f} ms")
        if self.time_to_first_token is not None:
            parts.append(f"first token {self.time_to_first_token * 1000:,.0f} ms")
        if self.output_tokens is not None:
            parts.append(f"{self.output_tokens} output tokens")
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:,.1f} tokens/s")
        parts.append(f"{len(self.points)} frames")
        return " · ".join(parts)


def _event_type(frame: CapturedFrame, typed: bool) -> str:
    if typed:
        return frame.event_name
    return frame.name or frame.message_type or "(none)"


def _output_tokens(decoded: Decoded) -> int | None:
    usage = decoded.reassembled.usage if decoded.reassembled is not None else None
    tokens = getattr(usage, "output_tokens", None)
    if isinstance(tokens, int) and not isinstance(tokens, bool):
        return tokens
    return None


def timeline(decoded: Decoded) -> Timeline:
    """The frames of ``decoded`` along its body, with their arrival times when it has them."""
    if not isinstance(decoded, Decoded):
        raise InputTypeError(
            f"timeline takes what decode_frames gives (a Decoded), not a {type(decoded).__name__}"
        )
    typed = decoded.reassembled is not None
    exchange = decoded.body.exchange
    timing = exchange.timing if exchange is not None else None
    points = []
    for frame in decoded.frames:
        arrival = timing.arrival(frame.offset + frame.length - 1) if timing else None
        kind = _event_type(frame, typed)
        point = TimelinePoint(
            frame.index, frame.offset, frame.length, frame.message_type, kind, arrival
        )
        points.append(point)
    first_byte = timing.first_byte if timing is not None else None
    tokens = _output_tokens(decoded)
    output = [p for p in points if p.event_type in _TOKEN_EVENTS or p.event_type == "chunk"]
    first_token = output[0].arrival if output else None
    rate = None
    if tokens is not None and output:
        if first_token is not None and points[-1].arrival is not None:
            span = points[-1].arrival - first_token
        elif timing is not None and timing.first_byte is not None and timing.last_byte is not None:
            span = timing.last_byte - timing.first_byte  # a HAR entry's receive phase
        else:
            span = 0.0
        rate = tokens / span if span > 0 else None
    return Timeline(
        tuple(points), timing, decoded.body.label, first_byte, first_token, tokens, rate
    )


@functools.cache
def _figure_class() -> Any:
    """matplotlib's ``Figure`` that shows itself as a PNG in Jupyter without pyplot (whose
    global figure list would keep every plot alive), made on first use."""
    try:
        figure_module = importlib.import_module("matplotlib.figure")
    except ImportError:
        raise ImportError(
            "plot_timeline() needs matplotlib, which is not installed: "
            "pip install 'eventstream[plot]' (or pip install matplotlib); timeline() gives "
            "the same data without it"
        ) from None

    class TimelineFigure(figure_module.Figure):  # type: ignore[misc,name-defined]
        def _repr_png_(self) -> bytes:
            out = io.BytesIO()
            self.savefig(out, format="png", dpi=100)
            return out.getvalue()

    return TimelineFigure


def plot_timeline(data: Timeline, *, title: str | None = None) -> Any:
    """A ``matplotlib.figure.Figure``: each frame a bar as high as its size, coloured by event
    type, placed at its arrival time (or its offset, without times), the first token marked.
    """
    figure = _figure_class()(figsize=(8, 3.4), layout="constrained")
    axes = figure.add_subplot()
    timed = bool(data.points) and all(p.arrival is not None for p in data.points)
    xs = [(p.arrival if timed else p.offset) for p in data.points]
    kinds = list(dict.fromkeys(p.event_type for p in data.points))
    palette = [f"C{i % 10}" for i in range(len(kinds))]
    colour = dict(zip(kinds, palette, strict=True))
    for kind in kinds:
        chosen = [
            (x, p.length) for x, p in zip(xs, data.points, strict=True) if p.event_type == kind
        ]
        axes.vlines(
            [x for x, _ in chosen], 0, [n for _, n in chosen], colors=colour[kind], linewidth=2,
            label=kind,
        )  # fmt: skip
        axes.plot([x for x, _ in chosen], [n for _, n in chosen], "o", color=colour[kind], ms=3)
    if timed and data.time_to_first_byte is not None:
        axes.axvline(
            data.time_to_first_byte, color="0.6", linestyle=":", linewidth=1, label="first byte"
        )
    if timed and data.time_to_first_token is not None:
        axes.axvline(
            data.time_to_first_token, color="0.3", linestyle="--", linewidth=1, label="first token"
        )
    axes.set_xlabel("seconds after the request started" if timed else "offset in the body (bytes)")
    axes.set_ylabel("frame size (bytes)")
    axes.set_ylim(bottom=0)
    if timed:
        axes.set_xlim(left=0)
    if kinds:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    shown = title if title is not None else (data.label or "event stream")
    if len(shown) > 90:
        shown = shown[:44] + "…" + shown[-45:]
    figure.suptitle(shown, fontsize="medium")
    axes.set_title(data.summary(), fontsize="small", color="0.3")
    return figure


@dataclass(frozen=True)
class StreamInfo:
    """One event stream of an input, as :func:`list_streams` lists it.

    ``entry`` is what ``decode_capture(entry=...)`` takes to pick it; ``frames`` counts the
    frames decoded before ``fault`` (the fault's text, ``None`` for a sound stream).
    """

    entry: int
    label: str | None
    method: str | None
    url: str | None
    client: str | None
    server: str | None
    status: int | None
    content_type: str | None
    size: int
    frames: int
    fault: str | None
    duration: float | None  # from the request's start to the response's last byte


def list_streams(bodies: Iterable[Body]) -> list[StreamInfo]:
    """The event streams among ``bodies``, each decoded once to count its frames (none kept:
    memory stays bounded by the largest frame)."""
    given: object = bodies  # typed, but a caller may pass anything
    if not isinstance(given, Iterable) or isinstance(given, bytes | bytearray | memoryview | str):
        raise InputTypeError(
            f"list_streams takes an iterable of capture.Body, not a {type(given).__name__}"
        )
    found = []
    for position, body in enumerate(bodies):
        decoder = CaptureDecoder(body)
        frames, fault = 0, None
        try:
            for _ in decoder.frames():
                frames += 1
        except EventStreamError as exc:
            fault = str(exc)
        exchange = body.exchange or Exchange()
        timing = exchange.timing
        info = StreamInfo(
            body.entry if body.entry is not None else position, body.label, exchange.method,
            exchange.url, exchange.client, exchange.server, exchange.status,
            exchange.content_type, decoder.bytes_read, frames, fault,
            timing.last_byte if timing is not None else None,
        )  # fmt: skip
        found.append(info)
    return found
