"""docs/testing.md: its fault table is what the clients do, its examples run.

Every row of the table is one fault spec, sent in the ``x-eventstream-fault`` header to one
:class:`eventstream.mock.MockServer` serving its default script on ConverseStream; boto3,
aiobotocore (both in standard retry mode, two attempts) and httpx read with
``eventstream.bedrock.events`` call it, and each cell says what the client saw. The events a
client received before its error are checked to be the clean stream's first ones, intact;
the journal must hold each fault as applied. Regenerate the table with
``.venv/bin/python -m tests.test_testing_docs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventstream import bedrock as br
from eventstream import mock
from tests.markdown import python_blocks, table_after

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")
httpx = pytest.importorskip("httpx")
aiobotocore_session = pytest.importorskip("aiobotocore.session")
botocore_config = pytest.importorskip("botocore.config")
standard = pytest.importorskip("botocore.retries.standard")

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
MARKER = "<!-- faults: tests/test_testing_docs.py"
#: Read timeout of every client: what a stall for ever runs into.
READ_TIMEOUT = 0.5
ATTEMPTS = 2
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}

#: The faults of the table, in its order (``""``: none).
SPECS = [
    "",
    "exception=throttlingException@3",
    "exception=modelStreamErrorException@3,original-status=529,original-message=Overloaded",
    "exception=internalServerException@0",
    "exception=modelTimeoutException@3",
    "error-frame@3",
    "http=429",
    "http=400,type=ValidationException,message=Malformed input request",
    "http=503,type=",
    "http=502,type=,body=<html>Bad Gateway</html>",
    "body=json",
    "body=html",
    "body=sse",
    "cut@3:10",
    "disconnect@3",
    "disconnect@0",
    "corrupt=prelude-crc@3",
    "corrupt=message-crc@3",
    "corrupt=length@3",
    "fragment=bytes",
    "fragment=random,seed=7",
    "stall=0.2@3",
    "stall=forever@3",
    "unknown-event@3",
    "violation=duplicate-start",
    "violation=delta-before-start",
    "violation=missing-stop",
]


# --- what each client sees ------------------------------------------------------------------


def _error_text(error: BaseException) -> str:
    """A client's error as the table writes it: the class, and a ClientError's code."""
    name = type(error).__name__
    if isinstance(error, botocore_exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        return name if code == name else f"{name}({code or 'no code'})"
    return name


def _events(count: int, then: str) -> str:
    return f"{count} event{'s' * (count != 1)}, then {then}"


def _config() -> Any:
    return botocore_config.Config(
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        read_timeout=READ_TIMEOUT,
        connect_timeout=5,
    )


def _boto3(url: str, spec: str) -> tuple[str, list[Any]]:
    client = boto3.client("bedrock-runtime", endpoint_url=url, config=_config(), **CREDENTIALS)
    received: list[Any] = []
    try:
        with mock.fault_header(client, spec):
            try:
                response = client.converse_stream(modelId="m", messages=[])
            except Exception as exc:
                return f"{_error_text(exc)} from the call", received
            stream = response["stream"]
            try:
                for event in stream:
                    received.append(event)
            except Exception as exc:
                return _events(len(received), _error_text(exc)), received
            finally:
                stream.close()
    finally:
        client.close()
    return _events(len(received), "the end"), received


async def _aiobotocore_all(url: str, specs: list[str]) -> dict[str, tuple[str, list[Any]]]:
    outcomes: dict[str, tuple[str, list[Any]]] = {}
    session = aiobotocore_session.get_session()
    for spec in specs:
        # A client per row: one whose connection broke must not serve the next row.
        async with session.create_client(
            "bedrock-runtime", endpoint_url=url, config=_config(), **CREDENTIALS
        ) as client:
            outcomes[spec] = await _aiobotocore(client, spec)
    return outcomes


async def _aiobotocore(client: Any, spec: str) -> tuple[str, list[Any]]:
    received: list[Any] = []
    with mock.fault_header(client, spec):
        try:
            response = await client.converse_stream(modelId="m", messages=[])
        except Exception as exc:
            return f"{_error_text(exc)} from the call", received
        stream = response["stream"]
        try:
            async for event in stream:
                received.append(event)
        except Exception as exc:
            return _events(len(received), _error_text(exc)), received
        finally:
            stream.close()
    return _events(len(received), "the end"), received


def _httpx(url: str, spec: str) -> tuple[str, list[Any]]:
    received: list[Any] = []
    headers = {mock.FAULT_HEADER: spec} if spec else {}
    with (
        httpx.Client(base_url=url, timeout=httpx.Timeout(5.0, read=READ_TIMEOUT)) as client,
        client.stream("POST", "/model/m/converse-stream", content=b"{}", headers=headers) as r,
    ):
        if r.status_code != 200:
            error = br.error_from_response(r.status_code, r.headers.items(), r.read())
            return f"HTTP {r.status_code}: {type(error).__name__}", received
        try:
            for event in br.events(r.iter_bytes(), "converse"):
                received.append(event)
        except Exception as exc:
            return _events(len(received), type(exc).__name__), received
    # The end of the body is not the end of the answer: reassembly says whether it is.
    whole = "complete" if br.reassemble(received).complete else "incomplete"
    return _events(len(received), f"the end ({whole})"), received


def _sent(spec: str) -> str:
    """The spec as the journal writes it (each fault's canonical form)."""
    return mock.format_faults(mock.parse_faults(spec))


def _attempts(journal: mock.Journal, spec: str, after: int, outcome: str) -> list[Any]:
    """The journal's records of the requests made for ``spec`` since request ``after``.

    A response is journaled when it ends, so wait for the first; a retry happens before the
    call returns, so only an error from the call can have more, journaled a moment later.
    """

    def mine(record: dict[str, Any]) -> bool:
        return record["faults"] == _sent(spec) and (record["request"] or 0) > after

    found = journal.wait(1, timeout=5, where=mine)
    if outcome.endswith("from the call"):
        with contextlib.suppress(TimeoutError):
            found = journal.wait(ATTEMPTS, timeout=0.3, where=mine)
    return found


def _last(journal: mock.Journal) -> int:
    return max((r["request"] or 0 for r in journal.records()), default=0)


def observe(url: str, journal: mock.Journal) -> dict[str, dict[str, Any]]:
    """Every spec run by the three clients: the table's cells, and what each received."""
    observed: dict[str, dict[str, Any]] = {spec: {} for spec in SPECS}
    with _no_backoff():
        for spec in SPECS:
            after = _last(journal)
            observed[spec]["boto3"] = _boto3(url, spec)
            attempts = _attempts(journal, spec, after, observed[spec]["boto3"][0])
            observed[spec]["boto3 retried"] = "yes" if len(attempts) > 1 else "no"
        after = _last(journal)
        by_spec = asyncio.run(asyncio.wait_for(_aiobotocore_all(url, SPECS), 60))
        for spec in SPECS:
            observed[spec]["aiobotocore"] = by_spec[spec]
            attempts = _attempts(journal, spec, after, by_spec[spec][0])
            observed[spec]["aiobotocore retried"] = "yes" if len(attempts) > 1 else "no"
            observed[spec]["journal"] = attempts[0]
    for spec in SPECS:
        observed[spec]["httpx"] = _httpx(url, spec)
    return observed


@contextlib.contextmanager
def _no_backoff() -> Iterator[None]:
    original = standard.ExponentialBackoff.delay_amount
    standard.ExponentialBackoff.delay_amount = lambda self, context: 0  # type: ignore[method-assign]
    try:
        yield
    finally:
        standard.ExponentialBackoff.delay_amount = original  # type: ignore[method-assign]


def rows(observed: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The table's rows, as the page writes them."""
    return [
        [
            f"`{spec}`" if spec else "(none)",
            cells["boto3"][0],
            cells["aiobotocore"][0],
            f"{cells['boto3 retried']} / {cells['aiobotocore retried']}",
            cells["httpx"][0],
        ]
        for spec, cells in observed.items()
    ]


def table(observed: dict[str, dict[str, Any]]) -> str:
    """The table in Markdown."""
    head = [
        "| fault (`x-eventstream-fault`) | boto3 | aiobotocore | retried (boto3 / aiobotocore) "
        "| `bedrock.events` over httpx |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + ["| " + " | ".join(row) + " |" for row in rows(observed)])


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def observed() -> Iterator[dict[str, dict[str, Any]]]:
    with mock.serve(seed=13) as server:
        yield observe(server.url, server.journal)


def test_every_row_is_a_spec_the_table_runs() -> None:
    names = [row[0] for row in table_after(DOC.read_text(), MARKER)]
    assert names == [f"`{spec}`" if spec else "(none)" for spec in SPECS]
    kinds = {fault.kind for spec in SPECS for fault in mock.parse_faults(spec)}
    assert kinds == set(mock.FAULT_KINDS), "every kind of fault has a row"


def test_the_table_is_what_the_clients_do(observed: dict[str, dict[str, Any]]) -> None:
    assert table_after(DOC.read_text(), MARKER) == rows(observed)


def _boto3_shape(event: br.TypedEvent) -> dict[str, Any]:
    """What boto3 yields for ``event`` (its wire JSON without padding)."""
    payload = json.loads(br.encode_event(event, padding=False).payload)
    return {event.event_type: payload}


def test_the_events_before_each_fault_are_intact(observed: dict[str, dict[str, Any]]) -> None:
    clean = observed[""]
    assert len(clean["boto3"][1]) == 8
    for spec, cells in observed.items():
        violation = spec.startswith(("violation", "unknown-event"))
        for client in ("boto3", "aiobotocore"):
            received = cells[client][1]
            if not violation:
                assert received == clean[client][1][: len(received)], (spec, client)
        received = cells["httpx"][1]
        if not violation:
            assert received == clean["httpx"][1][: len(received)], spec
    assert [_boto3_shape(e) for e in clean["httpx"][1]] == clean["boto3"][1]


def test_every_fault_is_journaled_as_applied(observed: dict[str, dict[str, Any]]) -> None:
    for spec in SPECS[1:]:
        record = observed[spec]["journal"]
        assert record["fault_source"] == "header"
        assert [f["fault"] for f in record["injected"]] == [str(f) for f in mock.parse_faults(spec)]
        assert all(f["applied"] for f in record["injected"]), record


def _blocks() -> tuple[list[Any], list[Any]]:
    """The page's Python blocks: examples to run, and pytest test modules."""
    blocks = python_blocks(DOC.read_text())
    tests = [block for block in blocks if "def test_" in block.code]
    return [block for block in blocks if block not in tests], tests


def test_the_python_examples_run() -> None:
    examples, _ = _blocks()
    assert len(examples) == 3
    for number, block in enumerate(examples):
        namespace: dict[str, Any] = {"__name__": f"testing_md_{number}"}
        exec(block.compiled(str(DOC)), namespace)


def test_the_pytest_example_passes(pytester: pytest.Pytester) -> None:
    _, tests = _blocks()
    (block,) = tests
    pytester.makepyfile(test_from_the_docs=block.code)
    result = pytester.runpytest_subprocess("-q", "--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=block.code.count("def test_"))


def test_the_script_example_is_a_script() -> None:
    (text,) = re.findall(r"^```json\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)
    script = mock.script_from_json(json.loads(text), "docs/testing.md")
    assert script.tool_calls == (mock.ToolCall("get_weather", {"city": "Paris"}),)
    frames = script.messages("converse", mock.Timing(), random.Random(1))
    events = [br.decode_event(message, "converse") for message in frames]
    result = br.reassemble(events)
    assert result.text == "Let me look that up." and result.stop_reason == "tool_use"
    assert [t.input for t in result.tool_uses] == [{"city": "Paris"}]


if __name__ == "__main__":
    with mock.serve(seed=13) as server:
        print(table(observe(server.url, server.journal)))
    sys.exit(0)
