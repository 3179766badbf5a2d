"""Atheris harness: ``eventstream.Decoder`` fed in fuzz-chosen pieces, then closed.

The input is the stream plus two control bytes that choose the cuts, bytes or memoryviews,
the limits and whether the CRCs are recomputed (``split_input``). Invariant
(tests/fuzz/invariants.py::check_decoder): the same messages and error whatever the cuts,
agreeing with ``decode()``; only ``EventStreamError`` may escape. Run it through
``tests/fuzz/run.py``, or directly: ``python tests/fuzz/fuzz_decoder.py CORPUS_DIR -runs=N``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

# The harness runs as a script (libFuzzer's fork mode re-executes it), so put the project
# root on the path for ``tests.fuzz``; eventstream is imported first, under instrumentation.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["eventstream"]):
    import eventstream  # noqa: F401

from tests.fuzz.invariants import check_decoder


def main() -> None:
    atheris.Setup(sys.argv, check_decoder)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
