"""Reading captured traffic: the input formats, their detection, and the bodies they hold.

A capture arrives as raw bytes, hex text, base64 text or a HAR file; :func:`load_input` turns
it into one or more bodies of raw event-stream bytes and says what it detected and why.
:func:`open_input` does the same from a binary file as it is read: raw, hex and base64 bodies
stream in reads (memory stays bounded whatever the size), documents (HAR) are read whole up
to :data:`MAX_DOCUMENT_BYTES`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, TypeAlias, get_args

from .._codec import Limits, check_prelude
from .._errors import ConfigurationError, EventStreamError, InputTypeError
from .._message import PRELUDE_LENGTH
from ..bedrock import StreamName, stream_from_path
from ..bedrock.failclosed import Ending, FailClosed
from . import _containers
from ._base import EVENTSTREAM_CONTENT_TYPE, FoundBody, InputFormatError
from ._exchange import Exchange, har_exchange

__all__ = [
    "InputFormat",
    "INPUT_FORMATS",
    "EVENTSTREAM_CONTENT_TYPE",
    "InputFormatError",
    "Body",
    "LoadedInput",
    "load_input",
    "open_input",
]

InputFormat: TypeAlias = Literal[
    "raw", "hex", "base64", "har",
    # read by the modules of _containers (wrapped inputs)
    "gzip", "http", "xxd", "hexdump", "pcap", "pcapng", "mitmproxy",
]  # fmt: skip
INPUT_FORMATS: tuple[InputFormat, ...] = get_args(InputFormat)

_NO_LIMITS = Limits(None, None)
_WRAPPED = frozenset(INPUT_FORMATS[4:])

#: An input no larger than this is read whole and detected as one piece; a larger one is
#: detected from this much of its head, then streamed (raw, hex, base64) or read whole.
HEAD_BYTES = 1 << 20
#: The largest input read whole as one document (a HAR file, or text that does not stream):
#: a JSON document is parsed in memory, at several times its size.
MAX_DOCUMENT_BYTES = 256 << 20
#: Bytes asked of the file per read while streaming.
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Body:
    """One stream of raw event-stream bytes taken from the input.

    ``label`` names its origin inside the input (a HAR entry), ``None`` for a plain capture;
    ``stream_hint`` is the Bedrock stream its request URL implies, if any; ``entry`` is the
    body's number in the input (a HAR file's ``log.entries`` index). A body read as it
    streams has empty ``data`` and its bytes in ``reads``, which can be iterated once.
    """

    data: bytes
    label: str | None = None
    stream_hint: StreamName | None = None
    entry: int | None = None
    reads: Iterable[bytes] | None = field(default=None, compare=False, repr=False)
    #: The HTTP exchange the body is the response of (status, URL, timing), when known.
    exchange: Exchange | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        data: object = self.data  # typed bytes, but a caller may pass anything
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InputTypeError(f"a Body's data is bytes, not a {type(data).__name__}")

    def chunks(self, size: int = READ_SIZE) -> Iterator[bytes | memoryview]:
        """The body's bytes in order, in pieces of about ``size`` bytes. Fails closed: after
        a read of a streamed body raised, every call raises
        :class:`~eventstream.DecoderStateError`."""
        check_read_size(size, "Body.chunks")
        if self.reads is None:
            view = memoryview(self.data)
            return (view[start : start + size] for start in range(0, len(view), size))
        if isinstance(self.reads, FailClosed):
            return self.reads  # open_input's reads: already failing closed
        return streamed(iter(self.reads), "Body.chunks()")


@dataclass(frozen=True)
class LoadedInput:
    """The bodies read from an input, and what its format was taken to be.

    ``note`` says what was detected and why (or that the format was given); ``ambiguous`` is
    true when another reading was possible, so the user should know how to override it.
    """

    format: InputFormat
    bodies: tuple[Body, ...]
    note: str
    detected: bool = True
    ambiguous: bool = False


def check_read_size(size: object, what: str) -> None:
    """Refuse a read size that is not a positive int (``range()`` and ``read()`` would take
    0 or -1 otherwise: a ``ValueError``, or a whole file in one read)."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigurationError(f"{what}: read_size must be a positive int, not {size!r}")


def streamed(reads: Iterator[bytes], what: str) -> Iterator[bytes]:
    """``reads``, failing closed: after it raised, every call raises DecoderStateError."""
    ending = Ending(what)
    return FailClosed(_recorded(reads, ending), ending)


