"""The import contract: layers import downwards only, and the runtime never needs torch.

The rules are read off the source with ``ast`` (no import is executed), so a violation
is caught even in a branch no other test runs. An import inside a function counts as
*lazy*: the app may reach training and export that way, behind their sub-commands.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIR: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
TORCH_LIKE = ("torch", "onnx", "onnxscript", "safetensors", "nncf")


@dataclass(frozen=True)
class Import:
    importer: str  # e.g. stylecam.app.stylize
    imported: str  # e.g. stylecam.models.style.catalog, or torch
    lazy: bool  # inside a function or class body
    where: str  # path:line, for the failure message


def _module_name(path: Path) -> str:
    folder_to_package = {folder: package for package, folder in PACKAGE_DIR.items()}
    rel = path.relative_to(ROOT)
    parts = [p for p in rel.with_suffix("").parts[1:] if p != "__init__"]
    return ".".join([folder_to_package[rel.parts[0]], *parts])


def _sources() -> Iterator[Path]:
    for package, folder in PACKAGE_DIR.items():
        if package == "stylecam":
            yield from sorted((ROOT / folder).glob("*.py"))
        else:
            yield from sorted((ROOT / folder).rglob("*.py"))


def _imports() -> list[Import]:
    found = []
    for path in _sources():
        importer = _module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            lazy = id(node) not in top_level and not _in_top_level_block(tree, node)
            for name in names:
                found.append(Import(importer, name, lazy, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def _in_top_level_block(tree: ast.Module, node: ast.AST) -> bool:
    """An import under a module-level ``try``/``if`` still runs at import time."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Try | ast.If) and any(n is node for n in ast.walk(stmt)):
            return not any(
                isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and any(n is node for n in ast.walk(f))
                for f in ast.walk(stmt)
            )
    return False


IMPORTS = _imports()


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...], *, lazy_too: bool = True) -> list[str]:
    return [
        f"{i.where}: {i.importer} imports {i.imported}"
        for i in IMPORTS
        if _within(i.importer, *importers) and _within(i.imported, *forbidden) and (lazy_too or not i.lazy)
    ]


RULES = {
    "models imports nothing above it": (("stylecam.models",), ("stylecam.app", "stylecam.training", "stylecam.export"), True),
    "style and runtime layers are torch-free": (
        ("stylecam.models.style", "stylecam.models.runtime", "stylecam.models.errors"),
        ("stylecam.models.nets", *TORCH_LIKE),
        True,
    ),
    "the style layer does not run styles": (("stylecam.models.style",), ("stylecam.models.runtime",), True),
    "the nets layer knows no style files or engines": (
        ("stylecam.models.nets",),
        ("stylecam.models.style", "stylecam.models.runtime"),
        True,
    ),
    "training never imports app or export": (("stylecam.training",), ("stylecam.app", "stylecam.export"), True),
    "export never imports app or training": (("stylecam.export",), ("stylecam.app", "stylecam.training"), True),
    "app reaches training, export and torch only lazily": (
        ("stylecam.app",),
        ("stylecam.training", "stylecam.export", "stylecam.models.nets", *TORCH_LIKE),
        False,
    ),
    "Qt only in app.gui": (("stylecam.models", "stylecam.training", "stylecam.export"), ("PyQt6",), True),
    "the live pipeline is Qt-free": (("stylecam.app.live",), ("PyQt6",), True),
    "the live pipeline does not reach up into the window": (("stylecam.app.live",), ("stylecam.app.gui",), True),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_layer_rule(rule: str) -> None:
    importers, forbidden, lazy_too = RULES[rule]
    assert _violations(importers, forbidden, lazy_too=lazy_too) == []


GUI_ENTRY = "stylecam.app.gui.command"  # Qt-free: the `gui` sub-command's parser; starts the app lazily


def test_the_window_is_reached_only_through_its_command() -> None:
    """Outside ``stylecam.app.gui`` nothing imports the window's modules: the CLI imports the
    Qt-free ``gui`` command, whose lazy import starts the app. So the batch commands, the
    live pipeline and the layers below never load Qt."""
    outside = [
        f"{i.where}: {i.importer} imports {i.imported}"
        for i in IMPORTS
        if _within(i.imported, "stylecam.app.gui") and not _within(i.importer, "stylecam.app.gui")
        and i.imported not in (GUI_ENTRY, "stylecam.app.gui")
    ]
    assert outside == []
    entry_qt = [i.where for i in IMPORTS if i.importer == GUI_ENTRY and (_within(i.imported, "PyQt6") or (
        _within(i.imported, "stylecam.app.gui") and i.imported != GUI_ENTRY and not i.lazy))]
    assert entry_qt == []  # the command reaches the window by its lazy import only


def test_no_import_cycles_at_module_level() -> None:
    graph: dict[str, set[str]] = {}
    modules = {_module_name(p) for p in _sources()}
    for i in IMPORTS:
        if not i.lazy and i.imported in modules and i.imported != i.importer:
            graph.setdefault(i.importer, set()).add(i.imported)
    # Lazy imports count too where they close a loop with module-level ones: a registry
    # that imports its plug-ins which import the registry is still a cycle.
    for i in IMPORTS:
        if i.lazy and i.imported in modules and i.imported != i.importer:
            graph.setdefault(i.importer, set()).add(i.imported)
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_every_package_folder_is_installed() -> None:
    """A sub-folder missing from ``packages`` works editable and breaks ``pip install .``."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {_module_name(p) for p in _sources() if p.name == "__init__.py"}
    on_disk.add("stylecam")
    assert on_disk - listed == set()
    for package in listed:  # data-only packages (the bundled styles, upscalers) have a folder and no code
        top = max((p for p in PACKAGE_DIR if package == p or package.startswith(p + ".")), key=len)
        folder = ROOT / PACKAGE_DIR[top] / Path(*package[len(top):].split(".")[1:])
        assert folder.is_dir(), f"{package} is listed in pyproject.toml but {folder} is not a folder"


def test_the_contract_sees_the_runtime_modules() -> None:
    """Guards the guard: the walker finds the modules the rules are about."""
    importers = {i.importer for i in IMPORTS}
    for module in ("stylecam.app.stylize", "stylecam.models.runtime.engines", "stylecam.models.style.catalog",
                   "stylecam.training.loop", "stylecam.export.onnx_export", "stylecam.app.live.recorder",
                   GUI_ENTRY):
        assert module in importers
