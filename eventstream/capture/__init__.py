"""Captured traffic, for the tools: input formats and their detection, bodies decoded frame by
frame with their positions and parsed payloads, and the JSON Lines records of frames both ways.

The CLI and :mod:`eventstream.notebook` are built on this package; it reads through the
public decoder and :mod:`eventstream.bedrock`, never the other way round. Only the names in
``__all__`` are public and stable.
"""

from ._exchange import Exchange, Timing
from ._formats import (
    EVENTSTREAM_CONTENT_TYPE,
    INPUT_FORMATS,
    Body,
    InputFormat,
    InputFormatError,
    LoadedInput,
    load_input,
    open_input,
)
from ._frames import (
    NOT_JSON,
    STREAM_NAMES,
    CaptureDecoder,
    CapturedFrame,
    Decoded,
    Gap,
    decode_frames,
)
from ._records import RecordError, frame_record, messages_from_jsonl, record_message
from ._text import escape_controls, escape_json_controls
from ._timeline import (
    StreamInfo,
    Timeline,
    TimelinePoint,
    list_streams,
    plot_timeline,
    timeline,
)

__all__ = [
    # input formats
    "load_input",
    "open_input",
    "LoadedInput",
    "Body",
    "InputFormat",
    "INPUT_FORMATS",
    "EVENTSTREAM_CONTENT_TYPE",
    "InputFormatError",
    "Exchange",
    "Timing",
    # frames
    "decode_frames",
    "Decoded",
    "CapturedFrame",
    "CaptureDecoder",
    "NOT_JSON",
    "STREAM_NAMES",
    "Gap",
    # JSON Lines records
    "frame_record",
    "record_message",
    "messages_from_jsonl",
    "RecordError",
    # timelines and stream lists
    "timeline",
    "Timeline",
    "TimelinePoint",
    "plot_timeline",
    "list_streams",
    "StreamInfo",
    # text for terminals
    "escape_controls",
    "escape_json_controls",
]
