"""A stranger's attempts to break the template path's runs (``Template.run``, ``_Core._run``,
``Accumulator._runs``/``_take_run``) and learning by encoding (``_template._by_encoding``):
every stream here is read with runs on, runs off, the template path off, and learning by the
walk alone, and the results (completion, warnings, the error and where it is located,
snapshots, ``Accumulator.chunks``) must be the same."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import fuzz
import pytest
from helpers import CREATED, chunk, compact, reads_of
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_templates import (
    assembled,
    both_learned,
    run_count,
    runs,
    shape,
    snapshots,
    three_ways,
    walk_only,
)

import chunkstream
from chunkstream import _stream, _template
from chunkstream._template import learn

OPEN = chunk({"role": "assistant", "content": ""})
STOP = chunk({}, "stop")


def body_of(*objs: Any, done: bool = True) -> bytes:
    """An SSE body: the opening chunk, ``objs`` (a dict as compact JSON, a str as it is: one
    event's data each), the finish and [DONE]."""
    texts = [compact(OPEN), *(o if type(o) is str else compact(o) for o in objs), compact(STOP)]
    if done:
        texts.append("[DONE]")
    return "".join(f"data: {t}\n\n" for t in texts).encode("utf-8", "surrogatepass")


def with_choices(*choices: dict[str, Any]) -> dict[str, Any]:
    obj = chunk()
    obj["choices"] = list(choices)
    return obj


# -- two holes that append to one text -----------------------------------------------------------


def twice_in_one_chunk(i: int, calls: bool) -> dict[str, Any]:
    """A chunk that names one choice (or one tool call) twice, each time with a text: the
    merge appends both, in the order of the chunk."""
    if calls:
        call = [{"index": 0, "function": {"arguments": f"a{i}"}},
                {"index": 0, "function": {"arguments": f"b{i}"}}]  # fmt: skip
        return with_choices({"index": 0, "delta": {"tool_calls": call}})
    return with_choices(
        {"index": 0, "delta": {"content": f"a{i}"}}, {"index": 0, "delta": {"content": f"b{i}"}}
    )


def test_two_holes_that_append_to_one_text_keep_the_order_of_the_chunks() -> None:
    # A run takes each hole's texts at once; when two holes of one chunk append to the same
    # text (a choice or a tool call named twice in one chunk), the texts must still come in
    # the order of the chunks: a0 b0 a1 b1 ..., not a0 b0 a1 a2 ... b1 b2 ...
    expected = "".join(f"a{i}b{i}" for i in range(8))
    for calls in (False, True):
        first = chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                       "function": {"name": "f", "arguments": ""}}]})  # fmt: skip
        opening = [first] if calls else []
        body = body_of(*opening, *(twice_in_one_chunk(i, calls) for i in range(8)))
        with fuzz.templates(True):
            done = chunkstream.assemble([body], strict=False)
        message = done.choices[0].message
        if calls:
            assert message.tool_calls is not None
            assert message.tool_calls[0].function.arguments == expected
        else:
            assert message.content == expected
        for strict in (True, False):
            for size in (len(body), 700, 3):
                three_ways(assembled, reads_of(body, size), strict)
            three_ways(snapshots, reads_of(body, 600), strict)


# -- streams of everything, read every way -------------------------------------------------------


def outcome(
    reads: list[bytes], strict: bool, api: Any = chunkstream.assemble, **limits: Any
) -> Any:
    """What ``api`` (assemble, assemble_completion) gives: the completion and its warnings, or
    the error with where it is located and its partial completion."""
    try:
        c = api(reads, strict=strict, **limits)
    except chunkstream.ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        return ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset,
                exc.path, partial)  # fmt: skip
    return ("ok", c.to_dict(), [repr(w) for w in c.warnings])


def chunks_of(reads: list[bytes], strict: bool, **limits: Any) -> Any:
    """What ``iter_chunks`` yields, its warnings, and the error with where it is located."""
    it = chunkstream.iter_chunks(reads, strict=strict, **limits)
    got: list[Any] = []
    try:
        got.extend(c.to_dict() for c in it)
    except chunkstream.ChunkstreamError as exc:
        got.extend(c.to_dict() for c in exc.chunks)
        return ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset,
                exc.path, got)  # fmt: skip
    return ("ok", got, [repr(w) for w in it.warnings])


