"""The README's "Logs at scale" recipes, run as written.

``capture_jobs.py`` and the Dask script ``rebuild_dask.py`` are cut out of the README's text,
saved to a temporary directory and run for real: the script as a subprocess, on a
``dask.distributed.LocalCluster`` of two worker processes, over more than a thousand captures
made from the fixtures (whole, cut short, with an in-band error, two streams joined, no event
stream at all). Its output must be, record by record and in order, what the serial command line
prints for the same directory (``python -m chunkstream --jsonl DIR``).

Strict mode is the one compared: there the failing captures fail, so every error's type,
message, chunk number and byte offset are compared, and so is its ``partial`` completion, which
was built in a worker process and came back pickled. (Lenient records hold the same completions
and warnings with almost no errors left to compare; ``test_capture_jobs_equal_the_cli_lenient``
compares them in-process, which is cheap.)

The PySpark recipe is not run here (Spark needs a JVM; the README says how to check it by hand);
its text is checked for what a reader must not miss.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from extras import need

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CAPTURES = 1100  # >= 1,000: the figure
WORKERS = 2
LIMIT = 300  # seconds for one subprocess: generous on a loaded 2-core machine (about 10 s alone)

# An in-band error event, as OpenAI-compatible servers send one mid-stream.
INBAND = b'data: {"error": {"message": "overloaded", "type": "server_error", "code": 529}}\n\n'
NOT_SSE = [
    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n",
    b'{"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}',
    b"",
]


def readme_scale_recipes() -> dict[str, str]:
    """The python blocks of the README's "Logs at scale" section, by their first line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Logs at scale\n")
    section = text[start : text.index("\n## ", start + 3)]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    found = {}
    for block in blocks:
        first = block.splitlines()[0]
        m = re.fullmatch(r"# (\w+\.py)(:.*)?", first)
        assert m, f"a python block of 'Logs at scale' does not start with its file name: {first}"
        found[m[1]] = block
    assert sorted(found) == ["capture_jobs.py", "rebuild_dask.py", "rebuild_spark.py"]
    return found


RECIPES = readme_scale_recipes()


def make_captures(top: Path, count: int = CAPTURES) -> Counter[str]:
    """``count`` capture files under ``top``, in subdirectories of 100, made from the fixtures
    (deterministically). Returns how many of each kind were made."""
    rng = random.Random(15)
    bodies = {p.stem: p.read_bytes() for p in sorted(FIXTURES.glob("*.sse"))}
    names = sorted(bodies)
    kinds: Counter[str] = Counter()
    for i in range(count):
        name = rng.choice(names)
        body = bodies[name]
        roll = rng.random()
        if roll < 0.3:
            kind = "whole"
        elif roll < 0.6:
            kind = "cut"  # the capture stopped at a random byte
            body = body[: rng.randrange(1, len(body))]
        elif roll < 0.75:
            kind = "error"  # an in-band error after a random number of events
            ends = [m.end() for m in re.finditer(rb"\r\n\r\n|\n\n|\r\r", body)]
            body = body[: rng.choice(ends)] + INBAND if ends else INBAND
        elif roll < 0.92:
            kind = "joined"  # two captures end to end, the first without its [DONE]
            done = body.rfind(b"data: [DONE]")
            body = (body[:done] if done >= 0 else body) + bodies[rng.choice(names)]
        else:
            kind = "not-sse"
            body = rng.choice(NOT_SSE)
        kinds[kind] += 1
        path = top / f"d{i // 100:02d}" / f"c{i:04d}-{kind}-{name}.sse"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return kinds


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("captures")
    kinds = make_captures(top)
    assert sum(kinds.values()) == CAPTURES and len(kinds) == 5
    return top


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # chunkstream from this checkout, for the script and for the workers it starts.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=LIMIT, check=False
    )


MODES = {"strict": [], "lenient": ["--lenient"]}
_cli_cache: dict[str, list[dict[str, Any]]] = {}


def cli_records(captures: Path, mode: str) -> list[dict[str, Any]]:
    """What the serial command line prints for the captures, parsed: the expected records."""
    if mode not in _cli_cache:
        args = ["--jsonl", "--glob", "*.sse", *MODES[mode], str(captures)]
        cli = run([sys.executable, "-m", "chunkstream", *args], ROOT)
        assert cli.returncode == 1, cli.stderr[-4000:]  # 1: some captures failed
        _cli_cache[mode] = [json.loads(line) for line in cli.stdout.splitlines()]
        assert len(_cli_cache[mode]) == CAPTURES
    return _cli_cache[mode]


def check_coverage(expected: list[dict[str, Any]], mode: str) -> None:
    """The comparison covered what it must: failures of every kind, with partial completions
    (strict), warnings (lenient)."""
    failed = [r for r in expected if "error" in r]
    # (about 300 of the 1100: the draws move with the fixtures' list, 294 with 39 fixtures)
    assert sum("completion" in r for r in expected) > 250
    if mode == "strict":
        errors = Counter(r["error"]["type"] for r in failed)
        assert set(errors) == {
            "ChunkError",
            "InconsistentStreamError",
            "TruncatedStreamError",
            "UpstreamError",
        }
        assert sum("partial" in r for r in failed) > 300
    else:
        # Lenient fails only a body that is no event stream at all (an HTML page, a JSON error).
        assert failed and all("-not-sse-" in r["source"] for r in failed)
        assert {r["error"]["type"] for r in failed} == {"ChunkError", "UpstreamError"}
        assert sum(bool(r["warnings"]) for r in expected) > 300


