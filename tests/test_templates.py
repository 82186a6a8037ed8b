"""The template path (``chunkstream._template``, switched by ``_stream.TEMPLATES``) gives exactly
what the full parse gives.

An event whose data is a recent chunk's text with other strings at the planned places is merged
from those strings alone. Here the path is switched on and off and everything compared: the
completion (``to_dict()``), every warning (``repr``: kind, message, chunk_index, byte_offset,
path, field), the error raised (type, message, location, ``partial``), and for ``iter_chunks``
the ``repr`` and ``to_dict()`` of every chunk and its warnings; on every fixture, every corpus
stream (``CHUNKSTREAM_CORPUS``), generated streams and adversarial ones, whole, in reads of 1, 2
and 3 bytes and at random cuts, and ``Assembler`` fed one event per read with a snapshot after
each. The matcher itself is tested on texts built to fool it. ``tests/fuzz.py``'s assemble
target compares the two ways on every input it is given too (``fuzz.templates``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fuzz
import pytest
from helpers import chunk, compact, reads_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import _accumulate, _stream, _template
from chunkstream._template import Template, _OneHole, _TwoHoles, learn

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
FIXTURES = sorted((ROOT / "fixtures").glob("*.sse"))
RECORDED = sorted(CORPUS.glob("*/*.sse")) if CORPUS.is_dir() else []


# -- what is compared ----------------------------------------------------------------------------


def assembled(reads: list[bytes], strict: bool, **limits: Any) -> Any:
    try:
        c = chunkstream.assemble(reads, strict=strict, **limits)
    except chunkstream.ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        return ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset,
                exc.path, partial)  # fmt: skip
    return ("ok", c.to_dict(), [repr(w) for w in c.warnings])


def chunked(reads: list[bytes], strict: bool) -> Any:
    it = chunkstream.iter_chunks(reads, strict=strict)
    got: list[Any] = []
    try:
        for c in it:
            got.append((repr(c), c.to_dict()))
    except chunkstream.ChunkstreamError as exc:
        got.extend((repr(c), c.to_dict()) for c in exc.chunks)
        return ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset, got,
                [repr(w) for w in it.warnings])  # fmt: skip
    return ("ok", got, [repr(w) for w in it.warnings])


def fed(reads: list[bytes], strict: bool) -> tuple[Any, chunkstream.Assembler]:
    """``Assembler`` fed read by read, a snapshot after each: what came of it, and the
    assembler."""
    asm = chunkstream.Assembler(strict=strict)
    snaps = []
    try:
        for read in reads:
            asm.feed(read)
            snaps.append(asm.snapshot().to_dict())
        c = asm.close()
    except chunkstream.ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        return ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset,
                partial, snaps), asm  # fmt: skip
    return ("ok", c.to_dict(), [repr(w) for w in c.warnings], snaps), asm


def live(reads: list[bytes], strict: bool) -> Any:
    """``Assembler`` fed read by read, a snapshot after each."""
    return fed(reads, strict)[0]


def events_of(body: bytes) -> list[bytes]:
    """The body cut after each blank line (one event per read, as live clients deliver)."""
    out, at = [], 0
    while True:
        end = body.find(b"\n\n", at)
        if end < 0:
            break
        out.append(body[at : end + 2])
        at = end + 2
    if at < len(body):
        out.append(body[at:])
    return out


def both_ways(run: Any, reads: list[bytes], strict: bool) -> tuple[Any, Any]:
    with fuzz.templates(True):
        on = run(reads, strict)
    with fuzz.templates(False):
        off = run(reads, strict)
    return on, off


def check_body(body: bytes, rng: random.Random, tiny: tuple[int, ...] = (1, 2, 3)) -> None:
    cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), min(8, max(0, len(body) - 1)))))
    for strict in (True, False):
        for reads in ([body], cuts, *(reads_of(body, n) for n in tiny)):
            on, off = both_ways(assembled, reads, strict)
            assert on == off, (strict, len(reads))
        on, off = both_ways(chunked, [body], strict)
        assert on == off
        on, off = both_ways(live, events_of(body), strict)
        assert on == off


# -- every fixture and recorded stream -----------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_templates_on_and_off_agree_on_the_fixtures(path: Path) -> None:
    check_body(path.read_bytes(), random.Random(path.name))


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_templates_on_and_off_agree_on_the_corpus(path: Path) -> None:
    rng = random.Random(path.name)
    # One tiny read size per stream (1, 2 or 3 bytes, by the stream): all three on every
    # recording would make this the slowest test of the suite.
    check_body(path.read_bytes(), rng, tiny=(rng.choice((1, 2, 3)),))


def count_matches(body: bytes) -> tuple[int, int]:
    """(chunks taken by a template match, chunk numbers handed out) for ``assemble``."""
    with fuzz.templates(True):  # read when the stream starts
        asm = chunkstream.Assembler(strict=False)
    matched: list[int] = []
    fuzz.spy_matches(asm._core.consumer, matched.append)
    asm.feed(body)
    asm.close()
    return len(matched), asm._core.count


def count_typed_matches(body: bytes) -> tuple[int, int]:
    """(chunks rebuilt from a template, chunks) for ``iter_chunks``."""
    with fuzz.templates(True):
        it = chunkstream.iter_chunks(body, strict=False)
    decoder: Any = it.decoder
    taken = decoder._take_same
    matched = 0

    def spy(*args: Any) -> None:
        nonlocal matched
        matched += 1
        taken(*args)

    decoder._take_same = spy
    count = sum(1 for _ in it)
    return matched, count


def test_the_template_path_takes_the_bulk_of_everyday_streams() -> None:
    # Guard that the tests above compare something: without matches they prove nothing.
    from benchmarks.streams import make_stream

    for kind in ("text", "tools", "n4"):
        matched, count = count_matches(make_stream(kind, 400))
        assert matched > count * 0.9, (kind, matched, count)
        matched, count = count_typed_matches(make_stream(kind, 400))
        assert matched > count * 0.9, ("iter_chunks", kind, matched, count)


def new_id_stream(id_last: bool, strict: bool = False) -> bytes:
    """Groq compound's shape: a new ``id`` in every chunk (``id_last``: after the choices in
    the text, as Together's ``model`` is)."""
    events = []
    for n in range(12):
        obj = chunk({"reasoning": f"r{n}"} if n else {"role": "assistant", "content": ""})
        if id_last:
            obj = {**{k: v for k, v in obj.items() if k != "id"}, "id": f"chatcmpl-{n:04}"}
        else:
            obj["id"] = f"chatcmpl-{n:04}"
        events.append(compact(obj))
    events += [compact(chunk({}, "stop", id="chatcmpl-last")), "[DONE]"]
    return "".join(f"data: {e}\n\n" for e in events).encode()


@pytest.mark.parametrize("id_last", [False, True])
def test_a_new_id_in_every_chunk_is_a_hole_told_to_its_rule(id_last: bool) -> None:
    body = new_id_stream(id_last)
    check_body(body, random.Random(7))
    matched, count = count_matches(body)
    # The hole only when it is the text's first: after the choices' holes, nothing is learned.
    assert (matched >= 8) if not id_last else (matched == 0), (matched, count)
    c = chunkstream.assemble(body, strict=False)
    assert c.id == "chatcmpl-0000" and c.choices[0].message.reasoning == "".join(
        f"r{n}" for n in range(1, 12)
    )
    assert [w.kind for w in c.warnings] == ["inconsistent"] * 12
    assert c.warnings[4].message == (  # chunk 5's
        "expected id 'chatcmpl-0000' (as in chunk 0) at .id, got str 'chatcmpl-0005'"
    )
    assert [w.chunk_index for w in c.warnings] == list(range(1, 13))
    with pytest.raises(chunkstream.InconsistentStreamError, match=r"\.id, got str 'chatcmpl-0001'"):
        chunkstream.assemble(body)


def counted_stream() -> bytes:
    """vLLM's continuous usage (the counts so far in every chunk), Together's token_id (a delta's
    vendor integer) and a choice-level vendor integer, new in every chunk."""
    events = []
    for n in range(12):
        delta: dict[str, Any] = {"content": f"t{n}", "token_id": 1000 + n}
        if n == 0:
            delta["role"] = "assistant"
        obj = chunk(delta, usage={"prompt_tokens": 5, "completion_tokens": n + 1,
                                  "total_tokens": n + 6})  # fmt: skip
        obj["choices"][0]["x_step"] = n
        events.append(compact(obj))
    last = chunk(
        {}, "stop", usage={"prompt_tokens": 5, "completion_tokens": 12, "total_tokens": 17}
    )
    events += [compact(last), "[DONE]"]
    return "".join(f"data: {e}\n\n" for e in events).encode()