def four_ways(run: Any, reads: list[bytes], strict: bool, **limits: Any) -> Any:
    """``run`` with runs on (the default), runs off, learning by the walk alone, and the
    template path off: all four the same (``AssertionError`` says which differs)."""
    with runs(True), fuzz.templates(True):
        on = run(reads, strict, **limits)
    with runs(False), fuzz.templates(True):
        each = run(reads, strict, **limits)
    with walk_only(), fuzz.templates(True):
        walked = run(reads, strict, **limits)
    with fuzz.templates(False):
        off = run(reads, strict, **limits)
    assert on == each, ("runs off", strict, len(reads))
    assert on == walked, ("walk only", strict, len(reads))
    assert on == off, ("templates off", strict, len(reads))
    return on


def live(
    reads: list[bytes],
    strict: bool,
    cls: Any = chunkstream.Assembler,
    cut_at: int | None = None,
    **limits: Any,
) -> Any:
    """``cls`` (an ``Assembler``) fed read by read, after each what ``feed`` counted, whether
    [DONE] came, the warnings so far and a snapshot; the result (or the error, located, with its
    partial completion) and what its Accumulator counted. ``cut_at``: the connection drops
    (``abort``) after that many reads."""
    asm = cls(strict=strict, **limits)
    seen = []
    try:
        for read in reads[:cut_at]:
            n = asm.feed(read)
            seen.append((n, asm.done, [repr(w) for w in asm.warnings], asm.snapshot().to_dict()))
        c = asm.close() if cut_at is None else asm.abort(ConnectionResetError("dropped"))
    except chunkstream.ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        got = ("error", type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset, partial)
    else:
        got = ("ok", c.to_dict(), [repr(w) for w in c.warnings])
    return (*got, seen, asm._acc.chunks)


# Pieces of the strings at holes and in literals: unicode, escapes, lone surrogates, NULs and
# what looks like the marks learning by encoding puts at the holes (a NUL, "s" or "n", the
# hole's number, a NUL), and the JSON text of a mark.
PIECES = ["a", "xyz", " ", "é", "中", "😀", "\x00", "\x00s0\x00", "\x00n1\x00", "\x00s1\x00",
          "\\u0000", "\\u0000s0\\u0000", '"', "\\", "\n", "\t", "\ud83d", "\ude00", "[DONE]",
          "\u2028", "\x7f", "/", '","content":"', "data: x\n\n"]  # fmt: skip

texts = st.lists(st.sampled_from(PIECES), max_size=3).map("".join)

# How a chunk is written: compact with raw non-ASCII (most servers), compact with escapes,
# json.dumps' default spaces, and its keys in reverse order.
STYLES = ["compact", "ascii", "spaces", "reversed"]


def written(obj: Any, style: str) -> str:
    if style == "reversed":
        obj = {k: obj[k] for k in reversed(obj)}
    if style == "spaces":
        return json.dumps(obj, ensure_ascii=False)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=style == "ascii")


def call(k: int, args: str, opening: bool = False) -> dict[str, Any]:
    c: dict[str, Any] = {"index": k, "function": {"arguments": args}}
    if opening:
        c.update(id=f"call_{k}", type="function")
        c["function"]["name"] = "f"
    return chunk({"tool_calls": [c]})


def two_choices(i: int, a: str, j: int, b: str) -> dict[str, Any]:
    return with_choices(
        {"index": i, "delta": {"content": a}}, {"index": j, "delta": {"content": b}}
    )


