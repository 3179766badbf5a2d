"""The layering contract, read from the source: who may import whom, no cycles, and h11's rule
for ``__all__``. CI runs it as its own step too (``.ci/run``, "layering").

Layers, lowest first; a module imports only from its own layer or below:

1. the codec: ``_errors`` → ``_headers`` → ``_message`` → ``_codec`` → ``_decoder``
2. the adapters: ``_io``, and the package root that re-exports the core
3. service layers: ``bedrock/``, ``signing``
4. tools: ``capture/``, ``samples/``, ``cli``, ``notebook``, ``strategies``, ``_console``,
   ``gateway/`` (the web-framework shells over bedrock's serving functions)

Every import counts, ``TYPE_CHECKING`` and function-level ones included.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "eventstream"

#: Module (dotted, without "eventstream.") -> layer. The codec modules are ordered among
#: themselves too: each may import only those before it.
CODEC = ("_errors", "_headers", "_message", "_codec", "_decoder")
LAYERS = {
    **{name: 1 for name in CODEC},
    "_io": 2,
    "sse": 2,  # a codec of its own (text/event-stream), beside the adapters
    "": 2,  # eventstream/__init__.py
    "bedrock": 3,
    "signing": 3,
    "sagemaker": 3,  # typed SageMaker Runtime streams, on bedrock.engine's machinery
    "awslambda": 3,  # typed Lambda streams, the same
    "capture": 4,
    "samples": 4,
    "cli": 4,
    "notebook": 4,
    "strategies": 4,
    "bedrock_strategies": 4,
    "_console": 4,
    "gateway": 4,
    "translate": 4,  # Bedrock streams <-> Anthropic and OpenAI SSE (bedrock, sse, root)
    "mock": 4,  # the fault-injecting Bedrock server (stdlib only)
    "pytest_plugin": 4,  # the bedrock_server fixture, over mock
    "__main__": 4,
}


def modules() -> Iterator[tuple[str, Path]]:
    """``(dotted name below eventstream, path)`` of every module in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def layer_of(name: str) -> int:
    """The layer of a module: its own entry, else its top-level package's."""
    if name in LAYERS:
        return LAYERS[name]
    top = name.split(".")[0]
    if top not in LAYERS:
        raise AssertionError(f"eventstream.{name} has no layer: add it to LAYERS")
    return LAYERS[top]


MODULES = {name for name, _ in modules()}


def imports(name: str, path: Path) -> set[str]:
    """The eventstream modules ``path`` imports (dotted, without "eventstream.")."""
    is_package = path.name == "__init__.py"
    package = name.split(".") if is_package else name.split(".")[:-1]
    if name == "":
        package = []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "eventstream" or alias.name.startswith("eventstream."):
                    found.add(alias.name.removeprefix("eventstream").lstrip("."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and (node.module + ".").startswith("eventstream."):
                target = node.module.removeprefix("eventstream").lstrip(".")
            else:
                continue
            # "from . import x" and "from .pkg import mod" may name modules, not objects.
            submodules = {
                candidate
                for alias in node.names
                if (candidate := f"{target}.{alias.name}" if target else alias.name) in MODULES
            }
            found |= submodules
            # "from . import _sibling" inside a package is the sibling only: the package
            # itself is already being imported (that is how this module runs).
            own_package = node.level == 1 and not node.module and target == ".".join(package)
            if not (own_package and submodules and len(submodules) == len(node.names)):
                found.add(target)
    found.discard(name)
    return found


GRAPH = {name: imports(name, path) for name, path in modules()}


def test_every_module_has_a_layer() -> None:
    for name in GRAPH:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(GRAPH))
def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import that goes up a layer, or up the codec's order, as text."""
    found = []
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(name):
                found.append(f"eventstream.{name} (layer {layer_of(name)}) imports "
                             f"eventstream.{target} (layer {layer_of(target)})")  # fmt: skip
            elif name in CODEC and target in CODEC and CODEC.index(target) > CODEC.index(name):
                found.append(f"the codec imports downward only: {name} imports {target}")
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*trail[trail.index(target) :], target]
            if target not in state and (cycle := visit(target, [*trail, target])):
                return cycle
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [name])):
            return cycle
    return None


def test_no_module_imports_upward() -> None:
    assert upward_imports(GRAPH) == []


def test_the_codec_imports_nothing_above_it() -> None:
    for name in CODEC:
        assert GRAPH[name] <= set(CODEC), (name, GRAPH[name] - set(CODEC))


def test_there_are_no_import_cycles() -> None:
    assert find_cycle(GRAPH) is None


def test_the_checks_see_what_they_must_refuse(tmp_path: Path) -> None:
    # The reader sees relative, absolute, TYPE_CHECKING and function-level imports...
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from .. import bedrock\n"
        "import eventstream.cli\n"
        "if TYPE_CHECKING:\n"
        "    from .._message import Message\n"
        "def f():\n"
        "    from ..notebook import decode_capture\n"
    )
    # ("from .. import bedrock" runs the package root first: it counts.)
    assert imports("capture._mod", path) == {"", "bedrock", "cli", "_message", "notebook"}
    # ("from . import _sibling" inside a package is the sibling, not the package again.)
    sibling = tmp_path / "sibling.py"
    sibling.write_text("from . import _events\nfrom . import STREAMS\n")
    assert imports("bedrock._mod", sibling) == {"bedrock._events", "bedrock"}
    # ...the upward check refuses the codec importing the adapters or a later codec module...
    bad = {"_message": {"_io"}, "_headers": {"_codec"}, "_io": set(), "_codec": set()}
    assert len(upward_imports(bad)) == 2
    # ...and the cycle check finds a cycle (the _errors -> _message one it once had).
    assert find_cycle({"_errors": {"_message"}, "_message": {"_headers", "_errors"}}) == [
        "_errors", "_message", "_errors"
    ]  # fmt: skip
    assert find_cycle({"a": {"b"}, "b": set()}) is None


# --- h11's rule for __all__ ------------------------------------------------------------------


def _private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split(".")) and name != "__main__"


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if _private(n)))
def test_a_private_modules_all_is_exported_by_its_package(name: str) -> None:
    """What a private module lists in ``__all__`` is public: its package re-exports it."""
    module = importlib.import_module(f"eventstream.{name}")
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"eventstream.{name} has no __all__"
    package_name = name.rpartition(".")[0]
    package = importlib.import_module("eventstream" + (f".{package_name}" if package_name else ""))
    public = set(getattr(package, "__all__", ()))
    for item in listed:
        assert item in public, f"eventstream.{name} lists {item!r}, which its package does not"
        assert getattr(package, item) is getattr(module, item), (name, item)


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if not _private(n) and n != "__main__"))
def test_a_public_modules_all_names_what_it_has(name: str) -> None:
    module = importlib.import_module("eventstream" + (f".{name}" if name else ""))
    listed = getattr(module, "__all__", None)
    assert listed, f"eventstream.{name or ''} has no __all__"
    assert len(set(listed)) == len(listed), "a name is listed twice"
    for item in listed:
        assert hasattr(module, item), f"eventstream.{name} lists {item!r} but has no such name"


def test_no_private_names_are_imported_across_packages() -> None:
    """``from x import _name`` stays inside one package: layers meet through public names."""
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level != 1:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not [p for p in private if not p.startswith("__")], (
                    f"eventstream.{name} imports {private} from {node.module}"
                )
