"""The architecture, checked: each module imports only what DESIGN.md's layer table allows,
only the standard library, only relatively (so the folder can be vendored), and each module
starts with its SPDX licence line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chunkstream"

# module -> the chunkstream modules it may import (DESIGN.md, "Layers"; imports point one way).
ALLOWED = {
    "_errors": set(),
    "_sse": {"_errors"},
    # _display renders completions for notebooks: part of the models layer, split out so its
    # code loads only when a notebook asks (imported inside ChatCompletion._repr_html_).
    "_models": {"_errors", "_display"},
    "_display": {"_errors", "_models"},
    "_schema": set(),  # the schema table: pure data
    "_accumulate": {"_errors", "_models", "_schema"},
    "_stream": {"_errors", "_models", "_accumulate", "_sse"},
    "_cli": {""},  # the public API only: `from . import ...`
    "__main__": {"_cli"},
}
# Standard-library modules a layer must not import: "knows nothing of".
FORBIDDEN_STDLIB = {
    "_sse": {"json"},
    "_display": set(),
    "_models": {"json"},
    "_accumulate": {"json"},
}


def imports(module: str) -> tuple[set[str], set[str]]:
    """(chunkstream modules imported relatively, top-level absolute modules imported)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    relative: set[str] = set()
    absolute: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative.add(node.module or "")
            else:
                absolute.add((node.module or "").split(".")[0])
    return relative, absolute


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_module_imports_follow_the_layer_table(module: str) -> None:
    relative, _ = imports(module)
    assert relative <= ALLOWED[module], f"{module} imports {sorted(relative - ALLOWED[module])}"


@pytest.mark.parametrize("module", [*sorted(ALLOWED), "__init__"])
def test_module_imports_only_the_standard_library_and_never_itself_absolutely(module: str) -> None:
    _, absolute = imports(module)
    assert "chunkstream" not in absolute, "absolute self-import breaks vendoring"
    foreign = {name for name in absolute if name not in sys.stdlib_module_names}
    assert not foreign, foreign
    assert not absolute & FORBIDDEN_STDLIB.get(module, set())


def test_every_module_has_a_module_in_the_table() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_module_starts_with_spdx_licence_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# SPDX-License-Identifier: MIT"


def test_version_is_a_string_literal() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    values = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
    ]
    assert len(values) == 1
    assert isinstance(values[0], ast.Constant)
    assert isinstance(values[0].value, str)


def test_public_names_are_all_exported() -> None:
    import chunkstream

    for name in chunkstream.__all__:
        assert hasattr(chunkstream, name), name
    public = {n for n in dir(chunkstream) if not n.startswith("_")}
    # Everything public at package level is deliberately exported (no stray helpers).
    assert public <= set(chunkstream.__all__), sorted(public - set(chunkstream.__all__))


def test_importing_pulls_in_only_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules); import chunkstream; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(n for n in new if n not in sys.stdlib_module_names and n != 'chunkstream'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == "[]"
