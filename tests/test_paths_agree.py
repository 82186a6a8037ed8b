"""Every pair of paths that must agree does, under any limits.

One stream, generated as an SSE body (several choices, tool calls with an index, an id or
neither, null and repeated roles, finish reasons, content after a finish, usage, vendor keys,
provider errors, invalid chunks, comments, ``[DONE]`` or not), and limits drawn small
(``max_tool_calls`` and ``max_choices`` 1 to 3, a ``max_event_bytes`` that cuts some events,
few ``max_warnings``), strict or lenient. Then the same result, warnings (kind, message,
chunk_index, byte_offset, path, field) or error (type, message, location, partial) included,
from:

- ``assemble`` on the whole body, in reads of 1, of 2 and of 3 bytes, and at random cuts;
- ``Assembler`` fed read by read (a snapshot after each read), ``aassemble``;
- the fast paths switched off (``fuzz.general_paths``: every chunk merged by
  ``Accumulator.merge``, every event read by the SSE line loop, every chunk validated and
  built the long way), whole and cut;
- ``iter_chunks`` (whole, cut, async) on its own, and fed chunk by chunk to an
  ``Accumulator`` with the same limits: the same completion (``to_dict()``) in lenient mode;
  in strict mode, the same completion when either succeeds (warnings and the error raised
  differ by design: the chunk layer neither holds choices nor sees byte offsets).

The views compared are tests/fuzz.py's (``completion_view``, ``error_view``): what depends
on the cuts by design (where the SSE decoder noticed an oversized event) is left out there.
"""

from __future__ import annotations

import json
import random
from typing import Any

import fuzz
from helpers import reads_of
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import Accumulator, ChunkstreamError, iter_chunks

# -- streams -------------------------------------------------------------------------------------

ARGS = st.sampled_from(['{"a":', "1}", "", "x"])
FUNCTION = st.fixed_dictionaries(
    {}, optional={"name": st.sampled_from(["f", "g", ""]), "arguments": ARGS}
)
TOOL_CALL = st.fixed_dictionaries(
    {"function": FUNCTION},
    optional={
        "index": st.integers(0, 2),
        "id": st.sampled_from(["call_a", "call_b", "call_c", ""]),
        "type": st.sampled_from(["function", None]),
    },
)
DELTA = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(["assistant", None, "tool"]),
        "content": st.sampled_from(["Hi", " there", "", None, "é", "\ud83d", "\ude00"]),
        "tool_calls": st.lists(TOOL_CALL, max_size=2),
        "refusal": st.sampled_from(["no", None]),
        "reasoning_content": st.sampled_from(["think", None]),
        "channel": st.sampled_from(["analysis", ""]),
        "reasoning_details": st.just([{"index": 0, "type": "reasoning.text", "text": "r"}]),
        "x_vendor": st.sampled_from([{"k": "v"}, "s", 1, None]),
    },
)
TOKEN = {"token": "a", "logprob": -0.1, "bytes": [97], "top_logprobs": []}
CHOICE_INDEX = st.sampled_from([0, 0, 1, 2, 3])
CHOICE = st.fixed_dictionaries(
    {"index": CHOICE_INDEX, "delta": DELTA},
    optional={
        "finish_reason": st.sampled_from(["stop", "tool_calls", "length", "", None]),
        "logprobs": st.sampled_from([None, {"content": [TOKEN]}, {"content": [], "refusal": []}]),
        "native_finish_reason": st.sampled_from(["end_turn", None]),
    },
)
USAGE = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
GENERAL_CHUNK = st.fixed_dictionaries(
    {"choices": st.lists(CHOICE, max_size=3)},
    optional={
        "id": st.sampled_from(["chatcmpl-1", "chatcmpl-1", "chatcmpl-2", "", None]),
        "object": st.sampled_from(["chat.completion.chunk", None]),
        "created": st.sampled_from([1700000000, 1700000001, 1699999999, 0]),
        "model": st.sampled_from(["m", "m", "n", ""]),
        "system_fingerprint": st.sampled_from(["fp_1", "fp_2", None]),
        "usage": st.sampled_from([USAGE, None]),
        "x_groq": st.sampled_from([{"id": "q"}, {"usage": USAGE}]),
        "citations": st.just(["https://example.invalid"]),
        "error": st.sampled_from([{"message": "boom", "code": 500}, None, "plain"]),
    },
)


