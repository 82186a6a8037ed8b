"""Tests of the accumulate layer (chunkstream/_accumulate.py): every rule of DESIGN.md's
"Assembly rules" and "Consistency policy", driven with chunk dicts built by the helpers below.

Expected values are worked out by hand from the rules and the input; messages are asserted in
full (they are API). Chunks go in two ways: ``Accumulator.feed(ChatCompletionChunk.from_dict(d))``
and the stream layer's path, ``validate_chunk(d)`` then ``Accumulator._merge(d, n, byte_offset)``.
"""

from __future__ import annotations

import copy
import pickle
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from chunkstream import (
    Accumulator,
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    StreamWarning,
    UpstreamError,
    validate_chunk,
)

ID = "chatcmpl-1"
MODEL = "gpt-test"
CREATED = 1_700_000_000
DROP: Any = object()  # a top-level key to leave out of a chunk


# ---------------------------------------------------------------------------------------------
# Helpers that build chunk dicts


def chunk(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A chat.completion.chunk dict; ``top`` overrides or adds top-level keys (DROP removes)."""
    d: dict[str, Any] = {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": list(choices),
    }
    for key, value in top.items():
        if value is DROP:
            d.pop(key, None)
        else:
            d[key] = value
    return d


def choice(index: int = 0, finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    """One choice whose delta holds the keyword arguments."""
    return {"index": index, "delta": delta, "finish_reason": finish_reason}


def with_extra(c: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A copy of a choice dict with choice-level vendor keys added."""
    return {**c, **extra}


def call(
    index: int | None = None,
    id: str | None = None,
    type: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
) -> dict[str, Any]:
    """A tool-call fragment; only the keys given are present."""
    d: dict[str, Any] = {}
    if index is not None:
        d["index"] = index
    if id is not None:
        d["id"] = id
    if type is not None:
        d["type"] = type
    fn: dict[str, Any] = {}
    if name is not None:
        fn["name"] = name
    if arguments is not None:
        fn["arguments"] = arguments
    if fn:
        d["function"] = fn
    return d


def tools(*calls: dict[str, Any], index: int = 0, finish_reason: str | None = None) -> dict:
    return choice(index, finish_reason, tool_calls=list(calls))


def push(acc: Accumulator, dicts: Iterable[dict[str, Any]], way: str = "feed") -> None:
    """Give chunks to ``acc``: ``feed`` (typed chunks) or ``merge`` (the stream layer's fast path:
    validated fresh dicts, chunk i at byte offset 100 * i)."""
    for d in dicts:
        if way == "feed":
            acc.feed(ChatCompletionChunk.from_dict(copy.deepcopy(d)))
        else:
            fresh = copy.deepcopy(d)
            validate_chunk(fresh)
            acc._merge(fresh, acc.chunks, 100 * acc.chunks)


Run = Callable[..., ChatCompletion]


@pytest.fixture(params=["feed", "merge"])
def run(request: pytest.FixtureRequest) -> Run:
    """``run(*chunk_dicts, strict=True, **accumulator_options)`` -> the closed completion."""

    def go(*dicts: dict[str, Any], strict: bool = True, **options: Any) -> ChatCompletion:
        acc = Accumulator(strict, **options)
        push(acc, dicts, request.param)
        return acc.close()

    return go


def merged(*dicts: dict[str, Any], strict: bool = True, **options: Any) -> Accumulator:
    """An accumulator that merged the chunks (chunk i at byte 100 * i)."""
    acc = Accumulator(strict, **options)
    push(acc, dicts, "merge")
    return acc


def raises_at(
    error: type[ChunkstreamError], *dicts: dict[str, Any], strict: bool = True, **options: Any
) -> Any:
    """Merge the chunks (chunk i at byte 100 * i) and return the error the last one raises."""
    acc = Accumulator(strict, **options)
    push(acc, dicts[:-1], "merge")
    with pytest.raises(error) as info:
        push(acc, dicts[-1:], "merge")
    return info.value


def message(completion: ChatCompletion, i: int = 0) -> dict[str, Any]:
    return completion.to_dict()["choices"][i]["message"]


# ---------------------------------------------------------------------------------------------
# Choices: keyed by index, never by position


def test_choices_are_keyed_by_index_in_any_order(run: Run) -> None:
    c = run(
        chunk(choice(1, content="B1")),
        chunk(choice(0, content="A1")),
        chunk(choice(1, content="B2"), choice(0, content="A2")),
    )
    assert [ch.index for ch in c.choices] == [0, 1]
    assert [ch.message.content for ch in c.choices] == ["A1A2", "B1B2"]


def test_several_indexes_in_one_chunk(run: Run) -> None:
    c = run(
        chunk(choice(0, role="assistant", content="x"), choice(1, role="assistant", content="y")),
        chunk(choice(0, "stop"), choice(1, "length")),
    )
    assert [(ch.index, ch.message.content, ch.finish_reason) for ch in c.choices] == [
        (0, "x", "stop"),
        (1, "y", "length"),
    ]


def test_sparse_indexes_keep_their_numbers(run: Run) -> None:
    c = run(chunk(choice(5, content="five")), chunk(choice(0, content="zero")))
    assert [(ch.index, ch.message.content) for ch in c.choices] == [(0, "zero"), (5, "five")]


def test_huge_choice_index_costs_nothing(run: Run) -> None:
    tracemalloc.start()
    try:
        c = run(chunk(choice(10**15, content="far")), chunk(choice(0, content="near")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(ch.index, ch.message.content) for ch in c.choices] == [(0, "near"), (10**15, "far")]
    assert peak < 1_000_000  # nothing sized by the index value


def test_choices_sorted_by_index_after_a_snapshot_and_a_new_lower_index() -> None:
    acc = merged(chunk(choice(2, content="two")))
    assert [ch.index for ch in acc.snapshot().choices] == [2]
    push(acc, [chunk(choice(1, content="one"))], "merge")
    assert [ch.index for ch in acc.snapshot().choices] == [1, 2]
    assert [ch.index for ch in acc.close().choices] == [1, 2]


def test_no_choices_at_all_gives_an_empty_list(run: Run) -> None:
    c = run(chunk(), chunk(choices=None), chunk(choices=DROP))
    assert c.choices == ()
    assert c.to_dict()["choices"] == []


# ---------------------------------------------------------------------------------------------
# Text: appended, None unless it arrived


def test_text_fields_are_appended(run: Run) -> None:
    c = run(
        chunk(choice(0, role="assistant", content="Hel", reasoning_content="Th", reasoning="r1")),
        chunk(choice(0, content="lo", reasoning_content="ink", refusal="No", reasoning="r2")),
        chunk(choice(0, content=" you", refusal=", sorry", reasoning_content=".")),
    )
    m = c.choices[0].message
    assert (m.content, m.refusal, m.reasoning_content, m.reasoning) == (
        "Hello you",
        "No, sorry",
        "Think.",
        "r1r2",
    )


def test_tool_call_arguments_are_appended(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_1", "function", "get_weather", ""))),
        chunk(tools(call(0, arguments='{"city":'))),
        chunk(tools(call(0, arguments=' "Paris"}'))),
    )
    assert c.choices[0].message.tool_calls is not None
    assert [t.to_dict() for t in c.choices[0].message.tool_calls] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]


def test_text_never_sent_is_none_and_optional_keys_are_left_out(run: Run) -> None:
    c = run(chunk(choice(0, role="assistant")), chunk(choice(0, "stop")))
    assert message(c) == {"role": "assistant", "content": None, "refusal": None}
    m = c.choices[0].message
    assert (m.reasoning_content, m.reasoning, m.tool_calls, m.content_parts) == (
        None,
        None,
        None,
        None,
    )


def test_text_sent_only_as_null_stays_none(run: Run) -> None:
    c = run(
        chunk(choice(0, content=None, refusal=None, reasoning_content=None, reasoning=None)),
        chunk(choice(0, "stop", content=None)),
    )
    assert message(c) == {"role": "assistant", "content": None, "refusal": None}


def test_empty_string_counts_as_arrived(run: Run) -> None:
    c = run(chunk(choice(0, content="", refusal="", reasoning_content="", reasoning="")))
    assert message(c) == {
        "role": "assistant",
        "content": "",
        "refusal": "",
        "reasoning_content": "",
        "reasoning": "",
    }


def test_null_content_after_text_keeps_the_text(run: Run) -> None:
    c = run(chunk(choice(0, content="kept")), chunk(choice(0, content=None)))
    assert c.choices[0].message.content == "kept"


# ---------------------------------------------------------------------------------------------
# Role: set once, blank is absent, default "assistant"


def test_role_never_sent_is_assistant(run: Run) -> None:
    c = run(chunk(choice(0, content="hi")))
    assert c.choices[0].message.role == "assistant"


def test_identical_role_repeat_is_a_no_op(run: Run) -> None:
    c = run(
        chunk(choice(0, role="assistant", content="a")),
        chunk(choice(0, role="assistant", content="b")),
        chunk(choice(0, "stop", role="assistant")),
    )
    assert (c.choices[0].message.role, c.choices[0].message.content, c.warnings) == (
        "assistant",
        "ab",
        (),
    )


@pytest.mark.parametrize("blank", ["", None])
def test_blank_role_is_absent(run: Run, blank: str | None) -> None:
    c = run(
        chunk(choice(0, role=blank)), chunk(choice(0, role="tool")), chunk(choice(0, role=blank))
    )
    assert (c.choices[0].message.role, c.warnings) == ("tool", ())


def test_only_blank_role_gives_assistant(run: Run) -> None:
    c = run(chunk(choice(0, role="")), chunk(choice(0, role=None)))
    assert c.choices[0].message.role == "assistant"


def test_different_role_strict_raises() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(choice(0, role="assistant", content="a")),
        chunk(choice(0, role="user", content="b")),
    )
    assert str(exc) == (
        "expected role 'assistant' at .choices[0].delta.role, got str 'user' (chunk 1, byte 100)"
    )
    assert (exc.field, exc.held, exc.got, exc.path) == (
        "role",
        "assistant",
        "user",
        ".choices[0].delta.role",
    )
    assert exc.partial.choices[0].message.content == "a"


