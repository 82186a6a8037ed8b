"""The SSE layer (``chunkstream._sse``) against WHATWG HTML 9.2.6, "Interpreting an event stream".

Expected values are derived from the spec text and the input bytes, never from running the
decoder. Every hand-written case runs whole, byte by byte, with empty reads between bytes, at
every single cut point and at random cuts: the events, their offsets and ``held_back`` must not
depend on how the bytes were split. A small reference parser written from the spec text (it
decodes the whole stream first and splits the text, as the spec describes) checks generated
streams.
"""

from __future__ import annotations

import ast
import pickle
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chunkstream import (
    DEFAULT_MAX_EVENT_BYTES,
    ChunkstreamError,
    HeldBack,
    ServerSentEvent,
    SSEDecoder,
    SSEError,
    iter_events,
)

BOM = b"\xef\xbb\xbf"
SSE_SOURCE = Path(__file__).resolve().parent.parent / "chunkstream" / "_sse.py"

# (event type, data, id, retry, offset): ServerSentEvent equality leaves `offset` out, so the
# tests compare these tuples to hold offsets to account too.
Row = tuple[str, str, "str | None", "int | None", "int | None"]


def row(e: ServerSentEvent) -> Row:
    return (e.event, e.data, e.id, e.retry, e.offset)


def ev(
    data: str, offset: int, event: str = "message", id: str | None = None, retry: int | None = None
) -> Row:
    return (event, data, id, retry, offset)


@dataclass
class Run:
    decoder: SSEDecoder
    rows: list[Row]  # every event, including those carried by SSEErrors
    per_read: list[list[Row]]  # the events each feed() returned (or its SSEError carried)
    errors: list[SSEError] = field(default_factory=list)


def run(reads: Sequence[bytes], **kwargs: object) -> Run:
    decoder = SSEDecoder(**kwargs)  # type: ignore[arg-type]
    per_read: list[list[Row]] = []
    errors: list[SSEError] = []
    for read in reads:
        try:
            got = decoder.feed(read)
        except SSEError as exc:
            errors.append(exc)
            got = exc.events
        per_read.append([row(e) for e in got])
    closing = decoder.close()
    assert closing == []  # the spec discards an unfinished event; see held_back
    return Run(decoder, [r for read in per_read for r in read], per_read, errors)