def block(item: tuple[Any, ...], at: int = 0) -> str:
    """One SSE block of the kind ``item`` names, with its strings (``at``: a tool call's
    index)."""
    kind, a, b, style = item
    if kind == "content":
        return data(written(chunk({"content": a}), style))
    if kind == "both":
        return data(written(chunk({"reasoning_content": a, "content": b}), style))
    if kind == "twice":
        return data(written(two_choices(0, a, 0, b), style))
    if kind == "n2":
        return data(written(two_choices(0, a, 1, b), style))
    if kind == "open_call":  # the call at the index the stretch names (``at``)
        return data(written(call(at % 3, "", opening=True), style))
    if kind == "call":
        return data(written(call(at % 3, a), style))
    if kind == "id":  # Groq's compound model: a new id in every chunk
        return data(written(chunk({"content": a}, id=f"chatcmpl-{len(b)}"), style))
    if kind == "usage":  # counts so far in every chunk
        usage = {"prompt_tokens": 5, "completion_tokens": len(a), "total_tokens": 5 + len(b)}
        return data(written(chunk({"content": a}, usage=usage), style))
    if kind == "vendor":
        return data(written(chunk({"content": a}, x_note=b), style))
    if kind == "literal":  # a string that repeats in every chunk (a literal) holds b
        return data(written(chunk({"content": a}, system_fingerprint=b or "fp"), style))
    if kind == "created":  # moved forward (within the tolerance or not)
        return data(written(chunk({"content": a}, created=CREATED + 300 * len(b)), style))
    if kind == "nul_key":  # a vendor key that holds b (NULs, marks) beside its string a
        return data(written(chunk({"content": a}, **{f"x_{b}": a}), style))
    if kind == "bad_fields":  # an id with a NUL (ignored) and a retry that is no number
        return "id: a\x00b\nretry: soon\n" + data(written(chunk({"content": a}), style))
    if kind == "done":
        return "data: [DONE]\n\n"
    if kind == "error":
        return 'event: error\ndata: {"error":{"message":"boom"}}\n\n'
    if kind == "typed":  # a chunk's text in an event of another type (not read as a chunk)
        return "event: delta\n" + data(written(chunk({"content": a}), style))
    if kind == "ping":
        return "event: ping\ndata: {}\n\n"
    if kind == "comment":
        return ": keep-alive\n\n"
    if kind == "fields":  # an id, a retry and a comment inside the block of a chunk
        return "id: 7\nretry: 100\n: c\n" + data(written(chunk({"content": a}), style))
    if kind == "lines":  # the chunk's data over two lines (a newline where it was cut)
        text = written(chunk({"content": a}), style)
        cut = text.index(",") + 1
        return f"data: {text[:cut]}\ndata: {text[cut:]}\n\n"
    assert kind == "garbage"
    return "data: {\n\n"


def data(text: str) -> str:
    return f"data: {text}\n\n"


KINDS = ["content", "both", "twice", "n2", "open_call", "call", "id", "usage", "vendor",
         "literal", "created", "nul_key", "bad_fields", "done", "error", "typed", "ping", "comment",
         "fields", "lines", "garbage"]  # fmt: skip

items = st.tuples(st.sampled_from(KINDS), texts, texts, st.sampled_from(STYLES))
# An item repeated with other strings: runs of one shape, the strings changing.
# (the item, how many times, the strings each time takes in turn)
stretches = st.tuples(
    items, st.integers(1, 12), st.lists(st.tuples(texts, texts), min_size=1, max_size=3)
)


def body_from(parts: list[Any], end: str) -> bytes:
    """The opening, a first text, ``parts``, and the end: the finish and [DONE], the finish
    alone, or nothing (cut after the last part)."""
    blocks = [data(compact(OPEN)), data(compact(chunk({"content": "Hi"})))]
    for (kind, at, _, style), times, strings in parts:
        for i in range(times):
            a, b = strings[i % len(strings)]
            blocks.append(block((kind, a, b, style), len(at)))
    if end != "cut":
        blocks.append(data(compact(STOP)))
    if end == "done":
        blocks.append("data: [DONE]\n\n")
    return "".join(blocks).encode("utf-8", "surrogatepass")


