"""AWS Lambda's event streams, typed (generated: do not edit).

One class per shape of the lambda service model (API 2015-03-31),
written by tests/service_codegen.py from botocore's JSON; regenerate with
``python -m tests.service_codegen`` (tests/test_services_codegen.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..bedrock.engine import ServiceEvent, ServiceStream

__all__ = [
    "InvokeResponseStreamUpdate",
    "InvokeWithResponseStreamCompleteEvent",
    "STREAMS",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InvokeResponseStreamUpdate(ServiceEvent):
    """The ``PayloadChunk`` event (``InvokeResponseStreamUpdate``)."""

    event_type: ClassVar[str] = "PayloadChunk"
    payload_field: ClassVar[str | None] = "payload"
    payload: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InvokeWithResponseStreamCompleteEvent(ServiceEvent):
    """The ``InvokeComplete`` event (``InvokeWithResponseStreamCompleteEvent``)."""

    event_type: ClassVar[str] = "InvokeComplete"
    error_code: str | None = field(default=None, metadata={"wire": "ErrorCode"})
    error_details: str | None = field(default=None, metadata={"wire": "ErrorDetails"})
    log_result: str | None = field(default=None, metadata={"wire": "LogResult"})


#: Each stream operation's union, by our stream name.
STREAMS = {
    s.name: s
    for s in (
        ServiceStream(
            "lambda",
            "lambda",
            "InvokeWithResponseStreamResponseEvent",
            "InvokeWithResponseStream",
            "response",
            (
                InvokeResponseStreamUpdate,
                InvokeWithResponseStreamCompleteEvent,
            ),
            (),
            "/2021-11-15/functions/{FunctionName}/response-streaming-invocations",
        ),
    )
}
