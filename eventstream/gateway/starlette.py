"""Starlette and FastAPI: a Bedrock stream, or a Bedrock error, as a Starlette response.

Needs the ``starlette`` extra (``pip install 'eventstream[starlette]'``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping

try:
    from starlette.responses import Response, StreamingResponse
    from starlette.types import Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - the extra is installed for the tests
    raise ImportError(
        "eventstream.gateway.starlette needs Starlette: pip install 'eventstream[starlette]'"
    ) from exc

from .. import bedrock
from ..bedrock import (
    AsyncBody,
    BedrockException,
    FaultHandler,
    StreamName,
    TypedEvent,
    fault_exception,
)

__all__ = ["stream_response", "error_response"]


class _ClosingStreamingResponse(StreamingResponse):
    """Closes the body (so the upstream) however the response ends: Starlette leaves an
    iterator open when the client goes away."""

    def __init__(self, body: AsyncBody, status_code: int, headers: Mapping[str, str]) -> None:
        super().__init__(body, status_code=status_code, headers=headers)
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._body.aclose()


async def stream_response(
    events: AsyncIterable[TypedEvent],
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    on_fault: FaultHandler = fault_exception,
) -> Response:
    """A ``StreamingResponse`` serving ``events`` as ``stream``: see
    :func:`eventstream.bedrock.arespond` (a fault before the first event is an HTTP error; one
    after it ends the body with an exception frame)."""
    reply = await bedrock.arespond(
        events, stream, request_id=request_id, model_content_type=model_content_type,
        headers=headers, on_fault=on_fault,
    )  # fmt: skip
    return _ClosingStreamingResponse(reply.body, reply.status, reply.headers)


def error_response(exception: BedrockException, *, request_id: str | None = None) -> Response:
    """The HTTP error Bedrock sends for ``exception`` (see
    :func:`eventstream.bedrock.error_response`)."""
    reply = bedrock.error_response(exception, request_id=request_id)
    return Response(reply.body, status_code=reply.status, headers=reply.headers)
