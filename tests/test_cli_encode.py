"""The command line writes streams back: ``chunkstream --encode FILE...`` (issue 16). A
completion file in, an SSE body out that the command line itself reads back to the same
completion; failed inputs are one error line each, the run goes on, exit status 1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chunkstream._cli import main

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}

COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 5,
    "model": "m",
    "choices": [{"index": 0, "message": {"content": "Hello"}, "finish_reason": "stop"}],
}
TOP = '"id":"c1","object":"chat.completion.chunk","created":5,"model":"m"'
BODY_IN_3 = (
    f'data: {{{TOP},"choices":[{{"index":0,"delta":{{"role":"assistant","content":""}}}}]}}\n\n'
    f'data: {{{TOP},"choices":[{{"index":0,"delta":{{"content":"Hel"}}}}]}}\n\n'
    f'data: {{{TOP},"choices":[{{"index":0,"delta":{{"content":"lo"}},"finish_reason":"stop"}}]}}'
    "\n\ndata: [DONE]\n\n"
).encode()


def run(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
    """``main()`` in this process: its status, stdout bytes and stderr text."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.TextIOWrapper(io.BytesIO(stdin)), out, err
    try:
        try:
            rc = main(list(args))
        except SystemExit as exc:
            rc = int(exc.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    out.flush()
    assert "Traceback" not in err.getvalue()
    return rc, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def completion_file(tmp_path: Path) -> Path:
    path = tmp_path / "completion.json"
    path.write_text(json.dumps(COMPLETION), encoding="utf-8")
    return path


def test_encode_writes_the_body_with_pieces(completion_file: Path) -> None:
    assert run("--encode", "--pieces", "3", str(completion_file)) == (0, BODY_IN_3, "")


def test_encode_reads_stdin(completion_file: Path) -> None:
    rc, out, err = run("--encode", "--pieces", "3", "-", stdin=completion_file.read_bytes())
    assert (rc, out, err) == (0, BODY_IN_3, "")


def test_encode_by_tokens_falls_back_to_words(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps({**COMPLETION, "choices": [{"index": 0, "message": {"content": "a b"}}]})
    )
    rc, out, _ = run("--encode", "--pieces", "tokens", str(path))
    assert rc == 0
    assert b'"delta":{"content":"a"}' in out and b'"delta":{"content":" b"}' in out


def test_the_command_line_reads_what_it_wrote_back_to_the_same_completion(tmp_path: Path) -> None:
    capture = ROOT / "fixtures" / "openai-parallel-tool-calls.sse"
    first = subprocess.run(
        [sys.executable, "-m", "chunkstream", str(capture)],
        capture_output=True,
        env=ENV,
        check=True,
    )
    (tmp_path / "c.json").write_bytes(first.stdout)
    body = subprocess.run(
        [sys.executable, "-m", "chunkstream", "--encode", str(tmp_path / "c.json")],
        capture_output=True,
        env=ENV,
        check=True,
    )
    again = subprocess.run(
        [sys.executable, "-m", "chunkstream", "-"],
        input=body.stdout,
        capture_output=True,
        env=ENV,
        check=True,
    )
    assert json.loads(again.stdout) == json.loads(first.stdout)


def test_several_files_give_their_bodies_in_order_and_failed_ones_an_error_line(
    completion_file: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1", encoding="utf-8")
    missing = tmp_path / "missing.json"
    rc, out, err = run(
        "--encode",
        "--pieces",
        "3",
        str(completion_file),
        str(missing),
        str(bad),
        str(completion_file),
    )
    assert rc == 1
    assert out == BODY_IN_3 + BODY_IN_3
    assert err.splitlines() == [
        f"chunkstream: error: {missing}: cannot read '{missing}': No such file or directory",
        f"chunkstream: error: {bad}: expected a chat.completion JSON object, got text that is "
        "not JSON (Expecting ',' delimiter: line 1 column 3)",
    ]


def test_a_single_failed_input_is_not_named(tmp_path: Path) -> None:
    path = tmp_path / "chunk.json"
    path.write_text(json.dumps({"object": "chat.completion.chunk", "choices": []}))
    rc, out, err = run("--encode", str(path))
    assert (rc, out) == (1, b"")
    assert err == (
        'chunkstream: error: expected "chat.completion" at .object, got str '
        "'chat.completion.chunk'\n"
    )


def test_a_completion_no_stream_can_give_back_is_a_failed_input(tmp_path: Path) -> None:
    path = tmp_path / "blank.json"
    path.write_text(json.dumps({**COMPLETION, "id": ""}))
    rc, out, err = run("--encode", str(path))
    assert (rc, out) == (1, b"")
    assert err.startswith("chunkstream: error: expected a completion a stream can give back, but ")


def test_not_utf8_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"id": "\xe9"}')
    rc, _, err = run("--encode", str(path))
    assert rc == 1
    assert err.startswith("chunkstream: error: expected a chat.completion JSON object, got text ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pieces", "3", "x"], "--pieces applies to --encode"),
        (["--encode", "--pieces", "0", "x"], "argument --pieces: expected a number >= 1, got 0"),
        (
            ["--encode", "--pieces", "big", "x"],
            "argument --pieces: expected a whole number, got 'big'",
        ),
        (["--encode", "--lenient", "x"], "--lenient reads streams; it does not apply to --encode"),
        (["--encode", "--stats", "x"], "--stats reads streams; it does not apply to --encode"),
        (["--encode", "-j", "2", "x"], "-j reads streams; it does not apply to --encode"),
        (["--encode", "--text", "x"], "argument --text: not allowed with argument --encode"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    rc, out, err = run(*args)
    assert (rc, out) == (2, b"")
    assert err.splitlines()[-1] == f"chunkstream: error: {message}"


def test_a_closed_stdout_ends_quietly(completion_file: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chunkstream",
            "--encode",
            "--pieces",
            "1",
            *[str(completion_file)] * 2000,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert err == b""


def test_help_says_what_encode_reads_and_writes() -> None:
    rc, out, _ = run("--help")
    text = " ".join(out.decode().split())
    assert rc == 0
    for words in (
        "--encode read each FILE as a chat.completion JSON object and write a stream of it (SSE)",
        "--pieces N|tokens --encode: characters per piece of text, or tokens (default: 16)",
        "writes the SSE body of a stream that assembles back to it on stdout, ending with data: "
        "[DONE]; several FILEs give their bodies one after another",
        "chunkstream --encode --pieces 4 completion.json > replay.sse",
    ):
        assert words in text, words
