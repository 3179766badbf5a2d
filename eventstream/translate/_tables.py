"""The two tables every translation goes through: errors and stop reasons, both directions.

Each is one tuple of rows; the lookups both ways are built from it once, and
``docs/translate.md`` prints the same rows (a test checks that they match).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import ConfigurationError, EventStreamError, InputTypeError
from ..bedrock import (
    HTTP_ERRORS,
    STREAMS,
    BedrockException,
    ErrorFrame,
    ModelStreamErrorException,
    UnknownException,
    error_code,
    error_from_response,
)

__all__ = [
    "ErrorPair",
    "ERRORS",
    "ANTHROPIC_ONLY_ERRORS",
    "StopPair",
    "STOP_REASONS",
    "TranslateError",
    "anthropic_error",
    "openai_error",
    "from_anthropic_error",
    "from_openai_error",
    "in_stream",
    "stop_to_anthropic",
    "stop_to_openai",
    "stop_from_anthropic",
    "stop_from_openai",
]


class TranslateError(EventStreamError):
    """Input to a translator that is not the format it reads (data that is not JSON, a
    redacted block that is not base64); ``frame_index`` is the index of the event."""


def expect(value: object, kinds: type | tuple[type, ...], what: str) -> None:
    """Refuse an argument of the wrong type with :class:`eventstream.InputTypeError`, as the
    codec does (``bool`` is not an ``int`` here)."""
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise InputTypeError(f"{what}, not {type(value).__name__}")


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _status(status: object) -> int | None:
    if status is not None:
        expect(status, int, "an HTTP status is an int (or None mid-stream)")
    return status  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ErrorPair:
    """One Bedrock error and what it is in the other two formats.

    ``back`` marks the row a reader maps the Anthropic or OpenAI side back to, when several
    Bedrock errors share it (429 is throttling, not "model not ready").
    """

    bedrock: str
    anthropic_status: int
    anthropic_type: str
    openai_status: int
    openai_type: str
    back: bool = True


#: Bedrock's errors (every code of :data:`eventstream.bedrock.HTTP_ERRORS`) paired with the
#: status and error type each client format has for them. The status keeps the retry
#: decision: Anthropic's and OpenAI's SDKs retry 408, 429 and 5xx, as botocore retries
#: Bedrock's retryable errors. A ``modelStreamErrorException`` carries the model's own
#: status (``originalStatusCode``): that status goes out, typed by the row that has it.
ERRORS: tuple[ErrorPair, ...] = (
    ErrorPair("ValidationException", 400, "invalid_request_error", 400, "invalid_request_error"),
    ErrorPair(
        "ServiceQuotaExceededException",
        400,
        "invalid_request_error",
        400,
        "invalid_request_error",
        back=False,
    ),
    ErrorPair("AccessDeniedException", 403, "permission_error", 403, "permission_error"),
    ErrorPair("ResourceNotFoundException", 404, "not_found_error", 404, "not_found_error"),
    # Anthropic's timeout is 504 (its error docs); OpenAI's SDK retries a 408 as it is.
    ErrorPair("ModelTimeoutException", 504, "timeout_error", 408, "timeout_error"),
    ErrorPair("ThrottlingException", 429, "rate_limit_error", 429, "rate_limit_error"),
    ErrorPair(
        "ModelNotReadyException", 429, "rate_limit_error", 429, "rate_limit_error", back=False
    ),
    # 424 as Bedrock sends it: neither SDK retries it, as botocore does not.
    ErrorPair("ModelErrorException", 424, "api_error", 424, "server_error"),
    # Without an original status: a 500, so that it stays retryable.
    ErrorPair("ModelStreamErrorException", 500, "api_error", 500, "server_error", back=False),
    ErrorPair("InternalServerException", 500, "api_error", 500, "server_error"),
    # Anthropic says "overloaded" with 529; OpenAI has no such status, so 503 as it is.
    ErrorPair("ServiceUnavailableException", 529, "overloaded_error", 503, "server_error"),
)

#: Anthropic's error types that no Bedrock error has, by status. Read back through
#: :func:`eventstream.bedrock.error_from_response`'s reading of the status.
ANTHROPIC_ONLY_ERRORS: Mapping[int, str] = {
    401: "authentication_error",
    402: "billing_error",
    413: "request_too_large",
}

_BY_CODE = {row.bedrock: row for row in ERRORS}
_ANTHROPIC_TYPE_BACK = {row.anthropic_type: row.bedrock for row in ERRORS if row.back}
# Status and type together first: (424, api_error) is a model error, api_error alone a 500.
_ANTHROPIC_PAIR_BACK = {
    **{(row.anthropic_status, row.anthropic_type): row.bedrock for row in ERRORS},
    **{(row.anthropic_status, row.anthropic_type): row.bedrock for row in ERRORS if row.back},
}
_OPENAI_TYPE_BACK = {row.openai_type: row.bedrock for row in ERRORS if row.back}
_ANTHROPIC_BY_STATUS = {
    **ANTHROPIC_ONLY_ERRORS,
    **{row.anthropic_status: row.anthropic_type for row in ERRORS if row.back},
}
_OPENAI_STATUS_BACK = {row.openai_status: row.bedrock for row in ERRORS if row.back}
_ANTHROPIC_STATUS_BACK = {row.anthropic_status: row.bedrock for row in ERRORS if row.back}


def _row(exception: BedrockException) -> ErrorPair:
    if isinstance(exception, (UnknownException, ErrorFrame)):
        # Unknown, so not retryable (as bedrock says): the model-error row, a 424 that
        # neither SDK retries.
        return _BY_CODE["ModelErrorException"]
    return _BY_CODE.get(error_code(exception), _BY_CODE["ModelErrorException"])


def _original_status(exception: BedrockException) -> int | None:
    if isinstance(exception, ModelStreamErrorException):
        status = exception.original_status_code
        if isinstance(status, int) and 400 <= status <= 599:
            return status
    return None


def anthropic_error(exception: BedrockException) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the ``{"type": "error", "error": {...}}`` object Anthropic's API
    answers with for ``exception`` (the same object is the data of a mid-stream ``error``)."""
    expect(exception, BedrockException, "anthropic_error takes a BedrockException")
    status = _original_status(exception)
    if status is None:
        row = _row(exception)
        status, kind = row.anthropic_status, row.anthropic_type
    else:
        kind = _ANTHROPIC_BY_STATUS.get(status) or _anthropic_type_of(status)
    message = exception.message
    if isinstance(exception, ModelStreamErrorException) and exception.original_message:
        message = message or exception.original_message
    return status, {"type": "error", "error": {"type": kind, "message": message}}


