"""The CLI's terminal and files: its streams and notes, a progress bar, tables cut to the width,
reading inputs and writing outputs, and the usage errors those raise."""

from __future__ import annotations

import base64
import json
import math
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .capture import escape_controls, escape_json_controls

__all__: list[str] = []


@dataclass
class Console:
    """The streams a command talks to, and the notes it writes on stderr."""

    #: ``None`` when standard input is closed (``<&-``).
    stdin: BinaryIO | None
    stdout: TextIO
    stderr: TextIO
    quiet: bool = False
    _ascii_json: bool | None = field(default=None, init=False, repr=False)
    _encoders: dict[bool, json.JSONEncoder] = field(default_factory=dict, init=False, repr=False)

    def note(self, text: str) -> None:
        """A line for the user on stderr (suppressed by ``--quiet``)."""
        if not self.quiet:
            self.error(text)

    def error(self, text: str) -> None:
        # Flush stdout first so that, on a shared terminal or 2>&1, lines keep their order.
        self.stdout.flush()
        self.stderr.write(f"eventstream: {escape_controls(text)}\n")
        self.stderr.flush()

    def write(self, line: str = "") -> None:
        """A line of text; any control character left in it is escaped, never sent raw."""
        self.stdout.write(escape_controls(line, keep="\t") + "\n")

    def write_json(self, record: dict[str, Any], *, large: bool = False) -> None:
        """A record as one line of strict JSON, whatever the encoding of stdout: ASCII with
        escapes unless stdout is UTF-8, never NaN or Infinity, no control character raw.

        ``large`` (a reassembled answer: as big as the stream's text) writes it in the
        encoder's pieces, never as one string joined and then copied twice more.
        """
        if self._ascii_json is None:
            self._ascii_json = not _is_utf8(self.stdout)
        ascii_only = self._ascii_json
        if large:
            encoder = self._encoder(ascii_only)
            try:
                pieces = encoder.iterencode(record)
                first = next(pieces, "")  # a float that is not finite raises here or later
            except ValueError:
                pieces, first = encoder.iterencode(_finite(record)), ""
            write = self.stdout.write
            write(escape_json_controls(first))
            for piece in pieces:
                write(escape_json_controls(piece))
            write("\n")
            return
        try:
            # One encoder a console, not one a record: json.dumps with options builds one per
            # call, which cost about a fifth of writing a frame's record.
            line = self._encoder(ascii_only).encode(record)
        except ValueError:  # a float that is not finite: JSON has no spelling for it
            line = json.dumps(
                _finite(record), ensure_ascii=ascii_only, separators=(",", ":"), default=repr
            )
        self.stdout.write(escape_json_controls(line) + "\n")

    def _encoder(self, ascii_only: bool) -> json.JSONEncoder:
        encoder = self._encoders.get(ascii_only)
        if encoder is None:
            encoder = self._encoders[ascii_only] = json.JSONEncoder(
                ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":"), default=repr
            )
        return encoder

    def flush(self) -> None:
        self.stdout.flush()

    def width(self) -> int:
        return shutil.get_terminal_size((100, 24)).columns


def _is_utf8(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def _finite(value: Any) -> Any:
    """``value`` with each float that is not finite written as its name (``"Infinity"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class Progress:
    """A one-line progress bar on a terminal; every call is a no-op when disabled."""

    BAR_WIDTH = 24

    def __init__(self, stream: TextIO, total: int, *, enabled: bool) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.enabled = enabled
        self.label = ""
        self._shown = -1
        self._drawn = 0

    def update(self, done: int, label: str | None = None) -> None:
        if not self.enabled:
            return
        if label is not None and label != self.label:
            self.label, self._shown = label, -1
        percent = min(100, done * 100 // self.total)
        # Redraw only when the figure changes: at most 101 writes per stage.
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
        mib = 1 << 20
        line = (
            f"{self.label:<8} [{bar}] {percent:3d}%  {min(done, self.total) / mib:.1f}"
            f"/{self.total / mib:.1f} MiB"
        )
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` terminal cells, marking the cut with an ellipsis."""
    if cells(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = cells(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…"


class TableWriter:
    """A table written a row at a time, as rows come: columns start at ``widths`` and a
    wider cell widens its column from that row on. The last column takes the room left
    (at least 20 cells) and is cut to fit; cells are escaped for the terminal."""

    def __init__(self, headings: Sequence[str], widths: Sequence[int], width: int) -> None:
        self.headings = list(headings)
        self.widths = [max(w, cells(h)) for h, w in zip(headings, widths, strict=True)]
        self.right = {i for i, h in enumerate(headings) if h in ("#", "offset", "length")}
        self.width = width

    def head(self) -> list[str]:
        """The heading and its rule."""
        return [self._line(self.headings), self._line(["-" * w for w in self.widths])]

    def row(self, row: Sequence[str]) -> str:
        return self._line([escape_controls(cell) for cell in row])

    def _line(self, row: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(row[:-1]):
            size = cells(cell)
            self.widths[i] = max(self.widths[i], size)
            pad = " " * (self.widths[i] - size)
            parts.append(pad + cell if i in self.right else cell + pad)
        room = max(self.width - sum(w + 2 for w in self.widths[:-1]), 20)
        parts.append(fit(row[-1], room))
        return "  ".join(parts).rstrip()


# --- files ------------------------------------------------------------------------------------


class UsageError(Exception):
    """A problem with the command line or its input files (exit code 2)."""


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {_path_shown(path)}: {_file_problem(exc)}") from None


def open_file(path: str) -> BinaryIO:
    """``path`` opened for reading bytes; :class:`UsageError` if it cannot be."""
    try:
        return open(path, "rb")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {_path_shown(path)}: {_file_problem(exc)}") from None


def _path_shown(path: str) -> str:
    # A shell cannot pass a NUL, but main(argv) can: never write one to the terminal.
    return repr(path) if "\0" in path else path


def _file_problem(exc: OSError | ValueError) -> str:
    # open() raises ValueError, not OSError, for a NUL in the path: no file can be named so.
    if isinstance(exc, ValueError):
        return "a path cannot hold a NUL character"
    return exc.strerror or str(exc)


def binary_out(path: str | None, console: Console, fmt: str) -> Callable[[bytes], None]:
    """A writer for ``path`` (stdout for ``None`` or ``-``), in ``fmt``."""

    def render(data: bytes) -> bytes:
        if fmt == "hex":
            return (data.hex() + "\n").encode("ascii")
        if fmt == "base64":
            return base64.b64encode(data) + b"\n"
        return data

    if path is None or path == "-":
        if fmt == "raw" and console.stdout.isatty():
            raise UsageError(
                "not writing binary frames to a terminal: give -o FILE, or --output-format "
                "hex or base64"
            )
        buffer = getattr(console.stdout, "buffer", None)
        if buffer is None:
            raise UsageError("standard output takes no bytes here: give -o FILE")

        def to_stdout(data: bytes) -> None:
            console.stdout.flush()
            buffer.write(render(data))
            buffer.flush()

        return to_stdout

    def to_file(data: bytes) -> None:
        try:
            Path(path).write_bytes(render(data))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot write {_path_shown(path)}: {_file_problem(exc)}") from None

    return to_file
