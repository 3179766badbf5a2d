"""Build the bundled sample captures with the project's own encoder.

Run ``python -m eventstream.samples.make_sample`` to rewrite the ``.bin`` files next to this
script, or with ``--check`` to exit 1 if a shipped file differs from what this builds. The
streams are synthetic but follow what real Bedrock streams do (``docs/bedrock.md``; the
captures in ``../shared/captures``): three string headers per event, compact JSON, a ``"p"``
padding field of varying length, and for Claude the Anthropic streaming events base64-encoded
in ``chunk`` frames, the last one carrying ``amazon-bedrock-invocationMetrics``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eventstream import bedrock as br
from eventstream.samples import SAMPLES

__all__ = ["build", "main"]

HERE = Path(__file__).resolve().parent

MODEL = "claude-sonnet-4-5-20250929"
TEXT_PIECES = ("I'll check", " the current weather", " in Paris for you.")
# How Claude streams a tool input: an empty first piece, then JSON cut at arbitrary places.
TOOL_INPUT_PIECES = ("", '{"location": "Par', 'is, France"', ', "unit": "cel', 'sius"}')
TOOL_NAME = "get_weather"
INPUT_TOKENS = 402
OUTPUT_TOKENS = 71

# Padding lengths as varied as in real captures (a prefix of the alphabet, 1..62 characters);
# fixed here so the files are reproducible.
PADDING_LENGTHS = (18, 25, 32, 28, 37, 33, 57, 26, 21, 2, 44, 9, 61, 14, 30, 5, 49, 23, 40, 12)


def _padding(index: int) -> str:
    return br.PADDING_ALPHABET[: PADDING_LENGTHS[index % len(PADDING_LENGTHS)]]


def _chunk(body: dict[str, Any]) -> br.Chunk:
    # Anthropic's own JSON: compact, keys in the order the model API sends them.
    return br.Chunk(bytes=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


def _message_start(message_id: str) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "model": MODEL,
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": INPUT_TOKENS,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 1,
            },
        },
    }


def _text_block(index: int, pieces: Sequence[str]) -> Iterator[dict[str, Any]]:
    yield {
        "type": "content_block_start",
        "index": index,
        "content_block": {"type": "text", "text": ""},
    }
    for piece in pieces:
        yield {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": piece},
        }


def _invoke_tool_use() -> Iterator[br.TypedEvent]:
    bodies: list[dict[str, Any]] = [_message_start("msg_bdrk_01SampLeCapTure7bW3tQ9xZkVn")]
    bodies += _text_block(0, TEXT_PIECES)
    bodies.append({"type": "content_block_stop", "index": 0})
    bodies.append(
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_bdrk_01SampLeToOLuSe4kD8mQ2wRy",
                "name": TOOL_NAME,
                "input": {},
            },
        }
    )
    bodies += (
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": piece},
        }
        for piece in TOOL_INPUT_PIECES
    )
    bodies.append({"type": "content_block_stop", "index": 1})
    bodies.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": OUTPUT_TOKENS},
        }
    )
    bodies.append(
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": INPUT_TOKENS,
                "outputTokenCount": OUTPUT_TOKENS,
                "invocationLatency": 1912,
                "firstByteLatency": 622,
            },
        }
    )
    return (_chunk(body) for body in bodies)


def _converse_tool_use() -> Iterator[br.TypedEvent]:
    yield br.MessageStart(role="assistant")
    # ConverseStream sends no contentBlockStart for a text block: the first delta opens it.
    for piece in TEXT_PIECES:
        yield br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=piece))
    yield br.ContentBlockStop(content_block_index=0)
    yield br.ContentBlockStart(
        content_block_index=1,
        start=br.ToolUseStart(
            tool_use_id="tooluse_SampLeCapTureQx7Rt2", name=TOOL_NAME, type="tool_use"
        ),
    )
    for piece in TOOL_INPUT_PIECES:
        yield br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input=piece))
    yield br.ContentBlockStop(content_block_index=1)
    yield br.MessageStop(stop_reason="tool_use")
    yield br.Metadata(
        usage=br.Usage(
            input_tokens=INPUT_TOKENS,
            output_tokens=OUTPUT_TOKENS,
            total_tokens=INPUT_TOKENS + OUTPUT_TOKENS,
        ),
        metrics=br.Metrics(latency_ms=1890),
    )


def _invoke_stream_error() -> Iterator[br.TypedEvent]:
    bodies = [_message_start("msg_bdrk_01SampLeCapTureErr0rQ5hJ2")]
    bodies += _text_block(0, ("Here is a short poem", " about the sea:\n\n", "Grey waves fold"))
    yield from (_chunk(body) for body in bodies)
    # Bedrock ends a stream it cannot finish with an exception frame, not an HTTP status.
    yield br.ThrottlingException("Too many tokens, please wait before trying again.")


_BUILDERS = {
    "claude_invoke_tool_use": _invoke_tool_use,
    "converse_tool_use": _converse_tool_use,
    "claude_invoke_stream_error": _invoke_stream_error,
}


def build(name: str) -> bytes:
    """Return the bytes of sample ``name``, built from scratch."""
    frames = []
    for index, event in enumerate(_BUILDERS[name]()):
        padding: bool | str = _padding(index) if isinstance(event, br.BedrockEvent) else False
        frames.append(br.encode_event(event, padding=padding).encode())
    return b"".join(frames)


def main(argv: Sequence[str] | None = None) -> int:
    """Write every sample next to this script, or with ``--check`` compare them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a shipped sample differs from the build"
    )
    args = parser.parse_args(argv)
    stale = []
    for name, sample in SAMPLES.items():
        path = HERE / sample.filename
        data = build(name)
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.name}: {len(data)} bytes")
    if stale:
        print(f"stale samples: {', '.join(stale)}; run make_sample.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
