"""aiohttp.web: a Bedrock stream, or a Bedrock error, as an aiohttp response.

Needs the ``aiohttp`` extra (``pip install 'eventstream[aiohttp]'``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping

try:
    from aiohttp import web
except ImportError as exc:  # pragma: no cover - the extra is installed for the tests
    raise ImportError(
        "eventstream.gateway.aiohttp needs aiohttp: pip install 'eventstream[aiohttp]'"
    ) from exc

from .. import bedrock
from ..bedrock import BedrockException, FaultHandler, StreamName, TypedEvent, fault_exception

__all__ = ["stream_response", "error_response"]


async def stream_response(
    request: web.BaseRequest,
    events: AsyncIterable[TypedEvent],
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    on_fault: FaultHandler = fault_exception,
) -> web.StreamResponse:
    """Send ``events`` as ``stream`` in answer to ``request`` and return the finished
    response (return it from the handler): see :func:`eventstream.bedrock.arespond`."""
    reply = await bedrock.arespond(
        events, stream, request_id=request_id, model_content_type=model_content_type,
        headers=headers, on_fault=on_fault,
    )  # fmt: skip
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    try:
        await response.prepare(request)
        async for chunk in reply.body:
            await response.write(chunk)
        await response.write_eof()
    finally:
        # A client that went away makes write() raise: stop reading the upstream at once.
        await reply.body.aclose()
    return response


def error_response(exception: BedrockException, *, request_id: str | None = None) -> web.Response:
    """The HTTP error Bedrock sends for ``exception`` (see
    :func:`eventstream.bedrock.error_response`)."""
    reply = bedrock.error_response(exception, request_id=request_id)
    return web.Response(body=reply.body, status=reply.status, headers=reply.headers)
