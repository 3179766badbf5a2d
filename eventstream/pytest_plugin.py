"""The pytest plugin (entry point ``pytest11``: ``eventstream``): Bedrock servers as fixtures.

* ``bedrock_server``: a fresh :class:`eventstream.mock.MockServer` for each test;
* ``bedrock_server_session``: one server for the whole session, with the faults and the
  journal reset for each test.

Both read the test's markers: ``@pytest.mark.bedrock_faults("exception=throttlingException@2")``
sets the faults of every request (a request's ``x-eventstream-fault`` header still wins), and
``@pytest.mark.bedrock_server(captures=[...], script=Script(...), timing=Timing(...),
seed=7)`` configures a per-test server. ``server.journal`` holds what was served; its file is
``journal.jsonl`` in the test's ``tmp_path`` (per-test server). Installed with
``pip install 'eventstream[testing]'``; outside pytest use :func:`eventstream.mock.serve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .mock import Fault, MockServer

__all__ = ["bedrock_server", "bedrock_server_session"]

_OPTIONS = ("captures", "script", "timing", "seed", "idle_timeout")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers (so ``--strict-markers`` accepts them)."""
    config.addinivalue_line(
        "markers",
        "bedrock_faults(spec): faults the bedrock_server fixtures inject into every request "
        "of the test (a fault spec, or eventstream.mock.Fault values)",
    )
    config.addinivalue_line(
        "markers",
        "bedrock_server(**options): options of the test's own bedrock_server "
        "(captures, script, timing, seed, idle_timeout)",
    )


def _faults(node: pytest.Item) -> str | tuple[Fault, ...] | None:
    marker = node.get_closest_marker("bedrock_faults")
    if marker is None:
        return None
    if len(marker.args) == 1 and isinstance(marker.args[0], str) and not marker.kwargs:
        return str(marker.args[0])
    if marker.kwargs or not all(isinstance(arg, Fault) for arg in marker.args):
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.bedrock_faults takes one spec or Fault values"
        )
    return tuple(marker.args)


def _options(node: pytest.Item) -> dict[str, Any]:
    marker = node.get_closest_marker("bedrock_server")
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - set(_OPTIONS))
    if marker.args or unknown:
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.bedrock_server takes keywords {', '.join(_OPTIONS)}"
            + (f" (not {unknown[0]!r})" if unknown else "")
        )
    return dict(marker.kwargs)


@pytest.fixture
def bedrock_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockServer]:
    """A Bedrock Runtime-compatible server on 127.0.0.1 for this test: give ``.url`` as a
    client's ``endpoint_url``; ``.faults`` and ``.journal`` as the markers set them."""
    node = request.node
    options = _options(node)
    server = MockServer(
        options.pop("captures", ()),
        faults=_faults(node),
        journal=tmp_path / "journal.jsonl",
        **options,
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def _eventstream_session_server() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def bedrock_server_session(
    request: pytest.FixtureRequest, _eventstream_session_server: MockServer
) -> Iterator[MockServer]:
    """The session's server (started once, serving the default script), with this test's
    faults (``bedrock_faults`` marker) and an empty journal; faults are reset after the test."""
    server = _eventstream_session_server
    if request.node.get_closest_marker("bedrock_server") is not None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: the session's server takes no bedrock_server options; "
            "use the bedrock_server fixture"
        )
    server.faults = _faults(request.node)
    server.journal.clear()
    try:
        yield server
    finally:
        server.faults = None
