"""The fast paths give exactly what the general paths give.

``assemble()`` hands everyday chunks to ``Accumulator._take`` (a quick check that the chunk is
valid, so the validation pass is skipped, then the one merge every chunk goes through) and the
stream layer reads plain ``data:`` blocks without a line loop; the models' ``validate_chunk``
first tries ``_plain_chunk``. Each is checked here against the general path on the fixtures,
the corpus and generated streams: same completion, same warnings, same errors.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import sse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import _models
from chunkstream._accumulate import Accumulator
from chunkstream._errors import Warnings

ROOT = Path(__file__).resolve().parent.parent
# The shared corpus beside the checkout, or where CHUNKSTREAM_CORPUS says.
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
STREAMS = sorted((ROOT / "fixtures").glob("*.sse")) + (
    sorted(CORPUS.glob("*/*.sse")) if CORPUS.is_dir() else []
)


def outcome(
    body: bytes | list[bytes], strict: bool, assemble: Callable[..., Any] = chunkstream.assemble
) -> Any:
    """What ``assemble`` (or ``assemble_completion``) makes of a body: the completion and its
    warnings, or the error and its partial completion."""
    try:
        completion = assemble(body, strict=strict)
    except chunkstream.ChunkstreamError as exc:
        partial = exc.partial.to_dict() if exc.partial is not None else None
        return ("error", type(exc).__name__, str(exc), partial)
    return ("ok", completion.to_dict(), [str(w) for w in completion.warnings])


def chunks_outcome(body: bytes | list[bytes], strict: bool) -> Any:
    it = chunkstream.iter_chunks(body, strict=strict)
    got = []
    try:
        for chunk in it:
            got.append(chunk.to_dict())
    except chunkstream.ChunkstreamError as exc:
        return ("error", type(exc).__name__, str(exc), got, [str(w) for w in it.warnings])
    return ("ok", got, [str(w) for w in it.warnings])


def general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the fast paths off: every chunk goes the general way."""
    never = lambda self, obj, n, offset, data=None: False  # noqa: E731
    monkeypatch.setattr(Accumulator, "_take", never)
    monkeypatch.setattr(chunkstream.ChunkDecoder, "_take_fast", never)
    monkeypatch.setattr(_models, "_ok_chat_completion_chunk", lambda obj: False)
    monkeypatch.setattr(chunkstream._stream, "check_chunk", lambda obj: False)
    monkeypatch.setattr(chunkstream._stream, "TEMPLATES", False)


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_fast_and_general_paths_agree_on_real_streams(
    path: Path, strict: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = path.read_bytes()
    fast = outcome(body, strict), chunks_outcome(body, strict)
    with monkeypatch.context() as m:
        general(m)
        slow = outcome(body, strict), chunks_outcome(body, strict)
    assert fast == slow


def test_the_fast_merge_takes_the_bulk_of_an_everyday_stream() -> None:
    # Guard that the fast path is really used (otherwise the test above proves nothing).
    taken = []
    original = Accumulator._take

    def spy(
        self: Accumulator, obj: dict[str, Any], n: int, offset: int, data: str | None = None
    ) -> bool:
        done = original(self, obj, n, offset, data)
        taken.append(done)
        return done

    Accumulator._take = spy  # type: ignore[method-assign]
    try:
        chunkstream.assemble((ROOT / "fixtures" / "openai-parallel-tool-calls.sse").read_bytes())
    finally:
        Accumulator._take = original  # type: ignore[method-assign]
    assert taken.count(True) >= len(taken) // 2 > 0


# -- generated streams: everyday chunks with random deviations -------------------------------


def _reorder(c: dict[str, Any]) -> None:
    """Move the top-level fields but the choices after them (the fast path memoizes the
    top-level keys in order)."""
    for key in [k for k in c if k != "choices"]:
        c[key] = c.pop(key)


DEVIATIONS = [
    lambda c: c.update(id="other-id"),
    lambda c: c.update(id=""),
    lambda c: c.update(id=None),
    lambda c: c.update(id=5),
    lambda c: c.update(model="other-model"),
    lambda c: c.update(created=c["created"] + 1),
    lambda c: c.update(created=c["created"] - 1),
    lambda c: c.update(created=True),
    lambda c: c.update(created=0),
    lambda c: c.update(created=float(c["created"])),  # equal to the int held, but invalid
    lambda c: c.update(usage=None),  # one more key, null
    lambda c: c.pop("system_fingerprint"),  # one key fewer
    lambda c: _reorder(c),  # the same fields in another order
    lambda c: c.update(object=None),
    lambda c: c.update(object=3),
    lambda c: c.update(system_fingerprint="fp_other"),
    lambda c: c.update(service_tier=""),
    lambda c: c.update(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
    lambda c: c.update(obfuscation="xyz"),
    lambda c: c.update(error={"message": "boom"}),
    lambda c: c["choices"][0].update(index=1),
    lambda c: c["choices"][0].update(index=-1),
    lambda c: c["choices"][0].update(index=True),
    lambda c: c["choices"][0].update(finish_reason="stop"),
    lambda c: c["choices"][0].update(finish_reason=""),
    lambda c: c["choices"][0].update(logprobs={"content": []}),
    lambda c: c["choices"][0].update(native_finish_reason=None),
    lambda c: c["choices"][0].update(delta=None),
    lambda c: c["choices"][0].update(delta={}),
    lambda c: c["choices"][0].update(delta=[]),
    lambda c: c["choices"][0]["delta"].update(content=7),
    lambda c: c["choices"][0]["delta"].update(content=""),
    lambda c: c["choices"][0]["delta"].update(content=[{"type": "text", "text": "t"}]),
    lambda c: c["choices"][0]["delta"].update(role="assistant"),
    lambda c: c["choices"][0]["delta"].update(reasoning_content="r"),
    lambda c: c["choices"][0]["delta"].update(
        tool_calls=[{"index": 0, "function": {"arguments": "{}"}}]
    ),
    lambda c: c["choices"][0]["delta"].update(tool_calls=[{"index": 0, "function": "x"}]),
    lambda c: c["choices"][0]["delta"].update(
        tool_calls=[{"index": 0, "function": {"arguments": 5}}]
    ),
    lambda c: c["choices"][0]["delta"].update(
        tool_calls=[{"index": 3, "function": {"arguments": "a"}}]
    ),
    lambda c: c["choices"][0]["delta"].update(
        tool_calls=[{"index": 0, "id": "call_x", "function": {"arguments": "a"}}]
    ),
    lambda c: c["choices"].append({"index": 1, "delta": {"content": "b"}}),
    lambda c: c.update(choices=[]),
    lambda c: c.update(choices={}),
]


def chunk(kind: str, i: int) -> dict[str, Any]:
    delta: dict[str, Any]
    if kind == "text":
        delta = {"content": f"w{i} "}
    else:
        delta = {"tool_calls": [{"index": 0, "function": {"arguments": f"{i},"}}]}
    return {
        "id": "chatcmpl-gen",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
    }


def stream(kind: str, length: int, deviations: dict[int, int]) -> Iterator[dict[str, Any]]:
    first: dict[str, Any] = {"role": "assistant", "content": ""}
    if kind == "tools":
        first = {
            "role": "assistant",
            "tool_calls": [
                {"index": 0, "id": "call_0", "type": "function", "function": {"name": "f"}}
            ],
        }
    head = chunk(kind, 0)
    head["choices"][0]["delta"] = first
    yield head
    for i in range(1, length):
        c = chunk(kind, i)
        if i in deviations:
            DEVIATIONS[deviations[i] % len(DEVIATIONS)](c)
        yield c
    tail = chunk(kind, length)
    tail["choices"][0]["delta"] = {}
    tail["choices"][0]["finish_reason"] = "stop"
    yield tail


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["text", "tools"]),
    length=st.integers(1, 12),
    deviations=st.dictionaries(st.integers(1, 12), st.integers(0, 10_000), max_size=4),
    strict=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_fast_and_general_paths_agree_on_generated_streams(
    kind: str, length: int, deviations: dict[int, int], strict: bool, seed: int
) -> None:
    body = "".join(
        f"data: {json.dumps(c, separators=(',', ':'))}\n\n"
        for c in stream(kind, length, deviations)
    )
    raw = (body + "data: [DONE]\n\n").encode()
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(len(raw)), k=min(5, len(raw))))
    reads = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    fast = outcome(reads, strict), chunks_outcome(reads, strict)
    with pytest.MonkeyPatch.context() as m:
        general(m)
        slow = outcome(reads, strict), chunks_outcome(reads, strict)
    assert fast == slow


