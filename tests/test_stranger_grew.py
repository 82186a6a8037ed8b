"""A stranger's tries at the kept snapshot states that are brought up to date when only texts
grew (``_Fields.regrow``, ``_Kept.grew``), at the top-level set-once strings the template path
now hands to their rule (a new ``id``, ``model``, ``system_fingerprint``, ``service_tier`` in a
chunk), and at snapshots read while another thread feeds.

The oracle shares neither cache: the template path off (``fuzz.templates(False)``) and every
snapshot captured anew (``fuzz.snapshot_cache(False)``). Against it the library as shipped
(both on) is fed the same reads, a snapshot after each; every other snapshot is read at once
(and, in the "mutated" runs, then has every dict and list it reaches changed, its ``to_dict()``
too), the rest only after ``close()``. The views (``to_dict()`` and warnings) must be equal,
and so must the final completion or the error (type, message, location, ``partial``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from pathlib import Path
from typing import Any

import fuzz
import pytest
from helpers import compact, reads_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import Assembler, ChunkstreamError, CompletionAssembler

# About a minute (differentials over every split, the corpus twice): the README command runs it.
pytestmark = pytest.mark.slow

RECORDED = sorted(fuzz.CORPUS.glob("*/*.sse")) if fuzz.CORPUS.is_dir() else []


# -- the differential ----------------------------------------------------------------------------


def body_of(chunks: list[Any], done: bool = True) -> bytes:
    events = "".join(f"data: {c if type(c) is str else compact(c)}\n\n" for c in chunks)
    return (events + ("data: [DONE]\n\n" if done else "")).encode()


def events_of(body: bytes) -> list[bytes]:
    return fuzz.cut(body, [i + 2 for i in range(len(body)) if body.startswith(b"\n\n", i)])


def change_all(value: Any, seen: set[int]) -> None:
    """Change every dict and list ``value`` reaches (a snapshot's objects, its ``to_dict()``)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if type(value) is dict:
        for v in list(value.values()):
            change_all(v, seen)
        value["changed by a reader"] = True
    elif type(value) is list:
        for v in list(value):
            change_all(v, seen)
        value.append("changed by a reader")
    elif type(value) is tuple:
        for v in value:
            change_all(v, seen)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            change_all(getattr(value, f.name), seen)


def run(reads: list[bytes], strict: bool, mutate: bool, assembler: Any, **limits: Any) -> Any:
    asm = assembler(strict=strict, **limits)
    taken: list[tuple[Any, Any]] = []
    try:
        for i, read in enumerate(reads):
            asm.feed(read)
            snap = asm.snapshot()
            early = None
            if i % 2:
                early = fuzz.snapshot_view(snap)
                if mutate:
                    change_all(snap.to_dict(), set())
                    change_all(snap, set())
            taken.append((snap, early))
        end: Any = fuzz.completion_view(asm.close())
    except ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        end = [type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset, partial]
    views = []
    for snap, early in taken:
        if early is not None and mutate:
            views.append(early)  # changed by the reader: its view as it was read
            continue
        view = fuzz.snapshot_view(snap)
        assert early is None or fuzz.same(view, early), "a snapshot changed after it was read"
        views.append(view)
    return [views, end]


def agree(
    reads: list[bytes],
    strict: bool,
    mutate: bool = False,
    assembler: Any = Assembler,
    **limits: Any,
) -> None:
    with fuzz.templates(False), fuzz.snapshot_cache(False):
        oracle = run(reads, strict, False, assembler, **limits)
    with fuzz.templates(True), fuzz.snapshot_cache(True):
        shipped = run(reads, strict, mutate, assembler, **limits)
    assert fuzz.same(shipped, oracle), (strict, len(reads), mutate, limits)


def check(chunks: list[Any], assembler: Any = Assembler, **limits: Any) -> None:
    body = body_of(chunks)
    splits = [events_of(body), reads_of(body, 3)]
    if len(body) < 4000:
        splits.append(reads_of(body, 1))
    for strict in (True, False):
        for reads in splits:
            agree(reads, strict, False, assembler, **limits)
        agree(events_of(body), strict, True, assembler, **limits)


# -- streams -------------------------------------------------------------------------------------


def ck(
    delta: dict[str, Any] | None = None,
    *,
    index: int = 0,
    first: bool = True,
    choice: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A chunk with one choice; ``top`` replaces or adds top-level keys (a ``None`` value is
    sent as null); ``first`` puts ``id`` first in the text, else after the choices."""
    c = {"index": index, "delta": delta or {}, "finish_reason": None, **(choice or {})}
    obj: dict[str, Any] = {
        "id": "A",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "M",
        "choices": [c],
    }
    obj.update(top)
    if not first:
        obj = {**{k: v for k, v in obj.items() if k != "id"}, "id": obj["id"]}
    return obj


def call(i: int, args: str, opened: bool = True, **more: Any) -> dict[str, Any]:
    if not opened:
        return {
            "index": i,
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": f"f{i}", "arguments": args},
        }
    return {"index": i, "function": {"arguments": args, **more.pop("fn", {})}, **more}


def opened_calls(*indexes: int) -> dict[str, Any]:
    return ck({"role": "assistant", "tool_calls": [call(i, "", False) for i in indexes]})


def top_of(top: Any, i: int) -> dict[str, Any]:
    return top(i) if callable(top) else {}


TEXT = [ck({"role": "assistant", "content": ""})]


def texts(n: int, top: Any = None, first: bool = True) -> list[Any]:
    return TEXT + [ck({"content": f"t{i}"}, first=first, **top_of(top, i)) for i in range(n)]


STREAMS: dict[str, list[Any]] = {
    "new id in every chunk": texts(8, lambda i: {"id": f"id-{i}"}),
    "new id, after the choices": texts(8, lambda i: {"id": f"id-{i}"}, first=False),
    "id alternates": texts(8, lambda i: {"id": "AB"[i % 2]}),
    "id blank, null, back": texts(8, lambda i: {"id": ["A", "", None, "B", "A"][i % 5]}),
    "id and model both change": texts(8, lambda i: {"id": f"i{i}", "model": f"m{i}"}),
    "model changes, then back": texts(8, lambda i: {"model": ["M", "N", "M", "O"][i % 4]}),
    "id changes, model alternates": texts(
        8, lambda i: {"id": f"i{i}", "model": ["M", "M", "N"][i % 3]}
    ),
    "fingerprint in every chunk": [
        {
            **{k: v for k, v in c.items() if k != "choices"},
            "system_fingerprint": f"fp{i}",
            "choices": c["choices"],
        }
        for i, c in enumerate(texts(8))
    ],
    "service tier changes": [
        {
            **{k: v for k, v in c.items() if k != "choices"},
            "service_tier": ["auto", "flex", "", None][i % 4],
            "choices": c["choices"],
        }
        for i, c in enumerate(texts(8))
    ],
    "id unicode, escapes, long": texts(
        10, lambda i: {"id": ["A", "\u00e9", "\ud83d\ude00", '"\\', "x" * 200][i % 5]}
    ),
    "reasoning and content alternate": TEXT
    + [ck({"content": f"c{i}"} if i % 3 else {"reasoning_content": f"r{i}"}) for i in range(12)],
    "content, reasoning, refusal in one delta": TEXT
    + [ck({"content": f"c{i}", "reasoning": f"r{i}", "refusal": f"x{i}"}) for i in range(8)],
    "parallel tool calls": [opened_calls(0, 1)]
    + [ck({"tool_calls": [call(0, f"a{i}"), call(1, f"b{i}")]}) for i in range(8)],
    "tool calls one after another": [opened_calls(0)]
    + [ck({"tool_calls": [call(0, f"a{i}")]}) for i in range(4)]
    + [ck({"tool_calls": [call(1, "{", False)]})]
    + [ck({"tool_calls": [call(1, f"b{i}")]}) for i in range(4)]
    + [ck({"content": f"c{i}"}) for i in range(3)],
    "tool calls and content, new id each": [opened_calls(0)]
    + [ck({"content": f"c{i}", "tool_calls": [call(0, f"a{i}")]}, id=f"i{i}") for i in range(8)],
    "vendor strings beside appended texts": [opened_calls(0)]
    + [
        ck(
            {
                "content": f"c{i}",
                "x_d": f"d{i}",
                "tool_calls": [call(0, f"a{i}", fn={"x_f": f"f{i}"}, x_t=f"t{i}")],
            },
            choice={"x_c": f"c{i}"},
            x_top=f"t{i}",
        )
        for i in range(8)
    ],
    "legacy function_call": [
        ck({"role": "assistant", "function_call": {"name": "f", "arguments": ""}})
    ]
    + [ck({"function_call": {"arguments": f"a{i}"}}) for i in range(6)],
    "two choices interleaved": [
        {
            **ck(),
            "choices": [
                {"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                for i in (0, 1)
            ],
        }
    ]
    + [ck({"content": f"x{i}"}, index=i % 2) for i in range(8)]
    + [
        {
            **ck(),
            "choices": [
                {"index": 0, "delta": {"content": f"p{i}"}, "finish_reason": None},
                {"index": 1, "delta": {"reasoning_content": f"q{i}"}, "finish_reason": None},
            ],
        }
        for i in range(6)
    ],
    "content parts, then strings": [
        ck(
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "p"}],
                "x_nest": {"a": [1, {"b": 2}]},
            },
            x_top={"z": [1]},
        )
    ]
    + [ck({"content": f"t{i}"}) for i in range(4)]
    + [ck({"content": [{"type": "thinking", "thinking": "th"}]})]
    + [ck({"content": f"u{i}"}) for i in range(4)],
    "finished, then usage": [
        *texts(6),
        ck({}, choice={"finish_reason": "stop"}),
        {
            **ck(),
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        },
    ],
}


@pytest.mark.parametrize("name", list(STREAMS))
def test_kept_and_regrown_snapshots_match_the_oracle(name: str) -> None:
    check(STREAMS[name])


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_warnings_past_max_warnings_match_the_oracle(limit: int) -> None:
    # Every chunk warns (a new id and model; a new fingerprint: 'changed' in both modes).
    for name in (
        "new id in every chunk",
        "model changes, then back",
        "fingerprint in every chunk",
        "tool calls and content, new id each",
    ):
        check(STREAMS[name], max_warnings=limit)


def legacy(chunks: list[tuple[list[Any], dict[str, Any]]]) -> list[Any]:
    out = []
    for choices, top in chunks:
        obj = {"id": "A", "object": "text_completion", "created": 1, "model": "M"}
        out.append(
            {
                **obj,
                **top,
                "choices": [
                    {"text": t, "index": i, "logprobs": None, "finish_reason": f}
                    for i, t, f in choices
                ],
            }
        )
    return out


@pytest.mark.parametrize(
    "chunks",
    [
        legacy([([(0, f"t{i}", None)], {}) for i in range(8)]),
        legacy([([(0, f"t{i}", None)], {"id": f"i{i}"}) for i in range(8)]),
        legacy([([(0, f"t{i}", None)], {"model": f"m{i % 3}"}) for i in range(8)]),
        legacy([([(0, f"t{i}", None), (1, f"u{i}", None)], {}) for i in range(8)]),
        legacy([([(i % 2, f"t{i}", None)], {}) for i in range(8)]),
        legacy(
            [([(0, f"t{i}", None)], {}) for i in range(3)]
            + [([(0, "", "stop")], {})]
            + [([(0, f"late{i}", None)], {}) for i in range(4)]
        ),
    ],
    ids=["text", "new id", "model", "two choices", "interleaved", "text after finish"],
)
def test_legacy_streams_match_the_oracle(chunks: list[Any]) -> None:
    check(chunks, CompletionAssembler)


# -- generated streams ---------------------------------------------------------------------------

TEXT_VALUES = st.one_of(
    st.sampled_from(["a", "bc", "x y", "\u00e9"]),
    st.sampled_from(["", '"', "\\", "\n", "\ud800", '{"k":']),
)
TOP_VALUES = st.one_of(st.just("A"), st.sampled_from(["A", "B", "C", "", None]))


@st.composite
def shapes(draw: Any) -> Any:
    top = ["id", "object", "created", "model"]
    top += draw(
        st.lists(
            st.sampled_from(["system_fingerprint", "service_tier", "x_top"]),
            unique=True,
            max_size=2,
        )
    )
    top.insert(draw(st.integers(0, len(top))), "choices")
    choices = []
    for index in draw(st.permutations(list(range(draw(st.integers(1, 2)))))):
        keys = draw(
            st.lists(
                st.sampled_from(
                    [
                        "content",
                        "reasoning_content",
                        "refusal",
                        "tool_calls",
                        "x_d",
                        "function_call",
                    ]
                ),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        calls = draw(st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True))
        choices.append((index, keys, calls, draw(st.booleans())))
    return top, choices


@st.composite
def streams(draw: Any) -> list[Any]:
    kinds = [draw(shapes()) for _ in range(draw(st.integers(1, 2)))]
    opened: set[tuple[int, int]] = set()
    out = []
    for _ in range(draw(st.integers(2, 14))):
        top, choices = draw(st.sampled_from(kinds))
        obj: dict[str, Any] = {}
        for key in top:
            if key == "object":
                obj[key] = "chat.completion.chunk"
            elif key == "created":
                obj[key] = 1
            elif key == "x_top":
                obj[key] = draw(TEXT_VALUES)
            elif key != "choices":
                obj[key] = draw(TOP_VALUES)
            else:
                obj[key] = []
                for index, keys, calls, vendor in choices:
                    delta: dict[str, Any] = {}
                    for k in keys:
                        if k == "tool_calls":
                            delta[k] = []
                            for i in calls:
                                if (index, i) in opened:
                                    more = {"fn": {"x_f": draw(TEXT_VALUES)}} if vendor else {}
                                    delta[k].append(call(i, draw(TEXT_VALUES), **more))
                                else:
                                    opened.add((index, i))
                                    delta[k].append(call(i, draw(TEXT_VALUES), False))
                        elif k == "function_call":
                            delta[k] = {"arguments": draw(TEXT_VALUES)}
                        else:
                            delta[k] = draw(TEXT_VALUES)
                    c = {"index": index, "delta": delta, "finish_reason": None}
                    if vendor:
                        c["x_c"] = draw(TEXT_VALUES)
                    obj[key].append(c)
        out.append(obj)
    return out


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    streams(),
    st.booleans(),
    st.sampled_from(["events", "1", "3", "mutated"]),
    st.sampled_from([None, 0, 2]),
)
def test_generated_streams_match_the_oracle(
    chunks: list[Any], strict: bool, how: str, limit: int | None
) -> None:
    body = body_of(chunks)
    reads = events_of(body) if how in ("events", "mutated") else reads_of(body, int(how))
    limits = {} if limit is None else {"max_warnings": limit}
    agree(reads, strict, how == "mutated", **limits)


# -- the corpus, with the id (and model) of Groq's compound model ---------------------------------


def rewritten(body: bytes, top: Any) -> bytes:
    """Each chunk of ``body`` with ``top(n)``'s top-level values (n: its number)."""
    out, n = [], 0
    for block in body.split(b"\n\n"):
        if block.startswith(b"data: {"):
            try:
                obj = json.loads(block[6:])
            except ValueError:
                obj = None
            if type(obj) is dict:
                obj.update(top(n))
                n += 1
                block = b"data: " + compact(obj).encode()
        out.append(block)
    return b"\n\n".join(out)


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here (CHUNKSTREAM_CORPUS)")
@pytest.mark.parametrize(
    "top",
    [lambda n: {"id": f"gen-{n}"}, lambda n: {"model": f"m-{n % 3}"}],
    ids=["new id", "model of three"],
)
def test_corpus_streams_with_changing_top_level_strings_match_the_oracle(top: Any) -> None:
    for path in RECORDED:
        body = rewritten(path.read_bytes(), top)
        for strict in (True, False):
            agree(events_of(body), strict, mutate=not strict)


# -- abort() and errors ------------------------------------------------------------------------


def abort_at(reads: list[bytes], strict: bool, cut: int) -> Any:
    asm = Assembler(strict=strict)
    snaps = []
    try:
        for read in reads[:cut]:
            asm.feed(read)
            snaps.append(asm.snapshot())
        end: Any = fuzz.completion_view(asm.abort(ConnectionResetError("reset")))
    except ChunkstreamError as exc:  # strict: an inconsistency fed, or the abort
        partial = exc.partial.to_dict() if exc.partial is not None else None
        end = [type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset, partial]
    return [[fuzz.snapshot_view(s) for s in snaps], end, fuzz.snapshot_view(asm.snapshot())]


@pytest.mark.parametrize(
    "name", ["parallel tool calls", "new id in every chunk", "reasoning and content alternate"]
)
def test_abort_matches_the_oracle(name: str) -> None:
    body = body_of(STREAMS[name], done=False)
    for reads in (events_of(body), reads_of(body, 7), [body[:-1]]):
        for strict in (True, False):
            for cut in range(1, len(reads) + 1, max(1, len(reads) // 5)):
                with fuzz.templates(False), fuzz.snapshot_cache(False):
                    oracle = abort_at(reads, strict, cut)
                with fuzz.templates(True), fuzz.snapshot_cache(True):
                    shipped = abort_at(reads, strict, cut)
                assert fuzz.same(shipped, oracle), (strict, len(reads), cut)


def fed_on_after_errors(reads: list[bytes]) -> list[Any]:
    """Strict, every read fed whatever the one before raised, a snapshot after each."""
    asm = Assembler()
    out: list[Any] = []
    for read in reads:
        try:
            asm.feed(read)
            out.append(fuzz.snapshot_view(asm.snapshot()))
        except ChunkstreamError as exc:
            partial = exc.partial.to_dict() if exc.partial is not None else None
            out.append([type(exc).__name__, str(exc), exc.chunk_index, exc.byte_offset, partial])
            out.append(fuzz.snapshot_view(asm.snapshot()))
    return out


@pytest.mark.parametrize(
    "name", ["new id in every chunk", "id alternates", "model changes, then back"]
)
def test_feeding_on_after_a_strict_inconsistency_matches_the_oracle(name: str) -> None:
    body = body_of(STREAMS[name])
    for reads in (events_of(body), reads_of(body, 1), reads_of(body, 7)):
        with fuzz.templates(False), fuzz.snapshot_cache(False):
            oracle = fed_on_after_errors(reads)
        with fuzz.templates(True), fuzz.snapshot_cache(True):
            shipped = fed_on_after_errors(reads)
        assert fuzz.same(shipped, oracle)
        assert any(type(item[0]) is str and item[0] == "InconsistentStreamError" for item in oracle)


def test_a_new_id_in_every_chunk_warns_once_per_chunk_with_its_location() -> None:
    # Expected by hand: chunk 0 holds 'A'; chunks 1..8 each send another id (id-0 .. id-7).
    body = body_of(STREAMS["new id in every chunk"])
    c = chunkstream.assemble(body, strict=False)
    assert c.id == "A" and c.choices[0].message.content == "".join(f"t{i}" for i in range(8))
    assert [(w.kind, w.chunk_index) for w in c.warnings] == [
        ("inconsistent", n) for n in range(1, 9)
    ]
    starts = [i for i in range(len(body)) if body.startswith(b"data: ", i)]  # each event's
    assert [w.byte_offset for w in c.warnings] == starts[1:9]
    with pytest.raises(chunkstream.InconsistentStreamError, match=r"\.id, got str 'id-0'") as e:
        chunkstream.assemble(body)
    assert e.value.chunk_index == 1 and e.value.partial is not None
    assert e.value.partial.choices[0].message.content == ""  # chunk 0's "" only


# -- threads -------------------------------------------------------------------------------------


def read_while_fed(chunks: list[Any], cut: int, read: Any, where: str) -> tuple[Any, Any]:
    """The snapshot taken after the first ``cut`` events of ``chunks``, read (``read(snap)``)
    in a thread held once where CPython may switch threads (its first call of the library
    function ``where``) while this thread feeds the rest: what it read, and ``read`` of the
    final completion."""
    reads = events_of(body_of(chunks))
    asm = Assembler()
    for event in reads[:cut]:
        asm.feed(event)
    snap = asm.snapshot()
    at_call, fed = threading.Event(), threading.Event()

    def tracer(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_name == where and not at_call.is_set():
            at_call.set()
            fed.wait(2)

    got: list[Any] = []

    def reader() -> None:
        sys.settrace(tracer)  # this thread only
        try:
            got.append(read(snap))
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=reader)
    thread.start()
    at_call.wait(2)
    for event in reads[cut:]:
        asm.feed(event)
    fed.set()
    thread.join()
    return got[0], read(asm.close())


def test_a_snapshot_read_while_another_thread_feeds_shows_its_own_text() -> None:
    # The role, then t0 t1 t2 before the snapshot; t3 t4 t5 while it is read.
    got, final = read_while_fed(texts(6), 4, lambda c: c.choices[0].message.content, "_join")
    assert (got, final) == ("t0t1t2", "t0t1t2t3t4t5")


def test_a_snapshot_read_while_another_thread_feeds_holds_its_own_content_parts() -> None:
    parts = [{"type": "text", "text": f"p{i}"} for i in range(5)]
    chunks = [ck({"role": "assistant", "content": parts[:1]})]
    chunks += [ck({"content": [part]}) for part in parts[1:]]
    read = lambda c: c.choices[0].message.content_parts  # noqa: E731
    got, final = read_while_fed(chunks, 2, read, "_tuple")
    assert (got, final) == (tuple(parts[:2]), tuple(parts))


# -- the project's own checks --------------------------------------------------------------------


def test_the_package_passes_mypy_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typing_tests = pytest.importorskip("test_typing")  # its run_mypy: --strict, a cache here
    monkeypatch.chdir(fuzz.ROOT)
    assert typing_tests.run_mypy(tmp_path, fuzz.ROOT / "chunkstream") == []
