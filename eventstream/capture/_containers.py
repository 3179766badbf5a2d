"""The inputs that wrap event-stream bytes in something else: gzip files, raw HTTP, hex
listings (xxd, hexdump -C), packet captures (pcap, pcapng) and mitmproxy flows.

Each is told by a mark no raw event stream, hex or base64 text can begin with (checked
after the prelude): the gzip and pcap magic numbers, an HTTP start line, a listing's offset
column, a tnetstring dictionary. :func:`sniff` names the format; :func:`load_container` reads
it, through the reader in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TypeAlias, get_args

from ._base import Found, FoundBody, InputFormatError
from ._compressed import MAX_DECOMPRESSED_SIZE, gunzip
from ._http import cut_notes, http_bodies, looks_like_http
from ._listing import ListingKind, listing_kind, parse_listing
from ._mitm import looks_like_flows, mitm_bodies
from ._pcap import capture_kind, pcap_bodies

__all__: list[str] = []

ContainerFormat: TypeAlias = Literal[
    "gzip", "http", "xxd", "hexdump", "pcap", "pcapng", "mitmproxy"
]  # fmt: skip
CONTAINER_FORMATS: tuple[ContainerFormat, ...] = get_args(ContainerFormat)
#: gzip inside gzip inside ...: how many layers are undone.
MAX_GZIP_DEPTH = 3

_NAMES = {
    "gzip": "a gzip file",
    "http": "raw HTTP",
    "xxd": "an xxd listing",
    "hexdump": "a hexdump -C listing",
    "pcap": "a pcap capture",
    "pcapng": "a pcapng capture",
    "mitmproxy": "a mitmproxy flow file",
}


def sniff(data: bytes) -> ContainerFormat | None:
    """The container format ``data`` starts with the mark of, or ``None``."""
    if data[:3] == b"\x1f\x8b\x08":  # RFC 1952: ID1 ID2 and CM = deflate
        return "gzip"
    kind = capture_kind(data)
    if kind is not None:
        return kind
    head = data[:4096]
    if looks_like_http(head):
        return "http"
    listing = listing_kind(head)
    if listing is not None:
        return listing
    if looks_like_flows(data):
        return "mitmproxy"
    return None


_MARKS = {
    "gzip": "its gzip magic number",
    "http": "an HTTP start line",
    "xxd": "xxd's offset and hex columns",
    "hexdump": "hexdump -C's offset, hex and |text| columns",
    "pcap": "the pcap magic number",
    "pcapng": "the pcapng section header",
    "mitmproxy": "a tnetstring dictionary",
}


class Loaded(Protocol):
    """What ``load_input`` returns, as far as a gzip file's contents need it."""

    @property
    def bodies(self) -> Sequence[FoundBody]: ...
    @property
    def note(self) -> str: ...
    @property
    def ambiguous(self) -> bool: ...


def load_container(
    data: bytes,
    fmt: str,
    detected: bool,
    load: Callable[[bytes, None], Loaded],
    depth: int = 0,
) -> tuple[ContainerFormat, Sequence[FoundBody], str, bool]:
    """Read ``data`` as the container ``fmt``: ``(format, bodies, note, ambiguous)``.

    ``load`` (``load_input``) reads what a gzip file holds.
    """
    size = f"{len(data):,} bytes"
    how = f"{_NAMES[fmt]} ({size}, told by {_MARKS[fmt]})" if detected else f"{fmt} (as given)"
    if fmt == "gzip":
        if depth >= MAX_GZIP_DEPTH:
            raise InputFormatError(f"gzip inside gzip more than {MAX_GZIP_DEPTH} times")
        inner = gunzip(data)
        # Undone here, counted, rather than through load(): a gzip file may hold itself.
        if sniff(inner) == "gzip":
            _, bodies, inner_note, ambiguous = load_container(inner, "gzip", True, load, depth + 1)
        else:
            loaded = load(inner, None)
            bodies, inner_note, ambiguous = loaded.bodies, loaded.note, loaded.ambiguous
        note = (
            f"{how}: {len(inner):,} bytes once decompressed (at most "
            f"{MAX_DECOMPRESSED_SIZE >> 20} MiB are), holding {inner_note}"
        )
        return "gzip", bodies, note, ambiguous
    found: list[Found]
    name: ContainerFormat
    if fmt == "http":
        name = "http"
        found, messages = http_bodies(data, "HTTP")
        if not found:
            shown = "; ".join(m.start_line + f" ({m.header('content-type')})" for m in messages)
            count = f"{len(messages)} message" + ("" if len(messages) == 1 else "s")
            raise InputFormatError(
                f"the input is HTTP with {count} and no "
                f"application/vnd.amazon.eventstream response: {shown[:300]}"
            )
        responses = sum(1 for m in messages if m.status is not None)
        note = f"{how}: {len(found)} of {responses} responses are event streams"
        # A cut body is read as far as it goes: its frames before the cut stay readable.
        note += "".join(f"; {text}" for text in cut_notes(messages))
    elif fmt in ("xxd", "hexdump"):
        kind: ListingKind = "xxd" if fmt == "xxd" else "hexdump"
        name = kind
        if not detected and listing_kind(data) != kind:
            raise InputFormatError(
                f"the input is not {_NAMES[fmt]}: its first line is not in that tool's shape"
            )
        raw, first = parse_listing(data, kind)
        start = f", listed from offset {first:#x}" if first else ""
        note = f"{how}: {len(raw):,} bytes listed{start}"
        found = [Found(raw)]
    elif fmt in ("pcap", "pcapng"):
        kind_found = capture_kind(data)
        if kind_found is None:
            raise InputFormatError(f"the input is not a {fmt} file: it lacks the magic number")
        if kind_found != fmt:
            raise InputFormatError(
                f"the input is a {kind_found} file, not {fmt}: give {kind_found}"
            )
        name = kind_found
        found, capture_note = pcap_bodies(data, kind_found)
        plural = "" if len(found) == 1 else "s"
        note = f"{how}: {capture_note}; {len(found)} event-stream response{plural}"
    elif fmt == "mitmproxy":
        name = "mitmproxy"
        found, flows_note = mitm_bodies(data)
        note = f"{how}: {flows_note}"
    else:
        raise InputFormatError(f"{fmt!r} is not a wrapped format")
    return name, found, note, False
