"""The architecture, checked: each module imports only what docs/DESIGN.md's layer table allows,
never another module's ``_private`` names, only the standard library, only relatively (so the
folder can be vendored), and each module starts with its SPDX licence line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chunkstream"

# module -> the chunkstream modules it may import (docs/DESIGN.md, "Layers"; imports point one
# way, from the top of this table down to _errors). "" is the package itself (`from . import
# ...`: its public API). From any of them a module imports only names without a leading
# underscore (test_no_module_imports_another_modules_private_names): what a module shares with
# the others is named without one, and its _private names stay its own.
ALLOWED = {
    # Errors and warnings, and the helpers that word messages (describe, shown): imports nothing
    # at import time; _display inside ChunkstreamError._repr_html_ (when a notebook asks), and
    # _models for annotations only (TYPES_ONLY).
    "_errors": {"_display"},
    # The schema table (shapes, fields, types, merge and display rules): pure data. The
    # generator (a development tool, never imported at run time) reads it and writes
    # _models.py's generated section.
    "_schema": set(),
    "_gen": {"_schema"},
    # Bytes -> Server-Sent Events: knows nothing of JSON or chat completions.
    "_sse": {"_errors"},
    # Chunk and completion dataclasses, validation, the checking builders. _display renders
    # completions for notebooks: part of the models layer, split out so its code loads only
    # when a notebook asks (imported inside ChatCompletion._repr_html_); it imports the models
    # only for type checking.
    "_models": {"_errors", "_display", "_partial", "_encode"},
    "_display": {"_errors", "_models", "_schema"},
    # Chunks -> one completion, the merge rules (from the schema table): knows nothing of
    # bytes, SSE or JSON text.
    "_accumulate": {"_errors", "_models", "_schema", "_partial"},
    # JSON text read as data: tool-call arguments whole (json.loads) and as they arrive
    # (PartialJSON). _models (FunctionCall.parse_arguments, inside the method) and _accumulate
    # (the finished calls' check) call it rather than import json themselves.
    "_partial": {"_errors"},
    # JSON text matched against a learned text with holes (the template path): knows JSON text
    # only, nothing of chunks, SSE or streams.
    "_template": set(),
    # Events -> JSON -> chunks, [DONE], truncation, the entry points: the only layer that
    # knows them all.
    "_stream": {"_errors", "_models", "_accumulate", "_sse", "_template"},
    # A completion -> chunks -> an SSE body (issue 16): the encoder walks the schema table's
    # rows, writes JSON, and checks what it wrote by assembling it. _models imports it inside
    # ChatCompletionChunk.to_sse only (the models layer knows nothing of JSON text).
    "_encode": {"_errors", "_models", "_schema", "_accumulate"},
    # The command line: the public API (`from . import ...`), and from the stream layer its
    # package-internal rule for the [DONE] marker (is_done_data), so the two cannot disagree.
    "_cli": {"", "_stream"},
    "__main__": {"_cli"},
    # Mock streaming responses for tests (imported on its own, never with the package): the
    # public API only, like the command line.
    "testing": {""},
}
# Standard-library modules a layer must not import: "knows nothing of".
FORBIDDEN_STDLIB = {
    "_sse": {"json"},
    "_display": set(),
    "_models": {"json"},
    "_accumulate": {"json"},
}


# Packages outside the standard library a module may import inside a function, never at import
# time: chunkstream.testing's MockStream.transport() builds an httpx.MockTransport when called.
OPTIONAL = {
    "testing": {"httpx"},
}


# Modules a layer may import for annotations only, under ``if TYPE_CHECKING:`` (never run):
# the errors layer names the completion its errors carry (``partial: ChatCompletion | None``).
TYPES_ONLY = {
    "_errors": {"_models"},
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _type_checking_blocks(tree: ast.AST) -> list[ast.If]:
    """The ``if TYPE_CHECKING:`` blocks of a module (their imports never run)."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        and not node.orelse
    ]


