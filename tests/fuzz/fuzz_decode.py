"""Atheris harness: ``eventstream.decode`` on one fuzz input.

Invariant (tests/fuzz/invariants.py::check_decode): a message that re-encodes to the
input, or an ``EventStreamError`` with an offset; anything else escaping is a crash. Each
input is checked as given and with its CRCs recomputed, so mutations reach the header
parser. Run it through ``tests/fuzz/run.py``, or directly:
``python tests/fuzz/fuzz_decode.py CORPUS_DIR -runs=N``.
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

from tests.fuzz.invariants import check_decode_and_fixed


def main() -> None:
    atheris.Setup(sys.argv, check_decode_and_fixed)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
