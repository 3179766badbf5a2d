"""Declarative JSON <-> dataclass mapping for Bedrock event payloads.

Each shape is declared once, as a dataclass with type hints; this module derives the wire
names (``snake_case`` field -> ``lowerCamel`` key) and the conversions from the hints. Keys a
shape does not declare are kept in its ``extra`` mapping, so nothing the service sends is
dropped and re-encoding gives the same JSON.
"""

from __future__ import annotations

import base64
import binascii
import collections.abc
import dataclasses
import html
import sys
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle, copy and deepcopy through the constructor: ``extra`` is a MappingProxyType,
        # which neither pickles nor deep-copies; it goes as a dict, made read-only again by
        # __post_init__. Every structure inherits this.
        # Map fields are read-only views too: they go as dicts, and are made views again.
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        views = tuple(k for k, v in fields.items() if type(v) is MappingProxyType and k != "extra")
        fields = {k: dict(v) if type(v) is MappingProxyType else v for k, v in fields.items()}
        return _build_struct, (type(self), fields, views)

    def __repr__(self) -> str:
        # Only what is set: unset optional fields and an empty ``extra`` are noise. Each
        # value is cut as a Message's payload is: a 1 MiB chunk or image is not 3 MB of text.
        parts = [
            f"{f.name}={_short_repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
            if f.repr and f.name != "extra" and getattr(self, f.name) is not None
        ]
        if self.extra:
            parts.append(f"extra={_short_repr(dict(self.extra))}")
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
            f"<tr><th>{name}</th><td><code>{html.escape(_short_repr(value))}</code></td></tr>"
            for name, value in items
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


#: The most of a field's repr a structure shows (a ``Message`` shows 2 KiB of payload).
MAX_REPR = 2048


def _short_repr(value: object) -> str:
    """``repr(value)``, cut to about :data:`MAX_REPR` characters with its length said."""
    if isinstance(value, bytes | bytearray) and len(value) > MAX_REPR // 4:
        return f"{bytes(value[: MAX_REPR // 4])!r} + ... ({len(value)} bytes)"
    if isinstance(value, str) and len(value) > MAX_REPR:
        return f"{value[: MAX_REPR - 48]!r} + ... ({len(value)} characters)"
    shown = repr(value)
    if len(shown) > MAX_REPR:
        return f"{shown[: MAX_REPR - 48]} ... ({len(shown)} characters of repr)"
    return shown


def _build_struct(cls: type[Struct], fields: dict[str, Any], views: tuple[str, ...] = ()) -> Struct:
    struct = cls(**fields)
    for name in views:
        object.__setattr__(struct, name, MappingProxyType(fields[name]))
    return struct


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


def _canonical_by_round_trip(raw: bytes) -> bytes | None:
    """The bytes ``raw`` encodes if it is canonical base64 (it encodes back to itself), else
    ``None``."""
    try:
        data = binascii.a2b_base64(raw)
    except binascii.Error:
        return None
    return data if binascii.b2a_base64(data, newline=False) == raw else None


# The last character before "==" or "=" holds 4 or 2 bits past the last byte: canonical
# text has them zero.
_ZERO_LOW_4 = frozenset(b"AQgw")
_ZERO_LOW_2 = frozenset(b"AEIMQUYcgkosw048")


if sys.version_info >= (3, 11):

    def canonical_base64(raw: bytes) -> bytes | None:
        """:func:`_canonical_by_round_trip`, faster (~0.1 us): strict_mode refuses, in C,
        anything but the alphabet and padding, but not padding after a whole quad ("AAAA=")
        or bits set past the last byte, which are checked here ("=" is in neither set)."""
        try:
            data = binascii.a2b_base64(raw, strict_mode=True)
        except binascii.Error:
            return None
        if len(raw) & 3 or (
            raw[-1:] == b"="
            and (raw[-3] not in _ZERO_LOW_4 if raw[-2:] == b"==" else raw[-2] not in _ZERO_LOW_2)
        ):
            return None
        return data

else:  # pragma: no cover - Python 3.10
    canonical_base64 = _canonical_by_round_trip


