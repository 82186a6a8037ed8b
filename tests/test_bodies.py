# SPDX-License-Identifier: MIT
"""Issue 12, the bodies part: the wrong kind of body or event is named, never read as an empty
stream; [DONE] is one rule; the end-of-stream messages name what is unfinished and where.

Every behaviour is checked through the four ways in: assemble(), an Assembler fed in small
reads, iter_chunks() over small reads, and a ChunkDecoder fed the whole body; in strict mode
the error's type and full text, in lenient mode the full list of warnings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import DONE, HELLO, STOP, chunk, data

from chunkstream import (
    Assembler,
    ChunkDecoder,
    ChunkError,
    ChunkstreamError,
    StreamWarning,
    TruncatedStreamError,
    assemble,
    iter_chunks,
)

ROOT = Path(__file__).resolve().parent.parent
COMPLETION = {
    "id": "chatcmpl-whole",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi there"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}
WHOLE = (
    "expected a chat.completion.chunk, got a whole chat.completion JSON object (was the request "
    "sent with stream: true?)"
)


def reads(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


# Each way in, run to the end: (content of choice 0 or None, warnings). Strict errors escape.


def via_assemble(body: bytes, strict: bool) -> tuple[Any, list[StreamWarning]]:
    result = assemble(body, strict=strict)
    content = result.choices[0].message.content if result.choices else None
    return content, list(result.warnings)


def via_assembler(body: bytes, strict: bool) -> tuple[Any, list[StreamWarning]]:
    assembler = Assembler(strict)
    for read in reads(body, 7):
        assembler.feed(read)
    result = assembler.close()
    content = result.choices[0].message.content if result.choices else None
    return content, list(result.warnings)


def via_iter_chunks(body: bytes, strict: bool) -> tuple[Any, list[StreamWarning]]:
    it = iter_chunks(reads(body, 5), strict=strict)
    texts = [c.choices[0].delta.content or "" for c in it if c.choices and c.choices[0].delta]
    return ("".join(texts) or None), list(it.warnings)


def via_decoder(body: bytes, strict: bool) -> tuple[Any, list[StreamWarning]]:
    decoder = ChunkDecoder(strict)
    chunks = decoder.feed(body) + decoder.close()
    texts = [c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].delta]
    return ("".join(texts) or None), list(decoder.warnings)


WAYS: list[Callable[[bytes, bool], tuple[Any, list[StreamWarning]]]] = [
    via_assemble,
    via_assembler,
    via_iter_chunks,
    via_decoder,
]


def strict_error(body: bytes, ways: list[Any] = WAYS) -> tuple[type[ChunkstreamError], str]:
    """The one error every way in raises in strict mode (checked to be the same)."""
    seen = set()
    for way in ways:
        with pytest.raises(ChunkstreamError) as info:
            way(body, True)
        seen.add((type(info.value), str(info.value)))
    assert len(seen) == 1, seen
    return seen.pop()


def outcome(body: bytes, strict: bool, ways: list[Any] = WAYS) -> tuple[Any, list[StreamWarning]]:
    """What every way in returns (checked to be the same)."""
    results = [way(body, strict) for way in ways]
    for r in results[1:]:
        assert r == results[0], (results[0], r)
    return results[0]


def w(kind: str, message: str, n: int | None = None, at: int | None = None) -> StreamWarning:
    return StreamWarning(kind=kind, message=message, chunk_index=n, byte_offset=at)


# ---------------------------------------------------------------------------------------------
# 1. A whole chat.completion sent as one data: line.


def test_a_whole_completion_in_a_data_line_is_the_wrong_kind_of_body() -> None:
    # The user forgot stream: true and a proxy wrapped the answer in one SSE event. Today that
    # passes as an empty stream: strict returns content None without a word.
    event = "data: " + json.dumps(COMPLETION) + "\n\n"
    body = event.encode()
    assert strict_error(body) == (ChunkError, f"{WHOLE} (chunk 0, byte 0)")
    assert outcome(body, strict=False) == (
        None,
        [
            w("invalid_chunk", f"{WHOLE}; skipped the chunk", 0, 0),
            w(
                "truncated",
                "stream ended before [DONE] and before any choice arrived",
                1,
                len(body),
            ),
        ],
    )
    # With [DONE] after it, lenient has only the one warning; strict still names it.
    body = (event + DONE).encode()
    assert strict_error(body) == (ChunkError, f"{WHOLE} (chunk 0, byte 0)")
    assert outcome(body, strict=False) == (
        None,
        [w("invalid_chunk", f"{WHOLE}; skipped the chunk", 0, 0)],
    )


def test_a_whole_completion_among_chunks_is_named_where_it_is() -> None:
    # Its choice 0 is already open and it has no finish_reason: the decoder's fast path must
    # not take it as a chunk either.
    whole = dict(
        COMPLETION, choices=[{"index": 0, "message": {"content": "x"}, "finish_reason": None}]
    )
    event = "data: " + json.dumps(whole) + "\n\n"
    body = (HELLO + event + STOP + DONE).encode()
    at = len(HELLO.encode())
    assert strict_error(body) == (ChunkError, f"{WHOLE} (chunk 1, byte {at})")
    assert outcome(body, strict=False) == (
        "Hi",
        [w("invalid_chunk", f"{WHOLE}; skipped the chunk", 1, at)],
    )


def test_a_chunk_with_both_message_and_delta_is_still_a_chunk() -> None:
    # Some providers repeat the message so far beside each delta: that is a stream.
    obj = json.loads(HELLO[6:])
    obj["choices"][0]["message"] = {"role": "assistant", "content": "Hi"}
    body = ("data: " + json.dumps(obj) + "\n\n" + STOP + DONE).encode()
    assert outcome(body, strict=True) == ("Hi", [])


def test_the_cli_names_a_one_line_completion_file(tmp_path: Path) -> None:
    # A one-line JSON file is read as JSON Lines of chunks: --text printed nothing, exit 0.
    path = tmp_path / "completion.json"
    path.write_text(json.dumps(COMPLETION) + "\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "chunkstream", "--text", str(path)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr.decode() == f"chunkstream: error: line 1: {WHOLE} (chunk 0, byte 0)\n"


# ---------------------------------------------------------------------------------------------
# 2. Streams of other APIs, and events of types chunkstream does not read.


def responses_event(kind: str, **fields: Any) -> str:
    data = json.dumps({"type": kind, **fields}, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n"


RESPONSES = (
    responses_event("response.created", response={"id": "resp_1"})
    + responses_event("response.output_text.delta", delta="Hi")
    + responses_event("response.output_text.delta", delta=" t")
    + responses_event("response.output_text.delta", delta="!")
    + responses_event("response.completed", response={"id": "resp_1"})
)
RESPONSES_API = "this is an OpenAI Responses API stream, not Chat Completions"

ANTHROPIC = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1"}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    '"content_block":{"type":"text","text":""}}\n\n'
    'event: ping\ndata: {"type": "ping"}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    '"delta":{"type":"text_delta","text":"Hi"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
ANTHROPIC_API = "this is an Anthropic Messages API stream, not Chat Completions"


def test_an_openai_responses_stream_is_named() -> None:
    body = RESPONSES.encode()
    assert strict_error(body) == (
        ChunkError,
        "expected a chat.completion.chunk, got an event of type 'response.created': "
        f"{RESPONSES_API} (chunk 0, byte 0)",
    )
    assert outcome(body, strict=False) == (
        None,
        [
            w(
                "ignored",
                "skipped 5 event(s) of types chunkstream does not read: 'response.created' (1), "
                f"'response.output_text.delta' (3), 'response.completed' (1); {RESPONSES_API}",
                0,
                0,
            ),
            w(
                "truncated",
                "stream ended before [DONE] and before any choice arrived",
                5,
                len(body),
            ),
        ],
    )


def test_an_anthropic_messages_stream_is_named() -> None:
    body = ANTHROPIC.encode()
    assert strict_error(body) == (
        ChunkError,
        "expected a chat.completion.chunk, got an event of type 'message_start': "
        f"{ANTHROPIC_API} (chunk 0, byte 0)",
    )
    assert outcome(body, strict=False) == (
        None,
        [
            w(
                "ignored",
                "skipped 7 event(s) of types chunkstream does not read: 'message_start' (1), "
                "'content_block_start' (1), 'ping' (1), 'content_block_delta' (1), "
                "'content_block_stop' (1), 'message_delta' (1), 'message_stop' (1); "
                + ANTHROPIC_API,
                0,
                0,
            ),
            w(
                "truncated",
                "stream ended before [DONE] and before any choice arrived",
                7,
                len(body),
            ),
        ],
    )


def test_another_apis_events_without_their_event_lines_are_named_too() -> None:
    # A proxy that drops the event: lines leaves data whose "type" still says what it is.
    body = "".join(
        line + "\n\n" for line in RESPONSES.split("\n") if line.startswith("data: ")
    ).encode()
    assert strict_error(body) == (
        ChunkError,
        "expected a chat.completion.chunk, got data of type 'response.created': "
        f"{RESPONSES_API} (chunk 0, byte 0)",
    )
    _, warnings = outcome(body, strict=False)
    assert warnings[0] == w(
        "ignored",
        "skipped 5 event(s) of types chunkstream does not read: 'response.created' (1), "
        f"'response.output_text.delta' (3), 'response.completed' (1); {RESPONSES_API}",
        0,
        0,
    )


def test_a_gemini_stream_is_named() -> None:
    part = {"candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}}]}
    body = ("data: " + json.dumps(part) + "\n\n").encode() * 2
    gemini = "this is a Google Gemini API stream, not Chat Completions"
    assert strict_error(body) == (
        ChunkError,
        f"expected a chat.completion.chunk, got data with 'candidates': {gemini} (chunk 0, byte 0)",
    )
    assert outcome(body, strict=False)[1][0] == w(
        "ignored",
        f"skipped 2 event(s) of types chunkstream does not read: Gemini responses (2); {gemini}",
        0,
        0,
    )


def test_a_chat_chunk_under_another_event_type_is_not_read_silently() -> None:
    # An event type is the server saying "this is not a message": such events were read as
    # chunks; now strict says so, and lenient skips and counts them.
    named = "event: delta\n" + data(chunk({"content": " there"}))
    body = (HELLO + named + STOP + DONE).encode()
    at = len(HELLO.encode())
    assert strict_error(body) == (
        ChunkError,
        "expected a chat.completion.chunk, got an event of type 'delta', which chunkstream does "
        f"not read (it reads 'message' events, the default type, and 'error') (chunk 1, byte {at})",
    )
    assert outcome(body, strict=False) == (
        "Hi",
        [w("ignored", "skipped 1 event(s) of types chunkstream does not read: 'delta' (1)", 1, at)],
    )


def test_named_keepalives_without_data_are_counted_not_fatal() -> None:
    # "event: ping" with an empty data line carries nothing: skipped in both modes, counted.
    ping = "event: ping\ndata:\n\n"
    body = (HELLO + ping + STOP + ping + DONE).encode()
    at = len(HELLO.encode())
    for strict in (True, False):
        assert outcome(body, strict) == (
            "Hi",
            [
                w(
                    "ignored",
                    "skipped 2 event(s) of types chunkstream does not read: 'ping' (2)",
                    1,
                    at,
                )
            ],
        )


def test_the_count_of_unread_types_is_bounded() -> None:
    events = "".join(f"event: t{i}\ndata:\n\n" for i in range(12)) + "event: t0\ndata:\n\n"
    body = (HELLO + events + STOP + DONE).encode()
    named = ", ".join(f"'t{i}' ({2 if i == 0 else 1})" for i in range(10))
    assert outcome(body, strict=True) == (
        "Hi",
        [
            w(
                "ignored",
                "skipped 13 event(s) of types chunkstream does not read: "
                f"{named}, 2 of other types",
                1,
                len(HELLO.encode()),
            )
        ],
    )


# ---------------------------------------------------------------------------------------------
# 3. [DONE] with any amount of whitespace around it.


@pytest.mark.parametrize(
    "pad", [" " * 58, " " * 200, "\t \x0b\x0c" * 30], ids=["58-spaces", "200-spaces", "mixed"]
)
def test_done_with_long_whitespace_is_the_end_marker(pad: str) -> None:
    trailing = 'data: {"late": true}\n\n'
    body = (HELLO + STOP + "data: " + pad + "[DONE]" + pad + "\n\n" + trailing).encode()
    for strict in (True, False):
        assert outcome(body, strict, [via_assemble, via_assembler, via_iter_chunks]) == ("Hi", [])
    decoder = ChunkDecoder()
    decoder.feed(body)
    assert decoder.done
    decoder.close()
    # A ChunkDecoder is fed everything: it counts the event after [DONE].
    assert decoder.warnings == [w("ignored", "1 event(s) after [DONE] were ignored")]


def test_done_followed_by_anything_but_whitespace_is_not_the_marker() -> None:
    body = (HELLO + STOP + "data: [DONE]" + " " * 60 + "x\n\n").encode()
    at = len((HELLO + STOP).encode())
    kind, message = strict_error(body)
    assert kind is ChunkError
    assert message.startswith("expected JSON in the event's data (Expecting value: line 1 ")
    assert message.endswith(f" (chunk 2, byte {at})")


# ---------------------------------------------------------------------------------------------
# 4. More than 1024 choices in a ChunkDecoder: the real unfinished ones are named.


def many_choices(n: int, unfinished: set[int]) -> bytes:
    opens = "".join(data(chunk({"content": "x"}, index=i)) for i in range(n))
    stops = "".join(data(chunk({}, "stop", index=i)) for i in range(n) if i not in unfinished)
    return (opens + stops).encode()


def test_past_1024_choices_the_unfinished_ones_are_named() -> None:
    body = many_choices(1030, {5, 700, 1027})
    events = 1030 + 1027
    reason = (
        "stream ended before [DONE] with choice(s) 5, 700 unfinished (no finish_reason), and "
        "more choices than the 1024 tracked: any of the others may be unfinished too"
    )
    ways = [via_iter_chunks, via_decoder]
    assert strict_error(body, ways) == (
        TruncatedStreamError,
        f"{reason} (chunk {events}, byte {len(body)})",
    )
    _, warnings = outcome(body, False, ways)
    assert warnings == [w("truncated", reason, events, len(body))]


def test_past_1024_choices_with_every_tracked_one_finished() -> None:
    body = many_choices(1030, {1027})
    events = 1030 + 1029
    reason = (
        "stream ended before [DONE] with more choices than the 1024 tracked: those finished, "
        "any of the others may be unfinished"
    )
    ways = [via_iter_chunks, via_decoder]
    assert strict_error(body, ways) == (
        TruncatedStreamError,
        f"{reason} (chunk {events}, byte {len(body)})",
    )


def test_1024_finished_choices_are_a_complete_stream() -> None:
    body = many_choices(1024, set())
    assert outcome(body, True, [via_iter_chunks, via_decoder]) == ("x" * 1024, [])


# ---------------------------------------------------------------------------------------------
# 5. "ended before [DONE]" is located: the next chunk's number, the end of the input.


def test_ended_before_done_carries_chunk_index_and_byte_offset() -> None:
    body = ("\ufeff" + HELLO).encode()  # the BOM's 3 bytes count, as in every offset
    reason = "stream ended before [DONE] with choice(s) 0 unfinished (no finish_reason)"
    kind, message = strict_error(body)
    assert (kind, message) == (TruncatedStreamError, f"{reason} (chunk 1, byte {len(body)})")
    for way in WAYS:
        with pytest.raises(TruncatedStreamError) as info:
            way(body, True)
        assert (info.value.chunk_index, info.value.byte_offset) == (1, len(body))
    assert outcome(body, strict=False) == ("Hi", [w("truncated", reason, 1, len(body))])


def test_ended_before_any_choice_carries_chunk_index_and_byte_offset() -> None:
    body = b": keep-alive\n\n" * 3
    reason = "stream ended before [DONE] and before any choice arrived"
    assert strict_error(body) == (TruncatedStreamError, f"{reason} (chunk 0, byte {len(body)})")
    assert outcome(body, strict=False) == (None, [w("truncated", reason, 0, len(body))])


# ---------------------------------------------------------------------------------------------
# 6. A body cut mid-line: the README table and the behaviour agree.

CUT = "stream ended inside an event: its last line has no line ending, {} bytes held back"


def test_a_cut_done_after_every_choice_finished_warns_in_both_modes() -> None:
    cut = "data: [DONE"
    body = (HELLO + STOP + cut).encode()
    at = len((HELLO + STOP).encode())
    for strict in (True, False):
        assert outcome(body, strict) == ("Hi", [w("truncated", CUT.format(len(cut)), 2, at)])


def test_a_cut_line_with_a_choice_unfinished_raises_in_strict_and_warns_in_lenient() -> None:
    cut = "data: [DONE"
    body = (HELLO + cut).encode()
    at = len(HELLO.encode())
    assert strict_error(body) == (
        TruncatedStreamError,
        f"{CUT.format(len(cut))} (chunk 1, byte {at})",
    )
    assert outcome(body, strict=False) == ("Hi", [w("truncated", CUT.format(len(cut)), 1, at)])


def test_the_readme_table_says_what_a_cut_line_does() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Strict and lenient", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line[:1] == "|" and "mid-line" in line]
    assert rows == [
        "| input ends before `[DONE]` with a choice unfinished, or mid-line with one unfinished "
        "| `TruncatedStreamError` | warns |",
        "| input ends mid-line after every choice finished (say a cut `data: [DONE`): nothing of "
        "the completion is lost | warns | warns |",
    ]
