"""Encode and decode the AWS event-stream format (``application/vnd.amazon.eventstream``).

Only the names in ``__all__`` are public and stable; the ``_``-prefixed modules are not.
"""

from ._codec import (
    DEFAULT_MAX_HEADERS_LENGTH,
    DEFAULT_MAX_PAYLOAD_LENGTH,
    Limits,
    decode,
    describe_non_eventstream,
)
from ._decoder import Decoder, Frame
from ._errors import (
    ChecksumError,
    ConfigurationError,
    DecoderStateError,
    EncodeError,
    EventStreamError,
    FrameLengthError,
    HeaderError,
    InputTypeError,
    LimitExceededError,
    MessageChecksumError,
    PreludeChecksumError,
    StreamStalledError,
    TrailingDataError,
    TruncatedError,
)
from ._headers import (
    HEADER_TYPES,
    MAX_HEADER_NAME_BYTES,
    MAX_HEADER_VALUE_BYTES,
    Byte,
    HeaderInput,
    HeaderType,
    HeaderValue,
    Integer,
    Long,
    Short,
    Timestamp,
)
from ._io import DEFAULT_READ_SIZE, aiter_frames, aiter_messages, iter_frames, iter_messages
from ._message import MAX_FRAME_LENGTH, MIN_FRAME_LENGTH, PRELUDE_LENGTH, Message, encode

__version__ = "0.1.0"

__all__ = [
    "Message",
    "encode",
    "decode",
    "Decoder",
    "Frame",
    "iter_messages",
    "aiter_messages",
    "iter_frames",
    "aiter_frames",
    "DEFAULT_READ_SIZE",
    "Limits",
    "DEFAULT_MAX_PAYLOAD_LENGTH",
    "DEFAULT_MAX_HEADERS_LENGTH",
    "PRELUDE_LENGTH",
    "MIN_FRAME_LENGTH",
    "MAX_FRAME_LENGTH",
    "MAX_HEADER_NAME_BYTES",
    "MAX_HEADER_VALUE_BYTES",
    "HEADER_TYPES",
    "HeaderType",
    "HeaderValue",
    "HeaderInput",
    "Byte",
    "Short",
    "Integer",
    "Long",
    "Timestamp",
    "describe_non_eventstream",
    "EventStreamError",
    "ChecksumError",
    "PreludeChecksumError",
    "MessageChecksumError",
    "FrameLengthError",
    "LimitExceededError",
    "HeaderError",
    "TruncatedError",
    "TrailingDataError",
    "EncodeError",
    "InputTypeError",
    "ConfigurationError",
    "DecoderStateError",
    "StreamStalledError",
]
