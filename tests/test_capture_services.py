"""The capture tools on another service's stream: typed, with their fields, and not read as a
Bedrock answer (before: ``decode --bedrock --stream agent`` printed an empty, INCOMPLETE
reassembled answer and exited 3, and the JSON records dropped the events' fields)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from eventstream import capture, cli, notebook
from eventstream.bedrock import agent
from eventstream.sagemaker import PayloadPart as SageMakerPart
from eventstream.sagemaker import encode_event as sagemaker_encode

AGENT = b"".join(
    agent.encode_event(agent.PayloadPart(bytes=text)).encode() for text in (b"Hello ", b"world")
)


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_an_agent_stream_is_typed_with_its_fields_and_no_answer(tmp_path: Path) -> None:
    path = tmp_path / "agent.bin"
    path.write_bytes(AGENT)
    code, out, err = _run("decode", "--bedrock", "--stream", "agent", "--json", str(path))
    assert code == cli.EXIT_OK, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"]["class"] for r in records] == ["PayloadPart", "PayloadPart"]
    assert [r["event"]["fields"] for r in records] == [{"bytes": "SGVsbG8g"}, {"bytes": "d29ybGQ="}]
    assert not any("reassembled" in r for r in records)
    code, out, err = _run("decode", "--bedrock", "--stream", "agent", "--table", str(path))
    assert code == cli.EXIT_OK and "reassembled" not in out and "SGVsbG8g" in out


def test_decode_frames_and_the_notebook_give_no_answer_for_a_service_stream(
    tmp_path: Path,
) -> None:
    body = b"".join(sagemaker_encode(SageMakerPart(bytes=b"x" * n)).encode() for n in (3, 4))
    decoded = capture.decode_frames(capture.Body(body), bedrock=True, stream="sagemaker")
    assert decoded.reassembled is None and decoded.fault is None and len(decoded.frames) == 2
    path = tmp_path / "agent.bin"
    path.write_bytes(AGENT)
    stream = notebook.decode_capture(path, stream="agent")
    assert stream.reassembled is None and len(stream.frames) == 2
    # A Bedrock Runtime stream is still reassembled.
    assert notebook.decode_capture(AGENT, stream="invoke").reassembled is not None
