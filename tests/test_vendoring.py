"""Vendoring: the chunkstream/ folder copied into another project under another name works."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_copied_under_another_name_runs(tmp_path: Path) -> None:
    vendor = tmp_path / "yourapp" / "_vendor"
    vendor.mkdir(parents=True)
    (tmp_path / "yourapp" / "__init__.py").write_text("")
    (vendor / "__init__.py").write_text("")
    shutil.copytree(
        ROOT / "chunkstream",
        vendor / "chunkstream",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    body = (ROOT / "fixtures" / "openai-parallel-tool-calls.sse").read_bytes()
    (tmp_path / "capture.sse").write_bytes(body)
    code = (
        "import sys\n"
        "from yourapp._vendor import chunkstream\n"
        "c = chunkstream.assemble(open('capture.sse', 'rb'))\n"
        "print(c.choices[0].message.tool_calls[1].function.name)\n"
        "print(chunkstream.__version__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'chunkstream'))\n"
    )
    # Run from the temporary project only, so the checkout's chunkstream cannot be imported.
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.')\n{code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    import chunkstream

    assert out.stdout.splitlines() == ["get_company_news", chunkstream.__version__, "[]"]
    assert out.stderr == ""

    # The vendored copy's CLI works too, as a module of the host package.
    cli = subprocess.run(
        [sys.executable, "-m", "yourapp._vendor.chunkstream", "capture.sse"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert '"get_company_news"' in cli.stdout


def test_import_has_no_side_effects_beyond_defining_names() -> None:
    # Nothing done at import time: no output, no files, no threads, no logging handlers.
    code = (
        "import threading, logging, os\n"
        "def state():\n"
        "    handlers = len(logging.getLogger().handlers)\n"
        "    return threading.active_count(), handlers, sorted(os.listdir('.'))\n"
        "before = state()\n"
        "import chunkstream\n"
        "print(before == state())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout == "True\n"
    assert out.stderr == ""
