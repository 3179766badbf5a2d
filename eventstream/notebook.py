"""Notebook helpers: a decoded capture that displays itself, and frames as a DataFrame.

``decode_capture`` reads a capture (raw bytes, hex, base64 or HAR, detected as the CLI does)
into a :class:`DecodedStream`; in Jupyter it shows a table of frames, the fault if the
capture has one, and the reassembled Bedrock answer. ``to_dataframe`` gives one row per
frame; it needs pandas (``pip install 'eventstream[notebook]'``), imported only when called.
"""

from __future__ import annotations

import errno
import html
import importlib
import io
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, overload

from . import capture
from ._errors import ConfigurationError, EventStreamError
from ._message import Message
from .bedrock import Reassembled, StreamName, TypedEvent
from .capture import (
    Body,
    CaptureDecoder,
    CapturedFrame,
    Decoded,
    Gap,
    InputFormat,
    InputFormatError,
    LoadedInput,
    decode_frames,
    load_input,
    open_input,
)
from .capture._summary import decoded_before
from .samples import sample_bytes

__all__ = [
    "DecodedStream", "decode_capture", "to_dataframe", "InputFormatError",
    # timelines and stream lists (eventstream.capture builds them)
    "timeline", "plot_timeline", "streams",
]  # fmt: skip

#: Rows :meth:`DecodedStream._repr_html_` shows before it says how many more there are.
MAX_HTML_ROWS = 200
#: Bytes of frames a :class:`DecodedStream` keeps in memory; the frames past them are decoded
#: again from the source whenever they are asked for, so a capture of any size fits.
MAX_KEPT_BYTES = 16 << 20


class CaptureFrames(Sequence[CapturedFrame]):
    """The frames of a decoded capture: the first ones kept, the rest decoded again from
    the source on demand (each access past the kept ones is a pass over the capture)."""

    def __init__(
        self,
        kept: Sequence[CapturedFrame],
        count: int,
        again: Callable[[], Iterator[CapturedFrame]] | None = None,
    ) -> None:
        self._kept = tuple(kept)
        self._count = count
        self._again = again

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[CapturedFrame]:
        yield from self._kept
        if self._count > len(self._kept) and self._again is not None:
            rest = itertools.islice(self._again(), len(self._kept), self._count)
            yield from rest

    @overload
    def __getitem__(self, index: int) -> CapturedFrame: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CapturedFrame]: ...
    def __getitem__(self, index: int | slice) -> CapturedFrame | Sequence[CapturedFrame]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if stop <= len(self._kept):
                return self._kept[index]
            return tuple(itertools.islice(iter(self), start, stop, step))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("frame index out of range")
        if index < len(self._kept):
            return self._kept[index]
        return next(itertools.islice(iter(self), index, None))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self._count} frames>"


@dataclass(frozen=True, repr=False)
class DecodedStream(Decoded):
    """A capture decoded to frames, with what was detected; shows itself in a notebook.

    ``frames`` holds every frame before ``fault`` (``None`` when the capture is sound). With
    Bedrock typing, each frame has its ``event`` and ``reassembled`` is the answer the frames
    amount to. Iterating gives the frames; ``len()`` counts them.
    """

    input_format: str = "raw"
    input_note: str = ""
    decoded_bytes: int = -1

    @property
    def bytes_decoded(self) -> int:
        """Bytes of the body that formed whole, valid frames."""
        if self.decoded_bytes >= 0:
            return self.decoded_bytes
        return sum(frame.length for frame in self.frames)

    @property
    def messages(self) -> list[Message]:
        """The decoded messages, in order."""
        return [frame.message for frame in self.frames]

    @property
    def events(self) -> list[TypedEvent]:
        """The typed Bedrock events (empty without Bedrock typing; payload errors left out)."""
        return [frame.event for frame in self.frames if frame.event is not None]

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[CapturedFrame]:
        return iter(self.frames)

    def __getitem__(self, index: int) -> CapturedFrame:
        return self.frames[index]

    def to_dataframe(self) -> Any:
        """One row per frame, as :func:`to_dataframe`."""
        return to_dataframe(self)

    def __repr__(self) -> str:
        parts = [f"{len(self.frames)} frames", f"{self.bytes_decoded:,} bytes"]
        if self.stream is not None:
            parts.append(f"{self.stream} stream")
        if self.fault is not None:
            parts.append(f"fault: {type(self.fault).__name__} at byte {self.fault.offset}")
        if self.gaps:
            skipped = sum(gap.length for gap in self.gaps)
            parts.append(f"{len(self.gaps)} gaps ({skipped:,} bytes skipped)")
        result = self.reassembled
        if result is not None:
            parts.append("complete" if result.complete else "incomplete")
            if result.text:
                text = result.text if len(result.text) <= 60 else result.text[:57] + "..."
                parts.append(f"text {text!r}")
            if result.tool_uses:
                parts.append(f"tool calls: {', '.join(t.name for t in result.tool_uses)}")
        return f"DecodedStream({', '.join(parts)})"

    def _repr_html_(self) -> str:
        return _stream_html(self)


