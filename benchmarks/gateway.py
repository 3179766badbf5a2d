"""Benchmark the docs' gateway (docs/gateway.md) against the same gateway written with
botocore's EventStreamBuffer, json and amazon-transcribe's serializer.

    python benchmarks/gateway.py            # 200 streams x 500 events, paced and burst; memory
    python benchmarks/gateway.py --quick    # a smoke run: 4 streams x 20 events

Three processes on 127.0.0.1: an upstream (aiohttp.web) that serves ConverseStream bodies,
the gateway under test (uvicorn + Starlette + httpx: the docs' code, run as it is there),
and this driver, whose aiohttp clients read every relayed stream and check it (event count,
upper-cased text, the last event) so that a broken gateway cannot produce a fast figure.
The figure is the gateway process's own ``time.process_time()`` (asked over HTTP before and
after a run) per 100,000 relayed events. The baseline is the docs' gateway with only
``relay`` replaced: same framework, same HTTP client, same per-read timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvicorn
from aiohttp import web
from amazon_transcribe.eventstream import EventStreamMessageSerializer
from botocore.eventstream import EventStreamBuffer
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from eventstream import Decoder
from eventstream import bedrock as br

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "gateway.md"
#: Seconds between two events of one stream in the paced runs (a fast model's tokens).
PACE = 0.005
#: How long an idle stream stays open, at most.
IDLE_HOLD = 30.0
#: The gateways measured: the docs' and the baseline, each a chunk per event or per read.
KINDS = ("ours", "botocore", "ours-per-read", "botocore-per-read")
WORDS = ("Hello", " world", ",", " the", " quick brown", " fox", " jumps", " over", "!\n")


# --- the upstream ---------------------------------------------------------------------------


def converse_body(deltas: int) -> list[bytes]:
    """The frames of one ConverseStream: start, ``deltas`` text deltas, stop, metadata."""
    events: list[br.TypedEvent] = [br.MessageStart(role="assistant")]
    events += [
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=WORDS[i % len(WORDS)]))
        for i in range(deltas)
    ]
    events += [
        br.ContentBlockStop(content_block_index=0),
        br.MessageStop(stop_reason="end_turn"),
        br.Metadata(
            usage=br.Usage(input_tokens=10, output_tokens=deltas, total_tokens=10 + deltas),
            metrics=br.Metrics(latency_ms=100),
        ),
    ]
    return [br.encode_event(event).encode() for event in events]


def run_upstream(port_file: str) -> None:
    """Serve ``/model/{mode}-{deltas}/converse-stream``: mode ``paced`` (one event per
    :data:`PACE`), ``burst`` (the whole body in one write) or ``idle`` (the first event,
    then nothing for :data:`IDLE_HOLD` s)."""
    bodies: dict[int, list[bytes]] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        mode, _, count = request.match_info["model"].partition("-")
        frames = bodies.setdefault(int(count), converse_body(int(count)))
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/vnd.amazon.eventstream",
                "x-amzn-RequestId": "upstream",
            }
        )
        await response.prepare(request)
        try:
            if mode == "burst":
                await response.write(b"".join(frames))
            elif mode == "paced":
                for frame in frames:
                    await response.write(frame)
                    await asyncio.sleep(PACE)
            else:
                await response.write(frames[0])
                await asyncio.sleep(IDLE_HOLD)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the gateway hung up (the idle streams end that way)
        return response

    app = web.Application()
    app.router.add_post("/model/{model}/converse-stream", handle)
    _serve_aiohttp(app, port_file)


def _serve_aiohttp(app: Any, port_file: str) -> None:
    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        Path(port_file).write_text(str(port))
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the two gateways -----------------------------------------------------------------------


def docs_gateway_namespace() -> dict[str, Any]:
    """The names the docs' complete gateway defines, from running its code block."""
    text = DOC.read_text()
    code = re.search(r"^```python\n(.*?)^```", text[text.index("## A complete gateway") :],
                     re.DOTALL | re.MULTILINE)  # fmt: skip
    assert code is not None
    namespace: dict[str, Any] = {"__name__": "docs_gateway"}
    exec(compile(code[1], str(DOC), "exec"), namespace)
    return namespace


async def timed(chunks: AsyncIterator[bytes], idle_timeout: float) -> AsyncIterator[bytes]:
    """``chunks``, each awaited for at most ``idle_timeout`` seconds: how a botocore-based
    relay bounds its reads (botocore's EventStream has no timeout of its own)."""
    while True:
        try:
            yield await asyncio.wait_for(anext(chunks), idle_timeout)
        except StopAsyncIteration:
            return