@pytest.mark.slow  # long and version-independent: CI runs it once (.ci/run)
@given(
    st.lists(stretches, max_size=6),
    st.sampled_from(["done", "finish", "cut"]),
    st.sampled_from([{}, {"max_event_bytes": 120}, {"max_event_bytes": 300}, {"max_warnings": 1}]),
    st.sampled_from([{}, {"max_choices": 1}, {"max_tool_calls": 1}]),
    st.integers(0, 2**32 - 1),
)
@example([(("twice", "", "", "compact"), 8, [("a", "b")])], "done", {}, {}, 0)  # see the test above
@example(  # a run of a call's arguments, cut
    [
        (("open_call", "", "", "compact"), 1, [("", "")]),
        (("call", "", "", "ascii"), 9, [("x", "")]),
    ],
    "cut",
    {},
    {},
    0,
)
@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_runs_walk_encoding_and_the_full_path_agree_on_streams_of_everything(
    parts: list[Any], end: str, sse: dict[str, int], acc: dict[str, int], seed: int
) -> None:
    rng = random.Random(seed)
    body = body_from(parts, end)
    cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), min(8, len(body) - 1))))
    tiny = reads_of(body, rng.randint(1, 3))
    limits = {**sse, **acc}
    for strict in (True, False):
        for reads in ([body], cuts, reads_of(body, rng.randint(100, 3000))):
            four_ways(outcome, reads, strict, **limits)
        four_ways(live, cuts, strict, **limits)
        four_ways(live, cuts, strict, cut_at=rng.randint(0, len(cuts)), **limits)
        four_ways(chunks_of, [body], strict, **sse)
    four_ways(outcome, tiny, rng.random() < 0.5, **limits)


# -- learning by encoding, on any object and any paths -------------------------------------------

KEYS = st.one_of(st.text(max_size=3), st.sampled_from(["\x00s0\x00", "\x00n0\x00", "\\u0000", "a"]))
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8"), max_size=4),
    st.sampled_from(PIECES),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=10,
)


def paths_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in ``value``, of any value (not only strings and integers)."""
    out = [path] if path else []
    if type(value) is dict:
        out += [p for k, v in value.items() for p in paths_in(v, (*path, k))]
    elif type(value) is list:
        out += [p for i, v in enumerate(value) for p in paths_in(v, (*path, i))]
    return out


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with ``new`` at ``path``."""
    if not path:
        return new
    copy = value.copy()
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@given(
    st.dictionaries(KEYS, VALUES, min_size=1, max_size=4),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["compact", "ascii", "spaced", "a key twice"]),
)
@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_learning_by_encoding_takes_any_paths_as_the_walk_does(
    obj: dict[str, Any], seed: int, style: str
) -> None:
    # Paths to any value (objects, lists, floats, bools, null), paths that lead nowhere (a
    # missing key, a position past the end or negative, a key into a list, a position into an
    # object); keys that hold NULs and the marks' texts. No exception escapes, the encoding
    # learns what the walk learns, and a template learned matches its own text with the
    # values at its holes, and the same text with other values there as json.loads reads it.
    rng = random.Random(seed)
    text = written(obj, "ascii" if style == "ascii" else "spaces" if style == "spaced" else "")
    if style == "a key twice":
        first = next(iter(obj))
        text = "{" + json.dumps(first) + ":0," + text[1:]
    parsed = json.loads(text)
    paths = [*paths_in(parsed), ("nothere",), (0,), (next(iter(parsed)), -1), ("x", "y")]
    paths += [(*p, 0) for p in paths[:3]] + [(*p, "k") for p in paths[:3]]
    lists = [p for p in paths_in(parsed) if type(get_at(parsed, p)) is list]
    paths += [(*p, -1) for p in lists]
    chosen = rng.sample(paths, min(len(paths), rng.randint(1, 3)))
    holes = [(p, f"payload {i}") for i, p in enumerate(chosen)]
    on, off = both_learned(text, parsed, holes)
    assert on == off
    template = learn(text, parsed, holes)
    if template is None:
        return
    if style == "compact" and "\\u0000" not in text:
        # The encoding finds it alone: the walk is not asked.
        saved = _template._walk
        _template._walk = None  # type: ignore[assignment]
        try:
            assert shape(learn(text, parsed, holes)) == on
        finally:
            _template._walk = saved
    order = [int(payload.split()[1]) for payload in template.payloads]  # in text order
    values = [get_at(parsed, chosen[i]) for i in order]
    assert template.match(text) == values
    # Other values at the holes: what json.loads reads from the new text.
    new = [rng.choice(PIECES) if type(v) is str else v + 7 for v in values]
    other = parsed
    for i, v in zip(order, new, strict=True):
        other = replaced(other, chosen[i], v)
    other_text = written(other, "compact")
    if template.match(other_text) is not None:
        assert template.match(other_text) == new
        assert json.loads(other_text) == other


