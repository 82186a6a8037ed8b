"""Hostile and broken input (issue 6, "Trust: hostile input, bounded memory, nothing lost").

Named regression tests for every hostile input the issue lists and for every crash the fuzz
harness (tests/fuzz.py) found. For each: the exact error type and full message in strict mode,
the result and warnings in lenient mode, no foreign exception, bounded time and memory.
Expected values come from DESIGN.md, OUTPUT_SHAPE.md and the bytes each test builds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chunkstream import (
    Accumulator,
    ChatCompletionChunk,
    ChunkDecoder,
    ChunkError,
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
# Building streams.

ID = "chatcmpl-h1"
CREATED = 1_700_000_000
MODEL = "m-1"


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0, **top: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": index, "delta": delta or {}, "finish_reason": finish}],
    }
    obj.update(top)
    return obj


def data(obj: Any) -> str:
    """One event block carrying ``obj`` as compact JSON (or a string as it is)."""
    text = obj if type(obj) is str else json.dumps(obj, separators=(",", ":"))
    return "data: " + text + "\n\n"


HELLO = data(chunk({"role": "assistant", "content": "Hi"}))
BANG = data(chunk({"content": "!"}))
STOP = data(chunk({}, "stop"))
DONE = "data: [DONE]\n\n"


def completion(content: str | None = "Hi", finish: str | None = "stop", **top: Any) -> Any:
    """The to_dict() of a one-choice completion built from chunk() chunks (OUTPUT_SHAPE.md)."""
    out: dict[str, Any] = {
        "id": ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "service_tier": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": None,
    }
    out.update(top)
    return out


def cut(text: str) -> str:
    """How a message shows a string (``_errors.shown``: ``reprlib`` with ``maxstring=60``): its
    repr if that fits in 60 characters, else the repr of its first 28 and last 29 characters,
    cut to those 28 and 29 with "..." between."""
    if len(repr(text[:60])) <= 60:
        return repr(text)
    r = repr(text[:28] + text[-29:])
    return r[:28] + "..." + r[-29:]


def reads_of(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def agen(reads: list[bytes]) -> AsyncIterator[bytes]:
    for read in reads:
        yield read


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
    assert assemble(body).to_dict() == completion()


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
        assert result.to_dict() == completion("Hi!")
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
    assert result.to_dict() == completion(error=error)
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
    with pytest.raises(TruncatedStreamError) as info:
        assemble(body)
    assert str(info.value) == reason
    assert info.value.partial.choices[0].index == HUGE
    result = assemble(body, strict=False)
    assert result.warnings == (StreamWarning(kind="truncated", message=reason),)
    decoder = ChunkDecoder()
    decoder.feed(body)
    with pytest.raises(TruncatedStreamError) as info2:
        decoder.close()
    assert str(info2.value) == reason


def test_a_huge_choice_index_over_max_choices_is_cut_short() -> None:
    body = (HELLO + data(chunk({"content": "x"}, index=HUGE)) + STOP + DONE).encode()
    reason = f"too many choices: index {HUGE_SHOWN} would be choice number 2, over max_choices (1)"
    with pytest.raises(ChunkError) as info:
        assemble(body, max_choices=1)
    assert str(info.value) == f"{reason} (chunk 1, byte {len(HELLO)})"
    assert info.value.path == ".choices[0].index"
    result = assemble(body, strict=False, max_choices=1)
    assert result.to_dict() == completion()
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
        message=f"ignored a line whose field name is {cut(name)}: Server-Sent Events know only "
        "'data', 'event', 'id' and 'retry', so its value was not read",
        byte_offset=0,
    )
    assert cut(name) == "'" + " " * 27 + "..." + " " * 24 + "data'"
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.to_dict() == completion()
        assert result.warnings == (warning,)
        assert len(str(result.warnings[0])) < 400


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
    assert result.to_dict() == completion()
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
    """The deep value put at ``where``, as the assembled completion keeps it (OUTPUT_SHAPE.md:
    unknown top-level fields at the top, delta fields on the message, content parts under
    content_parts, tool-call extras on the call)."""
    message = out["choices"][0]["message"]
    if where == "top-level unknown field":
        return out["x"]
    if where == "delta unknown field":
        return message["x"]
    if where == "content parts":
        return message["content_parts"][0]["x"]
    return message["tool_calls"][0]["x"]
