"""Hostile and broken input (issue 6, "Trust: hostile input, bounded memory, nothing lost").

Named regression tests for every hostile input the issue lists and for every crash the fuzz
harness (tests/fuzz.py) found. For each: the exact error type and full message in strict mode,
the result and warnings in lenient mode, no foreign exception, bounded time and memory.
Expected values come from docs/DESIGN.md, the README and the bytes each test builds (the
streams are built with tests/helpers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import multiprocessing
import pickle
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from helpers import (
    BANG,
    CREATED,
    DONE,
    EMPTY_COMPLETION,
    HELLO,
    ID,
    STOP,
    agen,
    chunk,
    completion,
    data,
    reads_of,
    repr_cut,
    traced,
)

from chunkstream import (
    Accumulator,
    ChatCompletionChunk,
    ChunkDecoder,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    SSEDecoder,
    SSEError,
    StreamWarning,
    TruncatedStreamError,
    UpstreamError,
    aiter_chunks,
    assemble,
    iter_chunks,
)

# ---------------------------------------------------------------------------------------------
# Crashes and gaps the fuzz harness found (each fixed in chunkstream/; see the commit).


def test_iter_chunks_does_not_count_events_after_done_in_the_same_read() -> None:
    # Found by the fuzz harness ("iter_chunks: cuts change the result"): iter_chunks stops
    # reading at [DONE], but warned "N event(s) after [DONE] were ignored" for the events that
    # happened to share the read holding [DONE], so its warnings depended on the cuts.
    # assemble() counts none; neither does iter_chunks now, however the reads are cut.
    after = data(chunk({"content": "late"})) + "data: {nope\n\n"
    body = (HELLO + STOP + DONE + after).encode()
    at_done = len((HELLO + STOP + DONE).encode())
    for reads in ([body], [body[:at_done], body[at_done:]], reads_of(body, 7)):
        for strict in (True, False):
            it = iter_chunks(reads, strict=strict)
            assert [c.to_dict() for c in it] == [
                chunk({"role": "assistant", "content": "Hi"}),
                chunk({}, "stop"),
            ]
            assert it.warnings == []

            async def collect(strict: bool = strict, reads: list[bytes] = reads) -> Any:
                ait = aiter_chunks(agen(reads), strict=strict)
                return [c.to_dict() async for c in ait], ait.warnings

            got, warnings = asyncio.run(collect())
            assert len(got) == 2 and warnings == []
    assert assemble(body, strict=False).warnings == ()
    assert assemble(body).to_dict() == completion("Hi", "stop")


BIG = data({"pad": "x" * 1000})  # its line is 1016 bytes long


def test_every_event_skipped_for_its_size_gets_a_warning_in_lenient_mode() -> None:
    # Found by the fuzz harness ("assemble: cuts change the result"): when one read held two
    # events over max_event_bytes, lenient mode warned about the first only; the second was
    # skipped silently (with the events in separate reads, both were reported).
    body = (HELLO + BIG + BANG + BIG + STOP + DONE).encode()
    first = len(HELLO)
    second = len(HELLO + BIG + BANG)
    warning = "event exceeds max_event_bytes (500); skipped it"
    for reads in ([body], [body[:second], body[second:]], reads_of(body, 7)):
        result = assemble(reads, strict=False, max_event_bytes=500)
        assert result.to_dict() == completion("Hi!", "stop")
        assert result.warnings == (
            StreamWarning(kind="limit", message=warning, byte_offset=first),
            StreamWarning(kind="limit", message=warning, byte_offset=second),
        )
    # The decoder names every event the read skipped.
    with pytest.raises(SSEError) as info:
        SSEDecoder(500).feed(body)
    assert info.value.skipped == [first, second]
    stop = second + len(BIG)  # the other events: HELLO, BANG, STOP and DONE
    assert [e.offset for e in info.value.events] == [0, len(HELLO + BIG), stop, stop + len(STOP)]
    # Strict mode raises at the first, carrying what came before it.
    with pytest.raises(SSEError) as info2:
        assemble(body, max_event_bytes=500)
    assert str(info2.value) == (
        "event exceeds max_event_bytes (500): it reached 1016 bytes and was skipped; 1 more "
        f"oversized event(s) in the same read were skipped too (byte {first})"
    )
    assert info2.value.partial.to_dict() == completion("Hi", None)


def test_chunk_decoder_counts_every_oversized_event_after_done() -> None:
    body = (HELLO + STOP + DONE + BIG + BIG).encode()
    at = len(HELLO + STOP + DONE)
    for reads in ([body], [body[:at], body[at:]], reads_of(body, 9)):
        decoder = ChunkDecoder(strict=False, max_event_bytes=500)
        for read in reads:
            decoder.feed(read)
        decoder.close()
        assert decoder.warnings == [
            StreamWarning(kind="ignored", message="2 event(s) after [DONE] were ignored")
        ]


@pytest.mark.parametrize(
    ("code", "code_shown"),
    [
        ("y" * 10_000_000, "'" + "y" * 27 + "..." + "y" * 28 + "'"),
        (10**4000, "1" + "0" * 17 + "..." + "0" * 19),  # 18 and 19 of the 4001 digits
    ],
    ids=["10MB-str", "4001-digit-int"],
)
def test_a_huge_provider_error_code_is_cut_short(code: Any, code_shown: str) -> None:
    # Found by the fuzz harness (target "models", the message-length check): the provider's
    # error code was shown in full with repr(), so a 10 MB code made a 10 MB message.
    error = {"message": "overloaded", "code": code}
    body = (HELLO + data({"error": error}) + STOP + DONE).encode()
    reason = f"the provider sent an error: overloaded (code {code_shown})"
    with pytest.raises(UpstreamError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(HELLO)})"
    assert len(str(info.value)) < 400
    assert info.value.error == error  # the payload itself is kept whole
    result = assemble(body, strict=False)
    assert result.to_dict() == completion(finish="stop", error=error)
    assert result.warnings == (
        StreamWarning(kind="upstream_error", message=reason, chunk_index=1, byte_offset=len(HELLO)),
    )


# A choice or tool-call index of 4001 digits (json.loads takes up to 4300) is kept as sent,
# but messages show it cut to 20 characters: the first 8 digits, "...", the last 9.
HUGE = 10**4000
HUGE_SHOWN = "1" + "0" * 7 + "..." + "0" * 9


def test_a_huge_unfinished_choice_index_is_cut_short_in_the_truncation_message() -> None:
    # Found reading every message for values shown in full, after the fuzz harness found the
    # error code: indexes were written whole, so one 4001-digit index made a 4000-character
    # message (here and in the three tests below).
    body = data(chunk({"role": "assistant", "content": "x"}, index=HUGE)).encode()
    reason = f"stream ended before [DONE] with choice(s) {HUGE_SHOWN} unfinished (no finish_reason)"
    end = {"chunk_index": 1, "byte_offset": len(body)}
    with pytest.raises(TruncatedStreamError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(body)})"
    assert info.value.partial.choices[0].index == HUGE
    result = assemble(body, strict=False)
    assert result.warnings == (StreamWarning(kind="truncated", message=reason, **end),)
    decoder = ChunkDecoder()
    decoder.feed(body)
    with pytest.raises(TruncatedStreamError) as info2:
        decoder.close()
    assert str(info2.value) == f"{reason} (chunk 1, byte {len(body)})"


def test_a_huge_choice_index_over_max_choices_is_cut_short() -> None:
    body = (HELLO + data(chunk({"content": "x"}, index=HUGE)) + STOP + DONE).encode()
    reason = f"too many choices: index {HUGE_SHOWN} would be choice number 2, over max_choices (1)"
    with pytest.raises(ChunkError) as info:
        assemble(body, max_choices=1)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(HELLO)})"
    assert info.value.path == ".choices[0].index"
    result = assemble(body, strict=False, max_choices=1)
    assert result.to_dict() == completion("Hi", "stop")
    assert result.warnings == (
        StreamWarning(
            kind="limit",
            message=reason + "; skipped",
            chunk_index=1,
            byte_offset=len(HELLO),
            path=".choices[0].index",
        ),
    )


def test_a_huge_tool_call_index_is_cut_short_when_its_id_conflicts() -> None:
    first = {"index": HUGE, "id": "a", "type": "function", "function": {"name": "f"}}
    second = {"index": HUGE, "id": "b", "function": {"arguments": "{}"}}
    head = data(chunk({"role": "assistant", "tool_calls": [first]}))
    body = (head + data(chunk({"tool_calls": [second]})) + STOP + DONE).encode()
    reason = (
        f"expected tool call id 'a' at .choices[0].delta.tool_calls[0].id (index {HUGE_SHOWN}), "
        "got str 'b'"
    )
    with pytest.raises(InconsistentStreamError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(head)})"
    result = assemble(body, strict=False)
    assert result.to_dict()["choices"][0]["message"]["tool_calls"] == [
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": ""}},
        {"id": "b", "type": "function", "function": {"name": None, "arguments": "{}"}},
    ]
    assert [w.message for w in result.warnings] == [reason + "; kept both, as two calls"]


def test_a_huge_choice_index_is_cut_short_when_its_tool_calls_are_too_many() -> None:
    call = {"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}}
    head = data(chunk({"role": "assistant", "tool_calls": [call]}, index=HUGE))
    more = data(chunk({"tool_calls": [{"index": 1, "id": "b"}]}, index=HUGE))
    body = (head + more + DONE).encode()
    reason = (
        f"too many tool calls in choice {HUGE_SHOWN}: tool call number 2 would be over "
        "max_tool_calls (1)"
    )
    with pytest.raises(ChunkError) as info:
        assemble(body, max_tool_calls=1)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(head)})"
    result = assemble(body, strict=False, max_tool_calls=1)
    assert [w.message for w in result.warnings] == [reason + "; skipped"]
    assert len(result.choices[0].message.tool_calls or ()) == 1


def test_an_ignored_line_with_a_huge_field_name_is_cut_short_in_its_warning() -> None:
    # Found with the index case: the warning for a line the spec ignores but that looks like
    # a field (" data: ...") showed the field name whole; 10 MB of spaces before "data" made
    # a 10 MB warning.
    name = " " * 10_000_000 + "data"
    body = (name + ": {}\n\n" + HELLO + STOP + DONE).encode()
    warning = StreamWarning(
        kind="ignored",
        message=f"ignored a line whose field name is {repr_cut(name)}: Server-Sent Events know "
        "only 'data', 'event', 'id' and 'retry', so its value was not read",
        byte_offset=0,
    )
    assert repr_cut(name) == "'" + " " * 27 + "..." + " " * 24 + "data'"
    result = assemble(body, strict=False)
    assert result.to_dict() == completion("Hi", "stop")
    assert result.warnings == (warning,)
    assert len(str(result.warnings[0])) < 400
    # Strict: the line held data that is lost, an error (as short).
    with pytest.raises(ChunkError) as info:
        assemble(body)
    assert str(info.value) == (
        f"ignored a line whose field name is {repr_cut(name)}: Server-Sent Events know only "
        "'data', 'event', 'id' and 'retry', so the chunk it holds would be lost (byte 0)"
    )


def test_an_int_too_long_to_print_in_a_hand_built_chunk_raises_no_value_error() -> None:
    # Found with the index case: from_dict() takes any dict, so an int past
    # sys.get_int_max_str_digits() (which json.loads refuses) can reach the models and the
    # Accumulator; repr() and the created message then raised ValueError ("Exceeds the limit
    # (4300 digits) for integer string conversion").
    far = ChatCompletionChunk.from_dict({"id": "a", "created": 10**5000, "choices": []})
    assert repr(far) == "ChatCompletionChunk(id='a', created=<int that cannot be shown>)"
    near = ChatCompletionChunk.from_dict({"id": "a", "created": 1})
    reason = (
        "expected created within 0..600 s after <int that cannot be shown> (as in chunk 0) "
        "at .created, got int 1"
    )
    acc = Accumulator()
    acc.feed(far)
    with pytest.raises(InconsistentStreamError) as info:
        acc.feed(near)
    assert str(info.value) == reason + " (chunk 1)"
    assert info.value.held == 10**5000
    lenient = Accumulator(strict=False)
    lenient.feed(far)
    lenient.feed(near)
    result = lenient.close()
    assert result.created == 10**5000
    assert [str(w) for w in result.warnings] == [reason + " (chunk 1)"]
    assert repr(result).startswith("ChatCompletion(id='a', created=<int that cannot be shown>")


def test_a_list_of_long_objects_is_cut_short_as_a_whole_in_messages() -> None:
    # Found by the fuzz harness (target "models", a warning of 1100 characters): each item of
    # a list was cut short, but four objects of four long strings still made a long message.
    # The shown value is now cut to 120 characters in all.
    part = {"k1": "x" * 100, "k2": "y" * 100}
    whole = "[{'k1': " + repr_cut("x" * 100) + ", 'k2': " + repr_cut("y" * 100) + "}]"
    shown = whole[:117] + "..."
    late = data(chunk({"content": [part, part, part, part]}))
    body = (HELLO + STOP + late + DONE).encode()
    reason = (
        "expected nothing more after finish_reason 'stop' (chunk 1) at "
        f".choices[0].delta.content, got list {shown}"
    )
    with pytest.raises(InconsistentStreamError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 2, byte {len(HELLO + STOP)})"
    result = assemble(body, strict=False)
    assert [w.message for w in result.warnings] == [reason + "; kept it"]
    assert result.choices[0].message.content_parts == (part, part, part, part)


def retained_after(run: Callable[[], Any], times: int) -> int:
    """Bytes still allocated after ``run()`` was called ``times`` times and its results
    dropped, beyond what one call leaves (tracemalloc, after a garbage collection)."""
    tracemalloc.start()
    try:
        run()
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(times):
            run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


def test_invalid_chunks_leave_nothing_behind() -> None:
    # Found by the fuzz harness (target "assemble" grew by about 55 KB per input towards
    # libFuzzer's RSS limit): the checking builders raised one shared exception instance, and
    # every raise added its frames to that instance's __traceback__, keeping each frame, and
    # the decoded chunk in it, alive for good: memory grew with every invalid chunk seen.
    bad = {"id": 5, "pad": "x" * 1000}

    def from_dict() -> None:
        with pytest.raises(ChunkError):
            ChatCompletionChunk.from_dict(bad)

    assert retained_after(from_dict, 300) < 50_000
    body = (HELLO + data(chunk({"content": 5, "pad": "x" * 1000})) * 100 + STOP + DONE).encode()

    def stream() -> None:
        assert len(list(iter_chunks(body, strict=False))) == 2

    assert retained_after(stream, 5) < 50_000


# -- deep nesting ------------------------------------------------------------------------------
# Depth counts every object and list, the chunk itself being level 1 (DESIGN/README: "JSON
# nesting of one chunk: 100 levels"). Each position puts a chain of {"a": ...} objects where
# a provider's extra value would go.


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# How many levels the chunk itself takes above the deep value at each position.
ABOVE = {
    "top-level unknown field": 1,
    "delta unknown field": 4,
    "content parts": 6,
    "tool-call extra": 6,
}


def deep_chunk(where: str, total: int) -> dict[str, Any]:
    """A chunk nesting ``total`` levels deep through an unknown value at ``where``."""
    value = nested(total - ABOVE[where])
    if where == "top-level unknown field":  # chunk (1), "x" from level 2
        return chunk({"content": "x"}, x=value)
    if where == "delta unknown field":  # chunk, choices, choice, delta (4), "x" from 5
        return chunk({"content": "x", "x": value})
    if where == "content parts":  # ..., delta (4), content list (5), part (6), "x" from 7
        return chunk({"content": [{"type": "text", "text": "x", "x": value}]})
    assert where == "tool-call extra"  # ..., delta (4), tool_calls (5), call (6), "x" from 7
    call = {"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}
    return chunk({"tool_calls": [{**call, "x": value}]})


POSITIONS = ["top-level unknown field", "delta unknown field", "content parts", "tool-call extra"]
DEEPER = (
    "expected a chunk nested at most 100 levels deep (objects and lists), got one nested deeper"
)


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize("total", [101, 1000, 100_000])
def test_accumulator_refuses_a_chunk_nested_too_deep(where: str, total: int) -> None:
    # Found while writing the fuzz harness' models target (it feeds every valid chunk to an
    # Accumulator): from_dict() keeps unknown values as they are, and Accumulator.feed()
    # merged them recursively, so a chunk nested 500 levels deep raised RecursionError.
    first = ChatCompletionChunk.from_dict(chunk({"role": "assistant", "content": "Hi"}))
    deep = ChatCompletionChunk.from_dict(deep_chunk(where, total))
    acc = Accumulator()
    acc.feed(first)
    with pytest.raises(ChunkError) as info:
        acc.feed(deep)
    assert str(info.value) == DEEPER + " (chunk 1)"
    assert info.value.path == "."
    assert info.value.partial.to_dict() == completion("Hi", None)
    lenient = Accumulator(strict=False)
    lenient.feed(first)
    lenient.feed(deep)
    lenient.feed(ChatCompletionChunk.from_dict(chunk({}, "stop")))
    result = lenient.close()
    assert result.to_dict() == completion("Hi", "stop")
    assert result.warnings == (
        StreamWarning(
            kind="invalid_chunk", message=DEEPER + "; skipped the chunk", chunk_index=1, path="."
        ),
    )


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize("total", [99, 100])
def test_accumulator_keeps_a_chunk_nested_up_to_the_limit(where: str, total: int) -> None:
    acc = Accumulator()
    acc.feed(ChatCompletionChunk.from_dict(deep_chunk(where, total)))
    result = acc.close()
    assert result.warnings == ()
    assert landed(result.to_dict(), where) == nested(total - ABOVE[where])


def landed(out: dict[str, Any], where: str) -> Any:
    """The deep value put at ``where``, as the assembled completion keeps it (docs/DESIGN.md,
    "Output shape": unknown top-level fields at the top, delta fields on the message, content
    parts under content_parts, tool-call extras on the call)."""
    message = out["choices"][0]["message"]
    if where == "top-level unknown field":
        return out["x"]
    if where == "delta unknown field":
        return message["x"]
    if where == "content parts":
        return message["content_parts"][0]["x"]
    return message["tool_calls"][0]["x"]


# ---------------------------------------------------------------------------------------------
# The list of hostile inputs. A bad chunk goes between a good first chunk and the end
# of the stream: chunk 1, at byte len(HELLO). Strict raises the exact error; lenient keeps
# everything else and says where it skipped.

AT = len(HELLO)


def between(bad: str) -> bytes:
    """HELLO, one event carrying the JSON text ``bad``, STOP, [DONE]."""
    return (HELLO + "data: " + bad + "\n\n" + STOP + DONE).encode()


def assert_bad_chunk(body: bytes, error: type[Exception], reason: str, path: str | None) -> None:
    """Strict: ``error`` with ``reason`` located at chunk 1; lenient: the chunk is skipped with
    a located warning and everything else is kept (assemble and iter_chunks alike)."""
    with pytest.raises(error) as info:
        assemble(body)
    exc = info.value
    assert str(exc) == f"{reason} (chunk 1, byte {AT})"
    assert (exc.chunk_index, exc.byte_offset, exc.path) == (1, AT, path)
    assert exc.partial.to_dict() == completion("Hi", None)
    warning = StreamWarning(
        kind="invalid_chunk",
        message=reason + "; skipped the chunk",
        chunk_index=1,
        byte_offset=AT,
        path=path,
    )
    result = assemble(body, strict=False)
    assert result.to_dict() == completion("Hi", "stop")
    assert result.warnings == (warning,)
    with pytest.raises(error) as info2:
        list(iter_chunks(body))
    assert str(info2.value) == str(exc)
    it = iter_chunks(body, strict=False)
    assert [c.to_dict() for c in it] == [
        chunk({"role": "assistant", "content": "Hi"}),
        chunk({}, "stop"),
    ]
    assert it.warnings == [warning]


def text_of(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


NOT_TOO_DEEP = "expected JSON in the event's data (nested more than 100 levels deep), got str "


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize("total", [101, 1000, 100_000])
def test_json_nested_too_deep_in_a_stream_is_a_bad_chunk(where: str, total: int) -> None:
    # 101: decodes, refused by the depth check; 1000 and 100000: json.loads itself gives up
    # (RecursionError). Same message either way, never a RecursionError.
    text = text_of(deep_chunk(where, total)) if total < 1000 else _deep_text(where, total)
    assert_bad_chunk(between(text), ChunkError, NOT_TOO_DEEP + repr_cut(text), None)


def _deep_text(where: str, total: int) -> str:
    """The JSON text of deep_chunk(where, total), written without building it (json.dumps
    would recurse)."""
    marker = text_of(deep_chunk(where, ABOVE[where] + 1)).replace('{"a":1}', "\x00")
    levels = total - ABOVE[where]
    return marker.replace("\x00", '{"a":' * levels + "1" + "}" * levels)


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize("total", [99, 100])
def test_json_nested_up_to_100_levels_in_a_stream_is_kept(where: str, total: int) -> None:
    body = between(text_of(deep_chunk(where, total)))
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.warnings == ()
        assert landed(result.to_dict(), where) == nested(total - ABOVE[where])
    assert [c.to_dict() for c in iter_chunks(body)][1] == deep_chunk(where, total)


# Every other place a vendor value can sit in a typed chunk: iter_chunks() builds the chunk
# first and measures its depth only when some vendor value is an object or a list
# (_models._bounded), so each place must be looked at. Levels above the value at each place:
VENDOR_PLACES = {
    "usage": 2,  # chunk (1), usage (2), "x" from 3
    "usage details": 3,  # ..., usage (2), prompt_tokens_details (3)
    "completion details": 3,
    "choice": 3,  # chunk, choices, choice (3)
    "logprobs": 4,  # ..., choice (3), logprobs (4)
    "token": 6,  # ..., logprobs (4), content (5), token (6)
    "refusal token": 6,
    "top logprob": 8,  # ..., token (6), top_logprobs (7), top (8)
    "function_call": 5,  # ..., delta (4), function_call (5)
    "tool-call function": 7,  # ..., delta (4), tool_calls (5), call (6), function (7)
}


def vendor_deep_chunk(place: str, total: int) -> dict[str, Any]:
    x = {"x": nested(total - VENDOR_PLACES[place])}
    top = {"token": "x", "logprob": -0.5, "bytes": [120]}
    if place in ("usage", "usage details", "completion details"):
        usage: dict[str, Any] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if place == "usage":
            usage.update(x)
        else:
            which = "prompt" if place == "usage details" else "completion"
            usage[which + "_tokens_details"] = x
        return chunk({"content": "x"}, usage=usage)
    if place == "function_call":
        return chunk({"function_call": {"name": "f", "arguments": "{}", **x}})
    if place == "tool-call function":
        call = {"index": 0, "id": "c", "type": "function", "function": {"name": "f", **x}}
        return chunk({"tool_calls": [call]})
    obj = chunk({"content": "x"})
    choice = obj["choices"][0]
    if place == "choice":
        choice.update(x)
    elif place == "logprobs":
        choice["logprobs"] = {"content": [{**top, "top_logprobs": []}], **x}
    elif place in ("token", "refusal token"):
        key = "content" if place == "token" else "refusal"
        choice["logprobs"] = {key: [{**top, "top_logprobs": [], **x}]}
    else:
        assert place == "top logprob"
        choice["logprobs"] = {"content": [{**top, "top_logprobs": [{**top, **x}]}]}
    return obj


@pytest.mark.parametrize("place", VENDOR_PLACES)
def test_iter_chunks_measures_vendor_values_at_every_place(place: str) -> None:
    ok = vendor_deep_chunk(place, 100)
    assert [c.to_dict() for c in iter_chunks(between(text_of(ok)))][1] == ok
    assert assemble(between(text_of(ok))).warnings == ()
    text = text_of(vendor_deep_chunk(place, 101))
    assert_bad_chunk(between(text), ChunkError, NOT_TOO_DEEP + repr_cut(text), None)


def with_delta(delta: Any) -> dict[str, Any]:
    obj = chunk()
    obj["choices"][0]["delta"] = delta
    return obj


def raw(obj: Any, value: str) -> str:
    """The JSON text of ``obj`` with the string "@" written as the raw JSON ``value``."""
    return text_of(obj).replace('"@"', value)


DIGITS_5000 = "9" * 5000
TOO_MANY_DIGITS = (
    "expected JSON in the event's data (an integer has more digits than "
    "sys.get_int_max_str_digits() allows), got str "
)


@pytest.mark.parametrize(
    ("value", "shown_as"), [("1e999", "inf"), ("-1e999", "-inf"), ("NaN", "nan")]
)
def test_infinite_and_nan_numbers_where_text_belongs_are_bad_chunks(
    value: str, shown_as: str
) -> None:
    # json.loads turns 1e999 into float('inf') (and reads NaN); no OverflowError escapes.
    body = between(raw(chunk({"content": "@"}), value))
    reason = (
        f"expected str, list of objects or null at .choices[0].delta.content, got float {shown_as}"
    )
    assert_bad_chunk(body, ChunkError, reason, ".choices[0].delta.content")
    created = between(raw(chunk({"content": "!"}, created="@"), value))
    reason = f"expected int or null at .created, got float {shown_as}"
    assert_bad_chunk(created, ChunkError, reason, ".created")
    usage = between(raw(chunk({}, usage={"prompt_tokens": "@"}), value))
    reason = f"expected int or null at .usage.prompt_tokens, got float {shown_as}"
    assert_bad_chunk(usage, ChunkError, reason, ".usage.prompt_tokens")


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN"])
def test_infinite_and_nan_numbers_in_vendor_fields_are_kept(value: str) -> None:
    body = between(raw(chunk({"content": "!", "v": "@"}, x="@"), value))
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.warnings == ()
        number = float(value.replace("1e999", "inf"))
        for got in (result.extra["x"], result.choices[0].message.extra["v"]):
            assert type(got) is float
            assert got == number or (math.isnan(got) and math.isnan(number))


@pytest.mark.parametrize(
    "obj",
    [
        chunk({"content": "!"}, index="@"),  # type: ignore[arg-type]
        chunk({"content": "@"}),
        chunk({"content": "!"}, x="@"),
        chunk({"tool_calls": [{"index": "@"}]}),
    ],
    ids=["choice index", "content", "vendor field", "tool-call index"],
)
def test_an_integer_of_5000_digits_is_a_bad_chunk(obj: dict[str, Any]) -> None:
    # CPython refuses to parse ints longer than sys.get_int_max_str_digits() (4300): json.loads
    # raises a plain ValueError, which becomes the stream's ChunkError.
    text = raw(obj, DIGITS_5000)
    assert_bad_chunk(between(text), ChunkError, TOO_MANY_DIGITS + repr_cut(text), None)


def test_an_integer_of_4000_digits_is_kept_where_an_int_belongs() -> None:
    body = between(raw(chunk({"content": "!"}, usage={"prompt_tokens": "@"}), "9" * 4000))
    result = assemble(body)
    assert result.usage is not None and result.usage.prompt_tokens == int("9" * 4000)


@pytest.mark.parametrize(
    ("obj", "reason", "path"),
    [
        ({"choices": {}}, "expected list or null at .choices, got object {}", ".choices"),
        ({"choices": "x"}, "expected list or null at .choices, got str 'x'", ".choices"),
        (
            with_delta([]),
            "expected object or null at .choices[0].delta, got list []",
            ".choices[0].delta",
        ),
        (
            chunk({"tool_calls": [None]}),
            "expected object at .choices[0].delta.tool_calls[0], got null",
            ".choices[0].delta.tool_calls[0]",
        ),
        (
            chunk({"tool_calls": {}}),
            "expected list or null at .choices[0].delta.tool_calls, got object {}",
            ".choices[0].delta.tool_calls",
        ),
    ],
    ids=["choices-object", "choices-str", "delta-list", "tool_calls-[null]", "tool_calls-object"],
)
def test_odd_shapes_are_bad_chunks(obj: dict[str, Any], reason: str, path: str) -> None:
    assert_bad_chunk(between(text_of(obj)), ChunkError, reason, path)


def test_a_tool_call_that_is_an_empty_object_is_an_empty_call() -> None:
    # [{}]: no index, no id, nothing open: a new call (DESIGN: "a call without index is
    # matched by id, else is the only open call"); its type defaults to "function".
    body = between(text_of(chunk({"tool_calls": [{}]})))
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.warnings == ()
        assert result.to_dict()["choices"][0]["message"]["tool_calls"] == [
            {"id": None, "type": "function", "function": {"name": None, "arguments": ""}}
        ]


INDEX_CASES = [
    ("-1", "expected non-negative int", "int -1"),
    ("1.5", "expected int", "float 1.5"),
    ("true", "expected int", "bool True"),
    ('"0"', "expected int", "str '0'"),
]


@pytest.mark.parametrize(("value", "expected", "got"), INDEX_CASES)
def test_a_bad_choice_index_is_a_bad_chunk(value: str, expected: str, got: str) -> None:
    body = between(raw(chunk({"content": "!"}, index="@"), value))  # type: ignore[arg-type]
    reason = f"{expected} at .choices[0].index, got {got}"
    assert_bad_chunk(body, ChunkError, reason, ".choices[0].index")


@pytest.mark.parametrize(("value", "expected", "got"), INDEX_CASES)
def test_a_bad_tool_call_index_is_a_bad_chunk(value: str, expected: str, got: str) -> None:
    body = between(raw(chunk({"tool_calls": [{"index": "@"}]}), value))
    expected = expected if value == "-1" else "expected int or null"  # the index is optional
    path = ".choices[0].delta.tool_calls[0].index"
    assert_bad_chunk(body, ChunkError, f"{expected} at {path}, got {got}", path)


def test_a_huge_choice_index_costs_nothing() -> None:
    # Choices are keyed by index, never a list sized by it.
    body = between(text_of(chunk({"content": "far"}, index=10**15)))
    result, peak = traced(lambda: assemble(body))
    assert [(c.index, c.message.content, c.finish_reason) for c in result.choices] == [
        (0, "Hi", "stop"),
        (10**15, "far", None),
    ]
    assert peak < 200_000


def test_a_huge_tool_call_index_costs_nothing() -> None:
    call = {"index": 10**15, "id": "c", "function": {"name": "f", "arguments": "{}"}}
    body = between(text_of(chunk({"tool_calls": [call]})))
    result, peak = traced(lambda: assemble(body))
    assert result.to_dict()["choices"][0]["message"]["tool_calls"] == [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert peak < 200_000


def test_invalid_utf8_in_data_becomes_replacement_characters() -> None:
    # Decoding is UTF-8 with replacement (SSEDecoder): each invalid byte, and a sequence cut
    # short, is one U+FFFD; nothing raises UnicodeError.
    for bad, text in [
        (b"\xff\xfe", "\ufffd\ufffd"),
        (b"\xe2\x82", "\ufffd"),
        (b"\xed\xa0\x80", "\ufffd" * 3),
    ]:
        body = between(text_of(chunk({"content": "@"}))).replace(b'"@"', b'"' + bad + b'"')
        for strict in (True, False):
            result = assemble(body, strict=strict)
            assert result.to_dict() == completion("Hi" + text, "stop")
            # ... and says so, located (the event of chunk 1, after HELLO's event).
            assert result.warnings == (
                StreamWarning(
                    kind="invalid_utf8",
                    message="invalid UTF-8 in the event's data: the bytes were replaced with "
                    "U+FFFD, as the Server-Sent Events spec says",
                    chunk_index=1,
                    byte_offset=AT,
                ),
            )


SURROGATE = "\ud800"  # what json.loads makes of "\ud800": a lone surrogate


def test_lone_surrogates_in_every_string_field_become_replacement_characters() -> None:
    # DESIGN: "no lone surrogate is left in any final string".
    s = SURROGATE
    call = {"index": 0, "id": "c" + s, "type": "t" + s, "function": {"name": "n" + s}}
    call["function"]["arguments"] = "a" + s
    first = {
        "id": "i" + s,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "m" + s,
        "system_fingerprint": "fp" + s,
        "service_tier": "st" + s,
        "x": "top" + s,
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "r" + s,
                    "content": "c" + s,
                    "refusal": "rf" + s,
                    "reasoning_content": "rc" + s,
                    "reasoning": "re" + s,
                    "tool_calls": [call],
                    "v": "delta" + s,
                },
                "finish_reason": None,
                "c": "choice" + s,
            }
        ],
    }
    parts = {"content": [{"type": "text", "text": "p" + s}], "function_call": {"name": "f" + s}}
    second = {"id": "i" + s, "choices": [{"index": 0, "delta": parts, "finish_reason": "s" + s}]}
    second["usage"] = {"total_tokens": 1, "note": "u" + s}
    body = (data(first) + data(second) + DONE).encode()
    r = "\ufffd"
    want = {
        "id": "i" + r,
        "object": "chat.completion",
        "created": CREATED,
        "model": "m" + r,
        "system_fingerprint": "fp" + r,
        "service_tier": "st" + r,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "r" + r,
                    "content": "c" + r + "p" + r,
                    "refusal": "rf" + r,
                    "tool_calls": [
                        {
                            "id": "c" + r,
                            "type": "t" + r,
                            "function": {"name": "n" + r, "arguments": "a" + r},
                        }
                    ],
                    "function_call": {"name": "f" + r, "arguments": ""},
                    "reasoning_content": "rc" + r,
                    "reasoning": "re" + r,
                    "content_parts": [{"type": "text", "text": "p" + r}],
                    "v": "delta" + r,
                },
                "finish_reason": "s" + r,
                "logprobs": None,
                "c": "choice" + r,
            }
        ],
        "usage": {"total_tokens": 1, "note": "u" + r},
        "x": "top" + r,
    }
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.to_dict() == want
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # no lone surrogate


def test_a_nul_in_an_id_is_kept_and_a_nul_in_an_sse_id_field_is_ignored() -> None:
    nul = "a\x00b"
    body = (
        data(chunk({"content": "Hi"}, id=nul)) + data(chunk({}, "stop", id=nul)) + DONE
    ).encode()
    assert assemble(body).id == nul
    # WHATWG 9.2.6: "If the field value does not contain U+0000 NULL, then set the last event
    # ID buffer to the field value. Otherwise, ignore the field."
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: x\n\nid: a\x00b\ndata: y\n\n")
    assert [(e.data, e.id) for e in events] == [("x", "1"), ("y", "1")]


def cut_bytes(value: bytes) -> str:
    """How a message shows bytes (reprlib, maxother=60): the repr's first 28 and last 29
    characters with "..." between."""
    r = repr(value)
    return r if len(r) <= 60 else r[:28] + "..." + r[-29:]


HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def test_an_html_502_page_is_not_an_event_stream_in_both_modes() -> None:
    shown = cut_bytes(HTML_502[:80])
    reason = f"expected an event stream (lines like 'data: {{...}}'), got bytes {shown}"
    for strict in (True, False):
        with pytest.raises(ChunkError) as info:
            assemble(HTML_502, strict=strict)
        assert str(info.value) == reason + " (byte 0)"
        assert (info.value.chunk_index, info.value.byte_offset) == (None, 0)
        with pytest.raises(ChunkError) as info2:
            list(iter_chunks(HTML_502, strict=strict))
        assert str(info2.value) == reason + " (byte 0)"


def test_a_json_error_body_is_the_providers_error_in_both_modes() -> None:
    error = {"message": "Invalid API key", "type": "invalid_request_error", "code": "bad_key"}
    body = json.dumps({"error": error}).encode()
    for strict in (True, False):
        with pytest.raises(UpstreamError) as info:
            assemble(body, strict=strict)
        assert str(info.value) == (
            "the provider sent an error instead of an event stream: Invalid API key "
            "(code 'bad_key') (byte 0)"
        )
        assert info.value.error == error


def test_an_empty_body() -> None:
    reason = "the input is empty: no event arrived"
    with pytest.raises(TruncatedStreamError) as info:
        assemble(b"")
    assert str(info.value) == reason
    assert info.value.partial.to_dict() == EMPTY_COMPLETION
    result = assemble(b"", strict=False)
    assert result.to_dict() == EMPTY_COMPLETION
    assert result.warnings == (StreamWarning(kind="truncated", message=reason),)


def test_a_body_of_only_comments() -> None:
    body = b": ping\n\n" * 1000
    reason = "stream ended before [DONE] and before any choice arrived"
    with pytest.raises(TruncatedStreamError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 0, byte 8000)"
    result = assemble(body, strict=False)
    assert result.to_dict() == EMPTY_COMPLETION
    assert result.warnings == (
        StreamWarning(kind="truncated", message=reason, chunk_index=0, byte_offset=8000),
    )


def empty_events(n: int) -> bytes:
    return (HELLO + "data:\n\n" * n + STOP + DONE).encode()


def test_100k_empty_events_are_each_a_located_bad_chunk() -> None:
    # "data:" dispatches an event whose data is "": not JSON. Strict stops at the first;
    # lenient warns about each (located) and keeps the rest, in linear time.
    n = 100_000
    body = empty_events(n)
    reason = "expected JSON in the event's data (Expecting value: line 1 column 1), got str ''"
    with pytest.raises(ChunkError) as info:
        assemble(body)
    assert str(info.value) == f"{reason} (chunk 1, byte {AT})"
    start = time.perf_counter()
    result = assemble(body, strict=False)
    t_large = time.perf_counter() - start
    assert result.to_dict() == completion("Hi", "stop")
    # The first max_warnings (1000) are kept, located; the rest are counted in one more.
    assert len(result.warnings) == 1001
    assert result.warnings[-2] == StreamWarning(
        kind="invalid_chunk",
        message=reason + "; skipped the chunk",
        chunk_index=1000,
        byte_offset=AT + 7 * 999,
    )
    assert result.warnings[-1] == StreamWarning(
        kind="warnings_dropped",
        message=f"{n - 1000} more warning(s) not kept, over max_warnings (1000); "
        f"by kind: invalid_chunk: {n - 1000}",
    )
    small = empty_events(n // 10)
    start = time.perf_counter()
    assemble(small, strict=False)
    t_small = time.perf_counter() - start
    assert t_large < 30 * t_small + 0.05, (t_small, t_large)

    # Memory: a few hundred bytes per warning kept, and no more past max_warnings (fed in
    # 4 KiB reads, as from a socket: one read's events are decoded together).
    def in_reads(body: bytes) -> list[bytes]:
        return [body[i : i + 4096] for i in range(0, len(body), 4096)]

    _, peak_2k = traced(lambda: assemble(in_reads(empty_events(2000)), strict=False))
    _, peak_20k = traced(lambda: assemble(in_reads(empty_events(20_000)), strict=False))
    assert peak_2k < 1000 * 2000
    assert peak_20k < 1.5 * peak_2k, (peak_2k, peak_20k)


def test_100k_blank_lines_dispatch_nothing() -> None:
    for blank in ("\n", "\r\n", "\r"):
        body = (HELLO + blank * 100_000 + STOP + DONE).encode()
        result = assemble(body)
        assert result.to_dict() == completion("Hi", "stop")
        assert result.warnings == ()
    assert_linear(lambda k: (HELLO + "\n" * k + STOP + DONE).encode(), 20_000)


def seconds(run: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with contextlib.suppress(ChunkstreamError):
            run()
        best = min(best, time.perf_counter() - start)
    return best


def assert_linear(make: Callable[[int], Any], n: int, **options: Any) -> None:
    """Ten times the input must not cost anywhere near a hundred times the time (a generous
    bound: timing is noisy; quadratic work fails it by far)."""
    small, large = make(n), make(10 * n)
    t1 = seconds(lambda: assemble(small, **options))
    t10 = seconds(lambda: assemble(large, **options))
    assert t10 < 30 * t1 + 0.05, (t1, t10)


# -- big events, many choices, many tool calls, one endless line -------------------------------


def test_a_10_mb_event_under_the_default_limit_is_kept_in_bounded_memory() -> None:
    text = "x" * 10_000_000
    body = (HELLO + data(chunk({"content": text})) + STOP + DONE).encode()
    for strict in (True, False):
        result, peak = traced(lambda strict=strict: assemble(body, strict=strict))
        assert result.choices[0].message.content == "Hi" + text
        assert result.warnings == ()
        # The read, its block and the decoded text, each about the input's size.
        assert peak < 5 * len(body)


def test_a_40_mb_event_over_the_default_limit_is_skipped_in_bounded_memory() -> None:
    event = data(chunk({"content": "x" * 40_000_000}))
    body = (HELLO + event + STOP + DONE).encode()
    # The size the decoder names is where it noticed: a body handed over whole is decoded in
    # 16 KiB windows (bounded memory), so at the end of the first one past the limit.
    size = -(-(33554432 + AT + 1) // 16384) * 16384 - AT
    with pytest.raises(SSEError) as info:
        assemble(body)
    assert str(info.value) == (
        f"event exceeds max_event_bytes (33554432): it reached {size} bytes and was skipped "
        f"(byte {AT})"
    )
    assert (info.value.limit, info.value.size, info.value.skipped) == (33554432, size, [AT])
    assert info.value.partial.to_dict() == completion("Hi", None)
    result, peak = traced(lambda: assemble(body, strict=False))
    assert result.to_dict() == completion("Hi", "stop")
    assert result.warnings == (
        StreamWarning(
            kind="limit",
            message="event exceeds max_event_bytes (33554432); skipped it",
            byte_offset=AT,
        ),
    )
    assert peak < 2 * len(body)


def many_choices(n: int) -> str:
    obj = chunk()
    obj["choices"] = [
        {"index": i, "delta": {"content": str(i)}, "finish_reason": "stop"} for i in range(1, n + 1)
    ]
    return data(obj)


def test_1500_distinct_choice_indexes_break_max_choices() -> None:
    body = (HELLO + many_choices(1500) + STOP + DONE).encode()
    with pytest.raises(ChunkError) as info:
        assemble(body)
    # Choice 0 and indexes 1..1023 make 1024 choices; index 1024 (position 1023) is one more.
    assert str(info.value) == (
        "too many choices: index 1024 would be choice number 1025, over max_choices (1024) "
        f"(chunk 1, byte {AT})"
    )
    assert info.value.path == ".choices[1023].index"
    assert len(info.value.partial.choices) == 1024
    result = assemble(body, strict=False)
    assert [c.index for c in result.choices] == list(range(1024))
    assert result.choices[1023].message.content == "1023"
    assert len(result.warnings) == 1500 - 1023
    assert result.warnings[-1] == StreamWarning(
        kind="limit",
        message="too many choices: index 1500 would be choice number 1025, over max_choices "
        "(1024); skipped",
        chunk_index=1,
        byte_offset=AT,
        path=".choices[1499].index",
    )


def test_1500_tool_calls_break_max_tool_calls() -> None:
    calls = [
        {"index": i, "id": f"call_{i}", "function": {"name": "f", "arguments": "{}"}}
        for i in range(1500)
    ]
    body = (HELLO + data(chunk({"tool_calls": calls})) + STOP + DONE).encode()
    with pytest.raises(ChunkError) as info:
        assemble(body)
    assert str(info.value) == (
        "too many tool calls in choice 0: tool call number 1025 would be over max_tool_calls "
        f"(1024) (chunk 1, byte {AT})"
    )
    assert info.value.path == ".choices[0].delta.tool_calls[1024]"
    result = assemble(body, strict=False)
    tool_calls = result.choices[0].message.tool_calls or ()
    assert [t.id for t in tool_calls] == [f"call_{i}" for i in range(1024)]
    assert len(result.warnings) == 1500 - 1024
    assert result.warnings[0].message == (
        "too many tool calls in choice 0: tool call number 1025 would be over max_tool_calls "
        "(1024); skipped"
    )


def long_line(n: int) -> list[bytes]:
    """One "data:" line of ``n`` bytes without a line ending, in 64-byte reads."""
    return reads_of(b"data: " + b"x" * (n - 6), 64)


def test_a_long_line_without_newline_in_small_reads_is_truncation() -> None:
    reads = long_line(1_000_000)
    reason = (
        "stream ended inside an event: its last line has no line ending, 1000000 bytes held back"
    )
    with pytest.raises(TruncatedStreamError) as info:
        assemble(reads)
    assert str(info.value) == reason + " (chunk 0, byte 0)"
    assert info.value.held_back == 1_000_000
    assert info.value.partial.to_dict() == EMPTY_COMPLETION
    result, peak = traced(lambda: assemble(reads, strict=False))
    assert result.to_dict() == EMPTY_COMPLETION
    assert result.warnings == (
        StreamWarning(kind="truncated", message=reason, chunk_index=0, byte_offset=0),
    )
    assert peak < 3 * 1_000_000  # the line's parts, then the line joined once
    assert_linear(long_line, 100_000)


def test_a_long_line_over_the_limit_in_small_reads_is_skipped_without_being_kept() -> None:
    limit = 1 << 18
    reads = long_line(1_000_000)
    with pytest.raises(SSEError) as info:
        assemble(reads, max_event_bytes=limit)
    # Noticed at the 64-byte read that crossed the limit: 4097 reads of 64 bytes.
    assert str(info.value) == (
        "event exceeds max_event_bytes (262144): it reached 262208 bytes and was skipped (byte 0)"
    )
    result = assemble(reads, strict=False, max_event_bytes=limit)
    assert result.warnings == (
        StreamWarning(
            kind="limit",
            message="event exceeds max_event_bytes (262144); skipped it",
            byte_offset=0,
        ),
        StreamWarning(
            kind="truncated",
            message="stream ended inside an event: its last line has no line ending, 1000000 "
            "bytes held back",
            chunk_index=0,
            byte_offset=0,
        ),
    )
    # Memory: at most the limit's worth of the line, and the body's first bytes (kept to say
    # whether it is an event stream at all) up to 1 MiB; never the line: the same for 1 MB as
    # for 4 MB (in 256-byte reads).
    peaks = []
    for n in (1_000_000, 4_000_000):
        body = reads_of(b"data: " + b"x" * n, 256)
        peaks.append(traced(lambda b=body: assemble(b, strict=False, max_event_bytes=limit))[1])
    assert peaks[1] < 1.1 * peaks[0] < 3_000_000


# -- errors travel: pickle and multiprocessing ------------------------------------------------


def raise_for(kind: str) -> None:
    """Raise one error of each kind from real input (run in this process or in a worker)."""
    if kind == "ChunkError":
        assemble(between(text_of(chunk({"content": 5}))))
    elif kind == "ChunkError from ChunkDecoder":
        ChunkDecoder().feed(between("{nope"))
    elif kind == "InconsistentStreamError":
        assemble((HELLO + data(chunk({"content": "!"}, id="other")) + STOP + DONE).encode())
    elif kind == "TruncatedStreamError":
        assemble((HELLO + "data: {").encode())
    elif kind == "UpstreamError":
        assemble((HELLO + data({"error": {"message": "boom", "code": 500}})).encode())
    elif kind == "SSEError":
        assemble((HELLO + BIG + BANG + BIG + STOP + DONE).encode(), max_event_bytes=500)
    raise AssertionError(f"{kind}: nothing raised")


KINDS = [
    "ChunkError",
    "ChunkError from ChunkDecoder",
    "InconsistentStreamError",
    "TruncatedStreamError",
    "UpstreamError",
    "SSEError",
]


def caught(kind: str) -> ChunkstreamError:
    with pytest.raises(ChunkstreamError) as info:
        raise_for(kind)
    return info.value


def attributes(exc: ChunkstreamError) -> dict[str, Any]:
    """Every attribute, models as their JSON and events with their offsets."""
    out = dict(vars(exc))
    out["partial"] = None if exc.partial is None else exc.partial.to_dict()
    out["chunks"] = [c.to_dict() for c in exc.chunks]
    if isinstance(exc, SSEError):
        out["events"] = [(e.event, e.data, e.id, e.retry, e.offset) for e in exc.events]
    return out


EXPECTED_ATTRIBUTES = {
    "ChunkError": {"chunk_index", "byte_offset", "path", "partial", "reason"},
    "ChunkError from ChunkDecoder": {"chunk_index", "byte_offset", "chunks"},
    "InconsistentStreamError": {"field", "held", "got", "partial", "chunk_index", "path"},
    "TruncatedStreamError": {"held_back", "partial", "chunk_index", "byte_offset"},
    "UpstreamError": {"error", "partial", "chunk_index", "byte_offset"},
    "SSEError": {"limit", "size", "events", "skipped", "partial", "byte_offset"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_error_pickles_with_all_its_attributes(kind: str) -> None:
    exc = caught(kind)
    got = attributes(exc)
    # What each kind must carry, filled in (not left at its default):
    for name in EXPECTED_ATTRIBUTES[kind]:
        assert got[name] not in (None, [], ""), name
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(exc, protocol=protocol))
        assert type(back) is type(exc)
        assert str(back) == str(exc)
        assert back.args == exc.args
        assert attributes(back) == got


@pytest.mark.parametrize("kind", KINDS)
def test_every_error_comes_back_whole_from_a_worker_process(kind: str) -> None:
    # Log processors use multiprocessing: an error raised in a worker is pickled back. Not
    # forked from this process, which other tests may have left with threads (a fork then can
    # deadlock the child; CPython 3.12 warns of it).
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method)) as pool:
        exc = pool.submit(raise_for, kind).exception(timeout=60)
    assert isinstance(exc, ChunkstreamError)
    here = caught(kind)
    assert type(exc) is type(here)
    assert str(exc) == str(here)
    assert attributes(exc) == attributes(here)


# -- messages stay short, whatever the value ---------------------------------------------------

V = "v" * 10_000_000  # a 10 MB value (one string, shared by the cases)
CV = repr_cut(V)  # how messages show it: 60 characters
FIRST = data(chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "a", "type": "t"}]}))

SHORT_CASES = [
    (
        "id conflict",
        lambda: HELLO + data(chunk({"content": "!"}, id=V)) + STOP + DONE,
        InconsistentStreamError,
        f"expected id {ID!r} (as in chunk 0) at .id, got str {CV} (chunk 1, byte {AT})",
    ),
    (
        "model conflict",
        lambda: HELLO + data(chunk({"content": "!"}, model=V)) + STOP + DONE,
        InconsistentStreamError,
        f"expected model 'm-1' (as in chunk 0) at .model, got str {CV} (chunk 1, byte {AT})",
    ),
    (
        "content after finish",
        lambda: HELLO + STOP + data(chunk({"content": V})) + DONE,
        InconsistentStreamError,
        "expected nothing more after finish_reason 'stop' (chunk 1) at "
        f".choices[0].delta.content, got str {CV} (chunk 2, byte {len(HELLO + STOP)})",
    ),
    (
        "finish_reason conflict",
        lambda: HELLO + STOP + data(chunk({}, V)) + DONE,
        InconsistentStreamError,
        "expected finish_reason 'stop' (as in chunk 1) at .choices[0].finish_reason, got str "
        f"{CV} (chunk 2, byte {len(HELLO + STOP)})",
    ),
    (
        "role conflict",
        lambda: HELLO + data(chunk({"role": V})) + STOP + DONE,
        InconsistentStreamError,
        f"expected role 'assistant' at .choices[0].delta.role, got str {CV} (chunk 1, byte {AT})",
    ),
    (
        "tool-call id conflict",
        lambda: FIRST + data(chunk({"tool_calls": [{"index": 0, "id": V}]})) + STOP + DONE,
        InconsistentStreamError,
        "expected tool call id 'a' at .choices[0].delta.tool_calls[0].id (index 0), got str "
        f"{CV} (chunk 1, byte {len(FIRST)})",
    ),
    (
        "tool-call type conflict",
        lambda: FIRST + data(chunk({"tool_calls": [{"index": 0, "type": V}]})) + STOP + DONE,
        InconsistentStreamError,
        "expected tool_calls.type 't' at .choices[0].delta.tool_calls[0].type, got str "
        f"{CV} (chunk 1, byte {len(FIRST)})",
    ),
    (
        "wrong type",
        lambda: HELLO + data(chunk({"content": "!"}, created=V)) + STOP + DONE,
        ChunkError,
        f"expected int or null at .created, got str {CV} (chunk 1, byte {AT})",
    ),
    (
        "object key",
        lambda: HELLO + data(chunk({"content": {V: 1}})) + STOP + DONE,
        ChunkError,
        "expected str, list of objects or null at .choices[0].delta.content, got object "
        f"{{{CV}: 1}} (chunk 1, byte {AT})",
    ),
    (
        "not JSON",
        lambda: HELLO + "data: {" + V + "\n\n" + STOP + DONE,
        ChunkError,
        "expected JSON in the event's data (Expecting property name enclosed in double quotes: "
        f"line 1 column 2), got str {repr_cut('{' + V)} (chunk 1, byte {AT})",
    ),
    (
        "not an event stream",
        lambda: V,
        ChunkError,
        "expected an event stream (lines like 'data: {...}'), got bytes "
        f"{cut_bytes(V[:80].encode())} (byte 0)",
    ),
    (
        "provider's error message",
        lambda: HELLO + data({"error": {"message": V}}) + STOP + DONE,
        UpstreamError,
        f"the provider sent an error: {'v' * 197}... (chunk 1, byte {AT})",
    ),
    (
        "event: error in plain text",
        lambda: HELLO + "event: error\ndata: " + V + "\n\n" + STOP + DONE,
        UpstreamError,
        f"the provider sent an error: {'v' * 197}... (chunk 1, byte {AT})",
    ),
]


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [case[1:] for case in SHORT_CASES],
    ids=[case[0] for case in SHORT_CASES],
)
def test_a_10_mb_value_makes_a_short_message(
    body: Callable[[], str], error: type, message: str
) -> None:
    raw = body().encode()
    with pytest.raises(error) as info:
        assemble(raw)
    assert str(info.value) == message
    assert len(str(info.value)) < 400
    if error is ChunkError and "event stream" in message:
        return  # no stream at all: lenient mode raises the same
    result = assemble(raw, strict=False)
    assert result.warnings
    for warning in result.warnings:
        assert len(str(warning)) < 400
