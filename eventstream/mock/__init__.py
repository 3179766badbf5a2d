"""A Bedrock Runtime-compatible server that injects faults, for testing clients and gateways.

:class:`MockServer` (or :func:`serve`) answers InvokeModelWithResponseStream, ConverseStream,
InvokeModel and Converse for any model id on 127.0.0.1, and the streaming operations of Bedrock
Agent Runtime, SageMaker Runtime and Lambda at their own paths (:data:`SERVED`), from
captures, ``decode --json`` JSON Lines or a :class:`Script`, and breaks its responses as
:class:`Fault` specs say: set on the server, or per request with the ``x-eventstream-fault``
header. The fault logic is sans-IO:
:func:`plan_stream` turns frames and faults into a :class:`Plan` of writes, which the server
only carries out. ``docs/testing.md`` has the grammar and what boto3 and aiobotocore do with
each fault. Standard library only.
"""

from ._faults import (
    FAULT_KINDS,
    Fault,
    FaultKind,
    FaultSpecError,
    as_faults,
    format_faults,
    parse_faults,
)
from ._http import MAX_BODY_BYTES, MAX_HEAD_BYTES, MAX_HEADERS, BadRequest, Request, parse_head
from ._journal import Journal, read_journal
from ._plan import Drop, Op, Plan, Send, Stall, plan_error, plan_reply, plan_stream
from ._script import Script, Timing, ToolCall, script_from_json
from ._server import FAULT_HEADER, MockServer, fault_header, serve
from ._services import SERVED, Operation
from ._sources import Recording, Responses, load_recordings, stream_of

__all__ = [
    # the server
    "MockServer",
    "serve",
    "FAULT_HEADER",
    "fault_header",
    "Journal",
    "read_journal",
    "SERVED",
    "Operation",
    # faults
    "Fault",
    "FaultKind",
    "FAULT_KINDS",
    "FaultSpecError",
    "parse_faults",
    "as_faults",
    "format_faults",
    # what is served
    "Script",
    "ToolCall",
    "script_from_json",
    "Timing",
    "Recording",
    "Responses",
    "load_recordings",
    "stream_of",
    # the sans-IO plan
    "plan_stream",
    "plan_reply",
    "plan_error",
    "Plan",
    "Op",
    "Send",
    "Stall",
    "Drop",
    # requests
    "parse_head",
    "Request",
    "BadRequest",
    "MAX_HEAD_BYTES",
    "MAX_HEADERS",
    "MAX_BODY_BYTES",
]
