"""What a capture says about the HTTP exchange a body came from: status, URL, endpoints, timing.

Kept apart from the input formats so that every reader (HAR, raw HTTP, pcap, mitmproxy) fills
the same two small records.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["Exchange", "Timing"]


@dataclass(frozen=True)
class Timing:
    """When an exchange happened: seconds after ``started``, a Unix time (the request's start).

    ``request_sent`` is when the request's last byte left, ``first_byte`` and ``last_byte``
    when the response's first and last bytes arrived (``None`` where the capture does not
    say). ``arrivals`` holds ``(body offset, seconds)`` at each network read: the body's bytes
    from that offset on, up to the next entry, arrived then. A pcap carries them; a HAR file
    has only the entry's totals, so its ``arrivals`` is empty.
    """

    started: float
    request_sent: float | None = None
    first_byte: float | None = None
    last_byte: float | None = None
    arrivals: tuple[tuple[int, float], ...] = field(default=(), repr=False)

    def arrival(self, offset: int) -> float | None:
        """When the body byte at ``offset`` arrived, or ``None`` without per-read times."""
        if not self.arrivals or offset < self.arrivals[0][0]:
            return None
        index = bisect.bisect_right(self.arrivals, offset, key=lambda item: item[0]) - 1
        return self.arrivals[index][1]


@dataclass(frozen=True)
class Exchange:
    """The HTTP exchange whose response a body is, as far as the capture tells.

    ``client`` and ``server`` are ``"address:port"`` for a packet capture; ``url`` is the
    request URL (a HAR or mitmproxy flow) or target (raw HTTP, pcap) when the request was
    captured too.
    """

    status: int | None = None
    reason: str | None = None
    content_type: str | None = None
    method: str | None = None
    url: str | None = None
    client: str | None = None
    server: str | None = None
    timing: Timing | None = None


# --- HAR ------------------------------------------------------------------------------------

# ISO 8601 as HAR 1.2 writes startedDateTime: "2009-07-24T19:20:30.45+01:00" (or "Z").
_ISO_8601 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?", re.ASCII
)


def _unix_time(text: str) -> float | None:
    """The Unix time of an ISO 8601 date-time, or ``None`` if it is not one."""
    # Parsed by hand: datetime.fromisoformat() on Python 3.10 refuses "Z" and 1, 2, 4 or 5
    # fraction digits, all of which browsers and proxies write.
    match = _ISO_8601.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone in (None, "Z"):
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if zone[0] == "-":
            offset = -offset
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError:  # month 13, a zone of 24 hours or more, ...
        return None
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def _milliseconds(timings: dict[str, Any], name: str) -> float:
    # HAR 1.2: -1 (or absent) means the phase does not apply; a bool is no number.
    value = timings.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    if isinstance(value, int):
        # An int past a float's range (1 and 400 zeros) made math.isfinite raise
        # OverflowError; no phase lasts longer than _MAX_PHASE_MS anyway.
        return float(value) if 0 < value <= _MAX_PHASE_MS else 0.0
    return value if math.isfinite(value) and 0 < value <= _MAX_PHASE_MS else 0.0


#: A HAR timing longer than this (ten days, in milliseconds) is taken for no timing at all.
_MAX_PHASE_MS = 10 * 24 * 3600 * 1000


def har_exchange(entry: dict[str, Any], status: object, content_type: str) -> Exchange:
    """The exchange a HAR entry records: its status, URL and entry-level timings."""
    request = entry.get("request")
    request = request if isinstance(request, dict) else {}
    url, method = request.get("url"), request.get("method")
    timing = None
    started = entry.get("startedDateTime")
    start = _unix_time(started) if isinstance(started, str) else None
    timings = entry.get("timings")
    if start is not None and isinstance(timings, dict):
        # HAR 1.2: ssl is included in connect; the phases follow one another in this order.
        before = sum(_milliseconds(timings, n) for n in ("blocked", "dns", "connect", "send"))
        first = before + _milliseconds(timings, "wait")
        last = first + _milliseconds(timings, "receive")
        timing = Timing(start, before / 1000, first / 1000, last / 1000)
    return Exchange(
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        content_type=content_type or None,
        method=method if isinstance(method, str) else None,
        url=url if isinstance(url, str) else None,
        timing=timing,
    )
