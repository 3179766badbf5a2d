"""The ``eventstream`` command: decode captured traffic, and encode frames for fixtures.

    eventstream decode [FILE|-] [--bedrock] [--json | --table] [--summary] [--sample [NAME]]
    eventstream decode [FILE|-] --to anthropic|openai
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
import contextlib
import errno
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO, cast

from . import __version__, translate
from ._console import (
    Console,
    Progress,
    TableWriter,
    UsageError,
    binary_out,
    open_file,
    read_file,
)
from ._errors import EventStreamError
from .bedrock import Reassembled, StreamMismatchWarning, StreamName, events
from .capture import (
    INPUT_FORMATS,
    STREAM_NAMES,
    Body,
    CaptureDecoder,
    CapturedFrame,
    Gap,
    InputFormat,
    InputFormatError,
    LoadedInput,
    RecordError,
    escape_controls,
    frame_record,
    messages_from_jsonl,
    open_input,
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

#: Columns of the frame table and the widths they start at (a wider cell widens its column).
_TABLE = {
    False: (("#", "offset", "length", "type", "event", "payload"), (2, 6, 6, 5, 17, 20)),
    True: (("#", "offset", "length", "event", "detail"), (2, 6, 6, 19, 20)),
}


def _frame_row(frame: CapturedFrame, bedrock: bool) -> list[str]:
    if bedrock:
        return [
            str(frame.index), str(frame.offset), str(frame.length), frame.event_name,
            frame.event_detail(),
        ]  # fmt: skip
    return [
        str(frame.index), str(frame.offset), str(frame.length), frame.message_type or "(none)",
        frame.name or "(none)", frame.payload_preview(),
    ]  # fmt: skip


def _labelled(rows: Iterable[tuple[str, str]]) -> list[str]:
    lines = []
    for label, value in rows:
        # A model's newlines stay lines of the value; every other control is escaped.
        first, *more = escape_controls(value, keep="\n\t").split("\n")
        lines.append(f"  {label:<12} {first}".rstrip())
        lines.extend(f"  {'':<12} {line}".rstrip() for line in more)
    return lines


def reassembled_lines(result: Reassembled, stream: str | None, gaps: int = 0) -> list[str]:
    """The reassembled message as labelled lines (``gaps``: runs of bytes ``--resync``
    skipped, whose events it lacks)."""
    # Capitals on a terminal: an unfinished answer must not read as a finished one.
    status = result.status.replace("incomplete", "INCOMPLETE", 1)
    if gaps:
        status += f", BUT {gaps} GAP{'S' * (gaps != 1)} SKIPPED: parts may be missing"
    return [f"reassembled ({stream or 'unknown'} stream, {status}):", *_labelled(result.rows())]


def gap_line(gap: Gap) -> str:
    """A gap ``--resync`` skipped, as one line of the table."""
    end = "the end of the input" if gap.to_end else "the next valid frame"
    return f"-- gap at byte {gap.offset}: {gap.length:,} bytes skipped to {end} ({gap.reason})"


def gap_record(gap: Gap) -> dict[str, Any]:
    """A gap ``--resync`` skipped, as JSON."""
    fault = gap.fault
    return {
        "offset": gap.offset,
        "length": gap.length,
        "to_end": gap.to_end,
        "class": type(fault).__name__,
        "message": fault.message,
        "fault_offset": fault.offset,
    }


# --- commands -------------------------------------------------------------------------------


class _Counted:
    """A binary input that counts the bytes read from it (for the progress bar)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.position += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self.file, "read1", None)
        data = read1(size) if read1 is not None else self.file.read(size)
        self.position += len(data)
        return bytes(data)

    def fileno(self) -> int:
        return self.file.fileno()


