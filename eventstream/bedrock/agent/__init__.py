"""Typed Amazon Bedrock Agent Runtime streams: InvokeAgent, InvokeInlineAgent, InvokeFlow,
RetrieveAndGenerateStream, OptimizePrompt and AgenticRetrieveStream.

Generated from botocore's bedrock-agent-runtime model (``_shapes``; tests/service_codegen.py): one
frozen class per shape, ``Unknown*`` classes for union members a later model adds, exceptions
with their HTTP status and retryability. ``events``/``aevents`` iterate typed events from a
byte source, ``decode_event``/``encode_event`` map single frames; :data:`STREAMS` is the table.
"""

from ..engine import Service, ServiceReader, ServiceTypedEvent
from . import _shapes
from ._shapes import *  # noqa: F403  # the generated classes, listed in _shapes.__all__
from ._shapes import STREAMS

_SERVICE = Service("bedrock.agent", STREAMS)

decode_event = _SERVICE.decode_event
encode_event = _SERVICE.encode_event
events = _SERVICE.events
aevents = _SERVICE.aevents
stream_from_path = _SERVICE.stream_from_path


class EventReader(ServiceReader):
    """Sans-IO typing of this service's frames (``stream``: a name in :data:`STREAMS`, or
    ``"auto"``), as ``bedrock.EventReader``."""

    __slots__ = ()

    def __init__(
        self, stream: str | None = "auto", *, strict: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(STREAMS, stream, strict=strict, hint=hint)


__all__ = [
    "decode_event",
    "encode_event",
    "events",
    "aevents",
    "stream_from_path",
    "EventReader",
    "ServiceTypedEvent",
]
__all__ += _shapes.__all__