def _opener(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | None, sample: str | None
) -> Callable[[], BinaryIO]:
    """A function that opens the capture afresh each time it is called."""
    if sample is not None:
        if source is not None:
            raise ConfigurationError("give a source or a sample, not both")
        data = sample_bytes(sample)
        return lambda: io.BytesIO(data)
    if source is None:
        raise ConfigurationError("give a capture: a path, its bytes, or sample=<name>")
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return lambda: io.BytesIO(data)
    try:
        Path(source).open("rb").close()
    except ValueError:
        # open() refuses a NUL in a path: no file can have that name, so say it as the OS would.
        if isinstance(source, str):
            # Most likely a capture's bytes decoded to a str.
            raise FileNotFoundError(
                errno.ENOENT,
                f"no file {_shown(source)}: a str is a path, and no path holds a NUL character; "
                "to decode a capture, pass its bytes",
            ) from None
        raise FileNotFoundError(
            errno.ENOENT, f"no file {_shown(os.fspath(source))}: the path holds a NUL character"
        ) from None
    except OSError as exc:
        # A str is a path; hex or base64 text passed as one deserves a pointer, not ENOENT
        # (or ENAMETOOLONG, for a long paste). A directory or a denied file is the OS's word.
        missing = exc.errno in (errno.ENOENT, errno.ENAMETOOLONG)
        if missing and isinstance(source, str) and _reads_as_text_capture(source):
            raise FileNotFoundError(
                errno.ENOENT,
                f"no file {_shown(source)}: a str is a path; to decode hex or base64 text, "
                "pass it as bytes (text.encode())",
            ) from None
        raise
    path = Path(source)
    return lambda: path.open("rb")


def _shown(path: str) -> str:
    return repr(path) if len(path) <= 40 else f"{path[:40]!r}..."


