"""Differential testing against botocore's ``EventStreamBuffer``.

    python -m tests.fuzz.differential --count 100000 [--seed 1] [--json out.json]

Each input (a generated stream, mutated or not) goes through botocore and through our
``Decoder``, frame by frame. The rules:

* we raise nothing but ``EventStreamError`` (anything else escapes and stops the run);
* we never accept a frame botocore rejects;
* when both accept a frame, its headers (in order, with botocore's mapping: ints for
  timestamps, 16 raw bytes for a uuid) and its payload are identical;
* when botocore accepts a frame we reject, an independent spec check (:func:`spec_rule`,
  written from docs/format.md, not from our parser) must name the rule botocore skips, and
  our error must be the one that rule calls for.

Anything else is an unexplained disagreement; the exit status is 1 if there is one.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import sys
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests.fuzz`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from botocore.eventstream import EventStreamBuffer, ParserError

import eventstream as es
from tests.fuzz.invariants import fix_crcs

__all__ = ["Report", "compare", "generate", "spec_rule", "run", "RULE_ERRORS"]

#: Spec rule -> the (error class, HeaderError problem) we must raise for a frame breaking it.
RULE_ERRORS: dict[str, tuple[type[es.EventStreamError], str | None]] = {
    "T < 16": (es.FrameLengthError, None),
    "H > T - 16": (es.FrameLengthError, None),
    "empty header name": (es.HeaderError, "empty-name"),
    "header name or type past the block": (es.HeaderError, "truncated"),
    "header name not UTF-8": (es.HeaderError, "invalid-utf8"),
    "unknown header type": (es.HeaderError, "unknown-type"),
    "header value past the block": (es.HeaderError, "truncated"),
    "header value over 32767 bytes": (es.HeaderError, "value-too-long"),
    "string value not UTF-8": (es.HeaderError, "invalid-utf8"),
    "duplicate header name": (es.HeaderError, "duplicate-name"),
}

_FIXED = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}


def spec_rule(frame: bytes) -> str | None:
    """The first format rule ``frame`` breaks that the CRCs cannot catch, or ``None``.

    ``frame`` starts at a prelude and holds at least the bytes botocore read for it.
    Checked in wire order: the lengths, then each header's name, type, value, uniqueness.
    """
    total, headers_length = struct.unpack_from(">II", frame)
    if total < 16:
        return "T < 16"
    if headers_length > total - 16:
        return "H > T - 16"
    block = frame[12 : 12 + headers_length]
    seen: set[bytes] = set()
    pos = 0
    while pos < len(block):
        name_length = block[pos]
        if name_length == 0:
            return "empty header name"
        name = block[pos + 1 : pos + 1 + name_length]
        if pos + 1 + name_length + 1 > len(block):
            return "header name or type past the block"
        if not _utf8(name):
            return "header name not UTF-8"
        type_id = block[pos + 1 + name_length]
        pos += 1 + name_length + 1
        if type_id > 9:
            return "unknown header type"
        if type_id in (6, 7):
            if pos + 2 > len(block):
                return "header value past the block"
            size = int.from_bytes(block[pos : pos + 2], "big")
            value = block[pos + 2 : pos + 2 + size]
            pos += 2 + size
            if pos > len(block):
                return "header value past the block"
            if size > 32767:
                return "header value over 32767 bytes"
            if type_id == 7 and not _utf8(value):
                return "string value not UTF-8"
        elif type_id in _FIXED:
            pos += _FIXED[type_id]
            if pos > len(block):
                return "header value past the block"
        if name in seen:
            return "duplicate header name"
        seen.add(name)
    return None


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- running both decoders -------------------------------------------------------------------


@dataclass
class BotocoreResult:
    messages: list[object]
    totals: list[int]
    error: BaseException | None
    leftover: int


def run_botocore(data: bytes) -> BotocoreResult:
    """Feed ``data`` to botocore's buffer; collect frames until it stops or raises."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    messages: list[object] = []
    totals: list[int] = []
    consumed = 0
    # A frame is at least 1 byte for botocore (it never advances by 0), so this bounds it.
    for _ in range(len(data) + 1):
        try:
            message = buffer.next()
        except StopIteration:
            return BotocoreResult(messages, totals, None, len(data) - consumed)
        except Exception as exc:  # botocore leaks KeyError, struct.error, ...: we record them
            return BotocoreResult(messages, totals, exc, len(data) - consumed)
        messages.append(message)
        totals.append(message.prelude.total_length)
        consumed += message.prelude.total_length
    raise AssertionError("botocore did not stop")  # pragma: no cover