def test_counts_that_grow_in_every_chunk_are_holes_given_to_their_rules() -> None:
    body = counted_stream()
    check_body(body, random.Random(11))
    matched, count = count_matches(body)
    assert matched >= 8, (matched, count)
    c = chunkstream.assemble(body)
    assert c.choices[0].message.content == "".join(f"t{n}" for n in range(12))
    assert c.choices[0].message.extra == {"token_id": 1011}  # the last one: the level rule
    assert c.choices[0].extra == {"x_step": 11}
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.total_tokens) == (5, 12, 17)
    # A snapshot keeps the usage it saw: the counts later chunks bring are in copies.
    asm = chunkstream.Assembler()
    reads = events_of(body)
    seen = []
    for read in reads:
        asm.feed(read)
        seen.append(asm.snapshot())
    assert [s.usage.completion_tokens for s in seen[:12]] == list(range(1, 13))
    assert [s.choices[0].message.extra["token_id"] for s in seen[:12]] == list(range(1000, 1012))


def test_a_plan_makes_holes_of_the_integers_its_rules_take_again() -> None:
    opened = chunk({"role": "assistant", "content": ""})
    last = chunk({"content": "x", "token_id": 7}, usage={"prompt_tokens": 1, "total_tokens": 2},
                 x_top=3)  # fmt: skip
    last["choices"][0]["x_c"] = 4
    holes, _, _ = plan_of(opened, last)
    assert [path for path, _ in holes] == [
        CONTENT,
        ("choices", 0, "delta", "token_id"),
        ("choices", 0, "x_c"),
        ("usage", "prompt_tokens"),
        ("usage", "total_tokens"),
        ("x_top",),
    ]
    # Not an integer: a float, a bool, a count under a nested object are literals.
    last = chunk({"content": "x", "x_f": 1.5, "x_b": True},
                 usage={"prompt_tokens_details": {"cached_tokens": 3}})  # fmt: skip
    holes, _, _ = plan_of(opened, last)
    assert [path for path, _ in holes] == [CONTENT]


