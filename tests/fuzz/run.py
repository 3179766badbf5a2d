"""Run the atheris harnesses with a seed corpus and report libFuzzer's figures.

    python tests/fuzz/run.py                         # both harnesses, 20,000 runs each
    python tests/fuzz/run.py decoder --max-total-time 600 --workers 2 --corpus /tmp/es-corpus

Each harness runs in its own process(es) (libFuzzer owns the process); ``--workers`` starts
several on one corpus directory, which libFuzzer re-reads so they share findings. The exit
status is non-zero if any process found a crash, a hang (``-timeout``) or an out-of-memory
(``-rss_limit_mb``); the reproducer is left in the artifacts directory.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from tests.fuzz import bedrock_invariants, corpus  # noqa: E402

#: Harness name -> script. Each takes one input and checks tests/fuzz/invariants.py.
HARNESSES: dict[str, Path] = {
    "decode": HERE / "fuzz_decode.py",
    "decoder": HERE / "fuzz_decoder.py",
    # The typed Bedrock layer: decode_event/encode_event/events/reassemble on fuzz-chosen
    # headers and payloads inside valid frames (tests/fuzz/bedrock_invariants.py).
    "bedrock": HERE / "fuzz_bedrock.py",
}

#: Flags every run gets: small inputs, a per-input time limit that any hang trips, and a
#: memory ceiling that an allocation driven by a lying length field would trip.
BASE_FLAGS = ("-max_len=4096", "-timeout=10", "-rss_limit_mb=1024", "-print_final_stats=1")


@dataclass
class Result:
    """One libFuzzer process's figures, parsed from its output."""

    harness: str
    returncode: int
    executions: int
    seconds: int
    exec_per_sec: int
    coverage: int
    features: int
    corpus_units: int
    new_units: int
    peak_rss_mb: int
    slowest_unit_sec: int
    artifacts: list[str]
    log: str


def seeds_for(harness: str, shared: Path | None) -> list[bytes]:
    """The seed inputs for ``harness``: our frames, plus the public vectors if given."""
    if harness == "bedrock":
        # Its inputs are a control pair and a payload (bedrock_invariants.frame_for).
        return bedrock_invariants.seeds()
    seeds = list(corpus.own_seeds())
    if shared is not None:
        seeds += corpus.vector_seeds(shared)
    if harness == "decoder":
        return list(corpus.decoder_seeds(seeds))
    return seeds


def _stat(text: str, name: str) -> int:
    match = re.search(rf"stat::{name}:\s+(\d+)", text)
    return int(match.group(1)) if match else -1


def _last_status(text: str) -> tuple[int, int, int]:
    """(cov, ft, corpus units) from libFuzzer's last status line."""
    found = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)/", text)
    if not found:
        return -1, -1, -1
    cov, ft, units = found[-1]
    return int(cov), int(ft), int(units)


def start(
    harness: str,
    corpus_dir: Path,
    seed_dir: Path,
    artifacts: Path,
    flags: list[str],
    *,
    log: Path,
    nice: int = 0,
) -> subprocess.Popen[bytes]:
    """Start one libFuzzer process; its output goes to ``log``."""
    prefix = ["nice", "-n", str(nice)] if nice else []
    command = [
        *prefix,
        sys.executable,
        str(HARNESSES[harness]),
        *BASE_FLAGS,
        f"-artifact_prefix={artifacts}/{harness}-",
        *flags,
        str(corpus_dir),
        str(seed_dir),
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def collect(harness: str, process: subprocess.Popen[bytes], log: Path, artifacts: Path) -> Result:
    """Wait for a process started by :func:`start` and parse its figures."""
    returncode = process.wait()
    text = log.read_text(errors="replace")
    cov, ft, units = _last_status(text)
    found = sorted(str(p) for p in artifacts.glob(f"{harness}-*"))
    return Result(
        harness=harness,
        returncode=returncode,
        executions=_stat(text, "number_of_executed_units"),
        seconds=int(m.group(1)) if (m := re.search(r"Done \d+ runs in (\d+) second", text)) else -1,
        exec_per_sec=_stat(text, "average_exec_per_sec"),
        coverage=cov,
        features=ft,
        corpus_units=units,
        new_units=_stat(text, "new_units_added"),
        peak_rss_mb=_stat(text, "peak_rss_mb"),
        slowest_unit_sec=_stat(text, "slowest_unit_time_sec"),
        artifacts=found,
        log=str(log),
    )


def run(
    harnesses: list[str],
    workdir: Path,
    flags: list[str],
    *,
    workers: int = 1,
    corpus_root: Path | None = None,
    shared: Path | None = None,
    nice: int = 0,
) -> list[Result]:
    """Run every harness (``workers`` processes each) at once; return one result a process."""
    corpus_root = corpus_root or workdir / "corpus"
    artifacts = workdir / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    started = []
    for harness in harnesses:
        seed_dir = workdir / f"seeds-{harness}"
        corpus.write_corpus(seed_dir, seeds_for(harness, shared))
        corpus_dir = corpus_root / harness
        corpus_dir.mkdir(parents=True, exist_ok=True)
        for worker in range(workers):
            log = workdir / f"{harness}-{worker}.log"
            seed_flag = [f"-seed={worker + 1}"] if workers > 1 else []
            process = start(
                harness, corpus_dir, seed_dir, artifacts, [*seed_flag, *flags], log=log, nice=nice
            )
            started.append((harness, process, log))
    return [collect(harness, process, log, artifacts) for harness, process, log in started]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("harness", nargs="*", help=f"of {', '.join(HARNESSES)} (default: all)")
    parser.add_argument("--runs", type=int, help="inputs per process (libFuzzer -runs)")
    parser.add_argument("--max-total-time", type=int, help="seconds per process")
    parser.add_argument("--workers", type=int, default=1, help="processes per harness")
    parser.add_argument("--corpus", type=Path, help="corpus root to keep (default: temporary)")
    parser.add_argument("--shared", type=Path, help="the ../shared folder, to seed from vectors")
    parser.add_argument("--workdir", type=Path, help="logs and artifacts (default: temporary)")
    parser.add_argument("--nice", type=int, default=0, help="run under nice -n NICE")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.harness) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)}; choose from {', '.join(HARNESSES)}")
    flags = []
    if args.runs is not None:
        flags.append(f"-runs={args.runs}")
    if args.max_total_time is not None:
        flags.append(f"-max_total_time={args.max_total_time}")
    if not flags:
        flags.append("-runs=20000")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="eventstream-fuzz-"))
    results = run(
        args.harness or list(HARNESSES),
        workdir,
        flags,
        workers=args.workers,
        corpus_root=args.corpus,
        shared=args.shared,
        nice=args.nice,
    )
    figures = [asdict(r) for r in results]
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    total = sum(r.executions for r in results)
    failed = [r for r in results if r.returncode != 0 or r.artifacts]
    print(f"{total} executions in {len(results)} processes; {len(failed)} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
