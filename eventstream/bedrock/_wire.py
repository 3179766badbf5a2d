"""Declarative JSON <-> dataclass mapping for Bedrock event payloads.

Each shape is declared once, as a dataclass with type hints; this module derives the wire
names (``snake_case`` field -> ``lowerCamel`` key) and the conversions from the hints. Keys a
shape does not declare are kept in its ``extra`` mapping, so nothing the service sends is
dropped and re-encoding gives the same JSON.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import types
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

# The machinery of the typed layer: nothing here is public (bedrock re-exports none of it).
__all__: list[str] = []

T = TypeVar("T")
JSON = Any
_EMPTY: Mapping[str, JSON] = MappingProxyType({})


class WireError(Exception):
    """A payload does not fit its declared shape; ``path`` says where (internal)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or 'payload'}: {reason}")
        self.path = path
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Struct:
    """Base of every payload structure: ``extra`` holds the keys the shape does not declare."""

    extra: Mapping[str, JSON] = dataclasses.field(default_factory=lambda: _EMPTY, hash=False)

    def __post_init__(self) -> None:
        # Frozen means frozen: a dict given here becomes a read-only view of a copy.
        if type(self.extra) is not MappingProxyType:
            object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def __repr__(self) -> str:
        # Only what is set: unset optional fields and an empty ``extra`` are noise.
        parts = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.repr and f.name != "extra" and getattr(self, f.name) is not None
        ]
        if self.extra:
            parts.append(f"extra={dict(self.extra)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_html_(self) -> str:
        """The set fields as a table, for notebooks."""
        items = [
            (f.name, getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.repr and f.name != "extra" and getattr(self, f.name) is not None
        ]
        if self.extra:
            items.append(("extra", dict(self.extra)))
        rows = "".join(
            f"<tr><th>{name}</th><td><code>{html.escape(repr(value))}</code></td></tr>"
            for name, value in items
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class UnionMember(Struct):
    """One member of a wire union such as ``ContentBlockDelta``.

    ``union_key`` is the member's key on the wire. When ``wraps`` names a field, the wire value
    is that field's value itself (``{"text": "..."}``), not an object of the fields.
    """

    union_key: ClassVar[str]
    wraps: ClassVar[str | None] = None


def wire_name(field_name: str) -> str:
    """``content_block_index`` -> ``contentBlockIndex``."""
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


Decode = Callable[[JSON, str], Any]
Encode = Callable[[Any], JSON]


def _scalar(kind: type) -> tuple[Decode, Encode]:
    def decode(value: JSON, path: str) -> Any:
        # JSON true is a Python bool, which is also an int: keep the two apart.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                return value
            raise WireError(path, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return decode, _identity


def _identity(value: Any) -> Any:
    return value


def _blob_decode(value: JSON, path: str) -> bytes:
    if not isinstance(value, str):
        raise WireError(path, f"expected base64 text, got {type(value).__name__}")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireError(path, f"invalid base64 ({exc})") from None
    # b64decode(validate=True) still ignores set bits after the last whole byte ("YR=="
    # reads as "YQ==") and excess padding: such text would not come back on re-encoding,
    # so refuse it rather than lose it. (validate=True leaves only ASCII to compare.)
    if base64.b64encode(data) != value.encode("ascii"):
        raise WireError(path, "base64 with non-zero padding bits (not canonical)")
    return data


def _blob_encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_PLANS: dict[type, tuple[tuple[str, str, Decode, Encode, bool], ...]] = {}
_CONVERTERS: dict[object, tuple[Decode, Encode]] = {}


def _converter(hint: object) -> tuple[Decode, Encode]:
    cached = _CONVERTERS.get(hint)
    if cached is not None:
        return cached
    result: tuple[Decode, Encode]
    origin = typing.get_origin(hint)
    if hint is Any:
        result = (lambda value, path: value), _identity
    elif hint is bytes:
        result = _blob_decode, _blob_encode
    elif hint in (str, int, bool, float):
        result = _scalar(typing.cast(type, hint))
    elif origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) == 1:
            result = _converter(members[0])
        else:
            result = _union_converter(tuple(members))
    elif origin is tuple:
        item_decode, item_encode = _converter(typing.get_args(hint)[0])

        def decode_list(value: JSON, path: str) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise WireError(path, f"expected a list, got {type(value).__name__}")
            return tuple(item_decode(item, f"{path}[{i}]") for i, item in enumerate(value))

        def encode_list(value: tuple[Any, ...]) -> list[JSON]:
            return [item_encode(item) for item in value]

        result = decode_list, encode_list
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        struct: type[Any] = hint
        result = (lambda value, path: from_wire(struct, value, path)), to_wire
    else:  # pragma: no cover - a declaration error, caught by the tests
        raise TypeError(f"no wire mapping for {hint!r}")
    _CONVERTERS[hint] = result
    return result


def _union_converter(members: tuple[type, ...]) -> tuple[Decode, Encode]:
    by_key: dict[str, type[UnionMember]] = {
        m.union_key: m for m in members if issubclass(m, UnionMember)
    }
    # The one member that is not a UnionMember keeps unknown members (UnknownDelta, ...).
    fallback: type[Any] | None = next((m for m in members if not issubclass(m, UnionMember)), None)

    def decode(value: JSON, path: str) -> Any:
        if not isinstance(value, dict) or len(value) != 1:
            raise WireError(path, "expected an object with exactly one member")
        ((key, inner),) = value.items()
        member = by_key.get(key)
        if member is None:
            if fallback is None:  # pragma: no cover - every union declares a fallback
                raise WireError(path, f"unknown member {key!r}")
            return fallback(member=key, value=inner)
        if member.wraps is not None:
            field_decode = _row(member, member.wraps)[2]
            return member(**{member.wraps: field_decode(inner, f"{path}.{key}")})
        return from_wire(member, inner, f"{path}.{key}")

    def encode(value: Any) -> JSON:
        if not isinstance(value, UnionMember):
            return {value.member: value.value}
        if value.wraps is not None:
            field_encode = _row(type(value), value.wraps)[3]
            return {value.union_key: field_encode(getattr(value, value.wraps))}
        return {value.union_key: to_wire(value)}

    return decode, encode


def _row(cls: type, name: str) -> tuple[str, str, Decode, Encode, bool]:
    return next(row for row in _plan(cls) if row[0] == name)


def _plan(cls: type) -> tuple[tuple[str, str, Decode, Encode, bool], ...]:
    """``(field, wire key, decode, encode, required)`` for each declared field of ``cls``."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        rows = []
        for field in dataclasses.fields(cls):
            if field.name in ("extra", "padding"):
                continue
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            key = field.metadata.get("wire", wire_name(field.name))
            rows.append((field.name, key, *_converter(hints[field.name]), required))
        plan = _PLANS[cls] = tuple(rows)
    return plan


def from_wire(cls: type[T], value: JSON, path: str = "") -> T:
    """Build ``cls`` from a decoded JSON object; undeclared keys go to ``extra``."""
    if not isinstance(value, dict):
        raise WireError(path, f"expected an object, got {type(value).__name__}")
    kwargs: dict[str, Any] = {}
    rest = dict(value)
    for name, key, decode, _, required in _plan(cls):
        if key in rest:
            if rest[key] is None and not required:
                # An explicit null stays in ``extra`` so that re-encoding sends it again.
                continue
            kwargs[name] = decode(rest.pop(key), f"{path}.{key}" if path else key)
        elif required:
            raise WireError(path, f"missing required key {key!r}")
    if rest:
        kwargs["extra"] = MappingProxyType(rest)
    return cls(**kwargs)


def to_wire(value: Any) -> dict[str, JSON]:
    """The JSON object for a declared structure: its set fields, then its ``extra`` keys."""
    out: dict[str, JSON] = dict(value.extra)
    for name, key, _, encode, _ in _plan(type(value)):
        item = getattr(value, name)
        if item is not None:
            out[key] = encode(item)
    return out