def get_at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def test_paths_that_lead_nowhere_learn_nothing_either_way() -> None:
    # A negative position would find a value in a Python list (the last one); JSON has no
    # such place: neither way learns a template there.
    # (With a mark's JSON text in a literal too: the encoding is not taken then.)
    for text in ('{"a":["x","y"],"b":{"0":"z"}}', '{"a":["x","y"],"b":{"0":"z"},"c":"\\u0000"}'):
        obj = json.loads(text)
        for path in [("a", -1), ("a", -2), ("a", "0"), ("b", 0), ("a", 2), ("c", 0), ("d",),
                     ("a",), ("b",)]:  # fmt: skip
            assert both_learned(text, obj, [(path, "p")]) == (None, None), path
        # The same places by their JSON paths: both ways learn them.
        for path, value in [(("a", 1), "y"), (("a", 0), "x"), (("b", "0"), "z")]:
            on, off = both_learned(text, obj, [(path, "p")])
            assert on == off
            assert on is not None
            template = learn(text, obj, [(path, "p")])
            assert template is not None
            assert template.match(text) == [value]


def test_a_stream_cut_in_a_run_of_arguments_is_told_at_the_runs_last_chunk() -> None:
    # The arguments of a call cut short (not JSON) are told at close, located at the last
    # chunk merged: the last of a run (its number and byte offset), whichever way it is read.
    parts = [(("open_call", "", "", "compact"), 1, [("", "")]),
             (("call", "", "", "compact"), 8, [('{"a', ""), ("", "")])]  # fmt: skip
    body = body_from(parts, "cut")
    last = body.rindex(b"data: ")  # the last event's block
    count = body.count(b"\n\n")  # the opening, "Hi", the call's opening, 8 pieces
    assert count == 11
    for reads in ([body], reads_of(body, 2), fuzz.cut(body, [last - 3, last + 5])):
        got = four_ways(outcome, reads, False)
        assert got[0] == "ok"
        where = [w for w in got[2] if "invalid_arguments" in w]
        assert len(where) == 1
        assert f"chunk_index={count - 1}, byte_offset={last}" in where[0]


# -- legacy Completions ----------------------------------------------------------------------------


def piece(text: str, index: int = 0, **top: Any) -> dict[str, Any]:
    """A ``text_completion`` chunk with one choice (``top`` replaces top-level keys)."""
    obj = chunk(**top)
    obj["object"] = "text_completion"
    obj["choices"] = [{"text": text, "index": index, "logprobs": None, "finish_reason": None}]
    return obj


LEGACY_KINDS = ["text", "twice", "n2", "id", "literal", "done", "error", "ping", "comment",
                "garbage"]  # fmt: skip


def legacy_block(kind: str, a: str, b: str, style: str) -> str:
    if kind == "twice":  # one choice named twice in a chunk
        obj = piece(a)
        obj["choices"].append(piece(b)["choices"][0])
        return data(written(obj, style))
    if kind == "n2":
        obj = piece(a)
        obj["choices"].append(piece(b, 1)["choices"][0])
        return data(written(obj, style))
    if kind == "id":
        return data(written(piece(a, id=f"cmpl-{len(b)}"), style))
    if kind == "literal":
        return data(written(piece(a, system_fingerprint=b or "fp"), style))
    if kind in ("done", "error", "ping", "comment", "garbage"):
        return block((kind, a, b, style))
    return data(written(piece(a), style))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(LEGACY_KINDS),
            st.sampled_from(STYLES),
            st.integers(1, 10),
            st.lists(st.tuples(texts, texts), min_size=1, max_size=3),
        ),
        max_size=5,
    ),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
