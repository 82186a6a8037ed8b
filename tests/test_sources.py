"""What the entry points read, beyond bytes and iterables: a path (``os.PathLike``) is opened,
read and closed; a ``str`` with no line break that looks like a file name gets a hint instead
of being read as SSE text. (The types of the sources: tests/test_typing.py.)"""

from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any

import pytest

import chunkstream
from chunkstream import ChunkError, TruncatedStreamError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))


class OpenSpy:
    """Wraps ``open``: the files chunkstream opens, to check they are closed."""

    def __init__(self) -> None:
        self.files: list[Any] = []
        self._open = builtins.open

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        file = self._open(*args, **kwargs)
        self.files.append(file)
        return file


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> OpenSpy:
    spy = OpenSpy()
    monkeypatch.setattr(builtins, "open", spy)
    return spy


@pytest.mark.parametrize("name", NAMES)
def test_a_path_gives_what_its_bytes_give(name: str) -> None:
    path = FIXTURES / f"{name}.sse"
    body = path.read_bytes()
    by_bytes = chunkstream.assemble(body, strict=False)
    by_path = chunkstream.assemble(path, strict=False)
    assert by_path.to_dict() == by_bytes.to_dict()
    assert by_path.warnings == by_bytes.warnings
    chunks = [c.to_dict() for c in chunkstream.iter_chunks(path, strict=False)]
    assert chunks == [c.to_dict() for c in chunkstream.iter_chunks(body, strict=False)]


def test_the_file_of_a_path_is_opened_binary_and_closed_at_the_end(spy: OpenSpy) -> None:
    path = FIXTURES / "openai-text-usage.sse"
    completion = chunkstream.assemble(path)
    assert completion.choices[0].message.content == "Hello! How can I help today?"
    assert len(spy.files) == 1
    assert spy.files[0].mode == "rb"
    assert spy.files[0].closed


def test_the_file_is_closed_when_reading_stops_at_done(spy: OpenSpy, tmp_path: Path) -> None:
    path = tmp_path / "capture.sse"
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    path.write_bytes(body + b"data: never read\n\n" * 50_000)  # more than one read after [DONE]
    completion = chunkstream.assemble(path)
    assert completion.choices[0].message.content == "Hello! How can I help today?"
    assert spy.files[0].closed


def test_the_file_is_closed_when_the_stream_is_bad(spy: OpenSpy) -> None:
    with pytest.raises(ChunkError):
        chunkstream.assemble(FIXTURES / "corrupt-chunk-midstream.sse")
    assert spy.files[0].closed
    with pytest.raises(ChunkError):
        list(chunkstream.iter_chunks(FIXTURES / "corrupt-chunk-midstream.sse"))
    assert spy.files[1].closed


def test_iter_chunks_opens_the_path_at_the_first_chunk_and_closes_it(spy: OpenSpy) -> None:
    chunks = chunkstream.iter_chunks(FIXTURES / "openai-text-usage.sse")
    assert spy.files == []
    first = next(chunks)
    assert first.choices[0].delta.role == "assistant"
    assert len(spy.files) == 1 and not spy.files[0].closed
    chunks.close()  # stopped early
    assert spy.files[0].closed
    chunks = chunkstream.iter_chunks(FIXTURES / "openai-text-usage.sse")
    assert len(list(chunks)) == 7
    assert spy.files[1].closed


def test_opening_a_path_fails_with_the_os_error_itself_in_both_modes(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sse"
    for strict in (True, False):
        with pytest.raises(FileNotFoundError) as info:
            chunkstream.assemble(missing, strict=strict)
        assert info.value.filename == str(missing)
        with pytest.raises(FileNotFoundError):
            list(chunkstream.iter_chunks(missing, strict=strict))
        with pytest.raises(IsADirectoryError):
            chunkstream.assemble(tmp_path, strict=strict)
    # never taken for a dropped connection: nothing attached
    with pytest.raises(FileNotFoundError) as info:
        chunkstream.assemble(missing, strict=False)
    assert chunkstream.truncation_of(info.value) is None


def test_any_os_pathlike_is_a_path_str_or_bytes() -> None:
    class Where:
        def __init__(self, path: str | bytes) -> None:
            self.path = path

        def __fspath__(self) -> str | bytes:
            return self.path

    where = str(FIXTURES / "openai-text-usage.sse")
    completion = chunkstream.assemble(Where(where))
    assert completion.usage is not None and completion.usage.total_tokens == 19
    assert chunkstream.assemble(Where(where.encode())).to_dict() == completion.to_dict()


def hint(text: str) -> str:
    return (
        "expected an event stream, got a str with no line break that looks like a file name: "
        f"{text!r}; did you mean Path({text!r}) or open({text!r}, 'rb')? (byte 0)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "capture.sse",
        "fixtures/openai-text-usage.sse",
        "C:\\captures\\Run 7.TXT",
        "logs/gateway.jsonl",
        "logs/gateway.jsonl.gz",
        "out.log ",
    ],
)
def test_a_str_that_looks_like_a_path_gets_a_hint_in_both_modes(text: str) -> None:
    for strict in (True, False):
        with pytest.raises(ChunkError) as info:
            chunkstream.assemble(text, strict=strict)
        assert str(info.value) == hint(text)
        assert info.value.byte_offset == 0
        with pytest.raises(ChunkError) as info:
            list(chunkstream.iter_chunks(text, strict=strict))
        assert str(info.value) == hint(text)


def test_a_str_naming_an_existing_file_gets_the_hint_whatever_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "capture"
    path.write_bytes((FIXTURES / "openai-text-usage.sse").read_bytes())
    with pytest.raises(ChunkError) as info:
        chunkstream.assemble(str(path))
    assert str(info.value) == hint(str(path))


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        # No suffix, no such file: the error a body that is no event stream gets.
        (
            "no-such-capture",
            ChunkError,
            "expected an event stream (lines like 'data: {...}'), got bytes b'no-such-capture' "
            "(byte 0)",
        ),
        # A line break: SSE text (here not an event stream), never a path.
        (
            "capture.sse\n",
            ChunkError,
            "expected an event stream (lines like 'data: {...}'), got bytes b'capture.sse\\n' "
            "(byte 0)",
        ),
        # A data line cut short: truncated SSE text, whatever it ends in.
        (
            'data: {"model": "x.json',
            TruncatedStreamError,
            "stream ended inside an event: its last line has no line ending, 23 bytes held back "
            "(chunk 0, byte 0)",
        ),
    ],
)
def test_a_str_that_is_not_a_path_gets_no_hint(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        chunkstream.assemble(text)
    assert str(info.value) == message


def test_real_sse_text_is_read_as_text_even_when_a_line_looks_like_a_path() -> None:
    body = (FIXTURES / "openai-text-usage.sse").read_text(encoding="utf-8")
    completion = chunkstream.assemble(": saved as capture.sse\n" + body)
    assert completion.choices[0].message.content == "Hello! How can I help today?"


def test_a_text_file_is_still_read_at_run_time_though_its_type_is_refused() -> None:
    # The type (chunkstream.Source) admits binary files only; at run time a text file's
    # str reads are still taken, as in 0.1.
    with open(FIXTURES / "openai-text-usage.sse", encoding="utf-8") as file:
        completion = chunkstream.assemble(file)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "Hello! How can I help today?"
    assert chunkstream.assemble(io.BytesIO(b"data: [DONE]\n\n"), strict=False).choices == ()