def everyday(choice: int, tool: int | None, text: str) -> dict[str, Any]:
    """The bulk of a stream: one string of content, or one fragment of arguments for a tool
    call by its index (the fast path's shapes)."""
    delta: dict[str, Any] = {"content": text}
    if tool is not None:
        delta = {"tool_calls": [{"index": tool, "function": {"arguments": text}}]}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [{"index": choice, "delta": delta, "finish_reason": None}],
    }


EVERYDAY_CHUNK = st.builds(
    everyday, st.sampled_from([0, 0, 1]), st.one_of(st.none(), st.integers(0, 2)), ARGS
)
# A chunk with one tool-call fragment (by index, by id, or neither): calls opened, refused
# over max_tool_calls, continued.
TOOL_CHUNK = st.builds(
    lambda choice, call: {
        "id": "chatcmpl-1",
        "model": "m",
        "choices": [{"index": choice, "delta": {"tool_calls": [call]}}],
    },
    st.sampled_from([0, 0, 1]),
    TOOL_CALL,
)
OTHER_EVENTS = st.sampled_from(
    [
        "data: {",
        'data: {"choices": 5}',
        "data: null",
        'data: {"choices":[{"index":-1}]}',
        'event: error\ndata: {"error":{"message":"overloaded","code":529}}',
        ": keep-alive",
        "data: [DONE]",
        "id: 7",
    ]
)
EVENT = st.one_of(
    EVERYDAY_CHUNK.map(json.dumps).map("data: ".__add__),
    TOOL_CHUNK.map(json.dumps).map("data: ".__add__),
    GENERAL_CHUNK.map(json.dumps).map("data: ".__add__),
    EVERYDAY_CHUNK.map(json.dumps).map("data: ".__add__),
    TOOL_CHUNK.map(json.dumps).map("data: ".__add__),
    OTHER_EVENTS,
)
# Tool calls of one choice only: opened, continued by index (the fast path's shape), by id or
# by neither, refused over max_tool_calls; so that limit state meets the fast path often.
TOOL_EVENT = st.one_of(
    st.builds(everyday, st.just(0), st.sampled_from([0, 1]), ARGS),
    st.builds(
        lambda call: {
            "id": "chatcmpl-1",
            "model": "m",
            "choices": [{"index": 0, "delta": {"tool_calls": [call]}}],
        },
        st.fixed_dictionaries(
            {"function": st.fixed_dictionaries({"arguments": ARGS}, optional={"name": ARGS})},
            optional={
                "index": st.integers(0, 2),
                "id": st.sampled_from(["call_a", "call_b", "call_c"]),
            },
        ),
    ),
).map(lambda chunk: "data: " + json.dumps(chunk))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    opening = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [
            {"index": i, "delta": {"role": "assistant", "content": ""}}
            for i in range(draw(st.integers(1, 3)))
        ],
    }
    if draw(st.booleans()):
        middle = draw(st.lists(EVENT, max_size=12))
    else:
        opening["choices"][0]["delta"]["tool_calls"] = [
            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "f"}}
        ]
        middle = draw(st.lists(TOOL_EVENT, min_size=3, max_size=10))
    events = ["data: " + json.dumps(opening), *middle]
    end = draw(st.sampled_from(["done", "finish", "none", "cut"]))
    if end in ("done", "finish"):
        for i in range(len(opening["choices"])):
            finish = {**opening, "choices": [{"index": i, "delta": {}, "finish_reason": "stop"}]}
            events.append("data: " + json.dumps(finish))
    if end == "done":
        events.append("data: [DONE]")
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = "".join(e.replace("\n", newline) + newline * 2 for e in events)
    if end == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


LIMITS = st.fixed_dictionaries(
    {
        # Events here are 30 to 400 bytes: a limit in that range cuts some, not all.
        "max_event_bytes": st.one_of(st.none(), st.none(), st.integers(30, 400)),
        "max_choices": st.integers(1, 3),
        "max_tool_calls": st.sampled_from([1, 1, 2, 3]),
        "max_warnings": st.sampled_from([0, 1, 3, 100, 100]),
    }
)

# -- the paths ------------------------------------------------------------------------------------


def strict_chunks_accumulated(body: bytes, limits: fuzz.Limits) -> Any:
    """Strict iter_chunks fed to a strict Accumulator: the completion, or the error's type."""
    acc = Accumulator(strict=True, **fuzz.accumulator_limits(limits))
    try:
        for chunk in iter_chunks([body], strict=True, **fuzz.chunk_limits(limits)):
            acc.feed(chunk)
    except ChunkstreamError as exc:
        return ("error", type(exc).__name__)
    return ("ok", acc.close().to_dict())


