"""Coverage-guided fuzzing: a bounded atheris session per harness, and every finding since.

The long runs and their figures are in docs/reliability.md; this is the short session CI
runs (a few seconds a harness) plus the regression inputs the fuzzers found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import eventstream as es
from tests.fuzz import bedrock_invariants, corpus, invariants, replay, run
from tests.support import frame, header

# --- findings, each kept as a regression test ------------------------------------------------


def test_header_errors_name_the_frame_they_belong_to() -> None:
    # Finding 1 (fuzz_decode, first seconds): HeaderError carried offset and frame_index but
    # frame_offset None, unlike every other error; the docs promise all three.
    data = frame(header(b"a", 10))
    with pytest.raises(es.HeaderError) as caught:
        es.decode(data)
    assert (caught.value.offset, caught.value.frame_index, caught.value.frame_offset) == (14, 0, 0)
    second = es.Message().encode() + data
    decoder = es.Decoder()
    with pytest.raises(es.HeaderError) as caught:
        decoder.feed(second)
    assert (caught.value.offset, caught.value.frame_index, caught.value.frame_offset) == (30, 1, 16)
    invariants.check_decode(data)
    invariants.check_decoder(second + b"\x00\x00")


def test_every_seed_satisfies_the_invariants() -> None:
    # The seeds cover every check once; the invariants hold on each without a fuzzer.
    seeds = list(corpus.own_seeds())
    assert len(seeds) > 15
    for seed in seeds:
        invariants.check_decode_and_fixed(seed)
    for seed in corpus.decoder_seeds(seeds):
        invariants.check_decoder(seed)


def test_bedrock_seeds_satisfy_the_invariant() -> None:
    seeds = bedrock_invariants.seeds()
    assert len(seeds) == 19  # every built event and two exceptions
    for seed in seeds:
        bedrock_invariants.check_bedrock(seed)


def test_split_input_reads_the_control_bytes() -> None:
    body = bytes(range(50))
    whole, chunks, limits = invariants.split_input(body + (0).to_bytes(2, "big"))
    assert whole == body and chunks == [bytes([b]) for b in body] and limits == {}
    whole, chunks, limits = invariants.split_input(body + ((9 << 4) | 2).to_bytes(2, "big"))
    assert chunks is not None and b"".join(chunks) == body
    assert limits == invariants.LIMIT_PROFILES[2]
    _, chunks, _ = invariants.split_input(body + ((9 << 4) | 8).to_bytes(2, "big"))
    assert chunks is not None and all(isinstance(c, memoryview) for c in chunks)
    assert b"".join(chunks) == body
    _, chunks, _ = invariants.split_input(body + (1 << 4).to_bytes(2, "big"))
    assert chunks is None  # fed as Decoder.needed asks
    fixed, _, _ = invariants.split_input(es.Message().encode()[:12] + b"\x00\x04")
    assert fixed == invariants.fix_crcs(es.Message().encode()[:12])


# --- the bounded session CI runs ---------------------------------------------------------------


@pytest.mark.parametrize("harness", sorted(run.HARNESSES))
def test_bounded_fuzz_session_is_clean(harness: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    # 20,000 inputs, or 20 s on a loaded machine, whichever comes first.
    (result,) = run.run([harness], tmp_path, ["-runs=20000", "-max_total_time=20"])
    log = Path(result.log).read_text(errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert result.artifacts == [], log[-3000:]
    assert result.executions > 1000, log[-3000:]
    # Instrumentation worked and the seeds were read: well past the prelude checks.
    assert result.coverage > 100, log[-3000:]


def test_replay_checks_a_corpus_and_counts_the_lines_it_reaches(tmp_path: Path) -> None:
    corpus.write_corpus(tmp_path, corpus.own_seeds())
    count, hit = replay.replay("decode", tmp_path, trace=True)
    assert count == len(set(corpus.own_seeds()))
    codec = Path(es.__file__).resolve().parent / "_codec.py"
    lines = replay.executable_lines(codec)
    # The seeds alone reach most of the decoder's lines: every check has one.
    assert len(hit["_codec.py"] & lines) > 0.7 * len(lines)
