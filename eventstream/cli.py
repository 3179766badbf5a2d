"""The ``eventstream`` command: decode captured traffic, and encode frames for fixtures.

    eventstream decode [FILE|-] [--bedrock] [--json | --table] [--summary] [--sample [NAME]]
    eventstream encode [FILE|-] [-o OUT] [--output-format raw|hex|base64]
    eventstream sample [NAME] [-o OUT] [--list]
    eventstream serve [CAPTURE...] [--fault SPEC] [--port 0] [--journal FILE]

Exit codes (``docs/cli.md``): 0 success; 1 the capture is corrupt or truncated (every frame
before the fault is printed first); 2 a usage error: bad arguments, an unreadable file, input
that is not in its format; 3 with ``--bedrock``, the frames are sound but the Bedrock stream is
incomplete or carries an error.

Loading, decoding and the JSON Lines records are :mod:`eventstream.capture`; this module
holds the argument parser, the renderers (table, JSON Lines, summary) and the commands.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO, cast

from . import __version__
from ._console import Console, Progress, UsageError, binary_out, read_file, table_lines
from ._errors import EventStreamError
from .bedrock import STREAMS, Reassembled, StreamName
from .capture import (
    INPUT_FORMATS,
    Body,
    Decoded,
    InputFormat,
    InputFormatError,
    LoadedInput,
    RecordError,
    decode_frames,
    frame_record,
    load_input,
    messages_from_jsonl,
    record_message,
)
from .capture._records import error_record, reassembled_record
from .capture._summary import Summary, fault_lines
from .mock.cli import SERVE_EPILOG, add_serve_arguments, run_serve
from .samples import DEFAULT_SAMPLE, SAMPLES, sample_bytes

__all__ = [
    "main",
    "EXIT_OK",
    "EXIT_STREAM_ERROR",
    "EXIT_USAGE",
    "EXIT_INCOMPLETE",
    "frame_record",
    "record_message",
    "RecordError",
]

EXIT_OK = 0
#: The capture is corrupt or truncated.
EXIT_STREAM_ERROR = 1
#: Bad arguments, an unreadable file, or input that is not in its format.
EXIT_USAGE = 2
#: With ``--bedrock``: the frames are sound, but the stream is incomplete or carries an error.
EXIT_INCOMPLETE = 3

#: Inputs at least this large get a progress bar (when stderr is a terminal).
PROGRESS_MIN_BYTES = 1 << 20

OUTPUT_FORMATS = ("raw", "hex", "base64")


# --- rendering: text ------------------------------------------------------------------------


def _frame_rows(decoded: Decoded, bedrock: bool) -> tuple[list[str], list[list[str]]]:
    if bedrock:
        headings = ["#", "offset", "length", "event", "detail"]
        rows = [
            [str(f.index), str(f.offset), str(f.length), f.event_name, f.event_detail()]
            for f in decoded.frames
        ]
    else:
        headings = ["#", "offset", "length", "type", "event", "payload"]
        rows = [
            [
                str(f.index),
                str(f.offset),
                str(f.length),
                f.message_type or "(none)",
                f.name or "(none)",
                f.payload_preview(),
            ]
            for f in decoded.frames
        ]
    return headings, rows


def _labelled(rows: Iterable[tuple[str, str]]) -> list[str]:
    lines = []
    for label, value in rows:
        first, *more = value.split("\n")
        lines.append(f"  {label:<12} {first}".rstrip())
        lines.extend(f"  {'':<12} {line}".rstrip() for line in more)
    return lines


def reassembled_lines(result: Reassembled, stream: str | None) -> list[str]:
    """The reassembled message as labelled lines."""
    # Capitals on a terminal: an unfinished answer must not read as a finished one.
    status = result.status.replace("incomplete", "INCOMPLETE", 1)
    return [f"reassembled ({stream or 'unknown'} stream, {status}):", *_labelled(result.rows())]


# --- commands -------------------------------------------------------------------------------


def _read_input(args: argparse.Namespace, console: Console) -> tuple[bytes, str]:
    """The input bytes and how to name them: a file, stdin, or a bundled sample."""
    if args.sample is not None:
        if args.file is not None:
            raise UsageError("give a FILE or --sample, not both")
        return sample_bytes(args.sample), f"sample {args.sample}"
    path = args.file
    if path is None:
        if console.stdin.isatty():
            raise UsageError(
                "no input: give a FILE, '-' for standard input, or --sample to decode a "
                "bundled capture"
            )
        path = "-"
    if path == "-":
        return console.stdin.read(), "standard input"
    return read_file(path), path


@dataclass(frozen=True)
class View:
    """How ``decode`` shows a capture, settled from the arguments and the terminal."""

    bedrock: bool
    stream: StreamName | None
    summary: bool
    as_json: bool


def _status(decoded: Decoded, view: View) -> int:
    if decoded.fault is not None:
        return EXIT_STREAM_ERROR
    if view.bedrock and decoded.reassembled is not None and not decoded.reassembled.complete:
        return EXIT_INCOMPLETE
    if view.bedrock and any(f.event_error is not None for f in decoded.frames):
        return EXIT_INCOMPLETE
    return EXIT_OK


def _render_text(console: Console, decoded: Decoded, view: View, first: bool) -> None:
    if decoded.body.label is not None:
        if not first:
            console.write()
        console.write(f"== {decoded.body.label}")
    if view.summary:
        for line in Summary.of(decoded, view.bedrock).lines(decoded.fault):
            console.write(line)
    elif decoded.frames:
        headings, rows = _frame_rows(decoded, view.bedrock)
        for line in table_lines(headings, rows, console.width()):
            console.write(line)
    else:
        console.write("(no frames)")
    if decoded.reassembled is not None and decoded.frames:
        console.write()
        for line in reassembled_lines(decoded.reassembled, decoded.stream):
            console.write(line)


def _render_json(
    console: Console, decoded: Decoded, view: View, progress: Callable[[int], None]
) -> None:
    def emit(record: dict[str, Any]) -> None:
        console.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=repr))

    label = decoded.body.label
    if view.summary:
        summary = Summary.of(decoded, view.bedrock).record()
        if label is not None:
            summary["source"] = label
        emit({"summary": summary})
    else:
        for frame in decoded.frames:
            emit(frame_record(frame, source=label, bedrock=view.bedrock))
            progress(frame.offset + frame.length)
    if decoded.reassembled is not None:
        emit({"reassembled": reassembled_record(decoded.reassembled, decoded.stream)})
    if decoded.fault is not None:
        emit({"error": error_record(decoded)})


def _load(args: argparse.Namespace, console: Console) -> LoadedInput:
    data, name = _read_input(args, console)
    fmt = None if args.input_format == "auto" else cast(InputFormat, args.input_format)
    try:
        loaded = load_input(data, fmt)
    except InputFormatError as exc:
        raise UsageError(f"{name}: {exc}") from None
    if loaded.detected:
        override = "; override with --input-format" if loaded.ambiguous else ""
        console.note(f"{name}: {loaded.note}{override}")
    return loaded


def cmd_decode(args: argparse.Namespace, console: Console) -> int:
    loaded = _load(args, console)
    bedrock = args.bedrock or args.stream is not None
    view = View(
        bedrock=bedrock,
        stream=None if args.stream in (None, "auto") else cast(StreamName, args.stream),
        summary=args.summary,
        as_json=args.json or (not args.table and not console.stdout.isatty()),
    )
    size = sum(len(body.data) for body in loaded.bodies)
    progress = Progress(
        console.stderr,
        size,
        enabled=not args.no_progress
        and size >= PROGRESS_MIN_BYTES
        and console.stderr.isatty()
        # Rows written to the same terminal would be torn by the bar.
        and (view.summary or not console.stdout.isatty()),
    )
    status = EXIT_OK
    base = 0
    try:
        for body in loaded.bodies:
            shown = _decode_one(console, body, view, progress=progress, base=base, loaded=loaded)
            status = max(status, shown, key=_severity)
            base += len(body.data)
    finally:
        progress.close()
    return status


def _decode_one(
    console: Console,
    body: Body,
    view: View,
    *,
    progress: Progress,
    base: int,
    loaded: LoadedInput,
) -> int:
    """Decode and show one body of the input; return its exit status."""
    decoded = decode_frames(
        body,
        bedrock=view.bedrock,
        stream=view.stream,
        on_progress=lambda done: progress.update(base + done, "decoding"),
    )
    if not view.bedrock and decoded.seen_stream is not None and body is loaded.bodies[0]:
        console.note("these are Bedrock events: add --bedrock for typed events and the answer")
    if view.bedrock:
        where = f"{body.label}: " if body.label else ""
        console.note(f"{where}bedrock stream: {decoded.stream_note}")
    if view.as_json:
        _render_json(console, decoded, view, lambda done: progress.update(base + done, "writing"))
        progress.close()
    else:
        progress.close()
        _render_text(console, decoded, view, first=body is loaded.bodies[0])
    misfits = [f.event_error for f in decoded.frames if f.event_error is not None]
    if misfits:
        # Not a fault: the framing is sound and decoding went on; say where, on stderr too.
        more = len(misfits) - 1
        others = f" (and {more} more frame{'s' * (more != 1)} like it)" if more else ""
        console.error(f"payload error: {misfits[0]}{others}")
    if decoded.fault is not None:
        for line in fault_lines(decoded, loaded):
            console.error(line)
    return _status(decoded, view)


def _severity(status: int) -> int:
    return {EXIT_OK: 0, EXIT_INCOMPLETE: 1, EXIT_STREAM_ERROR: 2}.get(status, 3)


def cmd_encode(args: argparse.Namespace, console: Console) -> int:
    if args.file in (None, "-"):
        if args.file is None and console.stdin.isatty():
            raise UsageError("no input: give a JSON Lines FILE, or '-' for standard input")
        raw, name = console.stdin.read(), "standard input"
    else:
        raw, name = read_file(args.file), args.file
    write = binary_out(args.output, console, args.output_format)
    try:
        frames = [message.encode() for message in messages_from_jsonl(raw, name)]
    except RecordError as exc:
        raise UsageError(exc.message) from None
    data = b"".join(frames)
    write(data)
    target = "standard output" if args.output in (None, "-") else args.output
    plural = "" if len(frames) == 1 else "s"
    console.note(f"wrote {len(frames)} frame{plural} ({len(data):,} bytes) to {target}")
    return EXIT_OK


def cmd_sample(args: argparse.Namespace, console: Console) -> int:
    if args.list:
        width = max(len(name) for name in SAMPLES)
        for sample in SAMPLES.values():
            console.write(f"{sample.name:<{width}}  {sample.stream:<8}  {sample.description}")
        return EXIT_OK
    write = binary_out(args.output, console, args.output_format)
    data = sample_bytes(args.name)
    write(data)
    target = "standard output" if args.output in (None, "-") else args.output
    console.note(f"wrote sample {args.name} ({len(data):,} bytes) to {target}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """``serve``: a fault-injecting Bedrock server (:mod:`eventstream.mock`) until Ctrl-C."""

    def write(line: str) -> None:
        console.write(line)
        console.stdout.flush()  # the URL must reach a reader that waits for it

    try:
        return run_serve(args, write, console.note)
    except EventStreamError as exc:  # a bad fault spec, capture or script: a usage error
        raise UsageError(str(exc)) from None


# --- the parser and main --------------------------------------------------------------------

_EPILOG = """\
exit codes: 0 success; 1 the capture is corrupt or truncated; 2 usage error (arguments,
unreadable or malformed input); 3 with --bedrock, the stream is incomplete or carries an error.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eventstream`` command."""
    parser = argparse.ArgumentParser(
        prog="eventstream",
        description="Decode captured AWS event-stream traffic (Amazon Bedrock and others), "
        "and encode frames for fixtures.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    decode = commands.add_parser(
        "decode",
        help="decode frames from a capture (raw, hex, base64 or HAR)",
        description="Decode every frame of a capture: a table on a terminal, JSON Lines\n"
        "otherwise; with --bedrock, typed Bedrock events and the reassembled answer.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    decode.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the capture; '-' or nothing reads standard input (unless --sample)",
    )
    decode.add_argument(
        "--input-format",
        choices=("auto", *INPUT_FORMATS),
        default="auto",
        help="how the input is written (default: detect it and say so on stderr)",
    )
    decode.add_argument(
        "--sample",
        nargs="?",
        const=DEFAULT_SAMPLE,
        choices=list(SAMPLES),
        metavar="NAME",
        help=f"decode a bundled sample capture (default {DEFAULT_SAMPLE}; "
        "see 'eventstream sample --list')",
    )
    decode.add_argument(
        "--bedrock",
        action="store_true",
        help="show typed Bedrock events and end with the reassembled answer",
    )
    decode.add_argument(
        "--stream",
        choices=("auto", *STREAMS),
        default=None,
        help="the Bedrock stream (implies --bedrock; default: detect it from the events)",
    )
    output = decode.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="JSON Lines (the default when stdout is not a tty)"
    )
    output.add_argument("--table", action="store_true", help="a table (the default on a terminal)")
    decode.add_argument(
        "--summary",
        action="store_true",
        help="count frames, bytes, event and exception types instead of listing frames",
    )
    decode.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even for large inputs"
    )
    decode.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr")
    decode.set_defaults(run=cmd_decode)

    encode = commands.add_parser(
        "encode",
        help="turn JSON Lines (as 'decode --json' writes them) into frames",
        description="Encode one frame per JSON Lines record. 'decode --json' output encodes "
        "back to the identical bytes; hand-written records may give headers as an object and "
        "the payload as JSON ('payload') or text ('payload_text').",
    )
    encode.add_argument("file", nargs="?", metavar="FILE", help="JSON Lines; '-' reads stdin")
    encode.add_argument("-o", "--output", metavar="OUT", help="where to write ('-': stdout)")
    encode.add_argument(
        "--output-format", choices=OUTPUT_FORMATS, default="raw", help="default: raw bytes"
    )
    encode.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr")
    encode.set_defaults(run=cmd_encode)

    sample = commands.add_parser(
        "sample",
        help="write or list the bundled sample captures",
        description="Write a bundled sample capture, to try the decoder on or to edit.",
    )
    sample.add_argument(
        "name", nargs="?", default=DEFAULT_SAMPLE, choices=list(SAMPLES), metavar="NAME"
    )
    sample.add_argument("--list", action="store_true", help="list the samples")
    sample.add_argument("-o", "--output", metavar="OUT", help="where to write ('-': stdout)")
    sample.add_argument(
        "--output-format", choices=OUTPUT_FORMATS, default="raw", help="default: raw bytes"
    )
    sample.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr")
    sample.set_defaults(run=cmd_sample)

    serve = commands.add_parser(
        "serve",
        help="serve Bedrock Runtime on 127.0.0.1 from captures or a script, with faults",
        description="A Bedrock Runtime-compatible server for testing clients and gateways: "
        "InvokeModelWithResponseStream, ConverseStream, InvokeModel and Converse for any "
        "model id. Prints its URL, then serves until interrupted.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_serve_arguments(serve)
    serve.set_defaults(run=cmd_serve)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line ``argv``; return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    for stream in (out, err):
        # A model's text can hold characters the terminal's encoding lacks: never crash on it.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    console = Console(stdin if stdin is not None else sys.stdin.buffer, out, err, quiet=args.quiet)
    run = cast(Callable[[argparse.Namespace, Console], int], args.run)
    try:
        return run(args, console)
    except UsageError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        if stdout is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
