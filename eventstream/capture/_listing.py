"""Hex listings: ``xxd`` (any ``-c``/``-g``/``-u``/``-s``/``-a``) and ``hexdump -C`` output.

Each line is an offset, the bytes in hex and the same bytes as text. All three are checked
against one another: offsets must follow on, and the text column must be what the tool prints
for those bytes, so a little-endian (``xxd -e``) or binary (``xxd -b``) listing, a missing line
or an edited byte is an error, not a wrong stream. ``xxd -p`` is plain hex (the hex format).
"""

from __future__ import annotations

import re
from typing import Literal

from ._base import InputFormatError
from ._compressed import MAX_DECOMPRESSED_SIZE

__all__: list[str] = []

#: The most bytes a listing may stand for. A ``*`` line repeats the line before it up to the
#: next offset, so a 100-byte listing can claim terabytes (a "zip bomb" in text): it is
#: refused, as a gzip input past the same size is.
MAX_LISTED_SIZE = MAX_DECOMPRESSED_SIZE

ListingKind = Literal["xxd", "hexdump"]

_XXD_LINE = re.compile(r"([0-9a-fA-F]{8,}): ((?:[0-9a-fA-F]{2})+(?: (?:[0-9a-fA-F]{2})+)*)(.*)")
_HEXDUMP_LINE = re.compile(r"([0-9a-fA-F]{8,})  ([0-9a-fA-F ]*?) *\|(.*)\|")
_OFFSET_ONLY = re.compile(r"[0-9a-fA-F]{8,}")
_PRINTABLE = bytes(range(0x20, 0x7F))
# Both tools show a byte outside printable ASCII as ".".
_SHOWN = bytes(b if b in _PRINTABLE else 0x2E for b in range(256))


def listing_kind(data: bytes) -> ListingKind | None:
    """``"xxd"`` or ``"hexdump"`` if the first line of ``data`` has that tool's shape."""
    head = data[:512].removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    # The hex part is followed by two spaces and the text column in both tools.
    match = _XXD_LINE.fullmatch(line)
    if match is not None and match[3].startswith("  "):
        return "xxd"
    match = _HEXDUMP_LINE.fullmatch(line)
    if match is not None and match[2].strip():
        return "hexdump"
    return None


def parse_listing(data: bytes, kind: ListingKind) -> tuple[bytes, int]:
    """The bytes an ``xxd`` or ``hexdump -C`` listing shows, and the offset it starts at."""
    tool = "xxd" if kind == "xxd" else "hexdump -C"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"the input is not an {tool} listing: it holds a byte that is not ASCII",
            offset=exc.start,
        ) from None
    out = bytearray()
    first: int | None = None
    previous: bytes | None = None
    squeezed = False
    ended = False
    position = 0
    for number, raw_line in enumerate(text.split("\n"), 1):
        at = position
        position += len(raw_line) + 1
        line = raw_line.rstrip("\r")
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue

        def fail(why: str, *, line_number: int = number, offset: int = at) -> InputFormatError:
            return InputFormatError(
                f"the input is not an {tool} listing: line {line_number}: {why}", offset=offset
            )

        if ended:
            raise fail("a line after the listing's closing offset")
        if line == "*":
            # A run of lines equal to the one before (hexdump), or of zeros (xxd -a).
            if previous is None or squeezed:
                raise fail("'*' with no line to repeat")
            squeezed = True
            continue
        offset_match = _OFFSET_ONLY.fullmatch(line)
        if offset_match is not None and kind == "hexdump":
            shown = b""
            offset = int(line, 16)
            ended = True
        else:
            pattern = _XXD_LINE if kind == "xxd" else _HEXDUMP_LINE
            match = pattern.fullmatch(line)
            if match is None:
                raise fail(f"not an {tool} line: {line[:60]!r}")
            offset = int(match[1], 16)
            digits = "".join(match[2].split())
            if kind == "hexdump" and any(len(t) != 2 for t in match[2].split()):
                raise fail("hexdump -C shows bytes as pairs of hex digits")
            shown = bytes.fromhex(digits)
            column = match[3]
            if kind == "xxd":
                # Two or more spaces (padding on a short line), then one character per byte;
                # an editor may have trimmed trailing spaces (bytes 0x20).
                text_part = column.rstrip(" ")
                expected = shown.translate(_SHOWN).decode("ascii").rstrip(" ")
                pad = column[: len(text_part) - len(expected)]
                good = text_part.endswith(expected) and not pad.strip()
                good = good and (pad.startswith("  ") or not text_part)
            else:
                expected = shown.translate(_SHOWN).decode("ascii")
                good = column == expected
            if not good:
                raise fail(
                    "the text column does not show the bytes of the hex column (a listing "
                    "with other options than these, such as xxd -e or -b, or an edited line)"
                )
        if first is None:
            first = offset
        end = first + len(out)
        if squeezed:
            assert previous is not None
            gap = offset - end
            if not previous or gap <= 0 or gap % len(previous):
                raise fail(
                    f"after '*', offset {offset:#x} is not a whole number of repeated lines on"
                )
            if len(out) + gap > MAX_LISTED_SIZE:
                raise fail(
                    f"after '*', offset {offset:#x} claims {gap:,} bytes of repeated lines: the "
                    f"listing would stand for more than {MAX_LISTED_SIZE >> 20} MiB, the most read"
                )
            out += previous * (gap // len(previous))
            end = offset
            squeezed = False
        if offset != end:
            raise fail(f"offset {offset:#x}, where {end:#x} was due (a line missing or edited?)")
        out += shown
        previous = shown
    if first is None:
        raise InputFormatError(f"the input is not an {tool} listing: it has no lines")
    if squeezed:
        raise InputFormatError(
            f"the input is not an {tool} listing: it ends with '*', so its length is unknown"
        )
    return bytes(out), first
