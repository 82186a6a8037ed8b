"""The command line on legacy Completions streams (``text_completion``): told by the first
chunk's ``object``, printed as the assembled ``Completion``; --text, JSON Lines, directories,
-j and chunk logs. Expected values come from the hand-derived ``fixtures/legacy`` results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "fixtures" / "legacy"
NAMES = sorted(p.stem for p in LEGACY.glob("*.sse"))


def cli(*args: object, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "chunkstream", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def expected(name: str) -> dict[str, Any]:
    data = json.loads((LEGACY / f"{name}.expected.json").read_text(encoding="utf-8"))
    return data["strict"]["completion"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", NAMES)
def test_a_legacy_stream_prints_its_completion(name: str) -> None:
    proc = cli(LEGACY / f"{name}.sse")
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert json.loads(proc.stdout) == expected(name)


def test_a_legacy_stream_on_stdin_is_told_too() -> None:
    body = (LEGACY / "openai-n2-logprobs.sse").read_bytes()
    proc = cli("-", stdin=body)
    assert json.loads(proc.stdout) == expected("openai-n2-logprobs")


def test_text_prints_the_legacy_text_each_other_choice_under_its_header() -> None:
    proc = cli("--text", LEGACY / "openai-n2-logprobs.sse")
    assert proc.stdout == b"The sky\n--- choice 1 ---\nA cat\n"
    proc = cli("--text", LEGACY / "openai-text-completion.sse")
    assert proc.stdout == b"\n\nRoses are red\n"


def test_jsonl_over_a_directory_mixes_chat_and_legacy_records() -> None:
    proc = cli("--jsonl", "--glob", "*.sse", "fixtures/legacy", "fixtures/openai-text-usage.sse")
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"] for r in records] == [
        *(f"fixtures/legacy/{n}.sse" for n in NAMES),
        "fixtures/openai-text-usage.sse",
    ]
    for name, record in zip(NAMES, records, strict=False):
        assert record["completion"] == expected(name)
        assert record["warnings"] == []
    assert records[-1]["completion"]["object"] == "chat.completion"


def test_jobs_give_the_serial_output_on_legacy_streams() -> None:
    args = ["--jsonl", "--stats", "--json", "--glob", "*.sse", LEGACY]
    serial = cli(*args)
    assert serial.returncode == 0
    run = cli("-j", "2", *args)
    assert (run.returncode, run.stdout, run.stderr) == (
        serial.returncode,
        serial.stdout,
        serial.stderr,
    )
    stats = json.loads(serial.stderr.decode().rsplit("chunkstream: stats: ", 1)[1])
    done = [expected(n) for n in NAMES]
    assert stats["ok"] == len(NAMES)
    assert stats["models"] == {
        m: sum(c["model"] == m for c in done) for m in {c["model"] for c in done}
    }


def test_a_chunk_log_of_legacy_chunks_is_assembled(tmp_path: Path) -> None:
    lines = [
        line[len("data: ") :]
        for line in (LEGACY / "vllm-completions.sse").read_text(encoding="utf-8").splitlines()
        if line.startswith("data: {")
    ]
    log = tmp_path / "chunks.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = cli(log)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected("vllm-completions")


def test_a_legacy_error_is_reported_with_its_partial(tmp_path: Path) -> None:
    body = (LEGACY / "openai-text-completion.sse").read_bytes()
    bad = tmp_path / "bad.sse"
    second = body.index(b"data: ", 1)
    bad.write_bytes(body[:second] + body[second:].replace(b"cmpl-AbC123", b"cmpl-Other", 1))
    proc = cli("--jsonl", bad)
    assert proc.returncode == 1
    record = json.loads(proc.stdout)
    assert record["error"]["type"] == "InconsistentStreamError"
    assert record["partial"]["object"] == "text_completion"
    assert record["partial"]["choices"][0]["text"] == "\n\n"
    proc = cli("--text", bad)
    assert proc.stdout == b"\n\n"  # the text up to the error (it ends a line: no newline added)
