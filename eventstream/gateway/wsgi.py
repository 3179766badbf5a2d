"""WSGI (wsgiref, Flask, gunicorn's sync workers...): a Bedrock stream, or a Bedrock error,
as a WSGI body. No extra needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from .. import bedrock
from ..bedrock import BedrockException, FaultHandler, StreamName, TypedEvent, fault_exception

__all__ = ["stream_response", "error_response", "StartResponse"]

#: The ``start_response`` callable a WSGI server hands the application.
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def stream_response(
    start_response: StartResponse,
    events: Iterable[TypedEvent],
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    on_fault: FaultHandler = fault_exception,
) -> Iterable[bytes]:
    """Start the response and return the WSGI body serving ``events`` as ``stream`` (see
    :func:`eventstream.bedrock.respond`); the server's ``close()`` closes ``events``."""
    reply = bedrock.respond(
        events, stream, request_id=request_id, model_content_type=model_content_type,
        headers=headers, on_fault=on_fault,
    )  # fmt: skip
    start_response(_status_line(reply.status), list(reply.headers.items()))
    return reply.body


def error_response(
    start_response: StartResponse, exception: BedrockException, *, request_id: str | None = None
) -> list[bytes]:
    """Start the HTTP error Bedrock sends for ``exception`` and return its body (see
    :func:`eventstream.bedrock.error_response`)."""
    reply = bedrock.error_response(exception, request_id=request_id)
    headers = [*reply.headers.items(), ("Content-Length", str(len(reply.body)))]
    start_response(_status_line(reply.status), headers)
    return [reply.body]
