"""Packet captures (pcap, pcapng) of plaintext HTTP: TCP streams reassembled, responses found.

Written here rather than taken from a library: the two container formats are small and fully
specified (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng), and the libraries that read them
(dpkt, scapy, pyshark) leave TCP reassembly to the caller or need tshark — the part that
matters here. Each packet is checked against its container's and its headers' lengths; a
stream is rebuilt by sequence number whatever the packet order, each byte kept as it first
arrived (a retransmission that differs is reported), and a hole ends the stream where it is.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from ._base import Found, InputFormatError
from ._http import HttpMessage, cut_notes, http_bodies, looks_like_http, parse_messages

__all__: list[str] = []

CaptureKind = Literal["pcap", "pcapng"]

# Classic pcap: the magic in the writer's byte order; 0xA1B23C4D has nanosecond timestamps.
_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 10**6),
    b"\xa1\xb2\xc3\xd4": (">", 10**6),
    b"\x4d\x3c\xb2\xa1": ("<", 10**9),
    b"\xa1\xb2\x3c\x4d": (">", 10**9),
}
_PCAPNG_SECTION = b"\x0a\x0d\x0d\x0a"
#: The largest packet read (the snapshot length tcpdump uses by default).
MAX_PACKET = 262_144


def capture_kind(data: bytes) -> CaptureKind | None:
    """``"pcap"`` or ``"pcapng"`` if ``data`` starts with that container's magic."""
    if data[:4] in _PCAP_MAGICS:
        return "pcap"
    if data[:4] == _PCAPNG_SECTION and data[8:12] in (b"\x1a\x2b\x3c\x4d", b"\x4d\x3c\x2b\x1a"):
        return "pcapng"
    return None


@dataclass
class _Packet:
    number: int
    time: float  # Unix time
    link_type: int
    data: bytes
    original_length: int


def _pcap_packets(data: bytes) -> Iterator[_Packet]:
    if len(data) < 24:
        raise InputFormatError("pcap: the file header is cut short", offset=len(data))
    order, unit = _PCAP_MAGICS[data[:4]]
    major, _minor, _zone, _sigfigs, _snaplen, link = struct.unpack_from(order + "HHiIII", data, 4)
    if major != 2:
        raise InputFormatError(f"pcap: version {major} (only 2.4 is defined)", offset=4)
    # The link type is the low 16 bits; the high ones may say whether frames carry an FCS.
    link &= 0xFFFF
    position, number = 24, 0
    while position < len(data):
        if position + 16 > len(data):
            raise InputFormatError(
                f"pcap: packet {number + 1}'s record header is cut short", offset=position
            )
        seconds, fraction, captured, original = struct.unpack_from(order + "IIII", data, position)
        if captured > MAX_PACKET or position + 16 + captured > len(data):
            raise InputFormatError(
                f"pcap: packet {number + 1} claims {captured:,} bytes, "
                f"{len(data) - position - 16:,} remain",
                offset=position + 8,
            )
        number += 1
        start = position + 16
        yield _Packet(
            number, seconds + fraction / unit, link, data[start : start + captured], original
        )
        position = start + captured


@dataclass
class _Interface:
    link_type: int
    ticks: int = 10**6  # per second
    offset: int = 0


