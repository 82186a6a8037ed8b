"""A stranger's tries at ``snapshot()`` (lazy choices, tool calls and usage, kept states) and at
the typed chunks the template path rebuilds, against oracles that share no state with the code
under test's caches: for a snapshot, a fresh ``Assembler`` fed the same bytes up to that point
whose snapshot is read at once; for a typed chunk, its event's parse
(``ChatCompletionChunk.from_dict(json.loads(data))``). Snapshots are taken at every read and read
only at the end, in shuffled order, after other snapshots were read and had every dict and list
they reach changed; no dict or list may be reachable from two snapshots or from a snapshot and
the final completion.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import random
import sys
import threading
from typing import Any

import fuzz
import pytest
from helpers import chunk, data, sse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import (
    Accumulator,
    Assembler,
    ChatCompletionChunk,
    ChunkDecoder,
    ChunkstreamError,
    CompletionAssembler,
    iter_chunks,
)

# Version-independent and long: CI runs it under the README command only (.ci/run).
pytestmark = pytest.mark.slow


def examples(n: int) -> Any:
    """Hypothesis settings for ``n`` examples, each as slow as the oracle makes it."""
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- walking what a reader can reach -------------------------------------------------------------


def reachable(obj: Any) -> list[tuple[str, Any]]:
    """(path, container) for every dict and list reachable from ``obj`` through dataclass
    fields, dicts, lists and tuples (reading every lazy field)."""
    out: list[tuple[str, Any]] = []
    seen: set[int] = set()
    todo: list[tuple[str, Any]] = [("", obj)]
    while todo:
        path, value = todo.pop()
        if id(value) in seen:
            continue
        kind = type(value)
        if kind is dict:
            seen.add(id(value))
            out.append((path, value))
            todo.extend((f"{path}[{k!r}]", v) for k, v in value.items())
        elif kind is list or kind is tuple:
            seen.add(id(value))
            if kind is list:
                out.append((path, value))
            todo.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            seen.add(id(value))
            todo.extend(
                (f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)
            )
    return out


def vandalize(obj: Any) -> None:
    """Change every dict and list a reader can reach from ``obj``."""
    for _, container in reachable(obj):
        if type(container) is dict:
            container["__vandal__"] = 1
        else:
            container.append("__vandal__")


def shared(a: Any, b: Any) -> list[tuple[str, str]]:
    ids = {id(c): p for p, c in reachable(a)}
    return [(ids[id(c)], p) for p, c in reachable(b) if id(c) in ids]


def events_of(body: bytes) -> list[bytes]:
    return fuzz.cut(body, [i + 2 for i in range(len(body)) if body.startswith(b"\n\n", i)])


def oracle(reads: list[bytes], strict: bool, assembler: Any = Assembler, **limits: int) -> Any:
    """The to_dict() and warnings of a fresh assembler's snapshot after ``reads``, read at
    once; None if the reads raised."""
    asm = assembler(strict, **limits)
    try:
        for read in reads:
            asm.feed(read)
    except ChunkstreamError:
        return None
    return view(asm.snapshot())


def view(completion: Any) -> Any:
    return [completion.to_dict(), [fuzz.warning_view(w) for w in completion.warnings]]


def check_snapshots(
    reads: list[bytes], strict: bool, seed: int, assembler: Any = Assembler, **limits: int
) -> None:
    rng = random.Random(seed)
    asm = assembler(strict, **limits)
    snaps: list[Any] = []
    expected: list[Any] = []
    final = None
    try:
        for i, read in enumerate(reads):
            asm.feed(read)
            snaps.append(asm.snapshot())
            expected.append(oracle(reads[: i + 1], strict, assembler, **limits))
            if rng.random() < 0.3:  # read one taken before, then change all it reaches
                k = rng.randrange(len(snaps))
                if expected[k] is None:
                    continue
                assert view(snaps[k]) == expected[k], ("read mid-stream", k)
                if rng.random() < 0.5:
                    vandalize(snaps[k])
                    expected[k] = None
        final = asm.close()
    except ChunkstreamError as exc:
        assert strict
        partial = exc.partial
        if partial is not None and snaps:
            # the error's partial and the last snapshot share nothing either
            assert not shared(snaps[-1], partial)
    order = list(range(len(snaps)))
    rng.shuffle(order)
    for k in order:
        if expected[k] is not None:
            assert view(snaps[k]) == expected[k], ("read at the end", k, len(snaps))
    owners: dict[int, Any] = {}
    everything = [*enumerate(snaps), *([("final", final)] if final is not None else [])]
    for k, obj in everything:
        for path, container in reachable(obj):
            other = owners.setdefault(id(container), k)
            assert other == k, ("shared", other, k, path)


# -- streams a demanding user would send -------------------------------------------------------

VENDOR = st.dictionaries(
    st.sampled_from(["x_v", "meta", "y"]),
    st.one_of(st.integers(0, 3), st.just({"n": [1]})),
    max_size=2,
)


@st.composite
def streams(draw: Any) -> list[dict[str, Any]]:
    n_choices = draw(st.integers(1, 3))
    out: list[dict[str, Any]] = []
    calls: dict[int, int] = {}
    for _ in range(draw(st.integers(1, 25))):
        index = draw(st.integers(0, n_choices - 1))
        kind = draw(
            st.sampled_from(
                [
                    "text",
                    "text",
                    "tool",
                    "tool",
                    "parts",
                    "usage",
                    "logprobs",
                    "audio",
                    "finish",
                    "refusal",
                ]
            )
        )
        delta: dict[str, Any] = {}
        choice_more: dict[str, Any] = {}
        top: dict[str, Any] = {}
        finish = None
        if kind == "text":
            delta["content"] = draw(st.sampled_from(["a", "bc", ""]))
        elif kind == "refusal":
            delta["refusal"] = "no"
        elif kind == "parts":
            delta["content"] = [{"type": "text", "text": draw(st.sampled_from(["p", "q"]))}]
        elif kind == "tool":
            k = draw(st.integers(0, 2))
            call: dict[str, Any] = {
                "index": k,
                "function": {"arguments": draw(st.sampled_from(['{"a"', ": 1}", ""]))},
            }
            if calls.get(index, -1) < k:
                calls[index] = k
                call["id"] = f"call_{index}_{k}"
                call["type"] = "function"
                call["function"]["name"] = f"f{k}"
            if draw(st.booleans()):
                call.update(draw(VENDOR))
            if draw(st.booleans()):
                call["function"].update(draw(VENDOR))
            delta["tool_calls"] = [call]
        elif kind == "usage":
            top["usage"] = {
                "prompt_tokens": draw(st.integers(0, 5)),
                "completion_tokens": draw(st.integers(0, 5)),
                "total_tokens": 9,
                "prompt_tokens_details": {"cached_tokens": 0, **draw(VENDOR)},
                **draw(VENDOR),
            }
        elif kind == "logprobs":
            delta["content"] = "t"
            choice_more["logprobs"] = {
                "content": [
                    {
                        "token": "t",
                        "logprob": -0.5,
                        "bytes": [116],
                        "top_logprobs": [{"token": "t", "logprob": -0.5, "bytes": [116]}],
                    }
                ],
                "refusal": None,
            }
        elif kind == "audio":
            delta["audio"] = {"id": "au_1", "transcript": draw(st.sampled_from(["he", "llo"]))}
        elif kind == "finish":
            finish = draw(st.sampled_from(["stop", "tool_calls", "length"]))
        if draw(st.booleans()):
            delta.update({f"d_{k}": v for k, v in draw(VENDOR).items()})
        if draw(st.booleans()):
            choice_more.update({f"c_{k}": v for k, v in draw(VENDOR).items()})
        if draw(st.booleans()):
            top.update({f"t_{k}": v for k, v in draw(VENDOR).items()})
        obj = chunk(delta, finish, index, **top)
        obj["choices"][0].update(choice_more)
        if kind == "usage" and draw(st.booleans()):
            obj["choices"] = []
        out.append(obj)
    return out


@examples(40)
@given(streams(), st.booleans(), st.integers(0, 2**16))
def test_snapshots_of_generated_streams_hold_their_moment_and_share_nothing(
    chunks: list[dict[str, Any]], strict: bool, seed: int
) -> None:
    body = sse(*chunks)
    check_snapshots(events_of(body), strict, seed)
    # Same bytes in reads of 7: snapshots taken between chunks too
    check_snapshots(fuzz.cut(body, list(range(7, len(body), 7))), strict, seed)


@examples(150)
@given(streams(), st.integers(1, 2), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2**16))
def test_snapshots_under_tight_limits_and_lenient_repairs(
    chunks: list[dict[str, Any]],
    max_choices: int,
    max_tool_calls: int,
    max_warnings: int,
    seed: int,
) -> None:
    # Lenient repairs that rewrite held state: a finish_reason changed, a tool call refused past
    # max_tool_calls, a choice past max_choices, warnings past max_warnings (counted), a
    # different id at a tool call's index (both kept), index-less fragments.
    rng = random.Random(seed)
    for c in chunks:
        call = (c["choices"] or [{}])[0].get("delta", {}).get("tool_calls", [None])[0]
        if call is not None and rng.random() < 0.3:
            if rng.random() < 0.5:
                del call["index"]
            else:
                call["id"] = f"other_{rng.randrange(3)}"
        if c["choices"] and rng.random() < 0.1:
            c["choices"][0]["finish_reason"] = rng.choice(["stop", "length"])
    limits = {
        "max_choices": max_choices,
        "max_tool_calls": max_tool_calls,
        "max_warnings": max_warnings,
    }
    check_snapshots(events_of(sse(*chunks)), False, seed, **limits)


# -- long runs of one shape: the template path -------------------------------------------------


def call_delta(k: int, args: str, **more: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": k, "function": {"arguments": args}, **more}]}


@st.composite
def template_runs(draw: Any) -> list[dict[str, Any]]:
    """Openings, then long runs of chunks of one shape whose strings (and now and then a
    vendor value, a number or a nested list) change from chunk to chunk."""
    out = [
        chunk({"role": "assistant", "content": ""}, index=0),
        chunk({"role": "assistant", "content": ""}, index=1),
    ]
    for index in (0, 1):
        for k in (0, 1):
            out.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": k,
                                "id": f"c{index}{k}",
                                "type": "function",
                                "function": {"name": f"f{k}", "arguments": ""},
                            }
                        ]
                    },
                    index=index,
                )
            )
    vendors = [{"n": 1}, {"n": 2}, {"n": [1, 2]}, {"m": "s"}]
    for _ in range(draw(st.integers(1, 4))):
        shape = draw(st.sampled_from(["text", "args", "args_vendor", "logprobs", "usage", "parts"]))
        run_index = draw(st.integers(0, 1))
        run_vendor = draw(st.sampled_from(vendors))
        for i in range(draw(st.integers(3, 60))):
            odd = draw(st.integers(0, 9)) == 0  # now and then a chunk off the run's shape
            index = 1 - run_index if odd and draw(st.booleans()) else run_index
            text = draw(st.sampled_from(["x", "yz", "", "\u00e9", '"', "\\n", "}"]))
            vendor = draw(st.sampled_from(vendors)) if odd else run_vendor
            if shape == "text":
                obj = chunk({"content": text}, index=index, extra_top=vendor)
            elif shape == "args":
                obj = chunk(call_delta(int(odd), text), index=index)
            elif shape == "args_vendor":
                obj = chunk(call_delta(int(odd), text, tv=vendor), index=index)
                obj["choices"][0]["delta"]["tool_calls"][0]["function"]["fv"] = vendor
            elif shape == "logprobs":
                obj = chunk({"content": text}, index=index)
                obj["choices"][0]["logprobs"] = {
                    "content": [
                        {
                            "token": text,
                            "logprob": -float(i),
                            "bytes": list(text.encode()),
                            "top_logprobs": [],
                        }
                    ],
                    "refusal": None,
                }
            elif shape == "usage":
                obj = chunk(
                    {"content": text},
                    index=index,
                    usage={
                        "prompt_tokens": i,
                        "completion_tokens": 1,
                        "total_tokens": i + 1,
                        "u": vendor,
                    },
                )
            else:
                obj = chunk({"content": [{"type": "text", "text": text, "v": vendor}]}, index=index)
            obj["choices"][0]["cv"] = vendor
            out.append(obj)
    return out


@examples(60)
@given(template_runs(), st.booleans(), st.integers(0, 2**16))
def test_snapshots_over_long_runs_of_one_shape(
    chunks: list[dict[str, Any]], strict: bool, seed: int
) -> None:
    check_snapshots(events_of(sse(*chunks)), strict, seed)


@examples(60)
@given(template_runs(), st.integers(1, 300))
def test_typed_chunks_of_long_runs_are_their_parse_and_share_nothing(
    chunks: list[dict[str, Any]], size: int
) -> None:
    body = sse(*chunks)
    reads = fuzz.cut(body, list(range(size, len(body), size)))
    got = list(iter_chunks(reads))
    assert [c.to_dict() for c in got] == [
        ChatCompletionChunk.from_dict(json.loads(json.dumps(c))).to_dict() for c in chunks
    ]
    expected = [c.to_dict() for c in got]
    decoder = ChunkDecoder()
    seen = []
    for read in reads:  # each chunk changed by its reader as soon as it comes
        for c in decoder.feed(read):
            seen.append(c.to_dict())
            vandalize(c)
    assert seen == expected
    owners: dict[int, int] = {}
    for k, c in enumerate(got):
        for path, container in reachable(c):
            assert owners.setdefault(id(container), k) == k, ("shared", path)


def test_a_tool_name_sent_in_fragments_then_whole_holds_in_old_snapshots() -> None:
    # A name equal to the fragments so far is a repeat: they are joined in place to compare.
    def call(**fields: Any) -> dict[str, Any]:
        return chunk({"tool_calls": [{"index": 0, **fields}]})

    body = sse(
        call(id="c", type="function", function={"name": "get_", "arguments": ""}),
        call(function={"name": "weather"}),
        call(function={"name": "get_weather", "arguments": "{}"}),
        call(function={"name": "x"}),
    )
    asm = Assembler(strict=False)
    taken = []
    for read in events_of(body):
        asm.feed(read)
        taken.append(asm.snapshot())
    names = [s.choices[0].message.tool_calls[0].function.name for s in taken]
    assert names == ["get_", "get_weather", "get_weather", "get_weatherx", "get_weatherx"]
    check_snapshots(events_of(body), False, 0)


# -- holes found -------------------------------------------------------------------------------

PARALLEL = (fuzz.FIXTURES / "openai-parallel-tool-calls.sse").read_bytes()


@pytest.mark.parametrize("snapshot_before", [False, True])
def test_a_snapshot_after_abort_shows_the_faults_warning(snapshot_before: bool) -> None:
    asm = Assembler(strict=False)
    asm.feed(PARALLEL[:700])  # cut inside an event: "truncated" (bytes held back) at close
    if snapshot_before:
        asm.snapshot()
    result = asm.abort(ConnectionResetError("reset by peer"))
    messages = [w.message for w in result.warnings]
    assert (
        len(messages) == 2
        and messages[1] == "the source failed mid-stream: ConnectionResetError: reset by peer"
    )
    assert [w.message for w in asm.snapshot().warnings] == messages
    assert asm.snapshot().to_dict() == result.to_dict()


def test_an_eager_snapshot_after_abort_shows_the_faults_warning() -> None:
    # The same as above with every state captured anew: what the kept one should give.
    with fuzz.snapshot_cache(False):
        asm = Assembler(strict=False)
        asm.feed(PARALLEL[:700])
        asm.snapshot()
        result = asm.abort(ConnectionResetError("reset by peer"))
        assert [w.kind for w in asm.snapshot().warnings] == ["truncated", "truncated"]
        assert asm.snapshot().warnings == result.warnings


LIBRARY = str(fuzz.ROOT / "chunkstream")


def read_in_two_threads(snap: Any, read: Any, k: int) -> tuple[Any, Any]:
    """``read(snap)`` in thread A, which is held at its ``k``-th call into the library until
    thread B has done the same read whole (or 0.5 s passed: a reader that waits for A, as one
    behind a lock would, does not hang the test): a thread switch at that point, which
    CPython may make at any bytecode. Returns (what A read, what B read)."""
    got: dict[str, Any] = {}
    b_done = threading.Event()
    calls = 0

    def in_b() -> None:
        got["b"] = read(snap)
        b_done.set()

    b = threading.Thread(target=in_b)

    def tracer(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename.startswith(LIBRARY):
            calls += 1
            if calls == k:
                b.start()
                b_done.wait(0.5)

    def in_a() -> None:
        sys.settrace(tracer)  # this thread only
        try:
            got["a"] = read(snap)
        finally:
            sys.settrace(None)

    a = threading.Thread(target=in_a)
    a.start()
    a.join()
    if not b.is_alive() and "b" not in got:
        b.start()
    b.join()
    return got["a"], got["b"]


def late_vendor_snapshot() -> Any:
    asm = Assembler(strict=False)
    asm.feed(data(chunk({"role": "assistant", "content": "a", "v": {"k": 0}})).encode())
    asm.snapshot()  # from here vendor merges are logged and replayed on first read
    for i in range(20):
        asm.feed(data(chunk({"content": "x", "v": {f"k{i % 3}": i}}, meta={"m": i})).encode())
    return asm.snapshot()


@pytest.mark.parametrize(
    "read",
    [lambda s: s.extra, lambda s: s.choices, lambda s: s.choices[0].message.extra],
    ids=["extra", "choices", "message.extra"],
)
def test_two_threads_reading_one_snapshot_get_the_same_objects(read: Any) -> None:
    for k in range(1, 12):
        snap = late_vendor_snapshot()
        in_a, in_b = read_in_two_threads(snap, read, k)
        assert in_a is in_b, k
        assert read(snap) is in_a, k


# -- the one-hole matcher: strings a server may send in a hole --------------------------------

HOLE_TEXT = st.text(
    alphabet=st.sampled_from(
        ["\\", '"', "a", "/", "\u00e9", "\u2028", "\U0001f600", "}", ",", ":", "\n", "\x00"]
    ),
    max_size=6,
)


def encoded(obj: Any, ascii_only: bool, slash: bool, spaced: bool) -> str:
    text = json.dumps(
        obj, ensure_ascii=ascii_only, separators=(", ", ": ") if spaced else (",", ":")
    )
    return text.replace("/", "\\/") if slash else text


@examples(200)
@given(
    st.lists(HOLE_TEXT, min_size=3, max_size=30),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["content", "args", "vendor"]),
)
def test_template_holes_hold_any_string_a_server_encodes(
    texts: list[str], ascii_only: bool, slash: bool, spaced: bool, where: str
) -> None:
    chunks = [chunk({"role": "assistant", "content": ""})]
    if where == "args":
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": ""},
                        }
                    ]
                }
            )
        )
    for text in texts:
        if where == "content":
            chunks.append(chunk({"content": text}))
        elif where == "args":
            chunks.append(chunk(call_delta(0, text)))
        else:
            chunks.append(chunk({"content": "x"}, vendor_note=text))
    body = (
        "".join(f"data: {encoded(c, ascii_only, slash, spaced)}\n\n" for c in chunks)
        + "data: [DONE]\n\n"
    )
    raw = body.encode("utf-8", "surrogatepass")
    got = [c.to_dict() for c in iter_chunks(raw)]
    assert got == [ChatCompletionChunk.from_dict(c).to_dict() for c in chunks]
    with fuzz.templates(False):
        off = chunkstream.assemble(raw).to_dict()
    assert chunkstream.assemble(raw).to_dict() == off
    check_snapshots(events_of(raw), True, len(texts))


# -- recorded streams ----------------------------------------------------------------------------

FIXTURES = sorted(fuzz.FIXTURES.glob("*.sse"))
LEGACY = sorted((fuzz.FIXTURES / "legacy").glob("*.sse"))
RECORDED = sorted(fuzz.CORPUS.glob("*/*.sse")) if fuzz.CORPUS.is_dir() else []


@pytest.mark.parametrize("path", FIXTURES + RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_snapshots_of_recorded_streams_hold_their_moment_and_share_nothing(path: Any) -> None:
    body = path.read_bytes()
    for strict in (False, True):
        check_snapshots(events_of(body), strict, len(body))


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.name)
def test_snapshots_of_legacy_streams_hold_their_moment_and_share_nothing(path: Any) -> None:
    body = path.read_bytes()
    for strict in (False, True):
        check_snapshots(events_of(body), strict, len(body), CompletionAssembler)
        check_snapshots(
            fuzz.cut(body, list(range(5, len(body), 5))), strict, 1, CompletionAssembler
        )


def logprobs_chunk(token: str) -> dict[str, Any]:
    obj = chunk({"content": token})
    obj["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": token,
                "logprob": -1.0,
                "bytes": list(token.encode()),
                "top_logprobs": [
                    {
                        "token": token,
                        "logprob": -1.0,
                        "bytes": list(token.encode()),
                        "tv": {"q": [1]},
                    }
                ],
                "lv": {"a": [1]},
            }
        ],
        "refusal": None,
    }
    return obj


def annotation_chunk(n: int) -> dict[str, Any]:
    citation = {
        "url": f"https://e.x/{n}",
        "title": "t",
        "start_index": 0,
        "end_index": 1,
        "u": {"w": [n]},
    }
    return chunk(
        {"annotations": [{"type": "url_citation", "url_citation": citation, "x": {"y": [n]}}]}
    )


@pytest.mark.parametrize("kind", ["token", "top_logprob", "annotation", "url_citation"])
def test_vendor_values_of_list_items_are_not_shared_between_snapshots(kind: str) -> None:
    if kind.startswith(("annotation", "url")):
        body = sse(*(annotation_chunk(n) for n in range(3)))
    else:
        body = sse(*(logprobs_chunk(t) for t in ("a", "b", "c")))

    def nested(c: Any) -> list[Any]:
        if kind == "annotation":
            return c.choices[0].message.annotations[0].extra["x"]["y"]
        if kind == "url_citation":
            return c.choices[0].message.annotations[0].url_citation.extra["u"]["w"]
        token = c.choices[0].logprobs.content[0]
        return token.extra["lv"]["a"] if kind == "token" else token.top_logprobs[0].extra["tv"]["q"]

    asm = Assembler()
    asm.feed(body)
    first, second = asm.snapshot(), asm.snapshot()
    nested(first).append("changed")
    sent = [0] if kind in ("annotation", "url_citation") else [1]
    assert (nested(second), nested(asm.close())) == (sent, sent)


# -- one Accumulator fed by every door ---------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@examples(150)
@given(streams(), st.integers(0, 2**16))
def test_an_accumulator_fed_through_every_door_snapshots_as_the_byte_path(
    chunks: list[dict[str, Any]], seed: int
) -> None:
    # Each chunk through feed(typed chunk), merge(dict) or merge_plain(dict) (falling back to
    # merge when it declines), a snapshot after each; each compared, read only at the end,
    # with a fresh Assembler's snapshot of the same bytes read at once.
    rng = random.Random(seed)
    acc = Accumulator(strict=False)
    taken = []
    vandalized: set[int] = set()
    for n, obj in enumerate(chunks):
        door = rng.randrange(3)
        if door == 0:
            acc.feed(ChatCompletionChunk.from_dict(json.loads(json.dumps(obj))))
        elif door == 1 or not acc.merge_plain(json.loads(json.dumps(obj)), n, None):
            acc.merge(json.loads(json.dumps(obj)), n, None)
        taken.append(acc.snapshot())
        if rng.random() < 0.3:
            k = rng.randrange(len(taken))
            vandalized.add(k)
            vandalize(taken[k])
    final = acc.close()
    for n, snap in enumerate(taken):
        if n in vandalized:
            continue
        assert snap.to_dict() == oracle(events_of(sse(*chunks[: n + 1]))[:-1], False)[0], n
    assert final.to_dict() == chunkstream.assemble(sse(*chunks), strict=False).to_dict()


# -- what a user does with a snapshot object ----------------------------------------------------


def rich_stream() -> bytes:
    tokens = logprobs_chunk("b")
    token = tokens["choices"][0]["logprobs"]["content"][0]
    del token["lv"], token["top_logprobs"][0]["tv"]  # shared: see the hole above
    return sse(
        chunk(
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "a", "p": {"q": [1]}}],
                "d": {"e": [1]},
            },
            top={"t": [1]},
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c0",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{", "fv": {"g": [1]}},
                        "tv": {"h": [1]},
                    }
                ]
            }
        ),
        tokens,
        chunk(
            {"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]},
            usage={"prompt_tokens": 1, "total_tokens": 2, "u": {"v": [1]}},
        ),
        chunk({}, "tool_calls"),
    )


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "replace", "copy"])
@pytest.mark.parametrize("read_first", [False, True])
def test_copies_of_a_snapshot_read_or_not_equal_it_and_its_eager_twin(
    how: str, read_first: bool
) -> None:
    reads = events_of(rich_stream())
    asm = Assembler()
    for read in reads[:4]:
        asm.feed(read)
    snap = asm.snapshot()
    for read in reads[4:]:  # the stream goes on before the snapshot is read
        asm.feed(read)
    if read_first:
        view(snap)
    copied = {
        "deepcopy": copy.deepcopy,
        "pickle": lambda s: pickle.loads(pickle.dumps(s)),
        "replace": dataclasses.replace,
        "copy": copy.copy,
    }[how](snap)
    eager = oracle(reads[:4], True)
    assert view(copied) == view(snap) == eager
    assert copied == snap and repr(copied) == repr(snap)
    assert json.loads(json.dumps(copied.to_dict())) == eager[0]
    if how in ("deepcopy", "pickle"):
        vandalize(copied)
        assert view(snap) == eager
    assert view(asm.close()) != eager and asm.close().choices[0].finish_reason == "tool_calls"


def test_a_snapshot_after_close_is_the_final_completion_and_shares_nothing_with_it() -> None:
    acc = Accumulator()
    for c in iter_chunks(rich_stream()):
        acc.feed(c)
    final = acc.close()
    after = acc.snapshot()
    assert after.to_dict() == final.to_dict()
    assert not shared(after, final)
    vandalize(after)
    assert acc.close().to_dict() == final.to_dict() != after.to_dict()


def test_a_strict_errors_partial_is_the_snapshot_before_it_and_shares_nothing() -> None:
    reads = events_of(rich_stream())
    bad = data(chunk({"content": "x"}, id="chatcmpl-other")).encode()  # another response's id
    asm = Assembler()
    for read in reads[:4]:
        asm.feed(read)
    before = asm.snapshot()
    with pytest.raises(chunkstream.InconsistentStreamError) as info:
        asm.feed(bad)
    partial = info.value.partial
    assert partial is not None and not shared(before, partial)
    assert view(partial) == view(before) == oracle(reads[:4], True)
    vandalize(partial)
    assert view(asm.snapshot()) == view(before)


def read_partly(obj: Any, rng: random.Random) -> Any:
    """Read one random path down from ``obj`` (the lazy fields on it built, their siblings
    not), returning what it ends at."""
    for _ in range(rng.randrange(1, 6)):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            obj = getattr(obj, rng.choice(dataclasses.fields(obj)).name)
        elif type(obj) in (list, tuple) and obj:
            obj = rng.choice(obj)
        elif type(obj) is dict and obj:
            obj = obj[rng.choice(list(obj))]
        else:
            break
    return obj


@examples(150)
@given(st.one_of(streams(), template_runs()), st.integers(0, 2**16))
def test_snapshots_read_a_path_at_a_time_while_the_stream_goes_on(
    chunks: list[dict[str, Any]], seed: int
) -> None:
    rng = random.Random(seed)
    reads = events_of(sse(*chunks))
    asm = Assembler(strict=False)
    taken: list[Any] = []
    expected: list[Any] = []
    for i, read in enumerate(reads):
        asm.feed(read)
        taken.append(asm.snapshot())
        expected.append(oracle(reads[: i + 1], False))
        for _ in range(rng.randrange(4)):  # some paths of some snapshots read now
            k = rng.randrange(len(taken))
            reached = read_partly(taken[k], rng)
            if rng.random() < 0.2 and type(reached) in (dict, list):
                expected[k] = None  # a reader changed this one
                if type(reached) is dict:
                    reached["__vandal__"] = 1
                else:
                    reached.append("__vandal__")
    for k in sorted(range(len(taken)), key=lambda _: rng.random()):
        if expected[k] is not None:
            assert view(taken[k]) == expected[k], k


@st.composite
def legacy_streams(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 30))):
        index = draw(st.integers(0, 1))
        token = draw(st.sampled_from(["a", " b", ""]))
        c: dict[str, Any] = {"text": token, "index": index, "finish_reason": None}
        if draw(st.booleans()):
            c["logprobs"] = {
                "tokens": [token],
                "token_logprobs": [-0.5],
                "top_logprobs": [{token: -0.5, "z": -1.0}],
                "text_offset": [i],
                **({"lv": {"m": [i]}} if draw(st.booleans()) else {}),
            }
        if draw(st.integers(0, 9)) == 0:
            c["finish_reason"] = draw(st.sampled_from(["stop", "length"]))
        if draw(st.booleans()):
            c.update({f"c_{k}": v for k, v in draw(VENDOR).items()})
        obj: dict[str, Any] = {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": 1,
            "model": "m",
            "choices": [c],
        }
        if draw(st.integers(0, 5)) == 0:
            obj["usage"] = {"prompt_tokens": i, "completion_tokens": 1, "total_tokens": i + 1}
        if draw(st.booleans()):
            obj.update({f"t_{k}": v for k, v in draw(VENDOR).items()})
        out.append(obj)
    return out


@examples(100)
@given(legacy_streams(), st.booleans(), st.integers(0, 2**16))
def test_snapshots_of_generated_legacy_streams(
    chunks: list[dict[str, Any]], strict: bool, seed: int
) -> None:
    check_snapshots(events_of(sse(*chunks)), strict, seed, CompletionAssembler)