def test_different_role_lenient_keeps_the_first_and_warns(run: Run) -> None:
    c = run(
        chunk(choice(0, role="assistant", content="a")),
        chunk(choice(0, role="user", content="b")),
        strict=False,
    )
    assert (c.choices[0].message.role, c.choices[0].message.content) == ("assistant", "ab")
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index, w.path) == (
        "inconsistent",
        "role",
        1,
        ".choices[0].delta.role",
    )
    assert w.message == (
        "expected role 'assistant' at .choices[0].delta.role, got str 'user'; kept the first"
    )


# ---------------------------------------------------------------------------------------------
# Tool calls


def test_tool_call_id_and_type_set_once_identical_repeat_is_a_no_op(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_1", "function", "f", '{"a"'))),
        chunk(tools(call(0, "call_1", "function", arguments=":1}"))),
    )
    assert message(c)["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]
    assert c.warnings == ()


def test_blank_tool_call_id_and_type_are_absent(run: Run) -> None:
    # DashScope sends id "" and type "" on continuation fragments; a blank first fragment must
    # not seed the id either.
    c = run(
        chunk(tools(call(0, "", "", "f", ""))),
        chunk(tools(call(0, "call_9", "function", arguments="{"))),
        chunk(tools(call(0, "", "", arguments="}"))),
        chunk(tools({"index": 0, "id": None, "type": None, "function": {"arguments": ""}})),
    )
    assert message(c)["tool_calls"] == [
        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert c.warnings == ()


def test_tool_call_type_never_sent_is_function_and_arguments_never_sent_is_empty(
    run: Run,
) -> None:
    c = run(chunk(tools(call(0, "call_1", name="f"))))
    assert message(c)["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
    ]


def test_tool_call_name_split_is_appended_and_a_repeat_is_not(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_1", name="get_"))),
        chunk(tools(call(0, name="weather"))),
        chunk(tools(call(0, name="get_weather", arguments="{}"))),  # resent whole: a repeat
    )
    assert c.choices[0].message.tool_calls is not None
    assert c.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert c.choices[0].message.tool_calls[0].function.arguments == "{}"


def test_legacy_function_call_name_and_arguments(run: Run) -> None:
    c = run(
        chunk(choice(0, role="assistant", function_call={"name": "get", "arguments": ""})),
        chunk(choice(0, function_call={"name": "_time", "arguments": '{"tz":'})),
        chunk(choice(0, function_call={"name": "get_time", "arguments": ' "UTC"}'})),
        chunk(choice(0, "function_call")),
    )
    assert message(c) == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "function_call": {"name": "get_time", "arguments": '{"tz": "UTC"}'},
    }
    assert c.choices[0].finish_reason == "function_call"


def test_tool_calls_without_index_are_matched_by_id(run: Run) -> None:
    c = run(
        chunk(tools(call(None, "call_a", "function", "f", "{"))),
        chunk(tools(call(None, "call_b", "function", "g", "["))),
        chunk(tools(call(None, "call_a", arguments="}"))),
        chunk(tools(call(None, "call_b", arguments="]"))),
    )
    assert [
        (t["id"], t["function"]["name"], t["function"]["arguments"])
        for t in message(c)["tool_calls"]
    ] == [("call_a", "f", "{}"), ("call_b", "g", "[]")]
    assert c.warnings == ()


def test_tool_call_without_index_or_id_continues_the_only_open_call(run: Run) -> None:
    c = run(
        chunk(tools(call(None, "call_a", "function", "f", '{"x"'))),
        chunk(tools(call(None, arguments=": 1"))),
        chunk(tools(call(None, "", arguments="}"))),
    )
    assert message(c)["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
    ]
    assert c.warnings == ()


def test_tool_call_without_index_or_id_and_no_open_call_starts_one(run: Run) -> None:
    c = run(chunk(tools(call(None, name="f", arguments="{}"))))
    assert message(c)["tool_calls"] == [
        {"id": None, "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]


@pytest.mark.parametrize("strict", [True, False])
def test_tool_call_without_index_or_id_among_several_open_calls_warns(
    run: Run, strict: bool
) -> None:
    c = run(
        chunk(tools(call(None, "call_a", name="f", arguments="1"))),
        chunk(tools(call(None, "call_b", name="g", arguments="2"))),
        chunk(tools(call(None, arguments="3"))),
        strict=strict,
    )
    assert [t["function"]["arguments"] for t in message(c)["tool_calls"]] == ["1", "23"]
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index, w.path) == (
        "ambiguous",
        "tool_calls",
        2,
        ".choices[0].delta.tool_calls[0]",
    )
    assert w.message == (
        "tool call fragment without index or id at .choices[0].delta.tool_calls[0] "
        "continues the last of 2 open calls"
    )


def test_tool_calls_listed_by_index_then_index_less_in_arrival_order(run: Run) -> None:
    c = run(
        chunk(tools(call(2, "call_c", name="c"))),
        chunk(tools(call(None, "call_x", name="x"))),
        chunk(tools(call(0, "call_a", name="a"), call(None, "call_y", name="y"))),
        chunk(tools(call(1, "call_b", name="b"))),
    )
    assert [t["id"] for t in message(c)["tool_calls"]] == [
        "call_a",
        "call_b",
        "call_c",
        "call_x",
        "call_y",
    ]
    assert all("index" not in t for t in message(c)["tool_calls"])


def test_parallel_tool_calls_interleaved_by_index(run: Run) -> None:
    c = run(
        chunk(
            tools(call(0, "call_a", "function", "f", ""), call(1, "call_b", "function", "g", ""))
        ),
        chunk(tools(call(1, arguments='{"b"'))),
        chunk(tools(call(0, arguments='{"a"'))),
        chunk(tools(call(0, arguments=":0}"), call(1, arguments=":1}"))),
    )
    assert [(t["id"], t["function"]["arguments"]) for t in message(c)["tool_calls"]] == [
        ("call_a", '{"a":0}'),
        ("call_b", '{"b":1}'),
    ]


def test_tool_call_differing_id_at_same_index_lenient_starts_a_new_call(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_a", "function", "f", "1"))),
        chunk(tools(call(0, "call_b", "function", "g", "2"))),
        chunk(tools(call(0, arguments="3"))),  # continues the call now holding index 0
        strict=False,
    )
    assert [
        (t["id"], t["function"]["name"], t["function"]["arguments"])
        for t in message(c)["tool_calls"]
    ] == [("call_a", "f", "1"), ("call_b", "g", "23")]
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index, w.path) == (
        "inconsistent",
        "tool_calls.id",
        1,
        ".choices[0].delta.tool_calls[0].id",
    )
    assert w.message == (
        "expected tool call id 'call_a' at .choices[0].delta.tool_calls[0].id (index 0), "
        "got str 'call_b'; kept both, as two calls"
    )


def test_tool_call_differing_id_at_same_index_strict_raises() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(tools(call(0, "call_a", "function", "f", "1"))),
        chunk(tools(call(0, "call_b", "function", "g", "2"))),
    )
    assert str(exc) == (
        "expected tool call id 'call_a' at .choices[0].delta.tool_calls[0].id (index 0), "
        "got str 'call_b' (chunk 1, byte 100)"
    )
    assert (exc.field, exc.held, exc.got, exc.path, exc.chunk_index, exc.byte_offset) == (
        "tool_calls.id",
        "call_a",
        "call_b",
        ".choices[0].delta.tool_calls[0].id",
        1,
        100,
    )
    assert exc.partial.choices[0].message.tool_calls[0].function.arguments == "1"


def test_tool_call_type_conflict_strict_raises() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(tools(call(0, "call_a", "function", "f"))),
        chunk(tools(call(0, "call_a", "custom"))),
    )
    assert str(exc) == (
        "expected tool_calls.type 'function' at .choices[0].delta.tool_calls[0].type, "
        "got str 'custom' (chunk 1, byte 100)"
    )
    assert (exc.field, exc.held, exc.got, exc.path) == (
        "tool_calls.type",
        "function",
        "custom",
        ".choices[0].delta.tool_calls[0].type",
    )


def test_tool_call_type_conflict_lenient_keeps_the_first_and_warns(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_a", "function", "f"))),
        chunk(tools(call(0, "call_a", "custom", arguments="{}"))),
        strict=False,
    )
    assert message(c)["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index) == ("inconsistent", "tool_calls.type", 1)
    assert w.message == (
        "expected tool_calls.type 'function' at .choices[0].delta.tool_calls[0].type, "
        "got str 'custom'; kept the first"
    )


def test_arguments_and_content_containing_done_are_kept(run: Run) -> None:
    c = run(
        chunk(choice(0, content="data: [DO")),
        chunk(choice(0, content="NE]")),
        chunk(tools(call(0, "call_1", "function", "echo", '{"text": "[DO'))),
        chunk(tools(call(0, arguments='NE]"}'))),
        chunk(tools(call(0, arguments=""), finish_reason="tool_calls")),
    )
    assert c.choices[0].message.content == "data: [DONE]"
    assert message(c)["tool_calls"][0]["function"]["arguments"] == '{"text": "[DONE]"}'


def test_tool_call_vendor_fields_follow_the_delta_rule(run: Run) -> None:
    fragment0 = {"index": 0, "id": "call_1", "function": {"name": "f", "x_fn": "a"}, "x_call": [1]}
    fragment1 = {"index": 0, "function": {"arguments": "{}", "x_fn": "b"}, "x_call": [2]}
    c = run(chunk(tools(fragment0)), chunk(tools(fragment1)))
    assert message(c)["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "f", "arguments": "{}", "x_fn": "ab"},
            "x_call": [1, 2],
        }
    ]