def _open_input(args: argparse.Namespace, console: Console) -> tuple[BinaryIO, str, int | None]:
    """The input, how to name it, and its size if known: a file, stdin, or a sample."""
    if args.sample is not None:
        if args.file is not None:
            raise UsageError("give a FILE or --sample, not both")
        data = sample_bytes(args.sample)
        return io.BytesIO(data), f"sample {args.sample}", len(data)
    path = args.file
    if path is None:
        if console.stdin is None:
            raise UsageError("no input: standard input is closed; give a FILE or --sample")
        if console.stdin.isatty():
            raise UsageError(
                "no input: give a FILE, '-' for standard input, or --sample to decode a "
                "bundled capture"
            )
        path = "-"
    if path == "-":
        if console.stdin is None:
            raise UsageError("standard input is closed: give a FILE or --sample")
        return console.stdin, "standard input", None
    file = open_file(path)
    try:
        size: int | None = os.fstat(file.fileno()).st_size
    except OSError:
        size = None
    return file, path, size


@dataclass(frozen=True)
class View:
    """How ``decode`` shows a capture, settled from the arguments and the terminal."""

    bedrock: bool
    stream: StreamName | None
    summary: bool
    as_json: bool
    resync: bool = False


def _load(
    file: BinaryIO, name: str, size: int | None, args: argparse.Namespace, console: Console
) -> LoadedInput:
    fmt = None if args.input_format == "auto" else cast(InputFormat, args.input_format)
    try:
        loaded = open_input(file, fmt, size=size)
    except InputFormatError as exc:
        raise UsageError(f"{name}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    if loaded.detected:
        override = "; override with --input-format" if loaded.ambiguous else ""
        console.note(f"{name}: {loaded.note}{override}")
    return loaded


def cmd_decode(args: argparse.Namespace, console: Console) -> int:
    file, name, size = _open_input(args, console)
    counted = _Counted(file)
    try:
        loaded = _load(cast(BinaryIO, counted), name, size, args, console)
        if args.to is not None:
            try:
                return _decode_translated(console, loaded, args)
            except OSError as exc:  # as for the frames below: a read error is a usage error
                if isinstance(exc, BrokenPipeError) or _is_output_error(console):
                    raise
                raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        bedrock = args.bedrock or args.stream is not None
        view = View(
            bedrock=bedrock,
            stream=None if args.stream in (None, "auto") else cast(StreamName, args.stream),
            summary=args.summary,
            as_json=args.json or (not args.table and not console.stdout.isatty()),
            resync=args.resync,
        )
        progress = Progress(
            console.stderr,
            size or 0,
            enabled=not args.no_progress
            and size is not None
            and size >= PROGRESS_MIN_BYTES
            and console.stderr.isatty()
            # Rows written to the same terminal would be torn by the bar.
            and (view.summary or not console.stdout.isatty()),
        )

        def read_done() -> None:
            # Called when a read's frames are all shown, before the next read, which may
            # wait on a live pipe: what was decoded reaches the reader now, not at exit.
            console.flush()
            progress.update(counted.position, "decoding")

        status = EXIT_OK
        try:
            for number, body in enumerate(loaded.bodies):
                shown = _decode_one(
                    console, body, view, loaded, first=number == 0,
                    progress=lambda _: read_done(),
                )  # fmt: skip
                status = max(status, shown, key=_severity)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
                raise
            if _is_output_error(console):
                raise
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        finally:
            progress.close()
    finally:
        if file is not console.stdin:
            file.close()
    return status


def _decode_translated(console: Console, loaded: LoadedInput, args: argparse.Namespace) -> int:
    """``decode --to anthropic|openai``: each body's Bedrock events as that format's SSE
    (docs/translate.md). 1: the capture is corrupt (the SSE ends in an error event); 3: the
    stream is incomplete or carries an error."""
    if args.stream not in (None, "auto", "converse", "invoke"):
        raise UsageError("--to translates Bedrock Runtime streams: --stream converse or invoke")
    out = getattr(console.stdout, "buffer", None)  # SSE is UTF-8, whatever the terminal's

    def write(data: list[bytes]) -> None:
        if out is None:
            console.stdout.write(b"".join(data).decode("utf-8"))
        else:
            console.stdout.flush()
            out.write(b"".join(data))
            out.flush()

    status = EXIT_OK
    for body in loaded.bodies:
        sse: translate.BedrockToAnthropic | translate.BedrockToOpenAI = (
            translate.BedrockToAnthropic()
            if args.to == "anthropic"
            else translate.BedrockToOpenAI()
        )
        stream = args.stream or body.stream_hint or "auto"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StreamMismatchWarning)
            try:
                for event in events(body.chunks(), stream=stream, raise_exceptions=False):
                    write(sse.feed(event))
            except EventStreamError as exc:
                console.error(f"{escape_controls(body.label or 'the capture')}: {exc}")
                write(sse.error(exc))
                status = EXIT_STREAM_ERROR
        for warning in caught:
            console.note(str(warning.message))
        write(sse.close())
        if sse.failed and status == EXIT_OK:
            status = EXIT_INCOMPLETE
    return status


