"""Seed corpora for the harnesses: our own frames, optionally the public vectors.

The seeds are small (a libFuzzer run keeps ``-max_len=4096``) and cover every header type,
every length check and every header error once, so mutation starts next to each branch.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import eventstream as es

__all__ = ["own_seeds", "vector_seeds", "decoder_seeds", "write_corpus"]


def _frame(block: bytes, payload: bytes = b"", *, total: int | None = None) -> bytes:
    """A frame laid out by hand with valid CRCs; ``total`` may lie."""
    if total is None:
        total = 16 + len(block) + len(payload)
    head = struct.pack(">II", total, len(block))
    body = head + struct.pack(">I", zlib.crc32(head)) + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _header(name: bytes, type_id: int, value: bytes = b"") -> bytes:
    return bytes([len(name)]) + name + bytes([type_id]) + value


def own_seeds() -> Iterator[bytes]:
    """Valid and invalid frames built here, one per branch worth reaching."""
    every_type = es.Message(
        [
            ("t", True),
            ("f", False),
            ("b", es.Byte(-128)),
            ("s", es.Short(32767)),
            ("i", es.Integer(-(2**31))),
            ("l", es.Long(2**63 - 1)),
            ("y", b"\x00\xff"),
            ("str", "é"),
            ("ts", es.Timestamp(-1)),
            ("u", uuid.UUID(int=2**128 - 1)),
        ],
        b"payload",
    )
    chunk = es.Message(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        b'{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19kZWx0YSJ9"}',
    )
    exception = es.Message(
        {":exception-type": "throttlingException", ":message-type": "exception"},
        b'{"message":"Too many requests"}',
    )
    valid = [es.Message(), es.Message({}, b"x"), every_type, chunk, exception]
    yield from (m.encode() for m in valid)
    yield b"".join(m.encode() for m in valid)
    # Invalid frames with valid CRCs: each stops at a different check.
    yield _frame(b"", total=12)  # total below 16
    yield _frame(b"", total=0)
    yield _frame(_header(b"a", 0), total=17)  # headers past the frame
    yield _frame(_header(b"", 0))  # empty name
    yield _frame(_header(b"a", 10))  # unknown type
    yield _frame(_header(b"\xff", 0))  # invalid UTF-8 name
    yield _frame(_header(b"a", 7, b"\x00\x01\xff"))  # invalid UTF-8 value
    yield _frame(_header(b"a", 0) + _header(b"a", 1))  # duplicate name
    yield _frame(_header(b"a", 5, b"\x00\x00"))  # truncated fixed value
    yield _frame(_header(b"a", 6, b"\x00\x09ab"))  # truncated byte array
    yield _frame(_header(b"abc", 9, b"\x00" * 16)[:3])  # name cut off
    yield _frame(b"", b"\x00" * 16)[:20]  # truncated frame
    yield _frame(b"") + b"\x00"  # trailing byte
    yield b'{"message":"The security token included in the request is invalid."}'


def vector_seeds(shared: Path) -> Iterator[bytes]:
    """The public vectors and captures under ``shared`` (the ../shared folder), if present."""
    for folder in (shared / "vectors", shared / "captures"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in ("", ".bin"):
                    yield path.read_bytes()[:4096]


def decoder_seeds(seeds: Iterable[bytes]) -> Iterator[bytes]:
    """Seeds for the decoder harness: each stream with a few control suffixes."""
    for seed in seeds:
        # one byte at a time; what Decoder.needed asks, as views; random cuts with small
        # limits; random cuts with CRCs fixed
        for control in (0, (1 << 4) | 8, (2 << 4) | 2, (77 << 4) | 4):
            yield seed + control.to_bytes(2, "big")


def write_corpus(directory: Path, seeds: Iterable[bytes]) -> int:
    """Write each distinct seed to ``directory`` under its SHA-1; return how many."""
    directory.mkdir(parents=True, exist_ok=True)
    names = set()
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        names.add(name)
        (directory / name).write_bytes(seed)
    return len(names)
