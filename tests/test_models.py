"""The models layer (``_models.py``): validation with located messages, the exact round trip
``to_dict(from_dict(d)) == d`` (null and absent kept apart, unknown keys kept), hand-built
values, frozen/equality/pickle/repr behaviour, the assembled completion's JSON shape
(/work/notes/OUTPUT_SHAPE.md) and the lazy ``Pending`` text slots."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import os
import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chunkstream import (
    Annotation,
    AssembledLogprobs,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChoiceDelta,
    ChoiceLogprobs,
    ChunkChoice,
    ChunkError,
    CompletionTokensDetails,
    FunctionCall,
    FunctionDelta,
    Message,
    MessageAudio,
    PromptTokensDetails,
    StreamWarning,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
    TopLogprob,
    URLCitation,
    Usage,
    _errors,
    iter_events,
    validate_chunk,
)
from chunkstream._models import Pending

REPO = Path(__file__).resolve().parent.parent
# The shared corpus beside the checkout, or where CHUNKSTREAM_CORPUS says.
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or REPO.parent / "shared" / "corpus")

CHUNK_SIDE = (
    ChatCompletionChunk,
    ChunkChoice,
    ChoiceDelta,
    ToolCallDelta,
    FunctionDelta,
    ChoiceLogprobs,
    TokenLogprob,
    TopLogprob,
    Usage,
    PromptTokensDetails,
    CompletionTokensDetails,
)


def assert_same_json(got: Any, want: Any, path: str = "") -> None:
    """Equal as JSON, stricter than ``==``: types must match (``True`` is not ``1``, ``1.0`` is
    not ``1``), every object has the same key set (a key present with null stays present, an
    absent key stays absent), lists have the same length. Fails naming the path."""
    assert type(got) is type(want), f"at {path or '.'}: {type(got).__name__} != {type(want)}"
    if type(want) is dict:
        missing = [k for k in want if k not in got]
        added = [k for k in got if k not in want]
        assert not missing and not added, f"at {path or '.'}: lost {missing}, added {added}"
        for key, value in want.items():
            assert_same_json(got[key], value, f"{path}.{key}")
    elif type(want) is list:
        assert len(got) == len(want), f"at {path}: {len(got)} items != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_json(g, w, f"{path}[{i}]")
    else:
        assert got == want, f"at {path}: {got!r} != {want!r}"


def chunk_error(build: Callable[[Any], Any], obj: Any) -> ChunkError:
    with pytest.raises(ChunkError) as info:
        build(obj)
    return info.value


def in_choice(**fields: Any) -> dict[str, Any]:
    """A chunk with one choice (index 0) carrying ``fields``."""
    return {"choices": [{"index": 0, **fields}]}


def in_delta(**fields: Any) -> dict[str, Any]:
    return in_choice(delta=fields)


def in_tool_call(**fields: Any) -> dict[str, Any]:
    return in_delta(tool_calls=[fields])


def in_token(key: str = "content", **fields: Any) -> dict[str, Any]:
    """A chunk whose choice 0 has ``logprobs.<key>`` = [one token with ``fields``]."""
    return in_choice(logprobs={key: [{"token": "a", "logprob": -0.1, **fields}]})


D = ".choices[0].delta"
TC = f"{D}.tool_calls[0]"
LP = ".choices[0].logprobs"

# (chunk dict, full message, path). Each expected message follows STYLE.md's
# "<what was wrong> at <path>, got <value>": the expected JSON type, the path, then the JSON
# type name of what came and its repr.
INVALID_CHUNKS: list[tuple[str, dict[str, Any], str, str]] = [
    # top level
    ("id", {"id": 5}, "expected str or null at .id, got int 5", ".id"),
    ("object", {"object": ["x"]}, "expected str or null at .object, got list ['x']", ".object"),
    (
        "created bool",
        {"created": True},
        "expected int or null at .created, got bool True",
        ".created",
    ),
    (
        "created float",
        {"created": 1.0},
        "expected int or null at .created, got float 1.0",
        ".created",
    ),
    ("created str", {"created": "1"}, "expected int or null at .created, got str '1'", ".created"),
    ("model", {"model": {}}, "expected str or null at .model, got object {}", ".model"),
    (
        "system_fingerprint",
        {"system_fingerprint": False},
        "expected str or null at .system_fingerprint, got bool False",
        ".system_fingerprint",
    ),
    (
        "service_tier",
        {"service_tier": 1},
        "expected str or null at .service_tier, got int 1",
        ".service_tier",
    ),
    (
        "choices object",
        {"choices": {}},
        "expected list or null at .choices, got object {}",
        ".choices",
    ),
    ("choices str", {"choices": "x"}, "expected list or null at .choices, got str 'x'", ".choices"),
    (
        "choices[1] null",
        {"choices": [{"index": 0}, None]},
        "expected object at .choices[1], got null",
        ".choices[1]",
    ),
    (
        "choices[0] list",
        {"choices": [[]]},
        "expected object at .choices[0], got list []",
        ".choices[0]",
    ),
    ("usage", {"usage": []}, "expected object or null at .usage, got list []", ".usage"),
    ("usage str", {"usage": "5"}, "expected object or null at .usage, got str '5'", ".usage"),
    # choices[i]
    (
        "index missing",
        {"choices": [{"delta": {}}]},
        "expected int at .choices[0].index, got nothing (the key is missing)",
        ".choices[0].index",
    ),
    (
        "index null",
        {"choices": [{"index": None}]},
        "expected int at .choices[0].index, got null",
        ".choices[0].index",
    ),
    (
        "index negative",
        {"choices": [{"index": -1}]},
        "expected non-negative int at .choices[0].index, got int -1",
        ".choices[0].index",
    ),
    (
        "index bool",
        {"choices": [{"index": True}]},
        "expected int at .choices[0].index, got bool True",
        ".choices[0].index",
    ),
    (
        "index float",
        {"choices": [{"index": 0.0}]},
        "expected int at .choices[0].index, got float 0.0",
        ".choices[0].index",
    ),
    (
        "index str",
        {"choices": [{"index": "0"}]},
        "expected int at .choices[0].index, got str '0'",
        ".choices[0].index",
    ),
    (
        "second choice index",
        {"choices": [{"index": 0}, {"index": False}]},
        "expected int at .choices[1].index, got bool False",
        ".choices[1].index",
    ),
    ("delta str", in_choice(delta="x"), f"expected object or null at {D}, got str 'x'", D),
    ("delta list", in_choice(delta=[]), f"expected object or null at {D}, got list []", D),
    (
        "finish_reason",
        in_choice(finish_reason=1),
        "expected str or null at .choices[0].finish_reason, got int 1",
        ".choices[0].finish_reason",
    ),
    ("logprobs", in_choice(logprobs=[]), f"expected object or null at {LP}, got list []", LP),
    # delta
    ("role", in_delta(role=1), f"expected str or null at {D}.role, got int 1", f"{D}.role"),
    (
        "content int",
        in_delta(content=5),
        f"expected str, list of objects or null at {D}.content, got int 5",
        f"{D}.content",
    ),
    (
        "content bool",
        in_delta(content=True),
        f"expected str, list of objects or null at {D}.content, got bool True",
        f"{D}.content",
    ),
    (
        "content bare object",
        in_delta(content={"type": "text"}),
        f"expected str, list of objects or null at {D}.content, got object {{'type': 'text'}}",
        f"{D}.content",
    ),
    (
        "content part str",
        in_delta(content=["x"]),
        f"expected object at {D}.content[0], got str 'x'",
        f"{D}.content[0]",
    ),
    (
        "content second part null",
        in_delta(content=[{"type": "text", "text": "a"}, None]),
        f"expected object at {D}.content[1], got null",
        f"{D}.content[1]",
    ),
    (
        "refusal",
        in_delta(refusal=[]),
        f"expected str or null at {D}.refusal, got list []",
        f"{D}.refusal",
    ),
    (
        "reasoning_content",
        in_delta(reasoning_content=1.5),
        f"expected str or null at {D}.reasoning_content, got float 1.5",
        f"{D}.reasoning_content",
    ),
    (
        "reasoning",
        in_delta(reasoning={"text": "x"}),
        f"expected str or null at {D}.reasoning, got object {{'text': 'x'}}",
        f"{D}.reasoning",
    ),
    (
        "tool_calls object",
        in_delta(tool_calls={}),
        f"expected list or null at {D}.tool_calls, got object {{}}",
        f"{D}.tool_calls",
    ),
    (
        "tool_calls item",
        in_delta(tool_calls=["x"]),
        f"expected object at {D}.tool_calls[0], got str 'x'",
        f"{D}.tool_calls[0]",
    ),
    (
        "tool call index negative",
        in_tool_call(index=-1),
        f"expected non-negative int at {TC}.index, got int -1",
        f"{TC}.index",
    ),
    (
        "tool call index bool",
        in_tool_call(index=True),
        f"expected int or null at {TC}.index, got bool True",
        f"{TC}.index",
    ),
    (
        "tool call index float",
        in_tool_call(index=1.0),
        f"expected int or null at {TC}.index, got float 1.0",
        f"{TC}.index",
    ),
    (
        "tool call index str",
        in_tool_call(index="0"),
        f"expected int or null at {TC}.index, got str '0'",
        f"{TC}.index",
    ),
    ("tool call id", in_tool_call(id=7), f"expected str or null at {TC}.id, got int 7", f"{TC}.id"),
    (
        "tool call type",
        in_tool_call(type=[]),
        f"expected str or null at {TC}.type, got list []",
        f"{TC}.type",
    ),
    (
        "tool call function",
        in_tool_call(function="f"),
        f"expected object or null at {TC}.function, got str 'f'",
        f"{TC}.function",
    ),
    (
        "function name",
        in_tool_call(function={"name": 1}),
        f"expected str or null at {TC}.function.name, got int 1",
        f"{TC}.function.name",
    ),
    (
        "function arguments object",
        in_tool_call(index=0, function={"arguments": {"a": 1}}),
        f"expected str or null at {TC}.function.arguments, got object {{'a': 1}}",
        f"{TC}.function.arguments",
    ),
    (
        "second tool call",
        in_delta(tool_calls=[{"index": 0}, {"index": 1, "id": False}]),
        f"expected str or null at {D}.tool_calls[1].id, got bool False",
        f"{D}.tool_calls[1].id",
    ),
    (
        "function_call",
        in_delta(function_call="f"),
        f"expected object or null at {D}.function_call, got str 'f'",
        f"{D}.function_call",
    ),
    (
        "function_call name",
        in_delta(function_call={"name": 1}),
        f"expected str or null at {D}.function_call.name, got int 1",
        f"{D}.function_call.name",
    ),
    (
        "function_call arguments",
        in_delta(function_call={"name": "f", "arguments": []}),
        f"expected str or null at {D}.function_call.arguments, got list []",
        f"{D}.function_call.arguments",
    ),
    # logprobs
    (
        "logprobs content str",
        in_choice(logprobs={"content": "x"}),
        f"expected list or null at {LP}.content, got str 'x'",
        f"{LP}.content",
    ),
    (
        "logprobs content item",
        in_choice(logprobs={"content": [1]}),
        f"expected object at {LP}.content[0], got int 1",
        f"{LP}.content[0]",
    ),
    (
        "token",
        in_token(token=1),
        f"expected str or null at {LP}.content[0].token, got int 1",
        f"{LP}.content[0].token",
    ),
    (
        "logprob str",
        in_token(logprob="x"),
        f"expected number or null at {LP}.content[0].logprob, got str 'x'",
        f"{LP}.content[0].logprob",
    ),
    (
        "logprob bool",
        in_token(logprob=False),
        f"expected number or null at {LP}.content[0].logprob, got bool False",
        f"{LP}.content[0].logprob",
    ),
    (
        "bytes str",
        in_token(bytes="ab"),
        f"expected list or null at {LP}.content[0].bytes, got str 'ab'",
        f"{LP}.content[0].bytes",
    ),
    (
        "bytes item str",
        in_token(bytes=[97, "b"]),
        f"expected int at {LP}.content[0].bytes[1], got str 'b'",
        f"{LP}.content[0].bytes[1]",
    ),
    (
        "bytes item bool",
        in_token(bytes=[True]),
        f"expected int at {LP}.content[0].bytes[0], got bool True",
        f"{LP}.content[0].bytes[0]",
    ),
    (
        "bytes item float",
        in_token(bytes=[97.0]),
        f"expected int at {LP}.content[0].bytes[0], got float 97.0",
        f"{LP}.content[0].bytes[0]",
    ),
    (
        "top_logprobs object",
        in_token(top_logprobs={}),
        f"expected list or null at {LP}.content[0].top_logprobs, got object {{}}",
        f"{LP}.content[0].top_logprobs",
    ),
    (
        "top_logprobs item",
        in_token(top_logprobs=[None]),
        f"expected object at {LP}.content[0].top_logprobs[0], got null",
        f"{LP}.content[0].top_logprobs[0]",
    ),
    (
        "top token",
        in_token(top_logprobs=[{"token": "a", "logprob": 0}, {"token": 2}]),
        f"expected str or null at {LP}.content[0].top_logprobs[1].token, got int 2",
        f"{LP}.content[0].top_logprobs[1].token",
    ),
    (
        "top logprob",
        in_token(top_logprobs=[{"token": "a", "logprob": "-1"}]),
        f"expected number or null at {LP}.content[0].top_logprobs[0].logprob, got str '-1'",
        f"{LP}.content[0].top_logprobs[0].logprob",
    ),
    (
        "top bytes",
        in_token(top_logprobs=[{"token": "a", "bytes": [1, 2, None]}]),
        f"expected int at {LP}.content[0].top_logprobs[0].bytes[2], got null",
        f"{LP}.content[0].top_logprobs[0].bytes[2]",
    ),
    (
        "logprobs refusal str",
        in_choice(logprobs={"content": None, "refusal": "no"}),
        f"expected list or null at {LP}.refusal, got str 'no'",
        f"{LP}.refusal",
    ),
    (
        "refusal token logprob",
        in_token("refusal", logprob=[]),
        f"expected number or null at {LP}.refusal[0].logprob, got list []",
        f"{LP}.refusal[0].logprob",
    ),
    (
        "refusal top token",
        in_token("refusal", top_logprobs=[{"token": None, "logprob": None, "bytes": {}}]),
        f"expected list or null at {LP}.refusal[0].top_logprobs[0].bytes, got object {{}}",
        f"{LP}.refusal[0].top_logprobs[0].bytes",
    ),
    # usage and its details
    (
        "prompt_tokens",
        {"usage": {"prompt_tokens": "1"}},
        "expected int or null at .usage.prompt_tokens, got str '1'",
        ".usage.prompt_tokens",
    ),
    (
        "completion_tokens",
        {"usage": {"completion_tokens": 1.5}},
        "expected int or null at .usage.completion_tokens, got float 1.5",
        ".usage.completion_tokens",
    ),
    (
        "total_tokens",
        {"usage": {"prompt_tokens": 1, "total_tokens": True}},
        "expected int or null at .usage.total_tokens, got bool True",
        ".usage.total_tokens",
    ),
    (
        "prompt_tokens_details",
        {"usage": {"prompt_tokens_details": []}},
        "expected object or null at .usage.prompt_tokens_details, got list []",
        ".usage.prompt_tokens_details",
    ),
    (
        "cached_tokens",
        {"usage": {"prompt_tokens_details": {"cached_tokens": "0"}}},
        "expected int or null at .usage.prompt_tokens_details.cached_tokens, got str '0'",
        ".usage.prompt_tokens_details.cached_tokens",
    ),
    (
        "prompt audio_tokens",
        {"usage": {"prompt_tokens_details": {"audio_tokens": 0.0}}},
        "expected int or null at .usage.prompt_tokens_details.audio_tokens, got float 0.0",
        ".usage.prompt_tokens_details.audio_tokens",
    ),
    (
        "completion_tokens_details",
        {"usage": {"completion_tokens_details": 1}},
        "expected object or null at .usage.completion_tokens_details, got int 1",
        ".usage.completion_tokens_details",
    ),
    (
        "reasoning_tokens",
        {"usage": {"completion_tokens_details": {"reasoning_tokens": True}}},
        "expected int or null at .usage.completion_tokens_details.reasoning_tokens, got bool True",
        ".usage.completion_tokens_details.reasoning_tokens",
    ),
    (
        "completion audio_tokens",
        {"usage": {"completion_tokens_details": {"audio_tokens": "1"}}},
        "expected int or null at .usage.completion_tokens_details.audio_tokens, got str '1'",
        ".usage.completion_tokens_details.audio_tokens",
    ),
    (
        "accepted_prediction_tokens",
        {"usage": {"completion_tokens_details": {"accepted_prediction_tokens": []}}},
        "expected int or null at .usage.completion_tokens_details.accepted_prediction_tokens,"
        " got list []",
        ".usage.completion_tokens_details.accepted_prediction_tokens",
    ),
    (
        "rejected_prediction_tokens",
        {"usage": {"completion_tokens_details": {"rejected_prediction_tokens": 2.5}}},
        "expected int or null at .usage.completion_tokens_details.rejected_prediction_tokens,"
        " got float 2.5",
        ".usage.completion_tokens_details.rejected_prediction_tokens",
    ),
]


@pytest.mark.parametrize(
    ("obj", "message", "path"),
    [pytest.param(obj, message, path, id=name) for name, obj, message, path in INVALID_CHUNKS],
)
def test_from_dict_rejects_a_wrong_type_naming_path_and_value(
    obj: dict[str, Any], message: str, path: str
) -> None:
    exc = chunk_error(ChatCompletionChunk.from_dict, obj)
    assert str(exc) == message
    assert exc.reason == message
    assert exc.path == path
    # The models layer knows nothing of chunk numbers or bytes: the stream layer adds them.
    assert exc.chunk_index is None and exc.byte_offset is None
    assert isinstance(exc, ValueError)
    # validate_chunk is the same check without building anything.
    again = chunk_error(validate_chunk, obj)
    assert (str(again), again.path) == (message, path)


@pytest.mark.parametrize(
    ("obj", "shown"),
    [
        pytest.param([1, 2], "list [1, 2]", id="list"),
        pytest.param([], "list []", id="empty list"),
        pytest.param("abc", "str 'abc'", id="str"),
        pytest.param(3, "int 3", id="int"),
        pytest.param(3.5, "float 3.5", id="float"),
        pytest.param(None, "null", id="null"),
        pytest.param(True, "bool True", id="bool"),
    ],
)
def test_from_dict_rejects_a_top_level_that_is_not_an_object(obj: Any, shown: str) -> None:
    exc = chunk_error(ChatCompletionChunk.from_dict, obj)
    assert str(exc) == f"expected a JSON object (a chat.completion.chunk), got {shown}"
    assert exc.path == "."


def test_a_long_offending_value_is_cut_short_in_the_message() -> None:
    # reprlib with a 60-character limit keeps 28 characters of the repr before "..." and 29
    # after: here the opening quote and 27 x, then 28 y and the closing quote.
    value = "x" * 150 + "y" * 150
    exc = chunk_error(ChatCompletionChunk.from_dict, {"created": value})
    shown = "'" + "x" * 27 + "..." + "y" * 28 + "'"
    assert str(exc) == f"expected int or null at .created, got str {shown}"


def test_a_big_offending_object_is_shown_with_only_its_first_keys() -> None:
    value = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    exc = chunk_error(ChatCompletionChunk.from_dict, {"usage": {"prompt_tokens": value}})
    assert str(exc) == (
        "expected int or null at .usage.prompt_tokens,"
        " got object {'a': 1, 'b': 2, 'c': 3, 'd': 4, ...}"
    )


def test_the_first_invalid_field_in_document_order_is_the_one_reported() -> None:
    # Two bad fields: the earlier one in schema order (id before created) is named.
    exc = chunk_error(ChatCompletionChunk.from_dict, {"created": "x", "id": 1})
    assert str(exc) == "expected str or null at .id, got int 1"


def test_a_chunk_error_from_validation_pickles_with_its_path() -> None:
    exc = chunk_error(ChatCompletionChunk.from_dict, in_delta(content=5))
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is ChunkError
    assert str(back) == f"expected str, list of objects or null at {D}.content, got int 5"
    assert back.path == f"{D}.content"


# Values each validator must accept (it must not over-reject), with their round trip.
VALID_CHUNKS: list[tuple[str, dict[str, Any]]] = [
    ("empty object", {}),
    ("all top-level null", dict.fromkeys(ChatCompletionChunk._keys)),
    ("azure blanks", {"id": "", "object": "", "created": 0, "model": "", "choices": []}),
    ("index 0 only", {"choices": [{"index": 0}]}),
    ("big index", {"choices": [{"index": 2**40}]}),
    ("delta null", in_choice(delta=None, finish_reason=None, logprobs=None)),
    ("empty delta", in_choice(delta={})),
    ("content empty string", in_delta(content="")),
    ("content list of parts", in_delta(content=[{"type": "text", "text": "Hi"}, {}])),
    ("content empty list", in_delta(content=[])),
    ("tool call without index", in_tool_call(id="call_1", function={"name": "f"})),
    ("tool call index null", in_tool_call(index=None, type=None, function=None)),
    ("tool call index 0", in_tool_call(index=0, function={"arguments": ""})),
    ("function_call", in_delta(function_call={"name": None, "arguments": "{}"})),
    ("logprob int", in_token(logprob=0, bytes=[], top_logprobs=[])),
    ("logprob negative float", in_token(logprob=-9999.0, bytes=[0, 255])),
    ("logprob null", in_token(token=None, logprob=None, bytes=None, top_logprobs=None)),
    ("logprobs lists null", in_choice(logprobs={"content": None, "refusal": None})),
    ("logprobs empty", in_choice(logprobs={})),
    (
        "usage full",
        {
            "usage": {
                "prompt_tokens": 1,
                "completion_tokens": 2,
                "total_tokens": 3,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": None},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            }
        },
    ),
    (
        "usage details null",
        {"usage": {"prompt_tokens_details": None, "completion_tokens_details": None}},
    ),
    # Unknown fields are not checked: any JSON value is kept as sent.
    ("unknown top-level", {"x_groq": 5, "citations": ["a"], "error": None, "extra": {"extra": 1}}),
    ("unknown choice field", in_choice(content_filter_results={"hate": {"filtered": False}})),
    ("unknown delta field", in_delta(reasoning_details=[], channel=None, x_audio={"id": "a"})),
    ("unknown usage field", {"usage": {"queue_time": 0.01, "prompt_tokens": 1}}),
    ("unknown tool call field", in_tool_call(index=0, function={"name": "f", "strict": True}, x=1)),
    ("unknown token field", in_token(extra_field=[1], top_logprobs=[{"token": "a", "z": None}])),
]


@pytest.mark.parametrize("obj", [pytest.param(obj, id=name) for name, obj in VALID_CHUNKS])
def test_from_dict_accepts_valid_values_and_round_trips_them_exactly(obj: dict[str, Any]) -> None:
    snapshot = json.loads(json.dumps(obj))
    chunk = ChatCompletionChunk.from_dict(obj)
    validate_chunk(obj)
    assert_same_json(chunk.to_dict(), obj)
    assert obj == snapshot  # from_dict does not touch its input


# from_dict of the other chunk-side classes: paths are relative to that object.
INVALID_PARTS: list[tuple[type[Any], Any, str, str]] = [
    (
        Usage,
        {"total_tokens": "5"},
        "expected int or null at .total_tokens, got str '5'",
        ".total_tokens",
    ),
    (
        Usage,
        {"completion_tokens_details": {"reasoning_tokens": 1.0}},
        "expected int or null at .completion_tokens_details.reasoning_tokens, got float 1.0",
        ".completion_tokens_details.reasoning_tokens",
    ),
    (
        PromptTokensDetails,
        {"cached_tokens": True},
        "expected int or null at .cached_tokens, got bool True",
        ".cached_tokens",
    ),
    (
        CompletionTokensDetails,
        {"accepted_prediction_tokens": "3"},
        "expected int or null at .accepted_prediction_tokens, got str '3'",
        ".accepted_prediction_tokens",
    ),
    (
        ChunkChoice,
        {"delta": {}},
        "expected int at .index, got nothing (the key is missing)",
        ".index",
    ),
    (
        ChunkChoice,
        {"index": 0, "delta": {"content": 1}},
        "expected str, list of objects or null at .delta.content, got int 1",
        ".delta.content",
    ),
    (
        ChoiceDelta,
        {"tool_calls": [{"function": {"name": 1}}]},
        "expected str or null at .tool_calls[0].function.name, got int 1",
        ".tool_calls[0].function.name",
    ),
    (ChoiceDelta, {"role": False}, "expected str or null at .role, got bool False", ".role"),
    (
        ToolCallDelta,
        {"index": -3},
        "expected non-negative int at .index, got int -3",
        ".index",
    ),
    (
        ToolCallDelta,
        {"function": []},
        "expected object or null at .function, got list []",
        ".function",
    ),
    (
        FunctionDelta,
        {"arguments": 1},
        "expected str or null at .arguments, got int 1",
        ".arguments",
    ),
    (
        ChoiceLogprobs,
        {"content": [{"bytes": [1, "x"]}]},
        "expected int at .content[0].bytes[1], got str 'x'",
        ".content[0].bytes[1]",
    ),
    (
        TokenLogprob,
        {"top_logprobs": [{"logprob": "x"}]},
        "expected number or null at .top_logprobs[0].logprob, got str 'x'",
        ".top_logprobs[0].logprob",
    ),
    (TopLogprob, {"token": 1}, "expected str or null at .token, got int 1", ".token"),
]


@pytest.mark.parametrize(
    ("cls", "obj", "message", "path"),
    [pytest.param(*case, id=f"{case[0].__name__} {case[3]}") for case in INVALID_PARTS],
)
def test_from_dict_of_a_part_reports_paths_relative_to_that_part(
    cls: type[Any], obj: Any, message: str, path: str
) -> None:
    exc = chunk_error(cls.from_dict, obj)
    assert str(exc) == message
    assert exc.path == path


@pytest.mark.parametrize("cls", [c for c in CHUNK_SIDE if c is not ChatCompletionChunk])
@pytest.mark.parametrize(("obj", "shown"), [([], "list []"), (None, "null"), ("x", "str 'x'")])
def test_from_dict_of_a_part_rejects_a_non_object_naming_the_class(
    cls: type[Any], obj: Any, shown: str
) -> None:
    exc = chunk_error(cls.from_dict, obj)
    assert str(exc) == f"expected a JSON object ({cls.__name__}), got {shown}"
    assert exc.path == "."


PARTS_VALID: list[tuple[type[Any], dict[str, Any]]] = [
    (Usage, {"prompt_tokens": 5, "completion_tokens": None, "queue_time": 0.1}),
    (PromptTokensDetails, {"cached_tokens": None}),
    (CompletionTokensDetails, {"reasoning_tokens": 7, "x": "y"}),
    (ChunkChoice, {"index": 3, "delta": {"role": "assistant"}, "finish_reason": "stop"}),
    (ChoiceDelta, {"content": [{"type": "thinking", "thinking": [{"type": "text"}]}]}),
    (ToolCallDelta, {"id": "call_1", "type": "function", "function": {"arguments": "{"}}),
    (FunctionDelta, {"name": "get_weather", "arguments": None}),
    (ChoiceLogprobs, {"content": [{"token": "a", "logprob": -1, "bytes": [97]}]}),
    (TokenLogprob, {"token": "a", "top_logprobs": []}),
    (TopLogprob, {"token": "b", "logprob": -2.5, "bytes": None}),
]


@pytest.mark.parametrize(
    ("cls", "obj"), [pytest.param(c, o, id=c.__name__) for c, o in PARTS_VALID]
)
def test_from_dict_of_a_part_round_trips(cls: type[Any], obj: dict[str, Any]) -> None:
    value = cls.from_dict(obj)
    assert type(value) is cls
    assert_same_json(value.to_dict(), obj)


def test_every_assembled_class_loads_its_own_to_dict_with_from_dict() -> None:
    # 0.2.0: the assembled classes load the CLI's JSON back (tests/test_from_dict.py); each has
    # a generated loader, so none raises NotImplementedError (an exception that is not ours).
    import chunkstream
    from chunkstream._schema import ASSEMBLED_SHAPES

    for shape in ASSEMBLED_SHAPES:
        cls = getattr(chunkstream, shape.name)
        # A field with no default (a choice's index) is given one.
        value = cls(**{f.key: 0 for f in shape.fields if f.default == ""})
        assert cls.from_dict(value.to_dict()) == value, shape.name


# -------------------------------------------------------------------------------------------
# The round trip on what the chunks hold: typed fields, null versus absent, extra.


def test_null_and_absent_stay_apart_through_the_round_trip() -> None:
    present_null = ChatCompletionChunk.from_dict(
        {"id": None, "choices": [{"index": 0, "delta": {"content": None}}]}
    )
    absent = ChatCompletionChunk.from_dict({"choices": [{"index": 0, "delta": {}}]})
    assert present_null.id is None and absent.id is None
    assert_same_json(
        present_null.to_dict(), {"id": None, "choices": [{"index": 0, "delta": {"content": None}}]}
    )
    assert_same_json(absent.to_dict(), {"choices": [{"index": 0, "delta": {}}]})


def test_from_dict_fills_the_typed_fields() -> None:
    chunk = ChatCompletionChunk.from_dict(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1694268190,
            "model": "gpt-4o",
            "system_fingerprint": "fp_1",
            "service_tier": "default",
            "choices": [
                {
                    "index": 1,
                    "delta": {
                        "role": "assistant",
                        "content": [{"type": "text", "text": "Hi"}],
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{"},
                            }
                        ],
                    },
                    "finish_reason": None,
                    "logprobs": {
                        "content": [
                            {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}
                        ]
                    },
                }
            ],
            "usage": {"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": 1}},
            "x_groq": {"id": "req_1"},
        }
    )
    assert (chunk.id, chunk.object, chunk.created, chunk.model) == (
        "chatcmpl-1",
        "chat.completion.chunk",
        1694268190,
        "gpt-4o",
    )
    assert (chunk.system_fingerprint, chunk.service_tier) == ("fp_1", "default")
    assert chunk.extra == {"x_groq": {"id": "req_1"}}
    (choice,) = chunk.choices or ()
    assert type(choice) is ChunkChoice and choice.index == 1 and choice.finish_reason is None
    delta = choice.delta
    assert delta is not None and delta.role == "assistant"
    assert delta.content == ({"type": "text", "text": "Hi"},)  # a tuple of parts as sent
    assert delta.tool_calls == (
        ToolCallDelta(
            index=0, id="call_1", type="function", function=FunctionDelta(name="f", arguments="{")
        ),
    )
    assert choice.logprobs == ChoiceLogprobs(
        content=(TokenLogprob(token="Hi", logprob=-0.5, bytes=(72, 105), top_logprobs=()),)
    )
    assert chunk.usage == Usage(
        prompt_tokens=3, prompt_tokens_details=PromptTokensDetails(cached_tokens=1)
    )


def test_unknown_keys_are_kept_in_extra_at_every_level_and_written_back() -> None:
    obj = {
        "id": "c",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": "a",
                    "reasoning_details": [{"type": "reasoning.text"}],
                    "tool_calls": [
                        {"index": 0, "function": {"arguments": "", "parsed": None}, "k": 1}
                    ],
                },
                "logprobs": {
                    "content": [{"token": "a", "top_logprobs": [{"token": "a", "q": 2}]}],
                    "v": 3,
                },
                "native_finish_reason": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "queue_time": 0.5, "completion_tokens_details": {"z": 0}},
        "citations": ["https://example.com"],
    }
    chunk = ChatCompletionChunk.from_dict(obj)
    assert chunk.extra == {"citations": ["https://example.com"]}
    choice = (chunk.choices or ())[0]
    assert choice.extra == {"native_finish_reason": None}
    assert choice.delta is not None and choice.delta.extra == {
        "reasoning_details": [{"type": "reasoning.text"}]
    }
    call = (choice.delta.tool_calls or ())[0]
    assert call.extra == {"k": 1}
    assert call.function is not None and call.function.extra == {"parsed": None}
    assert choice.logprobs is not None and choice.logprobs.extra == {"v": 3}
    token = (choice.logprobs.content or ())[0]
    assert token.extra == {} and (token.top_logprobs or ())[0].extra == {"q": 2}
    assert chunk.usage is not None and chunk.usage.extra == {"queue_time": 0.5}
    assert chunk.usage.completion_tokens_details is not None
    assert chunk.usage.completion_tokens_details.extra == {"z": 0}
    assert_same_json(chunk.to_dict(), obj)


def test_a_field_set_with_replace_on_a_key_the_source_lacked_is_written() -> None:
    # Regression: to_dict() skipped every key absent from the source, so a value put there by
    # dataclasses.replace was silently dropped.
    delta = ChoiceDelta.from_dict({"role": "assistant", "refusal": None})
    changed = dataclasses.replace(delta, content="y")
    assert changed.to_dict() == {"role": "assistant", "content": "y", "refusal": None}
    # ... and the source's own bookkeeping still holds for the keys left alone.
    assert dataclasses.replace(delta).to_dict() == {"role": "assistant", "refusal": None}


# -------------------------------------------------------------------------------------------
# Every chunk of every recorded stream of the corpus.

KNOWN = {
    "chunk": set(ChatCompletionChunk._keys),
    "choice": set(ChunkChoice._keys),
    "delta": set(ChoiceDelta._keys),
}


def corpus_chunks(path: Path) -> list[dict[str, Any]]:
    """The chunk objects of one recorded stream, in order."""
    chunks = []
    for event in iter_events([path.read_bytes()], max_event_bytes=None):
        if event.data.strip(" \t\n\r\f") == "[DONE]":
            break  # the end of the stream; nothing after it is a chunk
        try:
            obj = json.loads(event.data)
        except ValueError:
            continue  # not a chunk object
        # Not chunk objects: an `event: error` block, or an in-band error payload without choices.
        if event.event != "message" or type(obj) is not dict:
            continue
        if "error" in obj and "choices" not in obj:
            continue
        chunks.append(obj)
    return chunks


def test_every_chunk_of_the_corpus_round_trips_exactly() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the recorded corpus is not here ({CORPUS}); CI clones may lack it")
    files = sorted(CORPUS.rglob("*.sse"))
    assert files, f"no .sse files under {CORPUS}"
    seen = {"null kept": 0, "absent kept": 0, "extra kept": 0}
    for path in files:
        name = path.relative_to(CORPUS).as_posix()
        chunks = corpus_chunks(path)
        assert chunks, f"{name}: no chunk found"
        for n, obj in enumerate(chunks):
            where = f"{name}, chunk object {n}"
            chunk = ChatCompletionChunk.from_dict(obj)
            out = chunk.to_dict()
            try:
                assert_same_json(out, obj)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None
            # Null versus absent, and extra, checked at the levels the models type.
            levels = [("chunk", obj, chunk, out)]
            for i, c in enumerate(obj.get("choices") or ()):
                typed = (chunk.choices or ())[i]
                levels.append(("choice", c, typed, out["choices"][i]))
                if type(c.get("delta")) is dict:
                    levels.append(("delta", c["delta"], typed.delta, out["choices"][i]["delta"]))
            for level, src, model, written in levels:
                for key in KNOWN[level]:
                    if key in src and src[key] is None:
                        assert key in written and written[key] is None, f"{where}: {level}.{key}"
                        seen["null kept"] += 1
                    elif key not in src:
                        assert key not in written, f"{where}: {level}.{key} appeared"
                        seen["absent kept"] += 1
                unknown = {k: v for k, v in src.items() if k not in KNOWN[level]}
                assert model.extra == unknown, f"{where}: {level} extra"
                seen["extra kept"] += len(unknown)
    # The corpus does exercise all three (e.g. OpenAI's first delta has "refusal": null, other
    # deltas have no refusal key; Groq chunks carry x_groq): the checks above were not vacuous.
    assert all(seen.values()), seen


# -------------------------------------------------------------------------------------------
# Hand-built values: the constructor trusts its caller; to_dict leaves out None fields.


def test_a_hand_built_delta_writes_only_the_fields_that_are_set() -> None:
    assert ChoiceDelta(content="x").to_dict() == {"content": "x"}
    assert ChoiceDelta().to_dict() == {}
    assert ChoiceDelta(role="assistant", content="").to_dict() == {
        "role": "assistant",
        "content": "",
    }
    assert ChunkChoice(index=0).to_dict() == {"index": 0}
    assert ChatCompletionChunk().to_dict() == {}
    assert ChatCompletionChunk(created=0, choices=()).to_dict() == {"created": 0, "choices": []}


def test_a_hand_built_value_turns_tuples_into_lists_and_serialises_nested_models() -> None:
    chunk = ChatCompletionChunk(
        id="c1",
        created=1,
        choices=(
            ChunkChoice(
                index=0,
                delta=ChoiceDelta(
                    content=({"type": "text", "text": "Hi"},),
                    tool_calls=(ToolCallDelta(index=0, function=FunctionDelta(arguments="{")),),
                    extra={"reasoning_details": []},
                ),
                logprobs=ChoiceLogprobs(
                    content=(
                        TokenLogprob(
                            token="Hi",
                            logprob=-0.5,
                            bytes=(72, 105),
                            top_logprobs=(TopLogprob(token="Hi", logprob=-0.5, bytes=(72, 105)),),
                        ),
                    )
                ),
            ),
        ),
        usage=Usage(
            prompt_tokens=1,
            prompt_tokens_details=PromptTokensDetails(cached_tokens=0),
            completion_tokens_details=CompletionTokensDetails(reasoning_tokens=2),
        ),
        extra={"x_groq": {"id": "req_1"}},
    )
    expected = {
        "id": "c1",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": [{"type": "text", "text": "Hi"}],
                    "tool_calls": [{"index": 0, "function": {"arguments": "{"}}],
                    "reasoning_details": [],
                },
                "logprobs": {
                    "content": [
                        {
                            "token": "Hi",
                            "logprob": -0.5,
                            "bytes": [72, 105],
                            "top_logprobs": [{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]}],
                        }
                    ]
                },
            }
        ],
        "usage": {
            "prompt_tokens": 1,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
        "x_groq": {"id": "req_1"},
    }
    assert_same_json(chunk.to_dict(), expected)
    # What to_dict gives is plain JSON: json.dumps takes it as it is.
    assert json.loads(json.dumps(chunk.to_dict())) == expected


def test_a_hand_built_value_given_lists_instead_of_tuples_still_serialises() -> None:
    # The annotations say tuple, but a caller passing a list must not get models in the dict.
    chunk = ChatCompletionChunk(choices=[ChunkChoice(index=0, delta=ChoiceDelta(content="a"))])  # type: ignore[arg-type]
    assert_same_json(chunk.to_dict(), {"choices": [{"index": 0, "delta": {"content": "a"}}]})


def test_to_dict_gives_a_new_dict_each_time() -> None:
    chunk = ChatCompletionChunk.from_dict({"id": "a", "choices": [{"index": 0}]})
    out = chunk.to_dict()
    out["id"] = "changed"
    out["choices"].append({"index": 1})
    assert chunk.to_dict() == {"id": "a", "choices": [{"index": 0}]}


# -------------------------------------------------------------------------------------------
# Frozen, equality, hashing, pickling, copying, repr.

RICH = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": None,
    "choices": [
        {
            "index": 0,
            "delta": {
                "role": "assistant",
                "content": None,
                "reasoning": "r",
                "channel": "analysis",
            },
            "finish_reason": None,
            "logprobs": {
                "content": [{"token": "a", "logprob": -1, "bytes": [97], "top_logprobs": []}]
            },
        }
    ],
    "usage": None,
    "x_groq": {"id": "req_1"},
}


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (ChatCompletionChunk.from_dict(RICH), "id"),
        (ChoiceDelta(content="x"), "content"),
        (ChunkChoice(index=0), "index"),
        (Usage(prompt_tokens=1), "extra"),
        (Message(content="x"), "content"),  # a lazy slot, frozen all the same
        (Message(), "role"),
        (ChatCompletion(), "id"),
        (ToolCall(), "function"),
        (FunctionCall(), "arguments"),
        (AssembledLogprobs(), "content"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_models_are_frozen(value: Any, name: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, name, "changed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(value, name)
    assert not hasattr(value, "__dict__")  # slots: nowhere to put anything else


def test_equality_ignores_null_versus_absent_but_not_values_or_extra() -> None:
    with_null = ChoiceDelta.from_dict({"content": "x", "role": None})
    without = ChoiceDelta.from_dict({"content": "x"})
    by_hand = ChoiceDelta(content="x")
    assert with_null == without == by_hand
    assert hash(with_null) == hash(without) == hash(by_hand)
    # The bookkeeping is still there: the dicts differ.
    assert with_null.to_dict() == {"content": "x", "role": None}
    assert without.to_dict() == {"content": "x"}
    assert ChoiceDelta(content="y") != by_hand
    assert ChoiceDelta.from_dict({"content": "x", "reasoning_details": []}) != by_hand
    assert ChatCompletionChunk.from_dict(RICH) == ChatCompletionChunk.from_dict(
        json.loads(json.dumps(RICH))
    )


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_models_pickle_keeping_null_versus_absent(protocol: int) -> None:
    chunk = ChatCompletionChunk.from_dict(RICH)
    back = pickle.loads(pickle.dumps(chunk, protocol=protocol))
    assert back == chunk
    assert_same_json(back.to_dict(), RICH)
    hand = ChoiceDelta(content="x")
    assert pickle.loads(pickle.dumps(hand, protocol=protocol)).to_dict() == {"content": "x"}


def test_models_copy_and_deepcopy() -> None:
    chunk = ChatCompletionChunk.from_dict(RICH)
    for copied in (copy.copy(chunk), copy.deepcopy(chunk)):
        assert copied == chunk
        assert_same_json(copied.to_dict(), RICH)
    deep = copy.deepcopy(chunk)
    assert deep.extra is not chunk.extra and deep.extra == chunk.extra


def test_repr_is_short_and_leaves_out_empty_fields() -> None:
    chunk = ChatCompletionChunk.from_dict(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
        }
    )
    # The usual object value says nothing and is left out; another one is shown.
    assert repr(chunk) == (
        "ChatCompletionChunk(id='c1', created=1, model='m', "
        "choices=(ChunkChoice(index=0, delta=ChoiceDelta(content='Hi')),))"
    )
    assert (
        repr(ChatCompletionChunk(id="c1", object="")) == "ChatCompletionChunk(id='c1', object='')"
    )
    assert repr(ChoiceDelta()) == "ChoiceDelta()"
    # Falsy values that are not empty are shown: "" and 0 say something.
    assert (
        repr(ChoiceDelta(role="assistant", content=""))
        == "ChoiceDelta(role='assistant', content='')"
    )
    assert (
        repr(ChunkChoice(index=0, finish_reason="stop"))
        == "ChunkChoice(index=0, finish_reason='stop')"
    )
    assert (
        repr(Usage(prompt_tokens=0, extra={"queue_time": 1}))
        == "Usage(prompt_tokens=0, extra={'queue_time': ...})"
    )


def test_repr_cuts_a_long_value_short() -> None:
    # repr('a' * 100) is 102 characters; it is cut to its first 61 and "...".
    assert repr(ChoiceDelta(content="a" * 100)) == "ChoiceDelta(content='" + "a" * 60 + "...)"


def test_repr_shows_warning_kinds_and_vendor_keys_only() -> None:
    warning = StreamWarning(kind="truncated", message="x" * 500)
    completion = ChatCompletion(id="c", warnings=(warning,), extra={"x_groq": {"id": "y" * 300}})
    assert repr(completion) == (
        "ChatCompletion(id='c', warnings=('truncated',), extra={'x_groq': ...})"
    )


# -------------------------------------------------------------------------------------------
# The assembled side: to_dict shapes as /work/notes/OUTPUT_SHAPE.md gives them.

TOP_KEYS = [
    "id",
    "object",
    "created",
    "model",
    "system_fingerprint",
    "service_tier",
    "choices",
    "usage",
]


def test_an_empty_completion_has_every_top_level_key_null_or_empty() -> None:
    out = ChatCompletion().to_dict()
    assert out == {
        "id": None,
        "object": "chat.completion",
        "created": None,
        "model": None,
        "system_fingerprint": None,
        "service_tier": None,
        "choices": [],
        "usage": None,
    }
    assert list(out) == TOP_KEYS


def test_a_completion_writes_error_after_usage_then_the_unknown_fields() -> None:
    usage = Usage.from_dict({"prompt_tokens": 5, "completion_tokens": None, "queue_time": 0.1})
    completion = ChatCompletion(
        id="chatcmpl-1",
        created=1700000000,
        model="m",
        system_fingerprint="fp",
        service_tier="default",
        choices=(Choice(index=0, finish_reason="stop", message=Message(content="Hi")),),
        usage=usage,
        error={"message": "overloaded", "code": 529},
        warnings=(StreamWarning(kind="inconsistent", message="model changed"),),
        extra={"x_groq": {"id": "req_1"}, "citations": ["a"]},
    )
    out = completion.to_dict()
    assert out == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "m",
        "system_fingerprint": "fp",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        # usage exactly as sent: the null kept, the vendor key kept
        "usage": {"prompt_tokens": 5, "completion_tokens": None, "queue_time": 0.1},
        "error": {"message": "overloaded", "code": 529},
        "x_groq": {"id": "req_1"},
        "citations": ["a"],
    }
    # warnings are not part of the JSON shape
    assert list(out) == [*TOP_KEYS, "error", "x_groq", "citations"]


def test_a_completion_error_that_is_a_bare_string_stays_a_string() -> None:
    assert ChatCompletion(error="boom").to_dict()["error"] == "boom"
    assert "error" not in ChatCompletion().to_dict()


def test_a_choice_has_index_message_finish_reason_logprobs_then_its_extras() -> None:
    out = Choice(
        index=2, extra={"content_filter_results": {"hate": {"filtered": False}}, "seed": None}
    ).to_dict()
    assert out == {
        "index": 2,
        "message": {"role": "assistant", "content": None, "refusal": None},
        "finish_reason": None,
        "logprobs": None,
        "content_filter_results": {"hate": {"filtered": False}},
        "seed": None,
    }
    assert list(out) == [
        "index",
        "message",
        "finish_reason",
        "logprobs",
        "content_filter_results",
        "seed",
    ]


def test_a_bare_message_has_role_assistant_and_null_content_and_refusal() -> None:
    out = Message().to_dict()
    assert out == {"role": "assistant", "content": None, "refusal": None}
    assert list(out) == ["role", "content", "refusal"]
    # An empty tool_calls tuple is "not present": no key.
    assert Message(tool_calls=()).to_dict() == {
        "role": "assistant",
        "content": None,
        "refusal": None,
    }


def test_a_full_message_lists_its_keys_in_the_documented_order() -> None:
    message = Message(
        role="assistant",
        content="",
        refusal=None,
        tool_calls=(
            ToolCall(id="call_1", function=FunctionCall(name="f", arguments='{"a":1}')),
            ToolCall(type="custom"),
        ),
        function_call=FunctionCall(name="g"),
        reasoning_content="think",
        reasoning="",
        content_parts=({"type": "text", "text": ""},),
        audio=MessageAudio(id="audio_1", data="UklG", transcript="Hi", expires_at=1700003600),
        annotations=(Annotation(type="url_citation", url_citation=URLCitation(url="u")),),
        extra={"reasoning_details": [{"type": "reasoning.text"}], "channel": "final"},
    )
    out = message.to_dict()
    assert out == {
        "role": "assistant",
        "content": "",
        "refusal": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}},
            {"id": None, "type": "custom", "function": {"name": None, "arguments": ""}},
        ],
        "function_call": {"name": "g", "arguments": ""},
        "reasoning_content": "think",
        "reasoning": "",
        "content_parts": [{"type": "text", "text": ""}],
        "audio": {"id": "audio_1", "data": "UklG", "transcript": "Hi", "expires_at": 1700003600},
        "annotations": [{"type": "url_citation", "url_citation": {"url": "u"}}],
        "reasoning_details": [{"type": "reasoning.text"}],
        "channel": "final",
    }
    assert list(out) == [
        "role",
        "content",
        "refusal",
        "tool_calls",
        "function_call",
        "reasoning_content",
        "reasoning",
        "content_parts",
        "audio",
        "annotations",
        "reasoning_details",
        "channel",
    ]


def test_a_tool_call_has_id_type_function_and_no_index() -> None:
    # "type" is "function" and "arguments" "" when never sent; no "index" key in the output.
    assert ToolCall().to_dict() == {
        "id": None,
        "type": "function",
        "function": {"name": None, "arguments": ""},
    }
    assert list(ToolCall().to_dict()) == ["id", "type", "function"]
    assert FunctionCall(name="f").to_dict() == {"name": "f", "arguments": ""}
    assert FunctionCall(arguments="{}", extra={"k": 1}).to_dict() == {
        "name": None,
        "arguments": "{}",
        "k": 1,
    }


def test_assembled_logprobs_write_both_lists_or_null() -> None:
    assert AssembledLogprobs().to_dict() == {"content": None, "refusal": None}
    token = TokenLogprob.from_dict({"token": "a", "logprob": -1, "bytes": None, "top_logprobs": []})
    logprobs = AssembledLogprobs(content=(token, TokenLogprob(token="b")), refusal=())
    assert logprobs.to_dict() == {
        "content": [
            {"token": "a", "logprob": -1, "bytes": None, "top_logprobs": []},
            {"token": "b"},
        ],
        "refusal": [],
    }
    choice = Choice(index=0, logprobs=AssembledLogprobs(refusal=(token,)))
    assert choice.to_dict()["logprobs"] == {
        "content": None,
        "refusal": [{"token": "a", "logprob": -1, "bytes": None, "top_logprobs": []}],
    }


# -------------------------------------------------------------------------------------------
# Pending: text joined lazily, once, from the first n parts of a list that may grow.


def counting(finish: Callable[[list[Any]], Any]) -> tuple[Callable[[list[Any]], Any], list[int]]:
    calls: list[int] = []

    def wrapped(parts: list[Any]) -> Any:
        calls.append(len(parts))
        return finish(parts)

    return wrapped, calls


def raw_slot(value: Any, name: str) -> Any:
    """What the slot holds, without the lazy read."""
    return type(value).__dict__[name].slot.__get__(value, type(value))


def test_pending_content_reads_as_the_join_of_its_first_n_parts_and_is_joined_once() -> None:
    parts = ["Hel", "lo"]
    join, calls = counting("".join)
    message = Message(content=Pending(parts, 2, join))
    parts.append(" world")  # the accumulator goes on after the snapshot
    assert type(raw_slot(message, "content")) is Pending
    assert message.content == "Hello"
    assert message.content == "Hello"
    assert calls == [2]  # joined once, from two parts
    assert raw_slot(message, "content") == "Hello"  # the slot now holds the str
    assert type(raw_slot(message, "content")) is str
    assert message.to_dict()["content"] == "Hello"
    assert calls == [2]


def test_pending_with_every_part_and_with_none() -> None:
    parts = ["a", "b"]
    assert Message(content=Pending(parts, 2, "".join)).content == "ab"
    assert Message(content=Pending(parts, 0, "".join)).content == ""


@pytest.mark.parametrize("name", ["content", "refusal", "reasoning_content", "reasoning"])
def test_every_text_field_of_a_message_can_be_pending(name: str) -> None:
    parts = ["x", "y", "z"]
    message = Message(**{name: Pending(parts, 2, "".join)})
    parts.append("!")
    assert getattr(message, name) == "xy"
    assert message.to_dict()[name] == "xy"


def test_pending_content_parts_tool_arguments_and_logprobs() -> None:
    parts: list[Any] = [{"type": "text", "text": "a"}]
    message = Message(content_parts=Pending(parts, 1, tuple))
    parts.append({"type": "text", "text": "b"})
    assert message.content_parts == ({"type": "text", "text": "a"},)
    args = ['{"a":', "1}"]
    function = FunctionCall(name="f", arguments=Pending(args, 1, "".join))
    args.append("junk")
    assert function.to_dict() == {"name": "f", "arguments": '{"a":'}
    tokens = [TokenLogprob(token="a"), TokenLogprob(token="b")]
    logprobs = AssembledLogprobs(content=Pending(tokens, 1, tuple), refusal=Pending([], 0, tuple))
    tokens.append(TokenLogprob(token="c"))
    assert logprobs.to_dict() == {"content": [{"token": "a"}], "refusal": []}


def test_equality_pickle_copy_and_repr_see_the_joined_value() -> None:
    def fresh() -> Message:
        parts = ["Hel", "lo"]
        message = Message(content=Pending(parts, 2, "".join))
        parts.append("!")
        return message

    assert fresh() == Message(content="Hello")
    assert fresh() == fresh()
    assert fresh() != Message(content="Hello!")
    assert hash(fresh()) == hash(Message(content="Hello"))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(fresh(), protocol=protocol))
        assert type(raw_slot(back, "content")) is str
        assert back == Message(content="Hello")
    assert copy.copy(fresh()) == Message(content="Hello")
    assert copy.deepcopy(fresh()) == Message(content="Hello")
    assert repr(fresh()) == "Message(role='assistant', content='Hello')"
    assert dataclasses.replace(fresh(), refusal="no") == Message(content="Hello", refusal="no")


# -------------------------------------------------------------------------------------------
# Properties: any JSON gives a chunk that round-trips, or a ChunkError whose path points at
# the offending value. No other exception escapes.

MISSING = object()


def resolve(obj: Any, path: str) -> Any:
    """The value at a ChunkError path (``.choices[0].delta.content``); MISSING if the last key
    is not there."""
    if path == ".":
        return obj
    value = obj
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        if key:
            if key not in value:
                return MISSING
            value = value[key]
        else:
            value = value[int(index)]
    return value


def json_type_name(value: Any) -> str:
    names = {dict: "object", list: "list", str: "str", int: "int", float: "float", bool: "bool"}
    return "null" if value is None else names[type(value)]


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=6)
)
any_json = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
UNKNOWN_KEYS = st.sampled_from(["x_groq", "citations", "reasoning_details", "channel", "x_gateway"])


def mixed(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes null, sometimes any JSON at all."""
    return st.one_of(valid, valid, valid, valid, st.none(), any_json)


