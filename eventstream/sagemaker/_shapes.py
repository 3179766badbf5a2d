"""Amazon SageMaker Runtime's event streams, typed (generated: do not edit).

One class per shape of the sagemaker-runtime service model (API 2017-05-13),
written by tests/service_codegen.py from botocore's JSON; regenerate with
``python -m tests.service_codegen`` (tests/test_services_codegen.py checks it).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, ClassVar

from ..bedrock.engine import ServiceEvent, ServiceException, ServiceStream

__all__ = [
    "PayloadPart",
    "ModelStreamError",
    "InternalStreamFailure",
    "STREAMS",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PayloadPart(ServiceEvent):
    """The ``PayloadPart`` event (``PayloadPart``)."""

    event_type: ClassVar[str] = "PayloadPart"
    payload_field: ClassVar[str | None] = "bytes"
    bytes: builtins.bytes | None = None


class ModelStreamError(ServiceException):
    """``ModelStreamError`` (HTTP 500, which the model does not give); retryable."""

    exception_type = "ModelStreamError"
    status_code = 500
    retryable = True
    message_key = "Message"
    _fields = (("error_code", "ErrorCode", str),)

    def __init__(self, message: str = "", *, error_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error_code = error_code


class InternalStreamFailure(ServiceException):
    """``InternalStreamFailure`` (HTTP 500, which the model does not give); retryable."""

    exception_type = "InternalStreamFailure"
    status_code = 500
    retryable = True
    message_key = "Message"


#: Each stream operation's union, by our stream name.
STREAMS = {
    s.name: s
    for s in (
        ServiceStream(
            "sagemaker",
            "sagemaker-runtime",
            "ResponseStream",
            "InvokeEndpointWithResponseStream",
            "response",
            (PayloadPart,),
            (
                ModelStreamError,
                InternalStreamFailure,
            ),
            "/endpoints/{EndpointName}/invocations-response-stream",
        ),
    )
}