@example([("twice", "compact", 8, [("a", "b")])], True, 0)  # a run of two holes on one text
@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
def test_legacy_streams_agree_every_way(parts: list[Any], finish: bool, seed: int) -> None:
    rng = random.Random(seed)
    blocks = [data(compact(piece(""))), data(compact(piece("Hi")))]
    for kind, style, times, strings in parts:
        for i in range(times):
            blocks.append(legacy_block(kind, *strings[i % len(strings)], style))
    if finish:
        stop = piece("")
        stop["choices"][0]["finish_reason"] = "stop"
        blocks += [data(compact(stop)), "data: [DONE]\n\n"]
    body = "".join(blocks).encode("utf-8", "surrogatepass")
    cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), min(6, len(body) - 1))))
    for strict in (True, False):
        for reads in ([body], cuts, reads_of(body, rng.randint(1, 3))):
            four_ways(outcome, reads, strict, api=chunkstream.assemble_completion)
        four_ways(live, cuts, strict, cls=chunkstream.CompletionAssembler)


# -- the shared corpus, cut and rewritten ---------------------------------------------------------

CORPUS = Path(
    os.environ.get("CHUNKSTREAM_CORPUS") or Path(__file__).parents[2] / "shared" / "corpus"
)
RECORDED = sorted(CORPUS.glob("*/*.sse")) if CORPUS.is_dir() else []


def rewritten(body: bytes, rng: random.Random) -> bytes:
    """``body`` with some events' JSON data written another way (escaped non-ASCII, spaces,
    keys reversed), in stretches: templates learned from one way meet the other mid-run."""
    out = []
    style = "compact"
    for line in body.split(b"\n"):
        if rng.random() < 0.1:
            style = rng.choice(STYLES)
        if line.startswith(b"data: {") and style != "compact":
            try:
                obj = json.loads(line[6:])
            except ValueError:
                out.append(line)
                continue
            if type(obj) is dict:
                line = b"data: " + written(obj, style).encode("utf-8", "surrogatepass")
        out.append(line)
    return b"\n".join(out)


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
def test_the_corpus_cut_and_rewritten_agrees_every_way() -> None:
    for path in RECORDED:
        rng = random.Random(path.name)
        for body in (path.read_bytes(), rewritten(path.read_bytes(), rng)):
            cuts = fuzz.cut(body, sorted(rng.sample(range(1, len(body)), min(16, len(body) - 1))))
            four_ways(outcome, [body], True)
            four_ways(outcome, cuts, False)
            four_ways(live, reads_of(body, rng.randint(200, 5000)), False)
            four_ways(chunks_of, cuts, False)


def test_runs_around_events_bigger_than_a_window_agree_every_way() -> None:
    # Events over 16 KiB (a read is taken window by window) between runs of small ones, and
    # runs of identical empty deltas (a template with no hole): read whole, in reads that cut
    # the big events, and with max_event_bytes just under and over the big event's size.
    big = "x" * (_stream._WINDOW + 100)
    texts = [chunk({"content": t}) for t in "abcdefgh"]
    empty = [chunk({}) for _ in range(6)]
    body = body_of(*texts, chunk({"content": big}), *texts, *empty, chunk({"content": big}),
                   *empty, *texts)  # fmt: skip
    size = len(compact(chunk({"content": big}))) + len("data: \n\n")
    rng = random.Random(7)
    for strict in (True, False):
        for limits in ({}, {"max_event_bytes": size - 1}, {"max_event_bytes": size}):
            for n in (len(body), 5000, 16 * 1024 - 3, rng.randint(1000, 40000)):
                four_ways(outcome, reads_of(body, n), strict, **limits)
            four_ways(live, reads_of(body, 7000), strict, **limits)
    assert run_count(body, len(body))[0] >= 20  # runs were taken (the three of texts at least)
    done = chunkstream.assemble(body)
    assert done.choices[0].message.content == "abcdefgh" + big + "abcdefgh" + big + "abcdefgh"