def botocore_relay(namespace: dict[str, Any], per_read: bool) -> Any:
    """The docs' ``relay`` written with botocore's buffer, json and transcribe's serializer;
    ``per_read`` joins the frames of each read into one chunk, as ``relay_per_read`` does."""

    async def relay(upstream: Any, stream: str, idle_timeout: float) -> AsyncIterator[bytes]:
        buffer = EventStreamBuffer()
        serializer = EventStreamMessageSerializer()
        try:
            async for chunk in timed(upstream.aiter_bytes(), idle_timeout):
                buffer.add_data(chunk)
                out = []
                for message in buffer:
                    event_type = message.headers[":event-type"]
                    body = json.loads(message.payload)
                    delta = body.get("delta")
                    if event_type == "contentBlockDelta" and "text" in delta:
                        delta["text"] = delta["text"].upper()
                    headers = {
                        ":event-type": event_type,
                        ":content-type": "application/json",
                        ":message-type": "event",
                    }
                    payload = json.dumps(body, separators=(",", ":"), sort_keys=True)
                    frame = serializer.serialize(headers, payload.encode())
                    if per_read:
                        out.append(frame)
                    else:
                        yield frame
                if out:
                    yield b"".join(out)
        finally:
            await upstream.aclose()

    return relay


def baseline_stream_response(namespace: dict[str, Any]) -> Any:
    """``stream_response`` for the baseline: its relay yields bytes, sent as they come."""

    async def stream_response(chunks: AsyncIterator[bytes], stream: str, **headers: Any) -> Any:
        return StreamingResponse(
            chunks,
            headers={
                "Content-Type": "application/vnd.amazon.eventstream",
                "x-amzn-RequestId": headers.get("request_id") or "baseline",
            },
        )

    return stream_response


def run_gateway(kind: str, upstream_url: str, port_file: str) -> None:
    """Serve the docs' gateway (``ours``) or the baseline (``botocore``), a chunk per event
    or (``-per-read``) per upstream read, with uvicorn, plus ``GET /__stats``: this
    process's CPU seconds and resident memory."""
    namespace = docs_gateway_namespace()
    per_read = kind.endswith("per-read")
    if kind.startswith("botocore"):
        namespace["relay"] = namespace["relay_per_read"] = botocore_relay(namespace, per_read)
        namespace["stream_response"] = baseline_stream_response(namespace)
    app = namespace["gateway"](upstream_url, idle_timeout=IDLE_HOLD * 2, per_read=per_read)

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse({"cpu": time.process_time(), "rss": _rss_bytes()})

    app.router.routes.insert(0, Route("/__stats", stats))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, backlog=1024
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        Path(port_file).write_text(str(port))
        await task

    asyncio.run(main())


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- the driver -----------------------------------------------------------------------------


@contextlib.contextmanager
def process(*args: str) -> Iterator[str]:
    """Run ``python benchmarks/gateway.py *args --port-file F``; yield its URL; stop it."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, __file__, *args, "--port-file", str(port_file)], env=env
        )
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} did not start")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port_file.read_text()}"
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)


@dataclass
class Run:
    """One measured run: events relayed, the gateway's CPU seconds, wall seconds."""

    events: int
    cpu: float
    wall: float

    @property
    def per_100k(self) -> float:
        return self.cpu / self.events * 100_000


async def _stats(session: Any, url: str) -> dict[str, float]:
    async with session.get(f"{url}/__stats") as response:
        result: dict[str, float] = await response.json()
        return result


async def _read_stream(session: Any, url: str, model: str, deltas: int) -> int:
    """Read one relayed stream whole; check it; return its event count."""
    decoder = Decoder()
    messages = []
    async with session.post(f"{url}/model/{model}/converse-stream", data=b"{}") as response:
        assert response.status == 200, response.status
        async for chunk in response.content.iter_any():
            messages += decoder.feed(chunk)
    decoder.close()
    assert len(messages) == deltas + 4, f"{len(messages)} events, expected {deltas + 4}"
    assert messages[-1].headers[":event-type"] == "metadata"
    text = json.loads(messages[1].payload)["delta"]["text"]
    assert text == WORDS[0].upper(), text
    return len(messages)


async def measure(url: str, mode: str, streams: int, deltas: int) -> Run:
    """Relay ``streams`` concurrent streams of ``deltas`` text deltas each through ``url``."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await _read_stream(session, url, f"{mode}-{deltas}", deltas)  # warm up
        before = await _stats(session, url)
        start = time.perf_counter()
        counts = await asyncio.gather(
            *(_read_stream(session, url, f"{mode}-{deltas}", deltas) for _ in range(streams))
        )
        wall = time.perf_counter() - start
        after = await _stats(session, url)
    return Run(sum(counts), after["cpu"] - before["cpu"], wall)


async def measure_idle(url: str, streams: int) -> float:
    """Resident bytes the gateway holds per open stream that is waiting for its upstream."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm the allocator and the connection pools first, with streams that finish.
        await asyncio.gather(*(_read_stream(session, url, "burst-10", 10) for _ in range(20)))
        before = (await _stats(session, url))["rss"]
        responses = []
        for _ in range(streams):
            response = await session.post(f"{url}/model/idle-10/converse-stream", data=b"{}")
            await response.content.readexactly(1)  # the first event is through: open, idle
            responses.append(response)
        await asyncio.sleep(0.5)
        after = (await _stats(session, url))["rss"]
        for response in responses:
            response.close()
    return (after - before) / streams


