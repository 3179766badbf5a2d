"""Where the served streams come from: captures, ``decode --json`` JSON Lines, or a script.

A capture is read with :func:`eventstream.capture.load_input` (raw, hex, base64, HAR); a HAR
entry keeps its recorded timing (``timings.wait`` before the first frame, ``timings.receive``
spread evenly over the rest, since HAR does not time each frame).
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ConfigurationError, Decoder, EventStreamError, InputTypeError, Message
from ..capture import load_input, messages_from_jsonl
from . import _services
from ._script import MAX_DELAY, Script, Timing

__all__ = ["Recording", "Responses", "load_recordings", "stream_of"]


@dataclass(frozen=True)
class Recording:
    """One recorded response: its frames, the stream they belong to (``None``: any; served
    at that stream's operation only), a label naming where they came from, and the recorded
    seconds before each frame."""

    messages: tuple[Message, ...]
    stream: str | None
    label: str
    delays: tuple[float, ...] | None = None


def stream_of(messages: Iterable[Message]) -> str | None:
    """The served stream whose union holds the most of the frames' event types (Bedrock
    Runtime's first on a tie: frames of ``chunk`` events alone are ``invoke``'s, though an
    agent's read the same), or ``None`` when no union holds any."""
    if not isinstance(messages, Iterable):
        raise ConfigurationError(f"stream_of takes Messages, not {type(messages).__name__}")
    chosen = tuple(messages)
    for message in chosen:
        if not isinstance(message, Message):
            raise ConfigurationError(f"stream_of takes Messages, not {type(message).__name__}")
    names = {
        name
        for message in chosen
        if message.headers.get(":message-type") == "event"
        and isinstance(name := message.headers.get(":event-type"), str)
    }
    best, most = None, 0
    for stream in _STREAMS:
        held = sum(1 for name in names if _services.union_has(stream, name))
        if held > most:
            best, most = stream, held
    return best


_STREAMS = (*_services.BEDROCK_STREAMS, *_services.SERVICE_STREAMS)


def _frames(data: bytes, label: str) -> tuple[Message, ...]:
    decoder = Decoder()
    try:
        messages = decoder.feed(data)
        decoder.close()
    except EventStreamError as exc:
        # Faults are injected on purpose; a recording must itself be sound.
        raise ConfigurationError(f"{label}: not a sound event stream ({exc})") from None
    return tuple(messages)


_ENTRY = re.compile(r"^entry (\d+):")


def _har_delays(document: Any, label: str, count: int) -> tuple[float, ...] | None:
    match = _ENTRY.match(label)
    try:
        entry = document["log"]["entries"][int(match[1])] if match else None
        timings = entry["timings"] if isinstance(entry, dict) else None
        wait = float(timings.get("wait", 0)) if isinstance(timings, dict) else None
        receive = float(timings.get("receive", 0)) if isinstance(timings, dict) else 0.0
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    except OverflowError:  # an integer past float's range
        raise ConfigurationError(f"{label}: its timings are past any wait") from None
    if wait is None or count == 0:
        return None
    for name, value in (("wait", wait), ("receive", receive)):
        # json.loads reads 1e400 as inf (and takes NaN): a server cannot wait that long.
        if not math.isfinite(value) or value > MAX_DELAY * 1000:
            raise ConfigurationError(
                f"{label}: timings.{name} {value!r} ms is not a wait a server can make "
                f"(at most {MAX_DELAY * 1000:g} ms)"
            )
    # HAR uses -1 for "does not apply".
    wait, receive = max(wait, 0.0) / 1000, max(receive, 0.0) / 1000
    gap = receive / (count - 1) if count > 1 else 0.0
    return (wait, *([gap] * (count - 1)))


def load_recordings(data: bytes, name: str) -> list[Recording]:
    """The recordings in a capture file (``data``, named ``name`` in errors)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputTypeError(f"a capture is bytes, not {type(data).__name__}")
    if not isinstance(name, str):
        raise ConfigurationError(f"a capture's name is a str, not {type(name).__name__}")
    data = bytes(data)
    head = data.lstrip()[:1]
    document: Any = None
    if head in (b"{", b"["):
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            document = None  # several JSON documents: JSON Lines
        if document is None or not isinstance(document, dict) or "log" not in document:
            messages = tuple(messages_from_jsonl(data, name))
            return [Recording(messages, stream_of(messages), f"{name} (JSON Lines)")]
    loaded = load_input(data)
    recordings = []
    for body in loaded.bodies:
        label = f"{name}: {body.label}" if body.label else name
        messages = _frames(body.data, label)
        delays = _har_delays(document, body.label or "", len(messages)) if document else None
        stream = body.stream_hint or stream_of(messages)
        recordings.append(Recording(messages, stream, label, delays))
    return recordings


class Responses:
    """The streams a server answers with: its recordings for each stream, in turn, and the
    script for a stream with none."""

    def __init__(self, recordings: Sequence[Recording] = (), script: Script | None = None):
        given: object = recordings
        if not isinstance(given, Iterable) or isinstance(given, str | bytes):
            raise ConfigurationError(f"recordings {recordings!r} must be Recordings")
        self.recordings = tuple(recordings)
        for recording in self.recordings:
            if not isinstance(recording, Recording):
                raise ConfigurationError(f"{recording!r} is not a Recording")
        if script is not None and not isinstance(script, Script):
            raise ConfigurationError(f"script {script!r} must be an eventstream.mock.Script")
        self.script = script if script is not None else Script()
        self._turns: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(
        self, stream: str, timing: Timing, rng: random.Random
    ) -> tuple[Recording, list[float]]:
        """The next recording for ``stream`` and the seconds to wait before each frame."""
        fitting = [r for r in self.recordings if r.stream in (stream, None)]
        if fitting:
            with self._lock:
                turn = self._turns.get(stream, 0)
                self._turns[stream] = turn + 1
            recording = fitting[turn % len(fitting)]
        else:
            messages = tuple(self.script.messages(stream, timing, rng))
            recording = Recording(messages, stream, f"script ({stream})")
        return recording, timing.delays(len(recording.messages), recording.delays, rng)