# A stream whose tool call is refused over max_tool_calls and then continued by its index and
# by a fragment with neither index nor id (the fast path left the refusal in place: issue 12).
REFUSED = (
    b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{"role":'
    b'"assistant","tool_calls":[{"index":0,"id":"a","function":{"name":"f"}}]}}]}\n\n'
    b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":'
    b'[{"index":1,"id":"b","function":{"name":"g"}}]}}]}\n\n'
    b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":'
    b'[{"index":0,"function":{"arguments":"x"}}]}}]}\n\n'
    b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":'
    b'[{"function":{"arguments":"y"}}]}}]}\n\n'
    b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{},'
    b'"finish_reason":"tool_calls"}]}\n\n'
    b"data: [DONE]\n\n"
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(
    body=REFUSED,
    limits={"max_event_bytes": None, "max_choices": 1, "max_tool_calls": 1, "max_warnings": 100},
    strict=False,
    seed=0,
)
# Lenient twice as often: there every limit and inconsistency is a warning and the stream
# goes on, so limit state meets later chunks (strict stops at the first).
@given(
    body=bodies(),
    limits=LIMITS,
    strict=st.sampled_from([False, True, False]),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_path_gives_the_same_result(
    body: bytes, limits: fuzz.Limits, strict: bool, seed: int
) -> None:
    rng = random.Random(seed)
    cuts = fuzz.cut(body, rng.sample(range(1, len(body)), max(0, min(6, len(body) - 1))))
    whole = fuzz.run_assemble([body], strict, limits)
    event(
        f"{'strict' if strict else 'lenient'} {whole[0]} {whole[1] if whole[0] == 'error' else ''}"
    )
    if whole[0] == "ok":
        for w in whole[2]:
            event(f"warning {w[0]}")
    for size in (1, 2, 3):
        got = fuzz.run_assemble(reads_of(body, size), strict, limits)
        assert fuzz.same(got, whole), (f"assemble in {size}-byte reads", got, whole)
    got = fuzz.run_assemble(cuts, strict, limits)
    assert fuzz.same(got, whole), ("assemble at cuts", cuts, got, whole)
    got = fuzz.run_assembler(cuts, strict, limits)
    assert fuzz.same(got, whole), ("Assembler read by read", got, whole)
    got = fuzz.run_assembler(reads_of(body, 1), strict, limits)
    assert fuzz.same(got, whole), ("Assembler byte by byte", got, whole)

    chunks = fuzz.run_iter_chunks([body], strict, limits)
    got = fuzz.run_iter_chunks(reads_of(body, rng.randint(1, 3)), strict, limits)
    assert fuzz.same(got, chunks), ("iter_chunks in tiny reads", got, chunks)
    got = fuzz.run_async(cuts, strict, limits)
    assert fuzz.same(got, [whole, chunks]), ("async", got, whole, chunks)

    with fuzz.general_paths():
        slow = fuzz.run_assemble([body], strict, limits)
        slow_cut = fuzz.run_assembler(cuts, strict, limits)
        slow_chunks = fuzz.run_iter_chunks([body], strict, limits)
    assert fuzz.same(slow, whole), ("fast paths off", slow, whole)
    assert fuzz.same(slow_cut, whole), ("fast paths off, Assembler at cuts", slow_cut, whole)
    assert fuzz.same(slow_chunks, chunks), ("fast paths off, iter_chunks", slow_chunks, chunks)

    if strict:
        by_chunks = strict_chunks_accumulated(body, limits)
        if whole[0] == "ok" or by_chunks[0] == "ok":
            assert by_chunks == ("ok", whole[1]), ("chunk path", by_chunks, whole)
    elif whole[0] == "ok":
        got = fuzz.lenient_chunks_accumulated([body], limits)
        assert fuzz.same(got, whole[1]), ("chunk path", got, whole[1])


def test_the_refused_stream_continues_the_call_whichever_path() -> None:
    # The example above, stated: call 1 is refused, "x" comes for call 0 by its index, so the
    # index-less "y" continues call 0 (not the refused call), on every path.
    limits = {**fuzz.DEFAULT_LIMITS, "max_tool_calls": 1}
    for reads in ([REFUSED], reads_of(REFUSED, 1)):
        completion = chunkstream.assemble(reads, strict=False, **limits)
        (call,) = completion.choices[0].message.tool_calls or ()
        assert call.function.arguments == "xy"
        with fuzz.general_paths():
            slow = chunkstream.assemble(reads, strict=False, **limits)
        assert slow.to_dict() == completion.to_dict()
        assert slow.warnings == completion.warnings
