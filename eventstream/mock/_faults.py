"""The fault grammar: one small language for the CLI flag, the HTTP header and Python.

    spec   := fault (";" fault)*
    fault  := NAME ["=" VALUE] ["@" FRAMES [":" BYTES]] ("," KEY "=" VALUE)*

``@N`` always counts the frames of the response that go out intact before the fault; values
are percent-decoded, so a message may hold ``%2C`` (a comma) or ``%3B`` (a semicolon).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, cast, get_args
from urllib.parse import quote, unquote

from .. import ConfigurationError
from .. import bedrock as br
from . import _services

__all__ = [
    "FaultKind",
    "FAULT_KINDS",
    "Fault",
    "FaultSpecError",
    "parse_faults",
    "as_faults",
    "format_faults",
]

FaultKind: TypeAlias = Literal[
    "exception",
    "error-frame",
    "http",
    "body",
    "cut",
    "disconnect",
    "corrupt",
    "fragment",
    "stall",
    "unknown-event",
    "violation",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

#: The exception options that set a modelled field, and the field each sets.
_FIELD_OPTIONS = {
    "original-status": "original_status_code",
    "original-message": "original_message",
    "resource-name": "resource_name",
    "error-code": "error_code",
    "reason": "reason",
}


#: The values each kind takes (``None``: free-form, checked by the kind's own rule).
_VALUES: dict[FaultKind, tuple[str, ...] | None] = {
    "exception": None,
    "error-frame": (),
    "http": None,
    "body": ("json", "html", "sse"),
    "cut": (),
    "disconnect": (),
    "corrupt": ("prelude-crc", "message-crc", "length"),
    "fragment": ("bytes", "random"),
    "stall": None,
    "unknown-event": (),
    "violation": ("duplicate-start", "delta-before-start", "missing-stop"),
}

#: The options each kind accepts after its head.
_OPTIONS: dict[FaultKind, tuple[str, ...]] = {
    "exception": ("message", *_FIELD_OPTIONS),
    "error-frame": ("code", "message"),
    "http": ("type", "message", "body"),
    "body": ("message",),
    "cut": (),
    "disconnect": (),
    "corrupt": ("by",),
    "fragment": ("seed", "max"),
    "stall": (),
    "unknown-event": ("name",),
    "violation": (),
}

#: Kinds that end the stream where they stand; a spec may hold one of them.
ENDING: frozenset[FaultKind] = frozenset({"exception", "error-frame", "cut", "disconnect"})
#: Kinds that replace the stream altogether; a spec holding one holds nothing else.
WHOLE: frozenset[FaultKind] = frozenset({"http", "body"})


class FaultSpecError(ConfigurationError):
    """A fault spec that does not parse or does not make sense; the message names the part."""

    __module__ = "eventstream.mock"


#: The most digits a number of a spec may have: str.isdigit() takes Unicode digits ('²')
#: that int() refuses, and int() refuses more than 4300 digits (sys.int_info).
_MAX_DIGITS = 19
#: The largest frame or byte count a fault takes (what a 64-bit counter holds).
_MAX_COUNT = 2**63 - 1


def _is_number(text: str) -> bool:
    """``text`` is a whole number of ASCII digits that int() reads."""
    return text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS


def _check_text(what: str, value: object) -> str:
    """``value`` if it is a str with a UTF-8 form (the wire's encoding), else FaultSpecError."""
    if not isinstance(value, str):
        raise FaultSpecError(f"{what} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FaultSpecError(f"{what} holds a lone surrogate (no UTF-8 form)") from None
    return value


def _exception_classes(name: str) -> list[type[br.BedrockException]]:
    """The classes any served stream names ``name`` (either spelling of its code)."""
    found = _services.every_exception_name().get(name)
    if not found:
        raise FaultSpecError(f"unknown exception type {name!r}; choose one of {_known()}")
    return found


def _known() -> str:
    names = _services.every_exception_name()
    return ", ".join(sorted({cls.exception_type for classes in names.values() for cls in classes}))


def _error_codes() -> set[str]:
    return {code for op in _services.SERVED for code in op.errors}


def exception_class(name: str, stream: str) -> type[br.BedrockException]:
    """The exception class ``name`` (either spelling) on ``stream``; a name outside the
    stream's union is a :class:`FaultSpecError` naming the union's exceptions."""
    classes = _services.exception_classes(stream)
    cls = classes.get(name)
    if cls is None:
        _exception_classes(name)  # an unknown name says so first
        union = sorted({c.exception_type for c in classes.values()})
        choose = f"choose one of {', '.join(union)}" if union else "it has none: use error-frame"
        raise FaultSpecError(f"{name!r} is not an exception of the {stream} stream; {choose}")
    return cls


def check_stream(faults: Iterable[Fault], stream: str) -> None:
    """Refuse faults that ``stream`` cannot carry: an exception outside its union (or with
    an option its class has no field for), an HTTP error type its operation does not model."""
    operation = _services.OPERATION_OF[stream]
    for fault in faults:
        where = f"fault {str(fault)!r} on {operation.service} {operation.name}"
        try:
            if fault.kind == "exception":
                cls = exception_class(fault.value, stream)
                fields = {name for name, _, _ in cls._fields}
                for option, name in _FIELD_OPTIONS.items():
                    if option in fault.options and name not in fields:
                        raise FaultSpecError(f"{cls.exception_type} has no {option!r}")
            elif fault.kind == "http" and fault.options.get("type"):
                code = fault.options["type"]
                known = (
                    _services.exception_classes(stream)
                    if _services.is_bedrock(stream)
                    else operation.errors
                )
                if code not in known:
                    raise FaultSpecError(
                        f"'type={code}' is not an error of {operation.name}; choose one of "
                        f"{', '.join(sorted(operation.errors))}"
                    )
        except FaultSpecError as exc:
            raise FaultSpecError(f"{where}: {exc.message}") from None


@dataclass(frozen=True)
class Fault:
    """One fault: ``kind``, its ``value``, where it strikes (``at`` frames go out intact
    first; ``byte`` bytes of the next one, for ``cut``) and its ``options``.

    ``str(fault)`` is its spec, which :func:`parse_faults` reads back to an equal fault.
    """

    kind: FaultKind
    value: str = ""
    at: int = 0
    byte: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked here, so a fault built in Python is held to the grammar's rules too.
        options: object = self.options
        if not isinstance(options, Mapping):
            raise FaultSpecError(f"fault options must be a mapping, not {type(options).__name__}")
        object.__setattr__(self, "options", dict(options))
        _check_text("a fault's kind", self.kind)
        where = f"fault {self.kind!r}"
        _check_text(f"{where}: the value", self.value)
        for key, text in self.options.items():
            _check_text(f"{where}: an option's name", key)
            _check_text(f"{where}: option {key!r}", text)
        if self.kind not in FAULT_KINDS:
            raise FaultSpecError(
                f"unknown fault {self.kind!r}; choose one of {', '.join(FAULT_KINDS)}"
            )
        at: object = self.at
        if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at <= _MAX_COUNT:
            raise FaultSpecError(f"{where}: '@{self.at}' must be a whole number of frames >= 0")
        allowed = _VALUES[self.kind]
        if allowed == () and self.value:
            raise FaultSpecError(f"{where} takes no '={self.value}'")
        if allowed and self.value not in allowed:
            shown = f"'={self.value}'" if self.value else "no value"
            raise FaultSpecError(f"{where}: {shown}; choose one of {', '.join(allowed)}")
        if self.kind == "cut":
            if self.byte is None:
                raise FaultSpecError("fault 'cut' needs '@FRAME:BYTES' (e.g. cut@2:10)")
            if self.byte == 0:
                raise FaultSpecError("fault 'cut': ':0' is no cut inside a frame (BYTES >= 1)")
        elif self.byte is not None:
            raise FaultSpecError(f"{where} takes no ':{self.byte}' (only cut does)")
        byte: object = self.byte
        if byte is not None and (
            not isinstance(byte, int) or isinstance(byte, bool) or not 0 <= byte <= _MAX_COUNT
        ):
            raise FaultSpecError(f"{where}: ':{self.byte}' must be a whole number of bytes >= 0")
        for key in self.options:
            if key not in _OPTIONS[self.kind]:
                accepted = ", ".join(_OPTIONS[self.kind]) or "none"
                raise FaultSpecError(f"{where}: unknown option {key!r} (accepted: {accepted})")
        self._check_value()

    def _check_value(self) -> None:
        where = f"fault {self.kind!r}"
        if self.kind == "exception":
            classes = _exception_classes(self.value)
            for option, name in _FIELD_OPTIONS.items():
                if option not in self.options:
                    continue
                bearing = [c for c in classes if name in {f for f, _, _ in c._fields}]
                if not bearing:
                    owners = sorted({
                        c.exception_type
                        for found in _services.every_exception_name().values()
                        for c in found
                        if name in {f for f, _, _ in c._fields}
                    })  # fmt: skip
                    raise FaultSpecError(
                        f"{where}: {option!r} belongs to {' and '.join(owners)}, not {self.value}"
                    )
                if option == "original-status":
                    self._integer("original-status", 100, 999)
        elif self.kind == "http":
            if not _is_number(self.value) or not 300 <= int(self.value) <= 599:
                raise FaultSpecError(f"{where}: '={self.value}' must be a status from 300 to 599")
            code = self.options.get("type")
            if code and code not in _error_codes():
                _exception_classes(code)
        elif self.kind == "stall":
            if self.value != "forever":
                try:
                    seconds = float(self.value)
                except ValueError:
                    seconds = math.nan
                if not math.isfinite(seconds) or seconds < 0:
                    raise FaultSpecError(
                        f"{where}: '={self.value}' must be seconds >= 0 or 'forever'"
                    )
        elif self.kind == "fragment":
            if "seed" in self.options:
                self._integer("seed", 0, 2**63)
            if "max" in self.options:
                if self.value != "random":
                    raise FaultSpecError(f"{where}: 'max' is for fragment=random")
                self._integer("max", 1, 1 << 20)
        elif self.kind == "corrupt" and "by" in self.options:
            if self.value != "length":
                raise FaultSpecError(f"{where}: 'by' is for corrupt=length")
            if self._integer("by", -(1 << 20), 1 << 20) == 0:
                raise FaultSpecError(f"{where}: 'by=0' would change nothing")
        elif self.kind == "unknown-event" and "name" in self.options:
            name = self.options["name"]
            if not name or name in _services.event_names():
                raise FaultSpecError(f"{where}: 'name={name}' must be a name no union has")

    def _integer(self, key: str, low: int, high: int) -> int:
        text = self.options[key]
        number = int(text) if _is_number(text.removeprefix("-")) else None
        if number is None or not low <= number <= high:
            raise FaultSpecError(
                f"fault {self.kind!r}: '{key}={text}' must be a whole number from {low} to {high}"
            )
        return number

    @property
    def seconds(self) -> float | None:
        """``stall``: how long, ``None`` for ever."""
        return None if self.value == "forever" else float(self.value)

    def __str__(self) -> str:
        text: str = self.kind
        if self.value:
            text += f"={_quote(self.value)}"
        if self.at or self.byte is not None:
            text += f"@{self.at}"
        if self.byte is not None:
            text += f":{self.byte}"
        for key, value in self.options.items():
            text += f",{key}={_quote(value)}"
        return text


def _quote(value: str) -> str:
    return quote(value, safe=" /._-!'()*~<>[]{}\"?+")


def _number(text: str, what: str, part: str) -> int:
    if not _is_number(text) or int(text) > _MAX_COUNT:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise FaultSpecError(
            f"{part[:80]!r}: {what} {shown!r} must be a whole number up to {_MAX_COUNT}"
        )
    return int(text)


def _parse_one(part: str) -> Fault:
    head, *rest = [piece.strip() for piece in part.split(",")]
    position = None
    if "@" in head:
        head, position = (piece.strip() for piece in head.split("@", 1))
    written, _, value = head.partition("=")
    name = written.strip()
    if name not in FAULT_KINDS:
        raise FaultSpecError(
            f"{part!r}: unknown fault {name!r}; choose one of {', '.join(FAULT_KINDS)}"
        )
    at, byte = 0, None
    if position is not None:
        frames, colon, count = position.partition(":")
        at = _number(frames.strip(), "frame count", part)
        if colon:
            byte = _number(count.strip(), "byte count", part)
    options: dict[str, str] = {}
    for option in rest:
        key, equals, text = option.partition("=")
        if not equals or not key.strip():
            raise FaultSpecError(f"{part!r}: option {option!r} must be KEY=VALUE")
        if key.strip() in options:
            raise FaultSpecError(f"{part!r}: option {key.strip()!r} given twice")
        options[key.strip()] = unquote(text.strip())
    try:
        return Fault(name, unquote(value.strip()), at, byte, options)
    except FaultSpecError as exc:
        raise FaultSpecError(f"{part!r}: {exc.message}") from None


def parse_faults(spec: str) -> tuple[Fault, ...]:
    """The faults of ``spec`` (``""``: none), checked alone and together; a
    :class:`FaultSpecError` names the part at fault."""
    if not isinstance(spec, str):
        raise FaultSpecError(f"a fault spec is a str, not {type(spec).__name__}")
    faults = tuple(_parse_one(part) for part in spec.split(";") if part.strip())
    check_together(faults)
    return faults


def check_together(faults: tuple[Fault, ...]) -> None:
    """Refuse faults that cannot all happen in one response."""
    kinds = [fault.kind for fault in faults]
    whole = [str(f) for f in faults if f.kind in WHOLE]
    if whole and len(faults) > 1:
        raise FaultSpecError(f"{whole[0]!r} replaces the whole response: give it alone")
    ending = [str(f) for f in faults if f.kind in ENDING]
    if len(ending) > 1:
        raise FaultSpecError(
            f"{ending[0]!r} and {ending[1]!r} both end the stream: give one of them"
        )
    if kinds.count("fragment") > 1:
        raise FaultSpecError("give one 'fragment' fault (the writes are split one way)")


def as_faults(faults: str | Fault | Iterable[Fault] | None) -> tuple[Fault, ...]:
    """Faults from a spec, one :class:`Fault`, several, or ``None`` (none)."""
    if faults is None:
        return ()
    if isinstance(faults, str):
        return parse_faults(faults)
    given: object = faults
    if not isinstance(given, Fault | Iterable):
        raise FaultSpecError(f"{given!r} is not a spec, a Fault or Faults")
    chosen = (given,) if isinstance(given, Fault) else tuple(given)
    for fault in chosen:
        if not isinstance(fault, Fault):
            raise FaultSpecError(f"{fault!r} is not a Fault or a spec")
    checked = cast(tuple[Fault, ...], chosen)
    check_together(checked)
    return checked


def format_faults(faults: Iterable[Fault]) -> str:
    """The spec of ``faults``: what the header carries."""
    return ";".join(str(fault) for fault in faults)