def splits(data: bytes, seed: int = 0) -> Iterator[list[bytes]]:
    """The same bytes cut in many ways: whole, byte by byte, with empty reads, at every single
    cut point (short inputs), and at random cuts."""
    yield [data]
    yield [b"", data, b""]
    yield [data[i : i + 1] for i in range(len(data))]
    yield [b"", *(part for i in range(len(data)) for part in (data[i : i + 1], b"")), b""]
    if len(data) <= 300:
        for i in range(1, len(data)):
            yield [data[:i], data[i:]]
    rng = random.Random(seed)
    for _ in range(20):
        cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 8)))
        yield [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def check(
    data: bytes,
    expected: list[Row],
    held_back: HeldBack | None = None,
    held_event_offset: int | None = None,
    **kwargs: object,
) -> SSEDecoder:
    """Assert that every split of `data` gives `expected` (offsets included) and `held_back`,
    and leaves the decoder in the same state; return the decoder of the whole read."""
    decoders = []
    for reads in splits(data):
        result = run(reads, **kwargs)
        assert result.rows == expected, reads
        assert result.errors == []
        assert result.decoder.held_back == held_back, reads
        if held_back is not None and held_back.event is not None:
            assert result.decoder.held_back is not None
            assert result.decoder.held_back.event is not None
            assert result.decoder.held_back.event.offset == held_event_offset
        decoders.append(result.decoder)
    state = [(d.last_event_id, d.retry, d.ignored_lines, d.events_dispatched) for d in decoders]
    assert state == [state[0]] * len(state)
    return decoders[0]


# -- feed / close ------------------------------------------------------------------------------


def test_feed_returns_only_the_events_that_read_completed() -> None:
    d = SSEDecoder()
    assert d.feed(b"data: a\n") == []
    assert d.feed(b"data: b\n") == []
    got = d.feed(b"\ndata: c\n\ndata: d")
    assert [row(e) for e in got] == [ev("a\nb", 0), ev("c", 17)]
    assert [row(e) for e in d.feed(b"\n\n")] == [ev("d", 26)]
    assert d.close() == []
    assert d.held_back is None
    assert d.events_dispatched == 3


def test_empty_reads_change_nothing() -> None:
    d = SSEDecoder()
    reads = (b"", b"data: x", b"", b"\n", b"", b"\n", b"")
    got = [[row(e) for e in d.feed(read)] for read in reads]
    assert got == [[], [], [], [], [], [ev("x", 0)], []]
    assert d.events_dispatched == 1


def test_feed_accepts_bytearray_and_memoryview() -> None:
    d = SSEDecoder()
    assert d.feed(bytearray(b"data: a\n")) == []
    assert [row(e) for e in d.feed(memoryview(b"\ndata: b\n\n"))] == [ev("a", 0), ev("b", 9)]


def test_feed_rejects_text_and_other_non_bytes() -> None:
    d = SSEDecoder()
    with pytest.raises(TypeError) as info:
        d.feed("data: x\n\n")  # type: ignore[arg-type]
    assert str(info.value) == (
        "SSEDecoder.feed() takes bytes, got str; encode text first: text.encode('utf-8')"
    )
    # bytes(5) would be five NUL bytes: an int must not be taken for data
    with pytest.raises(TypeError) as info:
        d.feed(5)  # type: ignore[arg-type]
    assert str(info.value) == "SSEDecoder.feed() takes bytes, got int"
    assert [row(e) for e in d.feed(b"data: x\n\n")] == [ev("x", 0)]


def test_feed_after_close_raises_runtime_error() -> None:
    d = SSEDecoder()
    d.feed(b"data: x\n\n")
    d.close()
    with pytest.raises(RuntimeError) as info:
        d.feed(b"data: y\n\n")
    assert str(info.value) == "SSEDecoder.feed() called after close(); use a new decoder"
    with pytest.raises(RuntimeError) as info:
        d.feed(b"")
    assert str(info.value) == "SSEDecoder.feed() called after close(); use a new decoder"


def test_close_twice_is_harmless_and_keeps_held_back() -> None:
    d = SSEDecoder()
    d.feed(b"data: x\n")
    assert d.close() == []
    first = d.held_back
    assert d.close() == []
    assert (
        d.held_back
        == first
        == HeldBack(offset=0, size=8, line_cut=False, event=ServerSentEvent(data="x"))
    )


def test_held_back_is_none_before_close_and_for_empty_input() -> None:
    d = SSEDecoder()
    d.feed(b"data: x\n")
    assert d.held_back is None
    d = SSEDecoder()
    d.close()
    assert d.held_back is None
    assert d.events_dispatched == 0


# -- line endings --------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending_ends_lines(eol: bytes) -> None:
    data = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    n = len(eol)
    check(data, [ev("a\nb", 0), ev("c", 7 + n + 7 + n + n)])


def test_mixed_line_endings_in_one_stream() -> None:
    # lines: "data: a" CRLF, "data: b" CR, "" LF -> dispatch; "data: c" LF, "" CRLF -> dispatch
    data = b"data: a\r\ndata: b\r\ndata: c\n\r\n"
    # careful: "data: b\r\n" is one CRLF; so the first block is a, b, c and the blank line is CRLF
    check(data, [ev("a\nb\nc", 0)])
    data = b"data: a\r\ndata: b\r\ndata: c\n\r\n".replace(b"b\r\n", b"b\r\r")
    # now "data: b" CR, "" CR -> dispatch "a\nb"; "data: c" LF, "" CRLF -> dispatch "c"
    check(data, [ev("a\nb", 0), ev("c", 18)])


def test_lf_cr_lf_does_not_merge_two_events() -> None:
    # sseclient-py split events on "\r\n\r\n|\n\n|\r\r" and so merged these two events
    # (btubbs/sseclient#28). Lines: "data: a" LF, "" CRLF -> dispatch; "data: b" LF, "" LF.
    check(b"data: a\n\r\ndata: b\n\n", [ev("a", 0), ev("b", 10)])


def test_cr_at_end_of_read_and_lf_at_start_of_next_are_one_line_ending() -> None:
    d = SSEDecoder()
    assert d.feed(b"data: a\r") == []
    # if the LF were a line of its own, it would be a blank line dispatching "a" alone
    assert d.feed(b"\ndata: b\r") == []
    assert [row(e) for e in d.feed(b"\n\r\n")] == [ev("a\nb", 0)]
    check(b"data: a\r\ndata: b\r\n\r\n", [ev("a\nb", 0)])


def test_cr_then_cr_across_reads_is_a_blank_line() -> None:
    d = SSEDecoder()
    assert d.feed(b"data: a\r") == []
    assert [row(e) for e in d.feed(b"\r")] == [ev("a", 0)]
    assert d.feed(b"\n") == []  # the LF of the second CR's CRLF: no new line, nothing happens
    assert [row(e) for e in d.feed(b"data: b\n\n")] == [ev("b", 10)]


def test_cr_lf_split_with_empty_reads_between() -> None:
    d = SSEDecoder()
    assert d.feed(b"data: a\r") == []
    assert d.feed(b"") == []
    assert d.feed(b"") == []
    assert d.feed(b"\n") == []
    assert [row(e) for e in d.feed(b"\n")] == [ev("a", 0)]


@pytest.mark.parametrize(
    "char",
    ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"],
    ids=["VT", "FF", "FS", "GS", "RS", "NEL", "LS", "PS"],
)
def test_only_cr_and_lf_end_lines(char: str) -> None:
    # str.splitlines() breaks on all of these; the spec's end-of-line is CRLF, LF or CR only.
    data = f"data: a{char}b\nevent: x{char}y\n\n".encode()
    check(data, [ev(f"a{char}b", 0, event=f"x{char}y")])


def test_a_raw_0x85_byte_is_no_line_ending_but_invalid_utf8() -> None:
    check(b"data: a\x85b\n\n", [ev("a\ufffdb", 0)])


# -- UTF-8 ---------------------------------------------------------------------------------------


def test_invalid_utf8_is_replaced_with_u_fffd() -> None:
    check(b"data: a\xffb\n\n", [ev("a\ufffdb", 0)])
    check(b"event: \xc0\ndata: x\n\n", [ev("x", 0, event="\ufffd")])
    check(b"id: \xfe\ndata: x\n\n", [ev("x", 0, id="\ufffd")])


def test_truncated_multibyte_sequence_before_line_ending_is_one_replacement() -> None:
    # U+20AC is E2 82 AC; "E2 82" then LF: the UTF-8 decoder reports one error for the maximal
    # subpart and hands the LF back, so the line still ends there.
    check(b"data: \xe2\x82\ndata: z\n\n", [ev("\ufffd\nz", 0)])


def test_encoded_surrogates_are_invalid_utf8() -> None:
    # ED A0 80 would be U+D800: ED allows only 80..9F next, so A0 and 80 are errors each.
    check(b"data: \xed\xa0\x80\n\n", [ev("\ufffd\ufffd\ufffd", 0)])


def test_multibyte_characters_split_across_reads_decode_right() -> None:
    text = "data: \u20ac \U0001f600 \u00e9\n\n"
    data = text.encode()
    d = SSEDecoder()
    out = []
    for i in range(len(data)):
        out += d.feed(data[i : i + 1])
    assert [row(e) for e in out] == [ev("\u20ac \U0001f600 \u00e9", 0)]
    check(data, [ev("\u20ac \U0001f600 \u00e9", 0)])


def test_non_ascii_field_values_and_names() -> None:
    # a field name in another script is just an unknown field
    check("\u0434\u0430\u0442\u0430: x\ndata: \u65e5\u672c\n\n".encode(), [ev("\u65e5\u672c", 0)])


# -- byte order mark -------------------------------------------------------------------------------


def test_leading_bom_is_stripped_and_first_event_kept() -> None:
    # httpx-sse and the openai SDK lost the first event of a stream that starts with a BOM:
    # the BOM became part of the first field name.
    data = BOM + b"data: first\n\ndata: second\n\n"
    check(data, [ev("first", 3), ev("second", 16)])


@pytest.mark.parametrize(
    "reads",
    [
        [b"\xef", b"\xbb\xbfdata: first\n\n"],
        [b"\xef\xbb", b"\xbfdata: first\n\n"],
        [b"\xef", b"\xbb", b"\xbf", b"data: first\n\n"],
        [b"\xef", b"", b"\xbb", b"", b"\xbf", b"", b"data: first\n\n"],
        [b"", b"\xef\xbb\xbf", b"", b"data: first\n\n"],
        [b"\xef\xbb\xbfd", b"ata: first\n\n"],
    ],
    ids=["1+2", "2+1", "byte-by-byte", "empty-reads-between", "empty-read-first", "bom+1"],
)
def test_leading_bom_split_across_reads_is_stripped(reads: list[bytes]) -> None:
    assert run(reads).rows == [ev("first", 3)]


def test_only_one_leading_bom_is_stripped() -> None:
    # The second BOM is text: it starts the first line, so the field name is "\ufeffdata", an
    # unknown field, and the block dispatches nothing. The line is recorded: it was meant as
    # data (concatenated captures look like this), and the layers above must say so.
    d = check(BOM + BOM + b"data: x\n\ndata: y\n\n", [ev("y", 15)])
    assert d.ignored_lines == [(3, "\ufeffdata")]


def test_bom_after_the_first_line_is_not_stripped() -> None:
    check(b"data: a\n\n" + BOM + b"data: b\n\ndata: c\n\n", [ev("a", 0), ev("c", 21)])
    check(b"data: a\n" + BOM + b"data: b\n\n", [ev("a", 0)])


def test_bom_inside_a_value_is_data() -> None:
    check(b"data: " + BOM + b"x\n\n", [ev("\ufeffx", 0)])
    check(b"data:" + BOM + b"\n\n", [ev("\ufeff", 0)])


def test_bom_prefix_that_is_not_a_bom_is_not_stripped() -> None:
    # EF BB then "d": an invalid sequence, one U+FFFD, so the field name is "\ufffddata".
    check(b"\xef\xbbdata: x\n\ndata: y\n\n", [ev("y", 11)])
    check(b"\xefdata: x\n\ndata: y\n\n", [ev("y", 10)])


def test_bom_only_stream_has_nothing_held_back() -> None:
    check(BOM, [], held_back=None)


def test_partial_bom_at_end_of_input_is_a_cut_line() -> None:
    check(b"\xef\xbb", [], held_back=HeldBack(offset=0, size=2, line_cut=True, event=None))
    check(b"\xef", [], held_back=HeldBack(offset=0, size=1, line_cut=True, event=None))


def test_bom_then_blank_line_dispatches_nothing() -> None:
    check(BOM + b"\n\ndata: x\n\n", [ev("x", 5)])


# -- fields ----------------------------------------------------------------------------------------


def test_comment_lines_are_ignored() -> None:
    data = b":\n: keep-alive\n:data: not data\ndata: x\n: between\n\n"
    d = check(data, [ev("x", 0)])
    assert d.ignored_lines == []


def test_comment_only_blocks_dispatch_nothing() -> None:
    check(b": ping\n\n: ping\n\ndata: x\n\n", [ev("x", 16)])


def test_field_and_value_split_on_first_colon_and_one_space_removed() -> None:
    check(b"data: a: b\n\n", [ev("a: b", 0)])
    check(b"data::x\n\n", [ev(":x", 0)])
    check(b"data:  two spaces\n\n", [ev(" two spaces", 0)])
    check(b"data:\tx\n\n", [ev("\tx", 0)])
    check(b"data:x \n\n", [ev("x ", 0)])
    check(b"event:a:b\ndata: x\n\n", [ev("x", 0, event="a:b")])


def test_data_lines_are_joined_with_lf() -> None:
    check(b"data: a\ndata:\ndata: c\n\n", [ev("a\n\nc", 0)])
    check(b"data:\ndata:\n\n", [ev("\n", 0)])


def test_field_line_without_colon_is_field_with_empty_value() -> None:
    check(b"data\n\n", [ev("", 0)])
    check(b"data\ndata\n\n", [ev("\n", 0)])
    check(b"event\ndata: x\n\n", [ev("x", 0)])


def test_event_sets_type_and_is_reset_after_each_dispatch() -> None:
    check(
        b"event: add\ndata: 1\n\ndata: 2\n\nevent: x\nevent: y\ndata: 3\n\n",
        [ev("1", 0, event="add"), ev("2", 20), ev("3", 29, event="y")],
    )


def test_empty_event_value_means_message() -> None:
    check(b"event:\ndata: x\n\nevent: \ndata: y\n\n", [ev("x", 0), ev("y", 16)])
    check(b"event: a\nevent:\ndata: x\n\n", [ev("x", 0)])


def test_event_type_is_reset_even_when_nothing_is_dispatched() -> None:
    # "If the data buffer is an empty string, set the data buffer and the event type buffer to
    # the empty string and return."
    check(b"event: ping\n\ndata: x\n\n", [ev("x", 13)])


def test_id_persists_across_events() -> None:
    check(
        b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
        [ev("a", 0, id="1"), ev("b", 15, id="1"), ev("c", 24, id="2")],
    )


def test_id_set_after_data_in_same_block_applies_to_that_event() -> None:
    check(b"data: a\nid: 7\n\n", [ev("a", 0, id="7")])


def test_empty_id_sets_last_event_id_to_empty_string() -> None:
    check(
        b"id: 1\ndata: a\n\nid:\ndata: b\n\nid\ndata: c\n\n",
        [
            ev("a", 0, id="1"),
            ev("b", 15, id=""),
            ev("c", 28, id=""),
        ],
    )


def test_id_containing_nul_is_ignored() -> None:
    d = check(
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", [ev("a", 0, id="1"), ev("b", 15, id="1")]
    )
    assert d.last_event_id == "1"
    d = check(b"id: \x00\ndata: a\n\n", [ev("a", 0)])
    assert d.last_event_id is None


def test_id_without_data_dispatches_nothing_but_sets_last_event_id() -> None:
    # The openai SDK dispatched an empty event for an "id:"-only block.
    d = check(b"id: 5\n\ndata: x\n\n", [ev("x", 7, id="5")])
    assert d.last_event_id == "5"
    d = check(b"id: 5\n\n", [])
    assert d.last_event_id == "5"
    assert d.events_dispatched == 0


def test_retry_only_and_event_only_blocks_dispatch_nothing() -> None:
    d = check(b"retry: 100\n\nevent: ping\n\n: c\n\nevent: a\nid: 2\nretry: 3\n\n", [])
    assert d.retry == 3
    assert d.last_event_id == "2"
    assert d.events_dispatched == 0


def test_blank_lines_alone_dispatch_nothing() -> None:
    check(b"\n\n\r\n\r\r\n", [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1000", 1000),
        (b"0", 0),
        (b"0012", 12),
        (b"18446744073709551615", 2**64 - 1),
    ],
)
def test_retry_with_only_ascii_digits_sets_reconnection_time(value: bytes, expected: int) -> None:
    d = check(b"retry: " + value + b"\ndata: x\n\n", [ev("x", 0, retry=expected)])
    assert d.retry == expected


@pytest.mark.parametrize(
    "value",
    [
        b"1.5",
        b" 10",  # "retry:  10": one space is removed, the value is " 10"
        b"10 ",
        b"-1",
        b"+1",
        b"1_000",  # int() would accept this
        b"0x10",
        b"1e3",
        b"",
        "\u0661\u0662".encode(),  # Arabic-Indic digits: digits, but not ASCII digits
        "\uff11".encode(),  # FULLWIDTH DIGIT ONE
        b"\xb2",  # invalid UTF-8 (0xB2 is SUPERSCRIPT TWO in Latin-1)
    ],
)
def test_retry_that_is_not_only_ascii_digits_is_ignored(value: bytes) -> None:
    d = check(b"retry: 7\n\nretry: " + value + b"\ndata: x\n\n", [ev("x", 10)])
    assert d.retry == 7


def test_retry_too_large_for_64_bits_is_ignored_without_error() -> None:
    # A value of 5000 digits made int() raise ValueError (CPython's limit on digits); the spec
    # leaves the integer's range to the implementation and Chromium ignores a retry that does
    # not fit in 64 bits. Leading zeros do not count.
    huge = b"9" * 5000
    d = check(b"retry: 5\n\nretry: " + huge + b"\ndata: x\n\n", [ev("x", 10)])
    assert d.retry == 5
    d = check(b"retry: 18446744073709551616\ndata: x\n\n", [ev("x", 0)])
    assert d.retry is None
    d = check(b"retry: " + b"0" * 5000 + b"42\ndata: x\n\n", [ev("x", 0, retry=42)])
    assert d.retry == 42


def test_retry_is_reported_on_its_own_event_only() -> None:
    d = check(b"retry: 10\ndata: a\n\ndata: b\n\n", [ev("a", 0, retry=10), ev("b", 19)])
    assert d.retry == 10


def test_unknown_fields_are_ignored() -> None:
    d = check(b"foo: bar\nDATA: no\nData: no\ndata: x\nIDX: 1\n\n", [ev("x", 0)])
    assert d.last_event_id is None
    # Field names are case-sensitive, so "DATA" is ignored; it is recorded (a server that
    # capitalises it loses all its data), "foo" and "IDX" are not (extension fields).
    assert d.ignored_lines == [(9, "DATA"), (18, "Data")]


def test_ignored_lines_records_field_names_with_stray_whitespace() -> None:
    # A real provider's body started " data: {...}": the field name is " data", which the spec
    # ignores. The decoder records such lines so the layers above can warn.
    data = b' data: {"a": 1}\n\ndata : x\n\tid: 3\nretry :5\n event\ndata: y\n\n'
    d = check(data, [ev("y", 17)])
    assert d.ignored_lines == [
        (0, " data"),
        (17, "data "),
        (26, "\tid"),
        (33, "retry "),
        (42, " event"),
    ]
    assert d.last_event_id is None
    assert d.retry is None


def test_ignored_lines_are_capped_at_100() -> None:
    data = b"".join(b" data: %d\n" % i for i in range(150)) + b"\n"
    d = SSEDecoder()
    d.feed(data)
    offsets = [i * 9 for i in range(10)] + [90 + (i - 10) * 10 for i in range(10, 100)]
    assert d.ignored_lines == [(offset, " data") for offset in offsets]


def test_offset_is_the_first_non_blank_line_of_the_block() -> None:
    # A comment line opens the block too; blank lines before the block are not part of it.
    check(b"\n\n: c\ndata: x\n\n\r\n\rid: 1\ndata: y\n\n", [ev("x", 2), ev("y", 18, id="1")])


def test_long_value_and_many_lines() -> None:
    value = "x" * 20_000
    check(f"data: {value}\n\n".encode(), [ev(value, 0)])
    many = b"".join(b"data: %d\n" % i for i in range(500)) + b"\n"
    check(many, [ev("\n".join(str(i) for i in range(500)), 0)])


# -- the WHATWG spec's own examples ----------------------------------------------------------------


def test_spec_intro_example_three_messages() -> None:
    # 9.2.1: the second message has two lines.
    data = (
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\n"
        b"data: has two lines.\n\n"
        b"data: This is the third message.\n\n"
    )
    check(
        data,
        [
            ev("This is the first message.", 0),
            ev("This is the second message, it\nhas two lines.", 34),
            ev("This is the third message.", 93),
        ],
    )


def test_spec_intro_example_event_types() -> None:
    # 9.2.1: a stream with two event types, "add" and "remove".
    data = (
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    )
    check(
        data,
        [
            ev("73857293", 0, event="add"),
            ev("2153", 27, event="remove"),
            ev("113411", 53, event="add"),
        ],
    )


def test_spec_example_stock_ticker_data_lines() -> None:
    # 9.2.6: "data: YHOO / data: +2 / data: 10", once followed by a blank line, dispatches one
    # message event whose data is "YHOO\n+2\n10".
    check(b"data: YHOO\ndata: +2\ndata: 10\n\n", [ev("YHOO\n+2\n10", 0)])


def test_spec_example_without_final_blank_line_is_not_dispatched() -> None:
    # 9.2.6: the same lines without the blank line dispatch nothing.
    data = b"data: YHOO\ndata: +2\ndata: 10\n"
    check(
        data,
        [],
        held_back=HeldBack(
            offset=0, size=len(data), line_cut=False, event=ServerSentEvent(data="YHOO\n+2\n10")
        ),
        held_event_offset=0,
    )


def test_spec_example_comment_id_blocks() -> None:
    # 9.2.6: four blocks. The comment-only block fires nothing; "first event" sets the last event
    # ID to "1"; "second event" has an id field without value, which resets it to ""; the last
    # block fires " third event" with one leading space kept (only one space is removed).
    data = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    d = check(
        data,
        [
            ev("first event", 15, id="1"),
            ev("second event", 40, id=""),
            ev(" third event", 62, id=""),
        ],
    )
    assert d.last_event_id == ""


def test_spec_example_data_with_and_without_colon() -> None:
    # 9.2.6: "data" / blank / "data" "data" / blank / "data:" (no blank line). The first block
    # fires data "", the middle block "\n"; the last is discarded (no blank line follows).
    data = b"data\n\ndata\ndata\n\ndata:"
    check(
        data,
        [ev("", 0), ev("\n", 6)],
        held_back=HeldBack(offset=17, size=5, line_cut=True, event=None),
    )
    # the last block "would" fire "" had it been followed by a blank line
    check(data + b"\n\n", [ev("", 0), ev("\n", 6), ev("", 17)])


def test_spec_example_space_after_colon_is_optional() -> None:
    # 9.2.6: "data:test" and "data: test" fire two identical events.
    d = check(b"data:test\n\ndata: test\n\n", [ev("test", 0), ev("test", 11)])
    assert d.events_dispatched == 2


# -- end of input ----------------------------------------------------------------------------------


def test_unterminated_final_event_is_held_back_with_its_event() -> None:
    data = b"data: a\n\nevent: e\nid: 4\ndata: b\n"
    check(
        data,
        [ev("a", 0)],
        held_back=HeldBack(
            offset=9,
            size=len(data) - 9,
            line_cut=False,
            event=ServerSentEvent(event="e", data="b", id="4"),
        ),
        held_event_offset=9,
    )


def test_final_line_cut_is_held_back_without_event() -> None:
    data = b'data: a\n\ndata: b\ndata: {"par'
    check(
        data,
        [ev("a", 0)],
        held_back=HeldBack(offset=9, size=len(data) - 9, line_cut=True, event=None),
    )


def test_final_line_ending_in_cr_is_complete() -> None:
    data = b"data: a\r"
    check(
        data,
        [],
        held_back=HeldBack(offset=0, size=8, line_cut=False, event=ServerSentEvent(data="a")),
        held_event_offset=0,
    )


def test_held_back_block_without_data_has_no_event() -> None:
    check(b"id: 7\n", [], held_back=HeldBack(offset=0, size=6, line_cut=False, event=None))
    check(
        b"data: a\n\n: bye\n",
        [ev("a", 0)],
        held_back=HeldBack(offset=9, size=6, line_cut=False, event=None),
    )


def test_input_ending_between_events_holds_nothing_back() -> None:
    check(b"data: a\n\n", [ev("a", 0)], held_back=None)
    check(b"data: a\r\n\r\n\n\n", [ev("a", 0)], held_back=None)


# -- max_event_bytes -----------------------------------------------------------------------------
# The size of a pending event is the bytes of its lines so far, line endings not counted (so
# that the same bytes break the limit however they are split).


def test_oversized_event_raises_and_the_same_read_keeps_its_other_events() -> None:
    big = b"data: " + b"x" * 30 + b"\n\n"  # one line of 36 bytes
    data = b"data: a\n\n" + big + b"data: b\n\n"
    d = SSEDecoder(max_event_bytes=16)
    with pytest.raises(SSEError) as info:
        d.feed(data)
    exc = info.value
    assert (
        str(exc)
        == "event exceeds max_event_bytes (16): it reached 36 bytes and was skipped (byte 9)"
    )
    assert exc.reason == "event exceeds max_event_bytes (16): it reached 36 bytes and was skipped"
    assert (exc.limit, exc.size, exc.byte_offset) == (16, 36, 9)
    assert [row(e) for e in exc.events] == [ev("a", 0), ev("b", 47)]
    assert isinstance(exc, ValueError)
    assert isinstance(exc, ChunkstreamError)
    # the decoder goes on with the next event
    assert [row(e) for e in d.feed(b"data: c\n\n")] == [ev("c", 56)]
    assert d.close() == []
    assert d.held_back is None
    assert d.events_dispatched == 3


def test_sse_error_pickles_with_its_events() -> None:
    d = SSEDecoder(max_event_bytes=8)
    with pytest.raises(SSEError) as info:
        d.feed(b"data: a\n\ndata: 123456\n\n")
    exc = pickle.loads(pickle.dumps(info.value))
    assert (
        str(exc)
        == "event exceeds max_event_bytes (8): it reached 12 bytes and was skipped (byte 9)"
    )
    assert (exc.limit, exc.size, exc.byte_offset) == (8, 12, 9)
    assert [row(e) for e in exc.events] == [ev("a", 0)]


def test_limit_is_inclusive() -> None:
    # "data: 1234" is 10 bytes: a limit of 10 holds it, 9 does not, however the bytes are cut.
    check(b"data: 1234\n\n", [ev("1234", 0)], max_event_bytes=10)
    for reads in splits(b"data: 1234\n\ndata: ok\n\n"):
        result = run(reads, max_event_bytes=9)
        assert result.rows == [ev("ok", 12)]
        assert len(result.errors) == 1
        assert result.errors[0].byte_offset == 0


def test_limit_does_not_depend_on_how_the_bytes_were_split() -> None:
    # Regression: a partial line was counted with its "data: " prefix, a complete one without,
    # so "data: 123456789" (value 9 bytes) broke a limit of 10 when fed byte by byte and not
    # when fed whole.
    data = b"data: 123456789\n\n"
    for limit, expected in ((15, [ev("123456789", 0)]), (14, [])):
        outcomes = set()
        for reads in splits(data):
            result = run(reads, max_event_bytes=limit)
            assert result.rows == expected, reads
            outcomes.add(len(result.errors))
        assert outcomes == {1 if not expected else 0}


def test_oversized_single_line_fed_in_tiny_reads() -> None:
    data = b"data: " + b"x" * 1000 + b"\n\ndata: ok\n\n"
    reads = [data[i : i + 7] for i in range(0, len(data), 7)]
    result = run(reads, max_event_bytes=100)
    assert len(result.errors) == 1
    # the limit is checked at the end of each read: after 15 reads the partial line has 105 bytes
    assert str(result.errors[0]) == (
        "event exceeds max_event_bytes (100): it reached 105 bytes and was skipped (byte 0)"
    )
    assert result.errors[0].events == []
    assert result.rows == [ev("ok", 1008)]
    assert result.decoder.held_back is None


def test_oversized_line_does_not_keep_its_bytes() -> None:
    # After the limit breaks, the rest of the line is counted but not stored.
    d = SSEDecoder(max_event_bytes=100)
    with pytest.raises(SSEError):
        d.feed(b"data: " + b"x" * 200)
    for _ in range(1000):
        assert d.feed(b"x" * 1000) == []
    assert sum(len(p) for p in d._parts) == 0
    assert [row(e) for e in d.feed(b"\n\ndata: ok\n\n")] == [ev("ok", 1_000_208)]


def test_oversized_event_made_of_many_data_lines() -> None:
    lines = b"".join(b"data: %04d\n" % i for i in range(20))  # 20 lines of 10 bytes
    data = lines + b"\n" + b"data: next\n\n"
    d = SSEDecoder(max_event_bytes=50)
    with pytest.raises(SSEError) as info:
        d.feed(data)
    assert str(info.value) == (
        "event exceeds max_event_bytes (50): it reached 60 bytes and was skipped (byte 0)"
    )
    assert [row(e) for e in info.value.events] == [ev("next", 221)]
    for reads in splits(data):
        assert run(reads, max_event_bytes=50).rows == [ev("next", 221)]


def test_two_oversized_events_in_one_read_are_both_reported() -> None:
    data = b"data: 0123456789\n\ndata: ok\n\ndata: abcdefghij\n\n"
    d = SSEDecoder(max_event_bytes=12)
    with pytest.raises(SSEError) as info:
        d.feed(data)
    assert str(info.value) == (
        "event exceeds max_event_bytes (12): it reached 16 bytes and was skipped; "
        "1 more oversized event(s) in the same read were skipped too (byte 0)"
    )
    assert [row(e) for e in info.value.events] == [ev("ok", 18)]


def test_fields_of_an_oversized_event_after_the_limit_broke_are_not_applied() -> None:
    # id 1 comes before the line that breaks the limit, id 2 after it: the block is skipped from
    # the breaking line on, wherever the reads were cut.
    data = b"id: 1\ndata: " + b"x" * 50 + b"\nid: 2\nevent: e\n\ndata: ok\n\n"
    for reads in splits(data):
        result = run(reads, max_event_bytes=40)
        assert result.rows == [ev("ok", 79, id="1")]
        assert result.decoder.last_event_id == "1"


def test_oversized_event_held_back_at_end_of_input_has_no_event() -> None:
    data = b"data: ok\n\ndata: " + b"y" * 40 + b"\n"
    for reads in splits(data):
        result = run(reads, max_event_bytes=20)
        assert result.rows == [ev("ok", 0)]
        assert result.decoder.held_back == HeldBack(offset=10, size=47, line_cut=False, event=None)


def test_no_limit_with_none() -> None:
    d = SSEDecoder(max_event_bytes=None)
    value = b"z" * (2 * 1024 * 1024)
    assert [e.data for e in d.feed(b"data: " + value + b"\n\n")] == [value.decode()]


def test_default_limit_is_32_mib() -> None:
    assert DEFAULT_MAX_EVENT_BYTES == 32 * 1024 * 1024
    assert SSEDecoder().max_event_bytes == DEFAULT_MAX_EVENT_BYTES


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (-1, "-1"), (True, "True"), (1.5, "1.5"), ("10", "'10'")],
)
def test_bad_max_event_bytes_raises_value_error(value: object, shown: str) -> None:
    with pytest.raises(ValueError) as info:
        SSEDecoder(max_event_bytes=value)  # type: ignore[arg-type]
    assert str(info.value) == f"max_event_bytes must be a positive int or None, got {shown}"


