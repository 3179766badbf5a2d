"""The journal: one JSON record per request served, with every fault injected into it.

Kept in memory (:meth:`Journal.records`) and, when given a path, appended to a JSON Lines
file as each response ends (:func:`read_journal` reads it back).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import ConfigurationError

__all__ = ["Journal", "read_journal"]

#: The longest Journal.wait (a day).
MAX_WAIT = 86400.0


class Journal:
    """Records of the requests a server answered, in the order their responses ended."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is not None and not isinstance(path, str | os.PathLike):
            raise ConfigurationError(f"a journal's path is a str or a path, not {path!r}")
        self.path = Path(path) if path is not None else None
        self._records: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()

    def write(self, record: dict[str, Any]) -> None:
        """Add ``record`` (the server calls this once per response)."""
        try:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: JSON's escapes carry it
            line = json.dumps(record, separators=(",", ":"), default=str)
        with self._changed:
            self._records.append(record)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
            self._changed.notify_all()

    def records(self) -> list[dict[str, Any]]:
        """Every record so far (a copy)."""
        with self._changed:
            return list(self._records)

    def faults(self) -> list[dict[str, Any]]:
        """Every fault injected so far, each with its request's number, path and outcome."""
        return [
            {"request": r["request"], "path": r["path"], "outcome": r["outcome"], **fault}
            for r in self.records()
            for fault in r.get("injected", ())
        ]

    def clear(self) -> None:
        """Forget the records in memory (the file is kept)."""
        with self._changed:
            self._records.clear()

    def wait(
        self,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` records (those ``where`` accepts) are in; return them.

        A response is journaled when it ends, which is after the client has read it: a test
        that reads the journal right after its call waits here. Raises ``TimeoutError``.
        """
        number: object = count
        if isinstance(number, bool) or not isinstance(number, int) or count < 0:
            raise ConfigurationError(f"wait: count {count!r} must be a whole number >= 0")
        seconds: object = timeout
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_WAIT
        ):
            # NaN waited for ever; inf and 1e300 overflowed threading's time_t.
            raise ConfigurationError(
                f"wait: timeout {timeout!r} must be seconds from 0 to {MAX_WAIT:g}"
            )
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                chosen = [r for r in self._records if where is None or where(r)]
                if len(chosen) >= count:
                    return chosen
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the journal has {len(chosen)} of {count} records")
                self._changed.wait(left)


def read_journal(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a journal file."""
    if not isinstance(path, str | os.PathLike):
        raise ConfigurationError(f"a journal's path is a str or a path, not {path!r}")
    records = []
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        # Journal.write writes UTF-8: anything else is not a journal.
        raise ConfigurationError(f"{path}: not UTF-8 (byte {exc.start})") from None
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                raise ConfigurationError(f"{path}, line {number}: not JSON ({exc})") from None
    return records