def _pcapng_packets(data: bytes) -> Iterator[_Packet]:
    position, number = 0, 0
    order = "<"
    interfaces: list[_Interface] = []
    while position < len(data):
        if position + 12 > len(data):
            raise InputFormatError("pcapng: a block header is cut short", offset=position)
        if data[position : position + 4] == _PCAPNG_SECTION:
            magic = data[position + 8 : position + 12]
            if magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise InputFormatError(
                    "pcapng: a section header with a bad byte-order magic", offset=position + 8
                )
            interfaces = []  # each section numbers its interfaces afresh
        kind, length = struct.unpack_from(order + "II", data, position)
        if length < 12 or length % 4 or position + length > len(data):
            raise InputFormatError(
                f"pcapng: a block of type {kind:#x} claims {length:,} bytes "
                f"({len(data) - position:,} remain; a block is a multiple of 4, at least 12)",
                offset=position + 4,
            )
        (trailer,) = struct.unpack_from(order + "I", data, position + length - 4)
        if trailer != length:
            raise InputFormatError(
                f"pcapng: a block's two lengths differ ({length} and {trailer})",
                offset=position + length - 4,
            )
        body = data[position + 8 : position + length - 4]
        if kind == 1:  # Interface Description Block
            if len(body) < 8:
                raise InputFormatError("pcapng: an interface block is cut short", offset=position)
            interface = _Interface(struct.unpack_from(order + "H", body)[0])
            for code, value in _options(body, 8, order, position + 8):
                if code == 9 and len(value) == 1:  # if_tsresol
                    exponent = value[0] & 0x7F
                    if exponent > 30 and not value[0] & 0x80:
                        raise InputFormatError(
                            f"pcapng: if_tsresol 10^-{exponent} is finer than any clock",
                            offset=position,
                        )
                    interface.ticks = 2**exponent if value[0] & 0x80 else 10**exponent
                elif code == 14 and len(value) == 8:  # if_tsoffset, seconds
                    interface.offset = struct.unpack(order + "q", value)[0]
            interfaces.append(interface)
        elif kind in (6, 2):  # Enhanced Packet Block; the obsolete Packet Block
            if len(body) < 20:
                raise InputFormatError("pcapng: a packet block is cut short", offset=position)
            if kind == 6:
                interface_id, high, low, captured, original = struct.unpack_from(
                    order + "IIIII", body
                )
            else:
                interface_id, _drops, high, low, captured, original = struct.unpack_from(
                    order + "HHIIII", body
                )
            if interface_id >= len(interfaces):
                raise InputFormatError(
                    f"pcapng: a packet names interface {interface_id}, which is not described",
                    offset=position + 8,
                )
            if captured > min(len(body) - 20, MAX_PACKET):
                raise InputFormatError(
                    f"pcapng: a packet claims {captured:,} bytes in a block of {length:,}",
                    offset=position + 20,
                )
            interface = interfaces[interface_id]
            number += 1
            # Whole seconds and the fraction apart, as pcap stores them: the same float.
            seconds, fraction = divmod((high << 32) | low, interface.ticks)
            time = interface.offset + seconds + fraction / interface.ticks
            yield _Packet(number, time, interface.link_type, body[20 : 20 + captured], original)
        elif kind == 3:  # Simple Packet Block: no timestamp, interface 0
            if len(body) < 4 or not interfaces:
                raise InputFormatError(
                    "pcapng: a simple packet block without an interface", offset=position
                )
            (original,) = struct.unpack_from(order + "I", body)
            number += 1
            packet = body[4 : 4 + min(original, MAX_PACKET)]
            yield _Packet(number, float("nan"), interfaces[0].link_type, packet, original)
        position += length


def _options(body: bytes, at: int, order: str, base: int) -> Iterator[tuple[int, bytes]]:
    """The options of a pcapng block (code, value), each padded to 4 bytes."""
    while at + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, at)
        if code == 0:  # opt_endofopt
            return
        if at + 4 + length > len(body):
            raise InputFormatError("pcapng: an option runs past its block", offset=base + at)
        yield code, body[at + 4 : at + 4 + length]
        at += 4 + length + (-length % 4)


# --- link, network and transport layers -----------------------------------------------------

_ETHERNET, _NULL, _RAW, _LOOP, _SLL, _IPV4, _IPV6, _SLL2 = 1, 0, 101, 108, 113, 228, 229, 276