# -- iter_events -----------------------------------------------------------------------------------


def test_iter_events_over_an_iterable_of_reads() -> None:
    reads = [b"\xef\xbb", b"\xbfdata: a\r", b"\n\r\nid: 9\nda", b"ta: b\n\n", b"data: c\n"]
    got = list(iter_events(reads))
    assert [row(e) for e in got] == [ev("a", 3), ev("b", 14, id="9")]


def test_iter_events_is_lazy() -> None:
    fed: list[bytes] = []

    def reads() -> Iterator[bytes]:
        for read in (b"data: a\n\n", b"data: b\n\n", b"data: c\n\n"):
            fed.append(read)
            yield read

    it = iter_events(reads())
    assert next(it).data == "a"
    assert len(fed) == 1
    assert [e.data for e in it] == ["b", "c"]


def test_iter_events_passes_max_event_bytes() -> None:
    with pytest.raises(SSEError) as info:
        list(iter_events([b"data: ok\n\n", b"data: 123456789\n\n"], max_event_bytes=10))
    assert str(info.value) == (
        "event exceeds max_event_bytes (10): it reached 15 bytes and was skipped (byte 10)"
    )
    (event,) = iter_events([b"data: " + b"q" * 100 + b"\n\n"], max_event_bytes=None)
    assert event.data == "q" * 100


