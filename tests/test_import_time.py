"""Import cost: ``import chunkstream`` is cheap and loads only what the common path needs.

Each check runs a fresh interpreter with ``-I -S`` (isolated, no ``site``), so the baseline is
the bare interpreter and not whatever ``.pth`` files of the machine happen to import; the
checkout is put on ``sys.path`` by hand.

Speed is measured in benchmarks; the bound here is only a generous guard (CI machines vary):
the best of five runs, ten times the ~20 ms chunkstream's own modules take on a laptop (100 ms
failed on this project's 2-core machines while other work loaded both cores).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = {
    "chunkstream",
    "chunkstream._accumulate",
    "chunkstream._encode",
    "chunkstream._errors",
    "chunkstream._models",
    "chunkstream._partial",
    "chunkstream._schema",
    "chunkstream._sse",
    "chunkstream._stream",
    "chunkstream._template",
}
# What the layers import from the standard library at module level: ``json`` (the stream layer),
# ``dataclasses`` (models, errors, SSE events), ``typing`` and ``collections.abc`` (annotations
# that must exist at runtime, e.g. ``ClassVar`` for dataclasses), ``__future__``.
EXPECTED_STDLIB = "__future__, collections.abc, dataclasses, json, typing"
# Never on the common path. (``reprlib`` is not listed: ``collections`` and ``functools``
# import it themselves; chunkstream's own use of it, for error messages, is lazy.)
NOT_ON_THE_COMMON_PATH = {
    "argparse",
    "asyncio",
    "base64",
    "concurrent",
    "datetime",
    "decimal",
    "email",
    "fnmatch",
    "html",
    "http",
    "logging",
    "pprint",
    "socket",
    "ssl",
    "subprocess",
    "textwrap",
    "threading",
    "urllib",
}


def run(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    return subprocess.run(
        [sys.executable, "-I", "-S", *flags, "-c", prelude + code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )


def modules_added_by(statement: str) -> set[str]:
    code = f"before = set(sys.modules)\n{statement}\nprint(sorted(set(sys.modules) - before))\n"
    added = ast.literal_eval(run(code).stdout)
    assert isinstance(added, list)
    return set(added)


def import_times() -> dict[str, tuple[int, int]]:
    """``{module: (self µs, cumulative µs)}`` from ``-X importtime``, the best of five runs."""
    best: dict[str, tuple[int, int]] = {}
    for _ in range(5):
        err = run("import chunkstream", "-X", "importtime").stderr
        for line in err.splitlines():
            m = re.fullmatch(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
            if m:
                self_us, cumulative_us, name = int(m[1]), int(m[2]), m[4]
                held = best.get(name, (self_us, cumulative_us))
                best[name] = (min(held[0], self_us), min(held[1], cumulative_us))
    return best


def test_importing_chunkstream_is_fast() -> None:
    times = import_times()
    assert set(times) >= CORE, sorted(CORE - set(times))
    own_ms = sum(times[name][0] for name in CORE) / 1000
    total_ms = times["chunkstream"][1] / 1000
    # chunkstream's own module code, and everything the import pulls in with it.
    assert own_ms < 200, {name: times[name] for name in sorted(CORE)}
    assert total_ms < 500, total_ms


def test_importing_chunkstream_loads_only_json_dataclasses_and_typing_besides_itself() -> None:
    added = modules_added_by("import chunkstream")
    expected = modules_added_by(f"import {EXPECTED_STDLIB}")
    assert added - expected == CORE
    assert added & CORE == CORE
    assert not {name.split(".")[0] for name in added} & NOT_ON_THE_COMMON_PATH


def test_the_cli_and_the_notebook_display_are_not_imported_with_the_package() -> None:
    added = modules_added_by("import chunkstream")
    assert "chunkstream._cli" not in added
    assert "chunkstream._display" not in added
    assert "chunkstream.testing" not in added  # the mocks for tests: imported on their own
    assert "argparse" not in added and "html" not in added


def test_display_module_imports_html_and_json_only_when_it_renders() -> None:
    code = (
        "import chunkstream\n"
        "before = set(sys.modules)\n"
        "from chunkstream._display import completion_html, completion_markdown\n"
        "loaded = set(sys.modules) - before\n"
        "print(sorted(loaded))\n"
        "completion_html(chunkstream.ChatCompletion(created=1))\n"
        "print('html' in sys.modules, 'datetime' in sys.modules)\n"
    )
    first, second = run(code).stdout.splitlines()
    # (and the schema table, if nothing on the common path had loaded it yet)
    assert set(ast.literal_eval(first)) - {"chunkstream._schema"} == {"chunkstream._display"}
    assert second == "True True"
