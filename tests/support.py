"""Test helpers that share no code with the library: frames built by hand, CRCs from crcmod."""

from __future__ import annotations

import struct
import threading
from pathlib import Path
from typing import Any

import crcmod.predefined
import pytest

#: CRC-32 (IEEE) from crcmod: an oracle independent of zlib and of our code.
crc32_oracle = crcmod.predefined.mkCrcFun("crc-32")

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared, or skip the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only beside the project in CI and dev)")
    return path


def header(name: bytes, type_id: int, value: bytes = b"") -> bytes:
    """One header, laid out by hand: name length, name, type byte, value bytes."""
    return bytes([len(name)]) + name + bytes([type_id]) + value


def string_header(name: bytes, text: bytes) -> bytes:
    return header(name, 7, struct.pack(">H", len(text)) + text)


def prelude(total: int, headers_length: int = 0, crc: int | None = None) -> bytes:
    """A 12-byte prelude; its CRC is computed unless forced."""
    head = struct.pack(">II", total, headers_length)
    return head + struct.pack(">I", crc32_oracle(head) if crc is None else crc)


def frame(
    headers: bytes = b"",
    payload: bytes = b"",
    *,
    total: int | None = None,
    headers_length: int | None = None,
    prelude_crc: int | None = None,
    message_crc: int | None = None,
) -> bytes:
    """Build a frame by hand; any field can be forced, the CRCs are recomputed otherwise."""
    if total is None:
        total = 16 + len(headers) + len(payload)
    if headers_length is None:
        headers_length = len(headers)
    head = struct.pack(">II", total, headers_length)
    if prelude_crc is None:
        prelude_crc = crc32_oracle(head)
    body = head + struct.pack(">I", prelude_crc) + headers + payload
    if message_crc is None:
        message_crc = crc32_oracle(body)
    return body + struct.pack(">I", message_crc)


def recrc(data: bytes) -> bytes:
    """Recompute both CRCs of a frame in place, keeping its (possibly lying) lengths."""
    total = struct.unpack_from(">I", data)[0]
    head = data[:8]
    prelude = head + struct.pack(">I", crc32_oracle(head))
    end = min(total, len(data)) - 4
    body = prelude + data[12:end]
    return body + struct.pack(">I", crc32_oracle(body)) + data[end + 4 :]


class ThreadErrors:
    """Exceptions that escaped a thread (a server's: each would print a traceback), recorded
    through ``threading.excepthook`` for the test's duration."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[str] = []
        monkeypatch.setattr(threading, "excepthook", self._hook)

    def _hook(self, args: Any) -> None:
        self.seen.append(f"{args.exc_type.__name__}: {args.exc_value}")