def run_ours(data: bytes) -> tuple[list[es.Message], es.EventStreamError | None]:
    decoder = es.Decoder()
    messages: list[es.Message] = []
    try:
        messages = decoder.feed(data)
        decoder.close()  # a TruncatedError from here comes after the messages fed
    except es.EventStreamError as exc:
        return messages or list(exc.messages), exc
    return messages, None


def as_botocore_sees_it(value: es.HeaderValue) -> object:
    if isinstance(value, es.Timestamp):
        return value.millis
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, bool | bytes | str):
        return value
    return int(value)


def _same_message(ours: es.Message, theirs: object) -> bool:
    their_headers = list(theirs.headers.items())  # type: ignore[attr-defined]
    mapped = [(k, as_botocore_sees_it(v)) for k, v in ours.headers.items()]
    if their_headers != mapped:
        return False
    # == treats True and 1 alike; the wire types must agree too.
    if [type(v) is bool for _, v in their_headers] != [type(v) is bool for _, v in mapped]:
        return False
    return ours.payload == theirs.payload  # type: ignore[attr-defined,no-any-return]


@dataclass
class Report:
    """Counts over a run, and examples (hex of the smallest input) for each category."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    botocore_rejections: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    unexplained: list[str] = field(default_factory=list)
    _sizes: dict[str, int] = field(default_factory=dict, repr=False)

    def note(self, key: str, data: bytes) -> None:
        """Keep the smallest input seen for ``key`` (hex; past 96 bytes, cut and sized)."""
        known = self.examples.get(key)
        shown = data.hex() if len(data) <= 96 else f"{data[:96].hex()}... ({len(data)} bytes)"
        if known is None or len(data) < self._sizes[key]:
            self.examples[key] = shown
            self._sizes[key] = len(data)

    def as_dict(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "outcomes": dict(self.outcomes.most_common()),
            "botocore_rejections": dict(self.botocore_rejections.most_common()),
            "botocore_accepts_we_reject": dict(self.rules.most_common()),
            "examples": dict(sorted(self.examples.items())),
            "unexplained": self.unexplained,
        }


def compare(data: bytes, report: Report) -> None:
    """Run both decoders on ``data`` and record the outcome in ``report``."""
    report.cases += 1
    ours, our_error = run_ours(data)
    theirs = run_botocore(data)
    if theirs.error is not None:
        kind = type(theirs.error)
        leak = "" if issubclass(kind, ParserError) else " (not a ParserError)"
        name = f"{kind.__module__}.{kind.__qualname__}{leak}"
        report.botocore_rejections[name] += 1
        report.note(f"botocore raises {name}", data)
    offset = 0
    for index, (mine, their) in enumerate(zip(ours, theirs.messages, strict=False)):
        size = len(mine.encode())
        if size != theirs.totals[index] or not _same_message(mine, their):
            _unexplained(report, data, f"frame {index} decoded differently")
            return
        offset += size
    if len(ours) > len(theirs.messages):
        _unexplained(report, data, f"we accept frame {len(theirs.messages)}, botocore does not")
        return
    if len(ours) < len(theirs.messages):
        # botocore accepted a frame we rejected: a spec rule must explain it.
        rule = spec_rule(data[offset:])
        if rule is None:
            _unexplained(report, data, f"we reject frame {len(ours)} ({our_error!r}), no rule")
            return
        error, problem = RULE_ERRORS[rule]
        if type(our_error) is not error or getattr(our_error, "problem", None) != problem:
            _unexplained(report, data, f"rule {rule!r} but we raised {our_error!r}")
            return
        report.rules[rule] += 1
        report.outcomes["botocore accepts a frame we reject"] += 1
        report.note(f"rule: {rule}", data[offset : offset + theirs.totals[len(ours)]])
        return
    # Both stopped at the same frame.
    if our_error is None:
        if theirs.error is not None or theirs.leftover:
            _unexplained(report, data, "we accept the whole stream, botocore does not")
            return
        report.outcomes["both accept every frame"] += 1
    elif theirs.error is not None:
        report.outcomes["both reject"] += 1
    else:
        # botocore is waiting for more bytes: it has accepted nothing we refuse.
        # (At the end of the input botocore simply stops: a cut-off last frame is dropped
        # in silence, where we raise TruncatedError.)
        report.outcomes["we reject, botocore waits for more bytes"] += 1
        report.note(f"we raise {type(our_error).__name__}, botocore waits", data)


def _unexplained(report: Report, data: bytes, what: str) -> None:
    report.outcomes["UNEXPLAINED"] += 1
    if len(report.unexplained) < 20:
        report.unexplained.append(f"{what}: {data.hex()}")


# --- inputs ----------------------------------------------------------------------------------


def _random_value(rng: random.Random) -> es.HeaderValue:
    type_id = rng.randrange(10)
    if type_id < 2:
        return type_id == 0
    if type_id in (2, 3, 4, 5):
        kind = {2: es.Byte, 3: es.Short, 4: es.Integer, 5: es.Long}[type_id]
        high = (1 << (kind.bits - 1)) - 1
        return kind(rng.choice([-high - 1, -1, 0, 1, high, rng.randint(-high - 1, high)]))
    if type_id == 6:
        return rng.randbytes(rng.choice([0, 1, 5, 40]))
    if type_id == 7:
        return rng.choice(["", "chunk", "é", "application/json", "\u4e2d\u6587" * 3])
    if type_id == 8:
        return es.Timestamp(rng.choice([-(2**63), -1, 0, 1700000000123, 2**63 - 1]))
    return uuid.UUID(int=rng.getrandbits(128))


def _random_message(rng: random.Random) -> es.Message:
    names = [":event-type", ":content-type", ":message-type", "a", "é", "x" * 255, "n1", "n2"]
    chosen = rng.sample(names, rng.randint(0, 5))
    payload = rng.choice([b"", b"{}", rng.randbytes(rng.randint(1, 64))])
    return es.Message({name: _random_value(rng) for name in chosen}, payload)


def _lie(rng: random.Random, frame: bytes) -> bytes:
    """Rewrite the length fields with boundary values; recompute the CRCs over them."""
    total, headers_length = struct.unpack_from(">II", frame)
    total = rng.choice([total, rng.randint(0, 15), 12, headers_length + 15, total + 1, total - 1])
    headers_length = rng.choice(
        [headers_length, headers_length + 1, headers_length - 1, total - 15, 0, rng.randint(0, 64)]
    )
    head = struct.pack(">II", total & 0xFFFFFFFF, headers_length & 0xFFFFFFFF)
    out = head + struct.pack(">I", zlib.crc32(head)) + frame[12:]
    return fix_crcs(out) if rng.random() < 0.5 else out


def _edit_headers(rng: random.Random, message: es.Message) -> bytes:
    """Break one header in place (type, name length, cut, copy, long value); fix the CRCs."""
    block = bytearray(message.header_block())
    payload = message.payload
    edit = rng.randrange(6)
    if edit == 0 and block:
        block[rng.randrange(len(block))] = rng.choice([0, 10, 0xFF, 0xC0, rng.randrange(256)])
    elif edit == 1 and block:
        cut = rng.randrange(len(block))
        block, payload = block[:cut], bytes(block[cut:]) + payload
    elif edit == 2 and message.headers:
        name, value = rng.choice(list(message.headers.items()))
        block += es.Message({name: value}).header_block()
    elif edit == 3:
        size = rng.choice([32767, 32768, 40000, 65535])
        block += b"\x01v" + bytes([rng.choice([6, 7])]) + size.to_bytes(2, "big") + b"v" * size
    elif edit == 4:
        block += b"\x00" + bytes([rng.randrange(10)])
    else:
        block += bytes([rng.randint(1, 20)]) + rng.randbytes(rng.randint(0, 6))
    head = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    body = head + struct.pack(">I", zlib.crc32(head)) + bytes(block) + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _flip(rng: random.Random, data: bytes, fix: bool) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return fix_crcs(bytes(out)) if fix else bytes(out)


MUTATIONS: dict[str, Callable[[random.Random, list[es.Message], bytes], bytes]] = {
    "valid": lambda rng, ms, data: data,
    "bit flips": lambda rng, ms, data: _flip(rng, data, False),
    "bit flips, CRCs fixed": lambda rng, ms, data: _flip(rng, data, True),
    "truncated": lambda rng, ms, data: data[: rng.randrange(len(data))],
    "lying lengths": lambda rng, ms, data: _lie(rng, data),
    "broken header": lambda rng, ms, data: b"".join(
        _edit_headers(rng, m) if i == len(ms) - 1 else m.encode() for i, m in enumerate(ms)
    ),
    "random bytes": lambda rng, ms, data: rng.randbytes(rng.randint(0, 80)),
}


def generate(count: int, seed: int = 1) -> Iterator[tuple[str, bytes]]:
    """``count`` inputs ``(mutation, bytes)``: streams of 1..3 frames, mutated in turn."""
    rng = random.Random(seed)
    kinds = list(MUTATIONS)
    for i in range(count):
        messages = [_random_message(rng) for _ in range(rng.randint(1, 3))]
        data = b"".join(m.encode() for m in messages)
        kind = kinds[i % len(kinds)]
        yield kind, MUTATIONS[kind](rng, messages, data)


def run(count: int, seed: int = 1) -> Report:
    report = Report()
    for _, data in generate(count, seed):
        compare(data, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args(argv)
    report = run(args.count, args.seed)
    text = json.dumps(report.as_dict(), indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 1 if report.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