def _blob_decode(value: JSON, path: str) -> bytes:
    # Fast path: canonical base64, whatever it held, read in C, skipping the Python-level
    # validation of b64decode. Anything else takes the strict path below, which says what
    # is wrong with it.
    if type(value) is str:
        try:
            raw = value.encode("ascii")
        except UnicodeEncodeError:
            pass
        else:
            data = canonical_base64(raw)
            if data is not None:
                return data
    return _strict_blob_decode(value, path)


def _strict_blob_decode(value: JSON, path: str) -> bytes:
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
    elif origin is collections.abc.Mapping:
        value_decode, value_encode = _converter(typing.get_args(hint)[1])

        def decode_map(value: JSON, path: str) -> Mapping[str, Any]:
            if not isinstance(value, dict):
                raise WireError(path, f"expected an object, got {type(value).__name__}")
            return MappingProxyType(
                {key: value_decode(item, f"{path}[{key!r}]") for key, item in value.items()}
            )

        def encode_map(value: Mapping[str, Any]) -> dict[str, JSON]:
            return {key: value_encode(item) for key, item in value.items()}

        result = decode_map, encode_map
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


#: Bedrock pads event payloads with a ``"p"`` field, a prefix of this alphabet.
PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def from_wire(cls: type[T], value: JSON, path: str = "") -> T:
    """Build ``cls`` from a decoded JSON object; undeclared keys go to ``extra``.

    An event's ``"p"`` that is Bedrock's padding goes to ``padding`` instead.
    """
    try:
        return decoder_of(cls)(value)  # type: ignore[no-any-return]
    except WireError as exc:
        if not path:
            raise
        raise WireError(_join(path, exc.path), exc.reason) from None


def to_wire(value: Any) -> dict[str, JSON]:
    """The JSON object for a declared structure: its ``extra`` keys, then its set fields."""
    return _encoder(type(value))(value)


def _join(path: str, inner: str) -> str:
    if not inner:
        return path
    if not path or inner.startswith("["):
        return path + inner
    return f"{path}.{inner}"


def _prefixed(exc: WireError, step: str) -> WireError:
    return WireError(_join(step, exc.path), exc.reason)


# --- generated decoders and encoders ----------------------------------------------------------
#
# The declarations (dataclasses with type hints) stay the single source. For each shape, a
# decoder and an encoder are generated once, on first use, as Python source specialised to
# its fields (what dataclasses does for __init__): direct key lookups, an inline type check
# per scalar field, nested shapes called directly, and the instance built through its slot
# descriptors rather than __init__ (which would re-check and copy what was just checked).
# The generic walk over a plan per object cost about 3 us an event; see benchmarks/README.md
# ("Typed Bedrock events"). Errors are raised with the path below the shape; each caller
# prefixes its own key, so no path string is built unless something fails.

_DECODERS: dict[type, Callable[[JSON], Any]] = {}
_ENCODERS: dict[type, Callable[[Any], dict[str, JSON]]] = {}
_MISSING: Any = object()

#: Inline checks for scalar hints: the test, and the name in the error.
_SCALAR_TESTS = {
    str: ("type(v) is str", "str"),
    int: ("type(v) is int", "int"),  # not bool: JSON true is a bool, not a number
    bool: ("type(v) is bool", "bool"),
    float: ("type(v) is float or type(v) is int", "float"),
}


