"""The inputs analysts have, each decoding the same frames as the raw bytes it wraps.

Built with the real tools where the machine has them (curl, xxd, hexdump, gzip, tcpdump,
text2pcap, mitmdump's output committed in tests/data) and with the standard library for the
cases a tool will not make on demand (out-of-order and retransmitted segments, holes).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.server
import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import capture
from eventstream.capture import _compressed, _containers, _formats
from eventstream.samples import sample_bytes
from tests.cli_support import run
from tests.support import shared_path
from tests.test_inputs import _encodings

SAMPLE = sample_bytes("claude_invoke_tool_use")
MESSAGES = [frame.message for frame in capture.decode_frames(capture.Body(SAMPLE)).frames]
DATA = Path(__file__).resolve().parent / "data"
EVENTSTREAM = "application/vnd.amazon.eventstream"
INVOKE_PATH = "/model/anthropic.claude/invoke-with-response-stream"


def _frames(body: capture.Body) -> list[es.Message]:
    decoded = capture.decode_frames(body)
    assert decoded.fault is None, decoded.fault
    return [frame.message for frame in decoded.frames]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def _pipe(command: list[str], data: bytes) -> bytes:
    return subprocess.run(command, input=data, capture_output=True, check=True, timeout=30).stdout


# --- raw HTTP: a real server, read with curl -i --raw ------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body, coding = SAMPLE, self.path.rsplit("=", 1)[-1] if "=" in self.path else "identity"
        if coding == "gzip":
            body = gzip.compress(body)
        elif coding == "deflate":
            body = zlib.compress(body)
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM)
        if coding != "identity":
            self.send_header("Content-Encoding", coding)
        if "length" in self.path:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 700):  # the way a server flushes events
            piece = body[start : start + 700]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "query", ["", "?c=gzip", "?c=deflate", "?length&c=identity", "?length&c=gzip"]
)
def test_curl_raw_response_decodes_as_its_body(server: str, query: str) -> None:
    curl = _tool("curl")
    saved = subprocess.run(
        [curl, "-si", "--raw", "-X", "POST", "-d", "{}", server + INVOKE_PATH + query],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    assert saved.startswith(b"HTTP/1.")
    loaded = capture.load_input(saved)
    assert loaded.format == "http" and loaded.detected
    assert "raw HTTP" in loaded.note and "1 of 1 responses" in loaded.note
    (body,) = loaded.bodies
    assert body.data == SAMPLE and _frames(body) == MESSAGES
    assert body.exchange is not None and body.exchange.status == 200
    # Given, it reads the same.
    assert capture.load_input(saved, "http").bodies[0].data == SAMPLE


def test_many_responses_in_one_file_and_a_dump_of_both_directions(server: str) -> None:
    curl = _tool("curl")
    urls = [server + INVOKE_PATH + q for q in ("", "?c=gzip", "?length&c=deflate")]
    saved = subprocess.run(
        [curl, "-si", "--raw", "-X", "POST", "-d", "{}", *urls],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    loaded = capture.load_input(saved)
    assert [b.data for b in loaded.bodies] == [SAMPLE] * 3
    assert "3 of 3 responses" in loaded.note
    # A socket dump holding the request before each response: the request names the stream.
    request = f"POST {INVOKE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    first = saved[: saved.index(b"HTTP/1.1", 10)]
    loaded = capture.load_input(request + first + b"\r\n" + saved)
    assert [b.stream_hint for b in loaded.bodies] == ["invoke", None, None, None]
    assert loaded.bodies[0].label is not None and INVOKE_PATH in loaded.bodies[0].label


def _response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = "".join(
        f"{h}\r\n" for h in (f"HTTP/1.1 {status}", f"Content-Type: {EVENTSTREAM}", *headers)
    )
    return head.encode() + b"\r\n" + body


def _chunked(body: bytes, size: int = 100) -> bytes:
    pieces = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(pieces) + b"0\r\n\r\n"


def test_http_codings_informational_responses_and_what_is_not_an_event_stream() -> None:
    raw_deflate = zlib.compressobj(wbits=-15)
    bare = raw_deflate.compress(SAMPLE) + raw_deflate.flush()
    cases = [
        _response(
            _chunked(gzip.compress(SAMPLE)), "Transfer-Encoding: chunked", "Content-Encoding: gzip"
        ),
        _response(bare, f"Content-Length: {len(bare)}", "Content-Encoding: deflate"),
        # gzip then deflate applied: undone in reverse (RFC 9110 8.4)
        _response(zlib.compress(gzip.compress(SAMPLE)), "Content-Encoding: gzip, deflate"),
        _response(_chunked(SAMPLE) [:-2] + b"x-trailer: 1\r\n\r\n", "Transfer-Encoding: chunked"),
        b"HTTP/1.1 100 Continue\r\n\r\n" + _response(SAMPLE, f"Content-Length: {len(SAMPLE)}"),
    ]  # fmt: skip
    for data in cases:
        (body,) = capture.load_input(data).bodies
        assert body.data == SAMPLE
    error = b'{"message":"denied"}'
    mixed = (
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(error)).encode() + b"\r\n\r\n" + error
        + _response(SAMPLE, f"Content-Length: {len(SAMPLE)}")
    )  # fmt: skip
    loaded = capture.load_input(mixed)
    assert [b.data for b in loaded.bodies] == [SAMPLE] and "1 of 2 responses" in loaded.note
    with pytest.raises(
        capture.InputFormatError, match=r"no application/vnd.amazon.eventstream.*403"
    ):
        capture.load_input(mixed[: mixed.index(b"HTTP/1.1 200")])


def test_http_errors_say_where() -> None:
    good = _response(_chunked(SAMPLE), "Transfer-Encoding: chunked")
    head = good.index(b"\r\n\r\n") + 4
    cases = {
        "bad chunk size": (good[:head] + b"zz\r\n" + good[head + 5 :], head),
        "not followed by CRLF": (good[:head] + b"2\r\nabc\r\n", head + 5),
    }
    for why, (data, offset) in cases.items():
        with pytest.raises(capture.InputFormatError, match=why) as caught:
            capture.load_input(data)
        assert caught.value.offset == offset, why


def _frames_before_the_cut(body: capture.Body) -> tuple[list[es.Message], es.EventStreamError]:
    decoded = capture.decode_frames(body)
    assert isinstance(decoded.fault, es.TruncatedError), decoded.fault
    return [f.message for f in decoded.frames], decoded.fault


def test_a_body_the_input_cuts_short_is_read_as_far_as_it_goes() -> None:
    # A capture that ended mid-stream: the frames before the cut are what an analyst wants
    # (before: an InputFormatError, and nothing decoded).
    whole = es.Decoder().feed(SAMPLE)
    good = _response(_chunked(SAMPLE), "Transfer-Encoding: chunked")
    short = _response(SAMPLE[:1000], f"Content-Length: {len(SAMPLE)}")
    for data, said in [
        (good[:-300], "the chunked body ends early"),
        (short, "Content-Length is 4,479, 1,000 bytes are present"),
    ]:
        loaded = capture.load_input(data)
        assert "message 1 is cut short" in loaded.note and said in loaded.note, loaded.note
        (body,) = loaded.bodies
        assert SAMPLE.startswith(body.data) and len(body.data) < len(SAMPLE)
        frames, fault = _frames_before_the_cut(body)
        assert frames == whole[: len(frames)] and frames
        assert fault.offset == len(body.data)
    # The same with gzip content coding: what inflates from the bytes there.
    packed = gzip.compress(SAMPLE)
    cut = _response(packed[: len(packed) // 2], "Content-Encoding: gzip",
                    f"Content-Length: {len(packed)}")  # fmt: skip
    (body,) = capture.load_input(cut).bodies
    assert SAMPLE.startswith(body.data) and body.data
    for data, why in [
        (_response(SAMPLE, "Content-Length: 1, 2"), "bad Content-Length"),
        (_response(SAMPLE, "Bad Header : x"), "malformed header line"),
        (_response(SAMPLE, "X: a", " folded"), "malformed header line"),
        (_response(SAMPLE, "Content-Encoding: br"), "'br'"),
        (_response(gzip.compress(SAMPLE)[:-9], "Content-Encoding: gzip"), "ends early"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000, "longer than 65,536"),
        (b"HTTP/1.1 200 OK\r\nContent-Type: x", "ends inside the header"),
    ]:
        with pytest.raises(capture.InputFormatError, match=why):
            capture.load_input(data)
    with pytest.raises(capture.InputFormatError, match="expected an HTTP status line"):
        capture.load_input(SAMPLE, "http")


def test_decompression_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # A bomb: 8 MiB of zeros in 8 KiB; with the limit at 1 MiB reading stops there.
    bomb = gzip.compress(bytes(8 << 20))
    assert len(bomb) < 10_000
    monkeypatch.setattr(_compressed, "MAX_DECOMPRESSED_SIZE", 1 << 20)
    for data in (bomb, _response(bomb, f"Content-Length: {len(bomb)}", "Content-Encoding: gzip")):
        with pytest.raises(capture.InputFormatError, match="more than 1,048,576 bytes"):
            capture.load_input(data)
    # Each inflater reads the limit when made (so the one above was bounded by the patch).
    assert _compressed.Inflater("gzip", "x").limit == 1 << 20
    monkeypatch.undo()
    assert _compressed.Inflater("gzip", "x").limit == 256 << 20  # the documented default


# --- xxd and hexdump -C: the real tools ---------------------------------------------------------

_LISTINGS = [
    ("xxd", ["xxd"]),
    ("xxd", ["xxd", "-g1", "-c8"]),
    ("xxd", ["xxd", "-u", "-g4", "-c32"]),
    ("xxd", ["xxd", "-a"]),
    ("xxd", ["xxd", "-g0", "-c7"]),
    ("hexdump", ["hexdump", "-C"]),
    ("hexdump", ["hexdump", "-Cv"]),
    ("hex", ["xxd", "-p"]),
]


@pytest.mark.parametrize(
    ("expected", "command"), _LISTINGS, ids=[" ".join(c) for _, c in _LISTINGS]
)
def test_listings_made_by_the_tools_decode_the_same_frames(
    expected: str, command: list[str]
) -> None:
    _tool(command[0])
    # Runs of zeros and repeated lines make the tools squeeze ('*'); spaces end lines (0x20).
    padded = bytes(64) + SAMPLE + b" " * 20
    # As plain hex, leading zeros are no prelude: that reading is flagged ambiguous (test_inputs).
    for data in (SAMPLE,) if expected == "hex" else (SAMPLE, padded):
        listing = _pipe(command, data)
        loaded = capture.load_input(listing)
        assert (loaded.format, loaded.detected, loaded.ambiguous) == (expected, True, False)
        assert loaded.bodies[0].data == data
        assert capture.load_input(listing, expected).bodies[0].data == data  # type: ignore[arg-type]
    if expected != "hex":
        # The squeezing tools did squeeze (so '*' lines were read), the others did not.
        squeezes = command in (["xxd", "-a"], ["hexdump", "-C"])
        assert (b"\n*\n" in _pipe(command, padded)) == squeezes
        # An editor that trims trailing spaces does not change the bytes.
        trimmed = b"\n".join(line.rstrip(b" ") for line in _pipe(command, padded).split(b"\n"))
        assert capture.load_input(trimmed).bodies[0].data == padded


def test_every_shared_capture_as_a_listing() -> None:
    _tool("xxd"), _tool("hexdump")
    for path in sorted(shared_path("captures").glob("*.bin")):
        data = path.read_bytes()
        for command in (["xxd"], ["hexdump", "-C"]):
            loaded = capture.load_input(_pipe(command, data))
            assert loaded.bodies[0].data == data, (path.name, command)


def test_listings_that_do_not_add_up_are_refused() -> None:
    _tool("xxd")
    listing = _pipe(["xxd"], SAMPLE)
    lines = listing.split(b"\n")
    with pytest.raises(
        capture.InputFormatError, match=r"line 3: offset 0x30, where 0x20"
    ) as caught:
        capture.load_input(b"\n".join(lines[:2] + lines[3:]))
    assert caught.value.offset == len(lines[0]) * 2 + 2
    edited = bytearray(listing)
    second = len(lines[0]) + 1 + 10
    assert edited[second : second + 4] == b"656e"  # "en"
    edited[second : second + 4] = b"666e"  # the hex column no longer shows the text column
    with pytest.raises(capture.InputFormatError, match="text column does not show"):
        capture.load_input(bytes(edited))
    for options in (["-e"], ["-b"]):  # little-endian groups; bits
        with pytest.raises(capture.InputFormatError, match=r"text column|not an xxd line"):
            capture.load_input(_pipe(["xxd", *options], SAMPLE), "xxd")
    with pytest.raises(capture.InputFormatError, match="first line is not"):
        capture.load_input(SAMPLE.hex().encode(), "xxd")
    hexdump = _pipe([_tool("hexdump"), "-C"], bytes(64) + SAMPLE)
    with pytest.raises(capture.InputFormatError, match="ends with '\\*'"):
        capture.load_input(hexdump.split(b"*\n")[0] + b"*\n")


# --- gzip -------------------------------------------------------------------------------------


def test_gzip_files_hold_any_format(server: str) -> None:
    gz = _tool("gzip")
    har = json.dumps({"log": {"entries": [{
        "request": {"method": "POST", "url": "https://x" + INVOKE_PATH},
        "response": {"status": 200, "content": {
            "mimeType": EVENTSTREAM, "encoding": "base64",
            "text": base64.b64encode(SAMPLE).decode()}},
    }]}}).encode()  # fmt: skip
    insides = {
        "raw": SAMPLE,
        "hex": SAMPLE.hex(" ").encode(),
        "base64": base64.encodebytes(SAMPLE),
        "har": har,
        "xxd": _pipe([_tool("xxd")], SAMPLE),
    }
    for inner, data in insides.items():
        packed = _pipe([gz, "-c"], data)
        loaded = capture.load_input(packed)
        assert loaded.format == "gzip" and f"{len(data):,} bytes once decompressed" in loaded.note
        assert loaded.bodies[0].data == SAMPLE, inner
        assert loaded.bodies[0].stream_hint == ("invoke" if inner == "har" else None)
    # Two members one after another (cat a.gz b.gz) are one file.
    halves = _pipe([gz, "-c"], SAMPLE[:1000]) + _pipe([gz, "-c"], SAMPLE[1000:])
    assert capture.load_input(halves).bodies[0].data == SAMPLE
    with pytest.raises(capture.InputFormatError, match="ends early"):
        capture.load_input(halves[:-5])
    with pytest.raises(capture.InputFormatError, match="data after the end"):
        capture.load_input(halves + b"junk")
    nested = SAMPLE
    for _ in range(5):
        nested = gzip.compress(nested)
    with pytest.raises(capture.InputFormatError, match="gzip inside gzip more than 3"):
        capture.load_input(nested)


# --- pcap and pcapng --------------------------------------------------------------------------


def test_a_capture_made_by_tcpdump_on_lo() -> None:
    # tests/data/invoke-lo.pcap: tcpdump -i lo while curl asked a local server (the one above)
    # twice, once with gzip content coding; the server flushed every 700 bytes.
    loaded = capture.load_input((DATA / "invoke-lo.pcap").read_bytes())
    assert loaded.format == "pcap" and "2 TCP connections" in loaded.note
    assert "pcap magic number" in loaded.note
    assert [b.data for b in loaded.bodies] == [SAMPLE, SAMPLE]
    for body in loaded.bodies:
        assert body.stream_hint == "invoke" and body.exchange is not None
        assert body.exchange.client is not None and body.exchange.client.startswith("127.0.0.1:")
        timing = body.exchange.timing
        assert timing is not None and timing.arrivals and timing.first_byte is not None
        assert timing.request_sent is not None and 0 <= timing.request_sent <= timing.first_byte
        offsets = [offset for offset, _ in timing.arrivals]
        assert offsets == sorted(offsets) and offsets[0] == 0
    # editcap (Wireshark) wrote the same packets as pcapng.
    pcapng = capture.load_input((DATA / "invoke-lo.pcapng").read_bytes())
    assert pcapng.format == "pcapng"
    assert [b.data for b in pcapng.bodies] == [SAMPLE, SAMPLE]
    assert pcapng.bodies[0].exchange == loaded.bodies[0].exchange
    with pytest.raises(capture.InputFormatError, match="a pcapng file, not pcap"):
        capture.load_input((DATA / "invoke-lo.pcapng").read_bytes(), "pcap")


def test_tcpdump_capturing_now(server: str, tmp_path: Path) -> None:
    tcpdump, curl = _tool("tcpdump"), _tool("curl")
    if os.geteuid() != 0:
        pytest.skip("tcpdump needs root to capture on lo")
    port = server.rsplit(":", 1)[1]
    target = tmp_path / "live.pcap"
    dump = subprocess.Popen(
        # --immediate-mode: packets reach the file at once, not in blocks a signal may lose
        [tcpdump, "--immediate-mode", "-i", "lo", "-U", "-w", str(target), f"tcp port {port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert dump.stderr is not None
        dump.stderr.readline()  # "listening on lo"
        time.sleep(0.2)
        subprocess.run(
            [curl, "-s", "-o", "/dev/null", "-d", "{}", server + INVOKE_PATH + "?c=gzip"],
            check=True,
            timeout=30,
        )
        time.sleep(0.3)
    finally:
        dump.terminate()
        dump.communicate(timeout=10)
    (body,) = capture.load_input(target.read_bytes()).bodies
    assert body.data == SAMPLE


def _od(payload: bytes) -> str:
    return "\n".join(
        f"{i:06x} " + " ".join(f"{b:02x}" for b in payload[i : i + 16])
        for i in range(0, len(payload), 16)
    )


def test_text2pcap_packets(tmp_path: Path) -> None:
    text2pcap = _tool("text2pcap")
    request = f"POST {INVOKE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    response = RESPONSE
    # text2pcap -D: "I" goes from the first address and port to the second, "O" back.
    packets = [("I", 1.0, request)] + [
        ("O", 1.5 + i / 10, response[start : start + 1000])
        for i, start in enumerate(range(0, len(response), 1000))
    ]
    text = "".join(f"{d} 10:00:{t:09.6f}\n{_od(p)}\n\n" for d, t, p in packets)
    (tmp_path / "in.txt").write_text(text)
    for output in ("pcap", "pcapng"):
        target = tmp_path / f"out.{output}"
        subprocess.run(
            [text2pcap, "-q", "-F", output, "-D", "-t", "%H:%M:%S.%f", "-T", "51000,80",
             "-4", "10.0.0.1,10.0.0.2", str(tmp_path / "in.txt"), str(target)],
            check=True, timeout=30,
        )  # fmt: skip
        loaded = capture.load_input(target.read_bytes())
        assert loaded.format == output
        (body,) = loaded.bodies
        assert body.data == SAMPLE and body.stream_hint == "invoke"
        assert body.exchange is not None and body.exchange.client == "10.0.0.1:51000"
        timing = body.exchange.timing
        assert timing is not None
        assert timing.first_byte == pytest.approx(0.5) and timing.request_sent == 0
        # Each frame arrived with the packet that brought its last byte.
        frames = capture.decode_frames(body).frames
        for frame in frames:
            end = _stream_offset(frame.offset + frame.length - 1)
            assert timing.arrival(frame.offset + frame.length - 1) == pytest.approx(
                0.5 + end // 1000 / 10
            )


# Built by hand from the specs (draft-ietf-opsawg-pcap, -pcapng), for cases no tool makes.


def _tcp(sport: int, dport: int, seq: int, payload: bytes, flags: int = 0x18) -> bytes:
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


def _ipv4(tcp: bytes, src: bytes = b"\x0a\x00\x00\x01", dst: bytes = b"\x0a\x00\x00\x02") -> bytes:
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst) + tcp


def _ipv6(tcp: bytes, src: bytes, dst: bytes) -> bytes:
    return struct.pack(">IHBB16s16s", 6 << 28, len(tcp), 6, 64, src, dst) + tcp


def _ethernet(ip: bytes, vlan: bool = False) -> bytes:
    kind = b"\x86\xdd" if ip[0] >> 4 == 6 else b"\x08\x00"
    tag = b"\x81\x00\x00\x05" if vlan else b""
    return b"\x02" * 6 + b"\x04" * 6 + tag + kind + ip


def _pcap(
    packets: list[tuple[float, bytes]], link: int = 1, *, nano: bool = False, order: str = "<"
) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, link)
    for when, frame in packets:
        seconds = int(when)
        fraction = round((when - seconds) * (1e9 if nano else 1e6))
        out += struct.pack(order + "IIII", seconds, fraction, len(frame), len(frame)) + frame
    return out


def _block(kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def _pcapng(packets: list[tuple[float, bytes]], link: int = 1) -> bytes:
    section = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol 2^-20: a binary fraction, as some capture cards write
    option = struct.pack("<HHB3x", 9, 1, 0x80 | 20) + struct.pack("<HH", 0, 0)
    interface = _block(1, struct.pack("<HHI", link, 0, 0) + option)
    out = section + interface
    for when, frame in packets:
        ticks = round(when * 2**20)
        out += _block(
            6,
            struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame))
            + frame,
        )
    return out


REQUEST = f"POST {INVOKE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode()
RESPONSE = _response(_chunked(SAMPLE, 300), "Transfer-Encoding: chunked")


def _segments(seq: int, data: bytes, size: int, start: float) -> list[tuple[float, int, bytes]]:
    return [
        (start + i / 100, seq + off, data[off : off + size])
        for i, off in enumerate(range(0, len(data), size))
    ]


def _exchange(
    shuffle: random.Random | None = None, *, retransmit: bool = False
) -> list[tuple[float, bytes]]:
    """A connection's packets (IPv4 over Ethernet) as ``(time, frame)``."""
    client, server = (51000, 8080), (8080, 51000)
    packets = [(0.0, _ethernet(_ipv4(_tcp(*client, 999, b"", 0x02))))]  # SYN
    packets.append(
        (
            0.001,
            _ethernet(
                _ipv4(_tcp(*server, 4999, b"", 0x12), b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")
            ),
        )
    )
    packets += [
        (t, _ethernet(_ipv4(_tcp(*client, s, p)))) for t, s, p in _segments(1000, REQUEST, 40, 0.01)
    ]
    replies = _segments(5000, RESPONSE, 512, 1.0)
    if retransmit:
        # Each segment again, later, and overlapping ones that straddle two of them.
        replies += [(t + 0.5, s, p) for t, s, p in replies]
        replies += [
            (2.0 + i, 5000 + off, RESPONSE[off : off + 700])
            for i, off in enumerate(range(256, len(RESPONSE), 1024))
        ]
    frames = [
        (t, _ethernet(_ipv4(_tcp(*server, s, p), b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")))
        for t, s, p in replies
    ]
    if shuffle is not None:
        shuffle.shuffle(frames)  # the order in the file; the timestamps say when they came
    return packets + frames


def _stream_offset(body_offset: int, size: int = 300) -> int:
    """Where the body byte at ``body_offset`` is in RESPONSE (chunks of ``size`` bytes)."""
    head = RESPONSE.index(b"\r\n\r\n") + 4
    line = len(b"%x\r\n" % size)
    return head + body_offset // size * (line + size + 2) + line + body_offset % size


def _check(loaded: capture.LoadedInput, *, first_arrivals: bool = True) -> None:
    (body,) = loaded.bodies
    assert body.data == SAMPLE and _frames(body) == MESSAGES
    assert body.stream_hint == "invoke"
    assert body.exchange is not None and body.exchange.server == "10.0.0.2:8080"
    timing = body.exchange.timing
    # (2^-20 s ticks in the pcapng: a microsecond apart)
    sent = 1 / 100 * ((len(REQUEST) - 1) // 40)
    assert timing is not None and timing.request_sent == pytest.approx(sent, abs=2e-6)
    assert timing.first_byte == pytest.approx(0.99, abs=2e-6)
    if first_arrivals:
        # A frame arrived when the segment holding its last byte first did.
        for frame in capture.decode_frames(body).frames:
            end = _stream_offset(frame.offset + frame.length - 1)
            assert timing.arrival(frame.offset + frame.length - 1) == pytest.approx(
                1.0 + end // 512 / 100 - 0.01, abs=2e-6
            )


def test_segments_in_any_order_are_reassembled_by_sequence_number() -> None:
    for seed in range(5):
        packets = _exchange(random.Random(seed))
        _check(capture.load_input(_pcap(packets)))
        _check(capture.load_input(_pcap(packets, nano=True, order=">")))
        _check(capture.load_input(_pcapng(packets)))


def test_retransmitted_and_overlapping_segments_keep_the_first_copy() -> None:
    packets = _exchange(random.Random(7), retransmit=True)
    loaded = capture.load_input(_pcap(packets))
    _check(loaded)
    assert "differ" not in loaded.note
    # A retransmission whose bytes differ: the first copy is kept, and the note says so.
    forged = _ethernet(
        _ipv4(_tcp(8080, 51000, 5000 + 600, b"X" * 50), b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")
    )
    loaded = capture.load_input(_pcap([*_exchange(), (9.0, forged)]))
    _check(loaded)
    assert "1 retransmissions differ from the first copy" in loaded.note


def test_a_reused_port_pair_is_a_new_connection() -> None:
    # Two connections one after the other on the same ports (a new SYN, another ISN): each
    # is reassembled on its own, not as one stream.
    first, second = _exchange(), _exchange()
    second = [(t + 10, f) for t, f in second]
    # Another initial sequence number for the second: shift every client and server seq.
    shifted = []
    for when, frame in second:
        seq = int.from_bytes(frame[38:42], "big")
        shifted.append(
            (when, frame[:38] + ((seq + 77_777) & 0xFFFFFFFF).to_bytes(4, "big") + frame[42:])
        )
    loaded = capture.load_input(_pcap(first + shifted))
    assert "2 TCP connections" in loaded.note
    assert [b.data for b in loaded.bodies] == [SAMPLE, SAMPLE]
    later = loaded.bodies[1].exchange
    assert (
        later is not None
        and later.timing is not None
        and later.timing.first_byte == pytest.approx(0.99, abs=2e-6)
    )


def test_other_link_layers_ipv6_and_vlan() -> None:
    a, b = bytes(15) + b"\x01", bytes(15) + b"\x02"
    v6 = [(1.0, _tcp(51000, 80, 1, REQUEST)), (2.0, _tcp(80, 51000, 7, RESPONSE))]
    for link, wrap in [
        (1, lambda ip: _ethernet(ip, vlan=True)),
        (101, lambda ip: ip),  # raw IP
        (0, lambda ip: struct.pack("<I", 30) + ip),  # BSD loopback, AF_INET6 = 30 on macOS
        (113, lambda ip: bytes(14) + b"\x86\xdd" + ip),  # Linux cooked
        (276, lambda ip: b"\x86\xdd" + bytes(18) + ip),  # Linux cooked v2
    ]:
        packets = []
        for when, tcp in v6:
            src, dst = (a, b) if tcp[:2] == b"\xc7\x38" else (b, a)
            packets.append((when, wrap(_ipv6(tcp, src, dst))))
        (body,) = capture.load_input(_pcap(packets, link)).bodies
        assert body.data == SAMPLE, link
        assert body.exchange is not None and body.exchange.server == "[::2]:80"


def test_holes_cut_packets_and_other_traffic_are_said() -> None:
    packets = _exchange()
    # Lose one response segment: the stream stops at the hole, the note says so, and the
    # frames before it are read.
    lost = [p for i, p in enumerate(packets) if i != len(packets) - 3]
    loaded = capture.load_input(_pcap(lost))
    assert re.search(r"hole at stream byte.*cut short \(the chunked body ends early", loaded.note)
    (body,) = loaded.bodies
    assert SAMPLE.startswith(body.data) and len(body.data) < len(SAMPLE)
    # A snapshot length that cut a packet is named.
    cut = [(t, f if i != len(packets) - 3 else f[:100]) for i, (t, f) in enumerate(packets)]
    frame = packets[-3][1]
    data = _pcap(cut)
    assert "cut by the snapshot length" in capture.load_input(data).note
    assert len(frame) > 100
    # UDP and ARP are counted, not read; no HTTP at all is an error that says what to do.
    udp = _ethernet(
        struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes(4), bytes(4)) + bytes(8)
    )
    arp = b"\x02" * 12 + b"\x08\x06" + bytes(28)
    loaded = capture.load_input(_pcap([(0.0, udp), (0.0, arp), *packets]))
    assert "1 not IP, 1 not TCP" in loaded.note
    with pytest.raises(capture.InputFormatError, match="HTTPS, export a HAR"):
        capture.load_input(_pcap([(0.0, udp)]))
    with pytest.raises(capture.InputFormatError, match="claims"):
        capture.load_input(_pcap(packets)[:-10])


# --- mitmproxy --------------------------------------------------------------------------------


def _tnet(value: object) -> bytes:
    """A tnetstring (tnetstrings.info), as mitmproxy writes flows."""
    if isinstance(value, bool):
        payload, kind = (b"true" if value else b"false"), b"!"
    elif isinstance(value, int):
        payload, kind = str(value).encode(), b"#"
    elif isinstance(value, float):
        payload, kind = repr(value).encode(), b"^"
    elif value is None:
        payload, kind = b"", b"~"
    elif isinstance(value, bytes):
        payload, kind = value, b","
    elif isinstance(value, str):
        payload, kind = value.encode(), b";"
    elif isinstance(value, list):
        payload, kind = b"".join(_tnet(v) for v in value), b"]"
    else:
        assert isinstance(value, dict)
        payload, kind = b"".join(_tnet(k) + _tnet(v) for k, v in value.items()), b"}"
    return str(len(payload)).encode() + b":" + payload + kind


def _flow(content: bytes, *headers: tuple[bytes, bytes], version: int = 21) -> bytes:
    return _tnet({
        "version": version, "type": "http",
        "request": {"method": b"POST", "scheme": b"https", "host": "bedrock", "port": 443,
                    "path": INVOKE_PATH.encode(), "headers": [], "content": b"{}",
                    "timestamp_start": 100.0, "timestamp_end": 100.25},
        "response": {"status_code": 200, "reason": b"OK", "http_version": b"HTTP/1.1",
                     "headers": [[b"Content-Type", EVENTSTREAM.encode()], *map(list, headers)],
                     "content": content, "timestamp_start": 101.0, "timestamp_end": 103.0},
    })  # fmt: skip


def test_mitmproxy_flows() -> None:
    # tests/data/invoke.mitmproxy-flows: mitmdump 11.0.2 (flow format 21) -w, as a reverse proxy
    # in front of the server above; the second response is gzip-coded.
    loaded = capture.load_input((DATA / "invoke.mitmproxy-flows").read_bytes())
    assert loaded.format == "mitmproxy" and "2 of 2 flows" in loaded.note
    assert [b.data for b in loaded.bodies] == [SAMPLE, SAMPLE]
    assert all(b.stream_hint == "invoke" for b in loaded.bodies)
    # Its HAR export (mitmdump -nr ... --set hardump=...) says the same.
    har = capture.load_input((DATA / "invoke.mitmproxy.har").read_bytes())
    assert [b.data for b in har.bodies] == [SAMPLE, SAMPLE]
    flows = _flow(SAMPLE) + _flow(gzip.compress(SAMPLE), (b"content-encoding", b"gzip"))
    loaded = capture.load_input(flows)
    assert [b.data for b in loaded.bodies] == [SAMPLE, SAMPLE]
    exchange = loaded.bodies[0].exchange
    assert exchange is not None and exchange.url == "https://bedrock:443" + INVOKE_PATH
    assert exchange.timing == capture.Timing(100.0, 0.25, 1.0, 3.0)
    with pytest.raises(capture.InputFormatError, match="hardump="):
        capture.load_input(_flow(SAMPLE, version=4))
    with pytest.raises(capture.InputFormatError, match="ends first"):
        capture.load_input(flows[:-10])
    nested: list[object] = []
    for _ in range(40):
        nested = [nested]
    with pytest.raises(capture.InputFormatError, match="nested too deeply"):
        capture.load_input(_tnet(nested), "mitmproxy")


def test_mitmproxy_when_installed() -> None:
    io = pytest.importorskip(
        "mitmproxy.io", reason="mitmproxy is not installed (not a test dependency)"
    )
    flows = list(io.FlowReader(open(DATA / "invoke.mitmproxy-flows", "rb")).stream())  # noqa: SIM115
    assert [f.response.content for f in flows] == [
        b.data for b in capture.load_input((DATA / "invoke.mitmproxy-flows").read_bytes()).bodies
    ]


# --- detection --------------------------------------------------------------------------------


def test_no_existing_format_is_taken_for_a_wrapped_one() -> None:
    for name, (expected, text) in _encodings(SAMPLE).items():
        assert _containers.sniff(text) is None, name
        assert capture.load_input(text).format == expected
    for path in sorted(shared_path("captures").glob("*.bin")):
        data = path.read_bytes()
        for text in (data, data.hex().encode(), data.hex(":").encode(), base64.b64encode(data)):
            assert _containers.sniff(text) is None, path.name


def test_the_format_names_are_accepted_by_the_cli(tmp_path: Path) -> None:
    target = tmp_path / "capture.pcap"
    target.write_bytes((DATA / "invoke-lo.pcap").read_bytes())
    done = run("decode", "--summary", str(target))
    assert done.returncode == 0, done.stderr
    assert b"a pcap capture" in done.stderr
    for fmt in ("gzip", "http", "xxd", "hexdump", "pcap", "pcapng", "mitmproxy"):
        assert fmt in capture.INPUT_FORMATS
    done = run("decode", "--input-format", "pcapng", str(target))
    assert done.returncode != 0 and b"a pcap file, not pcapng" in done.stderr


def test_inputs_larger_than_the_detection_head_stream_in_through_open_input() -> None:
    # open_input detects a file over HEAD_BYTES from its head, then reads the document whole:
    # a flow, a capture or a gzip file whose first record runs past the head is still told.
    body = SAMPLE * 300
    assert len(body) > _formats.HEAD_BYTES
    response = _response(body, f"Content-Length: {len(body)}")
    server = (b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")
    packets = [
        (1.0, _ethernet(_ipv4(_tcp(80, 51000, 7 + at, response[at : at + 1448]), *server)))
        for at in range(0, len(response), 1448)
    ]
    inputs = {
        "mitmproxy": _flow(body),
        "pcap": _pcap(packets),
        "gzip": gzip.compress(body),
        "http": _response(_chunked(body, 4096), "Transfer-Encoding: chunked"),
    }
    for fmt, data in inputs.items():
        loaded = capture.open_input(io.BytesIO(data))
        assert loaded.format == fmt
        assert loaded.bodies[0].data == body, fmt


# --- whatever the bytes -----------------------------------------------------------------------

_PREFIXES = [
    b"", b"\x1f\x8b\x08", b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00",
    b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a",
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n",
    b"00000000: 0000 ", b"00000000  00 01  |", b"120:7:version;2:21#",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(_PREFIXES),
    rest=st.binary(max_size=300),
    fmt=st.sampled_from([None, *_containers.CONTAINER_FORMATS]),
)
def test_arbitrary_bytes_load_or_raise_input_format_error(
    prefix: bytes, rest: bytes, fmt: str | None
) -> None:
    data = prefix + rest
    try:
        loaded = capture.load_input(data, fmt)  # type: ignore[arg-type]
    except capture.InputFormatError:
        return
    assert loaded.bodies


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 10_000), flip=st.integers(0, 10_000), seed=st.integers(0, 255))
def test_damaged_real_inputs_load_or_raise_input_format_error(
    cut: int, flip: int, seed: int
) -> None:
    for name in ("invoke-lo.pcap", "invoke-lo.pcapng", "invoke.mitmproxy-flows"):
        data = bytearray((DATA / name).read_bytes())
        data[flip % len(data)] ^= seed
        with contextlib.suppress(capture.InputFormatError):
            capture.load_input(bytes(data[: len(data) - cut % len(data)]))