def _is_output_error(console: Console) -> bool:
    # An OSError while decoding came from stdout if stdout is no longer writable.
    try:
        console.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def _decode_one(
    console: Console,
    body: Body,
    view: View,
    loaded: LoadedInput,
    *,
    first: bool,
    progress: Callable[[int], None],
) -> int:
    """Decode one body of the input and show each frame as it is decoded; return its exit
    status. Nothing is kept of a frame once shown: counts, the reassembler's state and the
    first payload error."""
    decoder = CaptureDecoder(
        body, bedrock=view.bedrock, stream=view.stream, on_progress=progress, resync=view.resync
    )
    label = escape_controls(body.label) if body.label is not None else None
    summary = Summary()
    headings, widths = _TABLE[view.bedrock]
    table = TableWriter(headings, widths, console.width())
    text = not view.as_json
    if text and label is not None:
        if not first:
            console.write()
        console.write(f"== {label}")
    hinted = view.bedrock or not first
    stream_noted = False
    first_misfit: EventStreamError | None = None
    misfits = 0
    fault: EventStreamError | None = None

    def note_stream() -> None:
        where = f"{label}: " if label else ""
        console.note(f"{where}bedrock stream: {decoder.stream_note}")

    try:
        for item in decoder.items():
            if isinstance(item, Gap):
                summary.add_gap(item)
                if view.summary:
                    continue
                if view.as_json:
                    record: dict[str, Any] = {"gap": gap_record(item)}
                    if label is not None:
                        record["source"] = body.label
                    console.write_json(record)
                else:
                    if summary.frames + summary.gaps == 1:
                        for line in table.head():
                            console.write(line)
                    console.write(gap_line(item))
                continue
            frame = item
            summary.add(frame, view.bedrock)
            if not stream_noted and view.bedrock and decoder.stream is not None:
                stream_noted = True
                note_stream()
            if not hinted and decoder.stream is not None:
                hinted = True
                console.note(
                    "these are Bedrock events: add --bedrock for typed events and the answer"
                )
            if frame.event_error is not None:
                misfits += 1
                first_misfit = first_misfit or frame.event_error
            if view.summary:
                continue
            if view.as_json:
                console.write_json(frame_record(frame, source=body.label, bedrock=view.bedrock))
            else:
                if summary.frames + summary.gaps == 1:
                    for line in table.head():
                        console.write(line)
                console.write(table.row(_frame_row(frame, view.bedrock)))
    except EventStreamError as exc:
        fault = exc
    summary.size = decoder.bytes_read
    if view.bedrock and not stream_noted:
        note_stream()
    reassembled = decoder.reassembled()
    if view.as_json:
        if view.summary:
            counts = summary.record()
            if body.label is not None:
                counts["source"] = body.label
            console.write_json({"summary": counts})
        if reassembled is not None:
            record = {"reassembled": reassembled_record(reassembled, decoder.stream)}
            if summary.gaps:
                record["reassembled"]["gaps"] = summary.gaps  # events may be missing
            if body.label is not None:
                record["source"] = body.label
            console.write_json(record, large=True)
        if fault is not None:
            record = {"error": error_record(fault, summary.frames, summary.bytes)}
            if body.label is not None:
                record["source"] = body.label
            console.write_json(record)
    else:
        if view.summary:
            for line in summary.lines(fault):
                console.write(line)
        elif summary.frames == 0 and summary.gaps == 0:
            console.write("(no frames)")
        if reassembled is not None and summary.frames:
            console.write()
            for line in reassembled_lines(reassembled, decoder.stream, summary.gaps):
                console.write(line)
    if first_misfit is not None:
        # Not a fault: the framing is sound and decoding went on; say where, on stderr too.
        more = misfits - 1
        others = f" (and {more} more frame{'s' * (more != 1)} like it)" if more else ""
        console.error(f"payload error: {first_misfit}{others}")
    if summary.gaps:
        plural = "s" * (summary.gaps != 1)
        console.error(
            f"resync: skipped {summary.gap_bytes:,} damaged bytes in {summary.gaps} gap{plural}"
        )
    if fault is not None:
        for line in fault_lines(fault, summary, loaded):
            console.error(line)
        return EXIT_USAGE if isinstance(fault, InputFormatError) else EXIT_STREAM_ERROR
    if summary.gaps:
        return EXIT_STREAM_ERROR
    if view.bedrock and reassembled is not None and not reassembled.complete:
        return EXIT_INCOMPLETE
    if view.bedrock and misfits:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _severity(status: int) -> int:
    return {EXIT_OK: 0, EXIT_INCOMPLETE: 1, EXIT_STREAM_ERROR: 2}.get(status, 3)


