"""The framework shells, each served by its real server and read by boto3: the docs'
aiohttp and WSGI examples run; each shell answers a fault before the stream with the
modelled HTTP error and one during it with an exception frame; a client that goes away
closes the events at once; a missing framework is an ImportError that names the extra."""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

import eventstream as es
from eventstream import bedrock as br
from eventstream.gateway import aiohttp as aiohttp_shell
from eventstream.gateway import starlette as starlette_shell
from eventstream.gateway import wsgi as wsgi_shell
from tests.gateway_support import TIMEOUT, boto3_client, serve_aiohttp, serve_asgi, serve_wsgi
from tests.markdown import python_blocks

botocore_exceptions = pytest.importorskip("botocore.exceptions")

DOC = Path(__file__).resolve().parent.parent / "docs" / "gateway.md"


def _doc_block(after: str) -> dict[str, Any]:
    text = DOC.read_text()
    block = python_blocks(text[text.index(after) :])[0]
    namespace: dict[str, Any] = {}
    exec(block.compiled(str(DOC)), namespace)
    return namespace


def test_the_docs_aiohttp_example_serves_boto3() -> None:
    app = _doc_block("An aiohttp.web gateway:")["app"]
    with serve_aiohttp(app) as url:
        client = boto3_client(url)
        stream = client.converse_stream(modelId="m", messages=[])["stream"]
        events = list(stream)
        stream.close()
        client.close()
    assert events == [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hello from aiohttp"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
    ]


def test_the_docs_wsgi_example_serves_boto3() -> None:
    application = _doc_block("and a WSGI one")["application"]
    with serve_wsgi(application) as url:
        client = boto3_client(url)
        response = client.invoke_model_with_response_stream(modelId="m", body=b"{}")
        chunks = list(response["body"])
        response["body"].close()
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.converse_stream(modelId="m", messages=[])
        client.close()
    assert response["contentType"] == "application/json"
    assert chunks == [
        {"chunk": {"bytes": b'{"text":"Hello"}'}},
        {"chunk": {"bytes": b'{"text":"!"}'}},
    ]


# --- one app per shell: faults before and during the stream, and a client that leaves --------

FIRST = br.MessageStart(role="assistant")
# Large enough that a client that stops reading fills the socket buffers at once.
BIG = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="." * 60_000))


class Probe:
    """Serves events and tells whether they were closed.

    It keeps every generator it hands out, so that only an explicit close ends one: garbage
    collection would close a dropped async generator soon anyway, and hide a shell that
    forgets to.
    """

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.held: list[object] = []

    def aevents(self, model: str) -> AsyncIterator[br.TypedEvent]:
        events = self._aevents(model)
        self.held.append(events)
        return events

    def events(self, model: str) -> Iterator[br.TypedEvent]:
        events = self._events(model)
        self.held.append(events)
        return events

    async def _aevents(self, model: str) -> AsyncIterator[br.TypedEvent]:
        try:
            if model == "throttled":
                raise br.ThrottlingException("slow down")
            yield FIRST
            if model == "cut":
                raise es.TruncatedError("cut", expected=30, received=3, offset=99)
            while model == "endless":
                await asyncio.sleep(0)  # as a network read would: a task must wait somewhere
                yield BIG
        finally:
            self.closed.set()

    def _events(self, model: str) -> Iterator[br.TypedEvent]:
        try:
            if model == "throttled":
                raise br.ThrottlingException("slow down")
            yield FIRST
            if model == "cut":
                raise es.TruncatedError("cut", expected=30, received=3, offset=99)
            while model == "endless":
                yield BIG
        finally:
            self.closed.set()


def starlette_app(probe: Probe) -> AbstractContextManager[str]:
    async def handle(request: Request) -> Response:
        model = request.path_params["model"]
        return await starlette_shell.stream_response(probe.aevents(model), "converse")

    return serve_asgi(
        Starlette(routes=[Route("/model/{model}/converse-stream", handle, methods=["POST"])])
    )


def aiohttp_app(probe: Probe) -> AbstractContextManager[str]:
    async def handle(request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        return await aiohttp_shell.stream_response(request, probe.aevents(model), "converse")

    app = web.Application()
    app.router.add_post("/model/{model}/converse-stream", handle)
    return serve_aiohttp(app)


def wsgi_app(probe: Probe) -> AbstractContextManager[str]:
    def application(environ: dict[str, Any], start_response: Any) -> Any:
        model = environ["PATH_INFO"].split("/")[2]
        return wsgi_shell.stream_response(start_response, probe.events(model), "converse")

    return serve_wsgi(application)


SHELLS: dict[str, Callable[[Probe], AbstractContextManager[str]]] = {
    "starlette": starlette_app,
    "aiohttp": aiohttp_app,
    "wsgi": wsgi_app,
}


@pytest.mark.parametrize("shell", list(SHELLS))
def test_each_shell_maps_faults_and_closes_the_events_when_the_client_leaves(
    shell: str,
) -> None:
    probe = Probe()
    with SHELLS[shell](probe) as url:
        client = boto3_client(url)
        try:
            # Before the first event: the modelled HTTP error.
            with pytest.raises(client.exceptions.ThrottlingException):
                client.converse_stream(modelId="throttled", messages=[])
            # After it: the event, then the exception frame.
            stream = client.converse_stream(modelId="cut", messages=[])["stream"]
            received: list[Any] = []
            with pytest.raises(botocore_exceptions.EventStreamError) as info:
                received.extend(stream)
            stream.close()
            assert received == [{"messageStart": {"role": "assistant"}}]
            assert info.value.response["Error"]["Code"] == "internalServerException"
            # A client that reads one event and hangs up: the events are closed at once.
            probe.closed.clear()
            stream = client.converse_stream(modelId="endless", messages=[])["stream"]
            assert next(iter(stream)) == {"messageStart": {"role": "assistant"}}
            stream.close()
            assert probe.closed.wait(TIMEOUT), "the events were left open"
        finally:
            client.close()


@pytest.mark.parametrize(
    ("module", "framework"), [("starlette", "starlette"), ("aiohttp", "aiohttp")]
)
def test_a_missing_framework_names_the_extra(
    module: str, framework: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, framework, None)  # makes "import framework" fail
    for name in [n for n in sys.modules if n.startswith(f"{framework}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, f"eventstream.gateway.{module}")
    with pytest.raises(ImportError, match=rf"pip install 'eventstream\[{framework}\]'"):
        importlib.import_module(f"eventstream.gateway.{module}")


def test_the_starlette_shell_closes_the_events_when_a_send_fails() -> None:
    # Over the network above, the cancellation may land inside the events (which then close
    # themselves). Here it is the send that fails, as uvicorn's does for a client gone under
    # ASGI 2.4: only the shell can close the events then.
    probe = Probe()

    async def run() -> None:
        response = await starlette_shell.stream_response(probe.aevents("endless"), "converse")
        sent: list[str] = []

        async def send(message: Any) -> None:
            sent.append(message["type"])
            if len(sent) > 2:
                raise OSError("the client went away")

        async def receive() -> Any:
            await asyncio.sleep(TIMEOUT)

        scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
        with pytest.raises(ClientDisconnect):  # what Starlette makes of the OSError
            await response(scope, receive, send)
        # At once, with the response still alive: not later, by garbage collection.
        assert probe.closed.is_set()

    asyncio.run(run())