def valid_or_null(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return valid | st.none()


def obj(
    required: dict[str, Any] | None = None, **optional: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """An object whose known keys may each be absent, plus a few unknown keys."""
    known = st.fixed_dictionaries(required or {}, optional=optional)
    unknown = st.dictionaries(UNKNOWN_KEYS, any_json, max_size=1)
    return st.builds(lambda k, u: {**u, **k}, known, unknown)


def chunk_schema(valid: bool) -> st.SearchStrategy[Any]:
    """Chunk-shaped objects: every value valid (or null where null is allowed), or ``mixed``
    (any known field, list item or index may be any JSON value)."""
    field = valid_or_null if valid else mixed

    def item(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return strategy if valid else mixed(strategy)

    text = st.text(max_size=4)
    count = st.integers(min_value=0, max_value=10**6)
    number = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-9, 0)
    byte_list = st.lists(st.integers(0, 255), max_size=3)
    top = obj(token=field(text), logprob=field(number), bytes=field(byte_list))
    token = obj(
        token=field(text),
        logprob=field(number),
        bytes=field(byte_list),
        top_logprobs=field(st.lists(item(top), max_size=2)),
    )
    function = obj(name=field(text), arguments=field(text))
    tool_call = obj(index=field(count), id=field(text), type=field(text), function=field(function))
    part = st.dictionaries(st.sampled_from(["type", "text", "thinking"]), any_json, max_size=2)
    delta = obj(
        role=field(text),
        content=field(text | st.lists(item(part), max_size=2)),
        refusal=field(text),
        reasoning_content=field(text),
        reasoning=field(text),
        tool_calls=field(st.lists(item(tool_call), max_size=2)),
        function_call=field(function),
    )
    logprobs = obj(
        content=field(st.lists(item(token), max_size=2)),
        refusal=field(st.lists(item(token), max_size=1)),
    )
    choice = obj(
        {"index": item(count), "delta": delta if valid else field(delta)},
        finish_reason=field(text),
        logprobs=field(logprobs),
    )
    usage = obj(
        prompt_tokens=field(count),
        completion_tokens=field(count),
        total_tokens=field(count),
        prompt_tokens_details=field(obj(cached_tokens=field(count), audio_tokens=field(count))),
        completion_tokens_details=field(
            obj(
                reasoning_tokens=field(count),
                audio_tokens=field(count),
                accepted_prediction_tokens=field(count),
                rejected_prediction_tokens=field(count),
            )
        ),
    )
    # At least one choice: chunks without any are covered by the tables above, and the deep
    # fields are where the paths get interesting.
    choices = st.lists(item(choice), min_size=1, max_size=2)
    return obj(
        {"choices": choices if valid else st.one_of(choices, choices, field(choices))},
        id=field(text),
        object=field(st.just("chat.completion.chunk")),
        created=field(count),
        model=field(text),
        system_fingerprint=field(text),
        service_tier=field(text),
        usage=field(usage),
    )


valid_chunks = chunk_schema(valid=True)
chunk_like = chunk_schema(valid=False)


def check_either_round_trip_or_located_error(build: Callable[[Any], Any], value: Any) -> None:
    try:
        built = build(value)
    except ChunkError as exc:
        message = str(exc)
        assert exc.path is not None
        found = resolve(value, exc.path)
        if found is MISSING:
            assert message.endswith(f" at {exc.path}, got nothing (the key is missing)"), message
        else:
            shown = "null" if found is None else json_type_name(found)
            if exc.path == ".":
                assert message.startswith("expected a JSON object ("), message
            else:
                assert f" at {exc.path}, got {shown}" in message, message
            assert message.startswith("expected ") and f", got {shown}" in message, message
    else:
        assert_same_json(built.to_dict(), value)


@settings(max_examples=150, deadline=None)
@given(valid_chunks)
def test_any_valid_chunk_round_trips_exactly(value: dict[str, Any]) -> None:
    assert_same_json(ChatCompletionChunk.from_dict(value).to_dict(), value)


@settings(max_examples=200, deadline=None)
@given(chunk_like)
def test_any_chunk_shaped_object_round_trips_or_raises_a_located_chunk_error(value: Any) -> None:
    check_either_round_trip_or_located_error(ChatCompletionChunk.from_dict, value)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CHUNK_SIDE), any_json)