def cmd_encode(args: argparse.Namespace, console: Console) -> int:
    if args.file in (None, "-"):
        if console.stdin is None:
            raise UsageError("no input: standard input is closed; give a JSON Lines FILE")
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
        "--to",
        choices=("anthropic", "openai"),
        default=None,
        help="print the Bedrock stream translated: Anthropic Messages SSE or OpenAI "
        "chat.completion.chunk SSE (docs/translate.md)",
    )
    decode.add_argument(
        "--stream",
        # Importing the service layers registers their streams with bedrock's reader.
        choices=("auto", *STREAM_NAMES),
        default=None,
        help="the stream: Bedrock Runtime's, Bedrock Agent Runtime's, SageMaker's or Lambda's "
        "(implies --bedrock; default: detect it from the events)",
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
        "--resync",
        action="store_true",
        help="after a damaged frame, skip to the next valid one and go on, reporting each gap "
        "(default: stop at the first fault)",
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
        description="A Bedrock Runtime-compatible server for testing clients and gateways:\n"
        "InvokeModelWithResponseStream, ConverseStream, InvokeModel and Converse for any\n"
        "model id, with faults injected. Prints its URL, then serves until interrupted.",
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
    if err is None:  # 2>&-: nowhere to say anything, so nothing else is safe to do
        return EXIT_USAGE
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if out is None:  # >&-: Python leaves sys.stdout None when file descriptor 1 is closed
        err.write("eventstream: standard output is closed: nowhere to write to\n")
        return EXIT_USAGE
    if stdin is None:
        # <&-: sys.stdin is None; the commands say so if they need it.
        stdin = sys.stdin.buffer if sys.stdin is not None else None
    console = Console(stdin, out, err, quiet=args.quiet)
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
    except OSError as exc:
        # Standard output closed or failing under us (EBADF, ENOSPC): say so, no traceback.
        try:
            err.write(f"eventstream: cannot write the output: {exc.strerror or exc}\n")
            err.flush()
        except (OSError, ValueError):
            pass
        if stdout is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE
