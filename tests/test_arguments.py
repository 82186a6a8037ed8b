"""Tool-call arguments as data: the "invalid_arguments" warning for finished calls whose
arguments are not JSON, and ``FunctionCall.parse_arguments()``.

Expected messages are written by hand from ``json``'s own wording (``JSONDecodeError``), which
the warning quotes; byte offsets are found in the bytes each test builds."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import DONE, chunk, data, sse

import chunkstream
from chunkstream import FunctionCall, InvalidJSONError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def call(
    index: int, call_id: str | None = None, name: str | None = None, arguments: str = ""
) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    out: dict[str, Any] = {"index": index, "function": function}
    if call_id is not None:
        out.update(id=call_id, type="function")
    return out


def tools(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": list(calls)}


CUT = chunk({}, "length")
LENGTH_CUT = [
    chunk({"role": "assistant", **tools(call(0, "call_1", "get_weather"))}),
    chunk(tools(call(0, arguments='{"city": '))),
    chunk(tools(call(0, arguments='"Par'))),
    CUT,
]
# json.loads('{"city": "Par') says, in its own words:
UNTERMINATED = "Unterminated string starting at: line 1 column 10 (char 9)"


def offset_of(body: bytes, obj: dict[str, Any]) -> int:
    return body.index(data(obj).encode())


@pytest.mark.parametrize("strict", [True, False])
def test_arguments_cut_by_length_warn_in_both_modes_located_where_the_choice_finished(
    strict: bool,
) -> None:
    body = sse(*LENGTH_CUT)
    completion = chunkstream.assemble(body, strict=strict)
    (tool,) = completion.choices[0].message.tool_calls or ()
    assert tool.function.arguments == '{"city": "Par'  # kept as sent
    [w] = completion.warnings
    path = ".choices[0].message.tool_calls[0].function.arguments"
    assert (w.kind, w.chunk_index, w.byte_offset, w.path, w.field) == (
        "invalid_arguments",
        3,
        offset_of(body, CUT),
        path,
        "tool_calls.function.arguments",
    )
    assert w.message == (
        f"the arguments of tool call 'call_1', function 'get_weather' at {path} are not "
        f"valid JSON: {UNTERMINATED}; kept as sent"
    )


def test_valid_and_blank_arguments_do_not_warn() -> None:
    body = sse(
        chunk({"role": "assistant", **tools(call(0, "call_1", "now"), call(1, "call_2", "f"))}),
        chunk(tools(call(1, arguments=' {"a": [1, 2.5, null]}\n'))),
        chunk(tools(call(2, "call_3", "g", arguments="  "))),
        chunk({}, "tool_calls"),
    )
    completion = chunkstream.assemble(body)
    calls = completion.choices[0].message.tool_calls or ()
    assert [t.function.arguments for t in calls] == ["", ' {"a": [1, 2.5, null]}\n', "  "]
    assert completion.warnings == ()
    assert [t.function.parse_arguments() for t in calls] == [{}, {"a": [1, 2.5, None]}, {}]


def test_only_the_broken_call_of_the_second_choice_warns_with_its_completion_path() -> None:
    # Choice 3 is the completion's choices[1] (sorted by index); its call at index 5 is the
    # message's tool_calls[1].
    body = sse(
        chunk({"role": "assistant", "content": "ok"}, index=0),
        chunk({"role": "assistant", **tools(call(0, "a", "f", "{}"))}, index=3),
        chunk(tools(call(5, "b", "g", "{]")), index=3),
        chunk({}, "stop", index=0),
        chunk({}, "tool_calls", index=3),
    )
    completion = chunkstream.assemble(body)
    [w] = completion.warnings
    assert w.path == ".choices[1].message.tool_calls[1].function.arguments"
    assert w.chunk_index == 4
    assert w.message.startswith("the arguments of tool call 'b', function 'g' at ")
    assert "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2" in (
        w.message
    )


def test_legacy_function_call_gets_the_same_warning() -> None:
    finish = chunk({}, "function_call")
    body = sse(
        chunk({"role": "assistant", "function_call": {"name": "f", "arguments": '{"x": 1'}}),
        finish,
    )
    completion = chunkstream.assemble(body)
    [w] = completion.warnings
    path = ".choices[0].message.function_call.arguments"
    assert (w.kind, w.path, w.field, w.chunk_index, w.byte_offset) == (
        "invalid_arguments",
        path,
        "function_call.arguments",
        1,
        offset_of(body, finish),
    )
    assert w.message == (
        f"the arguments of function call, function 'f' at {path} are not valid JSON: "
        "Expecting ',' delimiter: line 1 column 8 (char 7); kept as sent"
    )


def test_a_stream_that_ends_with_the_call_unfinished_warns_after_the_truncation() -> None:
    # No finish_reason, no [DONE]: the call ended with the input. Located at the last chunk.
    last = chunk(tools(call(0, arguments="[1, ")))
    body = (data(chunk({"role": "assistant", **tools(call(0, "c", "f"))})) + data(last)).encode()
    completion = chunkstream.assemble(body, strict=False)
    truncated, invalid = completion.warnings
    assert truncated.kind == "truncated"
    assert (invalid.kind, invalid.chunk_index, invalid.byte_offset) == (
        "invalid_arguments",
        1,
        offset_of(body, last),
    )
    assert "not valid JSON: Expecting value: line 1 column 5 (char 4)" in invalid.message


def test_done_without_a_finish_reason_in_strict_mode_still_warns() -> None:
    body = sse(chunk({"role": "assistant", **tools(call(0, "c", "f", "{"))}))
    assert body.endswith(DONE.encode())
    completion = chunkstream.assemble(body)
    assert [w.kind for w in completion.warnings] == ["invalid_arguments"]


def test_the_arguments_are_read_once_at_the_end_not_by_snapshots() -> None:
    asm = chunkstream.Assembler()
    for c in LENGTH_CUT[:3]:
        asm.feed(data(c).encode())
        assert asm.snapshot().warnings == ()  # nothing finished yet: nothing to say
    asm.feed(data(CUT).encode())
    assert asm.snapshot().warnings == ()  # read at close(), once
    first = asm.close()
    assert [w.kind for w in first.warnings] == ["invalid_arguments"]
    acc = chunkstream.Accumulator()
    for c in LENGTH_CUT:
        acc.feed(chunkstream.ChatCompletionChunk.from_dict(c))
    assert acc.close().warnings == acc.close().warnings  # a second close() adds nothing
    [w] = acc.warnings
    assert (w.message, w.chunk_index, w.byte_offset) == (first.warnings[0].message, 3, None)


def test_the_warning_counts_against_max_warnings() -> None:
    completion = chunkstream.assemble(sse(*LENGTH_CUT), max_warnings=0)
    [summary] = completion.warnings
    assert summary.kind == "warnings_dropped"
    assert summary.message.endswith("by kind: invalid_arguments: 1")


# -- FunctionCall.parse_arguments() ------------------------------------------------------------


def test_parse_arguments_gives_a_dict_and_blank_gives_an_empty_one() -> None:
    assert FunctionCall(name="f", arguments='{"a": {"b": [true]}}').parse_arguments() == {
        "a": {"b": [True]}
    }
    assert FunctionCall().parse_arguments() == {}
    assert FunctionCall(arguments=" \n").parse_arguments() == {}


@pytest.mark.parametrize(
    ("arguments", "message", "position"),
    [
        (
            '{"city": "Par',
            f"the arguments of 'f' are not valid JSON: {UNTERMINATED}; got '{{\"city\": \"Par'",
            9,
        ),
        (
            "[1, 2]",
            "the arguments of 'f' are valid JSON but not an object: [1, 2]; got '[1, 2]'",
            None,
        ),
        (
            '{"x": NaN}',
            "the arguments of 'f' are not valid JSON: NaN is not JSON (RFC 8259 §6); "
            "got '{\"x\": NaN}'",
            None,
        ),
    ],
)
def test_parse_arguments_refuses_what_is_not_a_json_object(
    arguments: str, message: str, position: int | None
) -> None:
    with pytest.raises(InvalidJSONError) as info:
        FunctionCall(name="f", arguments=arguments).parse_arguments()
    assert str(info.value) == message
    assert info.value.position == position
    assert isinstance(info.value, chunkstream.ChunkError)
    again = pickle.loads(pickle.dumps(info.value))
    assert (str(again), again.position) == (message, position)


def test_parse_arguments_without_a_name_and_with_hostile_text() -> None:
    with pytest.raises(InvalidJSONError) as info:
        FunctionCall(arguments="[" * 100_000).parse_arguments()  # no RecursionError escapes
    assert str(info.value).startswith("the arguments are not valid JSON: nested too deep to read")
    with pytest.raises(InvalidJSONError) as info:
        FunctionCall(arguments='{"n": ' + "9" * 5000 + "}").parse_arguments()
    # Valid JSON that this Python will not convert: said so, in words that do not depend on
    # the Python version (3.10 and 3.11 word their own ValueError differently).
    assert str(info.value).startswith(
        "the arguments are valid JSON with an integer of more digits than this Python reads "
        f"(sys.get_int_max_str_digits() is {sys.get_int_max_str_digits()}); got "
    )


@pytest.mark.parametrize("strict", [True, False])
def test_the_length_cut_fixture_warns_once_at_its_finish_chunk(strict: bool) -> None:
    body = (FIXTURES / "openai-tool-call-length-cut.sse").read_bytes()
    blocks = body.split(b"\n\n")
    finish = next(i for i, block in enumerate(blocks) if b'"finish_reason":"length"' in block)
    completion = chunkstream.assemble(body, strict=strict)
    [w] = completion.warnings
    assert (w.kind, w.chunk_index, w.byte_offset) == (
        "invalid_arguments",
        finish,
        body.index(blocks[finish]),
    )
    assert finish == 12
    # json.loads('{"location":"San Francisco, CA","unit":"cel') in its own words:
    assert w.message.endswith(
        "not valid JSON: Unterminated string starting at: line 1 column 40 (char 39); kept as sent"
    )


def test_arguments_that_start_with_a_byte_order_mark_are_not_json_as_json_loads_says() -> None:
    # The arguments are read by one decoder built once (_partial._DECODE), which lacks
    # json.loads's own test for a leading U+FEFF: such arguments still get json.loads's words.
    body = sse(
        chunk({"role": "assistant", **tools(call(0, "call_1", "f"))}),
        chunk(tools(call(0, arguments='\ufeff{"a": 1}'))),
        chunk({}, "tool_calls"),
    )
    [w] = chunkstream.assemble(body).warnings
    assert w.kind == "invalid_arguments"
    assert w.message == (
        "the arguments of tool call 'call_1', function 'f' at "
        ".choices[0].message.tool_calls[0].function.arguments are not valid JSON: Unexpected "
        "UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0); kept as sent"
    )
    with pytest.raises(InvalidJSONError, match="Unexpected UTF-8 BOM") as caught:
        FunctionCall(name="f", arguments='\ufeff{"a": 1}').parse_arguments()
    assert caught.value.position == 0
    assert FunctionCall(name="f", arguments=' {"a": [1, 2.5]} ').parse_arguments() == {
        "a": [1, 2.5]
    }