# -- the models' quick check never accepts what the full check refuses ------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=3)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def field_values(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, VALUES)


FUNCTION = st.fixed_dictionaries(
    {}, optional={"name": field_values(st.text()), "arguments": field_values(st.text())}
)
TOOL_CALL = st.fixed_dictionaries(
    {},
    optional={
        "index": field_values(st.integers(0, 3)),
        "id": field_values(st.text()),
        "type": field_values(st.just("function")),
        "function": field_values(FUNCTION),
    },
)
DELTA = st.fixed_dictionaries(
    {},
    optional={
        key: field_values(st.text())
        for key in ("role", "content", "refusal", "reasoning_content", "reasoning")
    }
    | {
        "tool_calls": field_values(st.lists(field_values(TOOL_CALL), max_size=2)),
        "function_call": field_values(FUNCTION),
    },
)
CHOICE = st.fixed_dictionaries(
    {},
    optional={
        "index": field_values(st.integers(0, 3)),
        "delta": field_values(DELTA),
        "finish_reason": field_values(st.text()),
        "logprobs": field_values(st.none()),
    },
)
CHUNK = st.fixed_dictionaries(
    {},
    optional={
        key: field_values(st.text())
        for key in ("id", "object", "model", "system_fingerprint", "service_tier")
    }
    | {
        "created": field_values(st.integers(0, 2_000_000_000)),
        "choices": field_values(st.lists(field_values(CHOICE), max_size=2)),
        "usage": field_values(st.none()),
    },
)