def _field_hint(hint: object) -> object:
    """The hint without ``None``: ``X | None`` is X (optionality is in the default)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


def decoder_of(cls: type) -> Callable[[JSON], Any]:
    """The generated decoder of ``cls``: JSON in, instance out, :class:`WireError` with the
    path below the shape on failure (what :func:`from_wire` calls, without the prefixing)."""
    decode = _DECODERS.get(cls)
    if decode is None:
        decode = _DECODERS[cls] = _generatedecoder_of(cls)
    return decode


def _encoder(cls: type) -> Callable[[Any], dict[str, JSON]]:
    encode = _ENCODERS.get(cls)
    if encode is None:
        encode = _ENCODERS[cls] = _generate_encoder(cls)
    return encode


def _valuedecoder_of(hint: object) -> Callable[[JSON], Any] | None:
    """A decoder for a non-scalar field value (relative paths in its errors), or ``None``
    for ``Any`` (kept as it came)."""
    hint = _field_hint(hint)
    if hint is Any:
        return None
    if hint is bytes:
        return _blob
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _uniondecoder_of(tuple(typing.get_args(hint)))
    if origin is tuple:
        (item_hint,) = typing.get_args(hint)[:1]
        scalar = _SCALAR_TESTS.get(typing.cast(type, _field_hint(item_hint)))
        item = None if scalar is not None else _valuedecoder_of(item_hint)
        return _listdecoder_of(item, scalar)
    if origin is collections.abc.Mapping:
        # A model map (JSON object of arbitrary string keys): read-only, as ``extra`` is.
        value_hint = typing.get_args(hint)[1]
        scalar = _SCALAR_TESTS.get(typing.cast(type, _field_hint(value_hint)))
        item = None if scalar is not None else _valuedecoder_of(value_hint)
        return _mapdecoder_of(item, scalar)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        struct: type = hint

        def nested(value: JSON) -> Any:
            # Looked up at call time: generating it now could recurse through its own fields.
            return decoder_of(struct)(value)

        return nested
    raise TypeError(f"no wire mapping for {hint!r}")  # pragma: no cover - a declaration error


def _blob(value: JSON) -> bytes:
    return _blob_decode(value, "")


def _listdecoder_of(
    item: Callable[[JSON], Any] | None, scalar: tuple[str, str] | None
) -> Callable[[JSON], tuple[Any, ...]]:
    kind = None if scalar is None else {"str": str, "int": int, "bool": bool}.get(scalar[1])

    def decode(value: JSON) -> tuple[Any, ...]:
        if type(value) is not list:
            raise WireError("", f"expected a list, got {type(value).__name__}")
        if item is None and scalar is None:
            return tuple(value)
        out = []
        for i, element in enumerate(value):
            if scalar is not None:
                if not _scalar_ok(element, kind, scalar[1]):
                    raise WireError(f"[{i}]", f"expected {scalar[1]}, got {type(element).__name__}")
                out.append(element)
                continue
            assert item is not None
            try:
                out.append(item(element))
            except WireError as exc:
                raise _prefixed(exc, f"[{i}]") from None
        return tuple(out)

    return decode


def _mapdecoder_of(
    item: Callable[[JSON], Any] | None, scalar: tuple[str, str] | None
) -> Callable[[JSON], Mapping[str, Any]]:
    kind = None if scalar is None else {"str": str, "int": int, "bool": bool}.get(scalar[1])

    def decode(value: JSON) -> Mapping[str, Any]:
        if type(value) is not dict:
            raise WireError("", f"expected an object, got {type(value).__name__}")
        out = {}
        for key, element in value.items():
            if scalar is not None:
                if not _scalar_ok(element, kind, scalar[1]):
                    raise WireError(
                        f"[{key!r}]", f"expected {scalar[1]}, got {type(element).__name__}"
                    )
            elif item is not None:
                try:
                    out[key] = item(element)
                except WireError as exc:
                    raise _prefixed(exc, f"[{key!r}]") from None
                continue
            out[key] = element
        return MappingProxyType(out)

    return decode


def _scalar_ok(value: object, kind: type | None, name: str) -> bool:
    if name == "float":
        return type(value) is float or type(value) is int
    return type(value) is kind


def _uniondecoder_of(members: tuple[type, ...]) -> Callable[[JSON], Any]:
    by_key: dict[str, type[UnionMember]] = {
        m.union_key: m for m in members if issubclass(m, UnionMember)
    }
    # The one member that is not a UnionMember keeps unknown members (UnknownDelta, ...).
    fallback: Any = next((m for m in members if not issubclass(m, UnionMember)), None)

    decoders: dict[str, Callable[[JSON], Any]] = {}  # by key, filled on first use

    def decode(value: JSON) -> Any:
        if type(value) is not dict or len(value) != 1:
            raise WireError("", "expected an object with exactly one member")
        ((key, inner),) = value.items()
        member_decode = decoders.get(key)
        if member_decode is None:
            member = by_key.get(key)
            if member is None:
                if fallback is None:  # pragma: no cover - every union declares a fallback
                    raise WireError("", f"unknown member {key!r}")
                return fallback(member=key, value=inner)
            member_decode = decoders[key] = decoder_of(member)
        try:
            return member_decode(inner)
        except WireError as exc:
            raise _prefixed(exc, key) from None

    return decode


def _generatedecoder_of(cls: type) -> Callable[[JSON], Any]:
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name != "extra"]
    wraps = getattr(cls, "wraps", None)
    env: dict[str, Any] = {
        "cls": cls, "new": object.__new__, "WireError": WireError, "prefixed": _prefixed,
        "MISSING": _MISSING, "EMPTY": _EMPTY, "Proxy": MappingProxyType,
        "set_extra": _slot_setter(cls, "extra"), "ALPHABET": PADDING_ALPHABET,
    }  # fmt: skip
    lines = []
    if wraps is not None:
        # The wire value is the wrapped field's value itself: {"text": "..."}.
        return _wrapperdecoder_of(cls, wraps, hints[wraps])
    lines.append("def decode(value):")
    lines.append("    if type(value) is not dict:")
    lines.append("        raise WireError('', f'expected an object, got {type(value).__name__}')")
    lines.append("    n = 0")
    known: list[str] = []
    plain: list[str] = []
    has_padding = False
    for number, field in enumerate(fields):
        name = field.name
        env[f"set_{number}"] = _slot_setter(cls, name)
        if name == "padding":
            has_padding = True
            lines += [
                "    p = value.get('p', MISSING)",
                "    if type(p) is str and ALPHABET.startswith(p):",
                "        n += 1",
                "    else:",
                "        p = None",
                f"    f{number} = p",
            ]
            continue
        key = field.metadata.get("wire", wire_name(name))
        known.append(key)
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        factory = typing.cast(Callable[[], Any], field.default_factory)
        default = (
            None
            if required
            else (field.default if field.default is not dataclasses.MISSING else factory())
        )
        env[f"default_{number}"] = default
        lines.append(f"    v = value.get({key!r}, MISSING)")
        if required:
            lines.append("    if v is MISSING:")
            lines.append(f"        raise WireError('', {f'missing required key {key!r}'!r})")
        else:
            plain.append(key)
            # Absent, or an explicit null (which stays in extra, to be sent again).
            lines.append("    if v is MISSING or v is None:")
            lines.append(f"        f{number} = default_{number}")
            lines.append("    else:")
        indent = "    " if required else "        "
        hint = _field_hint(hints[name])
        test = _SCALAR_TESTS.get(typing.cast(type, hint))
        if test is not None:
            lines.append(f"{indent}if not ({test[0]}):")
            lines.append(
                f"{indent}    raise WireError({key!r}, "
                f"f'expected {test[1]}, got {{type(v).__name__}}')"
            )
            lines.append(f"{indent}f{number} = v")
        else:
            decode = _valuedecoder_of(hints[name])
            if decode is None:
                lines.append(f"{indent}f{number} = v")
            else:
                env[f"decode_{number}"] = decode
                lines.append(f"{indent}try:")
                lines.append(f"{indent}    f{number} = decode_{number}(v)")
                lines.append(f"{indent}except WireError as exc:")
                lines.append(f"{indent}    raise prefixed(exc, {key!r}) from None")
        lines.append(f"{indent}n += 1")
    env["KNOWN"] = frozenset(known)
    env["OPTIONAL"] = frozenset(plain)
    lines.append("    if n == len(value):")
    lines.append("        extra = EMPTY")
    lines.append("    else:")
    # What is left: undeclared keys, explicit nulls of optional fields, and a "p" that is
    # not Bedrock's padding. (A required key never stays: it was decoded or refused.)
    skip_p = " and (k != 'p' or p is None)" if has_padding else ""
    lines.append(
        "        extra = Proxy({k: x for k, x in value.items() "
        f"if (k not in KNOWN or x is None){skip_p}}})"
    )
    lines.append("    obj = new(cls)")
    for number, _ in enumerate(fields):
        lines.append(f"    set_{number}(obj, f{number})")
    lines.append("    set_extra(obj, extra)")
    lines.append("    return obj")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<decoder of {cls.__qualname__}>", "exec"), env, namespace)
    decode_fn: Callable[[JSON], Any] = namespace["decode"]
    return decode_fn


def _wrapperdecoder_of(cls: type, wraps: str, hint: object) -> Callable[[JSON], Any]:
    test = _SCALAR_TESTS.get(typing.cast(type, _field_hint(hint)))
    inner = None if test is not None else _valuedecoder_of(hint)
    kind = {"str": str, "int": int, "bool": bool}.get(test[1]) if test else None
    new, set_field, set_extra = object.__new__, _slot_setter(cls, wraps), _slot_setter(cls, "extra")

    def decode(value: JSON) -> Any:
        if test is not None:
            if not _scalar_ok(value, kind, test[1]):
                raise WireError("", f"expected {test[1]}, got {type(value).__name__}")
        elif inner is not None:
            value = inner(value)
        obj: Any = new(cls)
        set_field(obj, value)
        set_extra(obj, _EMPTY)
        return obj

    return decode


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    # The slot's own descriptor: frozen dataclasses refuse setattr, the descriptor does not.
    for klass in cls.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None and hasattr(descriptor, "__set__"):
            setter: Callable[[Any, Any], None] = descriptor.__set__
            return setter
    raise TypeError(f"{cls.__name__}.{name} is not a slot")  # pragma: no cover


def _generate_encoder(cls: type) -> Callable[[Any], dict[str, JSON]]:
    wraps = getattr(cls, "wraps", None)
    rows = [(name, key, encode) for name, key, _, encode, _ in _plan(cls)]

    def encode(value: Any) -> dict[str, JSON]:
        extra = value.extra
        out: dict[str, JSON] = dict(extra) if extra else {}
        for name, key, field_encode in rows:
            item = getattr(value, name)
            if item is not None:
                out[key] = item if field_encode is _identity else field_encode(item)
        return out

    del wraps  # a wrapping member's object form is its one field, as for any shape
    return encode


def install_init(cls: type) -> None:
    """Give a declared structure an ``__init__`` that sets its slots through their descriptors.

    The dataclass's own __init__ goes through object.__setattr__ per field (it is frozen) and
    then __post_init__: about half the cost of building a small event (1.3 us for a text
    delta and its event, 0.8 us with this; benchmarks/README.md, "Typed Bedrock events").
    Same signature, defaults and ``extra`` handling; a class with its own __post_init__ or
    a field outside __init__ keeps the dataclass's. Also for a frozen, slotted dataclass that
    is not a Struct and has no __post_init__ (bedrock.AnthropicEvent).
    """
    fields = dataclasses.fields(cls)
    if getattr(cls, "__post_init__", None) not in (Struct.__post_init__, None):
        return
    if not all(f.init for f in fields):
        return
    # The parameters are the field names ("type" among them): the helpers get names that
    # no field can have.
    env: dict[str, Any] = {"__proxy": MappingProxyType, "__missing": _MISSING, "__type": type}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for number, field in enumerate(fields):
        params = keyword if field.kw_only else positional
        env[f"__set_{number}"] = _slot_setter(cls, field.name)
        if field.default is not dataclasses.MISSING:
            env[f"__default_{number}"] = field.default
            params.append(f"{field.name}=__default_{number}")
        elif field.default_factory is not dataclasses.MISSING:
            env[f"__factory_{number}"] = field.default_factory
            params.append(f"{field.name}=__missing")
            body.append(f"    if {field.name} is __missing:")
            body.append(f"        {field.name} = __factory_{number}()")
        else:
            params.append(field.name)
        if field.name == "extra" and issubclass(cls, Struct):
            # Frozen means frozen: a dict given here becomes a read-only view of a copy.
            body.append("    if __type(extra) is not __proxy:")
            body.append("        extra = __proxy(dict(extra))")
        body.append(f"    __set_{number}(self, {field.name})")
    # Dataclasses put the keyword-only fields last, so this is their order too.
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n" + "\n".join(body or ["    pass"])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<__init__ of {cls.__qualname__}>", "exec"), env, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__dict__["__init__"].__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses assigning a method
