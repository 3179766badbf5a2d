"""Counts over a decoded capture, and what a fault left intact: for the CLI and the notebook."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .._errors import EventStreamError
from ._formats import INPUT_FORMATS, LoadedInput
from ._frames import CapturedFrame, Decoded, Gap
from ._text import escape_controls

__all__: list[str] = []


def decoded_before(frames: int, size: int) -> str:
    """``N frames (B bytes) decoded before it``: what a fault left intact."""
    return f"{frames} frame{'s' * (frames != 1)} ({size:,} bytes) decoded before it"


#: Distinct names a count keeps; the rest are counted together under :data:`OTHER_NAMES`,
#: so that a capture naming every frame differently cannot grow the counts with the frames.
MAX_NAMES = 1000
OTHER_NAMES = "(other names)"


def _count(counter: Counter[str], name: str) -> None:
    if name not in counter and len(counter) >= MAX_NAMES:
        name = OTHER_NAMES
    counter[name] += 1


@dataclass
class Summary:
    """Counts over the frames of one capture."""

    frames: int = 0
    bytes: int = 0
    size: int = 0
    message_types: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    exception_types: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    typed_events: Counter[str] = field(default_factory=Counter)

    gaps: int = 0
    gap_bytes: int = 0

    @classmethod
    def of(cls, decoded: Decoded, bedrock: bool) -> Summary:
        """The counts over ``decoded``'s frames (with the typed events' names if ``bedrock``)."""
        summary = cls(size=decoded.size)
        for frame in decoded.frames:
            summary.add(frame, bedrock)
        for gap in decoded.gaps:
            summary.add_gap(gap)
        return summary

    def add(self, frame: CapturedFrame, bedrock: bool) -> None:
        """Count one more frame (and its typed event's name if ``bedrock``)."""
        self.frames += 1
        self.bytes += frame.length
        kind = frame.message_type or "(none)"
        _count(self.message_types, kind)
        counter = {
            "event": self.event_types,
            "exception": self.exception_types,
            "error": self.error_codes,
        }.get(kind)
        if counter is not None:
            _count(counter, frame.name or "(none)")
        if bedrock:
            _count(self.typed_events, frame.event_name)

    def add_gap(self, gap: Gap) -> None:
        """Count one more run of bytes skipped by ``--resync``."""
        self.gaps += 1
        self.gap_bytes += gap.length

    def record(self) -> dict[str, Any]:
        """The counts as a JSON object."""
        record: dict[str, Any] = {
            "frames": self.frames,
            "bytes": self.bytes,
            "size": self.size,
            "message_types": dict(self.message_types),
            "event_types": dict(self.event_types),
            "exception_types": dict(self.exception_types),
            "error_codes": dict(self.error_codes),
        }
        if self.typed_events:
            record["typed_events"] = dict(self.typed_events)
        if self.gaps:
            record["gaps"] = self.gaps
            record["gap_bytes"] = self.gap_bytes
        return record

    def lines(self, fault: EventStreamError | None) -> list[str]:
        """The counts as aligned lines, and the ``fault`` that ended the capture, if any."""

        def counts(counter: Counter[str]) -> str:
            shown = (f"{escape_controls(name)}={n}" for name, n in counter.items())
            return " ".join(shown) or "none"

        rows = [
            ("frames", f"{self.frames} ({self.bytes:,} of {self.size:,} bytes)"),
            ("message types", counts(self.message_types)),
            ("event types", counts(self.event_types)),
            ("exceptions", counts(self.exception_types)),
            ("error frames", counts(self.error_codes)),
        ]
        if self.typed_events:
            rows.append(("typed events", counts(self.typed_events)))
        if self.gaps:
            rows.append(("gaps", f"{self.gaps} ({self.gap_bytes:,} bytes skipped)"))
        if fault is not None:
            rows.append(("fault", f"{type(fault).__name__} at byte {fault.offset}"))
        width = max(len(label) for label, _ in rows)
        return [f"{label:<{width}}  {value}" for label, value in rows]


def fault_lines(fault: EventStreamError, summary: Summary, loaded: LoadedInput) -> list[str]:
    """What the ``fault`` was, where, what it left (``summary``), and a format hint."""
    lines = [f"error: {escape_controls(str(fault))}"]
    where = (
        f"the frame starts at byte {fault.frame_offset}"
        if fault.frame_offset is not None
        else "at the end of the input"
    )
    before = decoded_before(summary.frames, summary.bytes)
    lines.append(f"  {type(fault).__name__}; {where}; {before}")
    if loaded.detected and loaded.ambiguous:
        others = ", ".join(f for f in INPUT_FORMATS if f != loaded.format)
        lines.append(
            f"  hint: reading the input as {loaded.format} was a guess; if it is wrong, give "
            f"--input-format ({others})"
        )
    return lines