def _network(packet: _Packet) -> tuple[int, bytes] | None:
    """``(IP version, IP packet)`` of a link-layer frame, or ``None`` if it carries no IP."""
    frame, link = packet.data, packet.link_type
    if link == _ETHERNET:
        at, ethertype = 12, None
        while at + 2 <= len(frame):
            ethertype = int.from_bytes(frame[at : at + 2], "big")
            if ethertype in (0x8100, 0x88A8):  # 802.1Q / 802.1ad VLAN tags
                at += 4
                continue
            break
        payload, protocol = frame[at + 2 :], ethertype
    elif link in (_NULL, _LOOP):
        if len(frame) < 4:
            return None
        # DLT_NULL's family is in the capturing host's byte order; LOOP's is big-endian.
        family = int.from_bytes(frame[:4], "big")
        if link == _NULL and family > 0xFFFF:
            family = int.from_bytes(frame[:4], "little")
        payload = frame[4:]
        protocol = 0x0800 if family == 2 else 0x86DD if family in (10, 24, 28, 30) else None
    elif link in (_RAW, _IPV4, _IPV6):
        payload, protocol = frame, None
    elif link == _SLL:
        payload = frame[16:]
        protocol = int.from_bytes(frame[14:16], "big") if len(frame) >= 16 else None
    elif link == _SLL2:
        payload = frame[20:]
        protocol = int.from_bytes(frame[0:2], "big") if len(frame) >= 20 else None
    else:
        return None
    if protocol is None and payload:
        protocol = {4: 0x0800, 6: 0x86DD}.get(payload[0] >> 4)
    if protocol == 0x0800:
        return 4, payload
    if protocol == 0x86DD:
        return 6, payload
    return None


@dataclass
class _Segment:
    source: tuple[str, int]
    destination: tuple[str, int]
    sequence: int
    flags: int
    payload: bytes
    missing: int  # bytes of the payload the capture did not keep (snapshot length)
    time: float
    number: int


def _tcp(packet: _Packet, counts: dict[str, int]) -> _Segment | None:
    network = _network(packet)
    if network is None:
        counts["not IP"] = counts.get("not IP", 0) + 1
        return None
    version, ip = network
    if version == 4:
        if len(ip) < 20 or ip[0] >> 4 != 4 or (ip[0] & 0x0F) < 5:
            counts["bad IPv4 header"] = counts.get("bad IPv4 header", 0) + 1
            return None
        header = (ip[0] & 0x0F) * 4
        total = int.from_bytes(ip[2:4], "big")
        fragment = int.from_bytes(ip[6:8], "big")
        if fragment & 0x3FFF:  # more fragments, or an offset
            counts["IP fragments"] = counts.get("IP fragments", 0) + 1
            return None
        protocol = ip[9]
        source, destination = str(ipaddress.IPv4Address(ip[12:16])), None
        destination = str(ipaddress.IPv4Address(ip[16:20]))
        if total < header:
            counts["bad IPv4 header"] = counts.get("bad IPv4 header", 0) + 1
            return None
        # TCP segmentation offload captures write 0 for the length: the frame then tells.
        end = total if total else len(ip)
    else:
        if len(ip) < 40 or ip[0] >> 4 != 6:
            counts["bad IPv6 header"] = counts.get("bad IPv6 header", 0) + 1
            return None
        protocol, header = ip[6], 40
        end = 40 + int.from_bytes(ip[4:6], "big")
        source = str(ipaddress.IPv6Address(ip[8:24]))
        destination = str(ipaddress.IPv6Address(ip[24:40]))
        # Extension headers before TCP: hop-by-hop, routing, destination options, AH.
        while protocol in (0, 43, 60, 51) and header + 8 <= len(ip):
            size = (ip[header + 1] + 2) * 4 if protocol == 51 else (ip[header + 1] + 1) * 8
            protocol, header = ip[header], header + size
        if protocol == 44:
            counts["IP fragments"] = counts.get("IP fragments", 0) + 1
            return None
    if protocol != 6:
        counts["not TCP"] = counts.get("not TCP", 0) + 1
        return None
    missing = max(0, end - len(ip))
    tcp = ip[header:end]
    if len(tcp) < 20 or (tcp[12] >> 4) < 5 or (tcp[12] >> 4) * 4 > len(tcp):
        counts["bad TCP header"] = counts.get("bad TCP header", 0) + 1
        return None
    sport, dport, sequence = struct.unpack_from(">HHI", tcp)
    return _Segment(
        (source, sport), (destination, dport), sequence, tcp[13], tcp[(tcp[12] >> 4) * 4 :],
        missing, packet.time, packet.number,
    )  # fmt: skip


# --- reassembly -----------------------------------------------------------------------------

_SYN, _ACK = 0x02, 0x10
Endpoint: TypeAlias = tuple[str, int]


