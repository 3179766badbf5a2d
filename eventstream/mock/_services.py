"""The operations the mock server answers, as a table: Bedrock Runtime's four, and the
streaming operations of Bedrock Agent Runtime, SageMaker Runtime and Lambda, each at the
method and path of botocore's service model, with its stream and its modelled HTTP errors.

Every service here speaks rest-json: botocore reads an error's code from ``x-amzn-ErrorType``
and its message from the body's ``message`` (else ``Message``), the shape's other members
from the body too. tests/test_mock_services.py checks this table against botocore's models.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from .. import Message, awslambda, sagemaker
from .. import bedrock as br
from ..bedrock import agent
from ..bedrock.engine import ServiceStream

__all__ = ["Operation", "SERVED"]


@dataclass(frozen=True)
class Operation:
    """One operation served: botocore's ``service`` name, the model's operation ``name``,
    its HTTP ``method`` and ``path`` (the model's requestUri), the ``stream`` it answers with,
    whether it streams, and its modelled HTTP ``errors`` (code: status)."""

    service: str
    name: str
    method: str
    path: str
    stream: str
    streaming: bool
    errors: Mapping[str, int] = field(hash=False)
    #: The error a request the server refuses gets (a bad fault header, say).
    refusal: str = "ValidationException"
    #: Errors whose message the model keys ``Message`` (the rest: ``message``).
    capital_message: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{([^}]+)\}", self.path)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part.replace('+', '')}>[^/]+)"
            for index, part in enumerate(parts)
        )
        object.__setattr__(self, "_pattern", re.compile(f"^{pattern}/?$"))

    def labels(self, path: str) -> dict[str, str] | None:
        """The path's labels (``{"modelId": ...}``) if ``path`` is this operation's, else
        ``None``."""
        match = self._pattern.match(path)  # type: ignore[attr-defined]
        if match is None:
            return None
        return {name: unquote(value) for name, value in match.groupdict().items()}

    def error_body(self, code: str | None, message: str, status: int) -> dict[str, Any]:
        """The JSON body of HTTP error ``code`` (``status``): its message under the model's
        key (Lambda's errors also carry ``Type``, ``User`` for a 4xx, as Lambda sends them)."""
        key = "Message" if code in self.capital_message else "message"
        body: dict[str, Any] = {key: message}
        if self.service == "lambda":
            body = {"Type": "User" if status < 500 else "Service", **body}
        return body


def _bedrock() -> tuple[Operation, ...]:
    errors = MappingProxyType({code: cls.status_code for code, cls in br.HTTP_ERRORS.items()})
    operations = (
        ("InvokeModelWithResponseStream", "invoke-with-response-stream", "invoke", True),
        ("ConverseStream", "converse-stream", "converse", True),
        ("InvokeModel", "invoke", "invoke", False),
        ("Converse", "converse", "converse", False),
    )
    return tuple(
        Operation(
            "bedrock-runtime",
            name,
            "POST",
            f"/model/{{modelId}}/{segment}",
            stream,
            streaming,
            errors,
        )
        for name, segment, stream, streaming in operations
    )


# bedrock-agent-runtime (API 2023-07-26): each operation's modelled errors and their status.
_AGENT_ERRORS = {
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "DependencyFailedException": 424,
    "ThrottlingException": 429,
    "InternalServerException": 500,
    "BadGatewayException": 502,
}
_AGENT_OPERATION_ERRORS = {
    "InvokeAgent": {**_AGENT_ERRORS, "ModelNotReadyException": 424},
    "OptimizePrompt": {
        code: status
        for code, status in _AGENT_ERRORS.items()
        if code
        not in ("ServiceQuotaExceededException", "ResourceNotFoundException", "ConflictException")
    },
}

# sagemaker-runtime (API 2017-05-13), InvokeEndpointWithResponseStream. ModelStreamError and
# InternalStreamFailure are the stream's; the model gives them no status (the layer's 500).
_SAGEMAKER_ERRORS = {
    "ValidationError": 400,
    "ModelError": 424,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ModelStreamError": 500,
    "InternalStreamFailure": 500,
}

# lambda (API 2015-03-31), InvokeWithResponseStream; the second set keys its message
# "message", the others "Message".
_LAMBDA_ERRORS = {
    "InvalidParameterValueException": 400, "InvalidRequestContentException": 400,
    "NoPublishedVersionException": 400, "RecursiveInvocationException": 400,
    "SnapStartException": 400, "ServiceQuotaExceededException": 402,
    "EFSMountFailureException": 403, "S3FilesMountFailureException": 403,
    "ResourceNotFoundException": 404, "EFSMountConnectivityException": 408,
    "EFSMountTimeoutException": 408, "S3FilesMountConnectivityException": 408,
    "S3FilesMountTimeoutException": 408, "SnapStartTimeoutException": 408,
    "CodeArtifactUserDeletedException": 409, "CodeArtifactUserFailedException": 409,
    "CodeArtifactUserPendingException": 409, "ResourceConflictException": 409,
    "SnapStartNotReadyException": 409, "SnapStartRegenerationFailureException": 409,
    "EFSIOException": 410, "RequestTooLargeException": 413,
    "SerializedRequestEntityTooLargeException": 413, "UnsupportedMediaTypeException": 415,
    "TooManyRequestsException": 429, "ServiceException": 500,
    "EC2AccessDeniedException": 502, "EC2ThrottledException": 502,
    "EC2UnexpectedException": 502, "ENILimitReachedException": 502,
    "InvalidRuntimeException": 502, "InvalidSecurityGroupIDException": 502,
    "InvalidSubnetIDException": 502, "InvalidZipFileException": 502,
    "KMSAccessDeniedException": 502, "KMSDisabledException": 502,
    "KMSInvalidStateException": 502, "KMSNotFoundException": 502,
    "ResourceNotReadyException": 502, "SubnetIPAddressLimitReachedException": 502,
}  # fmt: skip
_LAMBDA_LOWER = frozenset({
    "CodeArtifactUserDeletedException", "CodeArtifactUserFailedException",
    "CodeArtifactUserPendingException", "InvalidParameterValueException",
    "InvalidRequestContentException", "RequestTooLargeException", "ResourceConflictException",
    "ResourceNotReadyException", "SerializedRequestEntityTooLargeException",
    "TooManyRequestsException", "UnsupportedMediaTypeException",
})  # fmt: skip

#: The other services' streams by name, each with the service its layer serves.
SERVICE_STREAMS: dict[str, ServiceStream] = {
    **agent.STREAMS,
    **sagemaker.STREAMS,
    **awslambda.STREAMS,
}


def _service_operation(union: ServiceStream) -> Operation:
    if union.service == "sagemaker-runtime":
        errors, refusal = _SAGEMAKER_ERRORS, "ValidationError"
        capital = frozenset(_SAGEMAKER_ERRORS)
    elif union.service == "lambda":
        errors, refusal = _LAMBDA_ERRORS, "InvalidRequestContentException"
        capital = frozenset(_LAMBDA_ERRORS) - _LAMBDA_LOWER
    else:
        errors = _AGENT_OPERATION_ERRORS.get(union.operation, _AGENT_ERRORS)
        refusal, capital = "ValidationException", frozenset()
    return Operation(
        union.service, union.operation, "POST", union.http_path, union.name, True,
        MappingProxyType(dict(errors)), refusal, capital,
    )  # fmt: skip


#: Every operation the server answers, in the order requests are matched.
SERVED: tuple[Operation, ...] = (
    *_bedrock(),
    *(_service_operation(union) for union in SERVICE_STREAMS.values()),
)

#: The streaming operation of each stream.
OPERATION_OF: dict[str, Operation] = {op.stream: op for op in reversed(SERVED) if op.streaming}

BEDROCK_STREAMS = ("converse", "invoke")


def is_bedrock(stream: str) -> bool:
    """Whether ``stream`` is Bedrock Runtime's (``converse``/``invoke``)."""
    return stream in BEDROCK_STREAMS


def exception_classes(stream: str) -> dict[str, type[br.BedrockException]]:
    """The exception classes of ``stream`` by both spellings of their names (the frame's
    ``throttlingException``, the shape's ``ThrottlingException``). Bedrock Runtime's
    streams take any of its modelled errors, as before."""
    if is_bedrock(stream):
        return {
            spelling: cls
            for code, cls in br.HTTP_ERRORS.items()
            for spelling in (code, cls.exception_type)
        }
    union = SERVICE_STREAMS[stream]
    return {
        spelling: cls for cls in union.exceptions for spelling in (cls.exception_type, cls.__name__)
    }


@functools.cache
def every_exception_name() -> dict[str, list[type[br.BedrockException]]]:
    """Every exception name any served stream takes, with the classes bearing it."""
    found: dict[str, list[type[br.BedrockException]]] = {}
    for stream in (*BEDROCK_STREAMS, *SERVICE_STREAMS):
        for name, cls in exception_classes(stream).items():
            if cls not in found.setdefault(name, []):
                found[name].append(cls)
    return found


@functools.cache
def event_names() -> frozenset[str]:
    """Every event type of every served stream."""
    names = {cls.event_type for s in BEDROCK_STREAMS for cls in br.STREAMS[s].events}
    return frozenset(names | {c.event_type for s in SERVICE_STREAMS.values() for c in s.events})


def union_has(stream: str, event_type: str) -> bool:
    """Whether ``event_type`` is an event of ``stream``'s union."""
    if is_bedrock(stream):
        return br.STREAMS[stream].event_class(event_type) is not None
    return SERVICE_STREAMS[stream].event_class(event_type) is not None


def encode(event: Any, stream: str, rng: Any = None) -> Message:
    """The frame ``stream``'s service sends for ``event`` (its layer's ``encode_event``)."""
    if is_bedrock(stream):
        return br.encode_event(event, rng=rng)
    service = SERVICE_STREAMS[stream].service
    if service == "sagemaker-runtime":
        return sagemaker.encode_event(event)
    if service == "lambda":
        return awslambda.encode_event(event)
    return agent.encode_event(event)


def stream_headers(
    stream: str,
    *,
    request_id: str | None,
    model_content_type: str = "application/json",
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a 200 that starts ``stream``: Bedrock's, or the event-stream type,
    ``x-amzn-RequestId`` and the header members of the operation's output (with the request's
    path ``labels`` where one is echoed: the agent's session id)."""
    if is_bedrock(stream):
        return br.response_headers(
            stream,  # type: ignore[arg-type]
            request_id=request_id,
            model_content_type=model_content_type,
        )
    request_id = request_id if request_id is not None else str(uuid.uuid4())
    headers = {"Content-Type": br.EVENTSTREAM_CONTENT_TYPE, "x-amzn-RequestId": request_id}
    labels = labels or {}
    name = SERVICE_STREAMS[stream].operation
    if name in ("InvokeAgent", "InvokeInlineAgent"):
        headers["x-amzn-bedrock-agent-content-type"] = model_content_type
        headers["x-amz-bedrock-agent-session-id"] = labels.get("sessionId", request_id)
    elif name == "InvokeFlow":
        headers["x-amz-bedrock-flow-execution-id"] = request_id
    elif name == "RetrieveAndGenerateStream":
        headers["x-amzn-bedrock-knowledge-base-session-id"] = request_id
    elif name == "InvokeEndpointWithResponseStream":
        headers["X-Amzn-SageMaker-Content-Type"] = model_content_type
        headers["x-Amzn-Invoked-Production-Variant"] = "AllTraffic"
    elif name == "InvokeWithResponseStream":
        headers["X-Amz-Executed-Version"] = "$LATEST"
    return headers