def test_any_json_value_round_trips_or_raises_a_located_chunk_error(
    cls: type[Any], value: Any
) -> None:
    check_either_round_trip_or_located_error(cls.from_dict, value)


# -------------------------------------------------------------------------------------------
# Layering: the models know nothing of SSE or of the json module.


def test_models_import_only_the_standard_library_and_errors() -> None:
    tree = ast.parse((REPO / "chunkstream" / "_models.py").read_text(encoding="utf-8"))
    relative, absolute = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative.add((node.level, node.module))
            else:
                absolute.add((node.module or "").split(".")[0])
    # _display (HTML/markdown for notebooks) is the models layer's own presentation, imported
    # lazily inside ChatCompletion._repr_html_/_repr_markdown_; _partial reads JSON text for
    # FunctionCall.parse_arguments, imported inside it, and _encode (JSON text) inside
    # ChatCompletionChunk.to_sse (the models still import no json).
    assert relative == {(1, "_errors"), (1, "_display"), (1, "_partial"), (1, "_encode")}
    assert absolute <= set(sys.stdlib_module_names), absolute - set(sys.stdlib_module_names)
    assert "json" not in absolute
    assert "__future__" in absolute  # sanity: the walk does see the imports


@given(
    st.one_of(
        st.text(max_size=80),
        st.text(alphabet="'\"\\\n\x00\u2028\U0001f600\ud800", max_size=70),
        st.integers(),
        st.lists(st.text(max_size=70), max_size=6),
    ),
    st.sampled_from([3, 10, 20, 60]),
)
def test_shown_is_reprlib_cut_short_whatever_the_value(value: Any, limit: int) -> None:
    # shown() takes a short string's repr itself and keeps one reprlib.Repr per limit: it must
    # say exactly what a fresh Repr with its settings says.
    import reprlib

    from chunkstream._errors import shown

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlong = min(limit, 40)
    r.maxlist = r.maxdict = r.maxtuple = 4
    r.maxlevel = 2
    text = r.repr(value)
    assert shown(value, limit) == (
        text if len(text) <= 2 * limit else text[: 2 * limit - 3] + "..."
    )