@dataclass
class _Direction:
    """One direction of a TCP connection: its segments, reassembled on demand."""

    source: tuple[str, int]
    destination: tuple[str, int]
    segments: list[_Segment] = field(default_factory=list)
    syn: int | None = None

    def assemble(self) -> _Stream:
        segments = [s for s in self.segments if s.payload or s.missing]
        # In the order they arrived (a merged capture need not be in order), so that the copy
        # kept of a byte sent twice is the first; packets without a time keep the file's order.
        if not any(math.isnan(s.time) for s in segments):
            segments.sort(key=lambda s: s.time)
        stream = _Stream(self)
        if not segments:
            return stream
        if self.syn is not None:
            base = (self.syn + 1) & 0xFFFFFFFF
        else:
            # No SYN captured: the lowest sequence number, modulo 2^32 around the first seen.
            first = segments[0].sequence
            base = min(segments, key=lambda s: (s.sequence - first + 2**31) & 0xFFFFFFFF).sequence
        # Disjoint (start, end, data, time) intervals, sorted; a byte is kept as it first came.
        starts: list[int] = []
        pieces: list[tuple[int, int, bytes, float]] = []
        for segment in segments:
            start = (segment.sequence - base) & 0xFFFFFFFF
            if start >= 2**31:  # before the stream's start: data the capture began inside
                skip = 2**32 - start
                if skip >= len(segment.payload):
                    continue
                payload, start = segment.payload[skip:], 0
            else:
                payload = segment.payload
            if segment.missing:
                stream.cut_packets.append(segment.number)
            end = start + len(payload)
            index = bisect.bisect_right(starts, start) - 1
            index = max(index, 0)
            new: list[tuple[int, int, bytes, float]] = []
            cursor = start
            while index < len(pieces) and pieces[index][0] < end:
                p_start, p_end, p_data, _ = pieces[index]
                if p_end > cursor:
                    if p_start > cursor:
                        new.append((cursor, p_start, payload[cursor - start : p_start - start],
                                    segment.time))  # fmt: skip
                    low, high = max(cursor, p_start), min(end, p_end)
                    kept = p_data[low - p_start : high - p_start]
                    if kept != payload[low - start : high - start]:
                        stream.conflicts += 1
                    cursor = max(cursor, high)
                index += 1
            if cursor < end:
                new.append((cursor, end, payload[cursor - start :], segment.time))
            for item in new:
                position = bisect.bisect_left(starts, item[0])
                starts.insert(position, item[0])
                pieces.insert(position, item)
        data = bytearray()
        for p_start, _, p_data, time in pieces:
            if p_start != len(data):
                stream.gap = (len(data), p_start - len(data))
                break
            if not stream.arrivals or stream.arrivals[-1][1] != time:
                stream.arrivals.append((p_start, time))
            data += p_data
        stream.data = bytes(data)
        return stream


@dataclass
class _Stream:
    direction: _Direction
    data: bytes = b""
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    gap: tuple[int, int] | None = None  # (offset, bytes missing)
    conflicts: int = 0
    cut_packets: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{_endpoint(self.direction.source)} -> {_endpoint(self.direction.destination)}"

    def problems(self) -> str:
        found = []
        if self.gap is not None:
            found.append(
                f"it has a hole at stream byte {self.gap[0]:,} ({self.gap[1]:,} bytes never "
                "captured) and is read up to it"
            )
        if self.cut_packets:
            found.append(
                f"{len(self.cut_packets)} packets were cut by the snapshot length (first: "
                f"packet {self.cut_packets[0]}); capture with -s 0"
            )
        if self.conflicts:
            found.append(
                f"{self.conflicts} retransmissions differ from the first copy (the first kept)"
            )
        return "; ".join(found)


def _count(number: int, what: str) -> str:
    return f"{number:,} {what}" + ("" if number == 1 else "s")