# ---------------------------------------------------------------------------------------------
# finish_reason


def test_empty_finish_reason_counts_as_null(run: Run) -> None:
    c = run(
        chunk(choice(0, "", content="a")),
        chunk(choice(0, "stop")),
        chunk(choice(0, "")),  # "" after "stop" is no conflict either
    )
    assert (c.choices[0].finish_reason, c.warnings) == ("stop", ())


def test_only_empty_finish_reason_stays_null(run: Run) -> None:
    c = run(chunk(choice(0, "", content="a")))
    assert c.choices[0].finish_reason is None


def test_same_finish_reason_repeated_is_fine(run: Run) -> None:
    c = run(chunk(choice(0, "stop", content="a")), chunk(choice(0, "stop")))
    assert (c.choices[0].finish_reason, c.warnings) == ("stop", ())


def test_conflicting_finish_reason_strict_raises() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(choice(0, "stop", content="a")),
        chunk(choice(0, "length")),
    )
    assert str(exc) == (
        "expected finish_reason 'stop' (as in chunk 0) at .choices[0].finish_reason, "
        "got str 'length' (chunk 1, byte 100)"
    )
    assert (exc.field, exc.held, exc.got, exc.path) == (
        "finish_reason",
        "stop",
        "length",
        ".choices[0].finish_reason",
    )


def test_conflicting_finish_reason_lenient_last_wins_and_warns(run: Run) -> None:
    c = run(
        chunk(choice(0, "stop", content="a")),
        chunk(choice(0, "length")),
        chunk(choice(0, "content_filter")),
        strict=False,
    )
    assert c.choices[0].finish_reason == "content_filter"
    assert [(w.kind, w.field, w.chunk_index, w.message) for w in c.warnings] == [
        (
            "inconsistent",
            "finish_reason",
            1,
            "expected finish_reason 'stop' (as in chunk 0) at .choices[0].finish_reason, "
            "got str 'length'",
        ),
        (
            "inconsistent",
            "finish_reason",
            2,
            "expected finish_reason 'length' (as in chunk 1) at .choices[0].finish_reason, "
            "got str 'content_filter'",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# usage

USAGE_1 = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
USAGE_2 = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def test_usage_last_non_null_wins_never_summed(run: Run) -> None:
    c = run(
        chunk(choice(0, content="a"), usage=USAGE_1),
        chunk(choice(0, "stop"), usage=USAGE_2),
        chunk(usage=None),  # never wipes the usage held
        chunk(choice(0)),
    )
    assert c.to_dict()["usage"] == USAGE_2  # not 20 / 6 / 26


def test_usage_never_sent_is_null(run: Run) -> None:
    c = run(chunk(choice(0, "stop", content="a"), usage=None))
    assert (c.usage, c.to_dict()["usage"]) == (None, None)


@pytest.mark.parametrize("choices", [[], None, DROP], ids=["empty", "null", "missing"])
def test_usage_only_last_chunk(run: Run, choices: Any) -> None:
    c = run(chunk(choice(0, "stop", content="hi")), chunk(choices=choices, usage=USAGE_1))
    assert c.to_dict()["usage"] == USAGE_1
    assert [(ch.index, ch.message.content) for ch in c.choices] == [(0, "hi")]


def test_usage_keeps_details_and_vendor_keys(run: Run) -> None:
    usage = {
        **USAGE_1,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 0},
        "cost": 0.002,
    }
    c = run(chunk(usage=usage))
    assert c.to_dict()["usage"] == usage
    assert c.usage is not None and c.usage.prompt_tokens_details is not None
    assert c.usage.prompt_tokens_details.cached_tokens == 3


GROQ_USAGE = {"queue_time": 0.01, "prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}


def test_x_groq_usage_is_used_when_there_is_no_top_level_usage(run: Run) -> None:
    c = run(
        chunk(choice(0, content="a"), x_groq={"id": "req_1"}),
        chunk(choice(0, "stop"), x_groq={"id": "req_1", "usage": GROQ_USAGE}),
    )
    assert c.to_dict()["usage"] == GROQ_USAGE
    # x_groq itself stays at the top level, merged key by key.
    assert c.to_dict()["x_groq"] == {"id": "req_1", "usage": GROQ_USAGE}


@pytest.mark.parametrize("groq_first", [True, False])
def test_top_level_usage_is_preferred_over_x_groq_usage(run: Run, groq_first: bool) -> None:
    groq = chunk(choice(0, "stop"), x_groq={"usage": GROQ_USAGE})
    top = chunk(usage=USAGE_1)
    c = run(chunk(choice(0, content="a")), *((groq, top) if groq_first else (top, groq)))
    assert c.to_dict()["usage"] == USAGE_1


def test_invalid_x_groq_usage_is_not_used_and_warned(run: Run) -> None:
    c = run(chunk(x_groq={"usage": {"prompt_tokens": "7"}}))
    assert c.usage is None
    assert c.to_dict()["x_groq"] == {"usage": {"prompt_tokens": "7"}}
    [w] = c.warnings
    assert (w.kind, w.path, w.chunk_index) == ("ignored", ".x_groq.usage.prompt_tokens", 0)
    assert w.message == (
        "x_groq.usage not used as usage: "
        "expected int or null at .x_groq.usage.prompt_tokens, got str '7'"
    )


# ---------------------------------------------------------------------------------------------
# Surrogate pairs split across chunks (json.loads gives lone surrogates for "\ud83d")

GRIN = "\U0001f600"  # U+1F600, UTF-16 "\ud83d\ude00"


def _halves(field: str) -> tuple[dict[str, Any], dict[str, Any], Callable[[Any], Any]]:
    """Two chunks carrying "a" + U+D83D then U+DE00 + "b" in ``field``, and how to read it back."""
    if field == "arguments":
        return (
            chunk(tools(call(0, "call_1", "function", "f", "a\ud83d"))),
            chunk(tools(call(0, arguments="\ude00b"))),
            lambda c: message(c)["tool_calls"][0]["function"]["arguments"],
        )
    return (
        chunk(choice(0, **{field: "a\ud83d"})),
        chunk(choice(0, **{field: "\ude00b"})),
        lambda c: message(c)[field],
    )


TEXT_FIELDS = ["content", "refusal", "reasoning_content", "reasoning", "arguments", "x_transcript"]


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_surrogate_pair_split_across_chunks_is_joined(run: Run, field: str) -> None:
    first, second, get = _halves(field)
    assert get(run(first, second)) == "a" + GRIN + "b"


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_lone_surrogate_becomes_replacement_character(run: Run, field: str) -> None:
    first, _, get = _halves(field)
    assert get(run(first)) == "a\ufffd"  # the low half never came


def test_lone_low_surrogate_alone_becomes_replacement_character(run: Run) -> None:
    c = run(chunk(choice(0, content="\ude00")), chunk(choice(0, content="x")))
    assert c.choices[0].message.content == "\ufffdx"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def test_no_lone_surrogate_is_left_in_any_final_string(run: Run) -> None:
    lone = "s\ud83d"
    c = run(
        chunk(
            tools(call(0, lone, lone, lone, lone)),
            id=lone,
            model=lone,
            system_fingerprint=lone,
            service_tier=lone,
            x_top={"k": lone, "l": [lone]},
        ),
        chunk(
            with_extra(
                choice(
                    1,
                    lone,
                    role=lone,
                    content=[{"type": "text", "text": lone}],
                    channel=lone,
                    x_delta={"k": lone},
                    x_list=[lone],
                ),
                x_choice=lone,
            ),
            id=lone,
            model=lone,
            usage={"prompt_tokens": 1, "x_note": lone},
            error={"message": lone},
        ),
        strict=False,
    )
    strings = list(_strings(c.to_dict()))
    assert len(strings) > 20
    for s in strings:
        s.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
    assert c.id == "s\ufffd"


# ---------------------------------------------------------------------------------------------
# Mistral list content


def test_mistral_text_parts_go_to_content_and_thinking_to_reasoning_content(run: Run) -> None:
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me "}]},
        {"type": "thinking", "thinking": [{"type": "text", "text": "think"}, {"type": "x"}]},
        {"type": "thinking", "thinking": "... more"},
        {"type": "text", "text": "The answer"},
        {"type": "text", "text": " is 4"},
    ]
    c = run(
        chunk(choice(0, role="assistant", content=parts[:1])),
        chunk(choice(0, content=parts[1:3])),
        chunk(choice(0, content=parts[3:])),
        chunk(choice(0, "stop", content="")),
    )
    assert message(c) == {
        "role": "assistant",
        "content": "The answer is 4",
        "refusal": None,
        "reasoning_content": "Let me think... more",
        "content_parts": parts,
    }


def test_mixed_string_and_list_content(run: Run) -> None:
    part = {"type": "text", "text": ", world"}
    c = run(
        chunk(choice(0, content="Hello")),
        chunk(choice(0, content=[part])),
        chunk(choice(0, content="!")),
    )
    m = c.choices[0].message
    assert (m.content, m.content_parts) == ("Hello, world!", (part,))


def test_list_content_keeps_parts_of_unknown_types_in_order(run: Run) -> None:
    parts = [
        {"type": "text", "text": "see "},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "text", "text": "above"},
    ]
    c = run(chunk(choice(0, content=parts)))
    assert message(c)["content"] == "see above"
    assert message(c)["content_parts"] == parts


