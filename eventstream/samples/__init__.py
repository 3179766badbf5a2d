"""Sample captures that ship with eventstream, for the CLI, the docs and the notebook.

They are synthetic, not recorded: ``make_sample.py`` builds them with the project's own
encoder, shaped like real Bedrock streams (event order, headers, ``"p"`` padding). A test
checks the shipped files equal what the script builds, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from .._errors import ConfigurationError

__all__ = ["Sample", "SAMPLES", "DEFAULT_SAMPLE", "sample_bytes"]


@dataclass(frozen=True)
class Sample:
    """One bundled capture: its file name stem, its Bedrock stream and what it shows."""

    name: str
    stream: str
    description: str

    @property
    def filename(self) -> str:
        return f"{self.name}.bin"


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample(
            "claude_invoke_tool_use",
            "invoke",
            "InvokeModelWithResponseStream, Claude Sonnet 4.5: a text block, then a get_weather "
            "tool call (stop_reason tool_use), usage and invocation metrics",
        ),
        Sample(
            "converse_tool_use",
            "converse",
            "ConverseStream, the same answer: text, a toolUse block, messageStop tool_use, "
            "metadata with usage and latency",
        ),
        Sample(
            "claude_invoke_stream_error",
            "invoke",
            "InvokeModelWithResponseStream, Claude Sonnet 4.5, cut by a throttlingException "
            "frame mid-answer (no message_stop)",
        ),
    )
}

#: The sample ``eventstream decode --sample`` decodes when none is named.
DEFAULT_SAMPLE = "claude_invoke_tool_use"


def sample_bytes(name: str = DEFAULT_SAMPLE) -> bytes:
    """Return the bytes of a bundled sample; ``ValueError`` for another name lists them."""
    # ValueError, not KeyError: a bad argument, and KeyError's str() would quote the message.
    if name not in SAMPLES:
        raise ConfigurationError(f"no sample {name!r}; the samples are {', '.join(SAMPLES)}")
    return resources.files(__name__).joinpath(SAMPLES[name].filename).read_bytes()