@given(
    st.text(max_size=8),
    st.text(max_size=20),
    st.none() | st.integers(0, 10**6),
    st.none() | st.integers(0, 10**9),
    st.none() | st.text(max_size=10),
    st.none() | st.text(max_size=10),
)
def test_the_warnings_chunkstream_records_are_the_dataclass_s_own(
    kind: str,
    message: str,
    chunk_index: int | None,
    byte_offset: int | None,
    path: str | None,
    field: str | None,
) -> None:
    # Warnings.add builds a StreamWarning without its __init__ (_errors._warning: each slot
    # set through its descriptor, at half the cost). What it makes is the dataclass's own:
    # equal, with the same hash, repr and fields, and still frozen.
    made = _errors._warning(kind, message, chunk_index, byte_offset, path, field)
    where = dict(chunk_index=chunk_index, byte_offset=byte_offset, path=path, field=field)
    built = StreamWarning(kind=kind, message=message, **where)
    assert type(made) is StreamWarning
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    assert str(made) == str(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.kind = "other"  # type: ignore[misc]
    kept = _errors.Warnings(limit=1)
    kept.add(kind, message, chunk_index, byte_offset, path, field)
    kept.add(kind, message, chunk_index=chunk_index)  # over the limit: counted
    assert kept.kept == [built] and kept.dropped == {kind: 1}