@settings(max_examples=600, deadline=None)
@given(obj=CHUNK)
def test_quick_check_accepts_only_valid_chunks(obj: dict[str, Any]) -> None:
    if _models.check_chunk(obj):
        _models._check_chat_completion_chunk(obj, "")  # must not raise


def near(*values: Any) -> st.SearchStrategy[Any]:
    """The everyday value (the first) half the time, else any of them."""
    return st.one_of(st.just(values[0]), st.sampled_from(values))


TOKEN = st.fixed_dictionaries(
    {"token": near("a", None, 1), "logprob": near(-0.5, 0, None, True, "x")},
    optional={
        "bytes": near([97], None, [], ["a"], [True], 97),
        "top_logprobs": st.one_of(
            near([], None, "x"),
            st.lists(
                st.fixed_dictionaries(
                    {"token": near("b", 2), "logprob": near(-1.0, None, [])},
                    optional={"bytes": near([98], None, [1.5]), "extra": near(1, None)},
                ),
                max_size=2,
            ),
        ),
        "extra": near(1, None, {"deep": [[1]]}),
    },
)
LOGPROBS = st.fixed_dictionaries(
    {},
    optional={
        "content": st.one_of(st.lists(TOKEN, max_size=2), near(None, "x", [1])),
        "refusal": near(None, [], "x"),
        "vendor": near(1, None),
    },
)
EVERYDAY_DELTA = st.one_of(
    st.fixed_dictionaries({"content": near("a", "", None, 7, ["x"], {"t": 1})}),
    st.fixed_dictionaries(
        {
            "tool_calls": st.lists(
                st.fixed_dictionaries(
                    {"index": near(0, 1, None, True, -1, "0")},
                    optional={
                        "function": st.one_of(
                            st.fixed_dictionaries(
                                {"arguments": near("{", "", None, 5)},
                                optional={"name": near("f", "")},
                            ),
                            near(None, "x", []),
                        ),
                        "id": near("c", "", None),
                        "type": near("function", None),
                    },
                ),
                min_size=0,
                max_size=2,
            )
        }
    ),
    near({}, None, [], {"content": "a", "role": "assistant"}),
)
EVERYDAY = st.fixed_dictionaries(
    {
        "id": near("x", "x", "", None, "y", 5),
        "model": near("m", "m", "", None, "n"),
        "created": near(5, 5, 0, None, 6, True, "5"),
        "choices": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"index": near(0, 0, 1, True, -1, None), "delta": EVERYDAY_DELTA},
                    optional={
                        "finish_reason": near(None, "", "stop"),
                        "logprobs": st.one_of(near(None, {}, [], "x"), LOGPROBS),
                        "seed": near(1, None),
                    },
                ),
                min_size=1,
                max_size=2,
            ),
            near(None, [], {}),
        ),
    },
    optional={
        "object": near("chat.completion.chunk", None, 3),
        "system_fingerprint": near(None, "", "fp"),
        "service_tier": near(None, "", "default"),
        "usage": near(None, {"total_tokens": 1}),
        "extra_key": near(1, None),
    },
)


