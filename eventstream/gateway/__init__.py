"""Serving Bedrock streams from web frameworks: one thin module per framework.

* ``eventstream.gateway.starlette``: Starlette and FastAPI (extra ``starlette``);
* ``eventstream.gateway.aiohttp``: aiohttp.web (extra ``aiohttp``);
* ``eventstream.gateway.wsgi``: any WSGI server (no extra).

Each is a shell over the sans-IO serving functions of :mod:`eventstream.bedrock`, re-exported
here: a framework this package does not cover needs only those.
"""

from ..bedrock import (
    AsyncBody,
    Body,
    FaultHandler,
    Reply,
    aencode_stream,
    aevent_batches,
    arespond,
    encode_stream,
    error_from_response,
    error_response,
    event_batches,
    fault_exception,
    respond,
    response_headers,
)

__all__ = [
    "respond",
    "arespond",
    "encode_stream",
    "aencode_stream",
    "event_batches",
    "aevent_batches",
    "response_headers",
    "error_response",
    "error_from_response",
    "fault_exception",
    "FaultHandler",
    "Reply",
    "Body",
    "AsyncBody",
]