def test_content_parts_absent_when_content_is_always_a_string(run: Run) -> None:
    c = run(chunk(choice(0, content="plain")))
    assert "content_parts" not in message(c)
    assert c.choices[0].message.content_parts is None


# ---------------------------------------------------------------------------------------------
# Unknown fields


def test_unknown_delta_fields_strings_appended_lists_extended_objects_merged(run: Run) -> None:
    c = run(
        chunk(
            choice(
                0,
                content="x",
                score=1,
                flag=None,
                note="a",
                meta={"a": {"b": "x"}},
            )
        ),
        chunk(
            choice(
                0,
                score=None,  # a null never overwrites
                flag=None,
                note="b",
                meta={"a": {"b": "y", "c": [1]}},
            )
        ),
        chunk(
            choice(
                0,
                score=3,
                meta={"a": {"c": [2], "d": None}, "e": True},
            )
        ),
        chunk(choice(0, meta={"e": False})),
    )
    assert message(c) == {
        "role": "assistant",
        "content": "x",
        "refusal": None,
        "score": 3,
        "flag": None,  # only ever null: kept as null
        "note": "ab",
        "meta": {"a": {"b": "xy", "c": [1, 2], "d": None}, "e": False},
    }


def test_vendor_list_items_are_appended_as_sent(run: Run) -> None:
    # Objects without "index", items that are not objects, and
    # indexed objects in any list but reasoning_details (Groq's executed_tools repeats a tool's
    # whole state under its index: merging would double its arguments): each is its own item.
    a1 = {"type": "url_citation", "url": "https://a"}
    a2 = {"type": "url_citation", "url": "https://a"}  # the same again: still kept
    t1 = {"index": 0, "type": "search", "arguments": '{"q": 1}', "search_results": {"n": 2}}
    t2 = {"index": 0, "type": "search", "arguments": '{"q": 1}', "output": "found"}
    c = run(
        chunk(choice(0, sources=[a1], extras=["p", 1], executed_tools=[t1])),
        chunk(choice(0, sources=[a2], extras=[None, "p"], executed_tools=[t2])),
    )
    assert message(c)["sources"] == [a1, a2]
    assert message(c)["extras"] == ["p", 1, None, "p"]
    assert message(c)["executed_tools"] == [t1, t2]


def test_reasoning_details_items_without_an_integer_index_are_appended(run: Run) -> None:
    d1 = {"type": "reasoning.text", "text": "a"}
    d2 = {"type": "reasoning.text", "text": "b", "index": True}  # a bool is not an index
    d3 = {"type": "reasoning.text", "text": "c", "index": "0"}
    c = run(
        chunk(choice(0, reasoning_details=[d1, d2])),
        chunk(choice(0, reasoning_details=[d1, d2, d3, "x"])),
    )
    assert message(c)["reasoning_details"] == [d1, d2, d1, d2, d3, "x"]


def test_reasoning_details_fragments_with_one_index_are_one_item(run: Run) -> None:
    # Vercel's gateway (corpus: vercel-gateway/claude-thinking-tool.sse): a one-item list per
    # delta, each a fragment of item 0; type/format/index repeated, signature "" on the text
    # fragments and whole on a last fragment whose text is "". An encrypted item 1 in between.
    def frag(text: str, signature: str = "") -> dict[str, Any]:
        return {
            "type": "reasoning.text",
            "text": text,
            "signature": signature,
            "format": "anthropic-claude-v1",
            "index": 0,
        }

    enc = {"type": "reasoning.encrypted", "data": "QUJD", "format": "anthropic-claude-v1"}
    c = run(
        chunk(choice(0, reasoning="The user", reasoning_details=[frag("The user")])),
        chunk(choice(0, reasoning_details=[{**enc, "index": 1}])),
        chunk(choice(0, reasoning=" asks", reasoning_details=[frag(" asks")])),
        chunk(choice(0, reasoning_details=[frag("", "EqUD")])),
    )
    assert message(c)["reasoning_details"] == [
        {
            "type": "reasoning.text",
            "text": "The user asks",
            "signature": "EqUD",
            "format": "anthropic-claude-v1",
            "index": 0,
        },
        {**enc, "index": 1},
    ]
    assert message(c)["reasoning"] == "The user asks"


def test_an_indexed_item_sets_its_names_once_and_keeps_a_null_one_until_one_comes(
    run: Run,
) -> None:
    # OpenRouter/MiniMax sends "format": null on every fragment; Snowflake repeats "id". A
    # name (type, id, format) is set once, blank counts as absent, never appended; null is
    # kept while nothing else came; other strings are appended, other values last non-null.
    c = run(
        chunk(
            choice(0, reasoning_details=[{"type": "t", "text": "We", "index": 0, "format": None}])
        ),
        chunk(choice(0, reasoning_details=[{"type": "t", "text": " need", "index": 0, "id": ""}])),
        chunk(choice(0, reasoning_details=[{"type": "", "id": "r-1", "index": 0, "n": 1}])),
        chunk(choice(0, reasoning_details=[{"id": "r-1", "index": 0, "n": None, "text": "!"}])),
    )
    assert message(c)["reasoning_details"] == [
        {"type": "t", "text": "We need!", "index": 0, "format": None, "id": "r-1", "n": 1}
    ]
    c = run(
        chunk(choice(0, reasoning_details=[{"type": "t", "index": 0, "format": None}])),
        chunk(choice(0, reasoning_details=[{"type": "t", "index": 0, "format": "f"}])),
    )
    assert message(c)["reasoning_details"] == [{"type": "t", "index": 0, "format": "f"}]


def test_an_indexed_fragment_with_another_name_starts_a_new_item(run: Run) -> None:
    # Nothing is merged into an item it does not belong to: a different non-blank type (or id,
    # or format) at a held index is a new item, and later fragments of that index go to it.
    c = run(
        chunk(choice(0, reasoning_details=[{"type": "reasoning.text", "text": "a", "index": 0}])),
        chunk(
            choice(0, reasoning_details=[{"type": "reasoning.summary", "summary": "s", "index": 0}])
        ),
        chunk(
            choice(0, reasoning_details=[{"type": "reasoning.summary", "summary": "t", "index": 0}])
        ),
        chunk(choice(0, reasoning_details=[{"summary": "u", "index": 0}])),
    )
    assert message(c)["reasoning_details"] == [
        {"type": "reasoning.text", "text": "a", "index": 0},
        {"type": "reasoning.summary", "summary": "stu", "index": 0},
    ]
    c = run(
        chunk(choice(0, reasoning_details=[{"id": "r1", "text": "a", "index": 0}])),
        chunk(choice(0, reasoning_details=[{"id": "r2", "text": "b", "index": 0}])),
        chunk(choice(0, reasoning_details=[{"format": "f", "text": "c", "index": 0}])),
        chunk(choice(0, reasoning_details=[{"format": "g", "text": "d", "index": 0}])),
    )
    assert message(c)["reasoning_details"] == [
        {"id": "r1", "text": "a", "index": 0},
        {"id": "r2", "text": "bc", "index": 0, "format": "f"},
        {"format": "g", "text": "d", "index": 0},
    ]


def test_an_earlier_snapshot_does_not_change_when_an_indexed_item_grows() -> None:
    acc = Accumulator()
    acc._merge(chunk(choice(0, reasoning_details=[{"type": "t", "text": "a", "index": 0}])), 0, 0)
    first = acc.snapshot()
    acc._merge(chunk(choice(0, reasoning_details=[{"type": "t", "text": "b", "index": 0}])), 1, 1)
    acc._merge(chunk(choice(0, reasoning_details=[{"type": "t", "text": "c", "index": 1}])), 2, 2)
    second = acc.snapshot()
    assert message(first)["reasoning_details"] == [{"type": "t", "text": "a", "index": 0}]
    assert message(second)["reasoning_details"] == [
        {"type": "t", "text": "ab", "index": 0},
        {"type": "t", "text": "c", "index": 1},
    ]
    assert message(acc.close()) == message(second)


def test_channel_label_last_non_blank_wins(run: Run) -> None:
    c = run(
        chunk(choice(0, channel="analysis", reasoning="r")),
        chunk(choice(0, channel="analysis", reasoning="s")),
        chunk(choice(0, channel="final", content="x")),
        chunk(choice(0, channel="", content="y")),
        chunk(choice(0, channel=None)),
    )
    assert message(c)["channel"] == "final"  # not "analysisanalysisfinal"


def test_channel_only_null_is_kept_as_null(run: Run) -> None:
    c = run(chunk(choice(0, channel=None, content="x")))
    assert message(c)["channel"] is None