@settings(max_examples=1500, deadline=None)
@given(obj=EVERYDAY)
def test_fast_merge_accepts_only_what_validates_and_merges_the_same(obj: dict[str, Any]) -> None:
    # An accumulator that has seen one everyday chunk (so a choice and a tool call are open).
    def primed() -> Accumulator:
        acc = Accumulator(strict=False)
        acc._merge(
            {
                "id": "x",
                "model": "m",
                "created": 5,
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "content": "",
                            "tool_calls": [{"index": 0, "id": "c", "function": {"name": "f"}}],
                        },
                    }
                ],
            },
            0,
            0,
        )
        return acc

    fast = primed()
    taken = fast._take(obj, 1, 10)
    event("fast path taken" if taken else "fast path declined")
    if taken:
        chunkstream.validate_chunk(obj)  # must not raise
        slow = primed()
        slow._merge(obj, 1, 10)
        assert fast.close().to_dict() == slow.close().to_dict()
        assert fast.close().warnings == slow.close().warnings


@settings(max_examples=1000, deadline=None)
@given(obj=st.one_of(CHUNK, EVERYDAY))
def test_checking_builder_refuses_exactly_what_the_validator_refuses(obj: dict[str, Any]) -> None:
    try:
        _models._check_chat_completion_chunk(obj, "")
    except chunkstream.ChunkError:
        valid = False
    else:
        valid = True
    try:
        chunk = _models.build_chunk_fast(obj)
    except _models.Invalid:
        assert not valid
    else:
        assert valid
        assert chunk.to_dict() == obj


# -- limit state: the fast path never merges differently once a limit was hit ------------------


def tool_chunk(delta: dict[str, Any], **choice: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, **choice}],
    }


def refused_then_continued(role_null: bool) -> bytes:
    """Call 0 opens; call 1 is refused (max_tool_calls=1); call 0 gets "x" by its index (an
    everyday chunk, or the same with "role": null); then a fragment with neither index nor
    id brings "y". (Their JSON text, '{"x": ' and '"y"}': whole arguments, no warning.)"""
    by_index: dict[str, Any] = {"tool_calls": [{"index": 0, "function": {"arguments": '{"x": '}}]}
    if role_null:
        by_index = {"role": None, **by_index}
    return sse(
        tool_chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {"index": 0, "id": "a", "type": "function", "function": {"name": "f"}}
                ],
            }
        ),
        tool_chunk(
            {"tool_calls": [{"index": 1, "id": "b", "type": "function", "function": {"name": "g"}}]}
        ),
        tool_chunk(by_index),
        tool_chunk({"tool_calls": [{"function": {"arguments": '"y"}'}}]}),
        tool_chunk({}, finish_reason="tool_calls"),
    )


