"""The pytest plugin: registered as a ``pytest11`` entry point, its fixtures work in a fresh
test project run by pytester (the plugin loaded by the entry point, not by a conftest), its
markers are registered for ``--strict-markers``, and the context manager works without pytest."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import eventstream as es
from eventstream import mock

pytest_plugins = ["pytester"]


def test_the_entry_point_names_the_plugin_module() -> None:
    found = [
        e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "eventstream"
    ]
    assert [e.value for e in found] == ["eventstream.pytest_plugin"]
    module = found[0].load()
    assert module.__name__ == "eventstream.pytest_plugin"
    assert callable(module.bedrock_server)
    requires = importlib.metadata.requires("eventstream") or []
    testing = [r for r in requires if 'extra == "testing"' in r]
    assert [r.split(";")[0].strip() for r in testing] == ["pytest>=8"]


_PROJECT = """
import json
import urllib.error
import urllib.request

import pytest

from eventstream import bedrock, mock


def post(url, path, headers=None):
    request = urllib.request.Request(url + path, data=b"{}", method="POST", headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def test_default_script(bedrock_server):
    status, body = post(bedrock_server.url, "/model/any/converse-stream")
    events = list(bedrock.events(body, "converse"))
    assert status == 200 and isinstance(events[0], bedrock.MessageStart)
    assert bedrock.reassemble(events).text == "Hello! How can I help you today?"
    (record,) = bedrock_server.journal.wait(1)
    assert record["operation"] == "converse-stream" and record["injected"] == []


@pytest.mark.bedrock_faults("exception=throttlingException@2")
def test_marker_faults(bedrock_server):
    _, body = post(bedrock_server.url, "/model/m/converse-stream")
    events = list(bedrock.events(body, "converse", raise_exceptions=False))
    assert len(events) == 3 and isinstance(events[2], bedrock.ThrottlingException)
    (fault,) = bedrock_server.journal.faults()
    assert fault["fault"] == "exception=throttlingException@2" and fault["frame"] == 2
    lines = (bedrock_server.journal.path).read_text().splitlines()
    assert json.loads(lines[0])["injected"][0]["kind"] == "exception"


@pytest.mark.bedrock_server(script=mock.Script(text="abc", delta_size=1), seed=3)
def test_server_options(bedrock_server):
    _, body = post(bedrock_server.url, "/model/m/converse-stream")
    events = list(bedrock.events(body, "converse"))
    assert [e.delta.text for e in events if isinstance(e, bedrock.ContentBlockDelta)] == list("abc")


@pytest.mark.bedrock_faults("http=503")
def test_session_server_takes_marker_faults(bedrock_server_session):
    with pytest.raises(urllib.error.HTTPError) as info:
        post(bedrock_server_session.url, "/model/m/converse-stream")
    assert info.value.code == 503
    assert info.value.headers["x-amzn-ErrorType"] == "ServiceUnavailableException"


def test_session_server_is_reset(bedrock_server_session):
    assert bedrock_server_session.faults == ()
    assert bedrock_server_session.journal.records() == []
    status, _ = post(bedrock_server_session.url, "/model/m/invoke-with-response-stream")
    assert status == 200


def test_header_overrides(bedrock_server):
    bedrock_server.faults = "http=500"
    _, body = post(bedrock_server.url, "/model/m/converse-stream", {mock.FAULT_HEADER: "cut@1:5"})
    assert len(list(bedrock.events(body[:-5], "converse"))) == 1
    assert bedrock_server.journal.wait(1)[0]["fault_source"] == "header"
"""


def test_the_fixtures_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_client=_PROJECT)
    # -p no:cacheprovider: nothing written beside the test; --strict-markers: the plugin's
    # markers are registered.
    result = pytester.runpytest_subprocess("-q", "--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_a_bad_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.bedrock_faults("exception=nope@1")
def test_bad(bedrock_server):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown exception type 'nope'*"])


def test_the_context_manager_outside_pytest(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    with mock.serve(faults="violation=missing-stop", journal=journal) as server:
        request = urllib.request.Request(
            server.url + "/model/m/converse-stream", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        server.journal.wait(1)
    names = [message.headers[":event-type"] for message in es.Decoder().feed(body)]
    assert "messageStop" not in names and names[0] == "messageStart"
    (record,) = mock.read_journal(journal)
    assert record["injected"][0] == {
        "fault": "violation=missing-stop",
        "kind": "violation",
        "applied": True,
        "frame": names.index("metadata"),
    }
    assert json.loads(journal.read_text())["outcome"] == "complete"


def test_the_server_and_the_plugin_need_nothing_beyond_pytest() -> None:
    # What eventstream[testing] installs is enough: in a fresh interpreter, importing the
    # plugin loads the standard library, eventstream and pytest's own packages only.
    code = (
        "import sys; import eventstream.pytest_plugin, eventstream.mock.cli;"
        "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    pytest_own = {
        "pytest",
        "_pytest",
        "pluggy",
        "iniconfig",
        "packaging",
        "py",
        "exceptiongroup",
        "tomli",
        "pygments",
        "colorama",
    }
    foreign = {
        name
        for name in loaded
        if name not in sys.stdlib_module_names
        and name != "eventstream"
        and name not in pytest_own
        and not name.startswith("_")
    }
    assert foreign == set()
