"""The HTTP around a translated stream: the SSE response headers, and the error a client
format answers with before any stream (the status and body of :data:`ERRORS`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from ..bedrock import BedrockException, Reply
from ._common import json_bytes
from ._tables import anthropic_error, openai_error

__all__ = ["SSE_HEADERS", "anthropic_error_response", "openai_error_response"]

#: The headers of a 200 that starts an SSE stream (both APIs send these).
SSE_HEADERS: Mapping[str, str] = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


def anthropic_error_response(
    exception: BedrockException, *, request_id: str | None = None
) -> Reply[bytes]:
    """Anthropic's HTTP error for ``exception``: the status of :data:`ERRORS`, a
    ``request-id`` header, and the ``{"type": "error", "error": ...}`` body."""
    status, body = anthropic_error(exception)
    request = request_id if request_id is not None else f"req_{uuid.uuid4().hex[:24]}"
    body["request_id"] = request
    # No x-should-retry: the status alone decides, as it does for botocore.
    headers = {"Content-Type": "application/json", "request-id": request}
    return Reply(status, headers, json_bytes(body))


def openai_error_response(
    exception: BedrockException, *, request_id: str | None = None
) -> Reply[bytes]:
    """OpenAI's HTTP error for ``exception``: the status of :data:`ERRORS`, an
    ``x-request-id`` header, and the ``{"error": {...}}`` body."""
    status, body = openai_error(exception)
    request = request_id if request_id is not None else f"req_{uuid.uuid4().hex}"
    headers = {"Content-Type": "application/json", "x-request-id": request}
    return Reply(status, headers, json_bytes(body))
