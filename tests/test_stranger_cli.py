"""What a stranger's session found trying the command line's 0.2.0 features (-j, chunk logs
of several streams, compressed inputs, --stats) as a user running it over many captures.

Each test is a hole that was found: fixed ones pass plainly; the ones left open are strict
expected failures saying what should happen. What held is in the session's report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}

# Runs the command line with os.scandir refusing the directories named in DENIED (as for a
# directory of mode 000 when not root), so the test runs the same as root and as a user. The
# workers of -j start by fork on Linux, so they inherit the patch.
_DENYING = """
import errno, os, sys
denied = {os.path.abspath(p) for p in os.environ["DENIED"].split(os.pathsep) if p}
real = os.scandir
def scandir(path="."):
    if os.path.abspath(os.fspath(path)) in denied:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    return real(path)
os.scandir = scandir
from chunkstream._cli import main
sys.exit(main(sys.argv[1:]))
"""


def run(
    *args: object, cwd: Path, denied: tuple[Path, ...] = (), stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    env = {**ENV, "DENIED": os.pathsep.join(map(str, denied))}
    proc = subprocess.run(
        [sys.executable, "-c", _DENYING, *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def _tree(top: Path) -> None:
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    (top / "a").mkdir(parents=True)
    (top / "b").mkdir()
    (top / "c").mkdir()
    (top / "a" / "1.sse").write_bytes(body)
    (top / "b" / "2.sse").write_bytes(body)  # in the directory that cannot be listed
    (top / "c" / "3.sse").write_bytes(body)
    (top / "0.sse").write_bytes(body)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_subdirectory_that_cannot_be_listed_is_a_failed_input(tmp_path: Path, jobs: str) -> None:
    # Found: os.walk skipped it in silence, so `chunkstream logs/` exited 0 with its files
    # left out. It is now a failed input at its place in the sorted walk.
    _tree(tmp_path / "logs")
    proc = run("-j", jobs, "logs", cwd=tmp_path, denied=(tmp_path / "logs" / "b",))
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["source"] for line in lines] == [
        "logs/0.sse",
        "logs/a/1.sse",
        "logs/b",
        "logs/c/3.sse",
    ]
    assert lines[2]["error"]["type"] == "PermissionError"
    assert lines[2]["error"]["message"] == "cannot read 'logs/b': Permission denied"
    assert proc.stderr.decode() == (
        "chunkstream: error: logs/b: cannot read 'logs/b': Permission denied\n"
    )


def test_a_directory_named_that_cannot_be_listed_says_why(tmp_path: Path) -> None:
    # Found: it was reported as "no file matching '*' in the directory".
    _tree(tmp_path / "logs")
    proc = run("logs/b", cwd=tmp_path, denied=(tmp_path / "logs" / "b",))
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        "chunkstream: error: logs/b: cannot read 'logs/b': Permission denied\n"
    )
    # An empty directory still says what it said.
    proc = run("logs/b", cwd=tmp_path)
    assert proc.returncode == 0
    (tmp_path / "empty").mkdir()
    proc = run("empty", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        "chunkstream: error: empty: no file matching '*' in the directory\n"
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a directory of mode 000"
)
def test_a_directory_of_mode_000_for_real(tmp_path: Path) -> None:
    _tree(tmp_path / "logs")
    (tmp_path / "logs" / "b").chmod(0)
    try:
        serial = run("--stats", "--json", "logs", cwd=tmp_path)
        parallel = run("-j", "2", "--stats", "--json", "logs", cwd=tmp_path)
    finally:
        (tmp_path / "logs" / "b").chmod(0o755)
    assert serial.returncode == parallel.returncode == 1
    assert (serial.stdout, serial.stderr) == (parallel.stdout, parallel.stderr)
    assert b"logs/b: cannot read 'logs/b': Permission denied" in serial.stderr


def test_serial_and_parallel_agree_on_an_odd_batch(tmp_path: Path) -> None:
    # What held, kept: dangling symlinks, a symlink loop, a path given twice, an empty
    # directory, stdin in the middle and a directory that cannot be listed, -j 2 against -j 1.
    _tree(tmp_path / "logs")
    (tmp_path / "logs" / "dangling.sse").symlink_to(tmp_path / "nowhere")
    (tmp_path / "logs" / "loop").symlink_to(".")
    (tmp_path / "empty").mkdir()
    stdin = (FIXTURES / "openai-refusal.sse").read_bytes()
    args = ["--stats", "logs", "logs/0.sse", "-", "empty", "logs/0.sse"]
    denied = (tmp_path / "logs" / "c",)
    serial = run(*args, cwd=tmp_path, denied=denied, stdin=stdin)
    parallel = run("-j", "2", *args, cwd=tmp_path, denied=denied, stdin=stdin)
    assert serial.returncode == parallel.returncode == 1
    assert (serial.stdout, serial.stderr) == (parallel.stdout, parallel.stderr)
    sources = [json.loads(line)["source"] for line in serial.stdout.decode().splitlines()]
    assert sources == [
        "logs/0.sse",  # the files of a directory, then its subdirectories, each sorted
        "logs/dangling.sse",
        "logs/a/1.sse",
        "logs/b/2.sse",
        "logs/c",
        "logs/0.sse",
        "<stdin>",
        "empty",
        "logs/0.sse",
    ]


def _capture(model: str, provider: str) -> bytes:
    def chunk(delta: dict[str, str], finish: str | None) -> str:
        return json.dumps(
            {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": model,
                "provider": provider,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    first = chunk({"role": "assistant", "content": "hi"}, None)
    return f"data: {first}\n\ndata: {chunk({}, 'stop')}\n\ndata: [DONE]\n\n".encode()


def test_stats_table_cuts_a_long_name_and_shows_an_empty_one(tmp_path: Path) -> None:
    # Found: one 5,000-character model name padded every row of the table to 5,000 columns,
    # and a provider "" was a blank row. --json keeps the names whole.
    (tmp_path / "1.sse").write_bytes(_capture("L" * 5000, ""))
    (tmp_path / "2.sse").write_bytes(_capture("gpt-x", "Evil\x1b[2J"))
    proc = run("-q", "--stats", "1.sse", "2.sse", cwd=tmp_path)
    assert proc.returncode == 0
    table = proc.stderr.decode().splitlines()
    assert table[0] == "chunkstream: stats:"
    assert max(len(line) for line in table) < 100
    assert "    " + "L" * 57 + "..." in [line.rstrip(" 1") for line in table]
    assert '    ""' in [line.rstrip(" 1") for line in table]
    assert "    Evil\\x1b[2J" in [line.rstrip(" 1") for line in table]
    proc = run("-q", "--stats", "--json", "1.sse", "2.sse", cwd=tmp_path)
    stats = json.loads(proc.stderr.decode().split("chunkstream: stats: ", 1)[1])
    assert stats["models"] == {"L" * 5000: 1, "gpt-x": 1}
    assert stats["providers"] == {"": 1, "Evil\x1b[2J": 1}


def _log(values: list[object]) -> bytes:
    """Two responses of the same id (as a gateway may log: a provider that sends a fixed id),
    told apart only by meta.stream, interleaved line by line."""
    lines = []
    for delta, finish in (({"role": "assistant", "content": "A"}, None), ({}, "stop")):
        for value in values:
            chunk = {
                "id": "fixed",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "meta": {"stream": value},
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            lines.append(json.dumps(chunk))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("values", [[{"n": 1}, {"n": 2}], [True, False], [1.5, 2.5]], ids=repr)
def test_group_by_values_that_differ_are_never_merged_in_silence(
    tmp_path: Path, values: list[object]
) -> None:
    # Found: each of these logs gives one stream whose content is "AA" (two responses
    # mixed), exit 0, no warning. Either the streams are told apart or a warning (or an
    # error) says the field's value could not be used.
    (tmp_path / "log.jsonl").write_bytes(_log(values))
    proc = run("--group-by", "meta.stream", "--jsonl", "log.jsonl", cwd=tmp_path)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    merged = len(records) == 1 and "completion" in records[0]
    told = proc.returncode != 0 or any(r["warnings"] for r in records)
    assert not merged or told, records
    # Fixed: the values are told apart by their JSON text, one stream each.
    names = [f"log.jsonl@{json.dumps(v, separators=(',', ':'))}" for v in values]
    assert [r["source"] for r in records] == names
    assert [r["completion"]["choices"][0]["message"]["content"] for r in records] == ["A", "A"]


def test_group_by_compares_values_by_their_text(tmp_path: Path) -> None:
    """Documented rule: a group's value is its text, so the number 1 and the string "1" are
    one group (the found case of the stranger session, kept as the rule it now is)."""
    (tmp_path / "log.jsonl").write_bytes(_log([1, "1"]))
    proc = run("--group-by", "meta.stream", "--jsonl", "log.jsonl", cwd=tmp_path)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["source"] for r in records] == ["log.jsonl@1"]
    assert records[0]["completion"]["choices"][0]["message"]["content"] == "AA"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fifo_in_a_directory_is_a_failed_input_not_a_hang(tmp_path: Path, jobs: str) -> None:
    # Found: `chunkstream logs/` with a FIFO among the files (no writer) waited for ever on
    # opening it, serial and with -j. Named on the command line, a FIFO is still read.
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.sse").write_bytes(body)
    os.mkfifo(tmp_path / "logs" / "b.sse")
    (tmp_path / "logs" / "c.sse").write_bytes(body)
    proc = run("-j", jobs, "--stats", "--json", "logs", cwd=tmp_path)
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["source"] for line in lines] == ["logs/a.sse", "logs/b.sse", "logs/c.sse"]
    assert lines[1]["error"]["type"] == "InputError"
    message = (
        "a FIFO in a directory, not a regular file: not read (a FIFO no one writes to would "
        "wait for ever); name it on the command line to read it"
    )
    assert lines[1]["error"]["message"] == message
    assert f"chunkstream: error: logs/b.sse: {message}\n" in proc.stderr.decode()
    assert '"streams": 3, "ok": 2, "failed": 1' in proc.stderr.decode()


@pytest.mark.parametrize("value", ["-1", "0"])
def test_max_open_streams_says_the_bound_it_takes(tmp_path: Path, value: str) -> None:
    # Found: -1 was told "expected a number >= 0", and 0 then "expected a number >= 1".
    (tmp_path / "x.jsonl").write_text("{}\n")
    proc = run("--max-open-streams", value, "x.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-1] == (
        f"chunkstream: error: argument --max-open-streams: expected a number >= 1, got {value}"
    )


def _chunk_lines() -> list[dict[str, object]]:
    body = (FIXTURES / "openai-text-usage.sse").read_text(encoding="utf-8")
    return [json.loads(line[6:]) for line in body.split("\n") if line.startswith("data: {")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_line_after_done_is_said_when_the_log_turns_out_split(tmp_path: Path, jobs: str) -> None:
    # Found: A, A, [DONE], A, then a whole response B. The file was one stream until B began,
    # so the A line after A's [DONE] (line 4) was dropped in silence, while the same line
    # after B's first line was a warning of kind "ignored". A file that stays one stream
    # still drops such a line in silence, as 0.1 did (tests/test_cli_logs.py).
    objs = _chunk_lines()

    def with_id(obj: dict[str, object], key: str) -> str:
        return json.dumps({**obj, "id": key})

    lines = [with_id(objs[0], "A"), with_id(objs[1], "A"), "[DONE]", with_id(objs[2], "A")]
    lines += [with_id(obj, "B") for obj in objs]
    data = ("\n".join(lines) + "\n").encode()
    (tmp_path / "log.jsonl").write_bytes(data)
    offset = len(("\n".join(lines[:3]) + "\n").encode())
    proc = run("-j", jobs, "--stats", "--json", "log.jsonl", cwd=tmp_path)
    assert proc.returncode == 0
    err = proc.stderr.decode().splitlines()
    assert err[0] == (
        "chunkstream: warning: log.jsonl@A: line 4: a line of id 'A' after the [DONE] that "
        f"ended its stream on line 3: not read, nor any later line of it (byte {offset})"
    )
    assert '"warnings": {"ignored": 1}' in err[1]
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["source"] for r in records] == ["log.jsonl@A", "log.jsonl@B"]
    assert records[1]["completion"]["choices"][0]["message"]["content"] == (
        "Hello! How can I help today?"
    )


def test_inputs_that_are_not_read_say_what_they_are(tmp_path: Path) -> None:
    # Found: a gzip of a gzip, a zip and a zstd file failed as "expected an event stream ...
    # got bytes b'\x1f\x8b...'" or, for the zip, as "ignored a line whose value looks like
    # data": nothing said what the file was. zstd's frame is written by hand (its magic, then
    # bytes): the test needs no zstd module.
    import gzip
    import zipfile

    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    (tmp_path / "twice.sse").write_bytes(gzip.compress(gzip.compress(body)))
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr("x.sse", body)
    (tmp_path / "x.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 40)
    (tmp_path / "ok.sse.gz").write_bytes(gzip.compress(body))
    names = ["twice.sse", "x.zip", "x.zst", "ok.sse.gz"]
    serial = run("--stats", "--json", *names, cwd=tmp_path)
    parallel = run("-j", "2", "--stats", "--json", *names, cwd=tmp_path)
    assert (serial.stdout, serial.stderr) == (parallel.stdout, parallel.stderr)
    assert serial.returncode == parallel.returncode == 1
    records = [json.loads(line) for line in serial.stdout.decode().splitlines()]
    assert [(r["source"], r.get("error", {}).get("type")) for r in records] == [
        ("twice.sse", "InputError"),
        ("x.zip", "InputError"),
        ("x.zst", "InputError"),
        ("ok.sse.gz", None),
    ]
    assert [r["error"]["message"] for r in records[:3]] == [
        "gzip data that holds gzip data: one layer is decompressed; decompress the outer one "
        "first (e.g. zcat FILE | chunkstream -)",
        "a zip archive: not read (gzip, bzip2 and xz are); unzip it first",
        "zstd data: not read (gzip, bzip2 and xz are); e.g. zstd -dc FILE | chunkstream -",
    ]
    # From stdin too, and a plain body that begins like none of them is read as before.
    proc = run("-", cwd=tmp_path, stdin=gzip.compress(gzip.compress(body)))
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("chunkstream: error: gzip data that holds gzip data")
    proc = run("--text", "-", cwd=tmp_path, stdin=gzip.compress(body))
    assert (proc.returncode, proc.stdout) == (0, b"Hello! How can I help today?\n")


def test_a_line_after_the_done_of_its_stream_is_warned_on_stderr_only(tmp_path: Path) -> None:
    """Documented: the stream's record was written at its [DONE], so the warning for a later
    line of it is on stderr, named and located, not in the record's warnings."""

    def chunk(key: str, delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps(
            {
                "id": key,
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [choice],
            }
        )

    lines = [
        chunk("A", {"role": "assistant", "content": "x"}),
        chunk("A", {}, "stop"),
        "[DONE]",
        chunk("A", {"content": "late"}),
        chunk("B", {"role": "assistant", "content": "y"}),
        chunk("B", {}, "stop"),
    ]
    (tmp_path / "log.jsonl").write_text("\n".join(lines) + "\n")
    proc = run("--jsonl", "log.jsonl", cwd=tmp_path)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(r["source"], r["warnings"]) for r in records] == [
        ("log.jsonl@A", []),
        ("log.jsonl@B", []),
    ]
    assert proc.stderr.decode() == (
        "chunkstream: warning: log.jsonl@A: line 4: a line of id 'A' after the [DONE] that "
        "ended its stream on line 3: not read, nor any later line of it (byte 320)\n"
    )
