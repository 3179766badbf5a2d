"""Reading the Markdown pages the tests check: tables after a marker, and fenced blocks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType


def _fenced(language: str) -> re.Pattern[str]:
    """A ```language block from its opening line to the next line starting with three
    backticks; group 1 is the body, its last newline included."""
    return re.compile(rf"^```{re.escape(language)}\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


_PYTHON_BLOCK = _fenced("python")


def table_after(text: str, marker: str) -> list[list[str]]:
    """The body rows of the table that follows ``marker``, each cell stripped.

    The table ends at the first blank line after the marker; its heading row and the
    ``|---|`` rule under it are left out.
    """
    block = text[text.index(marker) :].split("\n\n", maxsplit=1)[0]
    rows = [line for line in block.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


@dataclass(frozen=True)
class PythonBlock:
    """One ```python block: its code and the line of the page where the code starts."""

    code: str
    line: int

    def compiled(self, filename: str) -> CodeType:
        """The code compiled so that tracebacks and ``f_lineno`` give the page's line numbers."""
        return compile("\n" * (self.line - 1) + self.code, filename, "exec")


def python_blocks(text: str) -> list[PythonBlock]:
    """Every ```python block of ``text``, in order."""
    return [
        PythonBlock(match.group(1), text.count("\n", 0, match.start(1)) + 1)
        for match in _PYTHON_BLOCK.finditer(text)
    ]


def replace_blocks(text: str, language: str, body: Callable[[str], str]) -> str:
    """``text`` with the body of every ```language block replaced by ``body(old body)``.

    Each body ends with its last newline, and so must what ``body`` returns.
    """

    def block(match: re.Match[str]) -> str:
        return f"```{language}\n{body(match.group(1))}```"

    return _fenced(language).sub(block, text)
