"""What the docs promise of the ``eventstream`` command: the README's quick start on a
terminal, an installed package carrying the samples and the command, and every session of
docs/cli.md re-run with its output compared."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from eventstream.samples import SAMPLES
from tests.cli_support import ANSWER, BIN, ROOT, SCRIPT, records, run_pty, shell
from tests.markdown import replace_blocks

# --- the README command and the installed package -------------------------------------------


def test_the_readme_command_on_a_terminal(tmp_path: Path) -> None:
    # The console script of this environment, run as the README's quick start runs it.
    code, shown, _, _ = run_pty([str(SCRIPT), "decode", "--bedrock", "--sample"], cwd=tmp_path)
    assert code == 0
    assert "reassembled (invoke stream, complete):" in shown and ANSWER in shown
    assert "tool call    get_weather" in shown


def test_an_installed_package_carries_the_samples_and_the_command(tmp_path: Path) -> None:
    # What `pip install .` puts in site-packages: setuptools' build_py (as the wheel build
    # runs it), from a copy of the project so the tree is untouched.
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed in this environment (Python >= 3.12 venvs)")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "eventstream", project / "eventstream", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = shell(
        f"'{sys.executable}' -c 'from setuptools import setup; setup()' -q build_py "
        f"--build-lib '{tmp_path}/site' egg_info --egg-base '{tmp_path}'",
        project,
    )
    assert build.returncode == 0, build.stderr
    installed = tmp_path / "site" / "eventstream"
    assert sorted(p.name for p in (installed / "samples").glob("*.bin")) == sorted(
        s.filename for s in SAMPLES.values()
    )
    entry_points = next(tmp_path.glob("*.egg-info")).joinpath("entry_points.txt").read_text()
    assert "eventstream = eventstream.cli:main" in entry_points
    # -S: no site-packages, so only the installed copy can answer (the library needs nothing).
    script = "import sys; from eventstream.cli import main; sys.exit(main())"
    result = shell(
        f"'{sys.executable}' -S -c '{script}' decode --bedrock --sample",
        tmp_path,
        PYTHONPATH=str(tmp_path / "site"),
    )
    assert result.returncode == 0, result.stderr
    assert records(result.stdout)[-1]["reassembled"]["text"] == ANSWER


# --- docs/cli.md shows real output ----------------------------------------------------------

CLI_DOC = ROOT / "docs" / "cli.md"


def _run_doc_command(command: str, cwd: Path) -> str:
    # A terminal, as a reader's; the commands share one scratch directory, in order.
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    _, shown, _, _ = run_pty(["bash", "-c", f"PATH='{path}'; {command}"], cwd=cwd)
    return shown


def _doc_with_fresh_output(doc: str, cwd: Path) -> tuple[str, int]:
    """docs/cli.md with the output under each ``$ `` line of a console block run again, and
    the number of console blocks run."""
    blocks = 0

    def fresh(body: str) -> str:
        nonlocal blocks
        blocks += 1
        commands = re.findall(r"^\$ (.*)$", body, re.M)
        return "".join(f"$ {c}\n{_run_doc_command(c, cwd)}" for c in commands)

    return replace_blocks(doc, "console", fresh), blocks


def test_docs_cli_output_is_what_the_cli_prints(tmp_path: Path) -> None:
    doc = CLI_DOC.read_text(encoding="utf-8")
    assert doc.count("```console") >= 8
    fresh, blocks = _doc_with_fresh_output(doc, tmp_path)
    assert blocks == doc.count("```console")  # every one of them was run again
    if os.environ.get("EVENTSTREAM_UPDATE_DOCS") == "1":
        CLI_DOC.write_text(fresh, encoding="utf-8")
    assert doc == fresh, "docs/cli.md is stale: rerun with EVENTSTREAM_UPDATE_DOCS=1 and review"
