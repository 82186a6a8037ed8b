"""What the SSE spec drops or replaces is never dropped silently (issue 12), and what a stream
costs in memory is about its size, however it is read.

- A field name with stray bytes before it (a BOM, NUL, NBSP, zero-width space or an ANSI escape:
  concatenated captures and terminal logs look like this) makes the spec ignore the line. The
  events stay as the spec says; the stream layer warns (lenient) or, for a line that held data,
  raises ``ChunkError`` (strict), located at the line.
- A non-standard ``error:`` line (GPUStack sends its failure this way) is quoted in a warning,
  and a truncation message names it.
- Invalid UTF-8 is replaced with U+FFFD as the spec says, with a located warning per event.
- A partial line held across tiny reads, and a whole body handed over in one read, cost a small
  multiple of their size.

Expected values come from the bytes each test builds and the documented messages (README,
"Untrusted input").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import BANG, DONE, HELLO, STOP, chunk, compact, data, reads_of, repr_cut, traced

import chunkstream
from chunkstream import (
    ChunkDecoder,
    ChunkError,
    SSEDecoder,
    SSEError,
    StreamWarning,
    TruncatedStreamError,
    assemble,
    iter_chunks,
)

JUNK = {
    "bom": "\ufeff",
    "nul": "\x00",
    "nbsp": "\u00a0",
    "zwsp": "\u200b",
    "ansi": "\x1b[0m",
}
KNOWN_ONLY = "Server-Sent Events know only 'data', 'event', 'id' and 'retry'"


def ignored(name: str, at: int) -> StreamWarning:
    return StreamWarning(
        kind="ignored",
        message=f"ignored a line whose field name is {name!r}: {KNOWN_ONLY}, so its value was "
        "not read",
        byte_offset=at,
    )


def lost(name: str, at: int) -> str:
    return (
        f"ignored a line whose field name is {name!r}: {KNOWN_ONLY}, so the chunk it holds would "
        f"be lost (byte {at})"
    )


# -- stray bytes before a field name ------------------------------------------------------------


def streams_with_a_mangled_line(junk: str) -> list[tuple[str, str, str, int]]:
    """(case, body, the same body without the lost event, offset of the mangled line)."""
    # The first event, after the one leading BOM the spec strips (a BOM is stray only after it).
    out = [("first event", "\ufeff" + junk + HELLO + BANG + STOP + DONE, BANG + STOP + DONE, 3)]
    for case, eol in [("mid-stream", "\n"), ("after a CR", "\r"), ("after a CRLF", "\r\n")]:
        body = (HELLO + junk + BANG + STOP + DONE).replace("\n", eol)
        without = (HELLO + STOP + DONE).replace("\n", eol)
        out.append((case, body, without, len(HELLO.replace("\n", eol).encode())))
    return out


@pytest.mark.parametrize("junk", list(JUNK.values()), ids=list(JUNK))
@pytest.mark.parametrize("read_size", [None, 1, 2, 3])
def test_a_data_line_with_stray_bytes_before_it_is_reported_wherever_it_is(
    junk: str, read_size: int | None
) -> None:
    for case, body, without, at in streams_with_a_mangled_line(junk):
        raw = body.encode()
        source: Any = raw if read_size is None else reads_of(raw, read_size)
        # Lenient: the events are the spec's (the line is ignored), and a located warning says
        # which line was not read.
        result = assemble(source, strict=False)
        assert result.to_dict() == assemble(without.encode()).to_dict(), case
        assert result.warnings == (ignored(junk + "data", at),), case
        # Strict: its chunk is lost, so it is an error, located at the line.
        source = raw if read_size is None else reads_of(raw, read_size)
        with pytest.raises(ChunkError) as info:
            assemble(source)
        assert str(info.value) == lost(junk + "data", at), case
        assert (info.value.chunk_index, info.value.byte_offset) == (None, at)
        assert info.value.partial is not None


@pytest.mark.parametrize("junk", list(JUNK.values()), ids=list(JUNK))
def test_iter_chunks_reports_the_line_in_stream_order(junk: str) -> None:
    body = (HELLO + junk + BANG + STOP + DONE).encode()
    it = iter_chunks(body, strict=False)
    assert [c.choices[0].finish_reason for c in it] == [None, "stop"]
    assert it.warnings == [ignored(junk + "data", len(HELLO))]
    # Strict: the chunk before the line arrives, then the error.
    got = []
    with pytest.raises(ChunkError) as info:
        for c in iter_chunks(reads_of(body, 2)):
            got.append(c)
    assert len(got) == 1
    assert str(info.value) == lost(junk + "data", len(HELLO))


def test_the_decoder_records_the_lines_the_spec_ignores() -> None:
    lines = [JUNK[k] + "data: x" for k in JUNK]
    lines += ["\x1b[1;32mdata: y", "DATA: z", "d\x00a\x00t\x00a"]
    # (A blank line first: a BOM that opens the stream is the one the spec strips.)
    body = b"\n" + "\n\n".join(lines).encode() + b"\n\ndata: kept\n\n"
    d = SSEDecoder()
    events = d.feed(body)
    # The spec's result: only the well-formed event.
    assert [(e.data, e.offset) for e in events] == [("kept", len(body) - 12)]
    offsets, at = [], 1
    for line in lines:
        offsets.append(at)
        at += len(line.encode()) + 2
    names = [line.split(":")[0] for line in lines]
    assert d.ignored_lines == list(zip(offsets, names, strict=True))


def test_a_mangled_event_id_or_retry_line_is_a_warning_in_both_modes() -> None:
    # Nothing of a chunk is lost: a warning, strict or not.
    body = (HELLO + "\ufeffid: 7\n" + BANG + STOP + DONE).encode()
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.to_dict() == assemble((HELLO + BANG + STOP + DONE).encode()).to_dict()
        assert result.warnings == (ignored("\ufeffid", len(HELLO)),)


# Prefixes before a data line: a line-numbered dump, and (found by a stranger's run) log
# prefixes that hid a data line from the rules above.
LOG_PREFIXES = {
    "grep -n": "12:",  # the field name is "12"; the value held the data
    "osc title": "\x1b]0;user@host: ~\x07",  # a shell's window title in a terminal log
    "osc link": "\x1b]8;;http://x\x1b\\",  # an OSC 8 hyperlink, ended by ESC \\
    "timestamp": "2024-05-01T10:00:00Z ",
}


@pytest.mark.parametrize("prefix", list(LOG_PREFIXES.values()), ids=list(LOG_PREFIXES))
@pytest.mark.parametrize("read_size", [None, 1, 3])
def test_a_data_line_behind_a_log_prefix_is_reported(prefix: str, read_size: int | None) -> None:
    line = prefix + BANG
    body = (HELLO + line + STOP + DONE).encode()
    expected = repr_cut(line.rstrip("\n"))
    source: Any = body if read_size is None else reads_of(body, read_size)
    result = assemble(source, strict=False)
    assert result.to_dict() == assemble((HELLO + STOP + DONE).encode()).to_dict()
    assert result.warnings == (
        StreamWarning(
            kind="ignored",
            message=f"ignored a line whose value looks like data, {expected}: {KNOWN_ONLY}, so "
            "its value was not read",
            byte_offset=len(HELLO),
        ),
    )
    with pytest.raises(ChunkError) as info:
        assemble(body)
    assert str(info.value) == (
        f"ignored a line whose value looks like data, {expected}: {KNOWN_ONLY}, so the chunk it "
        f"holds would be lost (byte {len(HELLO)})"
    )


@pytest.mark.parametrize("gap", [" ", "\t", ""])
def test_a_data_line_that_lost_its_colon_is_reported(gap: str) -> None:
    # "data {...}": the field name runs to the first colon inside the JSON ('data {"id"').
    line = "data" + gap + BANG[len("data: ") :]
    body = (HELLO + line + STOP + DONE).encode()
    name = line.split(":")[0]
    result = assemble(body, strict=False)
    assert result.to_dict() == assemble((HELLO + STOP + DONE).encode()).to_dict()
    assert result.warnings == (ignored(name, len(HELLO)),)
    with pytest.raises(ChunkError) as info:
        assemble(body)
    assert str(info.value) == lost(name, len(HELLO))


def test_extension_fields_and_json_keys_are_not_reported() -> None:
    # The spec ignores unknown fields so that the format can grow: not reported.
    body = (HELLO + "x-trace: abc\nmetadata: 1\n" + BANG + STOP + DONE).encode()
    assert assemble(body).warnings == ()


def test_many_mangled_lines_in_one_event_are_counted_past_ten() -> None:
    block = "".join(f"\x00data: {i}\n" for i in range(15)) + "\n"
    body = (HELLO + block + STOP + DONE).encode()
    result = assemble(body, strict=False)
    at = len(HELLO)
    expected = [ignored("\x00data", at + 9 * i) for i in range(10)]
    expected.append(
        StreamWarning(
            kind="ignored",
            message="5 more ignored line(s) in the same event, not reported one by one",
            byte_offset=at,
        )
    )
    assert list(result.warnings) == expected


# -- an "error:" line ---------------------------------------------------------------------------

ERROR_LINE = 'error: {"message":"CUDA out of memory","code":500}'
ERROR_SHOWN = repr(ERROR_LINE)
ERROR_WARNING = (
    "ignored an 'error' line (not a Server-Sent Events field; some servers, such as GPUStack, "
    f"send their failure this way): {ERROR_SHOWN}"
)


def test_an_error_line_is_quoted_and_named_by_the_truncation() -> None:
    body = (HELLO + ERROR_LINE + "\n\n").encode()
    at = len(HELLO)
    truncated = (
        "stream ended before [DONE] with choice(s) 0 unfinished (no finish_reason); it sent an "
        f"'error' line at byte {at}: {ERROR_SHOWN}"
    )
    for source in (body, reads_of(body, 3)):
        result = assemble(source, strict=False)
        assert result.warnings == (
            StreamWarning(kind="ignored", message=ERROR_WARNING, byte_offset=at),
            StreamWarning(
                kind="truncated", message=truncated, chunk_index=1, byte_offset=len(body)
            ),
        )
    with pytest.raises(TruncatedStreamError) as info:
        assemble(body)
    assert str(info.value) == f"{truncated} (chunk 1, byte {len(body)})"
    assert info.value.partial.warnings == (
        StreamWarning(kind="ignored", message=ERROR_WARNING, byte_offset=at),
    )


def test_an_error_line_in_a_complete_stream_is_a_warning() -> None:
    body = (HELLO + ERROR_LINE + "\n\n" + STOP + DONE).encode()
    for strict in (True, False):
        result = assemble(body, strict=strict)
        assert result.choices[0].finish_reason == "stop"
        assert result.warnings == (
            StreamWarning(kind="ignored", message=ERROR_WARNING, byte_offset=len(HELLO)),
        )


# -- invalid UTF-8 --------------------------------------------------------------------------------

REPLACED = "invalid UTF-8 in the event's {}: the bytes were replaced with U+FFFD, as the "
REPLACED += "Server-Sent Events spec says"


def replaced(part: str, chunk_index: int | None, at: int) -> StreamWarning:
    return StreamWarning(
        kind="invalid_utf8",
        message=REPLACED.format(part),
        chunk_index=chunk_index,
        byte_offset=at,
    )


@pytest.mark.parametrize("read_size", [None, 1, 2, 3])
def test_invalid_utf8_is_replaced_with_one_located_warning_per_event(
    read_size: int | None,
) -> None:
    # Two bad bytes in one event: one warning. A two-line event (the long way) too.
    bad = BANG.replace('"!"', '"\xff\xfe!"').encode("latin-1")
    text = compact(chunk({"content": "E"})).replace('"E"', '"\xe9"')  # one raw byte 0xE9
    split = text.index('"choices"')  # a line break between two members: JSON whitespace
    two_lines = f"data: {text[:split]}\ndata: {text[split:]}\n\n".encode("latin-1")
    body = HELLO.encode() + bad + two_lines + (STOP + DONE).encode()
    source: Any = body if read_size is None else reads_of(body, read_size)
    for strict in (True, False):
        result = assemble(source if read_size is None else list(source), strict=strict)
        assert result.choices[0].message.content == "Hi\ufffd\ufffd!\ufffd"
        assert result.warnings == (
            replaced("data", 1, len(HELLO)),
            replaced("data", 2, len(HELLO) + len(bad)),
        )


def test_invalid_utf8_in_an_id_is_reported_on_its_event() -> None:
    block = b"id: \xff\n" + BANG.encode()
    body = HELLO.encode() + block + (STOP + DONE).encode()
    result = assemble(body)
    assert result.warnings == (replaced("id", 1, len(HELLO)),)


# -- memory: pending bytes cost about their size ------------------------------------------------


@pytest.mark.parametrize("read_size", [1, 2, 3])
def test_a_partial_line_held_across_tiny_reads_costs_about_its_size(read_size: int) -> None:
    # Each read used to be kept as its own bytes object (34 bytes of header and an 8-byte list
    # slot each): a line in 2-byte reads cost ~21x its size. Now about 1x (a bytearray).
    line = b"data: " + b"x" * 50_000
    reads = reads_of(line, read_size)
    d = SSEDecoder()

    def feed() -> None:
        for read in reads:
            d.feed(read)

    _, peak = traced(feed)
    assert peak < 2 * len(line), peak
    (event,) = d.feed(b"\n\n")
    assert len(event.data) == 50_000


@pytest.mark.parametrize(
    "body",
    [
        b"\r" * 300_000,
        b":\n" * 150_000,
        b"data: x\n\n" * 33_000,
        b"\x00data\n\n" * 45_000,
    ],
    ids=["CRs", "comments", "tiny events", "mangled lines"],
)
def test_a_whole_body_in_one_read_costs_a_small_multiple_of_its_size(body: bytes) -> None:
    # 30 MB of CRs in one read made 30 million list slots (+250 MB). Bodies are decoded in
    # windows now: what one window's lines, events and notes cost, not the whole body's.
    # (max_warnings=10: the warnings kept are not what this measures.) The body with no event
    # at all is also kept, up to 1 MiB, to say what it is: one copy of it.
    def run() -> Any:
        try:
            return assemble(body, strict=False, max_warnings=10)
        except ChunkError as exc:  # "expected an event stream": the body has no event
            return exc

    _, peak = traced(run)
    assert peak < 3 * len(body), (peak, len(body))


def test_one_big_event_needs_little_more_than_json_loads() -> None:
    # A 20 MB event of [{},{},...] needed twice what json.loads alone needs (913 against
    # 473 MB): the depth check held a tuple per item. 2 MB here, same shape.
    payload = "[" + ",".join(["{}"] * 200_000) + "]"
    body = ("data: " + payload + "\n\n").encode()
    _, json_peak = traced(lambda: json.loads(payload))
    result, peak = traced(lambda: assemble(body, strict=False))
    assert isinstance(result, Exception) or result.warnings  # a list is no chunk: skipped
    assert peak < 3 * len(body) + json_peak, (peak, len(body), json_peak)


# -- notes and oversized events, in stream order -----------------------------------------------


def test_notes_and_oversized_events_are_reported_in_stream_order_whatever_the_reads() -> None:
    big = data(chunk({"content": "x" * 1000}))
    body = (HELLO + "\x00" + BANG + big + "\ufeff" + BANG + STOP + DONE).encode()
    first = len(HELLO)
    at_big = first + 1 + len(BANG)
    second = at_big + len(big)
    expected = (
        ignored("\x00data", first),
        StreamWarning(
            kind="limit",
            message="event exceeds max_event_bytes (600); skipped it",
            byte_offset=at_big,
        ),
        ignored("\ufeffdata", second),
    )
    for source in (body, reads_of(body, 1), reads_of(body, 7), reads_of(body, 400)):
        result = assemble(source, strict=False, max_event_bytes=600)
        assert result.warnings == expected
        assert result.choices[0].message.content == "Hi"
    with pytest.raises(ChunkError) as info:
        assemble(body, max_event_bytes=600)
    assert str(info.value) == lost("\x00data", first)


def test_a_big_read_goes_on_after_each_oversized_event_in_strict_mode() -> None:
    # A body handed over whole is decoded in windows; an oversized event raises SSEError in
    # one of them, and the windows after it are not lost: the decoder goes on with them.
    big = data(chunk({"content": "x" * 1000}))
    filler = BANG * 200  # about 40 kB: the two oversized events fall in different windows
    body = (HELLO + big + filler + big + STOP + DONE).encode()
    d = ChunkDecoder(max_event_bytes=600)
    got = []
    offsets = []
    reads = [body, b"", b""]
    for read in reads:
        try:
            got += d.feed(read)
        except SSEError as exc:
            got += exc.chunks
            offsets.append(exc.byte_offset)
    got += d.close()
    assert offsets == [len(HELLO), len(HELLO) + len(big) + len(filler)]
    assert len(got) == 1 + 200 + 1
    assert d.done


def test_an_event_of_many_short_data_lines_costs_about_its_size() -> None:
    # Found by a stranger's run: a million "data: x" lines in one event held a bytes object and
    # a list slot per line, about 10x the event's size. They are gathered as they come now.
    body = (HELLO + "data: x\n" * 100_000 + "\n" + STOP + DONE).encode()
    result, peak = traced(lambda: assemble(body, strict=False))
    assert [w.kind for w in result.warnings] == ["invalid_chunk"]
    assert result.choices[0].message.content == "Hi"
    assert peak < 3 * len(body), (peak, len(body))
    # The lines are joined exactly as before: "x\nx\n...x".
    (event,) = [e for e in SSEDecoder().feed(b"data: a\ndata: b\ndata:\ndata: c\n\n")]
    assert event.data == "a\nb\n\nc"
    long = "y" * 5000
    (event,) = SSEDecoder().feed(f"data: a\ndata: {long}\ndata: b\ndata: c\n\n".encode())
    assert event.data == f"a\n{long}\nb\nc"


# A complete "data: [DONE]" line ends the stream where it stands, even inside its block: a
# line after it is never read, whether it came in the same read or later (found by the fuzz
# target on CPython 3.12: a whole read reported the stray line after [DONE] as lost data, 1-byte
# reads stopped at [DONE] and never saw it). A stray line before the [DONE] line is reported.
AFTER_DONE_LINE = [
    b"data:[DONE]\n\x00data\n",
    b"data:\ndata:[DONE]\n\x00data\n",
    b"data: [DONE]\n\x00data: {}\n\n",
    b"data: [DONE]\n" + b"\x00data\n" * 30,  # past the notes kept per block
]


@pytest.mark.parametrize("body", AFTER_DONE_LINE)
@pytest.mark.parametrize("strict", [True, False])
def test_a_line_after_the_done_line_of_its_block_is_never_read(body: bytes, strict: bool) -> None:
    for size in (len(body), 1, 2, 3):
        reads = [body[i : i + size] for i in range(0, len(body), size)]
        completion = assemble(iter(reads), strict=strict)
        assert completion.choices == () and completion.warnings == (), size


def test_a_stray_data_line_before_the_done_line_of_its_block_is_lost_data_whatever_the_reads() -> (
    None
):
    body = b"\x00data\ndata:[DONE]\n\n"
    for size in (len(body), 1, 2, 3):
        reads = [body[i : i + size] for i in range(0, len(body), size)]
        with pytest.raises(ChunkError) as info:
            assemble(iter(reads))
        assert str(info.value) == (
            "ignored a line whose field name is '\\x00data': Server-Sent Events know only "
            "'data', 'event', 'id' and 'retry', so the chunk it holds would be lost (byte 0)"
        )
        [w] = assemble(iter(reads), strict=False).warnings
        assert (w.kind, w.byte_offset) == ("ignored", 0)


@pytest.mark.parametrize("body", [b"[DONE]\ndata:[DONE]\ndata:", b"x\ndata: [DONE]\ndata: {"])
@pytest.mark.parametrize("size", [1, 2, 3, 0])
@pytest.mark.parametrize("strict", [True, False])
def test_a_done_line_makes_the_body_an_event_stream_whatever_the_reads(
    body: bytes, size: int, strict: bool
) -> None:
    """A first line that is no field, then a ``[DONE]`` data line in an unfinished block: the
    whole body in one read was refused as "expected an event stream", where 1-byte reads saw
    the [DONE] line first and returned the empty completion (found by the fuzz harness)."""
    reads = [body] if size == 0 else [body[i : i + size] for i in range(0, len(body), size)]
    completion = chunkstream.assemble(reads, strict=strict)
    assert (completion.choices, completion.warnings) == ((), ())
    assert list(chunkstream.iter_chunks(reads, strict=strict)) == []


def test_a_body_with_no_field_and_no_done_line_is_still_no_event_stream() -> None:
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.assemble([b"x\ndat"])
    assert str(info.value) == (
        "expected an event stream (lines like 'data: {...}'), got bytes b'x\\ndat' (byte 0)"
    )


@pytest.mark.parametrize("size", [1, 2, 3, 0])
def test_a_note_of_the_done_block_is_reported_by_the_decoder_whatever_the_reads(
    size: int,
) -> None:
    """An invalid id before the [DONE] line of its block: fed 1 byte at a time, ChunkDecoder
    took the [DONE] line before its blank line, and the reads after it dropped the SSE
    layer's note of the id (found by the fuzz harness); a whole read reported it."""
    body = b"id:\xff\ndata:[DONE]\n\r\n"
    reads = [body] if size == 0 else [body[i : i + size] for i in range(0, len(body), size)]
    decoder = chunkstream.ChunkDecoder(strict=False)
    for read in reads:
        assert decoder.feed(read) == []
    assert decoder.close() == []
    assert [(w.kind, str(w)) for w in decoder.warnings] == [
        (
            "invalid_utf8",
            "invalid UTF-8 in the event's id: the bytes were replaced with U+FFFD, as the "
            "Server-Sent Events spec says (byte 0)",
        )
    ]
