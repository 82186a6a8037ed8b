"""The README is tested: its examples run, and its two set-up commands are the ones CI runs."""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shell_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_readme_examples_run() -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)  # the examples open fixtures/ by relative path, as a reader would
    try:
        result = doctest.testfile(str(README), module_relative=False, verbose=False)
    finally:
        os.chdir(cwd)
    assert result.attempted > 10
    assert result.failed == 0


def test_readme_first_screen_has_the_two_set_up_commands() -> None:
    blocks = shell_blocks()
    assert blocks[0] == "python -m chunkstream fixtures/openai-text-usage.sse"
    assert blocks[1].startswith("python3 -m venv .venv && ")
    assert blocks[1].endswith("-m pytest -q")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert shell_blocks()[1] in ci.splitlines()


def test_main_job_runs_from_a_checkout_without_installing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-m", "chunkstream", "fixtures/openai-text-usage.sse"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    expected = json.loads((ROOT / "fixtures" / "openai-text-usage.expected.json").read_text())
    assert json.loads(out.stdout) == expected["strict"]["completion"]
    assert out.stderr == ""
