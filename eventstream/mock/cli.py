"""``eventstream serve``: the arguments, and running the server until interrupted.

``eventstream.cli`` registers the subcommand with :func:`add_serve_arguments` and runs it with
:func:`run_serve`.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path

from .. import ConfigurationError
from ..bedrock._json import loads as strict_json
from ._faults import parse_faults
from ._script import Script, Timing, ToolCall, script_from_json
from ._server import MockServer
from ._services import SERVED

__all__ = ["SERVE_EPILOG", "add_serve_arguments", "server_from_args", "run_serve"]

SERVE_EPILOG = """\
faults (docs/testing.md): exception=TYPE@N, error-frame@N, http=STATUS[,type=Code],
body=json|html|sse, cut@N:BYTES, disconnect@N, corrupt=prelude-crc|message-crc|length@N,
fragment=bytes|random[,seed=S], stall=SECONDS|forever@N, unknown-event@N,
violation=duplicate-start|delta-before-start|missing-stop; join several with ';'.
A request's x-eventstream-fault header replaces these faults for that request.
Besides Bedrock Runtime, the streams of bedrock-agent-runtime, sagemaker-runtime and lambda
are served at their own paths (exception=NAME takes the request's stream's exceptions).
"""


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` subcommand's arguments."""
    parser.add_argument(
        "captures",
        nargs="*",
        metavar="CAPTURE",
        help="responses to serve in turn: captures (raw, hex, base64, HAR with its timing) or "
        "'decode --json' JSON Lines; a stream with none gets the script",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default 0: a free port")
    script = parser.add_argument_group("the scripted answer")
    script.add_argument("--script", metavar="FILE", help="a JSON script (docs/testing.md)")
    script.add_argument("--text", help="the answer's text")
    script.add_argument(
        "--tool",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="a tool call with its input (repeatable)",
    )
    script.add_argument("--delta-size", type=int, metavar="N", help="characters per delta")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--first-event", type=float, default=0.0, metavar="SECONDS")
    timing.add_argument("--rate", type=float, default=1000.0, metavar="EVENTS_PER_SECOND")
    timing.add_argument("--jitter", type=float, default=0.0, metavar="FRACTION")
    timing.add_argument(
        "--speed", type=float, default=1.0, help="divides recorded (HAR) timings; 2 is faster"
    )
    parser.add_argument("--seed", type=int, help="ids, jitter and random splits reproducible")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="faults for every request"
    )
    parser.add_argument("--journal", metavar="FILE", help="append a JSON Lines record per request")
    parser.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr")


def _script(args: argparse.Namespace) -> Script:
    script = Script()
    if args.script is not None:
        path = Path(args.script)
        try:
            document = strict_json(path.read_bytes())
        except OSError as exc:
            raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from None
        except (ValueError, RecursionError) as exc:
            raise ConfigurationError(f"{path}: not JSON ({exc})") from None
        script = script_from_json(document, str(path))
    if args.text is not None:
        script = dataclasses.replace(script, text=args.text)
    calls = []
    for tool in args.tool:
        name, equals, text = tool.partition("=")
        try:
            # Strict, as Bedrock's JSON: 1e400 or NaN would go out as Infinity / NaN.
            arguments = strict_json(text) if equals else {}
        except (ValueError, RecursionError):  # RecursionError: nested past the stack
            arguments = None
        if not name or not isinstance(arguments, dict):
            raise ConfigurationError(f"--tool {tool!r}: give NAME=JSON, the input a JSON object")
        calls.append(ToolCall(name, arguments))
    if calls:
        script = dataclasses.replace(script, tool_calls=tuple(calls))
    if args.delta_size is not None:
        script = dataclasses.replace(script, delta_size=args.delta_size)
    return script


def server_from_args(args: argparse.Namespace) -> MockServer:
    """The (not yet started) server the ``serve`` arguments describe."""
    return MockServer(
        args.captures,
        script=_script(args),
        faults=parse_faults(";".join(args.fault)),
        timing=Timing(args.first_event, args.rate, args.jitter, args.speed),
        journal=args.journal,
        host=args.host,
        port=args.port,
        seed=args.seed,
    )


def run_serve(
    args: argparse.Namespace, write: Callable[[str], None], note: Callable[[str], None]
) -> int:
    """Serve as ``args`` say; ``write`` prints the URL (first), ``note`` the rest. Runs until
    interrupted; a bad argument raises an ``EventStreamError`` naming it."""
    server = server_from_args(args)
    faults = server.faults
    server.start()
    write(server.url)
    served = [r.label for r in server.responses.recordings] or ["the script"]
    note(f"serving Bedrock Runtime on {server.url}: {'; '.join(served)}")
    others = sorted({op.service for op in SERVED} - {"bedrock-runtime"})
    note(f"and the streams of {', '.join(others)} at their paths (docs/testing.md)")
    if faults:
        note(f"faults on every request: {';'.join(str(f) for f in faults)}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        note("stopped")
    return 0