# -- layering --------------------------------------------------------------------------------------


def test_sse_module_imports_only_the_standard_library_and_errors() -> None:
    tree = ast.parse(SSE_SOURCE.read_text(encoding="utf-8"))
    relative, absolute = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative.add(node.module)
            else:
                absolute.add((node.module or "").split(".")[0])
    assert relative == {"_errors"}
    assert absolute <= set(sys.stdlib_module_names), absolute - set(sys.stdlib_module_names)
    assert "json" not in absolute  # the SSE layer knows nothing of JSON


# -- a reference parser written from the spec text ------------------------------------------------

_TEXT_EOL = re.compile("\r\n|\r|\n")
_BYTES_EOL = re.compile(b"\r\n|\r|\n")
_KNOWN = ("data", "event", "id", "retry")


def meant_as_field(name: str, value: str) -> bool:
    """chunkstream's documented rule for an ignored line it reports: the name with terminal
    escape sequences (CSI, OSC) removed, reduced to its ASCII letters and lowercased, is a field
    name or "error", unless it holds a '"'; or that name, past whitespace, control and
    non-ASCII characters, starts with "data" then a space, tab, "{" or "["; or the value, past
    those characters, starts with "data:"; or the line's first 4096 bytes hold "data:", at
    most one space, then "{" or "["."""
    plain = re.sub(
        "\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|[@-_])?", "", name
    )
    letters = "".join(c for c in plain if "a" <= c.lower() <= "z" and c.isascii()).lower()
    if '"' not in name and letters in (*_KNOWN, "error"):
        return True

    def past_junk(text: str) -> str:
        i = 0
        while i < len(text) and (text[i] <= " " or text[i] >= "\x7f"):
            i += 1
        return text[i:]

    if past_junk(plain)[:5] in ("data ", "data\t", "data{", "data["):
        return True
    if past_junk(value).startswith("data:"):
        return True
    line = (name + ":" + value).encode("utf-8", "surrogateescape")[:4096]
    return re.search(rb"data: ?[{\[]", line) is not None