def _endpoint(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def pcap_bodies(data: bytes, kind: CaptureKind) -> tuple[list[Found], str]:
    """The event-stream responses in a capture, and a note on what was read."""
    packets = _pcap_packets(data) if kind == "pcap" else _pcapng_packets(data)
    counts: dict[str, int] = {}
    # Each connection's two directions, the first seen first; the connection a pair of
    # endpoints is in now (a new SYN on the same ports starts another: ports get reused).
    connections: list[dict[tuple[Endpoint, Endpoint], _Direction]] = []
    current: dict[tuple[Endpoint, Endpoint], dict[tuple[Endpoint, Endpoint], _Direction]] = {}
    total = 0
    start_time = math.inf
    for packet in packets:
        total += 1
        # (a packet without a time is NaN, which min() passes over: NaN < x is false)
        start_time = min(start_time, packet.time)
        segment = _tcp(packet, counts)
        if segment is None:
            continue
        key = (segment.source, segment.destination)
        pair = (min(key), max(key))
        connection = current.get(pair)
        direction = connection.get(key) if connection is not None else None
        opening = segment.flags & (_SYN | _ACK) == _SYN
        if connection is None or (
            opening and direction is not None and direction.syn not in (None, segment.sequence)
        ):
            connection = current[pair] = {}
            connections.append(connection)
            direction = None
        if direction is None:
            direction = connection[key] = _Direction(segment.source, segment.destination)
        if segment.flags & _SYN:
            direction.syn = segment.sequence
        direction.segments.append(segment)
    base = start_time if math.isfinite(start_time) else 0.0
    bodies: list[Found] = []
    not_http = 0
    troubles: list[str] = []
    for connection in connections:
        key = next(iter(connection))
        one = connection[key].assemble()
        back = connection.get((key[1], key[0]))
        other = back.assemble() if back is not None else _Stream(_Direction(key[1], key[0]))
        # The server is the side whose stream is HTTP responses.
        if one.data.startswith(b"HTTP/"):
            one, other = other, one
        server, client = other, one
        if not server.data.startswith(b"HTTP/") or not looks_like_http(server.data[:4096]):
            if server.data or client.data:
                not_http += 1
            continue
        problems = "; ".join(p for p in (client.problems(), server.problems()) if p)
        requests: list[HttpMessage] = []
        sent: list[tuple[float, float] | None] = []
        if looks_like_http(client.data[:4096]):
            # Only the requests matter (their targets, HEAD, when sent): one cut short by the
            # end of the capture does not spoil the responses.
            requests = parse_messages(client.data, f"TCP stream {client.name}", partial=True)
            timed = [(offset, t) for offset, t in client.arrivals if not math.isnan(t)]
            for message in requests:
                if timed:
                    first = _time_at(timed, message.start, base)
                    sent.append((first, _time_at(timed, message.end - 1, base)))
                else:
                    sent.append(None)
        try:
            found, messages = http_bodies(
                server.data, f"TCP stream {server.name}",
                arrivals=[(offset, t - base) for offset, t in server.arrivals if not math.isnan(t)],
                requests=requests, request_timing=sent, started=base,
                client=_endpoint(client.direction.source),
                server=_endpoint(server.direction.source),
            )  # fmt: skip
        except InputFormatError as exc:
            if problems:
                raise InputFormatError(f"{exc.message} ({problems})", offset=exc.offset) from None
            raise
        cuts = "; ".join(cut_notes(messages))
        if problems or cuts:
            troubles.append(f"{server.name}: " + "; ".join(p for p in (problems, cuts) if p))
        bodies.extend(found)
    note = f"{_count(total, 'packet')}, {_count(len(connections), 'TCP connection')}"
    if not_http:
        note += f" ({not_http} not HTTP/1.x from their start)"
    skipped = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    if skipped:
        note += f"; packets not read: {skipped}"
    if troubles:
        note += "; " + "; ".join(troubles)
    if not bodies:
        raise InputFormatError(
            f"the {kind} capture holds no HTTP response of type "
            f"application/vnd.amazon.eventstream ({note}); only plaintext HTTP/1.x can be read "
            "from a capture (for HTTPS, export a HAR file from the client or proxy instead)"
        )
    return bodies, note


def _time_at(arrivals: list[tuple[int, float]], offset: int, base: float) -> float:
    index = bisect.bisect_right(arrivals, offset, key=lambda item: item[0]) - 1
    return arrivals[max(index, 0)][1] - base