@pytest.mark.parametrize("role_null", [False, True], ids=["everyday", "role-null"])
def test_a_fragment_by_index_after_a_refused_call_makes_its_call_current_again(
    role_null: bool,
) -> None:
    # The refused call stops being the one an index-less fragment continues once a fragment
    # for call 0 (by its index) came: "y" continues call 0. A null role in the delta must not
    # change that (before the fix the everyday chunk, merged by the fast path, left the
    # refusal in place: "x" and a second warning, against "xy" with the null role).
    body = refused_then_continued(role_null)
    completion = chunkstream.assemble(body, strict=False, max_tool_calls=1)
    (call,) = completion.choices[0].message.tool_calls or ()
    assert (call.id, call.function.name, call.function.arguments) == ("a", "f", '{"x": "y"}')
    assert [(w.kind, w.message, w.chunk_index) for w in completion.warnings] == [
        (
            "limit",
            "too many tool calls in choice 0: tool call number 2 would be over "
            "max_tool_calls (1); skipped",
            1,
        )
    ]


def state(value: Any) -> Any:
    """Everything an accumulator holds, as plain data: the fast merge must leave exactly what
    the general merge leaves. Not compared: ``_n``/``_off`` (where the chunk being merged is,
    for its messages: set by every general merge before use, never read afterwards) and
    ``_sig`` (the fast path's memo of the last top-level values it checked: not merged state)."""
    if isinstance(value, Accumulator):
        return {k: state(v) for k, v in vars(value).items() if k not in ("_n", "_off", "_sig")}
    if type(value).__module__ == "chunkstream._accumulate" and hasattr(value, "__slots__"):
        # Every slot of the class and its bases, but the links up (parent, weakly held: the
        # __weakref__ slot) and the shared,
        # fixed dispatch (spec, rules).
        names = sorted(
            {n for c in type(value).__mro__ for n in getattr(c, "__slots__", ())}
            - {"parent", "spec", "rules", "__weakref__"}
        )
        return [type(value).__name__] + [[n, state(getattr(value, n))] for n in names]
    if isinstance(value, Warnings):
        return ("warnings", value.limit, state(value.kept), value.dropped)
    if isinstance(value, chunkstream.StreamWarning):
        return ("warning", value.kind, value.message, value.chunk_index, value.byte_offset)
    if isinstance(value, dict):
        return {k: state(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [type(value).__name__, *[state(v) for v in value]]
    return value


# What a stream may have done before an everyday chunk: every piece of state the general merge
# keeps beside the text (limits hit, refused calls, finished choices, warnings past the cap).
PRIMERS: list[dict[str, Any]] = [
    {"tool_calls": [{"index": 1, "id": "d", "type": "function", "function": {"name": "g"}}]},
    {"tool_calls": [{"index": 2, "function": {"arguments": "{"}}]},
    {"tool_calls": [{"function": {"arguments": "z"}}]},
    {"tool_calls": [{"id": "c", "function": {"arguments": "q"}}]},
    {"tool_calls": [{"index": 0, "id": "other", "function": {"name": "h"}}]},
    {"tool_calls": [{"index": 0, "function": {"arguments": "a"}}]},
    {"content": "t"},
    {"content": [{"type": "text", "text": "p"}]},
    {"role": "tool"},
    {"refusal": "no"},
    {"function_call": {"name": "fc"}},
    {"channel": "analysis"},
]


def primer(kind: int) -> dict[str, Any]:
    """A chunk that changes one piece of state: a delta from PRIMERS for choice 0, or a new
    choice 1 (over max_choices=1), or a finish, or a conflicting id (a warning)."""
    base: dict[str, Any] = {"id": "x", "model": "m", "created": 5}
    if kind < len(PRIMERS):
        return {**base, "choices": [{"index": 0, "delta": PRIMERS[kind]}]}
    kind -= len(PRIMERS)
    if kind == 0:
        return {**base, "choices": [{"index": 1, "delta": {"content": "b"}}]}
    if kind == 1:
        return {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if kind == 2:
        return {**base, "choices": [{"index": 0, "delta": {}, "logprobs": {"content": []}}]}
    return {**base, "id": "y", "choices": []}


def primed(
    kinds: list[int], max_tool_calls: int, max_choices: int, max_warnings: int
) -> Accumulator:
    acc = Accumulator(
        strict=False,
        max_tool_calls=max_tool_calls,
        max_choices=max_choices,
        max_warnings=max_warnings,
    )
    opening = {
        "id": "x",
        "model": "m",
        "created": 5,
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": "",
                    "tool_calls": [{"index": 0, "id": "c", "function": {"name": "f"}}],
                },
            }
        ],
    }
    for n, obj in enumerate([opening, *map(primer, kinds)]):
        chunkstream.validate_chunk(obj)
        acc._merge(obj, n, n * 10)
    return acc


