"""The command line at scale: ``-j N`` (worker processes) against the serial run, the progress
line's rate and ETA (a fake terminal and a fake clock: no timing), and ``--stats`` over a
batch. The serial run is the reference for -j (a differential test: both paths must print the
same bytes); the --stats expectations come from the fixtures' hand-derived .expected.json.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chunkstream import _cli
from chunkstream._cli import _Progress, _Stats

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}


def cli(
    *args: object, stdin: bytes = b"", merged: bool = False
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "chunkstream", *map(str, args)],
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        timeout=300,
    )
    assert b"Traceback" not in proc.stdout + (proc.stderr or b""), proc.stderr
    return proc


def batch(top: Path) -> list[str]:
    """A batch with every kind of input a worker or the main process may get: the fixtures,
    chunk JSON Lines, failures (HTML, cut, empty, a missing file, an empty directory), stdin
    in the middle; enough files for several files per task."""
    top.mkdir()
    sse = sorted(FIXTURES.glob("*.sse"))
    for i in range(3):
        for f in sse:
            (top / f"{i}-{f.name}").write_bytes(f.read_bytes())
    (top / "html.sse").write_bytes(b"<html>502</html>\n")
    (top / "empty.sse").write_bytes(b"")
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    (top / "cut.sse").write_bytes(body[: len(body) // 2])
    lines = [ln[6:] for ln in body.decode().split("\n") if ln.startswith("data: {")]
    (top / "chunks.jsonl").write_text("\n".join(lines) + "\n")
    # A gateway log of two interleaved responses (split by id), and compressed inputs (a
    # worker reads them as the main process does).
    other = [ln.replace('"chatcmpl-', '"chatcmpl-B') for ln in lines]
    mixed = [ln for pair in zip(lines, other, strict=True) for ln in pair]
    (top / "gateway.jsonl").write_text("\n".join(mixed) + "\n")
    (top / "text.sse.gz").write_bytes(gzip.compress(body))
    (top / "tools.sse.xz").write_bytes(
        lzma.compress((FIXTURES / "openai-parallel-tool-calls.sse").read_bytes())
    )
    (top / "cut.sse.bz2").write_bytes(bz2.compress(body)[:-20])
    # HAR files: several streams per file, failures between them (stdout and stderr
    # interleaved within one file).
    bodies = [body.decode(), (FIXTURES / "inband-error.sse").read_text(), body.decode()[:900]]
    for i in range(3):
        entries = [
            {"response": {"content": {"mimeType": "text/event-stream", "text": t}}}
            for t in bodies[i:] + bodies[:i]
        ]
        (top / f"session-{i}.har").write_text(json.dumps({"log": {"entries": entries}}))
    (top / "empty-dir").mkdir()
    return [str(top / "a"), str(top), "-", str(top / "missing.sse"), str(top / "empty-dir")]


STDIN = (FIXTURES / "openai-n2-interleaved.sse").read_bytes()
MODES = [
    [],
    ["--jsonl"],
    ["--text"],
    ["--events"],
    ["--chunks"],
    ["-q"],
    ["--lenient"],
    ["--stats"],
    ["--lenient", "--stats", "--json", "--chunks"],
]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: " ".join(m) or "completion")
def test_jobs_print_the_same_bytes_as_the_serial_run(mode: list[str], tmp_path: Path) -> None:
    files = batch(tmp_path / "b")
    serial = cli(*mode, "-j", "1", *files, stdin=STDIN)
    assert serial.returncode == 1  # premise: the batch has failures
    assert serial.stdout or mode == ["-q"] or "--stats" in mode
    if mode == ["--jsonl"]:  # premise: the log was split, the compressed files were read
        sources = [json.loads(line)["source"] for line in serial.stdout.splitlines()]
        assert sum("gateway.jsonl@" in s for s in sources) == 2
        assert sum(s.endswith((".gz", ".xz", ".bz2")) for s in sources) == 3
    for jobs in ("2", "0", "3"):
        run = cli(*mode, "-j", jobs, *files, stdin=STDIN)
        assert (run.returncode, run.stderr) == (serial.returncode, serial.stderr), jobs
        assert run.stdout == serial.stdout, jobs


def test_jobs_keep_the_order_of_stdout_and_stderr_on_one_stream(tmp_path: Path) -> None:
    files = batch(tmp_path / "b")
    for mode in (["--jsonl", "--lenient"], ["--text"]):
        serial = cli(*mode, *files, stdin=STDIN, merged=True)
        assert cli(*mode, "-j", "2", *files, stdin=STDIN, merged=True).stdout == serial.stdout


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not there")
def test_jobs_over_fixtures_and_corpus_match_the_serial_run() -> None:
    args = ["--lenient", "--stats", "--json", "--glob", "*.sse", FIXTURES, CORPUS]
    serial = cli(*args)
    run = cli("-j", "2", *args)
    assert (run.returncode, run.stdout, run.stderr) == (
        serial.returncode,
        serial.stdout,
        serial.stderr,
    )


def test_a_task_whose_output_is_too_big_for_memory_is_done_by_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Workers are forked from this process (one thread, Linux): they see the smaller bound.
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        pytest.skip("needs the fork start method")
    files = batch(tmp_path / "b")
    monkeypatch.chdir(ROOT)
    real = _cli._one_input
    results = []
    for jobs, bound in (("1", _cli._TAPE_BYTES), ("2", 3000)):
        played: list[str] = []  # the inputs this process did itself (not the workers')

        def one_input(*a: Any) -> None:
            played.append(a[3])  # noqa: B023
            real(*a)

        monkeypatch.setattr(_cli, "_one_input", one_input)
        monkeypatch.setattr(_cli, "_TAPE_BYTES", bound)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(STDIN)))
        rc = _cli.main(["--chunks", "-j", jobs, *files])
        out, err = capsysbinary.readouterr()
        results.append((rc, out, err))
    # The last run's main process did stdin, the missing files, the empty directory, and the
    # regular files whose --chunks output alone went over the bound (not the rest of a task
    # that went over: they go back to the workers).
    assert {"<stdin>", files[3], files[4]} <= set(played)
    assert [n for n in played if n.endswith(".sse") and Path(n).is_file()]
    assert len(played) < len(os.listdir(tmp_path / "b")) // 2  # the workers did the others
    assert results[0] == results[1]


def test_jobs_argument_errors_exit_2_with_a_clear_message() -> None:
    for value, message in (
        ("-1", "argument -j/--jobs: expected a number >= 0, got -1"),
        ("two", "argument -j/--jobs: expected a whole number, got 'two'"),
        ("1.5", "argument -j/--jobs: expected a whole number, got '1.5'"),
    ):
        proc = cli("-j", value, "fixtures/openai-text-usage.sse")
        assert proc.returncode == 2
        assert proc.stdout == b""
        assert proc.stderr.decode().endswith(f"chunkstream: error: {message}\n")
    proc = cli("--json", "fixtures/openai-text-usage.sse")
    assert proc.returncode == 2
    assert proc.stderr.decode().endswith(
        "chunkstream: error: --json is the form of the --stats summary: add --stats\n"
    )


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")  # a zombie is gone too
    except FileNotFoundError:
        return True


def sleeping(pid: int) -> bool:
    """Whether the process is asleep in the kernel (state S: waiting on a read, a write...)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("S")
    except FileNotFoundError:
        return False