@dataclass
class Reference:
    rows: list[Row]
    dispatch_at: list[int]  # byte position of each event's dispatching blank line
    held_back: HeldBack | None
    held_event_offset: int | None
    last_event_id: str | None
    retry: int | None
    ignored_lines: list[tuple[int, str]]


def reference(stream: bytes, limit: int | None = None) -> Reference:
    """WHATWG HTML 9.2.5/9.2.6 read literally: decode the whole stream as UTF-8 (the decode
    algorithm drops one leading BOM), split it into lines at CRLF, LF or CR, and process each
    line. Byte offsets come from splitting the raw bytes the same way (CR and LF are never part
    of a multi-byte sequence, so the two splits line up).

    Beyond the spec, as documented by chunkstream: each event carries the last event ID at its
    dispatch, the retry of its own block and the offset of its block's first line; a retry that
    does not fit in 64 bits is ignored; a block whose lines (endings not counted) exceed `limit`
    bytes is skipped from the line that crossed it.
    """
    start = 3 if stream.startswith(BOM) else 0
    body = stream[start:]
    lines = _TEXT_EOL.split(body.decode("utf-8", "replace"))
    raw_lines = _BYTES_EOL.split(body)
    offsets = [start] + [start + m.end() for m in _BYTES_EOL.finditer(body)]
    assert len(lines) == len(raw_lines) == len(offsets)

    rows: list[Row] = []
    dispatch_at: list[int] = []
    ignored: list[tuple[int, str]] = []
    data_buffer = ""
    event_type = ""
    last_event_id: str | None = None
    retry: int | None = None
    block_retry: int | None = None
    block_start: int | None = None
    block_size = 0
    skipping = False

    for line, raw, offset in zip(lines[:-1], raw_lines[:-1], offsets[:-1], strict=True):
        if line == "":
            # Dispatch the event.
            if data_buffer and not skipping:
                data = data_buffer[:-1] if data_buffer.endswith("\n") else data_buffer
                rows.append(
                    (event_type or "message", data, last_event_id, block_retry, block_start)
                )
                dispatch_at.append(offset)
            data_buffer = event_type = ""
            block_retry = block_start = None
            block_size = 0
            skipping = False
            continue
        if block_start is None:
            block_start = offset
        if skipping:
            continue
        block_size += len(raw)
        if limit is not None and block_size > limit:
            skipping = True
            data_buffer = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_event_id = value
        elif name == "retry":
            if value and all(c in "0123456789" for c in value):
                significant = value.lstrip("0")
                if len(significant) <= 20 and int(significant or "0") < 2**64:
                    retry = block_retry = int(significant or "0")
        elif meant_as_field(name, value) and len(ignored) < 100:
            ignored.append((offset, name))

    tail, tail_offset = lines[-1], offsets[-1]
    line_cut = tail != ""
    if line_cut and block_start is None:
        block_start = tail_offset
    held = None
    held_event_offset = None
    if block_start is not None:
        event = None
        if not line_cut and data_buffer and not skipping:
            event = ServerSentEvent(
                event_type or "message", data_buffer[:-1], last_event_id, block_retry
            )
            held_event_offset = block_start
        held = HeldBack(
            offset=block_start, size=len(stream) - block_start, line_cut=line_cut, event=event
        )
    return Reference(rows, dispatch_at, held, held_event_offset, last_event_id, retry, ignored)


