"""Bounded decompression: gzip files, and the gzip and deflate content codings of HTTP.

Whatever a compressed input claims, no more than :data:`MAX_DECOMPRESSED_SIZE` bytes come out
of it: a few kilobytes of gzip can expand to gigabytes (a "zip bomb").
"""

from __future__ import annotations

import zlib

from ._base import InputFormatError

__all__: list[str] = []

#: The most bytes one compressed input or body may expand to.
MAX_DECOMPRESSED_SIZE = 256 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"


def _is_zlib_header(head: bytes) -> bool:
    # RFC 1950 2.2: CM = 8 (deflate) and the two header bytes, big-endian, a multiple of 31.
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class Inflater:
    """Undoes one coding (``"gzip"`` or ``"deflate"``), fed in pieces, with a bounded output.

    ``what`` names the data in errors; ``base`` is the input offset of its first byte.
    """

    def __init__(self, coding: str, what: str, *, base: int = 0, limit: int | None = None) -> None:
        self.coding = coding
        self.what = what
        self.base = base
        self.limit = MAX_DECOMPRESSED_SIZE if limit is None else limit
        self.size = 0
        self.consumed = 0
        self.members = 0
        self._object: zlib._Decompress | None = None
        self._ended = False
        self._head = b""

    def _error(self, why: str) -> InputFormatError:
        return InputFormatError(f"{self.what}: {why}", offset=self.base + self.consumed)

    def _start(self, head: bytes) -> zlib._Decompress:
        if self.coding == "gzip":
            if head[:2] != _GZIP_MAGIC:
                raise self._error(f"not gzip data (starts with {head[:2].hex(' ') or 'nothing'})")
            wbits = 31
        else:
            # RFC 9110 8.4.1.2: "deflate" is the zlib format, but some servers send the bare
            # deflate stream; the zlib header tells them apart.
            wbits = 15 if _is_zlib_header(head) else -15
        self.members += 1
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> bytes:
        """The bytes ``data`` decompresses to; raises :class:`InputFormatError` past the limit."""
        out: list[bytes] = []
        while data:
            if self._object is None:
                if self._ended:
                    raise self._error("data after the end of the compressed stream")
                # Two bytes decide the format: hold back a single first byte.
                head = self._head + data
                if len(head) < 2:
                    self._head = head
                    return b""
                self._head, data = b"", head
                self._object = self._start(head)
            stream = self._object
            try:
                chunk = stream.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise self._error(f"corrupt {self.coding} data ({exc})") from None
            self.size += len(chunk)
            if self.size > self.limit:
                raise self._error(
                    f"expands to more than {self.limit:,} bytes (the limit for decompression)"
                )
            out.append(chunk)
            rest = stream.unconsumed_tail if not stream.eof else stream.unused_data
            self.consumed += len(data) - len(rest)
            data = rest
            if stream.eof:
                self._object = None
                # A gzip file may hold several members, one after another (RFC 1952 2.2).
                self._ended = self.coding != "gzip"
                if self.coding == "gzip" and data and data[:1] != _GZIP_MAGIC[:1]:
                    raise self._error("data after the end of the compressed stream")
        return b"".join(out)

    def finish(self) -> None:
        """Raise :class:`InputFormatError` if the compressed data ended early."""
        if self._object is not None or self._head or self.members == 0:
            raise self._error(f"the {self.coding} data ends early (truncated)")


def gunzip(data: bytes, what: str = "gzip file") -> bytes:
    """The contents of a gzip file (all its members), bounded by :data:`MAX_DECOMPRESSED_SIZE`."""
    inflater = Inflater("gzip", what)
    out = inflater.feed(data)
    inflater.finish()
    return out