def _reads_as_text_capture(text: str) -> bool:
    """Whether ``text`` is detected as hex or base64 (a capture pasted where a path goes)."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a path os.fsdecode() kept undecodable bytes in
        return False
    try:
        return load_input(data).format in ("hex", "base64")
    except EventStreamError:
        return False


def decode_capture(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | None = None,
    *,
    sample: str | None = None,
    input_format: InputFormat | None = None,
    stream: StreamName | Literal["auto"] | None = "auto",
    entry: int | None = None,
    resync: bool = False,
) -> DecodedStream:
    """Decode a capture: a path, its bytes (in any input format the CLI reads), or a sample.

    The format is detected unless ``input_format`` is given (``InputFormatError`` if the
    input is not in it). ``stream="auto"`` types frames as Bedrock events when the stream can
    be told from the events or a HAR entry's URL; a stream name forces it; ``None`` decodes
    frames only. A HAR file may hold several streams: ``entry`` picks one by its number in
    ``log.entries`` (as the CLI's ``== entry N`` labels say; default: the first stream).
    A corrupt or truncated capture does not raise: the frames before the fault are kept and
    the fault is in ``fault``; with ``resync``, decoding goes on after each damaged run of
    bytes, which ``gaps`` lists. A path is read as it is decoded, and only the first
    :data:`MAX_KEPT_BYTES` of frames are kept: memory stays bounded whatever its size.
    """
    if stream not in (None, "auto", *capture.STREAM_NAMES):
        raise ConfigurationError(
            f"unknown stream {stream!r}; choose one of {', '.join(capture.STREAM_NAMES)}, "
            "'auto' or None"
        )
    opener = _opener(source, sample)

    def start() -> tuple[LoadedInput, CaptureDecoder, BinaryIO]:
        file = opener()
        try:
            if isinstance(file, io.BytesIO):
                # In memory already: the body keeps its bytes (``body.data``) at no cost.
                loaded = load_input(file.getvalue(), input_format)
            else:
                loaded = open_input(file, input_format)
            body = _chosen(loaded, entry)
        except BaseException:
            file.close()
            raise
        if stream == "auto":
            # Typed only when they are a Bedrock stream; the decoder then says how it knew.
            decoder = CaptureDecoder(body, bedrock="auto", resync=resync)
        else:
            decoder = CaptureDecoder(body, bedrock=stream is not None, stream=stream, resync=resync)
        return loaded, decoder, file

    def again() -> Iterator[CapturedFrame]:
        _, decoder, file = start()
        with file:
            try:
                yield from decoder.frames()
            except EventStreamError:
                return

    loaded, decoder, file = start()
    kept: list[CapturedFrame] = []
    gaps: list[Gap] = []
    kept_bytes = count = decoded_bytes = 0
    fault: EventStreamError | None = None
    with file:
        try:
            for item in decoder.items():
                if isinstance(item, Gap):
                    gaps.append(item)
                    continue
                count += 1
                decoded_bytes += item.length
                if kept_bytes + item.length <= MAX_KEPT_BYTES and len(kept) + 1 == count:
                    kept.append(item)
                    kept_bytes += item.length
        except EventStreamError as exc:
            fault = exc
    frames = CaptureFrames(kept, count, again if count > len(kept) else None)
    typed = decoder.reassembler is not None and decoder.bedrock is True
    return DecodedStream(
        decoder.body,
        frames,
        fault,
        decoder.stream if typed else None,
        decoder.stream_note if typed else "",
        decoder.reassembled(),
        decoder.stream,
        decoder.bytes_read,
        tuple(gaps),
        input_format=loaded.format,
        input_note=loaded.note,
        decoded_bytes=decoded_bytes,
    )


def _chosen(loaded: LoadedInput, entry: int | None) -> Body:
    """The body ``entry`` names: by its number in the input (a HAR's ``log.entries``)."""
    bodies = loaded.bodies
    if entry is None:
        return bodies[0]
    for position, body in enumerate(bodies):
        if (body.entry if body.entry is not None else position) == entry:
            return body
    numbers = ", ".join(str(b.entry if b.entry is not None else i) for i, b in enumerate(bodies))
    raise InputFormatError(
        f"entry {entry} is not an event stream of the input; its event streams are "
        f"entries {numbers}"
    )


def _frames_of_messages(messages: Iterable[Message]) -> list[CapturedFrame]:
    # Laid end to end as a stream and decoded: the decoder says where each frame sits.
    stream = b"".join(message.encode() for message in messages)
    return list(decode_frames(Body(stream)).frames)


def to_dataframe(
    source: Decoded | bytes | bytearray | memoryview | str | os.PathLike[str] | Iterable[Message],
) -> Any:
    """A ``pandas.DataFrame`` with one row per frame, indexed by frame number.

    Columns: ``offset``, ``length``, ``message_type``, ``event_type`` (the ``:event-type``,
    ``:exception-type`` or ``:error-code``), ``content_type``, ``headers`` (a dict),
    ``payload`` (bytes), ``payload_preview``; with Bedrock typing also ``event_name``,
    ``detail`` and ``event`` (the typed event). ``source`` is a decoded stream, a capture
    for :func:`decode_capture`, or messages. ``attrs["fault"]`` holds the fault, if any.
    """
    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas, which is not installed: "
            "pip install 'eventstream[notebook]' (or pip install pandas)"
        ) from None
    fault: EventStreamError | None = None
    typed = False
    if isinstance(source, Decoded):
        frames, fault, typed = list(source.frames), source.fault, source.reassembled is not None
    elif isinstance(source, bytes | bytearray | memoryview | str | os.PathLike):
        decoded = decode_capture(source)
        frames, fault, typed = list(decoded.frames), decoded.fault, decoded.reassembled is not None
    else:
        frames = _frames_of_messages(source)
    rows = []
    for frame in frames:
        content_type = frame.message.headers.get(":content-type")
        row: dict[str, Any] = {
            "frame": frame.index,
            "offset": frame.offset,
            "length": frame.length,
            "message_type": frame.message_type or None,
            "event_type": frame.name or None,
            "content_type": content_type if isinstance(content_type, str) else None,
            "headers": dict(frame.message.headers),
            "payload": frame.message.payload,
            "payload_preview": frame.payload_preview(),
        }
        if typed:
            row["event_name"] = frame.event_name
            row["detail"] = frame.event_detail()
            row["event"] = frame.event if frame.event is not None else frame.event_error
        rows.append(row)
    columns = [
        "frame", "offset", "length", "message_type", "event_type", "content_type", "headers",
        "payload", "payload_preview",
    ]  # fmt: skip
    if typed:
        columns += ["event_name", "detail", "event"]
    table = pandas.DataFrame(rows, columns=columns).set_index("frame")
    table.attrs["fault"] = str(fault) if fault is not None else None
    return table


# --- HTML -----------------------------------------------------------------------------------

_STYLE = (
    "<style>.es-decoded table{border-collapse:collapse;font-size:12px}"
    ".es-decoded td,.es-decoded th{padding:2px 8px;text-align:left;vertical-align:top}"
    ".es-decoded td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".es-decoded .fault{color:#b00020}.es-decoded pre{margin:0;white-space:pre-wrap}</style>"
)


def _cut(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frames_html(stream: DecodedStream) -> str:
    typed = stream.reassembled is not None
    heads = [
        "#",
        "offset",
        "length",
        *(("event", "detail") if typed else ("type", "event", "payload")),
    ]
    rows = []
    for frame in stream.frames[:MAX_HTML_ROWS]:
        numbers = "".join(
            f'<td class="n">{value}</td>' for value in (frame.index, frame.offset, frame.length)
        )
        cells: tuple[str, ...]
        if typed:
            cells = (frame.event_name, _cut(frame.event_detail()))
        else:
            cells = (frame.message_type, frame.name, _cut(frame.payload_preview()))
        text = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
        rows.append(f"<tr>{numbers}{text}</tr>")
    more = len(stream.frames) - MAX_HTML_ROWS
    if more > 0:
        rows.append(
            f'<tr><td colspan="{len(heads)}">… {more} more frames '
            "(to_dataframe() has them all)</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in heads)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _gaps_html(gaps: Sequence[Gap]) -> str:
    total = sum(gap.length for gap in gaps)
    rows = "".join(
        f'<tr><td class="n">{gap.offset}</td><td class="n">{gap.length}</td>'
        f"<td>{html.escape(gap.reason)}</td></tr>"
        for gap in gaps[:MAX_HTML_ROWS]
    )
    title = f"Resync: {len(gaps)} gap{'s' * (len(gaps) != 1)}, {total:,} bytes skipped"
    return (
        f'<p class="fault"><b>{title}</b></p><table><thead><tr><th>offset</th>'
        f"<th>skipped</th><th>why</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _reassembled_html(result: Reassembled, stream: str | None) -> str:
    body = "".join(
        f"<tr><th>{label}</th><td>{_cell(label, text)}</td></tr>" for label, text in result.rows()
    )
    title = html.escape(f"Reassembled ({stream or 'unknown'} stream, {result.status})")
    return f"<p><b>{title}</b></p><table>{body}</table>"


def _cell(label: str, text: str) -> str:
    shown = html.escape(text)
    if label == "error":
        return f'<span class="fault">{shown}</span>'
    return f"<pre>{shown}</pre>" if "\n" in text or label == "text" else shown


def _stream_html(stream: DecodedStream) -> str:
    facts = [
        f"<b>{len(stream.frames)} frames</b>",
        f"{stream.bytes_decoded:,} of {stream.size:,} bytes",
        html.escape(stream.input_note),
    ]
    if stream.stream_note:
        facts.append(html.escape(f"Bedrock stream: {stream.stream_note}"))
    parts = [_STYLE, '<div class="es-decoded">', f"<p>{' · '.join(facts)}</p>"]
    if stream.body.label:
        parts.append(f"<p>{html.escape(stream.body.label)}</p>")
    parts.append(_frames_html(stream))
    if stream.gaps:
        parts.append(_gaps_html(stream.gaps))
    if stream.fault is not None:
        fault = stream.fault
        parts.append(
            f'<p class="fault"><b>{type(fault).__name__}</b>: {html.escape(str(fault))}<br>'
            f"{decoded_before(len(stream.frames), stream.bytes_decoded)}</p>"
        )
    if stream.reassembled is not None:
        parts.append(_reassembled_html(stream.reassembled, stream.stream))
    parts.append("</div>")
    return "".join(parts)


# --- timelines and the streams of an input --------------------------------------------------

_Source = Decoded | bytes | bytearray | memoryview | str | os.PathLike[str]


def timeline(source: _Source, *, entry: int | None = None) -> capture.Timeline:
    """Each frame's offset, size, event type and arrival, and the stream's figures (time to
    first byte and token, tokens per second) when the capture has times (pcap, HAR).

    ``source`` is a decoded stream or anything :func:`decode_capture` takes (``entry`` picks
    the stream). Plain data: ``rows()`` or ``to_dataframe()`` give the table.
    """
    decoded = source if isinstance(source, Decoded) else decode_capture(source, entry=entry)
    return capture.timeline(decoded)


def plot_timeline(
    source: _Source | capture.Timeline, *, entry: int | None = None, title: str | None = None
) -> Any:
    """The :func:`timeline` as a ``matplotlib.figure.Figure``; needs matplotlib
    (``pip install 'eventstream[plot]'``), imported only when called."""
    data = source if isinstance(source, capture.Timeline) else timeline(source, entry=entry)
    return capture.plot_timeline(data, title=title)


def streams(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
) -> list[capture.StreamInfo]:
    """The event streams in a capture (a HAR file, a pcap, ...): for each, the ``entry`` that
    :func:`decode_capture` takes, its URL or endpoints, status, content type, size in bytes,
    frame count and fault. A path is read as it is decoded (bounded memory)."""
    with _opener(source, None)() as file:
        loaded = load_input(file.getvalue()) if isinstance(file, io.BytesIO) else open_input(file)
        return capture.list_streams(loaded.bodies)
