"""Counts over a decoded capture, and what a fault left intact: for the CLI and the notebook."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .._errors import EventStreamError
from ._formats import INPUT_FORMATS, LoadedInput
from ._frames import Decoded

__all__: list[str] = []


def decoded_before(decoded: Decoded) -> str:
    """``N frames (B bytes) decoded before it``: what a fault left intact."""
    count = len(decoded.frames)
    return f"{count} frame{'s' * (count != 1)} ({decoded.bytes_decoded:,} bytes) decoded before it"


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

    @classmethod
    def of(cls, decoded: Decoded, bedrock: bool) -> Summary:
        """The counts over ``decoded``'s frames (with the typed events' names if ``bedrock``)."""
        summary = cls(len(decoded.frames), decoded.bytes_decoded, len(decoded.body.data))
        for frame in decoded.frames:
            kind = frame.message_type or "(none)"
            summary.message_types[kind] += 1
            counter = {
                "event": summary.event_types,
                "exception": summary.exception_types,
                "error": summary.error_codes,
            }.get(kind)
            if counter is not None:
                counter[frame.name or "(none)"] += 1
            if bedrock:
                summary.typed_events[frame.event_name] += 1
        return summary

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
        return record

    def lines(self, fault: EventStreamError | None) -> list[str]:
        """The counts as aligned lines, and the ``fault`` that ended the capture, if any."""

        def counts(counter: Counter[str]) -> str:
            return " ".join(f"{name}={n}" for name, n in counter.items()) or "none"

        rows = [
            ("frames", f"{self.frames} ({self.bytes:,} of {self.size:,} bytes)"),
            ("message types", counts(self.message_types)),
            ("event types", counts(self.event_types)),
            ("exceptions", counts(self.exception_types)),
            ("error frames", counts(self.error_codes)),
        ]
        if self.typed_events:
            rows.append(("typed events", counts(self.typed_events)))
        if fault is not None:
            rows.append(("fault", f"{type(fault).__name__} at byte {fault.offset}"))
        width = max(len(label) for label, _ in rows)
        return [f"{label:<{width}}  {value}" for label, value in rows]


def fault_lines(decoded: Decoded, loaded: LoadedInput) -> list[str]:
    """What the fault that ended ``decoded`` was, where, what it left, and a format hint."""
    fault = decoded.fault
    assert fault is not None
    lines = [f"error: {fault}"]
    where = (
        f"the frame starts at byte {fault.frame_offset}"
        if fault.frame_offset is not None
        else "at the end of the input"
    )
    lines.append(f"  {type(fault).__name__}; {where}; {decoded_before(decoded)}")
    if loaded.detected and loaded.ambiguous:
        others = ", ".join(f for f in INPUT_FORMATS if f != loaded.format)
        lines.append(
            f"  hint: reading the input as {loaded.format} was a guess; if it is wrong, give "
            f"--input-format ({others})"
        )
    return lines
