"""Peak memory of ``eventstream decode`` over a large capture: it must stay flat.

Writes a raw capture of Bedrock ``chunk`` frames (built with ``struct`` and ``zlib``, not by
the codec under test) to a temporary file, runs the console script on it in a subprocess,
and reads the child's peak RSS from ``resource.getrusage(RUSAGE_CHILDREN)``. Run it alone:

    .venv/bin/python benchmarks/memory.py              # 1 GiB, the figure in README.md
    .venv/bin/python benchmarks/memory.py --mib 16     # a smoke run (tests do this)

Prints one Markdown table row per mode: capture size, frames, peak RSS, seconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "eventstream"


def frame(payload: bytes) -> bytes:
    """One frame with the three headers Bedrock sends, laid out by hand."""
    headers = b"".join(
        bytes([len(name)]) + name + b"\x07" + struct.pack(">H", len(value)) + value
        for name, value in (
            (b":event-type", b"chunk"),
            (b":content-type", b"application/json"),
            (b":message-type", b"event"),
        )
    )
    total = 16 + len(headers) + len(payload)
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def write_capture(path: Path, size: int) -> int:
    """Write about ``size`` bytes of a Claude stream's chunk frames; return the frame count."""
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}
    frames = []
    for n in range(64):
        delta["delta"]["text"] = f"word {n} " * 8  # type: ignore[index]
        body = base64.b64encode(json.dumps(delta).encode()).decode()
        frames.append(frame(json.dumps({"bytes": body}).encode()))
    block = b"".join(frames)
    count = 0
    with path.open("wb") as out:
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
            count += len(frames)
    return count


def measure(path: Path, *args: str) -> tuple[float, float, int]:
    """Run ``eventstream decode FILE ARGS`` to /dev/null; return (peak RSS MiB, s, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        code = subprocess.run(
            [str(SCRIPT), "decode", str(path), "-q", "--no-progress", *args],
            stdout=sink, stderr=subprocess.PIPE, check=False,
        ).returncode  # fmt: skip
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss is the largest child so far (KiB on Linux): run the largest mode first or
    # read each figure as "at most". Each mode runs in its own process below.
    return max(peak, before) / 1024, seconds, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="capture size in MiB")
    parser.add_argument(
        "--mode",
        choices=("json", "summary", "bedrock"),
        default=None,
        help="one mode only (in this process); default: each in a process of its own",
    )
    options = parser.parse_args()
    if options.mode is None:
        print("| capture | frames | mode | peak RSS | seconds | exit |")
        print("|---|---|---|---|---|---|")
        for mode in ("summary", "json", "bedrock"):
            # A process per mode: RUSAGE_CHILDREN keeps the largest child's peak.
            subprocess.run(
                [sys.executable, __file__, "--mib", str(options.mib), "--mode", mode], check=True
            )
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "capture.bin"
        frames = write_capture(path, options.mib << 20)
        size = path.stat().st_size
        args = {
            "summary": ("--summary", "--json"),
            "json": ("--json",),
            "bedrock": ("--bedrock", "--json"),
        }[options.mode]
        peak, seconds, code = measure(path, *args)
        print(
            f"| {size / (1 << 20):,.0f} MiB | {frames:,} | {' '.join(args)} | "
            f"{peak:,.1f} MiB | {seconds:,.1f} | {code} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
