"""The CLI's stream part, where it decodes a stream once: --text shown from the Assembler's
snapshots (whatever the reads), and the --stats chunk count in each mode (the events the
stream layer numbers: every event but [DONE])."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from chunkstream._cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


class SmallReads(io.RawIOBase):
    """A stdin that returns at most ``size`` bytes a read (a pipe written slowly)."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.pos = 0
        self.size = size

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        block = self.data[self.pos : self.pos + min(n, self.size)]
        self.pos += len(block)
        return block

    read = read1


class Stdin:
    def __init__(self, data: bytes, size: int) -> None:
        self.buffer = SmallReads(data, size)


def run(
    args: list[object],
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    stdin: bytes = b"",
    size: int = 1 << 20,
) -> tuple[int, bytes, str]:
    monkeypatch.setattr(sys, "stdin", Stdin(stdin, size))
    monkeypatch.chdir(ROOT)
    rc = main([str(a) for a in args])
    out, err = capsysbinary.readouterr()
    return rc, out, err.decode()


def expected(name: str) -> dict[str, object]:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def content(name: str, index: int = 0) -> str:
    choices = expected(name)["strict"]["completion"]["choices"]  # type: ignore[index]
    return next(c["message"]["content"] for c in choices if c["index"] == index)  # type: ignore[no-any-return]


def stats(err: str) -> dict[str, object]:
    return json.loads(err.rsplit("chunkstream: stats: ", 1)[1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("size", [1, 2, 7, 64, 1 << 20])
@pytest.mark.parametrize("name", ["openai-text-usage", "surrogate-split", "mistral-list-content"])
def test_text_read_in_any_reads_is_the_assembled_content(
    name: str,
    size: int,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not (FIXTURES / f"{name}.sse").exists():
        pytest.skip(f"fixture {name}.sse is not there")
    body = (FIXTURES / f"{name}.sse").read_bytes()
    rc, out, err = run(["--text", "-"], capsysbinary, monkeypatch, body, size)
    assert (rc, err) == (0, "")
    assert out.decode() == content(name) + "\n"


@pytest.mark.parametrize("size", [1, 5, 300, 1 << 20])
def test_text_shows_the_choice_that_arrived_first_live_in_any_reads(
    size: int, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (FIXTURES / "openai-n2-interleaved.sse").read_bytes()
    first = json.loads(body.split(b"\n", 1)[0][6:])["choices"][0]["index"]
    assert first == 1  # premise: choice 1 arrives first
    rc, out, err = run(["--text", "-"], capsysbinary, monkeypatch, body, size)
    assert (rc, err) == (0, "")
    name = "openai-n2-interleaved"
    assert out.decode() == (
        f"--- choice 1 ---\n{content(name, 1)}\n--- choice 0 ---\n{content(name, 0)}\n"
    )


def test_text_shows_the_first_choice_of_a_chunk_that_brings_several(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    def chunk(*choices: tuple[int, str | None, str | None]) -> str:
        listed = [
            {"index": i, "delta": {} if c is None else {"content": c}, "finish_reason": f}
            for i, c, f in choices
        ]
        obj = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        return "data: " + json.dumps({**obj, "choices": listed}) + "\n\n"

    path = tmp_path / "two.sse"
    path.write_text(
        chunk((1, "one", None), (0, "zero", None))
        + chunk((0, None, "stop"), (1, None, "stop"))
        + "data: [DONE]\n\n"
    )
    rc, out, err = run(["--text", path], capsysbinary, monkeypatch)
    assert (rc, err) == (0, "")
    assert out.decode() == "--- choice 1 ---\none\n--- choice 0 ---\nzero\n"


@pytest.mark.parametrize("size", [1000, 65536, 1 << 20])
def test_text_of_a_long_stream_is_its_content_whatever_the_reads(
    size: int, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over 2 MB in many reads (the text is shown at read boundaries, not at each one), with
    # a surrogate pair split between two chunks every few chunks: a read that ends between
    # the halves must not show half a character.
    pieces: list[str] = []
    want: list[str] = []
    events: list[str] = []
    head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    for i in range(12000):
        if i % 7 == 3:
            pieces = ["\\ud83d", "\\ude00"]
            want.append("\U0001f600")
        else:
            pieces = [f"w{i} "]
            want.append(f"w{i} ")
        for p in pieces:
            delta = '{"content":"' + p + '"}'
            events.append(f'data: {head}[{{"index":0,"delta":{delta},"finish_reason":null}}]}}\n\n')
    events.append(f'data: {head}[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}}\n\n')
    events.append("data: [DONE]\n\n")
    body = "".join(events).encode()
    assert len(body) > 2_000_000
    rc, out, err = run(["--text", "-"], capsysbinary, monkeypatch, body, size)
    assert (rc, err) == (0, "")
    assert out.decode() == "".join(want) + "\n"


def test_stats_count_the_last_event_that_lacks_its_blank_line(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The library takes a final event whose lines are complete but whose blank line never
    # came: it is a chunk, and counted, in every mode.
    name = "missing-final-blank-line"
    body = (FIXTURES / f"{name}.sse").read_bytes()
    assert not body.endswith(b"\n\n") and b"[DONE]" not in body  # premise
    chunks = body.count(b"data: ")
    for mode in ([], ["--text"], ["--events"], ["--chunks"], ["--lenient"]):
        args = [*(mode or ["-q"]), "--stats", "--json", "-"]
        rc, _, err = run(args, capsysbinary, monkeypatch, body, 50)
        assert rc == 0, (mode, err)
        assert stats(err)["chunks"] == chunks, mode


def test_events_stats_count_the_events_printed_up_to_done(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "done-then-trailing-data"
    body = (FIXTURES / f"{name}.sse").read_bytes()
    rc, out, err = run(["--events", "--stats", "--json", "-"], capsysbinary, monkeypatch, body, 10)
    assert rc == 0, err
    data = [json.loads(line)["data"] for line in out.splitlines()]
    # Premise: this [DONE] has a space after it, and events follow it (shown, not counted).
    done = [i for i, d in enumerate(data) if d.strip(" ") == "[DONE]"]
    assert len(done) == 1 and data[done[0]] != "[DONE]" and done[0] < len(data) - 1
    assert stats(err)["chunks"] == done[0]
