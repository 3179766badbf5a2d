"""SigV4 event-stream signing and verification (eventstream.signing).

Oracles no one here wrote: amazon-transcribe's EventSigner (bit for bit), AWS's published S3
chunked-upload example (the same chained HMAC), smithy-rs's event string-to-sign vector,
botocore's SigV4 request signer for the seed, and real aiohttp/httpx on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from aiohttp import web
from amazon_transcribe.auth import Credentials as TranscribeCredentials
from amazon_transcribe.eventstream import EventSigner as TranscribeSigner
from amazon_transcribe.eventstream import EventStreamMessageSerializer
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import signing
from eventstream import strategies as ess
from eventstream.signing import EventSigner, EventVerifier, SignatureError
from tests.support import recrc

UTC = dt.timezone.utc
# AWS's documentation example credentials.
ACCESS_KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "bedrock"
SEED = "8f3c6d2ac2b4ad0bba0c8f1b7e3c59a6f0e8b4a39cbbd2c1e7a4d6f5b3c2a190"
NOW = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SECOND = dt.timedelta(seconds=1)

slow_ok = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def signer(**overrides: object) -> EventSigner:
    kwargs: dict[str, object] = {
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET,
        "region": REGION,
        "service": SERVICE,
        "seed_signature": SEED,
        "clock": lambda: NOW,
    }
    kwargs.update(overrides)
    return EventSigner(**kwargs)  # type: ignore[arg-type]


def verifier(**overrides: object) -> EventVerifier:
    kwargs: dict[str, object] = {
        "secret_access_key": SECRET,
        "region": REGION,
        "service": SERVICE,
        "seed_signature": SEED,
        "clock": lambda: NOW,
    }
    kwargs.update(overrides)
    return EventVerifier(**kwargs)  # type: ignore[arg-type]


def chunk_event(text: str) -> es.Message:
    """A Bedrock bidirectional-input ``chunk`` event, headers as Bedrock's own frames."""
    payload = json.dumps({"bytes": text.encode().hex()}).encode()
    return es.Message(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


INNER = [chunk_event("first"), chunk_event("second"), chunk_event(""), chunk_event("last")]


def signed_stream(inner: list[es.Message] = INNER, **overrides: object) -> list[bytes]:
    """The encoded envelopes of ``inner`` and the end frame, one second apart."""
    s = signer(**overrides)
    frames = [s.sign(m, NOW + i * SECOND).encode() for i, m in enumerate(inner)]
    frames.append(s.end(NOW + len(inner) * SECOND).encode())
    return frames


def run(verifier_: EventVerifier, data: bytes) -> list[es.Message]:
    return list(verifier_.iter_verified([data]))


def failure(verifier_: EventVerifier, data: bytes) -> SignatureError:
    with pytest.raises(SignatureError) as info:
        run(verifier_, data)
    return info.value


# -- amazon-transcribe: the same envelopes, bit for bit ------------------------------------


def transcribe_stream(
    payloads: list[bytes],
    dates: list[dt.datetime],
    *,
    secret: str = SECRET,
    region: str = REGION,
    service: str = SERVICE,
    seed: bytes = bytes.fromhex(SEED),
) -> list[bytes]:
    """Envelopes made by amazon-transcribe's own signer and serializer (its chain, its bytes)."""
    clock = iter(dates)
    oracle = TranscribeSigner(service, region, utc_now=lambda: next(clock))
    serializer = EventStreamMessageSerializer()
    credentials = TranscribeCredentials(ACCESS_KEY_ID, secret)
    prior, frames = seed, []
    for payload in payloads:
        headers = oracle.sign(payload, prior, credentials)
        prior = headers[":chunk-signature"]  # type: ignore[assignment]
        frames.append(serializer.serialize(headers, payload))
    return frames


def test_envelopes_equal_amazon_transcribe_bit_for_bit() -> None:
    dates = [NOW + i * SECOND for i in range(len(INNER) + 1)]
    expected = transcribe_stream([m.encode() for m in INNER] + [b""], dates)
    assert signed_stream() == expected


_scope_text = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
_whole_seconds = st.datetimes(
    min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@settings(slow_ok, max_examples=60, deadline=None)
@given(
    secret=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
    region=_scope_text,
    service=_scope_text,
    seed=st.binary(min_size=32, max_size=32),
    events=st.lists(st.tuples(ess.messages(max_headers=4, max_payload=64), _whole_seconds)),
    end_date=_whole_seconds,
)
def test_matches_amazon_transcribe_for_any_inputs(  # noqa: PLR0917 - hypothesis passes the drawn values
    secret: str,
    region: str,
    service: str,
    seed: bytes,
    events: list[tuple[es.Message, dt.datetime]],
    end_date: dt.datetime,
) -> None:
    ours = EventSigner(
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=secret,
        region=region,
        service=service,
        seed_signature=seed,
    )
    frames = [ours.sign(m, d).encode() for m, d in events] + [ours.end(end_date).encode()]
    expected = transcribe_stream(
        [m.encode() for m, _ in events] + [b""],
        [d for _, d in events] + [end_date],
        secret=secret,
        region=region,
        service=service,
        seed=seed,
    )
    assert frames == expected


def test_dates_are_truncated_to_whole_seconds_as_the_oracle_signs_them() -> None:
    ours = signer().sign(INNER[0], NOW + dt.timedelta(microseconds=999_999))
    assert ours.headers[":date"] == es.Timestamp.from_datetime(NOW)
    assert ours.encode() == transcribe_stream([INNER[0].encode()], [NOW])[0]


def test_verifies_what_amazon_transcribe_signs_with_sub_second_dates() -> None:
    # amazon-transcribe puts milliseconds in :date but signs whole seconds: real clients do.
    dates = [NOW + dt.timedelta(milliseconds=123 * i + 1) for i in range(len(INNER) + 1)]
    frames = transcribe_stream([m.encode() for m in INNER] + [b""], dates)
    assert es.decode(frames[0]).headers[":date"] == es.Timestamp.from_datetime(dates[0])
    assert run(verifier(), b"".join(frames)) == INNER


def test_signed_payload_that_is_not_a_frame_is_bad_payload() -> None:
    frames = transcribe_stream([b"not a frame", b""], [NOW, NOW])
    error = failure(verifier(), b"".join(frames))
    assert error.reason == "bad-payload"
    assert isinstance(error.__cause__, es.EventStreamError)
    # The offset points into the envelope's payload, which starts after 12 + 67 bytes.
    assert error.offset is not None and error.offset >= 12 + 67
    assert error.frame_index == 0


# -- published vectors ---------------------------------------------------------------------


def test_s3_chunked_upload_example_signatures() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html, "Example: PUT
    # Object": S3 chains the same HMAC, with SHA-256("") where events hash the :date header.
    key = signing._signing_key(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"
    )
    prior = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    published = [
        (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
        (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ]
    for size, expected in published:
        to_sign = signing._string_to_sign(
            "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", prior, b"", b"a" * size
        )
        prior = signing._hmac(key, to_sign).hex()
        assert prior == expected


def test_smithy_rs_event_string_to_sign_vector() -> None:
    # smithy-rs aws/rust-runtime/aws-sigv4/src/event_stream.rs, test string_to_sign: a message
    # with header some-header="value" and payload "test payload", 123456789 s after the epoch.
    inner = es.Message({"some-header": "value"}, b"test payload").encode()
    date_block = es.Message({":date": es.Timestamp(123_456_789_000)}).header_block()
    to_sign = signing._string_to_sign(
        signing._amz_date(123_456_789),
        "19731129/us-east-1/testservice/aws4_request",
        hashlib.sha256(b"last message sts").hexdigest(),
        date_block,
        inner,
    )
    assert to_sign.decode() == (
        "AWS4-HMAC-SHA256-PAYLOAD\n"
        "19731129T213309Z\n"
        "19731129/us-east-1/testservice/aws4_request\n"
        "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2\n"
        "0c0e3b3bf66b59b976181bd7d401927bbd624107303c713fd1e5f3d3c8dd1b1e\n"
        "f2eba0f2e95967ee9fbc6db5e678d2fd599229c0d04b11e4fc8e0f2a02a806c6"
    )


# -- the signer ----------------------------------------------------------------------------


def test_envelope_layout() -> None:
    s = signer()
    assert s.signature == SEED
    envelope = s.sign(INNER[0])
    assert list(envelope.headers) == [":date", ":chunk-signature"]
    assert [t for _, t, _ in envelope.typed_headers()] == [8, 6]
    assert envelope.headers[":date"] == es.Timestamp.from_datetime(NOW)
    assert envelope.headers[":chunk-signature"] == bytes.fromhex(s.signature)
    assert envelope.payload == INNER[0].encode()
    end = s.end()
    assert end.payload == b"" and s.ended
    assert end.headers[":chunk-signature"] == bytes.fromhex(s.signature)


def test_seed_forms_are_equivalent() -> None:
    forms: list[str | bytes] = [SEED, SEED.upper(), bytes.fromhex(SEED), SEED.encode()]
    assert len({signer(seed_signature=f).sign(INNER[0]).encode() for f in forms}) == 1


@pytest.mark.parametrize("seed", [SEED[:-1], SEED + "0", "z" * 64, b"\x00" * 31, b"\xff" * 64])
def test_bad_seed_is_refused(seed: str | bytes) -> None:
    with pytest.raises(es.EncodeError, match="64 hex digits"):
        signer(seed_signature=seed)


def test_bad_arguments_are_library_errors() -> None:
    with pytest.raises(es.InputTypeError):
        signer(seed_signature=12)
    with pytest.raises(es.EncodeError, match="region"):
        signer(region="us-east-1/x")
    with pytest.raises(es.EncodeError, match="service"):
        verifier(service="")
    with pytest.raises(es.EncodeError, match="naive"):
        signer().sign(INNER[0], dt.datetime(2025, 1, 1))
    with pytest.raises(es.InputTypeError):
        signer().sign(INNER[0].encode())  # type: ignore[arg-type]
    with pytest.raises(es.ConfigurationError, match="negative"):
        verifier(max_skew=-SECOND)


def test_nothing_is_signed_after_the_end() -> None:
    s = signer()
    s.sign(INNER[0])
    s.end()
    attempts: list[Callable[[], es.Message]] = [lambda: s.sign(INNER[1]), s.end]
    for attempt in attempts:
        with pytest.raises(SignatureError) as info:
            attempt()
        assert info.value.reason == "after-end" and info.value.frame_index == 2


def test_repr_never_shows_the_secret() -> None:
    assert SECRET not in repr(signer()) and ACCESS_KEY_ID in repr(signer())
    assert SECRET not in repr(verifier())


# -- round trip ----------------------------------------------------------------------------


@settings(slow_ok, max_examples=60, deadline=None)
@given(st.data())
def test_sign_then_verify_round_trips(data: st.DataObject) -> None:
    inner = data.draw(st.lists(ess.messages(max_headers=6, max_payload=256), max_size=6))
    stream = b"".join(signed_stream(inner))
    chunks = data.draw(ess.split_points(stream))
    v = verifier()
    assert list(v.iter_verified(chunks)) == inner
    assert v.ended and v.frame_index == len(inner) + 1 and v.offset == len(stream)


def test_verify_one_envelope_at_a_time() -> None:
    v = verifier()
    frames = signed_stream()
    results = [v.verify(es.decode(f)) for f in frames]
    assert results == [*INNER, None]
    last = es.decode(frames[-1]).headers[":chunk-signature"]
    assert isinstance(last, bytes) and v.signature == last.hex()
    v.close()


def test_byte_sources_sync_and_async() -> None:
    stream = b"".join(signed_stream())
    assert list(verifier().iter_verified(io.BytesIO(stream), read_size=7)) == INNER
    assert list(verifier().verify_all(es.decode(f) for f in signed_stream())) == INNER

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(stream), 5):
            yield stream[i : i + 5]

    async def envelopes() -> AsyncIterator[es.Message]:
        for frame in signed_stream():
            yield es.decode(frame)

    async def collect() -> tuple[list[es.Message], list[es.Message]]:
        a = [m async for m in verifier().aiter_verified(chunks())]
        b = [m async for m in verifier().averify_all(envelopes())]
        return a, b

    assert asyncio.run(collect()) == (INNER, INNER)


def test_async_source_errors_are_reported_too() -> None:
    frames = signed_stream()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"".join(frames[:-1])  # no end frame

    async def collect() -> list[es.Message]:
        return [m async for m in verifier().aiter_verified(chunks())]

    with pytest.raises(SignatureError) as info:
        asyncio.run(collect())
    assert info.value.reason == "missing-end"


# -- tampering: every byte of a few envelopes ----------------------------------------------

# Layout of every envelope: prelude 12 bytes; ":date" header 15 bytes (value at 19..26);
# ":chunk-signature" header 52 bytes (value at 47..78); payload from 79; message CRC last.
DATE_VALUE = range(19, 27)
SIGNATURE_VALUE = range(47, 79)
PAYLOAD_START = 79


def _flip(data: bytes, at: int, mask: int) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


@pytest.mark.parametrize("target", [0, 2, 4])  # first, middle, and the end frame
def test_flipping_any_byte_is_detected(target: int) -> None:
    frames = signed_stream()
    before = sum(len(f) for f in frames[:target])
    frame = frames[target]
    outcomes: dict[str, int] = {}
    for at in range(len(frame)):
        for mask, fix_crcs in ((0xFF, False), (0xFF, True), (0x01, True)):
            tampered = _flip(frame, at, mask)
            if fix_crcs:
                tampered = recrc(tampered)
                if tampered == frame:  # the byte was a CRC: recomputing it undoes the flip
                    continue
            stream = b"".join([*frames[:target], tampered, *frames[target + 1 :]])
            with pytest.raises(es.EventStreamError) as info:
                run(verifier(), stream)
            error = info.value
            key = type(error).__name__
            if isinstance(error, SignatureError):
                key = error.reason
                assert error.frame_index == target
                assert error.frame_offset == before
            if at in SIGNATURE_VALUE or PAYLOAD_START <= at < len(frame) - 4:
                # Only the signature check can see these; the frame is otherwise intact.
                assert fix_crcs or key.endswith("ChecksumError"), (at, key)
                if fix_crcs:
                    assert key == "bad-signature", (at, mask)
            if fix_crcs and at in DATE_VALUE:
                assert key in {"bad-signature", "bad-header"}, (at, mask)
            outcomes[key] = outcomes.get(key, 0) + 1
    # Without fixed CRCs the decoder catches everything; with them the verifier does.
    assert outcomes["bad-signature"] > len(SIGNATURE_VALUE)
    checksums = outcomes.get("MessageChecksumError", 0) + outcomes.get("PreludeChecksumError", 0)
    assert checksums >= len(frame)


def test_renamed_headers_are_missing_or_unexpected() -> None:
    frame = signed_stream()[0]
    assert failure(verifier(), recrc(_flip(frame, 14, 0x01))).reason == "missing-header"
    assert failure(verifier(), recrc(_flip(frame, 29, 0x01))).reason == "missing-header"


# -- order, loss, replay, splicing ---------------------------------------------------------


def _offset_of(frames: list[bytes], index: int) -> int:
    return sum(len(f) for f in frames[:index])


def test_reordered_frames_are_detected() -> None:
    f = signed_stream()
    swapped = [f[0], f[2], f[1], *f[3:]]
    error = failure(verifier(), b"".join(swapped))
    assert (error.reason, error.frame_index, error.frame_offset) == (
        "bad-signature",
        1,
        len(f[0]),
    )
    assert error.offset == len(f[0]) + 27  # the :chunk-signature header


def test_dropped_frame_is_detected() -> None:
    f = signed_stream()
    error = failure(verifier(), b"".join([f[0], *f[2:]]))
    assert (error.reason, error.frame_index) == ("bad-signature", 1)


def test_dropped_end_frame_is_missing_end() -> None:
    f = signed_stream()
    error = failure(verifier(), b"".join(f[:-1]))
    assert (error.reason, error.frame_index, error.offset) == (
        "missing-end",
        len(f) - 1,
        _offset_of(f, len(f) - 1),
    )


def test_truncated_stream_is_a_truncated_error() -> None:
    data = b"".join(signed_stream())
    with pytest.raises(es.TruncatedError):
        run(verifier(), data[:-3])


@pytest.mark.parametrize("index", [0, 1, 3])
def test_replayed_frame_is_detected(index: int) -> None:
    f = signed_stream()
    replayed = [*f[: index + 1], f[index], *f[index + 1 :]]
    error = failure(verifier(), b"".join(replayed))
    assert (error.reason, error.frame_index, error.frame_offset) == (
        "bad-signature",
        index + 1,
        _offset_of(replayed, index + 1),
    )


def test_frame_spliced_from_another_stream_is_detected() -> None:
    other_seed = hashlib.sha256(b"another request").hexdigest()
    ours, theirs = signed_stream(), signed_stream(seed_signature=other_seed)
    assert failure(verifier(), b"".join([ours[0], theirs[1], *ours[2:]])).frame_index == 1
    # A whole stream replayed under a new request (a new seed) fails at its first frame.
    error = failure(verifier(seed_signature=other_seed), b"".join(ours))
    assert (error.reason, error.frame_index) == ("bad-signature", 0)


@pytest.mark.parametrize(
    "wrong",
    [
        {"secret_access_key": SECRET + "x"},
        {"region": "us-west-2"},
        {"service": "transcribe"},
        {"seed_signature": SEED[::-1]},
    ],
    ids=["key", "region", "service", "seed"],
)
def test_wrong_credentials_or_scope_are_bad_signatures(wrong: dict[str, str]) -> None:
    error = failure(verifier(**wrong), b"".join(signed_stream()))
    assert (error.reason, error.frame_index, error.offset) == ("bad-signature", 0, 27)


def test_the_date_is_part_of_the_scope() -> None:
    # Same key, region and service, a :date moved one day: the signing key differs.
    envelope = signer().sign(INNER[0])
    moved = es.Message(
        {
            ":date": es.Timestamp.from_datetime(NOW + dt.timedelta(days=1)),
            ":chunk-signature": envelope.headers[":chunk-signature"],
        },
        envelope.payload,
    )
    assert failure(verifier(max_skew=None), moved.encode()).reason == "bad-signature"


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (dt.timedelta(0), True),
        (dt.timedelta(minutes=5), True),
        (-dt.timedelta(minutes=5), True),
        (dt.timedelta(minutes=5, seconds=1), False),
        (-dt.timedelta(minutes=5, seconds=1), False),
        (dt.timedelta(days=-3), False),
    ],
)
def test_date_skew(offset: dt.timedelta, ok: bool) -> None:
    s = signer()
    data = s.sign(INNER[0], NOW + offset).encode() + s.end(NOW).encode()
    if ok:
        assert run(verifier(), data) == [INNER[0]]
    else:
        error = failure(verifier(), data)
        assert (error.reason, error.frame_index, error.offset) == ("date-skew", 0, 12)


def test_skew_is_configurable_and_the_clock_is_read_per_frame() -> None:
    late = b"".join(signed_stream())
    # Frames dated NOW..NOW+4s; a clock that has moved on 10 minutes rejects them.
    later = NOW + dt.timedelta(minutes=10)
    assert failure(verifier(clock=lambda: later), late).reason == "date-skew"
    assert run(verifier(clock=lambda: later, max_skew=dt.timedelta(hours=1)), late) == INNER
    assert run(verifier(clock=lambda: later, max_skew=None), late) == INNER
    ticks = iter([NOW, NOW, NOW + dt.timedelta(minutes=6)])
    error = failure(verifier(clock=lambda: next(ticks)), late)
    assert (error.reason, error.frame_index) == ("date-skew", 2)


# -- the end frame -------------------------------------------------------------------------


def test_signed_frame_after_the_end_is_refused() -> None:
    frames = signed_stream()
    # A second signer seeded with the end frame's signature chains on correctly.
    end_signature = es.decode(frames[-1]).headers[":chunk-signature"]
    assert isinstance(end_signature, bytes)
    extra = signer(seed_signature=end_signature).sign(INNER[0]).encode()
    error = failure(verifier(), b"".join([*frames, extra]))
    assert (error.reason, error.frame_index, error.frame_offset) == (
        "after-end",
        len(frames),
        _offset_of(frames, len(frames)),
    )


@pytest.mark.parametrize("trailing", [b"\x00", b"\x00" * 15, b'{"message":"late"}'])
def test_any_bytes_after_the_end_are_refused(trailing: bytes) -> None:
    error = failure(verifier(), b"".join(signed_stream()) + trailing)
    assert error.reason == "after-end"
    assert isinstance(error.__cause__, es.EventStreamError)


def test_verify_after_the_end_then_fails_closed() -> None:
    v = verifier()
    frames = [es.decode(f) for f in signed_stream()]
    for envelope in frames:
        v.verify(envelope)
    with pytest.raises(SignatureError) as first:
        v.verify(frames[0])
    assert first.value.reason == "after-end"
    with pytest.raises(SignatureError) as later:
        v.close()
    assert later.value.reason == "failed-earlier" and later.value.__cause__ is first.value


# -- envelope shape ------------------------------------------------------------------------


def _envelope(*headers: tuple[str, es.HeaderInput], payload: bytes = b"") -> es.Message:
    return es.Message(list(headers), payload or INNER[0].encode())


def test_envelope_shape_errors() -> None:
    good = signer().sign(INNER[0])
    date, sig = good.headers[":date"], good.headers[":chunk-signature"]
    assert isinstance(sig, bytes)
    cases: list[tuple[es.Message, str]] = [
        (INNER[0], "not-an-envelope"),
        (_envelope((":date", date)), "missing-header"),
        (_envelope((":chunk-signature", sig)), "missing-header"),
        (
            _envelope((":date", date), (":chunk-signature", sig), (":event-type", "x")),
            "unexpected-header",
        ),
        (_envelope((":date", "20250102T030405Z"), (":chunk-signature", sig)), "bad-header"),
        (_envelope((":date", date), (":chunk-signature", sig[:31])), "bad-header"),
        (_envelope((":date", date), (":chunk-signature", sig.hex())), "bad-header"),
        (_envelope((":date", es.Timestamp(1 << 62)), (":chunk-signature", sig)), "bad-header"),
    ]
    for envelope, reason in cases:
        v = verifier()
        with pytest.raises(SignatureError) as info:
            v.verify(envelope)
        assert (info.value.reason, info.value.frame_index) == (reason, 0), envelope
        with pytest.raises(SignatureError, match="failed earlier") as again:
            v.verify(good)
        assert again.value.reason == "failed-earlier"


def test_unexpected_header_is_refused_even_though_unsigned() -> None:
    # The signature covers :date and the payload only; an added header would ride along.
    good = signer().sign(INNER[0])
    padded = es.Message([*good.headers.items(), ("x-forwarded", "evil")], good.payload)
    v = verifier()
    with pytest.raises(SignatureError) as info:
        v.verify(padded)
    assert info.value.reason == "unexpected-header"
    assert info.value.offset == 12 + 15 + 52  # where the extra header starts


def test_rust_sdk_header_order_is_accepted() -> None:
    # aws-sigv4 (Rust) writes :chunk-signature before :date; the signature is the same.
    frames = [es.decode(f) for f in signed_stream()]
    reordered = [es.Message(list(f.headers.items())[::-1], f.payload) for f in frames]
    assert list(verifier().verify_all(reordered)) == INNER


def test_verify_takes_messages_only() -> None:
    with pytest.raises(es.InputTypeError, match="iter_verified"):
        verifier().verify(signed_stream()[0])  # type: ignore[arg-type]


# -- failing closed ------------------------------------------------------------------------


def test_after_a_bad_signature_everything_fails() -> None:
    frames = [es.decode(f) for f in signed_stream()]
    v = verifier()
    v.verify(frames[0])
    with pytest.raises(SignatureError) as first:
        v.verify(frames[2])
    for call in (lambda: v.verify(frames[1]), v.close, lambda: list(v.verify_all(frames[1:]))):
        with pytest.raises(SignatureError) as info:
            call()
        assert info.value.reason == "failed-earlier"
        assert info.value.__cause__ is first.value
        assert info.value.frame_index == 1


def test_a_decoding_error_also_closes_the_verifier() -> None:
    frames = signed_stream()
    broken = frames[1][:-1] + bytes([frames[1][-1] ^ 1])
    v = verifier()
    with pytest.raises(es.MessageChecksumError) as info:
        run(v, b"".join([frames[0], broken, *frames[2:]]))
    assert info.value.frame_index == 1
    with pytest.raises(SignatureError) as later:
        v.verify(es.decode(frames[1]))
    assert later.value.reason == "failed-earlier" and later.value.__cause__ is info.value


def test_every_reason_is_documented_in_the_module() -> None:
    raised = {
        "not-an-envelope",
        "missing-header",
        "unexpected-header",
        "bad-header",
        "bad-signature",
        "date-skew",
        "bad-payload",
        "after-end",
        "missing-end",
        "failed-earlier",
    }
    assert set(signing.REASONS) == raised


# -- a real gateway: aiohttp on 127.0.0.1, httpx streaming a botocore-signed request -------


def _signed_request_headers(url: str) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        headers={
            "Content-Type": "application/vnd.amazon.eventstream",
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-EVENTS",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET), SERVICE, REGION).add_auth(request)
    return dict(request.headers.items())


async def _gateway_exchange(
    tamper: Callable[[list[bytes]], list[bytes]],
) -> tuple[int, dict[str, object]]:
    async def handler(request: web.Request) -> web.Response:
        seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
        v = EventVerifier(
            secret_access_key=SECRET, region=REGION, service=SERVICE, seed_signature=seed
        )
        texts = []
        try:
            async for event in v.aiter_verified(request.content, read_size=13):
                texts.append(bytes.fromhex(json.loads(event.payload)["bytes"]).decode())
        except SignatureError as exc:
            body = {"reason": exc.reason, "frame_index": exc.frame_index}
            return web.json_response(body, status=403)
        return web.json_response({"texts": texts})

    app = web.Application()
    app.router.add_post("/model/{model}/invoke-with-bidirectional-stream", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/model/amazon.nova-sonic-v1:0/invoke-with-bidirectional-stream"
        headers = _signed_request_headers(url)
        seed = headers["Authorization"].rsplit("Signature=", 1)[1]
        s = EventSigner(
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET,
            region=REGION,
            service=SERVICE,
            seed_signature=seed,
        )
        frames = [s.sign(m).encode() for m in INNER] + [s.end().encode()]

        async def body() -> AsyncIterator[bytes]:
            for frame in tamper(frames):
                yield frame  # one HTTP chunk per envelope

        async with httpx.AsyncClient() as client:
            response = await client.post(url, headers=headers, content=body())
        return response.status_code, response.json()
    finally:
        await runner.cleanup()


def _keep(frames: list[bytes]) -> list[bytes]:
    return frames


def _swap(frames: list[bytes]) -> list[bytes]:
    return [frames[0], frames[2], frames[1], *frames[3:]]


def _cut_end(frames: list[bytes]) -> list[bytes]:
    return frames[:-1]


@pytest.mark.parametrize(
    ("tamper", "status", "expected"),
    [
        (_keep, 200, {"texts": ["first", "second", "", "last"]}),
        (_swap, 403, {"reason": "bad-signature", "frame_index": 1}),
        (_cut_end, 403, {"reason": "missing-end", "frame_index": 4}),
    ],
)
def test_gateway_over_real_http(
    tamper: Callable[[list[bytes]], list[bytes]], status: int, expected: dict[str, object]
) -> None:
    assert asyncio.run(_gateway_exchange(tamper)) == (status, expected)


# --- arguments that cannot be used are refused at construction, as our errors ---------------


@pytest.mark.parametrize("field", ["secret_access_key", "region", "service"])
def test_lone_surrogates_in_credentials_are_encode_errors(field: str) -> None:
    arguments = {
        "secret_access_key": "secret",
        "region": "us-east-1",
        "service": "bedrock",
        "seed_signature": "0" * 64,
        field: "bad\ud800",
    }
    with pytest.raises(es.EncodeError, match="lone surrogate"):
        signing.EventSigner(access_key_id="AKIDEXAMPLE", **arguments)
    with pytest.raises(es.EncodeError, match="lone surrogate"):
        signing.EventVerifier(**arguments)


def test_bad_limits_are_refused_when_the_verifier_is_built() -> None:
    with pytest.raises(ValueError, match="max_payload_length"):
        signing.EventVerifier(
            secret_access_key="secret",
            region="us-east-1",
            service="bedrock",
            seed_signature="0" * 64,
            max_payload_length=-1,
        )