def _anthropic_type_of(status: int) -> str:
    return _BY_CODE[error_code(error_from_response(status, (), b""))].anthropic_type


def openai_error(exception: BedrockException) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the ``{"error": {message, type, param, code}}`` object OpenAI's
    API answers with for ``exception`` (mid-stream, the data of the chunk that ends it).
    ``code`` is the Bedrock code, so that a reader gets the same error back."""
    expect(exception, BedrockException, "openai_error takes a BedrockException")
    status = _original_status(exception)
    row = _row(exception)
    kind = row.openai_type
    if status is None:
        status = row.openai_status
    else:
        kind = _BY_CODE[_status_back(status, _OPENAI_STATUS_BACK)].openai_type
    code = row.bedrock if not isinstance(exception, (UnknownException, ErrorFrame)) else None
    return status, {
        "error": {"message": exception.message, "type": kind, "param": None, "code": code}
    }


def _status_back(status: int, table: Mapping[int, str]) -> str:
    code = table.get(status)
    if code is None:
        code = error_code(error_from_response(status, (), b""))
    return code


def _build(code: str, message: str, status: int | None, default: int) -> BedrockException:
    cls = HTTP_ERRORS[code]
    if cls is ModelStreamErrorException and status not in (None, default):
        # The model's own status (the row's status stands for none).
        return ModelStreamErrorException(message, original_status_code=status)
    return cls(message)


def from_anthropic_error(status: int | None, body: object) -> BedrockException:
    """The Bedrock error an Anthropic error stands for: from its ``error.type`` (the row
    marked ``back``), else from ``status`` as :func:`eventstream.bedrock.error_from_response`
    reads it; ``body`` is the parsed error object (or its bytes). ``status`` is ``None`` for
    a mid-stream ``error`` event."""
    status = _status(status)
    kind, message = _error_fields(body)
    code = _ANTHROPIC_PAIR_BACK.get((status or 0, kind or "")) or _ANTHROPIC_TYPE_BACK.get(
        kind or ""
    )
    if code is None and kind in ANTHROPIC_ONLY_ERRORS.values():
        status = next(s for s, k in ANTHROPIC_ONLY_ERRORS.items() if k == kind)
    if code is None:
        code = _status_back(status, _ANTHROPIC_STATUS_BACK) if status else "InternalServerException"
    return _build(code, message, status, _BY_CODE[code].anthropic_status)


def from_openai_error(status: int | None, body: object) -> BedrockException:
    """The Bedrock error an OpenAI error stands for: its ``code`` when that is a Bedrock code
    (what :func:`openai_error` writes), else its status, else its ``type``; ``status`` is
    ``None`` mid-stream. ``body`` is the response's JSON (or bytes) or the error object."""
    status = _status(status)
    error = _error_object(body)
    code_value = error.get("code")
    message = error.get("message")
    message = message if isinstance(message, str) else ""
    if isinstance(code_value, str) and code_value in HTTP_ERRORS:
        code: str | None = code_value
    elif status is not None:
        code = _status_back(status, _OPENAI_STATUS_BACK)
    else:
        kind = error.get("type")
        code = _OPENAI_TYPE_BACK.get(kind if isinstance(kind, str) else "")
    code = code or "InternalServerException"
    return _build(code, message, status, _BY_CODE[code].openai_status)


