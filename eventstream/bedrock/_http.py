"""Bedrock Runtime's HTTP surface around a stream: response headers, and the modelled errors
a server answers with before any stream, as botocore reads them.

No I/O and no framework: headers are a ``dict``, bodies ``bytes``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .._errors import ConfigurationError
from ._events import (
    BedrockException,
    ErrorFrame,
    InternalServerException,
    ModelStreamErrorException,
    ModelTimeoutException,
    ServiceUnavailableException,
    ThrottlingException,
    UnknownException,
    ValidationException,
)
from ._json import utf8
from ._streams import STREAMS, StreamName, exception_body

__all__ = [
    "EVENTSTREAM_CONTENT_TYPE",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ModelNotReadyException",
    "ModelErrorException",
    "HTTP_ERRORS",
    "Reply",
    "response_headers",
    "error_code",
    "error_response",
    "error_from_response",
]

#: The ``Content-Type`` of every event-stream response.
EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"

Body = TypeVar("Body")


@dataclass(frozen=True, slots=True)
class Reply(Generic[Body]):
    """An HTTP response to send: status, headers, and the body (``bytes``, or chunks)."""

    status: int
    headers: dict[str, str]
    body: Body


# --- the errors that come only before a stream ---------------------------------------------
# The service model gives every operation these too, as HTTP errors; no stream union has
# them, so they never decode from a frame.


class AccessDeniedException(BedrockException):
    """``AccessDeniedException`` (HTTP 403): not allowed; before a stream only."""

    exception_type = "accessDeniedException"
    status_code = 403


class ResourceNotFoundException(BedrockException):
    """``ResourceNotFoundException`` (HTTP 404): no such model; before a stream only."""

    exception_type = "resourceNotFoundException"
    status_code = 404


class ServiceQuotaExceededException(BedrockException):
    """``ServiceQuotaExceededException`` (HTTP 400): a quota is used up; before a stream only."""

    exception_type = "serviceQuotaExceededException"
    status_code = 400


class ModelNotReadyException(BedrockException):
    """``ModelNotReadyException`` (HTTP 429): the model is not ready yet; retryable (the
    model marks it so); before a stream only."""

    exception_type = "modelNotReadyException"
    status_code = 429
    retryable = True


class ModelErrorException(BedrockException):
    """``ModelErrorException`` (HTTP 424): the model failed the request; before a stream only.

    ``original_status_code`` and ``resource_name`` are the model's own.
    """

    exception_type = "modelErrorException"
    status_code = 424
    _fields = (
        ("original_status_code", "originalStatusCode", int),
        ("resource_name", "resourceName", str),
    )

    def __init__(
        self,
        message: str = "",
        *,
        original_status_code: int | None = None,
        resource_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.original_status_code = original_status_code
        self.resource_name = resource_name


def _shape_name(exception_type: str) -> str:
    return exception_type[:1].upper() + exception_type[1:]


def error_code(exception: BedrockException) -> str:
    """The error's code as the service sends it in ``x-amzn-ErrorType``: the shape name,
    ``ThrottlingException`` for ``throttlingException`` (an error frame's own code as is)."""
    if isinstance(exception, ErrorFrame):
        return exception.error_code
    if isinstance(exception, UnknownException):
        return _shape_name(exception.name)
    return _shape_name(exception.exception_type)


#: Every modelled error of the operations this library serves and reads -- InvokeModel,
#: Converse and their streaming twins, InvokeModelWithBidirectionalStream -- by its code
#: (bedrock-runtime API 2023-09-30; StartAsyncInvoke's ConflictException is not among them).
HTTP_ERRORS: dict[str, type[BedrockException]] = {
    _shape_name(cls.exception_type): cls
    for cls in (
        ValidationException,
        ServiceQuotaExceededException,
        AccessDeniedException,
        ResourceNotFoundException,
        ModelTimeoutException,
        ThrottlingException,
        ModelNotReadyException,
        ModelErrorException,
        ModelStreamErrorException,
        InternalServerException,
        ServiceUnavailableException,
    )
}

# What a status means when the code names no modelled error (a proxy's 502, say): the class a
# client should see. 401 is not modelled; Bedrock answers bad credentials with 403.
_BY_STATUS: dict[int, type[BedrockException]] = {
    400: ValidationException,
    401: AccessDeniedException,
    403: AccessDeniedException,
    404: ResourceNotFoundException,
    408: ModelTimeoutException,
    424: ModelErrorException,
    429: ThrottlingException,
    503: ServiceUnavailableException,
}


def response_headers(
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
) -> dict[str, str]:
    """The headers of a 200 that starts ``stream``: ``Content-Type`` (the event-stream type),
    ``x-amzn-RequestId`` (a new UUID unless given; boto3's ``ResponseMetadata.RequestId``) and,
    for ``invoke``, ``X-Amzn-Bedrock-Content-Type`` (boto3's required ``contentType``)."""
    try:
        chosen = STREAMS[stream]
    except (KeyError, TypeError):  # TypeError: an unhashable name
        chosen = None
    if chosen is None or chosen.direction != "response":
        raise ConfigurationError(
            f"{stream!r} is not a response stream; choose one of "
            f"{sorted(s.name for s in STREAMS.values() if s.direction == 'response')}"
        )
    headers = {
        "Content-Type": EVENTSTREAM_CONTENT_TYPE,
        "x-amzn-RequestId": request_id if request_id is not None else str(uuid.uuid4()),
    }
    if stream == "invoke":
        headers["X-Amzn-Bedrock-Content-Type"] = model_content_type
    return headers


def error_response(exception: BedrockException, *, request_id: str | None = None) -> Reply[bytes]:
    """The HTTP error Bedrock answers with before a stream: the class's status,
    ``x-amzn-ErrorType`` (its code), ``x-amzn-RequestId`` and a JSON body (``message`` and the
    modelled fields), from which boto3 raises ``client.exceptions.<code>``.

    An unknown exception or error frame goes out as HTTP 500 under its own code (boto3 raises
    a plain ``ClientError`` with it).
    """
    body = {"message": exception.message} if isinstance(exception, ErrorFrame) else None
    payload = utf8(
        json.dumps(
            body if body is not None else exception_body(exception),
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )
    )
    return Reply(
        exception.status_code,
        {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": error_code(exception),
            "x-amzn-RequestId": request_id if request_id is not None else str(uuid.uuid4()),
        },
        payload,
    )


def _header(headers: Mapping[str, str] | Iterable[tuple[str, str]], name: str) -> str | None:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return next((value for key, value in pairs if key.lower() == name), None)


def error_from_response(
    status: int,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
) -> BedrockException:
    """The exception an HTTP error response from a Bedrock-compatible server stands for, read
    as botocore reads it (code from ``x-amzn-ErrorType``, else the body's ``code``/``Code``/
    ``__type``; message from ``message``/``Message``), with the modelled fields it carries.

    A code the service does not model (or none) falls back on the status: 429 is throttling,
    503 unavailability, any other 5xx an internal error, and so on.
    """
    try:
        parsed = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):
        parsed = {}
    fields: dict[str, Any] = dict(parsed) if isinstance(parsed, dict) else {}
    code = _header(headers, "x-amzn-errortype")
    for key in ("code", "Code", "__type"):
        value = fields.pop(key, None)
        if code is None and isinstance(value, str):
            code = value
    if code is not None:
        # "ThrottlingException:http://internal.amazon.com/coral/..." and "aws#Code" forms.
        code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    cls = HTTP_ERRORS.get(code or "")
    if cls is None:
        cls = _BY_STATUS.get(status, InternalServerException if status >= 500 else None)
        cls = cls or ValidationException  # another 4xx: the request was refused
    message = fields.pop("message", fields.pop("Message", ""))
    if not isinstance(message, str):
        message = ""
    modelled: dict[str, Any] = {}
    for name, key, kind in cls._fields:
        value = fields.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            modelled[name] = fields.pop(key)
    return cls(message, extra=fields, **modelled)
