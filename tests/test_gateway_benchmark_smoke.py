"""benchmarks/gateway.py on a tiny input, in process: the baseline relay (botocore's buffer,
json, amazon-transcribe's serializer) and the docs' relays send the same events, so the
benchmark compares gateways that do the same work. No timings are asserted."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br

pytest.importorskip("botocore.eventstream")
pytest.importorskip("amazon_transcribe.eventstream")

GATEWAY_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "gateway.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eventstream_benchmarks_gateway", GATEWAY_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _comparable(body: bytes) -> list[tuple[Any, ...]]:
    """Each event's headers and JSON payload, without Bedrock's random padding."""
    result = []
    for message in es.Decoder().feed(body):
        payload = json.loads(message.payload)
        payload.pop("p", None)
        result.append((tuple(message.headers.items()), payload))
    return result


@pytest.mark.parametrize("read_size", [7, 4096, 1 << 20])
def test_every_relay_sends_the_same_events(bench: ModuleType, read_size: int) -> None:
    body = b"".join(bench.converse_body(40))
    chunks = [body[i : i + read_size] for i in range(0, len(body), read_size)]
    namespace = bench.docs_gateway_namespace()

    async def relayed(kind: str) -> tuple[list[bytes], bool]:
        upstream = bench.upstream_of(chunks)
        if kind.startswith("botocore"):
            relay = bench.botocore_relay(namespace, kind.endswith("per-read"))
            out = [chunk async for chunk in relay(upstream, "converse", 5.0)]
        else:
            relay = namespace["relay_per_read" if kind.endswith("per-read") else "relay"]
            out = [c async for c in br.aencode_stream(relay(upstream, "converse", 5.0))]
        return out, upstream.is_closed

    results = {kind: asyncio.run(relayed(kind)) for kind in bench.KINDS}
    expected = _comparable(body)
    for _, payload in expected:
        if "delta" in payload:
            payload["delta"]["text"] = payload["delta"]["text"].upper()
    for kind, (out, closed) in results.items():
        assert _comparable(b"".join(out)) == expected, kind
        assert closed, kind
    # Per event: a chunk per frame; per read: no more chunks than reads.
    assert len(results["ours"][0]) == len(results["botocore"][0]) == len(expected)
    assert len(results["ours-per-read"][0]) == len(results["botocore-per-read"][0])
    assert len(results["ours-per-read"][0]) <= len(chunks)


def test_the_in_process_measure_runs(bench: ModuleType) -> None:
    frames = bench.converse_body(8)
    for kind in bench.KINDS:
        assert bench.measure_core(kind, frames, 1) > 0
