"""Replay a fuzz corpus through the invariants without atheris, and measure line coverage.

    python tests/fuzz/replay.py decode /tmp/es-corpus/decode [--coverage]

Every file is checked with the harness's invariant (tests/fuzz/invariants.py). With
``--coverage`` the lines of the core modules that the corpus executes are counted with
``sys.settrace`` (no coverage package needed) and the ones never reached are listed.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests.fuzz`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import eventstream
from tests.fuzz.invariants import check_decode_and_fixed, check_decoder

CHECKS: dict[str, Callable[[bytes], None]] = {
    "decode": check_decode_and_fixed,
    "decoder": check_decoder,
}
CORE = ("_codec.py", "_decoder.py", "_headers.py", "_message.py", "_errors.py")


def executable_lines(path: Path) -> set[int]:
    """Lines of function bodies in ``path`` that carry bytecode.

    Module and class bodies (imports, defs, constants) run at import, before any input, so
    only code objects with their own locals (functions, lambdas, comprehensions) count.
    """
    code = compile(path.read_text(), str(path), "exec")
    lines: set[int] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        if current.co_flags & inspect.CO_NEWLOCALS:
            lines.update(line for _, _, line in current.co_lines() if line is not None)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return lines


def replay(harness: str, corpus: Path, *, trace: bool) -> tuple[int, dict[str, set[int]]]:
    check = CHECKS[harness]
    package = Path(eventstream.__file__).resolve().parent
    targets = {str(package / name): name for name in CORE}
    hit: dict[str, set[int]] = {name: set() for name in CORE}

    def tracer(frame: types.FrameType, event: str, arg: object) -> object:
        name = targets.get(frame.f_code.co_filename)
        if name is None:
            return None
        hit[name].add(frame.f_lineno)

        def local(frame: types.FrameType, event: str, arg: object) -> object:
            if event == "line":
                hit[name].add(frame.f_lineno)
            return local

        return local

    files = sorted(p for p in corpus.iterdir() if p.is_file())
    if trace:
        sys.settrace(tracer)
    try:
        for path in files:
            check(path.read_bytes())
    finally:
        sys.settrace(None)
    return len(files), hit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("harness", choices=sorted(CHECKS))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--coverage", action="store_true")
    args = parser.parse_args(argv)
    count, hit = replay(args.harness, args.corpus, trace=args.coverage)
    print(f"{count} inputs replayed through the {args.harness} invariant: all hold")
    if args.coverage:
        package = Path(eventstream.__file__).resolve().parent
        for name in CORE:
            lines = executable_lines(package / name)
            reached = hit[name] & lines
            missed = sorted(lines - reached)
            print(f"{name}: {len(reached)}/{len(lines)} lines; never reached: {missed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
