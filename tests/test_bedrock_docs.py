"""docs/bedrock.md: its tables match the code's tables, and its gateway example runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventstream import bedrock as br
from tests.fake_bedrock import FakeBedrock, boto3_client
from tests.markdown import python_blocks, table_after

DOC = Path(__file__).resolve().parent.parent / "docs" / "bedrock.md"


def _table(marker: str) -> list[list[str]]:
    return table_after(DOC.read_text(), marker)


def test_union_table_is_the_stream_table() -> None:
    all_six = set(br.STREAMS["invoke"].exceptions)
    expected = []
    for stream in br.STREAMS.values():
        events = ", ".join(f"`{c.event_type}` → `{c.__name__}`" for c in stream.events)
        missing = all_six - set(stream.exceptions)
        if not stream.exceptions:
            exceptions = "none"
        elif not missing:
            exceptions = "all six"
        else:
            exceptions = "all but " + ", ".join(f"`{c.exception_type}`" for c in missing)
        expected.append(
            [f"`{stream.name}`", f"`{stream.shape}`", stream.operation, events, exceptions]
        )
    assert _table("<!-- generated from eventstream.bedrock.STREAMS") == expected


def test_exception_table_is_the_classes() -> None:
    expected = []
    for cls in br.STREAMS["invoke"].exceptions:
        fields = ["message", *(key for _, key, _ in cls._fields)]
        expected.append(
            [
                f"`{cls.exception_type}`",
                f"`{cls.__name__}`",
                str(cls.status_code),
                "yes" if cls.retryable else "no",
                ", ".join(f"`{f}`" for f in fields),
            ]
        )
    assert _table("<!-- generated from the exception classes") == expected


def _gateway_code() -> str:
    text = DOC.read_text()
    blocks = python_blocks(text[text.index("## A minimal gateway") :])
    assert blocks
    return blocks[0].code


def test_gateway_example_relays_a_stream_that_boto3_reads() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_gateway_code(), str(DOC), "exec"), namespace)
    upstream = b"".join(
        br.encode_event(e).encode()
        for e in [
            br.MessageStart(role="assistant"),
            br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="hello")),
            br.ThrottlingException("Too many requests"),
        ]
    )
    # The upstream arrives in awkward pieces, as network reads do.
    pieces = [upstream[i : i + 13] for i in range(0, len(upstream), 13)]
    relayed = b"".join(namespace["relay"](pieces))
    assert list(br.events([relayed], "converse", raise_exceptions=False)) == [
        br.MessageStart(role="assistant"),
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="HELLO")),
        br.ThrottlingException("Too many requests"),
    ]
    # And the relayed stream is one boto3 accepts, exception included.
    with FakeBedrock() as fake:
        fake.streams["m"] = relayed
        client: Any = boto3_client(fake.url)
        stream = client.converse_stream(modelId="m", messages=[])["stream"]
        received = []
        try:
            for event in stream:
                received.append(event)
        except Exception as exc:  # botocore's EventStreamError
            code = exc.response["Error"]["Code"]  # type: ignore[attr-defined]
        finally:
            stream.close()
    assert received[1] == {
        "contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "HELLO"}}
    }
    assert code == "throttlingException"
