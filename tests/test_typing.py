"""The entry points' source types, checked by mypy itself: the sources users pass (httpx, aiohttp,
urllib, urllib3/requests, a path, a binary file, bytes) pass ``mypy --strict``; wrong ones (an
int, a text file, an async iterable to a sync function, ...) fail with the expected errors.

The scripts are ``tests/typecheck/sources_ok.py`` and ``tests/typecheck/sources_bad.py``; each
line of the bad one that must fail says so in a comment: ``# error: <code> <text in the
message>``.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typecheck"

api = pytest.importorskip("mypy.api", reason="mypy is not installed (it is in the test extra)")
for _client in ("httpx", "aiohttp", "urllib3"):
    if importlib.util.find_spec(_client) is None:
        pytest.skip(
            f"{_client} is not installed (it is in the test extra)", allow_module_level=True
        )

# requests types response.raw as Any and ships its types only in recent versions: checked
# when it does (requests' raw object itself, urllib3's HTTPResponse, is in sources_ok.py).
REQUESTS_OK = """
from __future__ import annotations

import requests

import chunkstream
from chunkstream import ChatCompletion


def from_requests(response: requests.Response) -> list[ChatCompletion]:
    return [
        chunkstream.assemble(response.raw),
        chunkstream.assemble(response.iter_content(chunk_size=None)),
    ]
"""


def _requests_typed() -> bool:
    spec = importlib.util.find_spec("requests")
    if spec is None or spec.origin is None:
        return False
    return (Path(spec.origin).parent / "py.typed").is_file()


def run_mypy(tmp_path: Path, *files: Path) -> list[str]:
    """mypy --strict on ``files`` from the checkout (so ``chunkstream`` is this one), with a
    cache of its own; the output lines."""
    stdout, stderr, _ = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--no-pretty",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *map(str, files),
        ]
    )
    assert not stderr.strip(), stderr
    return stdout.splitlines()


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("mypy")
    files = [TYPING / "sources_ok.py", TYPING / "sources_bad.py"]
    if _requests_typed():
        (tmp / "sources_requests_ok.py").write_text(REQUESTS_OK, encoding="utf-8")
        files.append(tmp / "sources_requests_ok.py")
    import os

    here = os.getcwd()
    os.chdir(ROOT)  # mypy finds this checkout's chunkstream from the current directory
    try:
        lines = run_mypy(tmp, *files)
    finally:
        os.chdir(here)
    by_file: dict[str, list[str]] = {f.name: [] for f in files}
    for line in lines:
        name = Path(line.split(":", 1)[0]).name
        by_file.setdefault(name, []).append(line)
    return by_file


def test_the_sources_users_pass_are_accepted_by_mypy_strict(
    mypy_output: dict[str, list[str]],
) -> None:
    assert mypy_output["sources_ok.py"] == []
    assert mypy_output.get("sources_requests_ok.py", []) == []


def expected_errors() -> dict[int, tuple[str, str]]:
    """``{line: (error code, text the message must hold)}`` from the bad script's comments."""
    out = {}
    lines = (TYPING / "sources_bad.py").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        m = re.search(r"# error: ([\w-]+)(?: (.*))?$", line)
        if m:
            out[number] = (m[1], m[2] or "")
    return out


def test_wrong_sources_are_rejected_by_mypy_strict_on_the_lines_marked(
    mypy_output: dict[str, list[str]],
) -> None:
    want = expected_errors()
    assert len(want) == 12  # the script's marked lines (guards the comment reader)
    errors: dict[int, list[tuple[str, str]]] = {}
    for line in mypy_output["sources_bad.py"]:
        m = re.fullmatch(r".*?:(\d+): error: (.*)  \[([\w-]+)\]", line)
        if m:
            errors.setdefault(int(m[1]), []).append((m[3], m[2]))
        else:
            assert ": note: " in line, line
    assert sorted(errors) == sorted(want)
    for number, (code, text) in want.items():
        for got_code, message in errors[number]:
            assert got_code == code, (number, message)
            assert text in message, (number, message)
