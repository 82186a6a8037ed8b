"""A vendor field named like a key chunkstream assembles never replaces it (README, "Assembly
rules"): ``to_dict()`` moves it under ``"chunkstream_vendor"``, the typed object's ``extra`` keeps
it under its own name.

The colliding names are enumerated from the objects themselves (what a fully populated
completion's ``to_dict()`` writes at each level, minus what the chunk at that level knows), so a
field added later is covered without editing this file.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from helpers import sse

import chunkstream
from chunkstream import (
    AssembledLogprobs,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChoiceDelta,
    ChoiceLogprobs,
    ChunkChoice,
    FunctionCall,
    FunctionDelta,
    Message,
    ToolCall,
    ToolCallDelta,
)
from chunkstream._schema import keys

VENDOR = "chunkstream_vendor"


def top(choices: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "m",
        **more,
        "choices": choices,
    }


# ---------------------------------------------------------------------------------------------
# Perplexity: every choice carries the text so far as "message", beside "delta" (its published
# response types: intaek-h/game-news.dev types/perplexity.ts; the sonar API reference).


def perplexity_stream() -> bytes:
    words = ["The", " sky", " is", " blue."]
    chunks = []
    so_far = ""
    for i, word in enumerate(words):
        so_far += word
        last = i == len(words) - 1
        chunks.append(
            top(
                [
                    {
                        "index": 0,
                        "finish_reason": "stop" if last else None,
                        "message": {"role": "assistant", "content": so_far},
                        "delta": {"role": "assistant", "content": word},
                    }
                ],
                citations=["https://example.org/sky"],
            )
        )
    return sse(*chunks)


def test_perplexity_message_beside_delta_does_not_replace_the_assembled_message() -> None:
    completion = chunkstream.assemble(perplexity_stream())
    choice = completion.to_dict()["choices"][0]
    # The assembled message, with every key it always has (refusal included).
    assert choice["message"] == {
        "role": "assistant",
        "content": "The sky is blue.",
        "refusal": None,
    }
    # The vendor's message (objects are merged key by key, the last value wins) is kept.
    assert choice[VENDOR] == {"message": {"role": "assistant", "content": "The sky is blue."}}
    assert choice["finish_reason"] == "stop"
    assert completion.choices[0].extra == {
        "message": {"role": "assistant", "content": "The sky is blue."}
    }
    assert completion.to_dict()["citations"] == ["https://example.org/sky"]
    assert completion.warnings == ()


def test_perplexity_with_tool_calls_and_reasoning_keeps_them_in_the_message() -> None:
    body = sse(
        top(
            [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ""},
                    "delta": {
                        "role": "assistant",
                        "reasoning_content": "think",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "t1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                        "annotations": [{"type": "url"}],
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        )
    )
    message = chunkstream.assemble(body).to_dict()["choices"][0]["message"]
    assert message == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
        "reasoning_content": "think",
        "annotations": [{"type": "url"}],
    }


# ---------------------------------------------------------------------------------------------
# Every colliding name at every level, generated.


def rich_chunks() -> list[dict[str, Any]]:
    """A stream that makes every assembled object write every key it can."""
    lp = {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": []}], "refusal": []}
    return [
        top(
            [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "content": [{"type": "text", "text": "a"}],
                        "refusal": "r",
                        "reasoning_content": "rc",
                        "reasoning": "rs",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "t1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                        "function_call": {"name": "g", "arguments": "{}"},
                    },
                    "logprobs": lp,
                    "finish_reason": None,
                }
            ],
            system_fingerprint="fp",
            service_tier="default",
        ),
        top(
            [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        ),
    ]


def assemble(chunks: list[dict[str, Any]]) -> ChatCompletion:
    return chunkstream.assemble(sse(*chunks))


# level -> (where the vendor key goes in the first chunk, the assembled object's to_dict and
# extra at that level, the chunk-side class whose keys are known there)
def _at_top(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk


def _at_choice(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]


def _at_delta(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]["delta"]


def _at_tool(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]["delta"]["tool_calls"][0]


def _at_function(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]["delta"]["tool_calls"][0]["function"]


def _at_function_call(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]["delta"]["function_call"]


def _at_logprobs(chunk: dict[str, Any]) -> dict[str, Any]:
    return chunk["choices"][0]["logprobs"]


LEVELS: dict[str, tuple[Any, Any, Any, type]] = {
    # name: (place in chunk, out of to_dict(), typed object, chunk-side class)
    "completion": (_at_top, lambda d: d, lambda c: c, ChatCompletionChunk),
    "choice": (_at_choice, lambda d: d["choices"][0], lambda c: c.choices[0], ChunkChoice),
    "message": (
        _at_delta,
        lambda d: d["choices"][0]["message"],
        lambda c: c.choices[0].message,
        ChoiceDelta,
    ),
    "tool_call": (
        _at_tool,
        lambda d: d["choices"][0]["message"]["tool_calls"][0],
        lambda c: c.choices[0].message.tool_calls[0],
        ToolCallDelta,
    ),
    "function": (
        _at_function,
        lambda d: d["choices"][0]["message"]["tool_calls"][0]["function"],
        lambda c: c.choices[0].message.tool_calls[0].function,
        FunctionDelta,
    ),
    "function_call": (
        _at_function_call,
        lambda d: d["choices"][0]["message"]["function_call"],
        lambda c: c.choices[0].message.function_call,
        FunctionDelta,
    ),
    "logprobs": (
        _at_logprobs,
        lambda d: d["choices"][0]["logprobs"],
        lambda c: c.choices[0].logprobs,
        ChoiceLogprobs,
    ),
}


def colliding_names() -> list[tuple[str, str]]:
    base = assemble(rich_chunks())
    out = []
    for level, (_, get_dict, get_obj, chunk_cls) in LEVELS.items():
        written = set(get_dict(base.to_dict())) | set(type(get_obj(base))._keys)
        # The schema's keys (issue 13: the table has rows the chunk classes lack until they are
        # generated from it) are fields, not vendor keys.
        known = set(chunk_cls._keys) | set(keys(chunk_cls.__name__))
        if level == "completion":
            known.add("error")  # a top-level "error" is the provider's error, not a field
        out.extend((level, name) for name in sorted(written - known | {VENDOR}))
    return out


COLLIDING = colliding_names()


def test_the_enumeration_finds_the_known_collisions() -> None:
    # A check on the generator itself: the names that motivated the rule are among them.
    assert ("choice", "message") in COLLIDING
    assert ("message", "content_parts") in COLLIDING
    assert all((level, VENDOR) in COLLIDING for level in LEVELS)


@pytest.mark.parametrize(("level", "name"), COLLIDING)
def test_a_vendor_key_named_like_an_assembled_key_is_kept_beside_it(level: str, name: str) -> None:
    place, get_dict, get_obj, _ = LEVELS[level]
    base = assemble(rich_chunks())
    chunks = rich_chunks()
    sentinel = {"sent_by_the_vendor_as": name}
    place(chunks[0])[name] = copy.deepcopy(sentinel)
    completion = assemble(chunks)
    assert completion.warnings == ()
    expected = dict(get_dict(base.to_dict()))
    expected[VENDOR] = {name: sentinel}
    assert get_dict(completion.to_dict()) == expected
    assert get_obj(completion).extra == {name: sentinel}
    # A snapshot says the same as the final completion.
    acc = chunkstream.Accumulator()
    for c in chunks:
        acc.feed(ChatCompletionChunk.from_dict(c))
    assert get_dict(acc.snapshot().to_dict()) == expected


def test_a_reserved_key_sent_by_a_vendor_is_moved_too_and_nothing_is_overwritten() -> None:
    chunks = rich_chunks()
    chunks[0]["choices"][0]["message"] = {"content": "vendor's"}
    chunks[0]["choices"][0][VENDOR] = {"message": "sent under the reserved name"}
    choice = assemble(chunks).to_dict()["choices"][0]
    assert choice[VENDOR] == {
        "message": {"content": "vendor's"},
        VENDOR: {"message": "sent under the reserved name"},
    }


# Hand-built objects: every class, every key it writes.

HAND_BUILT = [
    FunctionCall(name="f", arguments="{}"),
    ToolCall(id="t", function=FunctionCall(name="f")),
    Message(content="hi", tool_calls=(ToolCall(id="t"),), reasoning="r", content_parts=()),
    AssembledLogprobs(content=(), refusal=None),
    Choice(index=0, message=Message(content="hi"), finish_reason="stop"),
    ChatCompletion(id="c", model="m", choices=(Choice(index=0),), error={"message": "x"}),
    ChatCompletionChunk.from_dict(top([{"index": 0, "delta": {"content": "x"}}])),
    ChunkChoice.from_dict({"index": 0, "delta": {"content": "x"}, "finish_reason": None}),
    ChoiceDelta.from_dict({"role": "assistant", "content": "x"}),
]


@pytest.mark.parametrize("obj", HAND_BUILT, ids=lambda o: type(o).__name__)
def test_hand_built_extra_never_replaces_a_key_the_object_writes(obj: Any) -> None:
    import dataclasses

    plain = obj.to_dict()
    chunk_side = isinstance(obj, (ChatCompletionChunk, ChunkChoice, ChoiceDelta))
    for name in plain if chunk_side else [*plain, VENDOR]:
        built = dataclasses.replace(obj, extra={name: "vendor", "other": 1, VENDOR: 2})
        out = built.to_dict()
        assert {k: v for k, v in out.items() if k not in (VENDOR, "other")} == plain
        # The vendor's own "chunkstream_vendor" goes in with what was moved.
        assert out[VENDOR] == {name: "vendor", VENDOR: 2}
        assert out["other"] == 1


def test_a_chunk_with_a_field_named_chunkstream_vendor_round_trips_as_sent() -> None:
    d = top([{"index": 0, "delta": {"content": "x", VENDOR: 1}, VENDOR: 2}], **{VENDOR: 3})
    assert ChatCompletionChunk.from_dict(d).to_dict() == d