def imports(
    module: str, package: Path = PACKAGE, *, types_only: bool = False
) -> tuple[set[str], set[str]]:
    """(chunkstream modules imported relatively, top-level absolute modules imported): those
    run at import time, or (``types_only``) those under ``if TYPE_CHECKING:`` alone."""
    tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
    blocks = _type_checking_blocks(tree)
    typing_nodes = {id(n) for block in blocks for n in ast.walk(block)} - {id(b) for b in blocks}
    relative: set[str] = set()
    absolute: set[str] = set()
    for node in ast.walk(tree):
        if (id(node) in typing_nodes) != types_only:
            continue
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and node.module:
                relative.add(node.module)
            elif node.level:
                # `from . import x`: the package's public API, or `from . import _models`,
                # a module by another way of writing it (held to the table like any).
                for alias in node.names:
                    relative.add(alias.name if _private(alias.name) else "")
            else:
                absolute.add((node.module or "").split(".")[0])
    return relative, absolute


def private_imports(source: str) -> list[str]:
    """``module._name`` for each name with a leading underscore (not a dunder) that ``source``
    imports relatively from another chunkstream module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level and node.module:
            found += [f"{node.module}.{a.name}" for a in node.names if _private(a.name)]
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_module_imports_follow_the_layer_table(module: str) -> None:
    relative, _ = imports(module)
    assert relative <= ALLOWED[module], f"{module} imports {sorted(relative - ALLOWED[module])}"
    # For annotations only: what the table allows, or what TYPES_ONLY adds.
    typing, _ = imports(module, types_only=True)
    allowed = ALLOWED[module] | TYPES_ONLY.get(module, set())
    assert typing <= allowed, f"{module} imports {sorted(typing - allowed)} for types"


def test_the_layer_check_tells_imports_for_types_from_imports_that_run(tmp_path: Path) -> None:
    (tmp_path / "_probe.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from ._errors import describe\n"
        "if TYPE_CHECKING:\n"
        "    from ._models import ChatCompletion\n",
        encoding="utf-8",
    )
    assert imports("_probe", tmp_path) == ({"_errors"}, {"typing"})
    assert imports("_probe", tmp_path, types_only=True) == ({"_models"}, set())


@pytest.mark.parametrize("module", [*sorted(ALLOWED), "__init__"])
def test_no_module_imports_another_modules_private_names(module: str) -> None:
    source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    assert private_imports(source) == [], f"{module} imports private names"


def test_the_private_import_check_finds_each_private_name() -> None:
    source = (
        "from ._models import MAX_DEPTH, _NESTS, _too_deep as deep\n"
        "from ._errors import __all__, describe\n"
        "from . import __version__\n"
        "def f():\n"
        "    from ._sse import _BOM\n"
    )
    assert private_imports(source) == ["_models._NESTS", "_models._too_deep", "_sse._BOM"]


def test_the_layer_check_sees_a_module_imported_from_the_package(tmp_path: Path) -> None:
    # `from . import _models` is an import of _models, not of the public API ("").
    (tmp_path / "_probe.py").write_text("from . import _models, assemble\n", encoding="utf-8")
    assert imports("_probe", tmp_path) == ({"_models", ""}, set())


@pytest.mark.parametrize("module", [*sorted(ALLOWED), "__init__"])
def test_module_imports_only_the_standard_library_and_never_itself_absolutely(module: str) -> None:
    _, absolute = imports(module)
    assert "chunkstream" not in absolute, "absolute self-import breaks vendoring"
    foreign = {name for name in absolute if name not in sys.stdlib_module_names}
    assert foreign <= OPTIONAL.get(module, set()), foreign
    # ... and those only inside a function: never when the module is imported.
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    at_import = {
        alias.name.split(".")[0] for n in top if isinstance(n, ast.Import) for alias in n.names
    }
    at_import |= {
        (n.module or "").split(".")[0] for n in top if isinstance(n, ast.ImportFrom) and not n.level
    }
    assert not at_import & foreign, at_import & foreign
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
    # (chunkstream.testing, the public module of mocks, is an attribute of the package once
    # something imported it: not a stray name.)
    public = {n for n in dir(chunkstream) if not n.startswith("_")} - {"testing"}
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