@pytest.mark.parametrize("kind", ["text", "tools", "n4"])
def test_a_deep_copy_of_a_stream_halfway_goes_on_alone(kind: str) -> None:
    # The templates' sinks are the original's lists' own methods, which deepcopy shares: the
    # copy drops its templates (found by a stranger: fed the rest, both copies came out wrong).
    import copy

    from benchmarks.streams import make_stream

    body = make_stream(kind, 60)
    whole = chunkstream.assemble(body)
    original = chunkstream.Assembler()
    original.feed(body[: len(body) // 2])
    copied = copy.deepcopy(original)
    assert copied._core._templates == [] and original._core._templates
    copied.feed(body[len(body) // 2 :])
    assert copied.close() == whole
    original.feed(body[len(body) // 2 :])
    assert original.close() == whole


def test_typed_chunks_rebuilt_from_a_template_share_no_dict() -> None:
    # Vendor values that are objects, content parts: each chunk has its own, and what a
    # reader does to one chunk's dicts changes no chunk that comes after it.
    delta = {"content": "a", "x_meta": {"k": [1]}, "x_note": "n"}
    events = [compact(chunk({"role": "assistant", "content": ""}))]
    events += [compact(chunk(delta, x_top={"t": {"u": 1}})) for _ in range(6)]
    events += [compact(chunk({}, "stop")), "[DONE]"]
    body = "".join(f"data: {e}\n\n" for e in events).encode()
    matched, _ = count_typed_matches(body)
    assert matched >= 3
    with fuzz.templates(False):
        expected = [c.to_dict() for c in chunkstream.iter_chunks(body)]
    got = []
    for c in chunkstream.iter_chunks(body):
        got.append(json.loads(json.dumps(c.to_dict())))  # (to_dict shares the chunk's dicts)
        # The reader edits everything mutable it was handed.
        c.extra.clear()
        for choice in c.choices or ():
            if choice.delta is not None:
                meta = choice.delta.extra.get("x_meta")
                if meta is not None:
                    meta["k"].append(2)
                choice.delta.extra["x_note"] = "edited"
    assert got == expected
    chunks = list(chunkstream.iter_chunks(body))
    metas = [c.choices[0].delta.extra["x_meta"] for c in chunks[1:7]]
    assert len({id(m) for m in metas}) == 6 and len({id(m["k"]) for m in metas}) == 6
    assert len({id(c.extra) for c in chunks}) == len(chunks)


def rich(i: int) -> dict[str, Any]:
    """A chunk with a hole at every depth of a typed chunk, each holding a string of ``i``
    (of a length that varies): top-level vendor string and ``obfuscation``; a choice's vendor
    string; a delta's content, reasoning and vendor string (reasoning first: the text's order
    is not the fields'); two tool calls, each with a vendor string and a function whose
    arguments come before its name, and a vendor string; two choices. Vendor objects and a
    dict-typed field (``moderation``) ride along, the same in every chunk."""
    s = str(i) * (i % 3 + 1)

    def call(j: int) -> dict[str, Any]:
        fn = {"arguments": f'{{"a": {s}}}', "name": f"fn{j}{s}", "x_fn": f"f{s}"}
        return {"index": j, "x_call": f"c{j}{s}", "function": fn}

    delta = {"reasoning_content": f"r{s}", "content": f"c{s}", "x_d": s, "x_obj": {"k": [1]}}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "x_top": f"t{s}",
        "choices": [
            {"index": 0, "delta": delta, "x_choice": f"h{s}", "finish_reason": None},
            {"index": 1, "delta": {"tool_calls": [call(0), call(1)]}, "finish_reason": None},
        ],
        "moderation": {"flagged": False, "scores": [0.5]},
        "obfuscation": f"o{s}",
        "x_meta": {"k": {"deep": [1, 2]}},
    }


def test_a_chunk_rebuilt_from_a_template_is_the_parsed_chunk_at_every_depth() -> None:
    first = chunk({"role": "assistant", "content": ""}, id="chatcmpl-1", created=1, model="m")
    events = [compact(first), *[compact(rich(i)) for i in range(1, 9)]]
    events += [compact({**rich(0), "choices": [{"index": n, "delta": {}, "finish_reason": "stop"}
                                               for n in (0, 1)]}), "[DONE]"]  # fmt: skip
    body = "".join(f"data: {e}\n\n" for e in events).encode()
    matched, count = count_typed_matches(body)
    assert count == 10 and matched >= 6, (matched, count)
    # Each chunk is the one its event's JSON gives (from_dict: another path to the same
    # chunk), and is the same whether templates are used or not.
    expected = [chunkstream.ChatCompletionChunk.from_dict(json.loads(e)) for e in events[:-1]]
    with fuzz.templates(True):
        got = list(chunkstream.iter_chunks(body))
    assert [repr(c) for c in got] == [repr(c) for c in expected]
    assert [c.to_dict() for c in got] == [c.to_dict() for c in expected]
    on, off = both_ways(chunked, [body], True)
    assert on == off


def test_what_a_reader_does_to_a_rebuilt_chunk_reaches_no_other() -> None:
    events = [compact(rich(i)) for i in range(9)]
    body = "".join(f"data: {e}\n\n" for e in events).encode()
    assert count_typed_matches(body)[0] >= 6
    with fuzz.templates(True):
        chunks = chunkstream.iter_chunks(body, strict=False)
        for n, c in enumerate(chunks):
            assert c.to_dict() == json.loads(events[n]), n
            # Every dict and list the chunk holds, edited in place.
            c.extra["x_meta"]["k"]["deep"].append(3)
            c.extra["added"] = n
            assert c.moderation is not None
            c.moderation["scores"].append(1.0)
            c.moderation["flagged"] = True
            for choice in c.choices or ():
                choice.extra.clear()
                delta = choice.delta
                assert delta is not None
                delta.extra.pop("x_d", None)
                if "x_obj" in delta.extra:
                    delta.extra["x_obj"]["k"].append(2)
                for call in delta.tool_calls or ():
                    call.extra["x_call"] = "edited"
                    assert call.function is not None
                    call.function.extra["x_fn"] = "edited"
    assert n == 8


def test_typed_content_parts_are_not_shared_either() -> None:
    parts = [{"type": "text", "text": "a"}]
    events = [compact(chunk({"content": parts}, p="x")) for _ in range(5)]
    body = "".join(f"data: {e}\n\n" for e in events).encode()
    chunks = list(chunkstream.iter_chunks(body, strict=False))
    ids = {id(c.choices[0].delta.content[0]) for c in chunks}
    assert len(ids) == len(chunks)


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
def test_the_template_path_takes_most_recorded_chunks() -> None:
    matched = count = 0
    for path in RECORDED:
        m, n = count_matches(path.read_bytes())
        matched += m
        count += n
    assert matched > count / 2, (matched, count)


def test_a_stream_that_plans_nothing_is_seldom_asked_for_a_plan() -> None:
    # Logprobs in every chunk (extended, never a hole): no plan; asked ever more seldom.
    from benchmarks.streams import make_stream

    body = make_stream("logprobs", 400)
    with fuzz.templates(True):
        asm = chunkstream.Assembler(strict=False)
    consumer: Any = asm._core.consumer
    plan = consumer._plan
    asked = 0

    def spy(obj: Any) -> Any:
        nonlocal asked
        asked += 1
        return plan(obj)

    consumer._plan = spy
    asm.feed(body)
    assert asked < 40, asked
    with fuzz.templates(False):
        off = chunkstream.assemble(body, strict=False)
    assert asm.close().to_dict() == off.to_dict()


def test_a_stream_where_nothing_repeats_backs_off() -> None:
    # Usage that changes in every chunk: no template matches, so the stream is asked for a
    # plan ever more seldom (each of the first _DRY chunks after the first, then at runs of
    # 8, 16, 32 and 64 chunks).
    events = [
        "data: " + compact(chunk({"content": f"w{i}"}, usage={"completion_tokens": i}))
        for i in range(100)
    ]
    body = ("\n\n".join(events) + "\n\n").encode()
    with fuzz.templates(True):
        asm = chunkstream.Assembler(strict=False)
    consumer: Any = asm._core.consumer
    plan = consumer._plan
    asked = 0

    def spy(obj: Any) -> Any:
        nonlocal asked
        asked += 1
        return plan(obj)

    consumer._plan = spy
    asm.feed(body)
    assert asked <= _stream._DRY + 4, asked
    with fuzz.templates(False):
        off = chunkstream.assemble(body, strict=False)
    assert asm.close().to_dict() == off.to_dict()


def test_a_stream_that_changes_after_a_long_part_nothing_repeats_in_learns_the_rest() -> None:
    # A long run of chunks the fast taker declines and that plan nothing (thinking parts of
    # two texts each: list content whose hole could not be placed), then plain text. The
    # first text chunk the fast taker takes after that run starts the back-off again: it is
    # learned from, and the 29 after it match. (Before, the back-off of the first run kept
    # the whole text from being learned: no chunk matched. The corpus's
    # magistral-content-list was such a stream, its thinking parts then of one text.)
    def thinking(w: str) -> str:
        items = [{"type": "text", "text": w}, {"type": "text", "text": "."}]
        return compact(chunk({"content": [{"type": "thinking", "thinking": items}]}))

    texts = [content(f"w{i} ") for i in range(30)]
    body = stream(*[thinking(w) for w in ("Okay", ", the", " user") * 7], *texts)
    assert count_matches(body) == (29, 54)  # open, Hi, 21 thinking, 30 texts, stop
    for strict in (True, False):
        with fuzz.templates(False):
            off = assembled([body], strict)
        with fuzz.templates(True):
            on = assembled([body], strict)
        assert on == off
    assert on[1]["choices"][0]["message"]["content"] == "Hi" + "".join(f"w{i} " for i in range(30))
    assert on[1]["choices"][0]["message"]["reasoning_content"] == "Okay., the. user." * 7


def test_list_content_of_one_part_with_one_text_is_a_hole() -> None:
    # Mistral's list content: a thinking part whose text is a string, or a list of one text
    # object, or a text part. A chunk that repeats the last one's part with another text is
    # merged from that text by the content rule: the part as learned with the new text (the
    # parts kept in order, the texts appended to reasoning_content or content).
    parts = {
        "thinking list": lambda w: {"type": "thinking", "thinking": [{"type": "text", "text": w}]},
        "thinking string": lambda w: {"type": "thinking", "thinking": w, "closed": True},
        "text part": lambda w: {"type": "text", "text": w},
    }
    for name, part in parts.items():
        words = [f"w{i}" for i in range(12)]
        body = stream(*[compact(chunk({"content": [part(w)]})) for w in words])
        # The first part is learned from (the chunk before it was plain text); 11 match.
        assert count_matches(body)[0] == 11, name
        for strict in (True, False):
            for reads in ([body], reads_of(body, 2)):
                with fuzz.templates(False):
                    off = live(reads, strict)
                with fuzz.templates(True):
                    on = live(reads, strict)
                assert on == off, name
        message = on[1]["choices"][0]["message"]
        field = "content" if name == "text part" else "reasoning_content"
        assert message[field] == ("Hi" if field == "content" else "") + "".join(words), name
    # Two parts, or a part of two texts, or none: nothing is planned for them (merged again,
    # a part would be added whole).
    opened = chunk({"role": "assistant", "content": ""})
    two = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    for content_value in (
        two,
        [{"type": "thinking", "thinking": two}],
        [{"type": "thinking", "thinking": []}],
        [{"type": "image_url", "image_url": {"url": "x"}}],
    ):
        last = chunk({"content": content_value})
        assert plan_of(opened, chunk({"content": "x"}), last) is None, content_value


def test_an_indexed_vendor_list_of_one_fragment_with_one_text_is_a_hole() -> None:
    # OpenRouter's reasoning_details: a one-item list in every delta, a fragment of the item at
    # its index (names repeated, the text appended). The fragment's text is a hole: the
    # fragment as learned with the new text goes to the fallback, which merges it by index.
    # A fragment whose other strings differ (the signature at the end) or whose name differs
    # (another item at the same index) goes the full way and is learned from in turn.
    def fragment(text: str, signature: str = "", fmt: str = "anthropic-claude-v1") -> str:
        item = {"type": "reasoning.text", "text": text, "signature": signature, "format": fmt}
        return compact(chunk({"reasoning": text, "reasoning_details": [{**item, "index": 0}]}))

    words = [f" w{i}" for i in range(10)]
    later = [" x", " y", " z", " q"]
    body = stream(
        *[fragment(w) for w in words],
        fragment("", "sig"),
        *[fragment(w, fmt="other") for w in later],
    )
    # Learned from the first of each run; the signature's chunk is one of its own.
    assert count_matches(body) == (12, 18)  # open, Hi, 10, signature, 4, stop
    for strict in (True, False):
        for reads in ([body], reads_of(body, 3)):
            for run in (assembled, live):
                with fuzz.templates(False):
                    off = run(reads, strict)
                with fuzz.templates(True):
                    on = run(reads, strict)
                assert on == off
    message = on[1]["choices"][0]["message"]
    assert message["reasoning_details"] == [
        {"type": "reasoning.text", "text": "".join(words), "signature": "sig",
         "format": "anthropic-claude-v1", "index": 0},
        {"type": "reasoning.text", "text": "".join(later), "signature": "", "format": "other",
         "index": 0},
    ]  # fmt: skip
    # Two fragments, or one with two texts, or none: nothing is planned for them.
    opened = chunk({"role": "assistant", "content": ""})
    item = {"type": "reasoning.text", "text": "a", "index": 0}
    for value in ([item, {**item, "index": 1}], [{**item, "summary": "s"}], [{**item, "text": ""}]):
        last = chunk({"reasoning_details": value})
        assert plan_of(opened, chunk({"content": "x"}), last) is None, value


def test_a_choice_logprobs_object_of_nulls_is_planned_a_token_is_not() -> None:
    # Snowflake sends "logprobs": {"content": null, "refusal": null} with every delta: merged
    # again it changes nothing, so the chunk is planned (its content a hole); a token in it
    # would be appended again, so a chunk with one is not planned.
    def with_logprobs(text: str, logprobs: Any) -> dict[str, Any]:
        obj = chunk({"content": text})
        obj["choices"][0]["logprobs"] = logprobs
        return obj

    nulls = {"content": None, "refusal": None}
    opened = with_logprobs("", nulls)
    holes, _, _ = plan_of(opened, with_logprobs("a", nulls), with_logprobs("b", nulls))
    assert [path for path, _ in holes] == [CONTENT]
    token = {"content": [{"token": "b", "logprob": -0.1, "bytes": [98], "top_logprobs": []}]}
    assert plan_of(opened, with_logprobs("a", nulls), with_logprobs("b", token)) is None
    body = stream(*[compact(with_logprobs(f"w{i}", nulls)) for i in range(8)])
    # open, Hi, 8 with logprobs, stop: the first of the 8 is learned from, 7 match.
    assert count_matches(body) == (7, 11)
    for strict in (True, False):
        with fuzz.templates(False):
            off = live(reads_of(body, 2), strict)
        with fuzz.templates(True):
            on = live(reads_of(body, 2), strict)
        assert on == off


# -- adversarial streams ---------------------------------------------------------------------------

OPEN = chunk({"role": "assistant", "content": ""})
STOP = chunk({}, "stop")


def stream(*texts: str, done: bool = True) -> bytes:
    """An SSE body: the opening chunk, a first content chunk (so that a template is learned),
    ``texts`` as they are (each an event's data), the finish and [DONE]."""
    first = compact(chunk({"content": "Hi"}))
    events = [compact(OPEN), first, *texts, compact(STOP)]
    if done:
        events.append("[DONE]")
    return "".join(f"data: {e}\n\n" for e in events).encode("utf-8", "surrogatepass")


def content(s: str) -> str:
    """The everyday content chunk with ``s`` as its content's JSON text (inside the quotes)."""
    return compact(chunk({"content": "@@"})).replace("@@", s)


ADVERSARIAL = {
    "quote-comma-key": content(r"a\",\"content\":\"b"),
    "escaped quote and backslash": content(r"\"\\"),
    "escaped unicode": content(r"\u00e9\u4e2d\ud83d\ude00"),
    "lone high surrogate": content(r"\ud83d"),
    "lone low surrogate": content(r"\ude00"),
    "raw control character": content("a\x01b"),
    "invalid escape": content(r"\x41"),
    "unterminated": compact(chunk({"content": "x"}))[:-10],
    "injected unescaped key": content('a","content":"b'),
    "duplicate key": content('a","content":"b'),
    "number where a string was": compact(chunk({"content": 5})),
    "null where a string was": compact(chunk({"content": None})),
    "object where a string was": compact(chunk({"content": {"a": "b"}})),
    "whitespace after a colon": content("x").replace('"content":', '"content": '),
    "whitespace at the end": content("x") + " ",
    "trailing garbage": content("x") + "x",
    "an extra key": compact(chunk({"content": "x", "x_vendor": "v"})),
    "an extra top-level key": compact(chunk({"content": "x"}, x_top="t")),
    "same key at another depth": compact(chunk({"content": "x"}, content="top")),
    "id changes": compact(chunk({"content": "x"}, id="chatcmpl-other")),
    "model changes": compact(chunk({"content": "x"}, model="m-2")),
    "created moves back": compact(chunk({"content": "x"}, created=1)),
    "created moves forward": compact(chunk({"content": "x"}, created=1_700_000_001)),
    "created jumps past the tolerance": compact(chunk({"content": "x"}, created=1_800_000_000)),
    "created as a float": compact(chunk({"content": "x"}, created=1_700_000_000.0)),
    "role changes": compact(chunk({"role": "user", "content": "x"})),
    "finish in the content chunk": compact(chunk({"content": "x"}, "stop")),
    "index changes": compact(chunk({"content": "x"}, index=1)),
    "index as a string": compact(chunk({"content": "x"})).replace('"index":0', '"index":"0"'),
    "error key": compact(chunk({"content": "x"}, error={"message": "boom"})),
    "DONE inside the content": content("[DONE]"),
    "not JSON at all": "{",
    "a second hole's place": compact(chunk({"content": "x", "reasoning_content": "r"})),
}


def test_another_apis_event_type_is_never_a_hole() -> None:
    # Data without choices whose "type" is not another API's is read as a chunk; the same
    # text with another API's type is that API's event (strict: an error; lenient: skipped).
    # A template learned from the first must not take the second.
    plain = '{"id":"chatcmpl-s1","type":"@@","usage":null}'
    events = [plain.replace("@@", t) for t in ("ping", "pong", "response.created", "pang")]
    body = "".join(f"data: {e}\n\n" for e in events).encode()
    check_body(body, random.Random(0))
    with pytest.raises(chunkstream.ChunkError, match="OpenAI Responses API"):
        chunkstream.assemble(body)
    with pytest.raises(chunkstream.ChunkError, match="OpenAI Responses API"):
        list(chunkstream.iter_chunks(body))


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_templates_on_and_off_agree_on_adversarial_chunks(name: str) -> None:
    text = ADVERSARIAL[name]
    # The odd chunk after a learned template, twice, between everyday chunks (so that it is
    # matched against the template the chunk before it taught, and the one after it is too).
    again = content("more")
    body = stream(text, again, text, again)
    check_body(body, random.Random(name))


def test_an_id_that_changes_raises_exactly_as_the_full_parse_does() -> None:
    body = stream(content("x"), ADVERSARIAL["id changes"])
    on, off = both_ways(assembled, [body], True)
    assert on == off
    assert on[1] == "InconsistentStreamError"
    assert on[3] == 3  # the chunk that changed the id (0: role, 1: Hi, 2: x)
    assert "id" in on[2] and "chatcmpl-other" in on[2]


def tool_chunk(call: dict[str, Any]) -> str:
    return compact(chunk({"tool_calls": [call]}))


@pytest.mark.parametrize("limit", [1, 1024])
def test_a_tool_call_whose_id_changed_is_another_call_whichever_path(limit: int) -> None:
    # Call "a" at index 0, then fragments at index 0 with id "b": another call at that index
    # (a warning), refused over max_tool_calls=1 each time; the fragments by index alone that
    # follow go to the call the index holds then ("b", or "a" when "b" was refused), never
    # to one a template learned before the change.
    first = tool_chunk({"index": 0, "id": "a", "type": "function", "function": {"name": "f"}})
    args = tool_chunk({"index": 0, "function": {"arguments": "{}"}})
    other = tool_chunk({"index": 0, "id": "b", "function": {"arguments": "x"}})
    body = stream(first, args, args, other, other, args, args)
    for strict in (True, False):
        for reads in ([body], reads_of(body, 1)):
            with fuzz.templates(True):
                on = assembled(reads, strict, max_tool_calls=limit)
            with fuzz.templates(False):
                off = assembled(reads, strict, max_tool_calls=limit)
            assert on == off
    assert on[0] == "ok"
    calls = on[1]["choices"][0]["message"]["tool_calls"]
    if limit == 1:
        assert [w for w in on[2] if "max_tool_calls" in w]
        assert [c["function"]["arguments"] for c in calls] == ["{}{}{}{}"]
    else:
        assert [c["function"]["arguments"] for c in calls] == ["{}{}", "xx{}{}"]


def test_strings_that_look_like_json_are_taken_as_the_strings_they_are() -> None:
    body = stream(
        ADVERSARIAL["quote-comma-key"],
        ADVERSARIAL["escaped quote and backslash"],
        ADVERSARIAL["escaped unicode"],
    )
    matched, _ = count_matches(body)
    assert matched == 3  # each was matched, not parsed
    got = chunkstream.assemble(body).choices[0].message.content
    assert got == 'Hia","content":"b"\\é中😀'


def test_a_surrogate_pair_split_between_matched_chunks_is_mended() -> None:
    body = stream(content(r"\ud83d"), content(r"\ude00"))
    matched, _ = count_matches(body)
    assert matched == 2
    assert chunkstream.assemble(body).choices[0].message.content == "Hi😀"


# -- the matcher ---------------------------------------------------------------------------------


def learned(text: str, *paths: tuple[Any, ...]) -> Any:
    return learn(text, json.loads(text), [(p, i) for i, p in enumerate(paths)])


CONTENT = ("choices", 0, "delta", "content")


def test_a_template_matches_its_text_with_other_strings_only() -> None:
    text = content("Hi")
    t = learned(text, CONTENT)
    assert t is not None
    assert t.match(text) == ["Hi"]
    assert t.match(content(r"a\"b\\\u00e9")) == ['a"b\\é']
    assert t.match(content(r"\ud800")) == ["\ud800"]
    for miss in (
        content('a","content":"b'),  # the string ends at the first quote: the rest differs
        content("a\x00"),  # a raw control character: not JSON (strict, as json.loads)
        content(r"\x"),  # an invalid escape
        content("x") + " ",  # something after the last literal
        content("x")[:-1],  # a literal cut short
        compact(chunk({"content": 5})),
        compact(chunk({"content": None})),
        content("x").replace('"content":', '"content": '),
        compact(chunk({"content": "x"}, id="other")),
    ):
        assert t.match(miss) is None, miss


def test_a_template_with_one_hole_matches_as_the_general_matcher_does() -> None:
    # One hole: its own matcher (no loop), held to the general one on hits and on misses
    # that only its length test or its test of the last literal catch.
    text = content("Hi")
    t = learned(text, CONTENT)
    assert type(t) is _OneHole
    general = Template([t.first, *t.literals], t.payloads, None)
    last = t.literals[0]
    texts = [
        text,
        content(r"a\"b\\"),
        content(""),
        t.first + 'x"' + last[1:] + last,  # the last literal twice: too long
        t.first + 'x"' + last[1:-1] + "]",  # as long, but the last literal differs
        t.first + 'x\\"' + last[1:],  # the string does not end where the literal begins
        t.first + 'x"',  # nothing after the string
        t.first + "x",  # an unterminated string
        t.first[:-1],
    ]
    assert [t.match(x) for x in texts] == [general.match(x) for x in texts]
    assert [t.match(x) for x in texts[:3]] == [["Hi"], ['a"b\\'], [""]]
    assert [t.match(x) for x in texts[3:]] == [None] * 6


REASONING = ("choices", 0, "delta", "reasoning_content")


def two_holes(reasoning: str = "r", text: str = "Hi") -> str:
    return compact(chunk({"reasoning_content": reasoning, "content": text}))


def test_a_template_with_two_holes_matches_as_the_general_matcher_does() -> None:
    # Two holes: its own matcher (unrolled), held to the general one on hits and on misses
    # at each of its tests: the first literal, each string, the middle literal, the length
    # and the last literal.
    text = two_holes()
    t = learned(text, CONTENT, REASONING)
    assert type(t) is _TwoHoles
    general = Template([t.first, *t.literals], t.payloads, None)
    middle, last = t.literals
    texts = [
        text,
        two_holes('a"b', "é\\"),  # escaped in the text
        two_holes("", ""),
        t.first + 'x"' + middle[1:] + 'y"' + last[1:] + last,  # the last literal twice
        t.first + 'x"' + middle[1:] + 'y"' + last[1:-1] + "]",  # as long, the end differs
        t.first + 'x"' + middle[1:].replace("content", "kontent") + 'y"' + last[1:],  # middle
        t.first + 'x\\"' + middle[1:] + 'y"' + last[1:],  # the first string runs on
        t.first + 'x"' + middle[1:] + 'y\\"' + last[1:],  # the second string runs on
        t.first + 'x"' + middle[1:] + "y",  # an unterminated second string
        t.first + 'x"' + middle[1:],  # nothing after the middle literal
        t.first + "x",
        t.first[:-1],
        t.first + 'x\\q"' + middle[1:] + 'y"' + last[1:],  # an invalid escape
    ]
    assert [t.match(x) for x in texts] == [general.match(x) for x in texts]
    assert [t.match(x) for x in texts[:3]] == [["r", "Hi"], ['a"b', "é\\"], ["", ""]]
    assert [t.match(x) for x in texts[3:]] == [None] * 10


@given(st.text(max_size=12), st.text(max_size=12), st.integers(0, 400), st.text(max_size=3))
@settings(max_examples=300, deadline=None)
def test_two_holes_match_any_text_as_the_general_matcher_does(
    reasoning: str, text: str, cut: int, junk: str
) -> None:
    t = learned(two_holes(), CONTENT, REASONING)
    general = Template([t.first, *t.literals], t.payloads, None)
    whole = two_holes(reasoning, text)
    for x in (whole, whole[:cut], whole[:cut] + junk + whole[cut:], whole + junk):
        assert t.match(x) == general.match(x)
    assert t.match(whole) == [reasoning, text]


def test_holes_are_placed_by_the_parse_not_by_a_text_search() -> None:
    # The hole's key appears earlier in the text: at the top level, and inside a string.
    text = compact({"content": "top", "note": '"content":"', **chunk({"content": "deep"})})
    t = learned(text, CONTENT)
    assert t is not None
    assert t.match(text.replace('"deep"', '"new"')) == ["new"]
    assert t.match(text.replace('"top"', '"new"')) is None  # not a hole: a literal


def test_holes_are_placed_whatever_the_keys_and_whitespace_look_like() -> None:
    # Keys with escapes (read by the scanner: "c\u006fntent" is "content"), whitespace of
    # every kind around keys, colons and commas, and a key beside the hole's that differs
    # only by an escape: the hole is where the parse put the value.
    text = (
        '{ "id" :\t"x" ,\n"choices" : [ { "index":0 , "delta" : { "con\\"tent": "no", '
        '"c\\u006fntent"\r\n:  "yes" , "n" : 1 } } ] }'
    )
    assert json.loads(text)["choices"][0]["delta"] == {'con"tent': "no", "content": "yes", "n": 1}
    t = learned(text, CONTENT)
    assert t is not None
    assert t.match(text.replace('"yes"', '"new"')) == ["new"]
    assert t.match(text.replace('"no"', '"new"')) is None  # the other key's: a literal


def test_an_integer_hole_takes_exactly_the_integers_json_reads_there() -> None:
    # Usage counted so far in every chunk (vLLM's continuous usage, Perplexity): the counts are
    # holes of their own kind, read by the scanner behind json.loads.
    obj = chunk({"content": "a"}, usage={"prompt_tokens": 7, "completion_tokens": 12})
    text = compact(obj)
    t = learned(text, CONTENT, ("usage", "completion_tokens"))
    assert t is not None
    for count in ("13", "0", "-4", "123456789012345678901234567890"):
        other = text.replace('"a"', '"b"').replace("12}", count + "}")
        assert t.match(other) == ["b", int(count)], count
        assert json.loads(other)["usage"]["completion_tokens"] == int(count)
    for count in ("1.5", "1e3", "true", "null", '"13"', "013", "- 4", "[1]", "1" * 5000, ""):
        other = text.replace("12}", count + "}")
        assert t.match(other) is None, count
    assert t.match(text.replace('"prompt_tokens":7', '"prompt_tokens":8')) is None  # a literal
    # A text with whitespace around the number is matched as it was learned.
    spaced = json.dumps(obj)
    t = learned(spaced, CONTENT, ("usage", "completion_tokens"))
    assert t is not None
    assert t.match(spaced.replace(": 12}", ": 99}")) == ["a", 99]
    assert t.match(spaced.replace(": 12}", ": 99 }")) is None


def test_nothing_is_learned_when_in_doubt() -> None:
    dup = '{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}'
    assert learned(dup, CONTENT) is None  # the key on the hole's path twice
    assert learned(compact(chunk({"content": 5.0})), CONTENT) is None  # not a string or an int
    assert learned(compact(chunk({"content": True})), CONTENT) is None
    assert learned(compact(chunk({"content": None})), CONTENT) is None
    assert learned(compact(chunk({"content": "x"})), ("choices", 1, "delta", "content")) is None
    assert learned(compact(chunk({"content": "x"})), CONTENT, CONTENT) is None  # twice
    assert learned(compact(chunk({"content": "x"})), ()) is None
    # A path through a hole.
    assert learned(compact(chunk({"content": "x"})), CONTENT, (*CONTENT, "deeper")) is None


def test_holes_keep_the_order_of_the_text() -> None:
    text = compact(chunk({"reasoning_content": "r", "content": "c"}, obfuscation="o"))
    reasoning = ("choices", 0, "delta", "reasoning_content")
    t = learn(text, json.loads(text), [(CONTENT, "c"), (("obfuscation",), "o"), (reasoning, "r")])
    assert t is not None
    assert t.payloads == ("r", "c", "o")
    assert t.match(text) == ["r", "c", "o"]


def test_a_duplicate_key_off_the_path_is_a_literal() -> None:
    text = '{"id":"a","id":"a","choices":[{"index":0,"delta":{"content":"x"}}]}'
    t = learned(text, CONTENT)
    assert t is not None
    assert t.match(text.replace('"x"', '"y"')) == ["y"]
    assert t.match(text.replace('"id":"a","id":"a"', '"id":"a","id":"b"')) is None


# -- holes found by encoding the object again -----------------------------------------------------
#
# For a text that is the object's compact encoding (json.dumps(..., separators=(",", ":"),
# ensure_ascii=False): 98% of recorded chunks), learn() finds the holes by encoding the object
# with marks at them (_template._by_encoding) instead of walking the text. Here the two ways are
# held equal, and the encoding is shown to be taken where it can be and refused where it cannot.


@contextlib.contextmanager
def walk_only() -> Iterator[None]:
    saved = _template._ENCODE
    _template._ENCODE = None
    try:
        yield
    finally:
        _template._ENCODE = saved


def shape(t: Any) -> Any:
    """What a template is: its kind, literals, payloads and integer holes."""
    if t is None:
        return None
    return (type(t).__name__, t.first, t.literals, t.payloads, getattr(t, "numbers", None))


def both_learned(text: str, obj: Any, holes: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    by_encoding = learn(text, obj, holes)
    with walk_only():
        walked = learn(text, obj, holes)
    return shape(by_encoding), shape(walked)


def encoded(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def test_holes_of_an_encoded_text_are_found_by_encoding_it_again() -> None:
    obj = chunk({"content": "é\"\\\n", "reasoning_content": "r"},
                usage={"prompt_tokens": 3, "completion_tokens": 4}, created=17.5)  # fmt: skip
    holes = [(CONTENT, "c"), (("usage", "completion_tokens"), "u"),
             (("choices", 0, "delta", "reasoning_content"), "r"), (("id",), "i")]  # fmt: skip
    text = encoded(obj)
    t = _template._by_encoding(text, obj, holes, None)
    assert t is not None  # taken, not the walk
    on, off = both_learned(text, obj, holes)
    assert on == off
    assert on[3] == ("i", "c", "r", "u")  # in the text's order
    assert t.match(text) == [obj["id"], 'é"\\\n', "r", 4]


@pytest.mark.parametrize(
    "name",
    [
        "spaces",
        "escaped non-ASCII",
        "a float written otherwise",
        "a key twice",
        "a NUL",
        "a NUL in a key",
        "a mark's text in a string",
        "an escaped slash",
    ],
)
def test_a_text_written_otherwise_is_walked(name: str) -> None:
    obj = chunk({"content": "x"}, model="modèle", usage={"total": 1e-05})
    text = encoded(obj)
    if name == "spaces":
        text = json.dumps(obj, ensure_ascii=False)
    elif name == "escaped non-ASCII":
        text = json.dumps(obj, separators=(",", ":"))  # "mod\u00e8le"
    elif name == "a float written otherwise":
        text = text.replace("1e-05", "0.00001")
    elif name == "a key twice":
        text = text.replace('"id":', '"id":"chatcmpl-0","id":', 1)
    elif name == "a NUL":
        obj["model"] = "a\x00b"
        text = encoded(obj)
    elif name == "a NUL in a key":
        obj["x\x00"] = 1
        text = encoded(obj)
    elif name == "a mark's text in a string":
        obj["model"] = "\x00s0\x00"
        text = encoded(obj)
    elif name == "an escaped slash":
        obj["model"] = "a/b"
        text = encoded(obj).replace("a/b", "a\\/b")
    parsed = json.loads(text)
    assert _template._by_encoding(text, parsed, [(CONTENT, "c")], None) is None
    on, off = both_learned(text, parsed, [(CONTENT, "c")])
    assert on == off
    assert on is not None  # the walk found it
    assert learned(text, CONTENT).match(text) == ["x"]


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8"), max_size=6),
    st.sampled_from(["\x00", "\x00s0\x00", "\x00n1\x00", "\\u0000", '"', "\\"]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of the strings and integers in ``value`` (not bools)."""
    if type(value) is dict:
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if type(value) is list:
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
    return [path] if type(value) in (str, int) and path else []


@given(
    st.dictionaries(st.text(max_size=4), JSON_VALUES, min_size=1, max_size=5),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["compact", "ascii", "spaced"]),
)
@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_holes_found_by_encoding_are_the_holes_the_walk_finds(
    obj: dict[str, Any], seed: int, style: str
) -> None:
    rng = random.Random(seed)
    if style == "compact":
        text = encoded(obj)
    elif style == "ascii":
        text = json.dumps(obj, separators=(",", ":"))
    else:
        text = json.dumps(obj)
    parsed = json.loads(text)
    paths = leaves(parsed)
    chosen = rng.sample(paths, min(len(paths), rng.randint(1, 3))) if paths else [("nothere",)]
    holes = [(p, f"payload {i}") for i, p in enumerate(chosen)]
    on, off = both_learned(text, parsed, holes)
    assert on == off


# -- the plan ------------------------------------------------------------------------------------


def plan_of(*objs: dict[str, Any]) -> Any:
    acc = _accumulate.Accumulator(strict=False)
    for n, obj in enumerate(objs):
        acc._merge(obj, n, None)
    return acc._plan(objs[-1])


def test_a_plan_is_only_made_where_a_repeat_merges_to_nothing() -> None:
    opened = chunk({"role": "assistant", "content": ""})
    holes, _, _ = plan_of(opened, chunk({"content": "x"}))
    assert [path for path, _ in holes] == [CONTENT]
    # created a second later (within created_tolerance: silently kept the first).
    holes, _, _ = plan_of(opened, chunk({"content": "x"}, created=1_700_000_001))
    assert [path for path, _ in holes] == [CONTENT]
    # Vendor strings at every level are holes, handed to the fallback.
    holes, _, _ = plan_of(opened, {**chunk({"content": "x"}, p="pad"), "choices": [
        {"index": 0, "delta": {"content": "x", "x_d": "d"}, "text": "t"}]})  # fmt: skip
    assert [path for path, _ in holes] == [
        ("choices", 0, "delta", "content"),
        ("choices", 0, "delta", "x_d"),
        ("choices", 0, "text"),
        ("p",),
    ]
    # The role held: a repeat of it is a no-op.
    holes, _, _ = plan_of(opened, chunk({"role": "assistant", "content": "x"}))
    assert [path for path, _ in holes] == [CONTENT]
    # A set-once string that differs from the one held (Groq's compound model: a new id in
    # every chunk) is a hole, handed to its rule, which warns again for each chunk.
    holes, _, _ = plan_of(opened, chunk({"content": "x"}, model="other"))
    assert [path for path, _ in holes] == [("model",), CONTENT]
    # ... but only as the text's first hole: the merge puts set-once fields before anything
    # else, and a strict merge raises there with nothing else of the chunk merged.
    late = chunk({"content": "x"}, p="pad")
    late = {"p": "pad", **{k: v for k, v in late.items() if k != "p"}, "model": "other"}
    assert plan_of(opened, late) is None
    for last in (
        chunk({"role": "user", "content": "x"}),  # a different role warned: it would again
        chunk({"content": "x"}, "stop"),  # finished
        chunk({"content": "x"}, model=1),  # a set-once value that is no string
        chunk({"content": "x"}, model="other", id="other"),  # two set-once strings changed
        chunk({"content": "x"}, created=1_800_000_000),  # past the tolerance: it warned
        chunk({"content": "x"}, error={"message": "boom"}),
        chunk({"annotations": [{"type": "url_citation"}]}),  # extended again
        chunk({"x_list": [1]}),  # a delta's vendor list: extended again
    ):
        assert plan_of(opened, last) is None, last


def test_a_chunk_that_opens_something_is_not_planned_now() -> None:
    # A chunk that opened a choice or a tool call is seldom what the next chunk repeats: its
    # plan is False ("not now"), which, unlike None ("none can be learned from it"), does not
    # make the stream back off.
    opened = chunk({"role": "assistant", "content": ""})
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    for last in (
        chunk({"tool_calls": [call]}),  # a tool call opened
        chunk({"tool_calls": [{"function": {"arguments": "a"}}]}),  # no index: a new call
        chunk({"role": "assistant", "content": ""}, index=1),  # a second choice opened
    ):
        assert plan_of(opened, last) is False, last
    assert plan_of(opened) is False  # the first chunk opened its choice
    # The chunk after one is planned as usual.
    args = chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]})
    holes, _, _ = plan_of(opened, chunk({"tool_calls": [call]}), args)
    assert [path for path, _ in holes] == [
        ("choices", 0, "delta", "tool_calls", 0, "function", "arguments")
    ]


def test_a_chunk_with_no_choices_is_not_asked_for_a_plan() -> None:
    # The usage at the end, a moderation, a prompt's filter results: a chunk with no choices is
    # seldom what the next repeats, so the stream layer does not ask its consumer (either one)
    # for a plan, and does not back off: the chunks after such a run are learned as usual.
    usage = compact({**chunk({}), "choices": [], "usage": {"prompt_tokens": 1}})
    nothing = compact({**chunk({}), "choices": []})
    body = stream(usage, nothing, usage, nothing, usage, *[content(f"w{i}") for i in range(5)])
    for kind in ("assemble", "iter_chunks"):
        with fuzz.templates(True):
            if kind == "assemble":
                asm: Any = chunkstream.Assembler(strict=False)
                consumer: Any = asm._core.consumer
            else:
                it = chunkstream.iter_chunks(body, strict=False)
                consumer = it.decoder
        plan = consumer._plan
        asked: list[Any] = []

        def spy(obj: Any, plan: Any = plan, asked: list[Any] = asked) -> Any:
            asked.append(obj.get("choices"))
            return plan(obj)

        consumer._plan = spy
        if kind == "assemble":
            asm.feed(body)
            asm.close()
        else:
            list(it)
        assert [] not in asked, kind  # none of the five was asked
        # Asked: Hi (the opening is the first chunk), the first content (the chunks with no
        # choices dropped Hi's template: they went their own way) and the stop.
        assert len(asked) == 3, (kind, asked)
    assert count_matches(body)[0] == 4  # the four contents after the first


def test_chunks_that_open_calls_one_after_another_do_not_delay_learning() -> None:
    # Two calls opened in a row, then the arguments of the second, a fragment a chunk. Were
    # the openings "none can be learned" (None), the second would make the stream wait one
    # chunk (see _Core._learn), and the first fragment would not be learned from. They are
    # "not now": the first fragment is learned from and the two after it match.
    def opening(i: int) -> str:
        return tool_chunk(
            {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": "f"}}
        )

    def fragment(s: str) -> str:
        return tool_chunk({"index": 1, "function": {"arguments": s}})

    body = stream(opening(0), opening(1), fragment("{"), fragment("}"), fragment(" "))
    matched, count = count_matches(body)
    assert (matched, count) == (2, 8)  # open, Hi, two openings, three fragments, stop
    with fuzz.templates(False):
        off = chunkstream.assemble(body, strict=False)
    assert chunkstream.assemble(body, strict=False).to_dict() == off.to_dict()


@given(st.lists(st.sampled_from(sorted(ADVERSARIAL)), max_size=8), st.integers(0, 2**32 - 1))
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_templates_on_and_off_agree_on_mixed_adversarial_streams(
    names: list[str], seed: int
) -> None:
    rng = random.Random(seed)
    texts = []
    for name in names:
        texts.append(ADVERSARIAL[name])
        texts.extend(content(rng.choice(["a", "", r"\"", "é"])) for _ in range(rng.randint(0, 2)))
    body = stream(*texts, done=rng.random() < 0.7)
    check_body(body, rng, tiny=(rng.choice((1, 2, 3)),))


def test_the_back_off_asks_where_it_did_before_chunks_were_counted_without_a_call() -> None:
    # The logprobs stream plans nothing (a token in every chunk), so the back-off (the waits
    # after each plan that gave nothing, and the dry run of chunks that went the full way,
    # asked only at powers of two) decides when a plan is asked. _take counts a dry run's
    # chunks before its next power of two without calling _learn (the benchmark's logprobs
    # row paid 1% for those calls). The chunks asked, whatever the reads: [1, 2, 4, 8, 1025],
    # as computed by the code before the count existed (git e85b8a9, which called _learn for
    # every chunk). A skip one chunk too long never asks at 1025.
    from benchmarks.streams import make_stream

    body = make_stream("logprobs", 2100)
    for size in (len(body), 997, 4093):
        with fuzz.templates(True):
            asm = chunkstream.Assembler(strict=False)
        consumer: Any = asm._core.consumer
        plan = consumer._plan
        asked: list[int] = []

        def spy(obj: Any, plan: Any = plan, asm: Any = asm, asked: list[int] = asked) -> Any:
            asked.append(asm._core.count - 1)
            return plan(obj)

        consumer._plan = spy
        for i in range(0, len(body), size):
            asm.feed(body[i : i + size])
        assert asked == [1, 2, 4, 8, 1025], size
        with fuzz.templates(False):
            off = chunkstream.assemble(body)
        assert asm.close().to_dict() == off.to_dict()


# -- runs: the matches of one template in a row, taken at once ------------------------------------
#
# After a template matched two events in a row, the core hands the events after them to
# Template.run, and the Accumulator takes the run at once (Accumulator._runs: each hole's texts
# appended together, the chunk counted and located once, for the last). Here that is held equal
# to taking each match in turn (runs off: Accumulator._runs gives None), and to the full path.


@contextlib.contextmanager
def runs(on: bool) -> Iterator[None]:
    """Whether the accumulators of the streams started inside take a run of matches at once."""
    saved = _accumulate.Accumulator._runs
    if not on:
        _accumulate.Accumulator._runs = lambda self, whole, sinks: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        _accumulate.Accumulator._runs = saved  # type: ignore[method-assign]


def snapshots(reads: list[bytes], strict: bool) -> Any:
    """``live``, and what the Assembler's Accumulator counted and where it says the last chunk
    merged was (``chunks``, an API of Accumulator; the chunk number and offset its messages at
    close are located at)."""
    got, asm = fed(reads, strict)
    acc = asm._acc
    return (*got, acc.chunks, acc._n, acc._off, acc._next)


def three_ways(run: Any, reads: list[bytes], strict: bool) -> None:
    with runs(True):
        on, off = both_ways(run, reads, strict)
    with runs(False):
        each = run(reads, strict)
    assert on == each, (strict, len(reads))
    assert on == off, (strict, len(reads))


def check_runs(body: bytes, rng: random.Random) -> None:
    """Runs on, runs off and the full path agree, whole and in reads of several events."""
    sizes = (len(body), 2048, 700, rng.randint(100, 4000))
    for strict in (True, False):
        for size in sizes:
            reads = reads_of(body, size)
            three_ways(assembled, reads, strict)
            three_ways(snapshots, reads, strict)


def run_count(
    body: bytes, size: int | None = None, reads: list[bytes] | None = None
) -> tuple[int, int]:
    """(chunks taken in runs, chunks) for an Assembler fed ``body`` in reads of ``size`` bytes
    (whole by default), or fed ``reads``."""
    taken = 0
    runs_of = _accumulate.Accumulator._runs

    def spy(self: Any, whole: Any, sinks: Any) -> Any:
        take = runs_of(self, whole, sinks)
        if take is None:
            return None

        def counted(run: list[Any], *rest: Any) -> None:
            nonlocal taken
            taken += len(run)
            take(run, *rest)

        return counted

    _accumulate.Accumulator._runs = spy  # type: ignore[method-assign]
    try:
        with fuzz.templates(True):
            asm = chunkstream.Assembler(strict=False)
        for read in reads if reads is not None else reads_of(body, size or len(body)):
            asm.feed(read)
        asm.close()
    finally:
        _accumulate.Accumulator._runs = runs_of  # type: ignore[method-assign]
    return taken, asm._core.count


@pytest.mark.parametrize("kind", ["text", "tools", "n4", "logprobs"])
def test_a_run_is_taken_as_each_of_its_matches_would_be(kind: str) -> None:
    from benchmarks.streams import make_stream

    # A logprobs chunk repeats nothing (a new token and alternatives each time), so it holds
    # no run; 60 of them show that, where 300 made this test the suite's slowest (a snapshot
    # per read builds all the logprobs so far).
    check_runs(make_stream(kind, 60 if kind == "logprobs" else 300), random.Random(kind))


def test_runs_take_most_of_an_everyday_stream_read_whole() -> None:
    # Guard that the tests around compare something: a stream of tokens read whole is taken
    # in runs but for the first chunks; read event by event, a read holds no run.
    from benchmarks.streams import make_stream

    body = make_stream("text", 400)
    taken, count = run_count(body, len(body))
    assert taken > count * 0.9, (taken, count)
    taken, _ = run_count(body, 2048)  # 8 events or so a read: the first two of each match alone
    assert count * 0.5 < taken < count * 0.9, (taken, count)
    assert run_count(body, reads=events_of(body)) == (0, count)  # one event a read: no run
    assert run_count(b"".join(events_of(body)[:3]), 10**6)[0] == 0  # two matches: no run yet


def test_a_run_stops_at_the_first_event_its_template_does_not_match() -> None:
    # Each odd event in the middle of a long run: the run stops before it, the event goes the
    # way it would (another template, the full path, an error), and the run after it starts
    # again. Whole and split, strict and lenient, with snapshots.
    tokens = [content(t) for t in ("a", "b", "c", "d", "e")]
    for name, odd in sorted(ADVERSARIAL.items()):
        body = stream(*tokens, odd, *tokens, odd, *tokens)
        check_runs(body, random.Random(name))


def test_a_run_stops_at_an_event_of_another_type_a_comment_does_not_stop_it() -> None:
    tokens = "".join(f"data: {content(t)}\n\n" for t in "abcdef")
    ping = "event: ping\ndata: {}\n\n"
    comment = ": keep-alive\n\n"
    for middle in (ping, comment, "data: [DONE]\n\n"):
        text = f"data: {compact(OPEN)}\n\n{tokens}{middle}{tokens}data: {compact(STOP)}\n\n"
        body = text.encode()
        check_runs(body, random.Random(middle))


def test_an_error_after_a_run_is_located_at_its_own_chunk() -> None:
    # Strict: a chunk that breaks the stream right after a run is told with its own chunk
    # number and offset, and the partial completion holds every text of the run before it.
    tokens = [content(t) for t in "abcdef"]
    body = stream(*tokens, compact(chunk({"content": "x"}, id="chatcmpl-other")))
    with fuzz.templates(True), pytest.raises(chunkstream.InconsistentStreamError) as caught:
        chunkstream.assemble(body)
    exc = caught.value
    assert exc.chunk_index == 8  # the opening, Hi, six tokens: the ninth chunk
    assert exc.byte_offset == body.rindex(b"\n\n", 0, body.index(b"chatcmpl-other")) + 2
    assert exc.partial is not None
    assert exc.partial.choices[0].message.content == "Hiabcdef"
    three_ways(assembled, [body], strict=True)


def test_a_call_cut_after_a_run_is_told_where_the_last_chunk_was() -> None:
    # A stream that ends in the middle of a call's arguments (no finish, no [DONE]): lenient
    # keeps the call and warns that its arguments are not JSON, located at the last chunk
    # merged, which came in a run.
    from benchmarks.streams import make_stream

    events = events_of(make_stream("tools", 300))
    body = b"".join(events[:145])  # in the middle of a call's arguments
    last = body.rindex(b"\n\n", 0, len(body) - 2) + 2
    count = body.count(b"\n\n")
    for reads in ([body], reads_of(body, 2048)):
        with fuzz.templates(True):
            done = chunkstream.assemble(reads, strict=False)
        where = [
            (w.chunk_index, w.byte_offset) for w in done.warnings if w.kind == "invalid_arguments"
        ]
        assert where == [(count - 1, last)]
    assert run_count(body, len(body))[0] > count * 0.7  # a call's first chunk is no match
    check_runs(body, random.Random(2))


def test_a_run_across_windows_of_a_big_read_is_the_same() -> None:
    # A read over 16 KiB is taken window by window (_WINDOW): a run stops at a window's end and
    # the next window's starts again.
    tokens = [content(f"token {i} ") for i in range(2000)]
    body = stream(*tokens)
    assert len(body) > 4 * _stream._WINDOW
    taken, count = run_count(body, len(body))
    assert taken > count * 0.9
    check_runs(body, random.Random(1))


def test_a_plan_with_a_hole_that_is_not_an_append_is_taken_match_by_match() -> None:
    # A vendor string (the fallback's add) or a set-once field's new value (which may warn,
    # located at its chunk) is no run: each chunk is taken in turn.
    vendor = [compact(chunk({"content": t, "x_note": t})) for t in "abcdef"]
    new_ids = [compact(chunk({"content": t}, id=f"chatcmpl-{t}")) for t in "abcdef"]
    for texts in (vendor, new_ids):
        body = stream(*texts)
        assert run_count(body, len(body))[0] == 0
        check_runs(body, random.Random(0))


@given(
    st.lists(
        st.one_of(st.sampled_from(sorted(ADVERSARIAL)), st.integers(0, 8)),
        max_size=10,
    ),
    st.integers(0, 2**32 - 1),
)
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_runs_on_and_off_agree_on_mixed_streams(items: list[Any], seed: int) -> None:
    # Runs of everyday tokens (an integer: that many) between odd chunks, in reads of random
    # sizes.
    rng = random.Random(seed)
    texts = []
    for item in items:
        if type(item) is int:
            texts.extend(content(rng.choice(["a", "", r"\"", "é", "xyz"])) for _ in range(item))
        else:
            texts.append(ADVERSARIAL[item])
    body = stream(*texts, done=rng.random() < 0.7)
    cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), min(6, len(body) - 1))))
    for strict in (True, False):
        for reads in ([body], cuts, reads_of(body, rng.randint(50, 3000))):
            three_ways(assembled, reads, strict)
        three_ways(snapshots, cuts, strict)


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
def test_runs_on_and_off_agree_on_the_corpus() -> None:
    for path in RECORDED:
        body = path.read_bytes()
        rng = random.Random(path.name)
        for strict in (True, False):
            for reads in ([body], reads_of(body, rng.randint(500, 5000))):
                three_ways(assembled, reads, strict)
            three_ways(snapshots, reads_of(body, 2048), strict)


# -- a whole input in hand: learning only where it can pay -------------------------------------
#
# Given the whole body as one read (assemble() or iter_chunks() of bytes or str), the stream
# layer knows how many events follow each one of its last window, and learns a template only
# where at least PAYS_AFTER do (_Core.whole). Fed in reads, or as an iterable, it cannot know:
# it learns wherever a plan holds, as before.


def whole_body(texts: int) -> bytes:
    events = [compact(OPEN), *(compact(chunk({"content": f"w{i}"})) for i in range(texts))]
    events += [compact(STOP), "[DONE]"]
    return "".join(f"data: {e}\n\n" for e in events).encode()


def taken(source: Any, typed: bool = False) -> tuple[int, int, Any]:
    """(templates learned, chunks taken by a match, the result) of ``source`` read by
    assemble() (``typed``: by iter_chunks(), its chunks' dicts) with the default settings."""
    learned_count = 0
    real_learn = _stream.learn

    def counting(*args: Any) -> Any:
        nonlocal learned_count
        template = real_learn(*args)
        learned_count += template is not None
        return template

    matched: list[int] = []
    _stream.learn = counting  # type: ignore[assignment]
    try:
        if typed:
            it = chunkstream.iter_chunks(source, strict=False)
            decoder: Any = it.decoder
            same = decoder._take_same

            def spy(*args: Any) -> None:
                matched.append(1)
                same(*args)

            decoder._take_same = spy
            result: Any = [c.to_dict() for c in it]
        else:
            asm = chunkstream.Assembler(strict=False)
            fuzz.spy_matches(asm._core.consumer, matched.append)
            result = _stream._run(asm, source, False).to_dict()
    finally:
        _stream.learn = real_learn  # type: ignore[assignment]
    return learned_count, len(matched), result


@pytest.mark.parametrize("typed", [False, True])
def test_a_whole_short_body_learns_no_template_its_reads_would(typed: bool) -> None:
    # Five texts: after the first of them (the first chunk a plan is asked of) come four texts,
    # the stop and [DONE]: 6 events, fewer than PAYS_AFTER (8).
    body = whole_body(5)
    assert _stream.PAYS_AFTER == 8
    learned_count, matched, whole = taken(body, typed)
    assert (learned_count, matched) == (0, 0)
    # The same bytes as an iterable of reads: the end is not known, a template is learned at
    # the first text and takes the other four.
    learned_count, matched, in_reads = taken([body], typed)
    assert (learned_count, matched) == (1, 4)
    assert whole == in_reads
    with fuzz.templates(False):
        assert taken(body, typed)[2] == whole


@pytest.mark.parametrize("typed", [False, True])
def test_a_whole_body_learns_where_enough_events_follow(typed: bool) -> None:
    # Seven texts: after the first come six texts, the stop and [DONE] (8): learned there, and
    # it takes the other six. As a str, the same.
    for source in (whole_body(7), whole_body(7).decode()):
        learned_count, matched, result = taken(source, typed)
        assert (learned_count, matched) == (1, 6)
        with fuzz.templates(False):
            assert taken(source, typed)[2] == result


def test_only_the_last_window_of_a_whole_body_is_known_to_end() -> None:
    # A body over several 16 KiB windows: a window that is not the last may be followed by any
    # number of events. Here the texts change to reasoning three events before the end of the
    # first window: the reasoning chunk is learned from there (its window is not the last), and
    # every reasoning chunk after it is taken by a match, the next window's too.
    def event(obj: Any) -> bytes:
        return f"data: {compact(obj)}\n\n".encode()

    body = event(OPEN)
    texts = 0
    starts = []
    while len(body) < _stream._WINDOW:
        starts.append(len(body))
        body += event(chunk({"content": f"w{texts}"}))
        texts += 1
    # The last event wholly in the first window; the reasoning starts two events before it.
    last = max(
        i
        for i, at in enumerate(starts)
        if at + len(event(chunk({"content": "w"}))) <= _stream._WINDOW
    )
    body = body[: starts[last - 2]]
    reasoning = 600
    body += b"".join(event(chunk({"reasoning_content": f"r{i}"})) for i in range(reasoning))
    body += event(STOP) + b"data: [DONE]\n\n"
    assert len(body) > 2 * _stream._WINDOW
    learned_count, matched, result = taken(body)
    assert learned_count == 2
    assert matched == (last - 2 - 1) + (reasoning - 1)  # all but each kind's first
    with fuzz.templates(False):
        assert taken(body)[2] == result