def ctrl_c(args: list[str], stdout: Any) -> None:
    """Runs the CLI in its own process group, waits for its two workers, then sends SIGINT to
    the whole group (as a terminal's Ctrl-C does): exit 130, nothing on stderr, no process
    left behind."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "chunkstream", "-j", "2", *args],
        cwd=ROOT,
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdin is not None and proc.stderr is not None
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = children(proc.pid)
    assert len(workers) == 2, workers
    # The main process is now blocking (on stdin, or on a full stdout): seen asleep in the
    # kernel for 0.3 s in a row, not merely 0.3 s later (on a loaded machine it may still be
    # starting its workers then; the interrupt this test is about is the one while blocked).
    asleep = 0
    while asleep < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
        asleep = asleep + 1 if sleeping(proc.pid) else 0
    assert asleep == 6, "the main process never blocked"
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert proc.stderr.read() == b""
    deadline = time.monotonic() + 10
    while not all(gone(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(gone(p) for p in workers), workers
    proc.stdin.close()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_ctrl_c_while_reading_stdin_ends_with_130_and_no_worker_left(tmp_path: Path) -> None:
    files = batch(tmp_path / "b")
    ctrl_c(["-q", "-", *files[1:2]], subprocess.DEVNULL)


def big_stream(chunks: int) -> bytes:
    head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    parts = [
        f'data: {head}[{{"index":0,"delta":{{"content":"word {i} "}}}}]}}\n\n'
        for i in range(chunks)
    ]
    parts.append(f'data: {head}[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}}\n\n')
    return "".join(parts).encode() + b"data: [DONE]\n\n"  # fmt: skip


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_ctrl_c_while_writing_ends_with_130_and_no_worker_left(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"{i:02d}.sse").write_bytes(big_stream(2000))
    # stdout is a pipe nobody reads: the main process blocks writing once it is full.
    with subprocess.Popen(["sleep", "120"], stdin=subprocess.PIPE) as sink:
        try:
            ctrl_c(["--chunks", str(tmp_path)], sink.stdin)
        finally:
            sink.kill()


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"{i:02d}.sse").write_bytes(big_stream(2000))
    proc = subprocess.run(
        f"{sys.executable} -m chunkstream -j 2 --chunks {tmp_path} | head -c 10; "
        'echo " ${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        timeout=120,
    )
    assert proc.stdout == b'{"source": 0\n'
    assert proc.stderr == b""


def test_with_other_threads_running_the_workers_are_not_forked(tmp_path: Path) -> None:
    # main() called from a program that runs threads: forkserver, and the same output.
    files = batch(tmp_path / "b")
    script = (
        "import sys, threading, time\n"
        "from chunkstream._cli import _pool_context, main\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "print(_pool_context().get_start_method(), file=sys.stderr)\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    args = ["--jsonl", "--lenient", *[f for f in files if f != "-"]]
    proc = subprocess.run(
        [sys.executable, "-c", script, "-j", "2", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        timeout=120,
    )
    serial = cli(*args)
    method, _, err = proc.stderr.partition(b"\n")
    if sys.platform.startswith("linux"):
        assert method == b"forkserver"
    assert (proc.returncode, proc.stdout, err) == (serial.returncode, serial.stdout, serial.stderr)


def test_one_worker_per_usable_core_with_j_0() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _cli._cores() == cores


# ---------------------------------------------------------------------------------------------
# Progress: rate and ETA, on a fake terminal with a fake clock.


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_the_rate_and_the_eta_beside_the_counts() -> None:
    term, clock = Terminal(), Clock()
    progress = _Progress(term, None, False, clock)
    assert progress.enabled
    progress.update(0, 18176, 0, 0)
    assert term.getvalue() == ""  # nothing in the first half second
    clock.now += 0.6
    progress.update(0, 18176, 0, 0)  # no file done yet: no rate, no ETA
    assert term.getvalue() == "\rchunkstream: 0/18176 files, 0 streams, 0 failed"
    clock.now = 100.0 + 4.4
    progress.update(5713, 18176, 5676, 3)  # 5676 streams in 4.4 s: 1290 a second
    # 12463 files left at 5713 files in 4.4 s: 9.6 s, shown rounded up.
    line = "chunkstream: 5713/18176 files, 5,676 streams, 3 failed, 1,290 streams/s, ETA 0:10"
    assert term.getvalue().endswith("\r" + line)
    clock.now += 0.05
    progress.update(5800, 18176, 5800, 3)  # within a tenth of a second: not redrawn
    assert term.getvalue().endswith("\r" + line)
    clock.now += 0.1
    progress.update(18176, 18176, 18176, 3, final=True)
    last = "chunkstream: 18176/18176 files, 18,176 streams, 3 failed"
    assert term.getvalue().endswith("\r" + last + " " * (len(line) - len(last)))
    progress.clear()
    assert term.getvalue().endswith("\r" + " " * len(last) + "\r")


def test_progress_eta_in_hours_and_slow_rates() -> None:
    term, clock = Terminal(), Clock()
    progress = _Progress(term, True, False, clock)
    clock.now += 3600
    progress.update(1, 3, 2, 0)  # 2 streams an hour; 2 files left at an hour each
    assert (
        term.getvalue()
        == "\rchunkstream: 1/3 files, 2 streams, 0 failed, 0.0 streams/s, ETA 2:00:00"
    )


def test_progress_is_silent_on_a_pipe() -> None:
    pipe, clock = io.StringIO(), Clock()
    progress = _Progress(pipe, None, False, clock)
    clock.now += 10
    progress.update(1, 2, 1, 0)
    progress.update(2, 2, 2, 0, final=True)
    progress.clear()
    assert (progress.enabled, pipe.getvalue()) == (False, "")
    # A terminal, but stdout is the terminal too: the output is what it shows.
    term = Terminal()
    assert not _Progress(term, None, True, clock).enabled


def test_progress_with_jobs(tmp_path: Path) -> None:
    for i in range(30):
        shutil.copy(FIXTURES / "openai-text-usage.sse", tmp_path / f"{i:02d}.sse")
    proc = cli("--progress", "-q", "-j", "2", tmp_path)
    assert proc.returncode == 0
    err = proc.stderr.decode()
    final = "chunkstream: 30/30 files, 30 streams, 0 failed"
    assert "\r" + final in err
    assert err.endswith(" " * len(final) + "\r")


# ---------------------------------------------------------------------------------------------
# --stats over a batch.


def fixture_completions() -> list[tuple[str, dict[str, Any] | None]]:
    """Each fixture and its strict completion (None when strict fails), hand-derived (those
    of fixtures/legacy too: the CLI's walk goes into it)."""
    found = []
    for f in sorted(FIXTURES.rglob("*.sse")):
        strict = json.loads(f.with_suffix(".expected.json").read_text(encoding="utf-8"))["strict"]
        found.append((f.name, strict.get("completion")))
    return found


def tally(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def test_stats_count_finish_reasons_models_and_providers_of_every_completion() -> None:
    done = [c for _, c in fixture_completions() if c is not None]
    reasons = [
        "null" if ch["finish_reason"] is None else ch["finish_reason"]
        for c in done
        for ch in c["choices"]
    ]
    providers = [c["provider"] for c in done if isinstance(c.get("provider"), str)]
    assert providers  # premise: some fixtures carry OpenRouter's provider field
    for jobs in ("1", "2"):
        proc = cli("-q", "--stats", "--json", "-j", jobs, "--glob", "*.sse", FIXTURES)
        stats = json.loads(proc.stderr.decode().rsplit("chunkstream: stats: ", 1)[1])
        assert stats["ok"] == len(done)
        assert stats["finish_reasons"] == tally(reasons)
        assert stats["models"] == tally([c["model"] for c in done])
        assert stats["providers"] == tally(providers)
        assert stats["usage"]["streams"] == sum(c.get("usage") is not None for c in done)


def test_stats_merge_adds_every_count_and_tally() -> None:
    a = _Stats(streams=2, ok=1, failed=1, chunks=7, bytes=100, usage_streams=1, total_tokens=5)
    a.models["m1"] = 1
    a.errors["UpstreamError"] = 1
    b = _Stats(streams=1, ok=1, chunks=3, bytes=50, usage_streams=1, total_tokens=9)
    b.models.update({"m1": 1, "m2": 1})
    b.finish_reasons["stop"] = 1
    b.warnings["truncated"] = 2
    a.merge(b)
    assert a == _Stats(
        streams=3,
        ok=2,
        failed=1,
        chunks=10,
        bytes=150,
        usage_streams=2,
        total_tokens=14,
        finish_reasons={"stop": 1},
        models={"m1": 2, "m2": 1},
        errors={"UpstreamError": 1},
        warnings={"truncated": 2},
    )
    assert b.models == {"m1": 1, "m2": 1}  # the part merged is left as it was


def test_stats_table_is_aligned_and_escapes_names_from_the_input() -> None:
    s = _Stats(streams=1200, ok=1199, failed=1, chunks=52000, bytes=12345678)
    s.models["evil\x1b[2Jmodel"] = 1199
    s.errors["UpstreamError"] = 1
    s.finish_reasons.update({"stop": 1000, "length": 199})
    rows = [
        ("  streams", "1,200"),
        ("    ok", "1,199"),
        ("    failed", "1"),
        ("  chunks", "52,000"),
        ("  bytes", "12,345,678"),
        ("  finish reasons", ""),
        ("    stop", "1,000"),
        ("    length", "199"),
        ("  models", ""),
        ("    evil\\x1b[2Jmodel", "1,199"),
        ("  providers", "none"),
        ("  errors by type", ""),
        ("    UpstreamError", "1"),
        ("  warnings by kind", "none"),
        ("  usage (streams with usage)", "0"),
        ("    prompt_tokens", "0"),
        ("    completion_tokens", "0"),
        ("    total_tokens", "0"),
        ("    cached_tokens", "0"),
        ("    reasoning_tokens", "0"),
    ]
    table = s.table()
    # The longest label, two spaces, the widest value: every value ends in that column.
    width = len("  usage (streams with usage)") + 2 + len("12,345,678")
    assert len(table) == len(rows)
    for line, (label, value) in zip(table, rows, strict=True):
        if value:
            assert line == label + " " * (width - len(label) - len(value)) + value
        else:
            assert line == label


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_worker_killed_loses_nothing(tmp_path: Path) -> None:
    # The main process reads stdin first; meanwhile a worker is killed (as the kernel's
    # out-of-memory killer would). The run goes on in the main process: the serial output,
    # one warning line more, no traceback.
    files = [*batch(tmp_path / "b")[1:2], "-"][::-1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chunkstream", "--jsonl", "-j", "2", *files],
        cwd=ROOT,
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = children(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(STDIN, timeout=120)
    serial = cli("--jsonl", *files, stdin=STDIN)
    assert (proc.returncode, out) == (serial.returncode, serial.stdout)
    warning = (
        b"chunkstream: warning: a worker process ended abruptly; the files not yet written "
        b"are read by the main process\n"
    )
    assert err.count(warning) == 1
    assert err.replace(warning, b"") == serial.stderr


def test_help_says_what_runs_in_parallel() -> None:
    text = " ".join(cli("--help").stdout.decode().split())
    for words in (
        "-j N assembles the inputs in N worker processes (-j 0: one per usable core)",
        "The unit of work is one input file: a single big file runs in one process",
        "stdin, and inputs that are not regular files (FIFOs, /dev/fd/N), are read by the "
        "main process",
        "--stats as one JSON line",
    ):
        assert words in text, words


def test_at_most_two_tasks_per_worker_are_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Memory stays bounded: the results not yet written are at most 2 tasks per worker, each
    # under _TAPE_BYTES, whatever the batch's size.
    import concurrent.futures

    for i in range(400):
        shutil.copy(FIXTURES / "openai-text-usage.sse", tmp_path / f"{i:03d}.sse")
    counts = {"out": 0, "most": 0, "tasks": 0}

    class Counted(concurrent.futures.ProcessPoolExecutor):
        def submit(self, *a: Any, **kw: Any) -> Any:
            future = super().submit(*a, **kw)
            counts["out"] += 1
            counts["tasks"] += 1
            counts["most"] = max(counts["most"], counts["out"])
            result = future.result

            def taken(timeout: float | None = None) -> Any:
                counts["out"] -= 1
                return result(timeout)

            future.result = taken  # type: ignore[method-assign]
            return future

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)
    monkeypatch.chdir(ROOT)
    assert _cli.main(["-q", "--stats", "--json", "-j", "2", str(tmp_path)]) == 0
    err = capsysbinary.readouterr().err.decode()
    assert json.loads(err.split("chunkstream: stats: ")[1])["ok"] == 400
    assert counts["tasks"] > 8  # premise: more tasks than the window
    assert counts["most"] == 4


def _stuck_work(files: Any) -> Any:
    """A task that never ends in time (a worker's _work, patched in by the test below)."""
    time.sleep(120)
    return [], _Stats()


def test_ctrl_c_does_not_wait_for_the_tasks_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Workers forked from this process run _stuck_work; SIGINT comes from a timer (no
    # thread, so that the workers are forked). The run ends with 130 long before the
    # workers' two minutes, and leaves no worker.
    import multiprocessing

    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        pytest.skip("needs the fork start method")
    for name in ("a.sse", "b.sse"):
        shutil.copy(FIXTURES / "openai-text-usage.sse", tmp_path / name)
    monkeypatch.setattr(_cli, "_work", _stuck_work)
    monkeypatch.chdir(ROOT)

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    start = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        rc = _cli.main(["-q", "-j", "2", str(tmp_path)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert rc == 130
    assert time.monotonic() - start < 60  # the tasks take 120 s: they were not waited for
    assert multiprocessing.active_children() == []
    assert capsysbinary.readouterr() == (b"", b"")


def test_a_tape_keeps_the_order_and_joins_runs_of_one_stream() -> None:
    tape = _cli._Tape()
    for kind, data in [
        (_cli._OUT, b"a"),
        (_cli._OUT, b"b"),
        (_cli._ERR, "w1\n"),
        (_cli._ERR, "w2\n"),
        (_cli._HEAD, "s1"),
        (_cli._HEAD, "s2"),
        (_cli._OUT, b"c"),
    ]:
        tape.add(kind, data)
    assert tape.take() == [
        (_cli._OUT, b"ab"),
        (_cli._ERR, "w1\nw2\n"),
        (_cli._HEAD, "s1"),
        (_cli._HEAD, "s2"),
        (_cli._OUT, b"c"),
    ]
    assert tape.take() == []
    assert tape.size == 2 + 6 + 4 + 1  # counted over the task, not reset by take()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_by_the_main_process(tmp_path: Path) -> None:
    # A FIFO is not a regular file: read by the main process at its turn (a worker would get
    # nothing from it with another start method, and could not be waited on).
    fifo = tmp_path / "live.sse"
    os.mkfifo(fifo)
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    writer = threading.Thread(target=fifo.write_bytes, args=(body,))
    writer.start()
    try:
        files = ["fixtures/openai-refusal.sse", str(fifo), "fixtures/openai-text-usage.sse"]
        proc = cli("-j", "2", "--text", *files)
    finally:
        writer.join(timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.decode() == (
        "==> fixtures/openai-refusal.sse <==\n\n"
        f"==> {fifo} <==\nHello! How can I help today?\n\n"
        "==> fixtures/openai-text-usage.sse <==\nHello! How can I help today?\n"
    )