def test_unknown_top_level_fields_objects_merged_lists_and_scalars_last_non_null(
    run: Run,
) -> None:
    c = run(
        chunk(
            choice(0, content="a"),
            x_provider={"a": {"b": 1, "l": [1]}, "s": "x"},
            citations=["https://a", "https://b"],
            x_pad="abc",
            nullonly=None,
        ),
        chunk(
            choice(0, content="b"),
            x_provider={"a": {"c": 2, "l": [2]}, "s": None},
            citations=["https://a", "https://b"],
            x_pad="de",
        ),
        chunk(choice(0, "stop"), citations=None, x_pad=None, nullonly=None),
    )
    d = c.to_dict()
    assert d["x_provider"] == {"a": {"b": 1, "c": 2, "l": [2]}, "s": "x"}
    assert d["citations"] == ["https://a", "https://b"]  # repeated whole: still one list
    assert d["x_pad"] == "de"  # a top-level string is not appended
    assert d["nullonly"] is None
    assert c.extra == {
        "x_provider": {"a": {"b": 1, "c": 2, "l": [2]}, "s": "x"},
        "citations": ["https://a", "https://b"],
        "x_pad": "de",
        "nullonly": None,
    }


def test_unknown_choice_fields_objects_merged_others_last_non_null(run: Run) -> None:
    c = run(
        chunk(
            with_extra(
                choice(0, content="a"),
                content_filter_results={"hate": {"filtered": False, "severity": "safe"}},
                native_finish_reason=None,
                stop_reason=None,
                x_tags=["a"],
            )
        ),
        chunk(
            with_extra(
                choice(0, "stop"),
                content_filter_results={"violence": {"filtered": False}},
                native_finish_reason="end_turn",
                x_tags=["b"],
            )
        ),
        chunk(with_extra(choice(0), native_finish_reason=None, x_tags=None)),
    )
    assert c.to_dict()["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": "a", "refusal": None},
        "finish_reason": "stop",
        "logprobs": None,
        "content_filter_results": {
            "hate": {"filtered": False, "severity": "safe"},
            "violence": {"filtered": False},
        },
        "native_finish_reason": "end_turn",
        "stop_reason": None,  # only ever null: kept as null
        "x_tags": ["b"],  # lists at the choice level: last non-null wins
    }


def test_object_replaced_by_scalar_and_back_follows_last_non_null(run: Run) -> None:
    c = run(
        chunk(x_v={"a": 1}, x_w=5),
        chunk(x_v="flat", x_w={"b": 2}),
        chunk(x_v={"c": 3}, x_w={"d": 4}),
    )
    assert (c.extra["x_v"], c.extra["x_w"]) == ({"c": 3}, {"b": 2, "d": 4})


def test_merged_values_do_not_alias_the_chunks() -> None:
    # The stream layer gives fresh dicts, but a caller of merge() may reuse its own.
    top = {"a": {"b": 1}}
    delta_obj = {"k": [1]}
    d = chunk(choice(0, x_obj=delta_obj), x_top=top)
    acc = Accumulator()
    acc._merge(d, 0, 0)
    acc._merge(chunk(choice(0, x_obj={"k": [2]}), x_top={"a": {"c": 2}}), 1, 100)
    assert (top, delta_obj) == ({"a": {"b": 1}}, {"k": [1]})
    c = acc.close()
    assert c.extra["x_top"] == {"a": {"b": 1, "c": 2}}
    assert message(c)["x_obj"] == {"k": [1, 2]}


# ---------------------------------------------------------------------------------------------
# system_fingerprint, service_tier


@pytest.mark.parametrize("field", ["system_fingerprint", "service_tier"])
def test_first_non_blank_fingerprint_and_tier_are_kept(run: Run, field: str) -> None:
    c = run(
        chunk(**{field: ""}), chunk(**{field: None}), chunk(**{field: "v1"}), chunk(**{field: "v1"})
    )
    assert (getattr(c, field), c.warnings) == ("v1", ())


@pytest.mark.parametrize("field", ["system_fingerprint", "service_tier"])
def test_never_sent_fingerprint_and_tier_are_null(run: Run, field: str) -> None:
    c = run(chunk(**{field: DROP}), chunk(**{field: ""}))
    assert getattr(c, field) is None
    assert c.to_dict()[field] is None


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("field", ["system_fingerprint", "service_tier"])
def test_changed_fingerprint_and_tier_warn_in_both_modes(field: str, strict: bool) -> None:
    acc = merged(
        chunk(**{field: "fp_1"}),
        chunk(**{field: "fp_1"}),
        chunk(**{field: "fp_2"}),
        strict=strict,
    )
    c = acc.close()
    assert getattr(c, field) == "fp_1"
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index, w.byte_offset, w.path) == (
        "changed",
        field,
        2,
        200,
        "." + field,
    )
    assert (
        str(w)
        == f"{field} changed from 'fp_1' (chunk 0) to 'fp_2'; kept the first (chunk 2, byte 200)"
    )


# ---------------------------------------------------------------------------------------------
# Consistency policy: id, model, created


@pytest.mark.parametrize("blank", ["", None, DROP], ids=["empty", "null", "missing"])
@pytest.mark.parametrize("created_blank", [0, None, DROP], ids=["zero", "null", "missing"])
def test_blank_id_model_created_never_seed_nor_conflict(
    run: Run, blank: Any, created_blank: Any
) -> None:
    # Azure's content-filter chunks: id "", model "", created 0.
    azure = chunk(id=blank, model=blank, created=created_blank, prompt_filter_results=[])
    c = run(azure, chunk(choice(0, content="a")), azure, chunk(choice(0, "stop")), azure)
    assert (c.id, c.model, c.created, c.object, c.warnings) == (
        ID,
        MODEL,
        CREATED,
        "chat.completion",
        (),
    )


def test_all_blank_id_model_created_give_null(run: Run) -> None:
    c = run(chunk(choice(0, content="a"), id="", model=None, created=0))
    d = c.to_dict()
    assert (d["id"], d["object"], d["created"], d["model"]) == (None, "chat.completion", None, None)


def test_no_chunk_at_all_gives_an_empty_completion() -> None:
    c = Accumulator().close()
    assert c.to_dict() == {
        "id": None,
        "object": "chat.completion",
        "created": None,
        "model": None,
        "system_fingerprint": None,
        "service_tier": None,
        "choices": [],
        "usage": None,
    }
    assert c.warnings == ()


def test_strict_second_different_id_raises_with_every_attribute() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(choice(0, role="assistant", content="Hel")),
        chunk(choice(0, content="lo"), id=""),
        chunk(choice(0, content="!"), id="chatcmpl-2"),
    )
    assert isinstance(exc, ValueError)
    assert str(exc) == (
        "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'chatcmpl-2' (chunk 2, byte 200)"
    )
    assert exc.reason == "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'chatcmpl-2'"
    assert (exc.field, exc.held, exc.got, exc.chunk_index, exc.byte_offset, exc.path) == (
        "id",
        "chatcmpl-1",
        "chatcmpl-2",
        2,
        200,
        ".id",
    )
    assert isinstance(exc.partial, ChatCompletion)
    assert exc.partial.id == ID
    assert exc.partial.choices[0].message.content == "Hello"  # chunk 2 not merged


def test_strict_second_different_model_raises() -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(choice(0, content="a"), model=""),
        chunk(choice(0, content="b"), model="m-1"),
        chunk(choice(0, content="c"), model="m-2"),
    )
    assert str(exc) == (
        "expected model 'm-1' (as in chunk 1) at .model, got str 'm-2' (chunk 2, byte 200)"
    )
    assert (exc.field, exc.held, exc.got, exc.chunk_index, exc.byte_offset, exc.path) == (
        "model",
        "m-1",
        "m-2",
        2,
        200,
        ".model",
    )
    assert exc.partial.choices[0].message.content == "ab"


def test_conflict_message_cuts_long_values_short() -> None:
    exc = raises_at(InconsistentStreamError, chunk(), chunk(id="x" * 1000))
    # describe() uses reprlib with maxstring 60: the repr of the first 28 and last 29
    # characters, cut to its first 28 and last 29 characters around "...".
    held = repr(ID)
    assert str(exc) == (
        f"expected id {held} (as in chunk 0) at .id, got str "
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx' (chunk 1, byte 100)"
    )
    assert exc.got == "x" * 1000  # the attribute keeps the whole value


@pytest.mark.parametrize("step", [0, 1, 599, 600])
def test_created_may_move_forward_up_to_the_tolerance(run: Run, step: int) -> None:
    c = run(chunk(choice(0, content="a")), chunk(choice(0, "stop"), created=CREATED + step))
    assert (c.created, c.warnings) == (CREATED, ())


def test_created_past_the_tolerance_raises() -> None:
    exc = raises_at(InconsistentStreamError, chunk(), chunk(created=CREATED + 601))
    assert str(exc) == (
        "expected created within 0..600 s after 1700000000 (as in chunk 0) at .created, "
        "got int 1700000601 (chunk 1, byte 100)"
    )
    assert (exc.field, exc.held, exc.got, exc.path) == (
        "created",
        CREATED,
        CREATED + 601,
        ".created",
    )


def test_created_never_moves_backward() -> None:
    exc = raises_at(InconsistentStreamError, chunk(), chunk(created=0), chunk(created=CREATED - 1))
    assert str(exc) == (
        "expected created within 0..600 s after 1700000000 (as in chunk 0) at .created, "
        "got int 1699999999 (chunk 2, byte 200)"
    )
    assert (exc.held, exc.got) == (CREATED, CREATED - 1)


def test_created_tolerance_counts_from_the_first_value() -> None:
    # +400 then +700: only 300 s after the previous chunk, but 700 s after the first.
    exc = raises_at(
        InconsistentStreamError, chunk(), chunk(created=CREATED + 400), chunk(created=CREATED + 700)
    )
    assert str(exc) == (
        "expected created within 0..600 s after 1700000000 (as in chunk 0) at .created, "
        "got int 1700000700 (chunk 2, byte 200)"
    )


