"""What the ``eventstream`` command's tests share: the script, ways to run it, and the sample.

The tests run the console script end to end (real subprocesses, pipes and pseudo-terminals);
:func:`call` runs ``cli.main`` in process, for tests whose point is the data, not the process.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from eventstream import cli
from eventstream.samples import sample_bytes

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCRIPT = BIN / "eventstream"
SAMPLE = sample_bytes("claude_invoke_tool_use")
ANSWER = "I'll check the current weather in Paris for you."
ENV = {**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}

if not SCRIPT.exists():  # pragma: no cover - an environment problem, said plainly
    pytest.fail(f"{SCRIPT} is missing: reinstall the project (pip install -e .)", pytrace=False)


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The console script in a subprocess, stdout and stderr piped."""
    return subprocess.run(
        [str(SCRIPT), *args], input=stdin if stdin is not None else b"", capture_output=True,
        timeout=60, env=ENV, cwd=cwd, check=False,
    )  # fmt: skip


def shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """A bash command line, with the environment's bin directory first on PATH."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, cwd=cwd, timeout=60, check=False,
        env={**ENV, "PATH": path, **env},
    )  # fmt: skip


def run_pty(
    command: list[str], *, stdout: bool = True, stderr: bool = True, cwd: Path | None = None
) -> tuple[int, str, bytes, bytes]:
    """Run with stdout and/or stderr on a pseudo-terminal.

    Returns ``(exit code, what the terminal showed, piped stdout, piped stderr)``.
    """
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=slave if stdout else out,
            stderr=slave if stderr else err, env=ENV, cwd=cwd,
        )  # fmt: skip
        os.close(slave)
        shown = bytearray()
        try:
            while True:
                ready, _, _ = select.select([master], [], [], 60)
                if not ready:
                    proc.kill()
                    raise AssertionError(f"{command} printed nothing for 60 s")
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every slave end is closed
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            os.close(master)
        code = proc.wait(timeout=60)
        out.seek(0)
        err.seek(0)
        return code, shown.decode("utf-8").replace("\r\n", "\n"), out.read(), err.read()


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def call(*args: str, stdin: bytes = b"", tty_stdin: bool = False) -> tuple[int, bytes, str]:
    """``cli.main`` in process: ``(exit code, stdout bytes, stderr text)``."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    source = _Terminal(stdin) if tty_stdin else io.BytesIO(stdin)
    code = cli.main(list(args), stdin=source, stdout=out, stderr=err)
    out.flush()
    return code, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


def har(data: bytes) -> bytes:
    """A HAR file: a page, then a Bedrock response stream carrying ``data`` as base64."""
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke-with-response-stream"
    entries = [
        {"request": {"method": "GET", "url": "https://example.com/"},
         "response": {"status": 200, "content": {"mimeType": "text/html", "text": "<p>"}}},
        {"request": {"method": "POST", "url": url},
         "response": {"status": 200, "content": {
             "mimeType": "application/vnd.amazon.eventstream", "encoding": "base64",
             "text": base64.b64encode(data).decode()}}},
    ]  # fmt: skip
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


def records(stdout: bytes) -> list[dict[str, Any]]:
    """The JSON Lines records of ``stdout``, one per line."""
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]