def _recorded(reads: Iterator[bytes], ending: Ending) -> Generator[bytes, None, None]:
    # One resume per read (64 KiB), not per frame: the chain hands the reads out.
    try:
        yield from reads
    except GeneratorExit:
        raise
    except BaseException as exc:
        ending.fail(exc)
        raise


# --- detection ------------------------------------------------------------------------------


def _starts_with_prelude(data: bytes) -> bool:
    """Whether ``data`` begins with 12 bytes that pass the prelude checks (CRC and lengths)."""
    if len(data) < PRELUDE_LENGTH:
        return False
    try:
        check_prelude(data, 0, _NO_LIMITS)
    except EventStreamError:
        return False
    return True


_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_text(data: bytes) -> str | None:
    """``data`` as text if it is UTF-8 without control characters (bar whitespace), else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    return text.removeprefix("\ufeff")


# "0x" before a byte or a whole string; the lookbehind keeps "a0x" from being eaten.
_HEX_PREFIX = re.compile(rb"(?<![0-9a-fA-F])0[xX]")
_HEX_SEPARATORS = b" \t\r\n\v\f,:"


def _parse_hex(text: bytes) -> bytes | None:
    """Hex digits, split by whitespace, commas or colons or not, bytes 0x-prefixed or not."""
    # Bytes in, translate and unhexlify in C: megabytes of pasted hex take milliseconds.
    if b"x" in text or b"X" in text:
        text = _HEX_PREFIX.sub(b"", text)
    digits = text.translate(None, _HEX_SEPARATORS)
    if not digits or len(digits) % 2:
        return None
    try:
        return binascii.unhexlify(digits)
    except (ValueError, binascii.Error):
        return None


_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_BASE64_URLSAFE = re.compile(rb"[A-Za-z0-9_-]*={0,2}")


def _b64(text: bytes) -> bytes:
    urlsafe = b"-" in text or b"_" in text
    if not (_BASE64_URLSAFE if urlsafe else _BASE64).fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64")
    # Tools often drop the padding; put it back.
    text += b"=" * (-len(text) % 4)
    return base64.b64decode(text, altchars=b"-_" if urlsafe else None, validate=True)


def _base64_head_is_prelude(text: bytes) -> bool:
    """Whether the first 16 base64 characters could decode to a valid prelude."""
    head = text[:64].translate(None, b" \t\r\n\v\f")[:16]
    try:
        return len(head) == 16 and _starts_with_prelude(_b64(head))
    except (ValueError, binascii.Error):
        return True  # cannot tell from the head: decode it all


def _parse_base64(text: bytes) -> bytes | None:
    """Standard or URL-safe base64, padded or not, possibly wrapped over several lines.

    Also one separately padded string per line, as tools that log each network read write it.
    """
    joined = text.translate(None, b" \t\r\n\v\f")
    if not joined:
        return None
    try:
        return _b64(joined)
    except (ValueError, binascii.Error):
        pass
    lines = text.split()
    if len(lines) > 1:
        try:
            return b"".join(_b64(line) for line in lines)
        except (ValueError, binascii.Error):
            pass
    return None


def _detect(data: bytes) -> tuple[InputFormat, str, bool, Any]:
    """Return ``(format, note, ambiguous, decoded)`` for auto-detection.

    ``decoded`` is the decoded bytes for hex/base64, the parsed JSON for HAR, else the input.
    """
    size = f"{len(data):,} bytes"
    if not data:
        return "raw", "empty input (0 bytes)", False, data
    # A real frame starts with a big-endian length (first byte 0x00 below 16 MiB) and a
    # prelude CRC: no text format can produce 12 bytes that pass both checks by accident.
    if _starts_with_prelude(data):
        return "raw", f"raw bytes ({size}, starting with a valid prelude)", False, data
    # gzip, pcap, HTTP, hex listings, mitmproxy flows: their marks start no text format.
    wrapped = _containers.sniff(data)
    if wrapped is not None:
        return wrapped, "", False, data
    # Checked, not kept: on a large capture each copy of the text costs its size again.
    if _as_text(data) is None:
        if len(data) < PRELUDE_LENGTH:
            why = f"too short for the {PRELUDE_LENGTH}-byte prelude"
        else:
            why = "but the first 12 are not a valid event-stream prelude"
        return "raw", f"raw bytes ({size} of binary, {why})", False, data
    unmarked = data.removeprefix(_BOM)
    if unmarked[:4096].lstrip().startswith(b"{"):
        try:
            document = json.loads(unmarked)
        except (ValueError, RecursionError):
            document = None
        if _is_har(document):
            return "har", f"a HAR file ({size} of JSON with log.entries)", False, document
        return (
            "raw",
            "JSON that is not a HAR file (no log.entries); reading it as raw bytes",
            False,
            data,
        )
    candidates: list[tuple[InputFormat, bytes]] = []
    if unmarked.isascii():
        text = unmarked.strip()
        hex_bytes = _parse_hex(text)
        if hex_bytes is not None:
            # Hex digits are base64 characters too; when the hex reading is a real stream,
            # the head of the base64 reading is enough to see that it is not (the usual case).
            if _starts_with_prelude(hex_bytes) and not _base64_head_is_prelude(text):
                note = (
                    f"hex text ({len(hex_bytes):,} bytes once decoded, starting with a valid "
                    "prelude); not as base64"
                )
                return "hex", note, False, hex_bytes
            candidates.append(("hex", hex_bytes))
        b64_bytes = _parse_base64(text)
        if b64_bytes is not None:
            candidates.append(("base64", b64_bytes))
    if not candidates:
        note = f"text that is neither hex nor base64 ({size}); reading it as raw bytes"
        return "raw", note, False, data
    names = {"hex": "hex text", "base64": "base64 text"}
    # Hex digits are also base64 characters: decide by which decoding yields a real prelude.
    valid = [(fmt, raw) for fmt, raw in candidates if _starts_with_prelude(raw)]
    others = " and ".join(names[fmt] for fmt, _ in candidates)
    if len(valid) == 1:
        fmt, raw = valid[0]
        note = f"{names[fmt]} ({len(raw):,} bytes once decoded, starting with a valid prelude)"
        if len(candidates) > 1:
            rejected = next(f for f, _ in candidates if f != fmt)
            note += f"; not as {rejected}"
        return fmt, note, False, raw
    fmt, raw = (valid or candidates)[0]
    if valid:
        note = (
            f"ambiguous: it reads as {others}, both starting with a valid prelude; "
            f"taking {names[fmt]}"
        )
    elif len(candidates) > 1:
        note = (
            f"ambiguous: it reads as {others}, neither starting with a valid event-stream "
            f"prelude; taking {names[fmt]}"
        )
    else:
        note = (
            f"{names[fmt]} ({len(raw):,} bytes once decoded), but they do not start with a "
            "valid event-stream prelude"
        )
    return fmt, note, True, raw


def _is_har(document: object) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("log"), dict)
        and isinstance(document["log"].get("entries"), list)
    )


# --- HAR ------------------------------------------------------------------------------------


def _string(value: object) -> str:
    # A HAR field that is not a string is treated as absent: str() of a deeply nested list
    # or object could itself exceed the recursion limit, and its text means nothing here.
    return value if isinstance(value, str) else ""


def _header(headers: object, name: str) -> str:
    if isinstance(headers, list):
        for item in headers:
            if isinstance(item, dict) and _string(item.get("name")).lower() == name:
                return _string(item.get("value"))
    return ""


def _har_text_body(text: str, label: str) -> tuple[bytes, str]:
    # A HAR stores an unencoded body as text; binary bodies written this way come back either
    # as UTF-8 or, from tools that map bytes to code points, as Latin-1. Keep the one that
    # yields a real prelude; UTF-8 otherwise. U+DC80..U+DCFF are bytes a tool could not
    # decode, kept by Python's surrogateescape: they go back to those bytes.
    try:
        utf8 = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        # Any other lone surrogate ("\ud800" in the JSON) stands for no byte at all: the
        # producer lost the body when it wrote it as text, and a guess would be a wrong stream.
        raise InputFormatError(
            f"HAR {label}: the response content.text holds the lone surrogate "
            f"{text[exc.start]!r} at character {exc.start}, which stands for no bytes; "
            "export the HAR with the body base64-encoded"
        ) from None
    if not _starts_with_prelude(utf8) and all(ord(c) < 256 for c in text):
        latin1 = text.encode("latin-1")
        if _starts_with_prelude(latin1):
            return latin1, "text content read as Latin-1"
    return utf8, "text content read as UTF-8"


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _har_bodies(document: dict[str, Any]) -> tuple[list[Body], str]:
    entries = document["log"]["entries"]
    bodies: list[Body] = []
    text_bodies: list[str] = []
    no_body: list[str] = []
    other_types: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        request = _object(entry.get("request"))
        response = _object(entry.get("response"))
        content = _object(response.get("content"))
        mime = _string(content.get("mimeType")) or _header(response.get("headers"), "content-type")
        if EVENTSTREAM_CONTENT_TYPE not in mime.lower():
            if mime:
                other_types.add(mime.split(";")[0].strip())
            continue
        url = _string(request.get("url"))
        label = f"entry {index}: {_string(request.get('method')) or '?'} {url}"
        text = content.get("text")
        if not isinstance(text, str):
            no_body.append(label)
            continue
        if content.get("encoding") == "base64":
            try:
                data = base64.b64decode("".join(text.split()), validate=True)
            except (ValueError, binascii.Error) as exc:
                raise InputFormatError(
                    f"HAR {label}: response content is marked base64 but is not ({exc})"
                ) from None
        else:
            data, how = _har_text_body(text, label)
            # Said once in the note, not on the label: the label names the entry wherever
            # it is shown (a record's "source" among them).
            text_bodies.append(f"entry {index}'s {how}")
        exchange = har_exchange(entry, response.get("status"), mime)
        bodies.append(Body(data, label, stream_from_path(url), entry=index, exchange=exchange))
    if not bodies:
        found = f"; response types found: {', '.join(sorted(other_types))}" if other_types else ""
        saved = (
            f"; {len(no_body)} {EVENTSTREAM_CONTENT_TYPE} responses have no saved body (export "
            "the HAR with content)"
            if no_body
            else ""
        )
        raise InputFormatError(
            f"the HAR file has {len(entries)} entries and none with a saved "
            f"{EVENTSTREAM_CONTENT_TYPE} response{saved}{found}"
        )
    note = f"{len(bodies)} of {len(entries)} entries are {EVENTSTREAM_CONTENT_TYPE} responses"
    if no_body:
        note += f" ({len(no_body)} more have no saved body)"
    if text_bodies:
        note += "; " + ", ".join(text_bodies)
    return bodies, note


# --- loading --------------------------------------------------------------------------------


def load_input(data: bytes, input_format: InputFormat | None = None) -> LoadedInput:
    """Read ``data`` as ``input_format``, or detect the format; raise :class:`InputFormatError`."""
    if not isinstance(data, bytes):
        raise InputTypeError(
            f"load_input takes bytes, not a {type(data).__name__} (pass bytes(data); for a "
            "file, open_input)"
        )
    if input_format is None:
        fmt, note, ambiguous, decoded = _detect(data)
        if fmt in _WRAPPED:
            return _load_wrapped(data, fmt, True)
        if fmt == "har":
            bodies, har_note = _har_bodies(decoded)
            return LoadedInput("har", tuple(bodies), f"{note}: {har_note}")
        return LoadedInput(fmt, (Body(decoded),), note, ambiguous=ambiguous)
    if input_format not in INPUT_FORMATS:
        raise ConfigurationError(
            f"unknown input format {input_format!r}; choose one of {INPUT_FORMATS}"
        )
    given = f"{input_format} (as given)"
    if input_format in _WRAPPED:
        return _load_wrapped(data, input_format, False)
    if input_format == "raw":
        return LoadedInput("raw", (Body(data),), given, detected=False)
    text = _as_text(data)
    if text is None:
        raise InputFormatError(f"the input is not {input_format} text: it holds binary bytes")
    if input_format == "har":
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise InputFormatError(f"the input is not JSON, so not a HAR file ({exc})") from None
        except RecursionError:
            raise InputFormatError(
                "the input is JSON nested too deeply to read, so not a HAR file"
            ) from None
        if not _is_har(document):
            raise InputFormatError("the input is JSON but not a HAR file: it has no log.entries")
        bodies, har_note = _har_bodies(document)
        return LoadedInput("har", tuple(bodies), f"har (as given): {har_note}", detected=False)
    parse = _parse_hex if input_format == "hex" else _parse_base64
    unmarked = data.removeprefix(_BOM)
    decoded = parse(unmarked.strip()) if unmarked.isascii() else None
    if decoded is None:
        # _as_text drops the byte order mark: count it back in the offset.
        raise _not_parsable(input_format, text, len(data) - len(unmarked))
    return LoadedInput(input_format, (Body(decoded),), given, detected=False)


def _load_wrapped(data: bytes, fmt: InputFormat, detected: bool) -> LoadedInput:
    """A wrapped input (gzip, http, xxd, ...), read by :mod:`._containers`."""
    fmt, found, note, ambiguous = _containers.load_container(data, fmt, detected, load_input)
    bodies = tuple(_as_body(item) for item in found)
    return LoadedInput(fmt, bodies, note, detected, ambiguous)


def _as_body(found: FoundBody) -> Body:
    if isinstance(found, Body):
        return found
    return Body(found.data, found.label, found.stream_hint, exchange=found.exchange)


# The first character that cannot be hex text: one search each, in C. (Matching one token
# per character from Python took ~3 s on 10 MB; an anchored (?:0[xX]|...)* repeats a group,
# which the re engine does slowly and with ~140 bytes of memory per character.)
_NOT_HEX = re.compile(r"[^0-9a-fA-FxX\s,:]", re.ASCII)
# An x is only good as the "0x" that _HEX_PREFIX removes: after a 0 not preceded by a hex
# digit. (The x first lets the engine skip to each x.)
_STRAY_X = re.compile(r"[xX](?<!(?<![0-9a-fA-F])0[xX])")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=_\s-]", re.ASCII)


def _first_bad_character(input_format: InputFormat, text: str) -> int | None:
    if input_format == "hex":
        bad = _NOT_HEX.search(text)
        end = bad.start() if bad is not None else len(text)
        stray = _STRAY_X.search(text, 0, end)
        if stray is not None:
            return stray.start()
    else:
        bad = _NOT_BASE64.search(text)
    return bad.start() if bad is not None else None


def _not_parsable(input_format: InputFormat, text: str, base: int) -> InputFormatError:
    """The error for ``text`` that is not ``input_format``, at the first bad character."""
    position = _first_bad_character(input_format, text)
    if position is not None:
        what = "a hex digit" if input_format == "hex" else "in the base64 alphabet"
        # Everything before the bad character is ASCII: characters = bytes.
        return InputFormatError(
            f"the input is not {input_format} text: {text[position]!r} is not {what}",
            offset=base + position,
        )
    # Every character is of the alphabet, so the text is ASCII.
    raw = text.encode("ascii")
    if input_format == "hex":
        if not _HEX_PREFIX.sub(b"", raw).translate(None, _HEX_SEPARATORS):
            return InputFormatError("the input is not hex text: it holds no hex digits")
        return InputFormatError("the input is not hex text: it has an odd number of hex digits")
    if not raw.translate(None, b" \t\r\n\v\f"):
        return InputFormatError("the input is not base64 text: it holds no base64 characters")
    return InputFormatError("the input is not base64 text: its length or padding is wrong")


# --- streaming ------------------------------------------------------------------------------


def _read_some(file: BinaryIO, size: int) -> bytes:
    # read1 returns what one read of the pipe gives, so a live capture is decoded as it comes
    # instead of waiting for `size` bytes.
    read1 = getattr(file, "read1", None)
    return _bytes_read(read1(size) if read1 is not None else file.read(size))


def _bytes_read(block: object) -> bytes:
    if isinstance(block, bytes):
        return block
    if isinstance(block, bytearray | memoryview):
        return bytes(block)
    if block is None:
        raise InputTypeError(
            "the file's read() gave None: a non-blocking file with nothing ready; "
            "open_input needs a blocking binary file"
        )
    raise InputTypeError(
        f"the file's read() gave a {type(block).__name__}, not bytes: open the file in "
        "binary mode ('rb')"
    )


def _file_size(file: BinaryIO) -> int | None:
    """The size of a regular file, else ``None`` (a pipe, a terminal, an in-memory file)."""
    try:
        info = os.fstat(file.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _reads(head: bytes, file: BinaryIO, size: int) -> Iterator[bytes]:
    """``head``, then the rest of ``file``, in reads of up to ``size`` bytes."""
    for start in range(0, len(head), size):
        yield head[start : start + size]
    while block := _read_some(file, size):
        yield block


def _text_cut(text: bytes, final: bool) -> int:
    """Where to cut a read of hex or base64 text: after its last separator (no digit, no
    "0x" and no base64 quantum is split there), all of it at the end of the input."""
    if final:
        return len(text)
    last = max(text.rfind(c) for c in (b" ", b"\n", b"\t", b"\r", b",", b":"))
    if last >= 0:
        return last + 1
    # No separator in a whole read: cut between two hex digits with no "0x" across the cut.
    for cut in range(len(text) - 2, 0, -1):
        pair = text[cut - 1 : cut + 2]
        if b"x" not in pair.lower():
            return cut
    return 0


def _hex_reads(head: bytes, file: BinaryIO, size: int) -> Iterator[bytes]:
    """The bytes hex text stands for, decoded as the text is read (bounded memory)."""
    pending = b""
    odd = b""  # a digit whose pair is in the next read
    consumed = 0  # characters of text before ``pending``
    blocks = _reads(head.removeprefix(_BOM), file, size)
    base = len(head) - len(head.removeprefix(_BOM))
    while True:
        block = next(blocks, None)
        final = block is None
        text = pending + (block or b"")
        cut = _text_cut(text, final)
        piece, pending = text[:cut], text[cut:]
        if piece:
            if not piece.isascii():
                raise _not_parsable_stream("hex", piece, base + consumed)
            digits = odd + _HEX_PREFIX.sub(b"", piece).translate(None, _HEX_SEPARATORS)
            odd = b""
            if len(digits) % 2:
                digits, odd = digits[:-1], digits[-1:]
            try:
                decoded = binascii.unhexlify(digits)
            except (ValueError, binascii.Error):
                raise _not_parsable_stream("hex", piece, base + consumed) from None
            consumed += len(piece)
            if decoded:
                yield decoded
        if final:
            if odd:
                raise InputFormatError(
                    "the input is not hex text: it has an odd number of hex digits"
                )
            return


def _base64_reads(head: bytes, file: BinaryIO, size: int) -> Iterator[bytes]:
    """The bytes base64 text stands for, decoded as the text is read (bounded memory).

    Quanta run on across lines; a padded quantum ends a string, so one padded string per
    line (as tools that log each network read write it) reads too.
    """
    pending = b""
    quanta = b""  # base64 characters not yet decoded
    consumed = 0
    blocks = _reads(head.removeprefix(_BOM), file, size)
    base = len(head) - len(head.removeprefix(_BOM))
    while True:
        block = next(blocks, None)
        final = block is None
        text = pending + (block or b"")
        cut = _text_cut(text, final)
        piece, pending = text[:cut], text[cut:]
        joined = piece.translate(None, b" \t\r\n\v\f")
        # Which alphabet, standard or URL-safe, _b64 tells from each string it decodes.
        if not piece.isascii() or _NOT_BASE64.search(piece.decode("ascii")):
            raise _not_parsable_stream("base64", piece, base + consumed)
        quanta += joined
        out = bytearray()
        try:
            while (pad := quanta.find(b"=")) >= 0:
                end = (pad // 4 + 1) * 4
                if len(quanta) < end and not final:
                    break
                string, quanta = quanta[:end], quanta[end:]
                out += _b64(string.rstrip(b"=") if len(string) < end else string)
            whole = len(quanta) - len(quanta) % 4 if b"=" not in quanta else 0
            if final:
                whole = len(quanta)
            if whole:
                out += _b64(quanta[:whole])
                quanta = quanta[whole:]
        except (ValueError, binascii.Error):
            raise InputFormatError(
                "the input is not base64 text: its length or padding is wrong",
                offset=base + consumed,
            ) from None
        consumed += len(piece)
        if out:
            yield bytes(out)
        if final:
            return


def _not_parsable_stream(fmt: InputFormat, piece: bytes, base: int) -> InputFormatError:
    text = piece.decode("utf-8", "replace")
    position = _first_bad_character(fmt, text)
    if position is not None:
        what = "a hex digit" if fmt == "hex" else "in the base64 alphabet"
        at = base + len(text[:position].encode("utf-8", "replace"))
        return InputFormatError(
            f"the input is not {fmt} text: {text[position]!r} is not {what}", offset=at
        )
    return InputFormatError(f"the input is not {fmt} text", offset=base)


def _head_for_detection(head: bytes) -> bytes:
    """A head cut where a text format can be read to: after its last line, else after its last
    separator, else at a multiple of four characters (whole bytes of hex, quanta of base64)."""
    cut = head.rfind(b"\n") + 1 or max(head.rfind(c) for c in (b" ", b"\t", b",", b":")) + 1
    return head[:cut] if cut else head[: len(head) - len(head) % 4]


def open_input(
    file: BinaryIO,
    input_format: InputFormat | None = None,
    *,
    size: int | None = None,
    read_size: int = READ_SIZE,
) -> LoadedInput:
    """Read ``file`` as ``input_format``, or detect the format, as :func:`load_input` does.

    Raw, hex and base64 input is decoded as it is read: the returned body streams (its
    ``reads``) and memory stays bounded by the reads and the largest frame. An input of at
    most :data:`HEAD_BYTES` is read whole and detected exactly as :func:`load_input`
    detects it; a larger one is detected from that head. Other formats are read whole,
    up to :data:`MAX_DOCUMENT_BYTES` (:class:`InputFormatError` beyond). ``size`` is the
    input's length for the notes, if known (a regular file's is looked up).
    """
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise ConfigurationError(
            f"unknown input format {input_format!r}; choose one of {INPUT_FORMATS}"
        )
    if not callable(getattr(file, "read", None)):
        raise InputTypeError(
            f"open_input takes a binary file object, not a {type(file).__name__} "
            "(for bytes in memory, load_input)"
        )
    check_read_size(read_size, "open_input")
    given: object = size  # typed int, but a caller may pass anything
    if given is not None and (not isinstance(given, int) or isinstance(given, bool) or given < 0):
        raise ConfigurationError(f"open_input: size must be an int >= 0 or None, not {size!r}")
    if size is None:
        size = _file_size(file)
    shown = f"{size:,} bytes, " if size is not None else ""
    head = bytearray()
    ended = False
    while len(head) <= HEAD_BYTES:
        block = _read_some(file, HEAD_BYTES + 1 - len(head))
        if not block:
            ended = True
            break
        head += block
        # A live stream of frames must not wait for a megabyte before the first is shown.
        prelude = input_format is None and _starts_with_prelude(bytes(head[:PRELUDE_LENGTH]))
        if input_format == "raw" or prelude:
            note = (
                "raw (as given)"
                if input_format == "raw"
                else f"raw bytes ({shown}starting with a valid prelude)"
            )
            body = Body(b"", reads=streamed(_reads(bytes(head), file, read_size), "raw reads"))
            return LoadedInput("raw", (body,), note, detected=input_format is None)
    data = bytes(head)
    if ended:
        return load_input(data, input_format)
    fmt: str | None = input_format
    if fmt is None:
        # A JSON document (HAR) cannot be told from a cut head: it is read whole below.
        is_json = data.removeprefix(_BOM)[:4096].lstrip().startswith(b"{")
        fmt = "document" if is_json else _detect(_head_for_detection(data))[0]
    if fmt == "raw":
        why = "binary, but the first 12 bytes are not a valid event-stream prelude"
        note = f"raw bytes ({shown}{why})"
        reads = streamed(_reads(data, file, read_size), "raw reads")
        return LoadedInput("raw", (Body(b"", reads=reads),), note)
    if fmt in ("hex", "base64"):
        decoding = (_hex_reads if fmt == "hex" else _base64_reads)(data, file, read_size)
        reads = streamed(decoding, f"{fmt} reads")
        given = input_format is not None
        note = f"{fmt} (as given)" if given else f"{fmt} text ({shown}decoded as it is read)"
        text_format: InputFormat = "hex" if fmt == "hex" else "base64"
        return LoadedInput(text_format, (Body(b"", reads=reads),), note, detected=not given)
    rest = _bytes_read(file.read(MAX_DOCUMENT_BYTES + 1 - len(data)))
    if len(data) + len(rest) > MAX_DOCUMENT_BYTES:
        what = "a JSON (HAR)" if fmt in ("har", "document") else f"a {fmt}"
        raise InputFormatError(
            f"the input is {what} document larger than {MAX_DOCUMENT_BYTES >> 20} MiB, the "
            "most read whole; extract the response body (for a HAR file: jq -r "
            "'.log.entries[N].response.content.text' | base64 -d > body.bin) and decode it"
        )
    return load_input(data + rest, input_format)