def test_created_may_go_back_towards_the_first_value(run: Run) -> None:
    c = run(chunk(), chunk(created=CREATED + 4), chunk(created=CREATED + 2))
    assert (c.created, c.warnings) == (CREATED, ())


def test_custom_created_tolerance(run: Run) -> None:
    c = run(chunk(), chunk(created=CREATED + 5), created_tolerance=5)
    assert c.warnings == ()
    exc = raises_at(
        InconsistentStreamError, chunk(), chunk(created=CREATED + 6), created_tolerance=5
    )
    assert str(exc) == (
        "expected created within 0..5 s after 1700000000 (as in chunk 0) at .created, "
        "got int 1700000006 (chunk 1, byte 100)"
    )
    exc = raises_at(
        InconsistentStreamError, chunk(), chunk(created=CREATED + 1), created_tolerance=0
    )
    assert str(exc) == (
        "expected created within 0..0 s after 1700000000 (as in chunk 0) at .created, "
        "got int 1700000001 (chunk 1, byte 100)"
    )


def test_lenient_keeps_first_id_model_created_and_warns(run: Run) -> None:
    c = run(
        chunk(choice(0, content="a")),
        chunk(choice(0, content="b"), id="chatcmpl-2", model="other", created=CREATED - 10),
        chunk(choice(0, content="c"), created=CREATED + 601),
        strict=False,
    )
    assert (c.id, c.model, c.created, c.choices[0].message.content) == (ID, MODEL, CREATED, "abc")
    assert [(w.kind, w.field, w.chunk_index, w.path, w.message) for w in c.warnings] == [
        (
            "inconsistent",
            "id",
            1,
            ".id",
            "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'chatcmpl-2'",
        ),
        (
            "inconsistent",
            "created",
            1,
            ".created",
            "expected created within 0..600 s after 1700000000 (as in chunk 0) at .created, "
            "got int 1699999990",
        ),
        (
            "inconsistent",
            "model",
            1,
            ".model",
            "expected model 'gpt-test' (as in chunk 0) at .model, got str 'other'",
        ),
        (
            "inconsistent",
            "created",
            2,
            ".created",
            "expected created within 0..600 s after 1700000000 (as in chunk 0) at .created, "
            "got int 1700000601",
        ),
    ]


def test_lenient_warning_str_names_both_chunk_numbers() -> None:
    c = merged(chunk(), chunk(id="chatcmpl-2"), strict=False).close()
    [w] = c.warnings
    assert isinstance(w, StreamWarning)
    assert str(w) == (
        "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'chatcmpl-2' (chunk 1, byte 100)"
    )


# ---------------------------------------------------------------------------------------------
# Deltas after a choice finished

LATE = [
    ("content", {"content": "late"}, "str 'late'"),
    ("refusal", {"refusal": "no"}, "str 'no'"),
    ("reasoning_content", {"reasoning_content": "hm"}, "str 'hm'"),
    ("reasoning", {"reasoning": "hm"}, "str 'hm'"),
    (
        "tool_calls",
        {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
        "list [{'function': {...}, 'index': 0}]",  # reprlib sorts keys, stops at depth 2
    ),
    ("function_call", {"function_call": {"arguments": "{}"}}, "object {'arguments': '{}'}"),
    (
        "content",
        {"content": [{"type": "text", "text": "late"}]},
        "list [{'text': 'late', 'type': 'text'}]",
    ),
]


@pytest.mark.parametrize(("field", "delta", "shown"), LATE)
def test_delta_after_finish_strict_raises(field: str, delta: dict[str, Any], shown: str) -> None:
    exc = raises_at(
        InconsistentStreamError,
        chunk(choice(0, "stop", content="Hi")),
        chunk({"index": 0, "delta": delta}),
    )
    assert str(exc) == (
        f"expected nothing more after finish_reason 'stop' (chunk 0) at .choices[0].delta.{field}, "
        f"got {shown} (chunk 1, byte 100)"
    )
    assert (exc.field, exc.path, exc.chunk_index) == (field, f".choices[0].delta.{field}", 1)
    assert exc.partial.choices[0].message.content == "Hi"


@pytest.mark.parametrize(("field", "delta", "shown"), LATE)
def test_delta_after_finish_lenient_is_kept_and_warned(
    run: Run, field: str, delta: dict[str, Any], shown: str
) -> None:
    c = run(
        chunk(choice(0, "stop", content="Hi")), chunk({"index": 0, "delta": delta}), strict=False
    )
    [w] = c.warnings
    assert (w.kind, w.field, w.chunk_index, w.path) == (
        "late_delta",
        field,
        1,
        f".choices[0].delta.{field}",
    )
    assert w.message == (
        f"expected nothing more after finish_reason 'stop' (chunk 0) at .choices[0].delta.{field}, "
        f"got {shown}; kept it"
    )
    m = message(c)
    kept = {
        "content": "Hilate",
        "refusal": "no",
        "reasoning_content": "hm",
        "reasoning": "hm",
    }
    if field == "tool_calls":
        assert m["tool_calls"] == [
            {"id": None, "type": "function", "function": {"name": None, "arguments": "{}"}}
        ]
    elif field == "function_call":
        assert m["function_call"] == {"name": None, "arguments": "{}"}
    else:
        assert m[field] == kept[field]
    assert c.choices[0].finish_reason == "stop"


def test_harmless_deltas_after_finish_are_fine(run: Run) -> None:
    c = run(
        chunk(choice(0, "stop", role="assistant", content="Hi")),
        chunk(choice(0)),  # empty delta
        chunk({"index": 0}),  # no delta at all
        chunk(choice(0, role="assistant")),  # repeated role
        chunk(choice(0, annotations=[{"type": "url_citation"}])),  # annotation-only
        chunk(with_extra(choice(0), content_filter_results={"hate": {"filtered": False}})),
        chunk(choice(0, "stop", content="", refusal=None)),  # nothing new
        chunk(choice(0, tool_calls=[])),
    )
    assert c.warnings == ()
    assert message(c) == {
        "role": "assistant",
        "content": "Hi",
        "refusal": None,
        "annotations": [{"type": "url_citation"}],
    }


def test_content_in_the_same_chunk_as_finish_reason_is_not_late(run: Run) -> None:
    c = run(chunk(choice(0, content="a")), chunk(choice(0, "stop", content="b")))
    assert (c.choices[0].message.content, c.warnings) == ("ab", ())


def test_other_choices_may_go_on_after_one_finished(run: Run) -> None:
    c = run(
        chunk(choice(0, "stop", content="a"), choice(1, content="b")),
        chunk(choice(1, "stop", content="c")),
    )
    assert [ch.message.content for ch in c.choices] == ["a", "bc"]
    assert c.warnings == ()


# ---------------------------------------------------------------------------------------------
# In-band errors on a chunk


def test_inband_error_strict_raises_with_the_partial_including_that_chunk() -> None:
    payload = {"message": "Overloaded", "type": "overloaded_error", "code": 529}
    exc = raises_at(
        UpstreamError,
        chunk(choice(0, role="assistant", content="Hel")),
        chunk(choice(0, content="lo"), error=payload),
    )
    assert str(exc) == "the provider sent an error: Overloaded (code 529) (chunk 1, byte 100)"
    assert exc.error == payload
    assert (exc.chunk_index, exc.byte_offset) == (1, 100)
    assert exc.partial.choices[0].message.content == "Hello"
    assert "error" not in exc.partial.extra


def test_inband_error_as_a_bare_string_strict() -> None:
    exc = raises_at(UpstreamError, chunk(choices=[], error="rate limited"))
    assert str(exc) == "the provider sent an error: rate limited (chunk 0, byte 0)"
    assert exc.error == "rate limited"


def test_inband_error_without_message_is_described() -> None:
    exc = raises_at(UpstreamError, chunk(error={"code": 500}))
    assert str(exc) == "the provider sent an error: object {'code': 500} (chunk 0, byte 0)"


def test_inband_error_lenient_keeps_the_first_warns_and_goes_on(run: Run) -> None:
    first = {"message": "Overloaded", "code": "overloaded"}
    c = run(
        chunk(choice(0, content="Hel")),
        chunk(choice(0, content="lo"), error=first),
        chunk(choice(0, content="!"), error="second"),
        chunk(choice(0, "stop")),
        strict=False,
    )
    assert c.error == first
    assert c.to_dict()["error"] == first
    assert "error" not in c.extra
    assert c.choices[0].message.content == "Hello!"
    assert [(w.kind, w.chunk_index, w.message) for w in c.warnings] == [
        ("upstream_error", 1, "the provider sent an error: Overloaded (code 'overloaded')"),
        ("upstream_error", 2, "the provider sent an error: second"),
    ]


def test_null_error_key_is_no_error(run: Run) -> None:
    c = run(chunk(choice(0, "stop", content="ok"), error=None))
    assert c.error is None
    assert "error" not in c.to_dict()
    assert c.warnings == ()


# ---------------------------------------------------------------------------------------------
# Limits


def test_max_choices_strict_raises_chunk_error() -> None:
    exc = raises_at(
        ChunkError,
        chunk(choice(0, content="a"), choice(1, content="b")),
        chunk(choice(1, content="c")),  # an existing index does not count again
        chunk(choice(7, content="d")),
        max_choices=2,
    )
    assert isinstance(exc, ValueError)
    assert str(exc) == (
        "too many choices: index 7 would be choice number 3, over max_choices (2) "
        "(chunk 2, byte 200)"
    )
    assert exc.path == ".choices[0].index"
    assert [ch.message.content for ch in exc.partial.choices] == ["a", "bc"]


def test_max_choices_lenient_skips_with_a_warning(run: Run) -> None:
    c = run(
        chunk(choice(0, content="a"), choice(3, content="x"), choice(1, content="b")),
        chunk(choice(3, content="y"), choice(1, content="c")),
        max_choices=2,
        strict=False,
    )
    assert [(ch.index, ch.message.content) for ch in c.choices] == [(0, "a"), (3, "xy")]
    assert [(w.kind, w.chunk_index, w.path, w.message) for w in c.warnings] == [
        (
            "limit",
            0,
            ".choices[2].index",
            "too many choices: index 1 would be choice number 3, over max_choices (2); skipped",
        ),
        (
            "limit",
            1,
            ".choices[1].index",
            "too many choices: index 1 would be choice number 3, over max_choices (2); skipped",
        ),
    ]


def test_max_tool_calls_strict_raises_chunk_error() -> None:
    exc = raises_at(
        ChunkError,
        chunk(tools(call(0, "call_a", name="f"), call(1, "call_b", name="g"))),
        chunk(tools(call(1, arguments="{}"), call(2, "call_c", name="h"))),
        max_tool_calls=2,
    )
    assert str(exc) == (
        "too many tool calls in choice 0: tool call number 3 would be over max_tool_calls (2) "
        "(chunk 1, byte 100)"
    )
    assert exc.path == ".choices[0].delta.tool_calls[1]"
    assert [t.function.arguments for t in exc.partial.choices[0].message.tool_calls] == ["", "{}"]


def test_max_tool_calls_lenient_skips_with_a_warning(run: Run) -> None:
    c = run(
        chunk(tools(call(0, "call_a", name="f", arguments="1"))),
        chunk(tools(call(1, "call_b", name="g", arguments="2"))),
        chunk(tools(call(0, arguments="3"))),
        max_tool_calls=1,
        strict=False,
    )
    assert [(t["id"], t["function"]["arguments"]) for t in message(c)["tool_calls"]] == [
        ("call_a", "13")
    ]
    [w] = c.warnings
    assert (w.kind, w.chunk_index, w.path) == ("limit", 1, ".choices[0].delta.tool_calls[0]")
    assert w.message == (
        "too many tool calls in choice 0: tool call number 2 would be over max_tool_calls (1); "
        "skipped"
    )


# ---------------------------------------------------------------------------------------------
# logprobs


def _tok(t: str) -> dict[str, Any]:
    return {"token": t, "logprob": -0.5, "bytes": list(t.encode()), "top_logprobs": []}


def test_logprobs_lists_are_extended_and_never_sent_is_null(run: Run) -> None:
    c = run(
        chunk(
            with_extra(choice(0, content="a"), logprobs={"content": [_tok("a")], "refusal": None})
        ),
        chunk(with_extra(choice(0, content="b"), logprobs=None)),
        chunk(with_extra(choice(0, content="c"), logprobs={"content": [_tok("c")]})),
        chunk(choice(1, content="z")),
    )
    first, second = c.to_dict()["choices"]
    assert first["logprobs"] == {"content": [_tok("a"), _tok("c")], "refusal": None}
    assert second["logprobs"] is None


# ---------------------------------------------------------------------------------------------
# snapshot() and close()


def test_snapshot_reflects_the_state_so_far_and_ends_nothing() -> None:
    acc = Accumulator()
    assert acc.snapshot().choices == ()
    push(acc, [chunk(choice(0, role="assistant", content="Hel"))])
    s = acc.snapshot()
    assert (s.choices[0].message.content, s.choices[0].finish_reason) == ("Hel", None)
    push(acc, [chunk(choice(0, "stop", content="lo"))])  # still accepted after a snapshot
    c = acc.close()
    assert (c.choices[0].message.content, c.choices[0].finish_reason) == ("Hello", "stop")


def test_earlier_snapshot_is_not_changed_by_later_feeds() -> None:
    acc = Accumulator(strict=False)
    push(
        acc,
        [
            chunk(
                with_extra(
                    choice(
                        0,
                        role="assistant",
                        content="Hel",
                        reasoning="r",
                        tool_calls=[call(0, "call_1", "function", "f", '{"a"')],
                        x_note="n1",
                        x_notes=[1],
                        meta={"k": "v"},
                    ),
                    logprobs={"content": [_tok("Hel")]},
                    x_choice={"a": 1},
                ),
                usage=USAGE_1,
                x_top={"a": 1},
            ),
            chunk(choice(0, content=[{"type": "text", "text": "lo"}])),
        ],
        "merge",
    )
    s = acc.snapshot()  # nothing of it read until the stream went on
    push(
        acc,
        [
            chunk(
                with_extra(
                    choice(
                        0,
                        "stop",
                        content=[{"type": "text", "text": "!"}],
                        reasoning="s",
                        tool_calls=[call(0, arguments=":1}"), call(1, "call_2", name="g")],
                        x_note="n2",
                        x_notes=[2],
                        meta={"k": "w", "j": 1},
                    ),
                    logprobs={"content": [_tok("!")]},
                    x_choice={"a": 2, "b": 3},
                ),
                choice(1, content="other"),
                usage=USAGE_2,
                x_top={"a": 2},
                id="chatcmpl-other",  # a warning after the snapshot
            ),
        ],
        "merge",
    )
    assert s.to_dict() == {
        "id": ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "service_tier": None,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a"'},
                        }
                    ],
                    "reasoning": "r",
                    "content_parts": [{"type": "text", "text": "lo"}],
                    "x_note": "n1",
                    "x_notes": [1],
                    "meta": {"k": "v"},
                },
                "finish_reason": None,
                "logprobs": {"content": [_tok("Hel")], "refusal": None},
                "x_choice": {"a": 1},
            }
        ],
        "usage": USAGE_1,
        "x_top": {"a": 1},
    }
    assert s.warnings == ()
    c = acc.close()
    assert message(c)["content"] == "Hello!"
    assert message(c)["tool_calls"][0]["function"]["arguments"] == '{"a":1}'
    assert len(c.warnings) == 1


