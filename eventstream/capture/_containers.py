"""The inputs that wrap event-stream bytes in something else: gzip files, raw HTTP, hex
listings (xxd, hexdump -C), packet captures (pcap, pcapng) and mitmproxy flows.

Each is told by a mark no raw event stream, hex or base64 text can begin with (checked
after the prelude): the gzip and pcap magic numbers, an HTTP start line, a listing's offset
column, a tnetstring dictionary. :func:`sniff` names the format; :func:`load_container` reads
it, through the reader in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias, get_args

from ._compressed import MAX_DECOMPRESSED_SIZE, gunzip
from ._formats import Body, InputFormat, InputFormatError, LoadedInput
from ._http import http_bodies, looks_like_http
from ._listing import ListingKind, listing_kind, parse_listing
from ._mitm import looks_like_flows, mitm_bodies
from ._pcap import capture_kind, pcap_bodies

__all__ = ["ContainerFormat", "CONTAINER_FORMATS", "sniff", "load_container"]

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


def load_container(
    data: bytes,
    fmt: InputFormat,
    detected: bool,
    load: Callable[[bytes, InputFormat | None], LoadedInput],
    depth: int = 0,
) -> LoadedInput:
    """Read ``data`` as the container ``fmt``; ``load`` reads what a gzip file holds."""
    size = f"{len(data):,} bytes"
    how = f"{_NAMES[fmt]} ({size}, told by {_MARKS[fmt]})" if detected else f"{fmt} (as given)"
    if fmt == "gzip":
        if depth >= MAX_GZIP_DEPTH:
            raise InputFormatError(f"gzip inside gzip more than {MAX_GZIP_DEPTH} times")
        inner = gunzip(data)
        # Undone here, counted, rather than through load(): a gzip file may hold itself.
        if sniff(inner) == "gzip":
            loaded = load_container(inner, "gzip", True, load, depth + 1)
        else:
            loaded = load(inner, None)
        note = (
            f"{how}: {len(inner):,} bytes once decompressed (at most "
            f"{MAX_DECOMPRESSED_SIZE >> 20} MiB are), holding {loaded.note}"
        )
        return LoadedInput("gzip", loaded.bodies, note, detected, loaded.ambiguous)
    bodies: list[Body]
    if fmt == "http":
        bodies, messages = http_bodies(data, "HTTP")
        if not bodies:
            shown = "; ".join(m.start_line + f" ({m.header('content-type')})" for m in messages)
            raise InputFormatError(
                f"the input is HTTP with {len(messages)} messages and no "
                f"application/vnd.amazon.eventstream response: {shown[:300]}"
            )
        responses = sum(1 for m in messages if m.status is not None)
        note = f"{how}: {len(bodies)} of {responses} responses are event streams"
    elif fmt in ("xxd", "hexdump"):
        kind: ListingKind = "xxd" if fmt == "xxd" else "hexdump"
        if not detected and listing_kind(data) != kind:
            raise InputFormatError(
                f"the input is not {_NAMES[fmt]}: its first line is not in that tool's shape"
            )
        raw, first = parse_listing(data, kind)
        start = f", listed from offset {first:#x}" if first else ""
        note = f"{how}: {len(raw):,} bytes listed{start}"
        bodies = [Body(raw)]
    elif fmt in ("pcap", "pcapng"):
        found = capture_kind(data)
        if found is None:
            raise InputFormatError(f"the input is not a {fmt} file: it lacks the magic number")
        if found != fmt:
            raise InputFormatError(f"the input is a {found} file, not {fmt}: give {found}")
        bodies, capture_note = pcap_bodies(data, found)
        plural = "" if len(bodies) == 1 else "s"
        note = f"{how}: {capture_note}; {len(bodies)} event-stream response{plural}"
    elif fmt == "mitmproxy":
        bodies, flows_note = mitm_bodies(data)
        note = f"{how}: {flows_note}"
    else:
        raise InputFormatError(f"{fmt!r} is not a wrapped format")
    return LoadedInput(fmt, tuple(bodies), note, detected)