def _error_object(body: object) -> dict[str, Any]:
    if isinstance(body, (bytes, bytearray, str)):
        try:
            body = json.loads(body) if body else {}
        except (ValueError, RecursionError):
            body = {}
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error
        if "message" in body or "code" in body:
            return body  # the error object itself (what the openai SDK keeps as ``body``)
    return {}


def _error_fields(body: object) -> tuple[str | None, str]:
    error = _error_object(body)
    kind, message = error.get("type"), error.get("message")
    return (
        kind if isinstance(kind, str) else None,
        message if isinstance(message, str) else "",
    )


def in_stream(exception: BedrockException, stream: str) -> BedrockException:
    """``exception`` as a frame of ``stream`` can carry it: itself when the union has its
    class, else a ``modelStreamErrorException`` with the status it stands for (an access
    error mid-stream, say), which every response union has."""
    expect(exception, BedrockException, "in_stream takes a BedrockException")
    if stream not in ("converse", "invoke"):
        raise ConfigurationError(f"stream must be 'converse' or 'invoke', not {stream!r}")
    if type(exception) in STREAMS[stream].exceptions:
        return exception
    status, _ = anthropic_error(exception)
    return ModelStreamErrorException(
        exception.message, original_status_code=status, original_message=exception.message
    )


# --- stop reasons -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopPair:
    """One Converse ``stopReason`` and its Anthropic ``stop_reason`` and OpenAI
    ``finish_reason``; ``openai_back`` marks the row OpenAI's value reads back as."""

    converse: str
    anthropic: str
    openai: str
    openai_back: bool = True


#: Every stop reason of the service model. A value with no counterpart goes across as it
#: is (a reader sees a reason it does not know, never ``stop``: a truncated or blocked
#: answer must not pass for a finished one); values not in the table go across as they are.
STOP_REASONS: tuple[StopPair, ...] = (
    StopPair("end_turn", "end_turn", "stop"),
    StopPair("stop_sequence", "stop_sequence", "stop", openai_back=False),
    StopPair("max_tokens", "max_tokens", "length"),
    StopPair("tool_use", "tool_use", "tool_calls"),
    StopPair(
        "model_context_window_exceeded",
        "model_context_window_exceeded",
        "length",
        openai_back=False,
    ),
    StopPair("content_filtered", "refusal", "content_filter"),
    StopPair("guardrail_intervened", "guardrail_intervened", "content_filter", openai_back=False),
    StopPair("malformed_model_output", "malformed_model_output", "malformed_model_output"),
    StopPair("malformed_tool_use", "malformed_tool_use", "malformed_tool_use"),
)

_TO_ANTHROPIC = {row.converse: row.anthropic for row in STOP_REASONS}
_TO_OPENAI = {row.converse: row.openai for row in STOP_REASONS}
_FROM_ANTHROPIC = {row.anthropic: row.converse for row in STOP_REASONS}
_FROM_OPENAI = {
    **{row.openai: row.converse for row in STOP_REASONS if row.openai_back},
    "function_call": "tool_use",  # the deprecated form of tool_calls
}


def stop_to_anthropic(reason: str) -> str:
    """Anthropic's ``stop_reason`` for a Converse ``stopReason``."""
    expect(reason, str, "a stop reason is a str")
    return _TO_ANTHROPIC.get(reason, reason)


def stop_to_openai(reason: str) -> str:
    """OpenAI's ``finish_reason`` for a Converse ``stopReason``."""
    expect(reason, str, "a stop reason is a str")
    return _TO_OPENAI.get(reason, reason)


def stop_from_anthropic(reason: str) -> str:
    """The Converse ``stopReason`` for Anthropic's ``stop_reason``."""
    expect(reason, str, "a stop reason is a str")
    return _FROM_ANTHROPIC.get(reason, reason)


def stop_from_openai(reason: str) -> str:
    """The Converse ``stopReason`` for OpenAI's ``finish_reason``."""
    expect(reason, str, "a finish reason is a str")
    return _FROM_OPENAI.get(reason, reason)