def test_reading_a_snapshot_does_not_freeze_the_accumulator() -> None:
    acc = merged(chunk(choice(0, content="a")))
    assert acc.snapshot().choices[0].message.content == "a"
    push(acc, [chunk(choice(0, content="b"))], "merge")
    assert acc.snapshot().choices[0].message.content == "ab"
    assert acc.close().choices[0].message.content == "ab"


def test_close_equals_a_snapshot(run: Run) -> None:
    dicts = [
        chunk(
            with_extra(
                choice(0, role="assistant", content="a\ud83d", reasoning_content="r"),
                logprobs={"content": [_tok("a")]},
            ),
            x_groq={"id": "q"},
            system_fingerprint="fp",
        ),
        chunk(
            choice(0, content="\ude00", tool_calls=[call(0, "c", "function", "f", "{}")]),
            choice(1, content=[{"type": "thinking", "thinking": "t"}], x_notes=[1]),
            id="other",
        ),
        chunk(choice(0, "stop"), choice(1, "length"), usage=USAGE_1, error="boom"),
    ]
    acc = Accumulator(strict=False)
    push(acc, dicts, "merge")
    s = acc.snapshot()
    c = acc.close()
    assert s.to_dict() == c.to_dict()
    assert s.warnings == c.warnings
    assert s == c
    assert len(c.warnings) == 2


