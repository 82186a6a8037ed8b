"""Legacy Completions streams (``/v1/completions``, ``"object": "text_completion"``):
``assemble_completion`` and its siblings against the hand-derived fixtures in
``fixtures/legacy/``, the template path on and off, and every error path (type and message).

Expected values are written by hand from the chunks, never taken from a run of the code.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import fuzz
import pytest
from helpers import agen, chunk, compact, reads_of, sse
from test_fastpath import outcome

import chunkstream

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "fixtures" / "legacy"
NAMES = sorted(p.stem for p in LEGACY.glob("*.sse"))

ID = "cmpl-t1"
CREATED = 1_700_000_000
MODEL = "gpt-3.5-turbo-instruct"


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    body = (LEGACY / f"{name}.sse").read_bytes()
    expected = json.loads((LEGACY / f"{name}.expected.json").read_text(encoding="utf-8"))
    return body, expected


def piece(
    text: str | None = "Hi",
    finish: str | None = None,
    index: int = 0,
    logprobs: Any = None,
    **top: Any,
) -> dict[str, Any]:
    """A ``text_completion`` chunk with one choice; ``top`` adds or replaces top-level keys."""
    obj: dict[str, Any] = {
        "id": ID,
        "object": "text_completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}],
    }
    obj.update(top)
    return obj


def completion(text: str | None, finish: str | None, **top: Any) -> dict[str, Any]:
    """The ``to_dict()`` of a one-choice completion of :func:`piece` chunks."""
    out: dict[str, Any] = {
        "id": ID,
        "object": "text_completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }
    out.update(top)
    return out


def offset_of(body: bytes, n: int) -> int:
    """The byte offset of the n-th event block of a body written by ``helpers.sse``."""
    at = 0
    for _ in range(n):
        at = body.index(b"\n\n", at) + 2
    return at


# -- the fixtures --------------------------------------------------------------------------------


def test_there_are_legacy_fixtures_for_openai_vllm_and_llamacpp() -> None:
    assert {"openai-text-completion", "openai-n2-logprobs", "vllm-completions"} <= set(NAMES)
    assert "llamacpp-completions" in NAMES
    for name in NAMES:
        assert (LEGACY / f"{name}.expected.json").is_file(), name


@pytest.mark.parametrize("mode", ["strict", "lenient"])
@pytest.mark.parametrize("name", NAMES)
def test_legacy_fixture_whole_split_and_byte_by_byte(name: str, mode: str) -> None:
    body, expected = load(name)
    want = expected[mode]["completion"]
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(body)), 8))
    for source in (body, fuzz.cut(body, cuts), reads_of(body, 1), reads_of(body, 7)):
        got = chunkstream.assemble_completion(source, strict=mode == "strict")
        assert isinstance(got, chunkstream.Completion)
        assert (got.to_dict(), got.warnings) == (want, ())


@pytest.mark.parametrize("name", NAMES)
def test_legacy_expected_json_loads_into_completion_and_is_written_back(name: str) -> None:
    _, expected = load(name)
    want = expected["strict"]["completion"]
    assert chunkstream.Completion.from_dict(want).to_dict() == want


@pytest.mark.parametrize("name", NAMES)
def test_legacy_fixture_templates_on_and_off_agree(name: str) -> None:
    """The template path is on for legacy streams: each fixture gives the same completion,
    warnings and errors with it on and off, whole, in small reads and at random cuts."""
    body, _ = load(name)
    rng = random.Random(name)
    cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), 8)))
    for strict in (True, False):
        for reads in ([body], cuts, reads_of(body, 1), reads_of(body, 2)):
            with fuzz.templates(True):
                on = outcome(reads, strict, chunkstream.assemble_completion)
            with fuzz.templates(False):
                off = outcome(reads, strict, chunkstream.assemble_completion)
            assert on == off


def test_the_template_path_takes_the_repeated_text_chunks_of_a_legacy_stream() -> None:
    """The differential test above would pass with the path never taken: count the chunks
    taken from a template (one by one or in a run) on a stream of many text pieces."""
    body = sse(*[piece(f"w{i} ") for i in range(20)], piece("", "stop"))
    taken = []
    with fuzz.templates(True):
        asm = chunkstream.CompletionAssembler()
        fuzz.spy_matches(asm._core.consumer, taken.append)
        asm.feed(body)
        got = asm.close()
    assert got.choices[0].text == "".join(f"w{i} " for i in range(20))
    assert len(taken) >= 15  # chunks 0 and 1 go the full way (the first is not planned)


def test_a_chunk_that_changes_an_unplanned_value_misses_the_template() -> None:
    """Pieces whose logprobs change every time are not planned; a piece after them with a
    conflicting id is still seen (no template stands in for it)."""
    lp = {"tokens": ["a"], "token_logprobs": [-1.0], "top_logprobs": [None], "text_offset": [0]}
    body = sse(piece("a"), piece("b"), piece("c"), piece("d", id="cmpl-other"))
    with fuzz.templates(True), pytest.raises(chunkstream.InconsistentStreamError):
        chunkstream.assemble_completion(body)
    body = sse(*[piece("a", logprobs=lp) for _ in range(4)], piece("", "stop"))
    with fuzz.templates(True):
        got = chunkstream.assemble_completion(body)
    assert got.choices[0].logprobs is not None
    assert got.choices[0].logprobs.tokens == ("a",) * 4


# -- what is assembled ---------------------------------------------------------------------------


def test_logprobs_lists_are_extended_per_chunk_and_kept_none_when_never_sent() -> None:
    first = {"tokens": ["He"], "token_logprobs": [None], "top_logprobs": [None]}
    second = {"tokens": ["llo"], "token_logprobs": [-0.5], "top_logprobs": [{"llo": -0.5}]}
    body = sse(piece("He", logprobs=first), piece("llo", "stop", logprobs=second))
    got = chunkstream.assemble_completion(body)
    lp = got.choices[0].logprobs
    assert lp is not None
    assert lp.tokens == ("He", "llo")
    assert lp.token_logprobs == (None, -0.5)
    assert lp.top_logprobs == (None, {"llo": -0.5})
    assert lp.text_offset is None  # never sent
    assert got.to_dict()["choices"][0]["logprobs"] == {
        "tokens": ["He", "llo"],
        "token_logprobs": [None, -0.5],
        "top_logprobs": [None, {"llo": -0.5}],
        "text_offset": None,
    }


def test_top_logprobs_entries_are_copies_the_caller_cannot_reach_through() -> None:
    lp = {"tokens": ["a"], "token_logprobs": [-1.0], "top_logprobs": [{"a": -1.0}]}
    got = chunkstream.assemble_completion(sse(piece("a", "stop", logprobs=lp)))
    assert got.choices[0].logprobs is not None
    entry = got.choices[0].logprobs.top_logprobs
    assert entry == ({"a": -1.0},)
    out = got.to_dict()
    out["choices"][0]["logprobs"]["top_logprobs"][0]["a"] = 0.0
    assert got.choices[0].logprobs.top_logprobs == ({"a": -1.0},)


def test_vendor_keys_follow_the_level_fallback_at_the_top_and_choice_level() -> None:
    body = sse(
        piece("a", stop_reason=None, timings={"n": 1}),
        piece("b", timings={"n": 2, "ms": 3}),
        piece("", "stop", timings=None),
    )
    body = body.replace(b'"finish_reason":"stop"}', b'"finish_reason":"stop","stop_reason":7}')
    got = chunkstream.assemble_completion(body)
    assert got.extra == {"stop_reason": None, "timings": {"n": 2, "ms": 3}}
    assert got.choices[0].extra == {"stop_reason": 7}


def test_an_empty_text_counts_and_a_choice_without_text_has_none() -> None:
    got = chunkstream.assemble_completion(sse(piece("", "stop")))
    assert got.to_dict() == completion("", "stop")
    got = chunkstream.assemble_completion(sse(piece(None, "stop")))
    assert got.to_dict() == completion(None, "stop")


def test_id_model_created_and_fingerprint_follow_the_chat_rules() -> None:
    body = sse(
        piece("a", id="", created=0, model=""),
        piece("b", system_fingerprint="fp_1"),
        piece("", "stop", created=CREATED + 5, system_fingerprint="fp_2"),
    )
    got = chunkstream.assemble_completion(body)
    assert got.to_dict() == completion("ab", "stop", system_fingerprint="fp_1")
    assert [w.kind for w in got.warnings] == ["changed"]
    assert got.warnings[0].message == (
        "system_fingerprint changed from 'fp_1' (chunk 1) to 'fp_2'; kept the first"
    )
    assert got.warnings[0].chunk_index == 2


def test_choices_are_sorted_by_index_and_the_typed_completion_is_simple() -> None:
    body = sse(piece("B", index=1), piece("A", index=0), piece("", "stop", index=1),
               piece("", "length", index=0))  # fmt: skip
    got = chunkstream.assemble_completion(body)
    assert [(c.index, c.text, c.finish_reason) for c in got.choices] == [
        (0, "A", "length"),
        (1, "B", "stop"),
    ]
    assert got.object == "text_completion"


def test_async_sibling_gives_the_same_completion() -> None:
    body, expected = load("openai-n2-logprobs")
    got = asyncio.run(chunkstream.aassemble_completion(agen(reads_of(body, 5))))
    assert got.to_dict() == expected["strict"]["completion"]


def test_completion_assembler_feeds_reads_and_snapshots() -> None:
    asm = chunkstream.CompletionAssembler()
    assert asm.feed(compact(piece("Hel")).join(["data: ", "\n\n"]).encode()) == 1
    assert asm.snapshot().choices[0].text == "Hel"
    asm.feed(sse(piece("lo", "stop")))
    assert asm.done
    assert asm.close().to_dict() == completion("Hello", "stop")
    with pytest.raises(RuntimeError, match=r"CompletionAssembler\.feed\(\) called after close"):
        asm.feed(b"")


def test_assemble_keeps_returning_a_chat_completion() -> None:
    got = chunkstream.assemble(sse(chunk({"content": "Hi"}, "stop")))
    assert type(got) is chunkstream.ChatCompletion


# -- errors ----------------------------------------------------------------------------------------


def test_a_second_id_is_inconsistent_strict_and_warned_lenient() -> None:
    body = sse(piece("a"), piece("b", id="cmpl-t2"), piece("", "stop"))
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(body)
    at = offset_of(body, 1)
    assert str(info.value) == (
        f"expected id 'cmpl-t1' (as in chunk 0) at .id, got str 'cmpl-t2' (chunk 1, byte {at})"
    )
    assert (info.value.field, info.value.held, info.value.got) == ("id", ID, "cmpl-t2")
    assert info.value.partial is not None
    assert info.value.partial.to_dict() == completion("a", None)
    got = chunkstream.assemble_completion(body, strict=False)
    assert got.to_dict() == completion("ab", "stop")
    assert [(w.kind, w.message, w.chunk_index, w.byte_offset) for w in got.warnings] == [
        (
            "inconsistent",
            "expected id 'cmpl-t1' (as in chunk 0) at .id, got str 'cmpl-t2'",
            1,
            at,
        )
    ]


def test_a_second_model_is_inconsistent() -> None:
    body = sse(piece("a"), piece("b"), piece("", "stop", model="davinci-002"))
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(body)
    assert str(info.value) == (
        "expected model 'gpt-3.5-turbo-instruct' (as in chunk 0) at .model, got str "
        f"'davinci-002' (chunk 2, byte {offset_of(body, 2)})"
    )


def test_created_moving_back_is_inconsistent() -> None:
    body = sse(piece("a"), piece("", "stop", created=CREATED - 1))
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(body, created_tolerance=10)
    assert str(info.value) == (
        f"expected created within 0..10 s after {CREATED} (as in chunk 0) at .created, got "
        f"int {CREATED - 1} (chunk 1, byte {offset_of(body, 1)})"
    )


def test_text_after_the_finish_reason_is_a_late_delta() -> None:
    body = sse(piece("a", "stop"), piece("b"))
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(body)
    assert str(info.value) == (
        "expected nothing more after finish_reason 'stop' (chunk 0) at .choices[0].text, got "
        f"str 'b' (chunk 1, byte {offset_of(body, 1)})"
    )
    got = chunkstream.assemble_completion(body, strict=False)
    assert got.choices[0].text == "ab"
    assert [w.kind for w in got.warnings] == ["late_delta"]
    assert got.warnings[0].message.endswith("; kept it")


def test_a_conflicting_finish_reason_is_inconsistent() -> None:
    body = sse(piece("a", "stop"), piece("", "length"))
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(body)
    assert str(info.value) == (
        "expected finish_reason 'stop' (as in chunk 0) at .choices[0].finish_reason, got str "
        f"'length' (chunk 1, byte {offset_of(body, 1)})"
    )


@pytest.mark.parametrize(
    ("logprobs", "path", "expected"),
    [
        ({"token_logprobs": -0.5}, ".choices[0].logprobs.token_logprobs", "list or null"),
        ({"tokens": "a"}, ".choices[0].logprobs.tokens", "list or null"),
        ({"tokens": ["a", 1]}, ".choices[0].logprobs.tokens[1]", "str"),
        ({"token_logprobs": [-1, "x"]}, ".choices[0].logprobs.token_logprobs[1]", "number or null"),
        ({"token_logprobs": [True]}, ".choices[0].logprobs.token_logprobs[0]", "number or null"),
        ({"top_logprobs": [None, 3]}, ".choices[0].logprobs.top_logprobs[1]", "object or null"),
        ({"text_offset": [0, None]}, ".choices[0].logprobs.text_offset[1]", "int"),
        ("x", ".choices[0].logprobs", "object or null"),
    ],
)
def test_bad_legacy_logprobs_are_a_located_chunk_error(
    logprobs: Any, path: str, expected: str
) -> None:
    bad = piece("b", logprobs=logprobs)
    body = sse(piece("a"), bad, piece("", "stop"))
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.assemble_completion(body)
    assert info.value.path == path
    assert info.value.chunk_index == 1
    assert info.value.byte_offset == offset_of(body, 1)
    assert str(info.value).startswith(f"expected {expected} at {path}, got ")
    got = chunkstream.assemble_completion(body, strict=False)
    assert got.choices[0].text == "a"  # the bad chunk is skipped, and said
    assert [(w.kind, w.path) for w in got.warnings] == [("invalid_chunk", path)]


def test_bad_text_and_index_are_located_chunk_errors() -> None:
    for bad, path, expected in (
        (piece(5), ".choices[0].text", "expected str or null at .choices[0].text, got int 5"),
        (
            {**piece("a"), "choices": [{"text": "a"}]},
            ".choices[0].index",
            "expected int at .choices[0].index, got nothing (the key is missing)",
        ),
    ):
        with pytest.raises(chunkstream.ChunkError) as info:
            chunkstream.assemble_completion(sse(bad))
        assert str(info.value) == f"{expected} (chunk 0, byte 0)"
        assert info.value.path == path


@pytest.mark.parametrize(
    ("entry", "body", "expected", "api"),
    [
        (
            chunkstream.assemble,
            sse(piece("a"), piece("", "stop")),
            "expected a chat.completion.chunk, got a text_completion chunk: this is a legacy "
            "Completions stream (read it with chunkstream.assemble_completion()), not Chat "
            "Completions",
            "text_completion chunks (2); this is a legacy Completions stream (read it with "
            "chunkstream.assemble_completion()), not Chat Completions",
        ),
        (
            chunkstream.assemble_completion,
            sse(chunk({"role": "assistant", "content": "Hi"}), chunk({}, "stop")),
            "expected a text_completion chunk, got a chat.completion chunk: this is a Chat "
            "Completions stream (read it with chunkstream.assemble()), not legacy Completions",
            "chat.completion chunks (2); this is a Chat Completions stream (read it with "
            "chunkstream.assemble()), not legacy Completions",
        ),
    ],
    ids=["legacy-to-assemble", "chat-to-assemble_completion"],
)
def test_a_stream_of_the_other_family_names_the_function_that_reads_it(
    entry: Any, body: bytes, expected: str, api: str
) -> None:
    with pytest.raises(chunkstream.ChunkError) as info:
        entry(body)
    assert str(info.value) == expected + " (chunk 0, byte 0)"
    got = entry(body, strict=False)
    assert got.choices == ()
    assert [(w.kind, w.message, w.chunk_index) for w in got.warnings] == [
        ("ignored", "skipped 2 event(s) of types chunkstream does not read: " + api, 0)
    ]


def test_a_chat_chunk_without_object_is_told_by_its_delta() -> None:
    # Some routers leave out "object": a choice's delta tells it.
    no_object = {k: v for k, v in chunk({"content": "Hi"}).items() if k != "object"}
    with pytest.raises(chunkstream.ChunkError, match=r"got a chat\.completion chunk"):
        chunkstream.assemble_completion(sse(no_object))


def test_a_legacy_chunk_with_no_choices_is_told_on_the_chat_fast_path_too() -> None:
    body = sse(chunk({"content": "a"}), piece("x", choices=[]))
    for templates in (True, False):
        with fuzz.templates(templates), pytest.raises(chunkstream.ChunkError) as info:
            chunkstream.assemble(body)
        assert info.value.chunk_index == 1
        assert "got a text_completion chunk" in str(info.value)


def test_iter_chunks_refuses_a_legacy_stream_too() -> None:
    with pytest.raises(chunkstream.ChunkError) as info:
        list(chunkstream.iter_chunks(sse(piece("a"))))
    assert "this is a legacy Completions stream" in str(info.value)


def test_a_stream_mixing_both_families_is_an_error_at_the_first_chunk_of_the_other() -> None:
    body = sse(piece("a"), chunk({"content": "b"}), piece("", "stop"))
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.assemble_completion(body)
    assert (info.value.chunk_index, info.value.byte_offset) == (1, offset_of(body, 1))
    assert info.value.partial is not None
    assert info.value.partial.to_dict() == completion("a", None)
    got = chunkstream.assemble_completion(body, strict=False)
    assert got.to_dict() == completion("a", "stop")
    assert [(w.kind, w.chunk_index) for w in got.warnings] == [("ignored", 1)]
    assert "chat.completion chunks (1)" in got.warnings[0].message
    mixed = sse(chunk({"content": "a"}), piece("b"), chunk({}, "stop"))
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.assemble(mixed)
    assert (info.value.chunk_index, info.value.byte_offset) == (1, offset_of(mixed, 1))


def test_a_truncated_legacy_stream_raises_with_the_partial_completion() -> None:
    body = sse(piece("a"), piece("b")).replace(b"data: [DONE]\n\n", b"")
    with pytest.raises(chunkstream.TruncatedStreamError) as info:
        chunkstream.assemble_completion(body)
    assert info.value.chunk_index == 2
    assert info.value.byte_offset == len(body)
    assert info.value.partial is not None
    assert info.value.partial.to_dict() == completion("ab", None)
    got = chunkstream.assemble_completion(body, strict=False)
    assert [w.kind for w in got.warnings] == ["truncated"]


def test_max_choices_bounds_a_legacy_stream() -> None:
    body = sse(piece("a", index=0), piece("b", index=1), piece("", "stop"))
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.assemble_completion(body, max_choices=1)
    assert str(info.value) == (
        "too many choices: index 1 would be choice number 2, over max_choices (1) "
        f"(chunk 1, byte {offset_of(body, 1)})"
    )


def test_an_upstream_error_in_a_legacy_stream() -> None:
    body = sse(piece("a"), {"error": {"message": "overloaded", "code": 503}})
    with pytest.raises(chunkstream.UpstreamError) as info:
        chunkstream.assemble_completion(body)
    assert str(info.value) == (
        f"the provider sent an error: overloaded (code 503) (chunk 1, byte {offset_of(body, 1)})"
    )
    got = chunkstream.assemble_completion(body, strict=False)
    assert got.error == {"message": "overloaded", "code": 503}
    assert got.to_dict()["error"] == {"message": "overloaded", "code": 503}


def test_a_whole_text_completion_body_is_no_event_stream() -> None:
    body = json.dumps(completion("Hi", "stop")).encode()
    for strict in (True, False):
        with pytest.raises(chunkstream.ChunkError) as info:
            chunkstream.assemble_completion(body, strict=strict)
        assert str(info.value) == (
            "expected an event stream, got a whole text_completion JSON object (was the "
            "request sent with stream: true?) (byte 0)"
        )


def test_completion_from_dict_refuses_another_object_and_bad_logprobs() -> None:
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.Completion.from_dict({**completion("a", "stop"), "object": "chat.completion"})
    assert str(info.value) == "expected \"text_completion\" at .object, got str 'chat.completion'"
    bad = completion("a", "stop")
    bad["choices"][0]["logprobs"] = {"tokens": ["a"], "token_logprobs": ["x"]}
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.Completion.from_dict(bad)
    assert str(info.value) == (
        "expected number or null at .choices[0].logprobs.token_logprobs[0], got str 'x'"
    )


def test_an_errors_notebook_display_shows_a_legacy_partial_as_its_json() -> None:
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        chunkstream.assemble_completion(sse(piece("ab"), piece("c", id="cmpl-x")))
    md = info.value._repr_markdown_()
    assert "**partial completion**: 1 choice, 2 characters of text" in md
    assert json.dumps(completion("ab", None), indent=2) in md
    html = info.value._repr_html_()
    assert "partial completion: 1 choice, 2 characters of text" in html
    assert "&quot;text_completion&quot;" in html


def test_llamacpps_chat_shaped_logprobs_are_extended_into_content() -> None:
    """llama.cpp's server sends ``{"content": [token, ...]}`` logprobs in its text_completion
    chunks (each token with its vendor ``id``): extended in order like the legacy lists."""
    tok1 = {"id": 9906, "token": "Hello", "bytes": [72], "logprob": -0.25, "top_logprobs": []}
    tok2 = {"id": 1917, "token": " world", "bytes": [32], "logprob": -1.5, "top_logprobs": []}
    body = sse(
        piece("Hello", logprobs={"content": [tok1]}),
        piece(" world", "length", logprobs={"content": [tok2]}),
    )
    got = chunkstream.assemble_completion(body)
    lp = got.choices[0].logprobs
    assert lp is not None
    assert [(t.token, t.logprob, t.extra) for t in lp.content or ()] == [
        ("Hello", -0.25, {"id": 9906}),
        (" world", -1.5, {"id": 1917}),
    ]
    assert got.to_dict()["choices"][0]["logprobs"] == {
        "tokens": None,
        "token_logprobs": None,
        "top_logprobs": None,
        "text_offset": None,
        "content": [tok1, tok2],
    }
    # OpenAI-shaped logprobs never write it.
    assert (
        "content"
        not in chunkstream.assemble_completion(
            sse(piece("a", "stop", logprobs={"tokens": ["a"]}))
        ).to_dict()["choices"][0]["logprobs"]
    )


@pytest.mark.parametrize("name", NAMES)
def test_mutated_legacy_streams_raise_only_our_errors_and_agree_both_ways(name: str) -> None:
    """Each fixture changed at random (an event's JSON mutated, events repeated, moved,
    dropped or inserted, line endings, the end cut: ``fuzz.mutate_body``): strict raises only
    a ChunkstreamError carrying the legacy partial, lenient never raises (but for a body that
    is no event stream), and the template path on and off give the same outcome, whole and
    in small reads."""
    body, _ = load(name)
    rng = random.Random(f"mutate {name}")
    for _ in range(60):
        data = body
        for _ in range(rng.randint(1, 3)):
            data = fuzz.mutate_body(data, rng)
        for strict in (True, False):
            for reads in ([data], reads_of(data, rng.randint(1, 9))):
                with fuzz.templates(True):
                    on = outcome(reads, strict, chunkstream.assemble_completion)
                with fuzz.templates(False):
                    off = outcome(reads, strict, chunkstream.assemble_completion)
                assert on == off, data
            if on[0] == "error":
                assert strict or on[2].startswith("expected an event stream"), (on, data)
                if not on[2].startswith(("expected an event stream", "the provider sent")):
                    assert on[3] is not None and on[3]["object"] == "text_completion"


def test_an_object_field_that_is_no_string_is_a_bad_chunk_in_either_family() -> None:
    """Found by the mutation test: an unhashable ``object`` (a JSON object) broke the test
    that tells the families apart (a TypeError escaped)."""
    for entry, bad in (
        (chunkstream.assemble_completion, piece("a", object={"x": 1})),
        (chunkstream.assemble, chunk({"content": "a"}, object={"x": 1})),
    ):
        with pytest.raises(chunkstream.ChunkError) as info:
            entry(sse(bad))
        assert info.value.path == ".object"
        assert str(info.value).startswith("expected str or null at .object, got ")


# -- typed chunks ----------------------------------------------------------------------------------


def events(body: bytes) -> list[dict[str, Any]]:
    """The chunk objects of a fixture, parsed from its data lines (an independent path)."""
    return [
        json.loads(line[len(b"data: ") :])
        for line in body.splitlines()
        if line.startswith(b"data: {")
    ]


@pytest.mark.parametrize("name", NAMES)
def test_iter_completion_chunks_gives_each_chunk_as_sent(name: str) -> None:
    body, _ = load(name)
    it = chunkstream.iter_completion_chunks(reads_of(body, 5))
    got = list(it)
    assert all(type(c) is chunkstream.CompletionChunk for c in got)
    assert [c.to_dict() for c in got] == events(body)
    assert it.done
    assert it.warnings == []


def test_completion_chunk_decoder_feeds_and_refuses_a_chat_stream() -> None:
    decoder = chunkstream.CompletionChunkDecoder()
    body = sse(piece("a"), piece("b", "stop"))
    first = decoder.feed(body[:100])
    rest = decoder.feed(body[100:])
    assert [c.choices[0].text for c in first + rest if c.choices] == ["a", "b"]
    assert decoder.done
    assert decoder.close() == []
    mixed = sse(piece("a"), chunk({"content": "b"}))
    decoder = chunkstream.CompletionChunkDecoder()
    with pytest.raises(chunkstream.ChunkError) as info:
        decoder.feed(mixed)
    assert str(info.value) == (
        "expected a text_completion chunk, got a chat.completion chunk: this is a Chat "
        "Completions stream (read it with chunkstream.assemble()), not legacy Completions "
        f"(chunk 1, byte {offset_of(mixed, 1)})"
    )
    assert [c.to_dict() for c in info.value.chunks] == [piece("a")]
    with pytest.raises(chunkstream.TruncatedStreamError):
        decoder.close()  # strict: choice 0 never finished
    with pytest.raises(RuntimeError, match=r"CompletionChunkDecoder\.feed\(\) called after"):
        decoder.feed(b"")


def test_a_bad_legacy_chunk_is_skipped_by_a_lenient_iterator() -> None:
    body = sse(piece("a"), piece("b", logprobs={"tokens": "x"}), piece("", "stop"))
    it = chunkstream.iter_completion_chunks(body, strict=False)
    assert [c.choices[0].text for c in it] == ["a", ""]
    assert [(w.kind, w.chunk_index, w.path) for w in it.warnings] == [
        ("invalid_chunk", 1, ".choices[0].logprobs.tokens")
    ]


def test_aiter_completion_chunks_gives_the_same_chunks() -> None:
    body, _ = load("openai-n2-logprobs")

    async def run() -> list[dict[str, Any]]:
        return [c.to_dict() async for c in chunkstream.aiter_completion_chunks(agen([body]))]

    assert asyncio.run(run()) == events(body)
