"""Reading the Markdown pages the tests check: tables after a marker, and ```python blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import CodeType

_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


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
