"""Atheris harness: the typed Bedrock layer (decode_event, encode_event, events, reassemble).

Invariant: tests/fuzz/bedrock_invariants.py::check_bedrock. Run it through
``tests/fuzz/run.py bedrock``, or directly: ``python tests/fuzz/fuzz_bedrock.py CORPUS -runs=N``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

# Run as a script (libFuzzer's fork mode re-executes it): the project root goes on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["eventstream"]):
    # eventstream.bedrock too: a module imported after this block is not instrumented.
    import eventstream.bedrock  # noqa: F401

from tests.fuzz.bedrock_invariants import check_bedrock


def main() -> None:
    atheris.Setup(sys.argv, check_bedrock)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
