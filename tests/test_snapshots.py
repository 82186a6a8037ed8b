"""``snapshot()`` after every chunk (the live-display loop the README recommends) stays linear in
the stream whatever the chunks carry, and snapshots stay independent of each other, of later
chunks and of the final completion.

Timing bounds are generous (the machine may be loaded): 10x the chunks must not cost more than
25x the time; a snapshot that copies what it holds so far costs ~100x there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from chunkstream import Accumulator, validate_chunk


def chunk(choice: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    c = {"index": 0, "delta": {"content": "x"}}
    if choice:
        c.update(choice)
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", **top,
            "choices": [c]}  # fmt: skip


def delta(**fields: Any) -> dict[str, Any]:
    return chunk({"delta": {"content": "x", **fields}})


SHAPES: dict[str, Callable[[int], dict[str, Any]]] = {
    # vendor objects that gain a key per chunk, at each level
    "top-level object": lambda i: chunk(meta={f"k{i}": i}),
    "choice object": lambda i: chunk({"meta": {f"k{i}": i}}),
    "delta object": lambda i: delta(meta={f"k{i}": i}),
    "logprobs object": lambda i: chunk({"logprobs": {"content": [], "meta": {f"k{i}": i}}}),
    "tool-call object": lambda i: chunk(
        {"delta": {"tool_calls": [{"index": 0, "meta": {f"k{i}": i}, "function": {}}]}}
    ),
    # a vendor list growing by one per chunk, a vendor string appended per chunk
    "delta list": lambda i: delta(sources=[{"i": i}]),
    "delta string": lambda i: delta(voice={"transcript": "ab"}),
    # reasoning_details: fragments of one item, and a new item per chunk
    "reasoning_details fragments": lambda i: delta(
        reasoning_details=[{"index": 0, "type": "reasoning.text", "text": "ab"}]
    ),
    "reasoning_details items": lambda i: delta(
        reasoning_details=[{"index": i, "type": "reasoning.text", "text": "ab"}]
    ),
    # what the accumulator assembles itself
    "content parts": lambda i: chunk({"delta": {"content": [{"type": "text", "text": "ab"}]}}),
    "tool-call fragments": lambda i: chunk(
        {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "ab"}}]}}
    ),
    "logprobs": lambda i: chunk(
        {"logprobs": {"content": [{"token": "a", "logprob": -1.0, "top_logprobs": []}]}}
    ),
    "reasoning and refusal": lambda i: chunk({"delta": {"reasoning": "a", "refusal": "b"}}),
    "four choices": lambda i: {
        **chunk(),
        "choices": [{"index": k, "delta": {"content": "x"}} for k in range(4)],
    },
    # one large vendor value, then many chunks; a value repeated in every chunk (Perplexity)
    "large value once": lambda i: chunk(citations=["u" * 100] * 2000) if i == 0 else chunk(),
    "value repeated": lambda i: chunk(citations=[f"https://example.org/{k}" for k in range(7)]),
}


def feed_with_snapshots(chunks: list[dict[str, Any]]) -> float:
    acc = Accumulator(strict=False)
    start = time.perf_counter()
    for n, c in enumerate(chunks):
        if not acc._take(c, n, None):
            validate_chunk(c)
            acc._merge(c, n, None)
        acc.snapshot()
    acc.close()
    return time.perf_counter() - start


@pytest.mark.parametrize("shape", SHAPES)
def test_a_snapshot_after_every_chunk_is_linear(shape: str) -> None:
    make = SHAPES[shape]
    small = [make(i) for i in range(1000)]
    large = [make(i) for i in range(10_000)]
    t_small = min(feed_with_snapshots(small) for _ in range(3))
    t_large = min(feed_with_snapshots(large) for _ in range(3))
    # Linear is 10x; quadratic would be about 100x. (26x was seen once while a benchmark ran
    # beside the suite: the large stream is timed three times, its best taken.)
    assert t_large < 25 * t_small, (shape, t_small, t_large)


def test_snapshots_are_independent_of_later_chunks_and_of_each_others_readers() -> None:
    acc = Accumulator()
    acc._merge(chunk({"meta": {"a": 1}}, meta={"a": [1]}), 0, None)
    acc._merge(delta(sources=[{"u": "x"}]), 1, None)
    first = acc.snapshot()
    acc._merge(chunk({"meta": {"b": 2}}, meta={"b": 2}), 2, None)
    acc._merge(delta(sources=[{"u": "y"}]), 3, None)
    second = acc.snapshot()
    # A reader changes every dict and list the first snapshot gives it.
    first.extra["meta"]["a"].append(99)
    first.extra["meta"]["new"] = True
    first.choices[0].extra["meta"]["a"] = "changed"
    first.choices[0].message.extra["sources"][0]["u"] = "changed"
    first.choices[0].message.extra["sources"].append({"u": "added"})
    final = acc.close()
    for completion in (second, final):
        assert completion.extra == {"meta": {"a": [1], "b": 2}}
        assert completion.choices[0].extra == {"meta": {"a": 1, "b": 2}}
        assert completion.choices[0].message.extra == {"sources": [{"u": "x"}, {"u": "y"}]}
    # The second snapshot read after the first was changed and after close(): as it was taken.
    assert first.extra == {"meta": {"a": [1, 99], "new": True}}


def test_a_snapshot_taken_before_more_chunks_keeps_its_vendor_fields_unread_until_then() -> None:
    acc = Accumulator()
    acc._merge(delta(meta={"k0": "a"}, voice={"transcript": "ab"}), 0, None)
    early = acc.snapshot()  # not read yet
    for i in range(1, 4):
        acc._merge(delta(meta={f"k{i}": "b"}, voice={"transcript": "cd"}), i, None)
    assert early.choices[0].message.extra == {"meta": {"k0": "a"}, "voice": {"transcript": "ab"}}
    assert acc.snapshot().choices[0].message.extra == {
        "meta": {"k0": "a", "k1": "b", "k2": "b", "k3": "b"},
        "voice": {"transcript": "abcdcdcd"},
    }


def test_a_repeated_value_is_kept_once_but_a_changed_one_is_not_taken_for_it() -> None:
    # 1, 1.0 and true are equal in Python but not the same JSON; nor are 0.0 and -0.0.
    acc = Accumulator()
    for n, value in enumerate([1, 1, 1.0, True, 0.0, -0.0, [1], [True]]):
        acc._merge(chunk(v=value), n, None)
        assert repr(acc.snapshot().extra["v"]) == repr(value)


def test_the_provider_error_in_a_snapshot_is_a_copy() -> None:
    acc = Accumulator(strict=False)
    acc._merge(chunk(error={"message": "overloaded", "details": [1]}), 0, None)
    first = acc.snapshot()
    first.error["details"].append(2)
    assert acc.snapshot().error == {"message": "overloaded", "details": [1]}
    assert acc.close().error == {"message": "overloaded", "details": [1]}


def test_fragments_merged_before_the_first_snapshot_go_on_after_it() -> None:
    def fragment(text: str) -> dict[str, Any]:
        return {"index": 0, "type": "reasoning.text", "text": text}

    acc = Accumulator()
    acc._merge(delta(reasoning_details=[fragment("ab")], voice={"transcript": "x"}), 0, None)
    acc._merge(delta(reasoning_details=[fragment("cd")], channel="analysis"), 1, None)
    first = acc.snapshot()
    acc._merge(delta(reasoning_details=[fragment("ef")], voice={"transcript": "y"}), 2, None)
    acc._merge(delta(channel="final", native=None), 3, None)
    second = acc.snapshot()
    acc._merge(delta(reasoning_details=[fragment("gh")]), 4, None)
    assert first.choices[0].message.extra == {
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "text": "abcd"}],
        "voice": {"transcript": "x"},
        "channel": "analysis",
    }
    assert second.choices[0].message.extra == {
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "text": "abcdef"}],
        "voice": {"transcript": "xy"},
        "channel": "final",
        "native": None,
    }
    assert acc.close().choices[0].message.extra["reasoning_details"] == [
        {"index": 0, "type": "reasoning.text", "text": "abcdefgh"}
    ]


def test_a_name_and_a_set_once_value_read_by_one_snapshot_are_built_anew_when_they_change() -> None:
    # The accumulator keeps a tool call's name, and a set-once value, as built between
    # snapshots: a fragment that comes after a snapshot must still reach the next one, and
    # surrogate halves sent apart are mended in each.
    from chunkstream import ChatCompletionChunk

    acc = Accumulator(strict=False)

    def feed(obj: dict[str, Any]) -> None:
        acc.feed(ChatCompletionChunk.from_dict(obj))

    def call(**fields: Any) -> dict[str, Any]:
        return chunk({"delta": {"tool_calls": [{"index": 0, **fields}]}})

    feed(call(id="call_1", function={"name": "get_\ud83d"}))
    first = acc.snapshot()
    feed(call(function={"name": "\ude00weather"}))
    feed(call(function={"name": "get_\ud83d\ude00weather"}))  # the whole name resent: a repeat
    second = acc.snapshot()
    feed(chunk({"finish_reason": "stop", "delta": {}}))
    third = acc.snapshot()
    final = acc.close()
    assert first.choices[0].message.tool_calls[0].function.name == "get_\ufffd"
    want = "get_\U0001f600weather"
    for completion in (second, third, final):
        assert completion.choices[0].message.tool_calls[0].function.name == want
    assert first.choices[0].finish_reason is None
    assert third.choices[0].finish_reason == final.choices[0].finish_reason == "stop"
    assert final.id == "c" and final.model == "m"
