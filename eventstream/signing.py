"""SigV4 signing and verification of AWS input event streams.

A client that sends an event stream to AWS (Transcribe streaming, Bedrock's bidirectional
stream) wraps each encoded event in a signed *envelope*: a frame with a ``:date`` timestamp
header and a ``:chunk-signature`` byte-array header whose payload is the inner frame. Each
signature chains from the previous one, starting from the SigV4 signature of the HTTP request
(the *seed*), and the stream ends with a signed envelope whose payload is empty.

:class:`EventSigner` makes envelopes; :class:`EventVerifier` checks them in order and hands
back the inner messages. Standard library only. See ``docs/signing.md``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import NoReturn

from ._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH, Limits, decode
from ._errors import ConfigurationError, EncodeError, EventStreamError, InputTypeError
from ._headers import HeaderValue, Timestamp
from ._io import (
    DEFAULT_READ_SIZE,
    AsyncReader,
    BytesLike,
    SyncReader,
    aiter_messages,
    iter_messages,
)
from ._message import PRELUDE_LENGTH, Message, _encode_header, message_from_wire

__all__ = [
    "EventSigner",
    "EventVerifier",
    "SignatureError",
    "REASONS",
    "DATE_HEADER",
    "SIGNATURE_HEADER",
    "DEFAULT_MAX_SKEW",
]

#: The envelope's timestamp header (wire type 8), covered by the signature.
DATE_HEADER = ":date"
#: The envelope's signature header (wire type 6): the 32 raw bytes of the HMAC-SHA256.
SIGNATURE_HEADER = ":chunk-signature"
#: How far an envelope's ``:date`` may be from the verifier's clock, either way. SigV4
#: rejects requests more than five minutes from AWS's time; the same bound suits events.
DEFAULT_MAX_SKEW = _dt.timedelta(minutes=5)

#: Every ``SignatureError.reason``, with what it means.
REASONS: Mapping[str, str] = MappingProxyType(
    {
        "not-an-envelope": "the frame has neither :date nor :chunk-signature (an unsigned event?)",
        "missing-header": "one of :date and :chunk-signature is missing",
        "unexpected-header": "the envelope has a header besides :date and :chunk-signature",
        "bad-header": ":date is not a timestamp in years 1..9999, or :chunk-signature is not "
        "32 bytes",
        "bad-signature": "the signature does not match: tampered, reordered, dropped or "
        "replayed frame, or another key, region, service or seed",
        "date-skew": "the signature is good but :date is too far from the verifier's clock",
        "bad-payload": "the signed payload is not exactly one event-stream frame",
        "after-end": "data follows the end-of-stream frame",
        "missing-end": "the input ended before the end-of-stream frame",
        "failed-earlier": "the verifier failed before and stays failed",
    }
)

_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
_TERMINATOR = "aws4_request"
_SIGNATURE_LENGTH = 32
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class SignatureError(EventStreamError):
    """An envelope failed verification, or nothing may be signed any more.

    ``reason`` is one of the keys of :data:`REASONS`; ``frame_index`` is the envelope's
    index in the stream and ``frame_offset`` where it starts, counting the bytes of the
    envelopes before it. ``__cause__`` holds the underlying error where there is one.
    """

    def __init__(self, message: str, *, reason: str, **where: int | None) -> None:
        super().__init__(message, **where)
        self.reason = reason


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _seed_hex(seed: str | bytes | bytearray) -> str:
    """The seed as the 64 lowercase hex digits the string to sign chains on."""
    if isinstance(seed, bytes | bytearray):
        if len(seed) == _SIGNATURE_LENGTH:
            return bytes(seed).hex()
        # smithy-python keeps signatures as hex in bytes; amazon-transcribe as raw bytes.
        try:
            seed = bytes(seed).decode("ascii")
        except UnicodeDecodeError:
            seed = ""
    if isinstance(seed, str):
        text = seed.strip().lower()
        if len(text) == 2 * _SIGNATURE_LENGTH and all(c in "0123456789abcdef" for c in text):
            return text
        raise EncodeError(
            "seed_signature must be the request's SigV4 signature: 64 hex digits (the "
            "Signature= of its Authorization header) or its 32 raw bytes"
        )
    raise InputTypeError(f"seed_signature must be str or bytes, not {type(seed).__name__}")


def _check_scope_part(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value or "/" in value or "\n" in value:
        raise EncodeError(f"{name} must be non-empty, without '/' or newlines; got {value!r}")
    _check_utf8(name, value)
    return value


def _check_utf8(name: str, value: str) -> None:
    # A lone surrogate has no UTF-8 form, so it could never be part of a signature.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodeError(f"{name} is not valid Unicode (it holds a lone surrogate)") from None


def _amz_date(seconds: int) -> str:
    """``YYYYMMDDTHHMMSSZ`` for whole seconds since the epoch (raises OverflowError)."""
    moment = _EPOCH + _dt.timedelta(seconds=seconds)
    # Formatted by hand: strftime("%Y") does not zero-pad years below 1000 on glibc.
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"
    )


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _signing_key(secret_access_key: str, day: str, region: str, service: str) -> bytes:
    """SigV4 key derivation: HMAC chain over the day, region, service and terminator."""
    key = _hmac(("AWS4" + secret_access_key).encode("utf-8"), day.encode("utf-8"))
    key = _hmac(key, region.encode("utf-8"))
    key = _hmac(key, service.encode("utf-8"))
    return _hmac(key, _TERMINATOR.encode("utf-8"))


def _string_to_sign(
    amz_date: str, scope: str, prior_signature_hex: str, header_block: bytes, payload: bytes
) -> bytes:
    """The event string to sign (S3's chunk string to sign has ``b""`` as header block)."""
    return "\n".join(
        (
            _ALGORITHM,
            amz_date,
            scope,
            prior_signature_hex,
            hashlib.sha256(header_block).hexdigest(),
            hashlib.sha256(payload).hexdigest(),
        )
    ).encode("utf-8")


class _Chain:
    """What signer and verifier share: the scope, the key per day, the prior signature."""

    __slots__ = ("_secret", "region", "service", "prior", "_day", "_key")

    def __init__(self, secret_access_key: str, region: str, service: str, seed: str) -> None:
        if not isinstance(secret_access_key, str):
            raise InputTypeError(
                f"secret_access_key must be a str, not {type(secret_access_key).__name__}"
            )
        _check_utf8("secret_access_key", secret_access_key)
        self._secret = secret_access_key
        self.region = _check_scope_part("region", region)
        self.service = _check_scope_part("service", service)
        self.prior = seed
        self._day = ""
        self._key = b""

    def signature(self, date: Timestamp, payload: bytes) -> bytes:
        """The signature of an envelope with this ``:date`` and payload, after ``prior``."""
        amz_date = _amz_date(date.millis // 1000)
        day = amz_date[:8]
        if day != self._day:
            # One key per day: a stream that crosses midnight re-derives once.
            self._key = _signing_key(self._secret, day, self.region, self.service)
            self._day = day
        scope = f"{day}/{self.region}/{self.service}/{_TERMINATOR}"
        date_block = _encode_header(DATE_HEADER, date)
        return _hmac(self._key, _string_to_sign(amz_date, scope, self.prior, date_block, payload))


class _OnChain:
    """What signer and verifier show of their chain (both keep ``_chain`` and ``_ended``)."""

    __slots__ = ()
    _chain: _Chain
    _ended: bool

    @property
    def region(self) -> str:
        return self._chain.region

    @property
    def service(self) -> str:
        return self._chain.service

    @property
    def signature(self) -> str:
        """Hex of the latest signature in the chain: the seed until the first envelope."""
        return self._chain.prior

    @property
    def ended(self) -> bool:
        """Whether the end-of-stream frame has been signed (or verified)."""
        return self._ended


class EventSigner(_OnChain):
    """Sign events for an AWS input event stream, chaining from the request's signature.

    ``seed_signature`` is the SigV4 signature of the HTTP request that opens the stream
    (64 hex digits, or 32 raw bytes). ``access_key_id`` only identifies the key (it shows in
    ``repr``): an event's signature depends on the secret key, region, service, date,
    prior signature and payload. There is no session token: the envelope carries only
    ``:date`` and ``:chunk-signature``, and a temporary credential's token travels once, in
    the request's ``X-Amz-Security-Token`` header, which the seed signature covers.

    Calls must come in stream order; the signer is not thread-safe.
    """

    __slots__ = ("access_key_id", "_chain", "_clock", "_frames", "_ended")

    def __init__(
        self,
        *,
        access_key_id: str,
        secret_access_key: str,
        region: str,
        service: str,
        seed_signature: str | bytes,
        clock: Callable[[], _dt.datetime] | None = None,
    ) -> None:
        if not isinstance(access_key_id, str):
            raise InputTypeError(f"access_key_id must be a str, not {type(access_key_id).__name__}")
        self.access_key_id = access_key_id
        self._chain = _Chain(secret_access_key, region, service, _seed_hex(seed_signature))
        self._clock = _utc_now if clock is None else clock
        self._frames = 0
        self._ended = False

    def sign(self, message: Message, date: _dt.datetime | None = None) -> Message:
        """Return the signed envelope of ``message`` and advance the chain.

        ``date`` (aware; the clock's time when ``None``) is truncated to whole seconds,
        because the string to sign carries seconds and ``:date`` must say the same.
        """
        if not isinstance(message, Message):
            raise InputTypeError(
                f"sign() takes an eventstream.Message, not {type(message).__name__}"
            )
        return self._envelope(message.encode(), date)

    def end(self, date: _dt.datetime | None = None) -> Message:
        """Return the signed end-of-stream frame (empty payload); nothing may follow it."""
        envelope = self._envelope(b"", date)
        self._ended = True
        return envelope

    def _envelope(self, payload: bytes, date: _dt.datetime | None) -> Message:
        if self._ended:
            raise SignatureError(
                "the stream has ended: nothing may be signed after its end frame",
                reason="after-end",
                frame_index=self._frames,
            )
        when = self._clock() if date is None else date
        if not isinstance(when, _dt.datetime):
            raise InputTypeError(f"date must be a datetime, not {type(when).__name__}")
        millis = Timestamp.from_datetime(when).millis
        stamp = Timestamp(millis - millis % 1000)
        signature = self._chain.signature(stamp, payload)
        self._chain.prior = signature.hex()
        self._frames += 1
        # :date first, then :chunk-signature: the order amazon-transcribe, smithy-python and
        # the JS and Go SDKs send (the Rust SDK sends the reverse; the verifier takes both).
        # Both values are canonical already: skip Message's re-validation (h11 PR #33).
        headers: dict[str, HeaderValue] = {DATE_HEADER: stamp, SIGNATURE_HEADER: signature}
        return message_from_wire(MappingProxyType(headers), None, payload)

    def __repr__(self) -> str:
        return (
            f"EventSigner(access_key_id={self.access_key_id!r}, region={self.region!r}, "
            f"service={self.service!r}, signed={self._frames}, ended={self._ended})"
        )


class EventVerifier(_OnChain):
    """Check the envelopes of a signed input event stream, in order; return inner events.

    Built from the same secret key, region and service as the signer and the seed
    signature (the ``Signature=`` of the request's ``Authorization`` header). Each
    envelope must have exactly ``:date`` and ``:chunk-signature`` (either order), a
    signature that chains from the previous one, and a date within ``max_skew`` of
    ``clock()`` (``None`` turns the date check off, e.g. for recorded streams).
    ``max_payload_length`` and ``max_headers_length`` limit the inner frames.

    After any failure the verifier fails closed: every later call raises
    :class:`SignatureError` with reason ``"failed-earlier"``. Not thread-safe.
    """

    __slots__ = (
        "_chain",
        "_max_skew_ms",
        "_clock",
        "_limits",
        "_frame_index",
        "_offset",
        "_ended",
        "_failure",
    )

    def __init__(
        self,
        *,
        secret_access_key: str,
        region: str,
        service: str,
        seed_signature: str | bytes,
        max_skew: _dt.timedelta | None = DEFAULT_MAX_SKEW,
        clock: Callable[[], _dt.datetime] | None = None,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> None:
        self._chain = _Chain(secret_access_key, region, service, _seed_hex(seed_signature))
        self._max_skew_ms: int | None = None
        if max_skew is not None:
            if not isinstance(max_skew, _dt.timedelta):
                raise InputTypeError(f"max_skew must be a timedelta or None, not {max_skew!r}")
            if max_skew < _dt.timedelta(0):
                raise ConfigurationError(f"max_skew must not be negative; got {max_skew}")
            self._max_skew_ms = max_skew // _dt.timedelta(milliseconds=1)
        self._clock = _utc_now if clock is None else clock
        # Built once here so a bad limit is refused now, not on the first envelope.
        Limits(max_payload_length, max_headers_length)
        self._limits = {
            "max_payload_length": max_payload_length,
            "max_headers_length": max_headers_length,
        }
        self._frame_index = 0
        self._offset = 0
        self._ended = False
        self._failure: EventStreamError | None = None

    @property
    def frame_index(self) -> int:
        """Number of envelopes verified so far: the index of the next one."""
        return self._frame_index

    @property
    def offset(self) -> int:
        """Stream offset of the next envelope: the encoded length of those verified."""
        return self._offset

    def verify(self, envelope: Message) -> Message | None:
        """Check the next envelope; return its inner message, or ``None`` for the end frame."""
        if not isinstance(envelope, Message):
            raise InputTypeError(
                f"verify() takes an eventstream.Message, not {type(envelope).__name__}; "
                "decode bytes with eventstream.decode() or use iter_verified()"
            )
        self._check_usable()
        if self._ended:
            self._fail("after-end", "a frame follows the end-of-stream frame")
        headers = envelope.headers
        date = headers.get(DATE_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if date is None and signature is None:
            self._fail(
                "not-an-envelope",
                f"the frame has neither {DATE_HEADER} nor {SIGNATURE_HEADER}: it is not a "
                f"signed envelope (headers: {', '.join(headers) or 'none'})",
            )
        if date is None or signature is None:
            missing = DATE_HEADER if date is None else SIGNATURE_HEADER
            self._fail("missing-header", f"the envelope has no {missing} header")
        extra = [name for name in headers if name not in (DATE_HEADER, SIGNATURE_HEADER)]
        if extra:
            self._fail(
                "unexpected-header",
                f"the envelope has a header the signature does not cover: {extra[0]!r}",
                at=self._header_offset(envelope, extra[0]),
            )
        if not isinstance(date, Timestamp):
            self._fail(
                "bad-header",
                f"{DATE_HEADER} must be a timestamp, not {type(date).__name__}",
                at=self._header_offset(envelope, DATE_HEADER),
            )
        if not isinstance(signature, bytes) or len(signature) != _SIGNATURE_LENGTH:
            what = f"{len(signature)} bytes" if isinstance(signature, bytes) else "not bytes"
            self._fail(
                "bad-header",
                f"{SIGNATURE_HEADER} must be {_SIGNATURE_LENGTH} bytes; it is {what}",
                at=self._header_offset(envelope, SIGNATURE_HEADER),
            )
        try:
            expected = self._chain.signature(date, envelope.payload)
        except OverflowError:
            self._fail(
                "bad-header",
                f"{DATE_HEADER} {date} is outside the years 1..9999",
                at=self._header_offset(envelope, DATE_HEADER),
            )
        if not hmac.compare_digest(expected, signature):
            self._fail(
                "bad-signature",
                "the signature does not match (tampered, reordered, dropped or replayed "
                "frame, or another key, region, service or seed)",
                at=self._header_offset(envelope, SIGNATURE_HEADER),
            )
        if self._max_skew_ms is not None:
            now = Timestamp.from_datetime(self._clock()).millis
            if abs(date.millis - now) > self._max_skew_ms:
                self._fail(
                    "date-skew",
                    f"{DATE_HEADER} {date} is more than "
                    f"{_dt.timedelta(milliseconds=self._max_skew_ms)} from the clock's "
                    f"{Timestamp(now)}",
                    at=self._header_offset(envelope, DATE_HEADER),
                )
        payload = envelope.payload
        payload_start = self._offset + PRELUDE_LENGTH + len(envelope.header_block())
        inner: Message | None = None
        if payload:
            try:
                inner = decode(payload, **self._limits)
            except EventStreamError as exc:
                where = payload_start + (exc.offset or 0)
                self._fail(
                    "bad-payload",
                    f"the signed payload is not one event-stream frame ({exc.message})",
                    at=where,
                    cause=exc,
                )
        else:
            self._ended = True
        self._chain.prior = expected.hex()
        self._frame_index += 1
        self._offset = payload_start + len(payload) + 4
        return inner

    def close(self) -> None:
        """End the input; raise ``SignatureError("missing-end")`` if no end frame came."""
        self._check_usable()
        if not self._ended:
            self._fail(
                "missing-end",
                f"the stream ended after {self._frame_index} envelopes without the signed "
                "end-of-stream frame",
            )

    def verify_all(self, envelopes: Iterable[Message]) -> Iterator[Message]:
        """Verify each envelope; yield the inner messages; require the end frame.

        After the end frame the source is read on to its end: anything more is an
        ``"after-end"`` error. Errors of the source itself (decoding) pass through.
        """
        iterator = iter(envelopes)
        while True:
            try:
                envelope = next(iterator)
            except StopIteration:
                self.close()
                return
            except EventStreamError as exc:
                self._source_failed(exc)
            inner = self.verify(envelope)
            if inner is not None:
                yield inner

    async def averify_all(self, envelopes: AsyncIterable[Message]) -> AsyncIterator[Message]:
        """The async twin of :meth:`verify_all`."""
        iterator = aiter(envelopes)
        while True:
            try:
                envelope = await anext(iterator)
            except StopAsyncIteration:
                self.close()
                return
            except EventStreamError as exc:
                self._source_failed(exc)
            inner = self.verify(envelope)
            if inner is not None:
                yield inner

    def iter_verified(
        self,
        source: SyncReader | Iterable[BytesLike],
        *,
        read_size: int = DEFAULT_READ_SIZE,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> Iterator[Message]:
        """Decode envelopes from a byte source (as :func:`eventstream.iter_messages`) and
        yield the verified inner messages; the keywords limit the envelope frames."""
        return self.verify_all(
            iter_messages(
                source,
                read_size=read_size,
                max_payload_length=max_payload_length,
                max_headers_length=max_headers_length,
            )
        )

    def aiter_verified(
        self,
        source: AsyncReader | AsyncIterable[BytesLike],
        *,
        read_size: int = DEFAULT_READ_SIZE,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> AsyncIterator[Message]:
        """The async twin of :meth:`iter_verified` (as :func:`eventstream.aiter_messages`)."""
        return self.averify_all(
            aiter_messages(
                source,
                read_size=read_size,
                max_payload_length=max_payload_length,
                max_headers_length=max_headers_length,
            )
        )

    def _source_failed(self, exc: EventStreamError) -> NoReturn:
        if self._failure is None and self._ended:
            # Whatever follows the end frame is refused, a broken frame included.
            self._fail(
                "after-end",
                f"data follows the end-of-stream frame ({exc.message})",
                at=exc.offset,
                cause=exc,
            )
        if self._failure is None:
            self._failure = exc
        raise exc

    def _header_offset(self, envelope: Message, name: str) -> int:
        """Stream offset of header ``name`` in ``envelope`` (verified in stream order)."""
        position = self._offset + PRELUDE_LENGTH
        for header, value in envelope.headers.items():
            if header == name:
                return position
            position += len(_encode_header(header, value))
        return self._offset

    def _fail(
        self,
        reason: str,
        message: str,
        *,
        at: int | None = None,
        cause: BaseException | None = None,
    ) -> NoReturn:
        error = SignatureError(
            message,
            reason=reason,
            offset=self._offset if at is None else at,
            frame_index=self._frame_index,
            frame_offset=self._offset,
        )
        error.__cause__ = cause
        self._failure = error
        raise error

    def _check_usable(self) -> None:
        failure = self._failure
        if failure is not None:
            error = SignatureError(
                f"the verifier failed earlier and stays failed ({failure.message})",
                reason="failed-earlier",
                offset=failure.offset,
                frame_index=failure.frame_index,
                frame_offset=failure.frame_offset,
            )
            raise error from failure

    def __repr__(self) -> str:
        return (
            f"EventVerifier(region={self.region!r}, service={self.service!r}, "
            f"verified={self._frame_index}, ended={self._ended})"
        )