def test_reference_parser_agrees_with_the_spec_examples() -> None:
    # The reference itself, held to the spec's examples, before it judges the decoder.
    ref = reference(
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    assert ref.rows == [
        ev("first event", 15, id="1"),
        ev("second event", 40, id=""),
        ev(" third event", 62, id=""),
    ]
    ref = reference(b"data\n\ndata\ndata\n\ndata:")
    assert ref.rows == [ev("", 0), ev("\n", 6)]
    assert ref.held_back == HeldBack(offset=17, size=5, line_cut=True, event=None)
    assert reference(BOM + b"data: a\n\n").rows == [ev("a", 3)]
    assert reference(b"data: a\n\r\ndata: b\n\n").rows == [ev("a", 0), ev("b", 10)]


# -- property: any split of any stream gives the reference's result ------------------------------

_CHARS = st.one_of(
    st.sampled_from(
        [*"ab :0919\t\x00\x0b\x0c\x1c\x85\u2028\ufeff\u00e9\u20ac\u0661", "\U0001f600"]
    ),
    st.characters(blacklist_categories=("Cs",)),
)
_VALUES = st.text(_CHARS, max_size=6)
_NAMES = st.sampled_from(
    [
        "data",
        "data",
        "data",
        "event",
        "id",
        "retry",
        "",
        " data",
        "data ",
        "Data",
        "x",
        "\ufeffdata",
        "id\x00",
    ]
)


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(
            ["data", "data", "data", "field", "field", "bare", "comment", "blank", "retry", "raw"]
        )
    )
    if kind == "data":
        return f"data:{draw(st.sampled_from(['', ' ', '  ']))}{draw(_VALUES)}".encode()
    if kind == "field":
        name, value = draw(_NAMES), draw(_VALUES)
        return f"{name}:{draw(st.sampled_from(['', ' ', '  ']))}{value}".encode()
    if kind == "bare":
        return draw(_NAMES).encode()
    if kind == "comment":
        return f":{draw(_VALUES)}".encode()
    if kind == "retry":
        return (
            b"retry:"
            + draw(st.sampled_from([b"", b" "]))
            + draw(st.from_regex(rb"\A[0-9]{0,22}\Z"))
        )
    if kind == "raw":
        return draw(st.binary(max_size=6))  # invalid UTF-8, stray CR/LF, BOM pieces
    return b""


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from([b"", b"", BOM, BOM + BOM, b"\xef\xbb", b"\xef"]))
    eol = st.sampled_from([b"\n", b"\r", b"\r\n"])
    parts = [prefix]
    # Mostly blocks ended by a blank line (so that events are dispatched), with stray lines
    # of any kind (blank lines and raw bytes included) inside them.
    for block in draw(st.lists(st.lists(_lines(), min_size=1, max_size=4), max_size=8)):
        for line in block:
            parts.append(line + draw(eol))
        if draw(st.integers(0, 4)):
            parts.append(draw(eol))
    parts.append(draw(st.sampled_from([b"", b"", b"data: cut", b"id: 1", b"\xef\xbb"])))
    return b"".join(parts)


