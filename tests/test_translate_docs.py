"""docs/translate.md: its tables are the code's, and its examples run (the gateway served by
uvicorn and read by the anthropic SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream import bedrock as br
from eventstream import samples
from eventstream import translate as tr
from tests.gateway_support import serve_asgi
from tests.markdown import python_blocks, table_after
from tests.test_translate_support import anthropic_view, sdk_anthropic_view

DOC = Path(__file__).resolve().parent.parent / "docs" / "translate.md"
TEXT = DOC.read_text()


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def test_the_error_table_is_errors() -> None:
    rows = table_after(TEXT, "<!-- generated from eventstream.translate.ERRORS")
    assert rows == [
        [
            f"`{row.bedrock}`",
            str(br.HTTP_ERRORS[row.bedrock].status_code),
            _yes(br.HTTP_ERRORS[row.bedrock].retryable),
            str(row.anthropic_status),
            f"`{row.anthropic_type}`",
            str(row.openai_status),
            f"`{row.openai_type}`",
            _yes(row.back),
        ]
        for row in tr.ERRORS
    ]


def test_the_stop_reason_table_is_stop_reasons() -> None:
    rows = table_after(TEXT, "<!-- generated from eventstream.translate.STOP_REASONS")
    assert rows == [
        [f"`{row.converse}`", f"`{row.anthropic}`", f"`{row.openai}`", _yes(row.openai_back)]
        for row in tr.STOP_REASONS
    ]


@pytest.fixture(scope="module")
def namespace() -> dict[str, Any]:
    names: dict[str, Any] = {"__name__": "translate_docs"}
    for block in python_blocks(TEXT):
        exec(block.compiled(str(DOC)), names)
    return names


def test_the_examples_run(namespace: dict[str, Any]) -> None:
    assert namespace["answer"].complete
    assert br.reassemble(br.events(namespace["body"], stream="converse")).complete


def test_the_gateway_serves_the_anthropic_sdk(namespace: dict[str, Any]) -> None:
    anthropic = pytest.importorskip("anthropic")
    upstream = samples.sample_bytes("claude_invoke_tool_use")
    with (
        serve_asgi(namespace["messages_app"](upstream)) as url,
        anthropic.Anthropic(base_url=url, api_key="k", max_retries=0) as client,
    ):
        with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            message = stream.get_final_message()
        expected = br.reassemble(br.events(upstream, stream="invoke"))
        assert sdk_anthropic_view(message) == anthropic_view(expected, sdk=True)
        # An error before the stream is the SDK's class for its status.
        throttled = br.encode_event(br.ThrottlingException("slow down")).encode()
    with (
        serve_asgi(namespace["messages_app"](throttled)) as url,
        anthropic.Anthropic(base_url=url, api_key="k", max_retries=0) as client,
        pytest.raises(anthropic.RateLimitError),
    ):
        client.messages.create(model="m", max_tokens=8, messages=[], stream=True)
