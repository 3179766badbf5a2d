"""Translate Bedrock streams to and from the Anthropic Messages and OpenAI chat-completion
stream formats, one event at a time (no buffering of the stream), both directions.

* :class:`BedrockToAnthropic` / :class:`AnthropicToBedrock`: Converse events (or Invoke
  chunks of any model family, through :class:`InvokeChunks`) ↔ Anthropic's SSE events.
* :class:`BedrockToOpenAI` / :class:`OpenAIToBedrock`: the same ↔ ``chat.completion.chunk``.
* :data:`ERRORS` and :data:`STOP_REASONS`: the one table of each, used both ways, and the
  functions that read them (:func:`anthropic_error_response`, :func:`from_anthropic_error`,
  ...). ``docs/translate.md`` prints both, and says what each direction cannot carry.
"""

from ._anthropic import (
    AnthropicToBedrock,
    BedrockToAnthropic,
    InvokeChunks,
    anthropic_citation,
    anthropic_counts,
    converse_citation,
    from_anthropic,
    to_anthropic,
)
from ._http import SSE_HEADERS, anthropic_error_response, openai_error_response
from ._openai import BedrockToOpenAI, OpenAIToBedrock, from_openai, to_openai
from ._tables import (
    ANTHROPIC_ONLY_ERRORS,
    ERRORS,
    STOP_REASONS,
    ErrorPair,
    StopPair,
    TranslateError,
    anthropic_error,
    from_anthropic_error,
    from_openai_error,
    in_stream,
    openai_error,
    stop_from_anthropic,
    stop_from_openai,
    stop_to_anthropic,
    stop_to_openai,
)

__all__ = [
    # streams
    "BedrockToAnthropic",
    "AnthropicToBedrock",
    "BedrockToOpenAI",
    "OpenAIToBedrock",
    "to_anthropic",
    "from_anthropic",
    "to_openai",
    "from_openai",
    "InvokeChunks",
    "anthropic_counts",
    "SSE_HEADERS",
    # errors
    "ERRORS",
    "ErrorPair",
    "ANTHROPIC_ONLY_ERRORS",
    "anthropic_error",
    "openai_error",
    "anthropic_error_response",
    "openai_error_response",
    "from_anthropic_error",
    "from_openai_error",
    "in_stream",
    "TranslateError",
    # stop reasons
    "STOP_REASONS",
    "StopPair",
    "stop_to_anthropic",
    "stop_to_openai",
    "stop_from_anthropic",
    "stop_from_openai",
    # citations
    "anthropic_citation",
    "converse_citation",
]