def upstream_of(chunks: list[bytes]) -> httpx.Response:
    """An httpx response whose body is ``chunks`` already in memory, read as they are."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return httpx.Response(200, content=body())


def measure_core(kind: str, chunks: list[bytes], repeat: int) -> float:
    """CPU seconds per 100,000 events of one relay alone (no HTTP): decode, transform,
    encode, over ``chunks`` as the upstream's reads; the best of ``repeat`` runs."""
    namespace = docs_gateway_namespace()
    per_read = kind.endswith("per-read")
    if kind.startswith("botocore"):
        relay = botocore_relay(namespace, per_read)
    else:
        relay = namespace["relay_per_read" if per_read else "relay"]

    async def run() -> int:
        body = relay(upstream_of(chunks), "converse", 60.0)
        if not kind.startswith("botocore"):
            body = br.aencode_stream(body)
        return len(Decoder().feed(b"".join([chunk async for chunk in body])))

    events = asyncio.run(run())
    assert events == len(Decoder().feed(b"".join(chunks))), kind
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        asyncio.run(run())
        best = min(best, time.process_time() - start)
    return best / events * 100_000


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run on tiny inputs")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--deltas", type=int, default=496, help="text deltas per stream")
    parser.add_argument("--upstream", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--gateway", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--upstream-url", help=argparse.SUPPRESS)
    parser.add_argument("--port-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream:
        run_upstream(args.port_file)
        return
    if args.gateway:
        run_gateway(args.gateway, args.upstream_url, args.port_file)
        return
    streams, deltas = (4, 16) if args.quick else (args.streams, args.deltas)
    print(f"# Gateway benchmark: {streams} concurrent streams x {deltas + 4} events\n")
    print(f"CPython {platform.python_version()}, {os.cpu_count()} CPUs; load {_load()} at start\n")
    frames = converse_body(deltas)
    body = b"".join(frames)
    reads = {"paced": frames, "burst": [body[i : i + 65536] for i in range(0, len(body), 65536)]}
    print("Relays alone, in this process (no HTTP): CPU s per 100k events, best of 5\n")
    print(f"| upstream reads | {' | '.join(KINDS)} | botocore / ours |")
    print(f"|---|{'---|' * len(KINDS)}---|")
    for mode, chunks in reads.items():
        core = {kind: measure_core(kind, chunks * (2000 // deltas or 1), 5) for kind in KINDS}
        cells = " | ".join(f"{core[kind]:.2f}" for kind in KINDS)
        print(f"| {mode} | {cells} | {core['botocore'] / core['ours']:.2f}x |")
    print()
    results: dict[tuple[str, str], Run] = {}
    idle: dict[str, float] = {}
    with process("--upstream") as upstream_url:
        for kind in KINDS:
            with process("--gateway", kind, "--upstream-url", upstream_url) as url:
                for mode in ("paced", "burst"):
                    results[kind, mode] = asyncio.run(measure(url, mode, streams, deltas))
        for kind in KINDS[:2]:
            with process("--gateway", kind, "--upstream-url", upstream_url) as url:
                idle[kind] = asyncio.run(measure_idle(url, streams))
    print("| gateway | upstream | events | gateway CPU s | CPU s / 100k events | wall s |")
    print("|---|---|---|---|---|---|")
    for mode in ("paced", "burst"):
        for kind in KINDS:
            run = results[kind, mode]
            print(f"| {kind} | {mode} | {run.events:,} | {run.cpu:.2f} | {run.per_100k:.2f} "
                  f"| {run.wall:.1f} |")  # fmt: skip
    print("\n| upstream | botocore / ours | botocore / ours-per-read | botocore-per-read / "
          "ours-per-read |\n|---|---|---|---|")  # fmt: skip
    for mode in ("paced", "burst"):
        per = {kind: results[kind, mode].per_100k for kind in KINDS}
        print(f"| {mode} | {per['botocore'] / per['ours']:.2f}x "
              f"| {per['botocore'] / per['ours-per-read']:.2f}x "
              f"| {per['botocore-per-read'] / per['ours-per-read']:.2f}x |")  # fmt: skip
    print("\n| gateway | resident memory per idle open stream |\n|---|---|")
    for kind, per_stream in idle.items():
        print(f"| {kind} | {per_stream / 1024:.1f} KiB |")
    print(f"\nload {_load()} at the end")


if __name__ == "__main__":
    main()