def test_snapshot_after_every_chunk_stays_linear() -> None:
    def cost(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            acc = Accumulator()
            start = time.perf_counter()
            for i in range(n):
                acc._merge(
                    {"id": ID, "choices": [{"index": 0, "delta": {"content": "ab"}}]}, i, None
                )
                acc.snapshot()
            best = min(best, time.perf_counter() - start)
        return best

    small, big = cost(1_000), cost(10_000)
    assert big < 30 * small, (small, big)  # linear: ~10x; quadratic: ~100x


def test_snapshot_after_every_chunk_with_vendor_delta_fields_scales_like_the_stream() -> None:
    # OpenRouter sends a one-item reasoning_details list on every delta; a vendor may stream a
    # string field. A snapshot joins such a string in place and copies such a list shallowly
    # (a pointer per item; an item merged from indexed fragments is one item whose text is
    # joined in place): at real stream sizes (hundreds to thousands of chunks) 10x more chunks
    # cost about 10x. (Deep-copying every item on every snapshot cost ~100x.)
    def cost(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            acc = Accumulator()
            start = time.perf_counter()
            for i in range(n):
                delta = {
                    "reasoning_details": [
                        {"type": "reasoning.text", "text": "x"},
                        {"type": "reasoning.text", "text": "y", "index": 0},
                    ],
                    "x_s": "ab",
                }
                acc._merge({"id": ID, "choices": [{"index": 0, "delta": delta}]}, i, None)
                acc.snapshot()
            best = min(best, time.perf_counter() - start)
        return best

    small, big = cost(300), cost(3_000)
    assert big < 30 * small, (small, big)
    acc = Accumulator()
    for i in range(3):
        delta = {"reasoning_details": [{"n": i}], "x_s": str(i)}
        acc._merge({"choices": [{"index": 0, "delta": delta}]}, i, None)
        s = acc.snapshot()
    assert message(s)["reasoning_details"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert message(s)["x_s"] == "012"


def test_close_stays_linear_in_many_name_fragments() -> None:
    # Names are appended when they differ from what is held; a hostile stream may split a name
    # into very many fragments.
    def cost(n: int) -> float:
        acc = Accumulator()
        start = time.perf_counter()
        for i in range(n):
            fragment = {"index": 0, "function": {"name": ("a" * 100, "b" * 100)[i % 2]}}
            acc._merge({"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]}, i, None)
        acc.close()
        return time.perf_counter() - start

    small, big = cost(4_000), cost(40_000)
    assert big < 30 * small, (small, big)


# ---------------------------------------------------------------------------------------------
# Numbering, errors carry partial, pickling


def test_feed_numbers_chunks_from_zero_without_byte_offsets() -> None:
    acc = Accumulator()
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, content="a"))))
    with pytest.raises(InconsistentStreamError) as info:
        acc.feed(ChatCompletionChunk.from_dict(chunk(id="chatcmpl-2")))
    assert str(info.value) == (
        "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'chatcmpl-2' (chunk 1)"
    )
    assert info.value.byte_offset is None


def test_feed_after_merge_continues_the_numbering() -> None:
    acc = Accumulator()
    acc._merge(chunk(choice(0, content="a")), 7, 1234)
    with pytest.raises(InconsistentStreamError) as info:
        acc.feed(ChatCompletionChunk.from_dict(chunk(model="other")))
    assert str(info.value) == (
        "expected model 'gpt-test' (as in chunk 7) at .model, got str 'other' (chunk 8)"
    )
    assert acc.chunks == 2


def test_pending_choices() -> None:
    acc = Accumulator()
    assert acc.pending_choices() is None
    push(acc, [chunk(choice(2, content="a"), choice(0, content="b"))])
    assert acc.pending_choices() == [0, 2]
    push(acc, [chunk(choice(2, "stop"))])
    assert acc.pending_choices() == [0]
    push(acc, [chunk(choice(0, "length"))])
    assert acc.pending_choices() == []


def _raised() -> list[ChunkstreamError]:
    """One error of every kind the accumulator raises."""
    cases: list[tuple[type[ChunkstreamError], list[dict[str, Any]], dict[str, Any]]] = [
        (InconsistentStreamError, [chunk(choice(0, content="a")), chunk(id="x")], {}),
        (InconsistentStreamError, [chunk(choice(0, content="a")), chunk(model="x")], {}),
        (InconsistentStreamError, [chunk(choice(0, content="a")), chunk(created=1)], {}),
        (
            InconsistentStreamError,
            [chunk(choice(0, "stop", content="a")), chunk(choice(0, "length"))],
            {},
        ),
        (
            InconsistentStreamError,
            [chunk(choice(0, "stop", content="a")), chunk(choice(0, content="b"))],
            {},
        ),
        (
            InconsistentStreamError,
            [chunk(choice(0, role="assistant", content="a")), chunk(choice(0, role="user"))],
            {},
        ),
        (
            InconsistentStreamError,
            [chunk(tools(call(0, "a", "function"))), chunk(tools(call(0, "b")))],
            {},
        ),
        (
            InconsistentStreamError,
            [chunk(tools(call(0, "a", "function"))), chunk(tools(call(0, "a", "x")))],
            {},
        ),
        (UpstreamError, [chunk(choice(0, content="a"), error={"message": "m"})], {}),
        (
            ChunkError,
            [chunk(choice(0, content="a")), chunk(choice(1, content="b"))],
            {"max_choices": 1},
        ),
        (
            ChunkError,
            [chunk(tools(call(0, "a"))), chunk(tools(call(1, "b")))],
            {"max_tool_calls": 1},
        ),
    ]
    errors = []
    for kind, dicts, options in cases:
        errors.append(raises_at(kind, *dicts, **options))
    return errors


def test_every_error_carries_the_partial_completion() -> None:
    for exc in _raised():
        assert isinstance(exc.partial, ChatCompletion), exc
        assert exc.partial.id == ID
        assert len(exc.partial.choices) == 1, exc


def test_errors_pickle_with_their_attributes() -> None:
    for exc in _raised():
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc)
        assert str(back) == str(exc)
        assert back.args == exc.args
        for name in (
            "reason",
            "chunk_index",
            "byte_offset",
            "path",
            "field",
            "held",
            "got",
            "error",
        ):
            assert getattr(back, name, None) == getattr(exc, name, None), name
        assert back.partial.to_dict() == exc.partial.to_dict()


def test_accumulator_holds_what_was_merged_before_a_strict_error() -> None:
    acc = merged(chunk(choice(0, content="a")))
    with pytest.raises(InconsistentStreamError):
        push(acc, [chunk(choice(0, content="b"), id="other")], "merge")
    assert acc.close().choices[0].message.content == "a"


# ---------------------------------------------------------------------------------------------
# feed() with chunks built by hand (the plain constructors trust their caller)


def _hand_built_bad_chunks() -> list[tuple[ChatCompletionChunk, str, str]]:
    return [
        (
            ChatCompletionChunk(choices=(ChunkChoice(index=None),)),  # type: ignore[arg-type]
            # to_dict() leaves out a hand-built chunk's None fields: the key is missing.
            "expected int at .choices[0].index, got nothing (the key is missing)",
            ".choices[0].index",
        ),
        (
            ChatCompletionChunk(choices=(ChunkChoice(index=0, delta=ChoiceDelta(content=5)),)),  # type: ignore[arg-type]
            "expected str, list of objects or null at .choices[0].delta.content, got int 5",
            ".choices[0].delta.content",
        ),
    ]


@pytest.mark.parametrize("case", range(2))
def test_feed_of_an_invalid_hand_built_chunk_strict_raises_chunk_error(case: int) -> None:
    bad, reason, path = _hand_built_bad_chunks()[case]
    acc = Accumulator()
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, content="a"))))
    with pytest.raises(ChunkError) as info:
        acc.feed(bad)
    assert str(info.value) == reason + " (chunk 1)"
    assert (info.value.path, info.value.chunk_index, info.value.byte_offset) == (path, 1, None)
    assert info.value.partial.choices[0].message.content == "a"


@pytest.mark.parametrize("case", range(2))
def test_feed_of_an_invalid_hand_built_chunk_lenient_skips_it_with_a_warning(case: int) -> None:
    bad, reason, path = _hand_built_bad_chunks()[case]
    acc = Accumulator(strict=False)
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, content="a"))))
    acc.feed(bad)
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, content="b"), id="other")))
    c = acc.close()
    assert c.choices[0].message.content == "ab"
    assert [(w.kind, w.chunk_index, w.path, w.message) for w in c.warnings] == [
        ("invalid_chunk", 1, path, reason + "; skipped the chunk"),
        (
            "inconsistent",
            2,  # the skipped chunk kept its number
            ".id",
            "expected id 'chatcmpl-1' (as in chunk 0) at .id, got str 'other'",
        ),
    ]
    assert acc.chunks == 2  # chunks merged


def test_fragment_continuing_a_skipped_tool_call_is_skipped_too(run: Run) -> None:
    # Index-less calls, max_tool_calls=1: call_b is skipped, and so is its continuation (it
    # must not land on call_a, the last call held); call_a's own continuation is kept.
    c = run(
        chunk(tools(call(None, "call_a", name="f", arguments="{"))),
        chunk(tools(call(None, "call_b", name="g", arguments="["))),
        chunk(tools(call(None, arguments="]"))),
        chunk(tools(call(None, "call_a", arguments="}"))),
        max_tool_calls=1,
        strict=False,
    )
    assert message(c)["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert [(w.kind, w.chunk_index, w.path, w.message) for w in c.warnings] == [
        (
            "limit",
            1,
            ".choices[0].delta.tool_calls[0]",
            "too many tool calls in choice 0: tool call number 2 would be over max_tool_calls "
            "(1); skipped",
        ),
        (
            "limit",
            2,
            ".choices[0].delta.tool_calls[0]",
            "tool call fragment without index or id at .choices[0].delta.tool_calls[0] "
            "continues a tool call skipped over max_tool_calls (1); skipped",
        ),
    ]


def test_close_shares_no_vendor_object_with_later_state_or_snapshots() -> None:
    # close() copies the vendor values it gives (extra, usage's extra) whatever they hold,
    # numbers and booleans included (issue 14 made it skip the calls for those, not the copy):
    # changing one result reaches no later close(), no snapshot, and later chunks reach no
    # result given before them.
    acc = Accumulator()
    first_meta = {"a": 1, "inner": {"b": True}, "tags": [1, 2]}
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(content="a"), x_meta=first_meta)))
    snap = acc.snapshot()
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "x_cost": {"usd": 0.5}}
    acc.feed(
        ChatCompletionChunk.from_dict(
            chunk(choice(finish_reason="stop"), x_meta={"inner": {"c": 2.5}}, usage=usage)
        )
    )
    first = acc.close()
    first.extra["x_meta"]["inner"]["b"] = "changed"
    first.extra["x_meta"]["tags"].append(3)
    assert first.usage is not None
    first.usage.extra["x_cost"]["usd"] = 9
    second = acc.close()
    meta = {"a": 1, "inner": {"b": True, "c": 2.5}, "tags": [1, 2]}
    assert second.extra == {"x_meta": meta}
    assert second.usage is not None and second.usage.extra == {"x_cost": {"usd": 0.5}}
    assert snap.extra == {"x_meta": {"a": 1, "inner": {"b": True}, "tags": [1, 2]}}
    acc.feed(ChatCompletionChunk.from_dict(chunk(x_meta={"inner": {"b": False}})))
    assert acc.close().extra["x_meta"]["inner"] == {"b": False, "c": 2.5}
    assert second.extra == {"x_meta": meta}