@pytest.mark.parametrize("mode", MODES)
def test_capture_jobs_equal_the_cli(captures: Path, mode: str) -> None:
    """capture_jobs.rebuild_path, in this process, gives the command line's records."""
    ns: dict[str, Any] = {}
    exec(RECIPES["capture_jobs.py"], ns)
    expected = cli_records(captures, mode)
    check_coverage(expected, mode)
    paths = sorted(str(p) for p in captures.glob("**/*.sse"))
    for path, theirs in zip(paths, expected, strict=True):
        assert ns["rebuild_path"](path, strict=mode == "strict") == theirs, path


@pytest.mark.parametrize("mode", MODES)
def test_dask_script_equals_the_serial_cli(captures: Path, tmp_path: Path, mode: str) -> None:
    need("dask")
    need("distributed")
    script = RECIPES["rebuild_dask.py"]
    assert "LocalCluster(n_workers=args.workers, threads_per_worker=1)" in script  # processes
    job = tmp_path / "job"
    job.mkdir()
    (job / "rebuild_dask.py").write_text(script, encoding="utf-8")
    (job / "capture_jobs.py").write_text(RECIPES["capture_jobs.py"], encoding="utf-8")
    out = tmp_path / "rebuilt"
    args = [str(captures), str(out), "--workers", str(WORKERS), *MODES[mode]]
    dask = run([sys.executable, "rebuild_dask.py", *args], job)
    assert dask.returncode == 0, dask.stderr[-4000:]

    expected = cli_records(captures, mode)
    parts = sorted(out.glob("*.jsonl"))
    assert len(parts) == CAPTURES // 100  # partition_size=100: many part boundaries
    texts = [p.read_text(encoding="utf-8") for p in parts]
    assert all(text.endswith("\n") for text in texts)  # last_endline=True
    got = [json.loads(line) for line in "".join(texts).splitlines()]  # a glued line: no JSON
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, mine["source"]
    errors = Counter(r["error"]["type"] for r in expected if "error" in r)
    assert dask.stdout == f"{CAPTURES} streams, failed: {dict(sorted(errors.items()))}\n"


ERRORS_BACK = """
import json
import sys

from dask.distributed import Client, LocalCluster

import chunkstream

if __name__ == "__main__":
    paths = sys.argv[1:]
    bodies = [open(path, "rb").read() for path in paths]
    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        futures = client.map(chunkstream.assemble, bodies, pure=False)
        for path, future in zip(paths, futures):
            exc = future.exception()          # raised in a worker, pickled back
            assert isinstance(exc, chunkstream.ChunkstreamError), (path, exc)
            partial = None if exc.partial is None else exc.partial.to_dict()
            where = [exc.chunk_index, exc.byte_offset]
            print(json.dumps([path, type(exc).__name__, str(exc), *where, partial]))
"""


def test_dask_brings_errors_back_with_partial(captures: Path, tmp_path: Path) -> None:
    """An error raised in a Dask worker process comes back whole: its type, message, location
    and the completion assembled before it (``partial``), as the command line reports them."""
    need("dask")
    need("distributed")
    expected = {r["source"]: r for r in cli_records(captures, "strict") if "error" in r}
    rng = random.Random(7)
    sample = sorted(rng.sample(sorted(expected), 60))
    (tmp_path / "errors_back.py").write_text(ERRORS_BACK, encoding="utf-8")
    back = run([sys.executable, "errors_back.py", *sample], tmp_path)
    assert back.returncode == 0, back.stderr[-4000:]
    lines = [json.loads(line) for line in back.stdout.splitlines()]
    assert [line[0] for line in lines] == sample
    for source, kind, message, chunk_index, byte_offset, partial in lines:
        theirs = expected[source]
        error = theirs["error"]
        assert kind == error["type"] and message == error["message"]
        assert [chunk_index, byte_offset] == [error["chunk_index"], error["byte_offset"]]
        assert partial == theirs.get("partial")
    assert sum(line[5] is not None for line in lines) > 20


def test_spark_recipe_is_python_and_its_hand_check_ships_what_it_imports() -> None:
    """Spark is checked by hand (see the module's docstring): the script is valid Python with a
    main guard, and the README's spark-submit line ships both modules the executors import."""
    script = RECIPES["rebuild_spark.py"]
    compile(script, "rebuild_spark.py", "exec")
    assert 'if __name__ == "__main__":' in script
    assert "from capture_jobs import rebuild" in script
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Logs at scale\n") : text.index("## Performance\n")]
    command = re.search(r"\$ spark-submit (.*?) rebuild_spark\.py", section, flags=re.S)
    assert command and "--py-files chunkstream.zip,capture_jobs.py" in command[1]