@st.composite
def cut_into_reads(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def assert_matches_reference(stream: bytes, reads: list[bytes], limit: int | None) -> None:
    ref = reference(stream, limit)
    result = run(reads, max_event_bytes=limit)
    d = result.decoder
    assert result.rows == ref.rows
    assert d.held_back == ref.held_back
    if ref.held_back is not None and ref.held_back.event is not None:
        assert d.held_back is not None and d.held_back.event is not None
        assert d.held_back.event.offset == ref.held_event_offset
    assert d.last_event_id == ref.last_event_id
    assert d.retry == ref.retry
    assert d.events_dispatched == len(ref.rows)
    assert d.ignored_lines == ref.ignored_lines
    # each read returned exactly the events whose dispatching blank line starts inside it
    position = 0
    for read, got in zip(reads, result.per_read, strict=True):
        expected = [
            r
            for r, at in zip(ref.rows, ref.dispatch_at, strict=True)
            if position <= at < position + len(read)
        ]
        assert got == expected
        position += len(read)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_split_of_a_generated_stream_matches_the_reference(data: st.DataObject) -> None:
    stream = data.draw(streams())
    reads = data.draw(cut_into_reads(stream))
    if data.draw(st.booleans()):
        reads = [part for read in reads for part in (read, b"")]
    assert_matches_reference(stream, reads, None)
    assert_matches_reference(stream, [stream], None)
    assert_matches_reference(stream, [stream[i : i + 1] for i in range(len(stream))], None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_split_with_a_small_limit_matches_the_reference(data: st.DataObject) -> None:
    stream = data.draw(streams())
    limit = data.draw(st.integers(1, 40))
    reads = data.draw(cut_into_reads(stream))
    assert_matches_reference(stream, reads, limit)
    assert_matches_reference(stream, [stream], limit)
    assert_matches_reference(stream, [stream[i : i + 1] for i in range(len(stream))], limit)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80), st.data())
