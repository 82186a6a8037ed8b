"""``snapshot()`` keeps the captured state of each choice and tool call (and of the top level)
from one snapshot to the next while it does not change, and holds the choices and a message's
tool calls as that state, made into objects when first read. Here that is compared with
snapshots captured anew every time (``Accumulator._reuse`` off, ``fuzz.snapshot_cache``): the
same ``to_dict()`` and warnings after every read, on every fixture and corpus stream
(``CHUNKSTREAM_CORPUS``), strict and lenient, in reads of 1, 2 and 3 bytes, at random cuts and
one event per read; typed chunks fed to an ``Accumulator``; legacy Completions streams. Every
other snapshot is read only at the end (``fuzz.run_snapshots``): what it holds is the state at
the time it was taken. Then what the contract says one case at a time: nothing is shared
between snapshots or with the final completion, a slot is filled once, and the lazy fields
behave as the eager ones for ``==``, ``repr``, pickle, copy and ``dataclasses``.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random
from pathlib import Path
from typing import Any

import fuzz
import pytest
from helpers import chunk, reads_of, sse

import chunkstream
from chunkstream import (
    Accumulator,
    Assembler,
    ChatCompletion,
    ChatCompletionChunk,
    ChunkDecoder,
    CompletionAssembler,
    Message,
)
from chunkstream._accumulate import CompletionAccumulator
from chunkstream._models import Pending

ROOT = fuzz.ROOT
FIXTURES = sorted(fuzz.FIXTURES.glob("*.sse"))
LEGACY = sorted((fuzz.FIXTURES / "legacy").glob("*.sse"))
RECORDED = sorted(fuzz.CORPUS.glob("*/*.sse")) if fuzz.CORPUS.is_dir() else []


# -- the differential --------------------------------------------------------------------------


def events_of(body: bytes) -> list[bytes]:
    """The body cut after each blank line (one event per read, as live clients deliver)."""
    return fuzz.cut(body, [i + 2 for i in range(len(body)) if body.startswith(b"\n\n", i)])


def both(reads: list[bytes], strict: bool, assembler: Any) -> None:
    with fuzz.snapshot_cache(False):
        cold = fuzz.run_snapshots(reads, strict, {}, assembler)
    with fuzz.snapshot_cache(True):
        kept = fuzz.run_snapshots(reads, strict, {}, assembler)
    assert fuzz.same(kept, cold), (strict, len(reads))


def check_body(body: bytes, assembler: Any, tiny: tuple[int, ...]) -> None:
    rng = random.Random(body)
    points = sorted(rng.sample(range(1, len(body)), min(40, max(0, len(body) - 1))))
    for strict in (True, False):
        for reads in (events_of(body), fuzz.cut(body, points), *(reads_of(body, n) for n in tiny)):
            both(reads, strict, assembler)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_snapshots_kept_and_captured_anew_agree_on_the_fixtures(path: Path) -> None:
    check_body(path.read_bytes(), Assembler, (1, 2, 3))


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.name)
def test_snapshots_kept_and_captured_anew_agree_on_legacy_streams(path: Path) -> None:
    check_body(path.read_bytes(), CompletionAssembler, (1, 2, 3))


@pytest.mark.slow
@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_snapshots_kept_and_captured_anew_agree_on_the_corpus(path: Path) -> None:
    body = path.read_bytes()
    # Reads of 1 and 2 bytes of the larger recorded streams would take minutes: their first
    # 8 kB (a few dozen chunks, tool calls opened) are read so, the whole in 3-byte reads.
    check_body(body, Assembler, (3,))
    head = body[:8192]
    for strict in (True, False):
        for n in (1, 2):
            both(reads_of(head, n), strict, Assembler)


def typed_snapshots(body: bytes, strict: bool) -> list[Any]:
    """ChunkDecoder's typed chunks fed to an Accumulator (``feed``), a snapshot after each,
    every other read at the end."""
    decoder = ChunkDecoder(strict=False)
    acc = Accumulator(strict=strict)
    taken: list[tuple[Any, Any]] = []
    try:
        for read in events_of(body):
            for c in decoder.feed(read):
                acc.feed(c)
                snap = acc.snapshot()
                taken.append((snap, fuzz.snapshot_view(snap) if len(taken) % 2 else None))
        end = fuzz.completion_view(acc.close())
    except chunkstream.ChunkstreamError as exc:
        end = fuzz.error_view(exc)
    views = []
    for snap, early in taken:
        view = fuzz.snapshot_view(snap)
        assert early is None or fuzz.same(view, early)
        views.append(view)
    return [views, end]


@pytest.mark.parametrize("path", FIXTURES + RECORDED[::4], ids=lambda p: p.name)
def test_typed_chunks_fed_to_an_accumulator_give_the_same_snapshots(path: Path) -> None:
    body = path.read_bytes()
    for strict in (True, False):
        with fuzz.snapshot_cache(False):
            cold = typed_snapshots(body, strict)
        with fuzz.snapshot_cache(True):
            kept = typed_snapshots(body, strict)
        assert fuzz.same(kept, cold), strict


def test_the_differential_catches_a_template_path_that_keeps_a_stale_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The template path's merge without its invalidation: snapshots reuse a choice's state
    # that a chunk changed. The comparison must see it.
    body = (ROOT / "fixtures" / "openai-n2-interleaved.sse").read_bytes()
    original = chunkstream._accumulate.Accumulator._take_same

    def forgetful(self: Any, whole: Any, *rest: Any) -> None:
        original(self, None, *rest)

    monkeypatch.setattr(chunkstream._accumulate.Accumulator, "_take_same", forgetful)
    with pytest.raises(AssertionError):
        both(events_of(body), False, Assembler)


def test_the_differential_catches_a_fast_taker_that_keeps_a_stale_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Taken by _take (templates off), then snapshots reuse a tool call's stale state unless
    # _take forgets it: here a spy puts the kept state back after each chunk it took.
    body = (ROOT / "fixtures" / "openai-parallel-tool-calls.sse").read_bytes()
    cls = chunkstream._accumulate.Accumulator
    original = cls._take

    def stale(self: Any, *args: Any) -> bool:
        kept = [(t, t.snap) for st in self._choices.values() for t in st.message.tool_list]
        taken = original(self, *args)
        if taken:
            for t, snap in kept:
                t.snap = snap
        return taken

    monkeypatch.setattr(cls, "_take", stale)
    with fuzz.templates(False), pytest.raises(AssertionError):
        both(events_of(body), False, Assembler)


def vendor_strings_body() -> bytes:
    """Text, tool-call arguments and vendor strings (a delta's, a choice's, a function's) that
    change in every chunk: holes that append a text and holes the fallback takes."""

    def event(i: int) -> dict[str, Any]:
        call: dict[str, Any] = {"index": 0, "function": {"arguments": f"{i}", "x_f": f"f{i}"}}
        if i == 0:
            call.update(id="call_0", type="function")
        return chunk({"content": f"a{i}", "x_d": f"d{i}", "tool_calls": [call]}, x_t=f"t{i}") | {
            "choices": [{"index": 0, "delta": {"content": f"a{i}", "x_d": f"d{i}",
                                               "tool_calls": [call]}, "x_c": f"c{i}"}]}  # fmt: skip

    return sse(*(event(i) for i in range(8)))


def test_the_differential_catches_vendor_holes_taken_for_appended_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A plan that says every hole appends a text (grew) when the fallback takes some: the kept
    # states are brought up to date for their texts only, and miss the vendor strings.
    body = vendor_strings_body()
    for strict in (True, False):
        both(events_of(body), strict, Assembler)
    cls = chunkstream._accumulate.Accumulator
    original = cls._plan

    def says_grew(self: Any, obj: dict[str, Any]) -> Any:
        plan = original(self, obj)
        if plan is None or plan[2] is None:
            return plan
        holes, quiet, (first, second, rest, _) = plan
        return holes, quiet, (first, second, rest, True)

    monkeypatch.setattr(cls, "_plan", says_grew)
    with pytest.raises(AssertionError):
        both(events_of(body), False, Assembler)


def test_a_top_level_vendor_string_beside_appended_texts_reaches_each_snapshot() -> None:
    # The choice's holes all append texts, but the top level's vendor string is the
    # fallback's: the top level's kept state must be forgotten, not taken for grown.
    body = sse(*(chunk({"content": f"a{i}"}, x_t=f"t{i}", usage=None) for i in range(8)))
    for strict in (True, False):
        both(events_of(body), strict, Assembler)
    asm = Assembler()
    seen = []
    for read in events_of(body):
        asm.feed(read)
        seen.append(asm.snapshot())
    assert [s.extra.get("x_t") for s in seen[:8]] == [f"t{i}" for i in range(8)]


def test_texts_that_only_grew_are_counted_anew_not_captured_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Content and a tool call's arguments, one event per read, a snapshot after each: past the
    # first chunks the template path takes them all, and the kept states of the choice and the
    # call are brought up to date (regrow) instead of captured again.
    def event(i: int) -> dict[str, Any]:
        call: dict[str, Any] = {"index": 0, "function": {"arguments": f"{i}"}}
        if i == 0:
            call.update(id="call_0", type="function")
        return chunk({"content": f"a{i}", "tool_calls": [call]})

    body = sse(*(event(i) for i in range(20)))
    Fields = chunkstream._accumulate._Fields
    calls = {"capture": 0, "regrow": 0}
    for name in calls:
        original = getattr(Fields, name)

        def spy(self: Any, *args: Any, _name: str = name, _original: Any = original) -> Any:
            calls[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(Fields, name, spy)
    asm = Assembler()
    reads = events_of(body)
    for read in reads[:5]:
        asm.feed(read)
        asm.snapshot()
    calls.update(capture=0, regrow=0)
    snaps = []
    for read in reads[5:]:
        asm.feed(read)
        snaps.append(asm.snapshot())
    # choice, message, tool call, function: each brought up to date once per chunk ([DONE]
    # changes nothing).
    assert reads[-1] == b"data: [DONE]\n\n"
    assert calls == {"capture": 0, "regrow": 4 * (len(reads[5:]) - 1)}, calls
    for k, snap in enumerate(snaps[:-1], start=5):
        message = snap.choices[0].message
        assert message.content == "".join(f"a{i}" for i in range(k + 1))
        assert message.tool_calls[0].function.arguments == "".join(map(str, range(k + 1)))


# -- the contract, case by case ----------------------------------------------------------------


def feed_all(acc: Accumulator, *objs: dict[str, Any]) -> None:
    for obj in objs:
        acc.feed(ChatCompletionChunk.from_dict(obj))


def call(index: int, args: str, **more: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": args}, **more}]}


def test_tool_calls_that_gain_fragments_are_seen_as_they_were_by_each_snapshot() -> None:
    acc = Accumulator()
    feed_all(acc, chunk(call(0, '{"a":', id="c0", type="function")))
    first = acc.snapshot()
    feed_all(acc, chunk(call(0, " 1}")), chunk(call(1, "{}", id="c1", type="function")))
    second = acc.snapshot()
    feed_all(acc, chunk({}, "tool_calls"))
    final = acc.close()
    assert [t.function.arguments for t in first.choices[0].message.tool_calls] == ['{"a":']
    assert [(t.id, t.function.arguments) for t in second.choices[0].message.tool_calls] == [
        ("c0", '{"a": 1}'),
        ("c1", "{}"),
    ]
    assert second.choices[0].finish_reason is None
    assert final.choices[0].finish_reason == "tool_calls"


def test_nothing_a_reader_changes_in_one_snapshot_reaches_another_or_the_final() -> None:
    acc = Accumulator()
    parts = [{"type": "text", "text": "a"}]
    feed_all(
        acc,
        chunk({"content": parts, "v": {"k": 1}}, meta={"m": 1}, usage={"prompt_tokens": 1, "q": 2}),
        chunk({**call(0, "{}", id="c0", x={"t": 1})}),
    )
    first = acc.snapshot()
    second = acc.snapshot()  # nothing changed in between: built from the same kept states
    c = first.choices[0]
    c.extra["new"] = 1
    c.message.extra["v"]["k"] = 99
    c.message.content_parts[0]["text"] = "changed"
    c.message.tool_calls[0].extra["x"]["t"] = 99
    c.message.tool_calls[0].function.extra["f"] = 1
    first.extra["meta"]["m"] = 99
    first.usage.extra["q"] = 99
    for other in (second, acc.snapshot(), acc.close()):
        o = other.choices[0]
        assert o.extra == {}
        assert o.message.extra == {"v": {"k": 1}}
        assert o.message.content_parts == ({"type": "text", "text": "a"},)
        assert o.message.tool_calls[0].extra == {"x": {"t": 1}}
        assert o.message.tool_calls[0].function.extra == {}
        assert other.extra == {"meta": {"m": 1}}
        assert other.usage.extra == {"q": 2}
    # Two snapshots never hold the same model object; one snapshot's slot is filled once.
    assert second.choices[0] is not first.choices[0]
    assert second.choices is second.choices
    assert second.choices[0].message.tool_calls is second.choices[0].message.tool_calls
    assert second.usage is second.usage and second.usage is not first.usage


def test_n_interleaved_choices_and_a_choice_opened_late() -> None:
    acc = Accumulator()
    feed_all(acc, chunk({"content": "a"}, index=1))
    first = acc.snapshot()
    feed_all(acc, chunk({"content": "b"}, index=0), chunk({"content": "c"}, index=1))
    second = acc.snapshot()
    feed_all(acc, chunk({"content": "d"}, index=2), chunk({}, "stop", index=0))
    third = acc.snapshot()
    assert [(c.index, c.message.content) for c in first.choices] == [(1, "a")]
    assert [(c.index, c.message.content) for c in second.choices] == [(0, "b"), (1, "ac")]
    assert [(c.index, c.message.content, c.finish_reason) for c in third.choices] == [
        (0, "b", "stop"),
        (1, "ac", None),
        (2, "d", None),
    ]


def test_a_lenient_repair_a_warning_and_an_upstream_error_reach_the_next_snapshot() -> None:
    acc = Accumulator(strict=False)
    feed_all(acc, chunk({"content": "a"}, "length"))
    first = acc.snapshot()
    feed_all(acc, chunk({}, "stop"))  # lenient: the last finish_reason wins, with a warning
    second = acc.snapshot()
    feed_all(acc, chunk({}, error={"message": "boom"}))
    third = acc.snapshot()
    assert first.choices[0].finish_reason == "length" and first.warnings == ()
    assert second.choices[0].finish_reason == "stop"
    assert [w.kind for w in second.warnings] == ["inconsistent"]
    assert second.error is None
    assert third.error == {"message": "boom"}
    assert [w.kind for w in third.warnings] == ["inconsistent", "upstream_error"]


def test_usage_and_vendor_keys_at_each_level_reach_the_next_snapshot() -> None:
    acc = Accumulator()
    feed_all(acc, chunk({"content": "a"}))
    first = acc.snapshot()
    opening = chunk({**call(0, "{}", id="c0", t=1), "d": 1}, c=1)
    opening["choices"][0]["cv"] = 1  # a choice-level vendor key
    feed_all(acc, opening)
    second = acc.snapshot()
    fragment = {"tool_calls": [{"index": 0, "t2": 2, "function": {"arguments": "", "fx": 3}}]}
    feed_all(acc, chunk(fragment), chunk({}, usage={"total_tokens": 3}))
    third = acc.snapshot()
    assert first.extra == {} and first.usage is None
    assert first.choices[0].extra == {} and first.choices[0].message.tool_calls is None
    assert second.extra == {"c": 1}
    assert second.choices[0].extra == {"cv": 1}
    assert second.choices[0].message.extra == {"d": 1}
    assert second.choices[0].message.tool_calls[0].extra == {"t": 1}
    assert second.choices[0].message.tool_calls[0].function.extra == {}
    assert second.usage is None
    assert third.choices[0].message.tool_calls[0].extra == {"t": 1, "t2": 2}
    assert third.choices[0].message.tool_calls[0].function.extra == {"fx": 3}
    assert third.usage is not None and third.usage.total_tokens == 3


def test_legacy_completions_accumulated_with_snapshots() -> None:
    acc = CompletionAccumulator()

    def legacy(text: str, index: int = 0, **top: Any) -> dict[str, Any]:
        choice = {"index": index, "text": text, "finish_reason": None}
        return {"id": "c", "object": "text_completion", "created": 1, "model": "m",
                "choices": [choice], **top}  # fmt: skip

    for obj in (legacy("a"), legacy("x", 1)):
        acc.feed(chunkstream.CompletionChunk.from_dict(obj))
    first = acc.snapshot()
    acc.feed(chunkstream.CompletionChunk.from_dict(legacy("b", meta=1)))
    second = acc.snapshot()
    assert [c.text for c in first.choices] == ["a", "x"] and first.extra == {}
    assert [c.text for c in second.choices] == ["ab", "x"] and second.extra == {"meta": 1}
    assert chunkstream.assemble_completion(sse(legacy("a"), legacy("b"))).choices[0].text == "ab"


def test_an_assembler_snapshot_reads_like_the_eager_final_build() -> None:
    # At the end of a stream whose calls' arguments are valid JSON, close() adds no warning:
    # a snapshot then holds what the (eager) final completion holds, however it is read.
    body = (ROOT / "fixtures" / "openai-parallel-tool-calls.sse").read_bytes()

    def snapshot() -> ChatCompletion:
        asm = Assembler()
        asm.feed(body)
        return asm.snapshot()

    asm = Assembler()
    asm.feed(body)
    final = asm.close()
    assert final.choices[0].message.tool_calls  # the fixture has some
    raw = type(snapshot()).__dict__["choices"].slot
    assert type(raw.__get__(snapshot())) is Pending  # not built until read
    assert snapshot() == final
    assert repr(snapshot()) == repr(final)
    assert snapshot().to_dict() == final.to_dict()
    assert hash(snapshot()) == hash(final)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(snapshot(), protocol=protocol)) == final
    assert copy.copy(snapshot()) == final
    assert copy.deepcopy(snapshot()) == final
    assert dataclasses.replace(snapshot()) == final
    assert dataclasses.asdict(snapshot()) == dataclasses.asdict(final)
    assert dataclasses.astuple(snapshot()) == dataclasses.astuple(final)
    message = snapshot().choices[0].message
    assert type(type(message).__dict__["tool_calls"].slot.__get__(message)) is Pending
    assert message.tool_calls == final.choices[0].message.tool_calls


def test_a_pending_tool_calls_slot_behaves_as_the_built_tuple() -> None:
    calls = [chunkstream.ToolCall(id="a"), chunkstream.ToolCall(id="b")]

    def fresh() -> Message:
        parts = list(calls)
        m = Message(tool_calls=Pending(parts, 1, tuple))
        parts.append(chunkstream.ToolCall(id="late"))
        return m

    assert fresh() == Message(tool_calls=(calls[0],))
    assert fresh().to_dict()["tool_calls"] == [calls[0].to_dict()]
    assert repr(fresh()) == repr(Message(tool_calls=(calls[0],)))
    assert pickle.loads(pickle.dumps(fresh())) == Message(tool_calls=(calls[0],))
    assert dataclasses.replace(fresh(), content="x").tool_calls == (calls[0],)


def test_a_template_reaching_three_choices_and_the_top_level_forgets_each_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def event(i: int) -> dict[str, Any]:
        third: dict[str, Any] = {"index": 0, "function": {"arguments": f"{i}"}}
        if i == 0:
            third.update(id="call_0", type="function")
        return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "note": f"n{i}",
                "choices": [{"index": 0, "delta": {"content": f"a{i}"}},
                            {"index": 1, "delta": {"content": f"b{i}"}},
                            {"index": 2, "delta": {"tool_calls": [third]}}]}  # fmt: skip

    body = sse(*(event(i) for i in range(6)))
    wholes: list[Any] = []
    original = chunkstream._accumulate.Accumulator._take_same

    def spy(self: Any, whole: Any, *rest: Any) -> None:
        wholes.append(whole)
        original(self, whole, *rest)

    monkeypatch.setattr(chunkstream._accumulate.Accumulator, "_take_same", spy)
    for strict in (True, False):
        both(events_of(body), strict, Assembler)
    # The template path took chunks whose plan reaches the top level, two choices and a tool
    # call: four states to forget, two of them past the first two. The third choice's only hole
    # is in its tool call, so its own state is kept (its build takes the call's new state).
    assert wholes and all(w is not None and len(w[2]) == 2 for w in wholes)
    for w in wholes:
        kinds = [type(x).__name__ for x in (w[0], w[1], *w[2])]
        assert sorted(kinds) == ["Accumulator", "_Choice", "_Choice", "_Tool"]
        assert [x.index for x in (w[0], w[1], *w[2]) if type(x).__name__ == "_Choice"] == [0, 1]
    asm = Assembler()
    asm.feed(body)
    snap = asm.snapshot()
    assert [c.message.content for c in snap.choices[:2]] == ["a0a1a2a3a4a5", "b0b1b2b3b4b5"]
    assert snap.choices[2].message.tool_calls[0].function.arguments == "012345"
    assert snap.extra == {"note": "n5"}
