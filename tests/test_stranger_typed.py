"""A stranger's tests of the 0.2.0 "typed" features (issue 15), written from the README and the
changelog only: ``from_dict`` on both sides (round trips, hostile dicts), paths as sources, and
the notebook display of chunks, usage and errors.

Tests marked ``xfail(strict=True)`` are holes found and not fixed here: each fails on the
current code and its docstring says what a correct library would do. Remove the mark with the
fix. The others are holes found and fixed on this branch, or behaviour that was checked and
holds.
"""

from __future__ import annotations

import builtins
import copy
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import chunkstream
from chunkstream import (
    Accumulator,
    ChatCompletion,
    ChatCompletionChunk,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    SSEError,
    TruncatedStreamError,
    UpstreamError,
    Usage,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SSE = sorted(FIXTURES.glob("*.sse"))
# The shared corpus beside the checkout, or where CHUNKSTREAM_CORPUS says.
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
CORPUS_SSE = sorted(CORPUS.glob("*/*.sse")) if CORPUS.is_dir() else []


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, types included (``True`` is not ``1``), keys in the same order."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _completions(path: Path) -> Iterator[ChatCompletion]:
    """What a path assembles to, strict (or the error's partial) and lenient."""
    try:
        yield chunkstream.assemble(path)
    except ChunkstreamError as exc:
        if exc.partial is not None:
            yield exc.partial
    yield chunkstream.assemble(path, strict=False)


# ---------------------------------------------------------------------------------------------
# from_dict: round trips (held)


@pytest.mark.parametrize("path", SSE + CORPUS_SSE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_capture_round_trips_through_from_dict_and_json(path: Path) -> None:
    for completion in _completions(path):
        saved = json.loads(json.dumps(completion.to_dict()))
        loaded = ChatCompletion.from_dict(saved)
        assert _same(loaded.to_dict(), saved)
        assert loaded.warnings == ()
    for chunk in chunkstream.iter_chunks(path, strict=False):
        sent = chunk.to_dict()
        assert _same(ChatCompletionChunk.from_dict(sent).to_dict(), sent)
        if chunk.usage is not None:
            usage = chunk.usage.to_dict()
            assert _same(Usage.from_dict(usage).to_dict(), usage)


def test_the_command_lines_jsonl_records_load_back_whole() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "chunkstream",
            "--jsonl",
            "--lenient",
            "--glob",
            "*.sse",
            str(FIXTURES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    records = [json.loads(line) for line in run.stdout.splitlines()]
    # The walk goes into fixtures/legacy: those streams print a legacy Completion.
    assert len(records) == len(SSE) + len(list((FIXTURES / "legacy").glob("*.sse")))
    for record in records:
        legacy = record["completion"]["object"] == "text_completion"
        cls = chunkstream.Completion if legacy else ChatCompletion
        loaded = cls.from_dict(record["completion"])
        assert _same(loaded.to_dict(), record["completion"])


# ---------------------------------------------------------------------------------------------
# from_dict: hostile dicts (held, apart from the holes below)

_BASE: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "system_fingerprint": None,
    "service_tier": None,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}

_WRONG = [True, 1.5, float("nan"), 2**64, "x", [], [{}], {"a": 1}, object()]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if type(value) is dict:
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif type(value) is list:
        for i, item in enumerate(value):
            yield from _paths(item, (*at, i))


def _set(obj: Any, at: tuple[Any, ...], value: Any) -> Any:
    obj = copy.deepcopy(obj)
    if not at:
        return value
    target = obj
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = value
    return obj


def test_a_wrong_value_anywhere_is_a_chunk_error_or_kept_exactly() -> None:
    """Every typed field refuses what does not fit (a bool for an int, a list for an object,
    NaN or a huge int for a str); what is accepted comes back as it was."""
    refused = 0
    for at in _paths(_BASE):
        for value in _WRONG:
            hostile = _set(_BASE, at, value)
            try:
                loaded = ChatCompletion.from_dict(hostile)
            except ChunkError as exc:
                refused += 1
                assert exc.path is not None and len(str(exc)) < 400
                continue
            if type(value) is not dict:  # an object in place of one: its missing keys are
                # filled in (see test_a_non_streaming_openai_response_round_trips)
                assert _same(loaded.to_dict(), hostile), (at, value)
    assert refused > 100


def test_a_bool_is_no_int_and_a_dict_subclass_is_refused_by_name() -> None:
    with pytest.raises(ChunkError, match=r"expected int at \.choices\[0\]\.index, got bool True"):
        ChatCompletion.from_dict({"choices": [{"index": True}]})
    with pytest.raises(ChunkError, match=r"expected int or null at \.created, got bool True"):
        ChatCompletion.from_dict({"choices": [], "created": True})
    from collections import OrderedDict

    with pytest.raises(ChunkError, match=r"at \.choices\[0\], got OrderedDict"):
        ChatCompletion.from_dict({"choices": [OrderedDict(index=0)]})
    with pytest.raises(ChunkError, match="expected a JSON object"):
        Usage.from_dict([1])


def test_a_vendor_object_holding_a_foreign_key_is_refused_not_merged() -> None:
    """Hole (fixed): ``"chunkstream_vendor"`` holds only what ``to_dict`` moves there, the
    object's own names. Another key was put back beside a vendor field of the same name, and
    one of the two was lost without a word: ``{"message": 2, "chunkstream_vendor":
    {"message": 1}}`` at the top level loaded as ``extra == {"message": 1}``."""
    with pytest.raises(ChunkError) as info:
        ChatCompletion.from_dict({**_BASE, "message": 2, "chunkstream_vendor": {"message": 1}})
    assert str(info.value) == (
        "expected only fields named like a key of the object at .chunkstream_vendor (to_dict "
        "moves nothing else there), got the key 'message'"
    )
    assert info.value.path == ".chunkstream_vendor"
    choice = {**_BASE["choices"][0], "chunkstream_vendor": {"foo": 1}}
    with pytest.raises(ChunkError, match=r"at \.choices\[0\]\.chunkstream_vendor .*'foo'"):
        ChatCompletion.from_dict({**_BASE, "choices": [choice]})
    # An empty one is never written either: loading it would drop it.
    with pytest.raises(ChunkError) as info:
        ChatCompletion.from_dict({**_BASE, "chunkstream_vendor": {}})
    assert str(info.value) == (
        "expected a non-empty object (to_dict writes none empty) at .chunkstream_vendor, "
        "got object {}"
    )
    # What to_dict does write there still loads back to where it was.
    moved = {**_BASE, "chunkstream_vendor": {"id": "vendor", "chunkstream_vendor": {"x": 1}}}
    loaded = ChatCompletion.from_dict(moved)
    assert loaded.id == "chatcmpl-1"
    assert loaded.extra == {"id": "vendor", "chunkstream_vendor": {"x": 1}}
    assert _same(loaded.to_dict(), moved)


def test_deep_nesting_loads_and_shows_without_a_recursion_error() -> None:
    """Hole (fixed): ``repr()`` of an object holding a deeply nested ``moderation`` (kept
    whole, any depth) raised ``RecursionError``; it now shows a short prefix."""
    deep: Any = 1
    for _ in range(10_000):
        deep = {"a": [deep]}
    chunk = ChatCompletionChunk.from_dict({"id": "c", "choices": [], "moderation": deep, "x": deep})
    completion = ChatCompletion.from_dict({"choices": [], "moderation": deep, "error": deep})
    for obj in (chunk, completion):
        assert repr(obj).startswith(type(obj).__name__ + "(")
        assert len(repr(obj)) < 400
        assert 0 < len(obj._repr_html_()) < 2_000_000
        assert 0 < len(obj._repr_markdown_()) < 2_000_000
    # The stream's limit (100 levels) is the Accumulator's, not from_dict's.
    with pytest.raises(ChunkError, match="nested at most 100 levels"):
        Accumulator().feed(chunk)


def test_a_loaded_object_does_not_share_the_dicts_it_was_loaded_from() -> None:
    """Hole (fixed): a frozen object should not change after it is made. ``from_dict`` kept
    the caller's vendor objects (``extra`` values, ``content_parts`` items, ``moderation``,
    usage details) by reference, so mutating the input afterwards changed the loaded
    completion; and its ``to_dict()`` returned them by reference too, so editing that output
    (to redact a field before logging it, say) edited the completion."""
    source = {**copy.deepcopy(_BASE), "vendor": {"a": [1]}}
    loaded = ChatCompletion.from_dict(source)
    before = json.dumps(loaded.to_dict())
    source["vendor"]["a"].append(2)
    loaded.to_dict()["vendor"]["a"].append(3)
    assert json.dumps(loaded.to_dict()) == before
    # The same for every mutable value a completion holds, in both directions.
    source = copy.deepcopy(_BASE)
    source["moderation"] = {"input": {"flagged": False}}
    source["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "x": {"n": [1]}}
    message = source["choices"][0]["message"]
    message["content_parts"] = [{"type": "image_url", "image_url": {"url": "u"}}]
    message["x_note"] = {"n": [1]}
    kept = json.dumps(source)
    loaded = ChatCompletion.from_dict(source)
    for edit in (source, loaded.to_dict()):
        edit["moderation"]["input"]["flagged"] = True
        edit["usage"]["prompt_tokens_details"]["x"]["n"].append(2)
        edit["choices"][0]["message"]["content_parts"][0]["image_url"]["url"] = "edited"
        edit["choices"][0]["message"]["x_note"]["n"].append(2)
    assert json.dumps(loaded.to_dict()) == kept


def test_a_json_lines_record_passed_whole_is_refused() -> None:
    """The README sends readers of the command line's ``--jsonl`` output to ``from_dict``.
    Passing a record (``{"source": ..., "completion": {...}, "warnings": [...]}``) instead of
    its ``"completion"`` loaded a completion with no choices and the record in ``extra``. A
    ``to_dict()`` always writes ``choices``: its absence is a ``ChunkError``."""
    record = {"source": "x.sse", "completion": _BASE, "warnings": []}
    with pytest.raises(ChunkError) as info:
        ChatCompletion.from_dict(record)
    assert str(info.value) == "expected list at .choices, got nothing (the key is missing)"


def test_a_chunk_is_not_loaded_as_a_completion() -> None:
    """A chunk's dict has ``choices`` too; its ``object`` tells it apart (else its deltas would
    land in each choice's ``extra``, silently)."""
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    with pytest.raises(ChunkError) as info:
        ChatCompletion.from_dict(chunk)
    assert str(info.value) == (
        "expected \"chat.completion\" at .object, got str 'chat.completion.chunk'"
    )


def test_a_non_streaming_openai_response_loads_into_to_dicts_form() -> None:
    """A stranger session filed it as a hole: ``to_dict()`` "has always been the
    chat.completion object a non-streaming call returns", so a saved non-streaming response is
    an obvious thing to load; OpenAI's carries ``"annotations": []`` in every message (and
    ``"audio": null`` on some models), and ``from_dict(...).to_dict()`` drops them and writes
    ``"refusal": null`` into a message that had none. Decided (docs/DESIGN.md, Decisions: "What
    from_dict of an assembled class keeps"): the assembled classes keep values, not which keys
    were sent; ``to_dict()`` writes its one form (``refusal`` always, the optional fields only
    when they hold something), so a response loads into that form, every value kept."""
    response = copy.deepcopy(_BASE)
    message = response["choices"][0]["message"]
    del message["refusal"]
    message["annotations"] = []
    message["audio"] = None
    out = ChatCompletion.from_dict(response).to_dict()
    assert not _same(out, response)  # the documented difference, and only it:
    assert out["choices"][0]["message"] == {"role": "assistant", "content": "hi", "refusal": None}
    message.pop("annotations")
    message.pop("audio")
    message["refusal"] = None
    assert _same(out, response)
    # What to_dict wrote round-trips exactly (the README's promise).
    assert _same(ChatCompletion.from_dict(out).to_dict(), out)


# ---------------------------------------------------------------------------------------------
# Paths as sources


class _OpenSpy:
    def __init__(self) -> None:
        self.files: list[Any] = []
        self._open = builtins.open

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        file = self._open(*args, **kwargs)
        self.files.append(file)
        return file


def test_a_loop_left_by_break_closes_its_file_at_once() -> None:
    """Hole (fixed): the iterator and its inner generator held each other, so a ``for`` loop
    over ``iter_chunks(path)`` left by ``break`` (or an iterator dropped unfinished) kept the
    file open until the cyclic garbage collector ran: with ``gc.disable()`` (or on a busy
    server between collections) each such loop held a file descriptor. Plain reference
    counting now closes it when the loop ends."""
    spy = _OpenSpy()
    path = FIXTURES / "openai-text-usage.sse"
    enabled = gc.isenabled()
    gc.disable()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(builtins, "open", spy)
            for _chunk in chunkstream.iter_chunks(path):
                break
            assert spy.files[0].closed
            chunks = chunkstream.iter_chunks(path)
            next(chunks)
            assert not spy.files[1].closed
            del chunks
            assert spy.files[1].closed

            def fails() -> None:
                for _chunk in chunkstream.iter_chunks(path):
                    raise KeyError("the caller's own error")

            with pytest.raises(KeyError):
                fails()
            assert spy.files[2].closed
    finally:
        if enabled:
            gc.enable()


def test_paths_of_every_kind(tmp_path: Path) -> None:
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    (tmp_path / "capture.sse").write_bytes(body)

    class Fspath:
        def __init__(self, value: str | bytes) -> None:
            self.value = value

        def __fspath__(self) -> str | bytes:
            return self.value

    text = "Hello! How can I help today?"
    for source in (
        Fspath(str(tmp_path / "capture.sse")),
        Fspath(os.fsencode(tmp_path / "capture.sse")),
    ):
        assert chunkstream.assemble(source).choices[0].message.content == text  # type: ignore[arg-type]
    # A bytes path is bytes: the body, never a file name (only a str gets the hint).
    with pytest.raises(ChunkError, match=r"expected an event stream .*got bytes b'x\.sse'"):
        chunkstream.assemble(b"x.sse")
    # A directory, in both modes and from both entry points: the OS's error.
    for strict in (True, False):
        with pytest.raises(IsADirectoryError):
            chunkstream.assemble(tmp_path, strict=strict)
        with pytest.raises(IsADirectoryError):
            list(chunkstream.iter_chunks(tmp_path, strict=strict))
    # A gzip file given by path is read as it is (no decompression): it says so in its bytes.
    import gzip

    (tmp_path / "capture.sse.gz").write_bytes(gzip.compress(body))
    with pytest.raises(ChunkError, match=r"expected an event stream .*got bytes b'\\x1f\\x8b"):
        chunkstream.assemble(tmp_path / "capture.sse.gz")
    with gzip.open(tmp_path / "capture.sse.gz") as file:
        assert chunkstream.assemble(file).choices[0].message.content == text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_read_as_its_writer_writes(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()

    def write() -> None:
        with open(fifo, "wb") as file:
            for start in range(0, len(body), 100):
                file.write(body[start : start + 100])
                file.flush()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        completion = chunkstream.assemble(fifo)
    finally:
        writer.join(timeout=60)
    assert completion.choices[0].message.content == "Hello! How can I help today?"


# ---------------------------------------------------------------------------------------------
# Notebook display

_CHUNK: dict[str, Any] = {
    "id": "c",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
}


@pytest.mark.parametrize("key", [1, None, ("a",), 1.5], ids=repr)
def test_a_name_that_is_no_str_is_shown_not_raised(key: Any) -> None:
    """Hole (fixed): a vendor field whose name is not a str (from_dict takes any dict; or a
    hand-built object) made the display raise ``TypeError`` while listing "other fields"."""
    chunk = ChatCompletionChunk.from_dict({**_CHUNK, key: "v"})
    completion = ChatCompletion.from_dict({"choices": [], key: "v"})
    message = ChatCompletion.from_dict({"choices": [{"index": 0, "message": {key: "v"}}]})
    for obj in (chunk, completion, message):
        html = obj._repr_html_()
        markdown = obj._repr_markdown_()
        assert repr(key) in html.replace("&#x27;", "'")
        assert "other fields" in markdown


def _displays(obj: Any) -> list[str]:
    return [obj._repr_html_(), obj._repr_markdown_()]


def test_half_a_surrogate_pair_in_a_chunk_is_shown_as_a_replacement_character() -> None:
    """Hole (fixed): a chunk may carry half of a surrogate pair (``"\\ud83d"``; the fixture
    surrogate-split.sse does); the completion joins the halves, but the chunk's display held
    the lone surrogate, which UTF-8 cannot encode: a front end could neither send nor save
    it. Errors built on such text had the same problem."""
    shown = 0
    for chunk in chunkstream.iter_chunks(FIXTURES / "surrogate-split.sse"):
        for text in _displays(chunk):
            text.encode("utf-8")  # no UnicodeEncodeError
            shown += text.count("\ufffd")
    assert shown == 4  # two halves, in HTML and in Markdown
    error = ChunkError("bad \udfff", path=".choices[0].delta.content")
    for text in _displays(error):
        assert "bad \ufffd" in text
        text.encode("utf-8")


_HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "</details></pre></table></div>",
    "`" * 40 + "\n```\n~~~",
    "a | b\n|---|\n# h",
    "x" * 300_000,
]


def _errors(text: str, partial: ChatCompletion) -> list[ChunkstreamError]:
    caused = TruncatedStreamError(text, held_back=3, partial=partial)
    caused.__cause__ = ConnectionResetError(text)
    return [
        ChunkError(text, chunk_index=1, byte_offset=2, path=text, partial=partial),
        UpstreamError(text, error={"message": text, text[:30]: [text]}, partial=partial),
        InconsistentStreamError(text, field=text, held=text, got={"a": text}, partial=partial),
        caused,
        SSEError(text, limit=1, size=2**70, events=[1, 2], skipped=list(range(1000))),
    ]


@pytest.mark.parametrize("text", _HOSTILE_TEXT, ids=lambda t: repr(t[:12]))
def test_hostile_text_is_escaped_and_capped_in_every_display(text: str) -> None:
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.scripts = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.scripts += tag == "script"
            if tag != "br":
                self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
            self.open.pop()

    chunk = ChatCompletionChunk.from_dict(
        {
            **_CHUNK,
            "model": text,
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": text, "reasoning": text, text[:20]: text},
                    "finish_reason": text,
                }
            ],
            "usage": {"prompt_tokens": 1, text[:20]: text},
            text[:30]: {"k": text},
        }
    )
    accumulator = Accumulator(strict=False)
    accumulator.feed(chunk)
    partial = accumulator.close()
    objects: list[Any] = [chunk, chunk.usage, partial, *_errors(text, partial)]
    for obj in objects:
        html, markdown = _displays(obj)
        tags = Tags()
        tags.feed(html)
        tags.close()
        assert tags.open == [] and tags.scripts == 0
        assert len(html) < 2_000_000 and len(markdown) < 2_000_000
        # Every fence that opens closes (the text's own backticks never close it).
        fence = None
        for line in markdown.split("\n"):
            ticks = len(line) - len(line.lstrip("`"))
            if fence is None and ticks >= 3:
                fence = ticks
            elif fence is not None and ticks >= fence and not line.strip("`"):
                fence = None
        assert fence is None


def test_an_int_too_long_for_str_is_shown_not_raised() -> None:
    """Hole (fixed): ``from_dict`` takes any int (a dict built in Python, or JSON decoded with
    a raised ``sys.set_int_max_str_digits``), but the display formatted a choice's ``index``
    (and a negative ``created``) with ``str()``, which raises ``ValueError`` past 4300 digits."""
    big = 10**5000
    completion = ChatCompletion.from_dict(
        {"choices": [{"index": big, "message": {"content": "x"}}], "created": big}
    )
    chunk = ChatCompletionChunk.from_dict({**_CHUNK, "created": -big, "choices": [{"index": big}]})
    error = InconsistentStreamError("x", field="created", held=big, got=-big, partial=completion)
    for obj in (completion, chunk, error):
        for text in _displays(obj):
            assert "(a very large int)" in text
            assert len(text) < 20_000


def test_a_cut_names_the_choices_place_not_its_index() -> None:
    """Hole (fixed): the completion's display said where a cut value is whole as
    ``.choices[<index>]``; ``completion.choices`` is a tuple in index order, so with a single
    choice of index 5 the note sent the reader to ``.choices[5]``, an ``IndexError``. (The
    chunk's display already named the place.)"""
    arguments = "{" * 200_000
    chunk = {
        **_CHUNK,
        "choices": [
            {
                "index": 5,
                "delta": {
                    "content": "x" * 150_000,
                    "tool_calls": [
                        {"index": 0, "id": "c", "function": {"name": "f", "arguments": arguments}}
                    ],
                },
                "finish_reason": "stop",
            }
        ],
    }
    body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
    completion = chunkstream.assemble(body)
    assert completion.choices[0].index == 5
    for text in _displays(completion):
        text = text.replace("\\", "")  # Markdown's escapes
        assert "choice 5" in text
        assert "(all in .choices[0].message.content)" in text
        assert "(all in .choices[0].message.tool_calls[0].function.arguments)" in text
        assert ".choices[5]" not in text