def test_arbitrary_bytes_never_raise_and_match_the_reference(
    stream: bytes, data: st.DataObject
) -> None:
    reads = data.draw(cut_into_reads(stream))
    assert_matches_reference(stream, reads, None)


# -- linear time -----------------------------------------------------------------------------------


def _time(fn: object, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def _one_long_line(size: int) -> None:
    d = SSEDecoder()  # the default limit (32 MiB) is checked at the end of every read
    read = b"x" * 64
    d.feed(b"data: ")
    feed = d.feed
    for _ in range(size // 64):
        feed(read)
    (event,) = d.feed(b"\n\n")
    assert len(event.data) == size


def _many_events(count: int) -> None:
    data = b'data: {"n": 1}\n\n' * count
    d = SSEDecoder()
    got = 0
    for i in range(0, len(data), 1000):
        got += len(d.feed(data[i : i + 1000]))
    assert got == count


def test_one_long_line_in_64_byte_reads_is_linear() -> None:
    small = _time(lambda: _one_long_line(800 * 1024), repeat=3)
    big = _time(lambda: _one_long_line(8 * 1024 * 1024))
    # 10x the input; quadratic work would cost ~100x. Allow 30x for noise.
    assert big < 30 * max(small, 0.01), (small, big)


def test_many_small_events_are_linear() -> None:
    small = _time(lambda: _many_events(10_000), repeat=3)
    big = _time(lambda: _many_events(100_000))
    assert big < 30 * max(small, 0.01), (small, big)


# ---------------------------------------------------------------------------------------------
# Internals that had public names in 0.1.0: deprecated for one version (removed in 0.3.0).

DEPRECATED = "SSEDecoder.{} is internal and deprecated since chunkstream 0.2.0 (removed in 0.3.0): "
TWO_BLOCKS = b"event: e\nid: 7\nretry: 5\ndata: a\ndata: b\n\n"


def test_feed_raw_is_deprecated_and_returns_what_the_internal_returns() -> None:
    body = TWO_BLOCKS + b"data: c\n\n"
    with pytest.warns(DeprecationWarning) as record:
        got = SSEDecoder().feed_raw(body)
    assert got == SSEDecoder()._feed_raw(body)
    assert got == [("e", "a\nb", "7", 5, 0), ("message", "c", "7", None, len(TWO_BLOCKS))]
    assert [w.category for w in record] == [DeprecationWarning]
    assert str(record[0].message) == DEPRECATED.format("feed_raw()") + (
        "use feed(), which returns ServerSentEvent objects"
    )
    assert record[0].filename == __file__  # the warning points at the caller's line


def test_close_raw_is_deprecated_and_returns_what_the_internal_returns() -> None:
    old, new = SSEDecoder(), SSEDecoder()
    old.feed(b"data: a\n\ndata: cut")
    new.feed(b"data: a\n\ndata: cut")
    with pytest.warns(DeprecationWarning) as record:
        held = old.close_raw()
    assert held == new._close_raw() == HeldBack(offset=9, size=9, line_cut=True, event=None)
    assert [w.category for w in record] == [DeprecationWarning]
    assert str(record[0].message) == DEPRECATED.format("close_raw()") + (
        "use close(), then read held_back"
    )


def test_pending_and_notes_are_deprecated() -> None:
    d = SSEDecoder()
    d.feed(b"data: [DONE]\n")
    with pytest.warns(DeprecationWarning) as record:
        assert d.pending(100) == d._pending(100) == ("message", "[DONE]", 0)
        assert d.notes is None
        d.notes = []
    assert d._notes == []
    no_replacement = "it is the stream layer's internal, with no replacement"
    assert [str(w.message) for w in record] == [
        DEPRECATED.format("pending()") + no_replacement,
        DEPRECATED.format("notes") + no_replacement,
        DEPRECATED.format("notes") + no_replacement,
    ]
    assert {w.category for w in record} == {DeprecationWarning}


def test_the_library_itself_uses_no_deprecated_member() -> None:
    import warnings

    import chunkstream

    body = (
        Path(__file__).resolve().parent.parent / "fixtures" / "openai-text-usage.sse"
    ).read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert chunkstream.assemble(body).choices
        assert list(chunkstream.iter_chunks(body, strict=False))
        assert list(iter_events([body]))