# Chunks of exactly the shapes the fast path takes (so that it is taken often after any primer).
FAST_SHAPED = st.fixed_dictionaries(
    {
        "id": st.just("x"),
        "model": st.just("m"),
        "created": st.just(5),
        "choices": st.tuples(
            st.fixed_dictionaries(
                {
                    "index": st.sampled_from([0, 1]),
                    "delta": st.one_of(
                        st.fixed_dictionaries({"content": st.sampled_from(["a", ""])}),
                        st.fixed_dictionaries(
                            {
                                "tool_calls": st.tuples(
                                    st.fixed_dictionaries(
                                        {
                                            "index": st.sampled_from([0, 1, 2]),
                                            "function": st.fixed_dictionaries(
                                                {"arguments": st.sampled_from(["a", ""])}
                                            ),
                                        }
                                    )
                                ).map(list)
                            }
                        ),
                    ),
                }
            )
        ).map(list),
    }
)
REFUSED_THEN_BY_INDEX = {
    "id": "x",
    "model": "m",
    "created": 5,
    "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "a"}}]}}
    ],
}


@settings(max_examples=800, deadline=None)
@example(kinds=[0], obj=REFUSED_THEN_BY_INDEX, max_tool_calls=1, max_choices=1024, max_warnings=100)
@given(
    kinds=st.lists(st.integers(0, len(PRIMERS) + 3), max_size=4),
    obj=st.one_of(EVERYDAY, FAST_SHAPED),
    max_tool_calls=st.sampled_from([1, 2, 1024]),
    max_choices=st.sampled_from([1, 2, 1024]),
    max_warnings=st.sampled_from([0, 1, 100]),
)
def test_fast_merge_leaves_the_state_the_general_merge_leaves(
    kinds: list[int], obj: dict[str, Any], max_tool_calls: int, max_choices: int, max_warnings: int
) -> None:
    # Not only the completion: every piece of state, so that what a LATER chunk sees (the
    # refused call an index-less fragment would continue, the finish, the warnings count)
    # is the same whichever path merged this one.
    limits = (max_tool_calls, max_choices, max_warnings)
    fast = primed(kinds, *limits)
    n = len(kinds) + 1
    taken = fast._take(obj, n, n * 10)
    event("fast path taken" if taken else "fast path declined")
    if not taken:
        assert state(fast) == state(primed(kinds, *limits))  # "nothing was done"
        return
    chunkstream.validate_chunk(obj)  # must not raise
    slow = primed(kinds, *limits)
    slow._merge(obj, n, n * 10)
    assert state(fast) == state(slow)
