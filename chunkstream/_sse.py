# SPDX-License-Identifier: MIT
"""The SSE layer: bytes in, Server-Sent Events out, exactly as WHATWG HTML section 9.2.6
("Interpreting an event stream") says. Sans-IO and incremental: any split of the input gives the
same events. Knows nothing of JSON or of chat completions; imports only ``_errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._errors import SSEError, deprecated

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "HeldBack", "SSEDecoder", "ServerSentEvent", "iter_events"]

#: Default bound on the memory one pending event may take. Chat chunks are a few hundred bytes;
#: the largest real payloads are base64 images or audio carried in one delta (a few MB). 32 MiB
#: is far above those and still bounds what a hostile or corrupt stream can make us hold.
DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
# Lines that the spec ignores but that were almost certainly meant as a field: " data: {...}"
# (a real provider's body starts like this), "\ufeffdata: {...}" (captures joined end to end),
# "\x1b[0mdata: {...}" (a terminal log). Recorded so the layers above can say so; see _unknown.
_FIELD_NAMES = (b"data", b"event", b"id", b"retry")
_MAX_IGNORED_RECORDED = 100
_NOT_LETTERS = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))
# Bytes skipped before a value that may hold data: ASCII whitespace and controls, DEL, and every
# byte of a non-ASCII character (BOM, NBSP, zero-width space, ...).
_JUNK = bytes(range(33)) + bytes(range(127, 256))
_NOTES_PER_BLOCK = 10  # notes kept for one block; past it they are counted (one "more" note)
_QUOTED = 200  # bytes of a line kept to quote it in a note
# Big reads are taken in windows of about this size, cut after a blank line where there is one:
# the temporary lists that split a read into blocks or lines then stay small whatever the read
# (30 MB of CRs is 30 million lines).
_WINDOW = 16 * 1024
# The spec leaves the range of the reconnection time to the implementation; like Chromium, a
# retry value that does not fit in an unsigned 64-bit integer is ignored. (This also keeps int()
# away from huge digit strings, which CPython refuses past 4300 digits with a ValueError.)
_MAX_RETRY = 2**64 - 1


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    ``event`` is the event type (``"message"`` unless an ``event:`` field set it); ``data`` the
    data lines joined with ``"\\n"``; ``id`` the last event ID at dispatch time (``None`` while no
    ``id:`` field has been seen in the stream; it persists across events as the spec says);
    ``retry`` the reconnection time from a valid ``retry:`` field in this event's block, else
    ``None``; ``offset`` the 0-based byte offset of the block's first non-blank line in the raw
    stream (not part of equality).
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None
    offset: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldBack:
    """What an :class:`SSEDecoder` held back when its input ended inside an event block.

    ``offset``/``size``: where the unfinished block starts and how many bytes it has.
    ``line_cut``: its last line has no line ending (the input was cut mid-line).
    ``event``: when every line is complete (only the blank line that dispatches is missing), the
    event that blank line would have dispatched, if any; ``None`` when the last line was cut.
    The spec says an unfinished event is discarded; this record lets the layers above decide.
    """

    offset: int
    size: int
    line_cut: bool
    event: ServerSentEvent | None


# What the decoder produces internally: (event type, data, last event id, retry, offset).
RawEvent = tuple[str, str, "str | None", "int | None", int]
# What the decoder noticed beyond the events, for the layers above: (block offset, offset, kind,
# text: the field name or the line's start, cut short). kind: "data" (an ignored line meant as
# data: its data is lost), "value" (an ignored line whose value looks like data), "field" (an
# ignored line meant as event, id or retry), "error" (an "error:" line), "utf8" (invalid UTF-8
# replaced in an event; the text names the part), "more" (the text: how many more notes that
# block had, not kept); then how many data lines the block had before the noted line (the
# stream layer ends a stream at a [DONE] line: what comes after it in its block is not read).
# A block's notes come out when the block ends, so they follow its event.
Note = tuple[int, int, str, str, int]


# Escape sequences a terminal log may hold before a field name: CSI (ESC [ ... final byte), OSC
# (ESC ] ... ended by BEL or ESC \: window titles, hyperlinks) and ESC + one byte.
_ESCAPE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_]?)")
# A data line under a prefix (a timestamp, a logger's columns): "data:" then "{" or "[".
_DATA_INSIDE = re.compile(rb"data: ?[{\[]")
# A data line that lost its colon: "data" then a space, a tab, "{" or "[".
_DATA_NO_COLON = (b"data ", b"data\t", b"data{", b"data[")


def _unescaped(name: bytes) -> bytes:
    """A field name with terminal escape sequences removed (see _ESCAPE)."""
    return _ESCAPE.sub(b"", name) if 27 in name else name


class SSEDecoder:
    """Incremental, sans-IO Server-Sent Events decoder.

    ``feed(read)`` returns the events that read completed; ``close()`` ends the input. Lines end
    in CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next are one
    line ending); nothing else ends a line. Text is UTF-8 with replacement; one leading BOM is
    stripped. ``max_event_bytes`` bounds the bytes one pending event may hold (``None`` for no
    bound), counted as the bytes of its lines so far, line endings not counted (so the same bytes
    break the limit however they are split); breaking it raises :class:`SSEError` at the end of
    that ``feed()``, carrying the other events of the read, and the oversized event is skipped
    from the line that broke the limit up to its blank line.

    After ``close()``: ``held_back`` describes an unfinished final block (``None`` if the input
    ended between events). At any time: ``last_event_id``, ``retry`` (the last valid reconnection
    time), ``events_dispatched`` and ``ignored_lines`` (up to 100 ``(offset, field name)`` pairs for
    lines the spec ignores that look meant as a field, such as ``" data: {...}"``; the rule is in
    :meth:`_unknown`).

    The stream layer drives it through underscored members (``_read``, ``_close_raw``,
    ``_pending``, ``_notes``): they are not part of the public API. ``_notes`` is ``None``; the
    stream layer sets it to a list, and the decoder then appends what it noticed beyond the
    events (ignored lines as above, ``error:`` lines, invalid UTF-8 replaced), each once its
    block ended, for the stream layer to take after each read.
    """

    def __init__(self, max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes is not None and (
            isinstance(max_event_bytes, bool)
            or not isinstance(max_event_bytes, int)
            or max_event_bytes < 1
        ):
            raise ValueError(
                f"max_event_bytes must be a positive int or None, got {max_event_bytes!r}"
            )
        self.max_event_bytes = max_event_bytes
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self.events_dispatched = 0
        self.ignored_lines: list[tuple[int, str]] = []
        self._notes: list[Note] | None = None
        self._block_notes: list[Note] = []
        self._block_more = 0  # notes of this block past _NOTES_PER_BLOCK
        self._block_more_data = 0  # data lines the block had before the last of those
        self._damaged = False  # this block's event already has a "utf8" note
        self.held_back: HeldBack | None = None
        self._closed = False
        self._pos = 0  # absolute offset of the first byte not yet consumed
        self._head = b""  # the first bytes of the stream while they may still be a split BOM
        self._bom_checked = False
        self._cr = False  # the last read ended in CR: an LF opening the next read is its CRLF
        # A partial line is kept as fragments joined once when its line ending arrives (an 8 MiB
        # line fed in 64-byte reads costs one join, not 131072 copies). Small fragments are
        # gathered in a bytearray as they come: a bytes object per 1-byte read would cost 34
        # bytes of header and an 8-byte list slot for each byte held.
        self._partial = False  # a line without its line ending yet is held
        self._parts: list[bytes | bytearray] = []
        self._parts_len = 0
        self._parts_start = 0
        # The block (event) being collected.
        # The block's data lines, joined with "\n" at dispatch. Short lines are gathered in a
        # bytearray ("\n" put between them here): a bytes object and a list slot per line
        # would cost about 40 bytes more for each (a million "data: x" lines: 10x their size).
        self._data: list[bytes | bytearray] = []
        self._data_lines = 0  # how many data lines (short ones are joined in _data)
        self._block_len = 0  # bytes of the block's complete lines, line endings not counted
        self._type: bytes | None = None
        self._block_retry: int | None = None
        self._block_start: int | None = None
        self._skipping = False  # the block broke max_event_bytes: drop it up to its blank line
        self._oversized: list[tuple[int, int]] = []  # (offset, size) broken during this read

    # -- public API --------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode one read; return the events it completed (possibly none)."""
        return [ServerSentEvent(t, d, i, r, o) for t, d, i, r, o in self._feed_raw(data)]

    def close(self) -> list[ServerSentEvent]:
        """End the input. Per the spec an unfinished final event is not dispatched, so this
        returns ``[]``; see ``held_back`` for what it held back."""
        self._close_raw()
        return []

    # -- internals that had public names in 0.1.0 (deprecated; removed in 0.3.0) --------------

    def feed_raw(self, data: bytes | bytearray | memoryview) -> list[RawEvent]:
        """Deprecated: the stream layer's internal. Use :meth:`feed`."""
        _deprecated("feed_raw()", "use feed(), which returns ServerSentEvent objects")
        return self._feed_raw(data)

    def close_raw(self) -> HeldBack | None:
        """Deprecated: the stream layer's internal. Use :meth:`close` and ``held_back``."""
        _deprecated("close_raw()", "use close(), then read held_back")
        return self._close_raw()

    def pending(self, max_bytes: int) -> tuple[str, str, int] | None:
        """Deprecated: the stream layer's internal, with no public replacement."""
        _deprecated("pending()", "it is the stream layer's internal, with no replacement")
        return self._pending(max_bytes)

    @property
    def notes(self) -> list[Note] | None:
        """Deprecated: the stream layer's internal, with no public replacement."""
        _deprecated("notes", "it is the stream layer's internal, with no replacement")
        return self._notes

    @notes.setter
    def notes(self, value: list[Note] | None) -> None:
        _deprecated("notes", "it is the stream layer's internal, with no replacement")
        self._notes = value

    # -- the work ------------------------------------------------------------------------------

    def _feed_raw(self, data: bytes | bytearray | memoryview) -> list[RawEvent]:
        """Like :meth:`feed`, returning ``(event, data, id, retry, offset)`` tuples (the stream
        layer's fast path)."""
        if self._closed:
            raise RuntimeError("SSEDecoder.feed() called after close(); use a new decoder")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            # bytes(5) would be five NUL bytes, bytes("...") a confusing TypeError: say it here.
            hint = "; encode text first: text.encode('utf-8')" if isinstance(data, str) else ""
            raise TypeError(f"SSEDecoder.feed() takes bytes, got {type(data).__name__}{hint}")
        return self._read(data)

    def _read(self, data: bytes | bytearray | memoryview) -> list[RawEvent]:
        """:meth:`_feed_raw` without its checks: the stream layer's call (it hands over bytes,
        or a window of them, and never feeds a closed decoder)."""
        if not data:
            return []
        out: list[RawEvent] = []
        if len(data) <= _WINDOW:
            self._feed(bytes(data), out)
        else:
            data = bytes(data)
            at, end = 0, len(data)
            while at < end:
                cut = data.rfind(b"\n\n", at, at + _WINDOW) + 2
                if cut <= at + 1:  # no blank line in this window
                    cut = at + _WINDOW
                self._feed(data[at:cut], out)
                at = cut
        if self._oversized:
            self._raise_oversized(out)
        return out

    def _feed(self, data: bytes, out: list[RawEvent]) -> None:
        """One read, or one window of a big read."""
        if not self._bom_checked:
            data = self._head + data
            if len(data) < 3 and _BOM.startswith(data):
                self._head = data  # may still be the start of a BOM split across reads
                return
            self._head = b""
            self._bom_checked = True
            if data.startswith(_BOM):  # "One leading U+FEFF BYTE ORDER MARK is ignored."
                data = data[3:]
                self._pos += 3
                if not data:
                    return
        if self._cr:
            self._cr = False
            if data[:1] == b"\n":  # the LF of a CRLF whose CR ended the previous read
                data = data[1:]
                self._pos += 1
                if not data:
                    return
        base = self._pos
        self._pos += len(data)
        if 13 in data:  # a CR (an int needle: see _blocks)
            self._lines(data, base, out)
        else:
            # LF-only input (what real servers send): finish the block in progress line by
            # line, then take whole blocks at once, split on the blank lines between them.
            at = 0
            if self._partial or self._block_start is not None:
                if not self._partial and data[:1] == b"\n":
                    at = 1  # a blank line right after the block's last complete line
                else:
                    at = data.find(b"\n\n") + 2
                    if at == 1:  # no blank line in this read: the block goes on
                        at = len(data)
                self._lines(data[:at] if at < len(data) else data, base, out)
            if at < len(data):
                self._blocks(data[at:] if at else data, base + at, out)

    def _blocks(self, data: bytes, base: int, out: list[RawEvent]) -> None:
        """LF-only bytes that start at a block boundary (no partial line, no block begun)."""
        blocks = data.split(b"\n\n")
        tail = blocks.pop()  # the start of the next block, if any
        limit = self.max_event_bytes or len(data)
        within = limit >= len(data)  # no block of this read can break the limit
        last_id = self.last_event_id
        append = out.append
        before = len(out)
        pos = base
        for block in blocks:
            # One "data: " line, the block of nearly every chat chunk: one event, no line loop.
            # (An int needle: `10 in block` is a plain memchr, where `b"\n" in block` first
            # sets up a buffer for the needle, about ten times the cost on a chunk's block;
            # likewise the slice compare costs less than a startswith() call.)
            if block[:6] == b"data: " and 10 not in block and (within or len(block) <= limit):
                # Strict decoding first: with valid UTF-8 it costs what "replace" costs, and
                # the exception says when bytes were replaced (the spec's rule) so that the
                # layers above can say so.
                try:
                    text = block[6:].decode()
                except UnicodeDecodeError:
                    text = block[6:].decode("utf-8", "replace")
                    if self._notes is not None:
                        self._notes.append((pos, pos, "utf8", "data", 0))
                append(("message", text, last_id, None, pos))
            else:
                # Any other block: its lines, then the blank line that ends it.
                self.events_dispatched += len(out) - before
                start = pos
                for line in block.split(b"\n"):
                    self._line(line, start, out)
                    start += len(line) + 1
                self._dispatch(out)
                last_id = self.last_event_id
                before = len(out)
            pos += len(block) + 2
        self.events_dispatched += len(out) - before
        if tail:
            lines = tail.split(b"\n")
            partial = lines.pop()
            for line in lines:
                self._line(line, pos, out)
                pos += len(line) + 1
            if partial:
                self._add_partial(partial, pos)

    def _lines(self, data: bytes, base: int, out: list[RawEvent]) -> None:
        """Any bytes, line by line (CR, LF and CRLF endings; a pending partial line)."""
        lines = data.splitlines(True)  # bytes.splitlines breaks on CR, LF and CRLF only
        last = lines[-1]
        partial = None
        if last[-1] == 13:
            self._cr = True  # a lone CR ends a line; remember it may be half of a CRLF
        elif last[-1] != 10:
            partial = lines.pop()
        pos = base
        if lines and self._partial:
            # The first complete line finishes the line held back from earlier reads.
            first = lines[0]
            if self._skipping:  # that line broke max_event_bytes; its bytes were not kept
                del lines[0]
                pos = base + len(first)
            else:
                self._parts.append(first)
                lines[0] = b"".join(self._parts)
                self._parts = []  # freed before the line is used
                pos = self._parts_start
            self._parts = []
            self._parts_len = 0
            self._partial = False
        for line in lines:
            start = pos
            pos += len(line)
            if line[-1] == 10:
                line = line[:-2] if line[-2:] == b"\r\n" else line[:-1]
            else:
                line = line[:-1]
            self._line(line, start, out)
        if partial is not None:
            self._add_partial(partial, base + len(data) - len(partial))

    def _line(self, line: bytes, start: int, out: list[RawEvent]) -> None:
        """One complete line, its line ending removed."""
        if not line:
            self._dispatch(out)
            return
        if self._block_start is None:
            self._block_start = start
        if self._skipping:
            return
        limit = self.max_event_bytes
        if limit is not None:
            # Counted before the line is used: the line that breaks the limit is skipped with
            # the rest of its block, whatever the read boundaries were.
            self._block_len += len(line)
            if self._block_len > limit:
                self._break_limit(self._block_len)
                return
        if line[:5] == b"data:":  # the common case first
            self._add_data(line[6:] if line[5:6] == b" " else line[5:])
        elif line[0] != 58:  # a line starting with ":" is a comment
            self._field(line, start)

    def _close_raw(self) -> HeldBack | None:
        """End the input; return (and keep in ``held_back``) what an unfinished block held."""
        if self._closed:
            return self.held_back
        if self._head:  # fewer than 3 bytes, all a BOM prefix: they are a partial line
            self._add_partial(self._head, self._pos)
            self._pos += len(self._head)
            self._head = b""
        self._closed = True
        if self._block_start is None:
            self.held_back = None
        else:
            event: ServerSentEvent | None = None
            if not self._partial and self._data and not self._skipping:
                event = ServerSentEvent(*self._make_event())
            self._publish()
            self.held_back = HeldBack(
                offset=self._block_start,
                size=self._pos - self._block_start,
                line_cut=self._partial,
                event=event,
            )
        self._parts = []
        self._data = []
        self._data_lines = 0  # how many data lines (short ones are joined in _data)
        return self.held_back

    # -- helpers -------------------------------------------------------------------------------

    def _add_partial(self, fragment: bytes, offset: int) -> None:
        if not self._partial:
            self._partial = True
            self._parts_start = offset
            if self._block_start is None:
                self._block_start = offset
        self._parts_len += len(fragment)
        if self._skipping:
            return  # counted (for held_back) but not kept
        parts = self._parts
        if len(fragment) >= 4096:
            parts.append(fragment)
        elif parts and type(parts[-1]) is bytearray:
            parts[-1] += fragment  # amortised: bytearray over-allocates as it grows
        else:
            parts.append(bytearray(fragment))
        limit = self.max_event_bytes
        if limit is not None and self._block_len + self._parts_len > limit:
            self._break_limit(self._block_len + self._parts_len)
            self._parts = []

    def _add_data(self, value: bytes) -> None:
        self._data_lines += 1
        data = self._data
        if not data:
            data.append(value)
        elif len(value) < 4096 and type(data[-1]) is bytearray:
            last = data[-1]
            last += b"\n"  # a bytearray grows in place, over-allocating: amortised
            last += value
        elif len(value) < 4096 and len(data[-1]) < 4096:
            data[-1] = bytearray(data[-1]) + b"\n" + value
        else:
            data.append(value)

    def _field(self, line: bytes, start: int) -> None:
        # "If the line contains a U+003A COLON character (:): collect the characters on the line
        # before the first colon as the field name, after it as the value; if the value starts
        # with a U+0020 SPACE character, remove it. Otherwise the whole line is the field name
        # and the value is the empty string."
        i = line.find(b":")
        if i < 0:
            name, value = line, b""
        else:
            name, value = line[:i], line[i + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._add_data(value)
        elif name == b"event":
            self._type = value
        elif name == b"id":
            # "If the field value does not contain U+0000 NULL, set the last event ID buffer."
            if b"\x00" not in value:
                try:
                    self.last_event_id = value.decode()
                except UnicodeDecodeError:
                    self.last_event_id = value.decode("utf-8", "replace")
                    self._replaced("id")
        elif name == b"retry":
            # "If the field value consists of only ASCII digits, interpret it as an integer in
            # base ten and set the reconnection time; otherwise ignore the field."
            if value and value.isdigit():  # bytes.isdigit() is ASCII-only
                significant = value.lstrip(b"0") or b"0"
                if len(significant) <= 20 and int(significant) <= _MAX_RETRY:
                    self.retry = self._block_retry = int(significant)
        else:
            self._unknown(name, value, line, start)

    def _unknown(self, name: bytes, value: bytes, line: bytes, start: int) -> None:
        """A field the spec ignores. Recorded (``ignored_lines``, and a note) when it looks
        meant as a field: its name, keeping only its ASCII letters (terminal escape sequences,
        CSI and OSC, removed first) and in any case, is ``data``, ``event``, ``id`` or
        ``retry`` (so ``" data"``, ``"\\ufeffdata"``, ``"\\x00data"``, ``"\\x1b[0mdata"``,
        ``"DATA"``), or ``error`` (GPUStack sends its failure as an ``error:`` line), unless the
        name holds a ``"`` (a JSON key such as ``  "data": [``, in a body that is no event
        stream); or the name, past leading whitespace, control and non-ASCII bytes, starts with
        ``data`` then a space, a tab, ``{`` or ``[`` (a data line that lost its colon); or the
        value, past those bytes, starts with ``data:`` (a line-numbered dump's
        ``12:data: {...}``); or the line's first 4 KiB hold ``data:`` then ``{`` or ``[``, with
        at most one space between (a timestamp or a logger's columns before a data line).
        Other unknown fields are ignored silently, as the spec intends: that is how the format
        is extended."""
        plain = _unescaped(name)
        # '"data"' is a JSON key, not a field
        key = b"" if 34 in name else plain.translate(None, _NOT_LETTERS).lower()
        if key in _FIELD_NAMES:
            kind = "data" if key == b"data" else "field"
        elif key == b"error":
            kind = "error"
        elif plain.lstrip(_JUNK)[:5] in _DATA_NO_COLON:
            kind = "data"
        elif value[:4096].lstrip(_JUNK)[:5] == b"data:" or _DATA_INSIDE.search(line, 0, 4096):
            kind = "value"
        else:
            return
        if len(self.ignored_lines) < _MAX_IGNORED_RECORDED:
            self.ignored_lines.append((start, name.decode("utf-8", "replace")))
        if self._notes is not None:
            # The field name for "data"/"field" (its start and end: what a message shows),
            # else the start of the line.
            if kind in ("data", "field"):
                half = _QUOTED // 2
                quoted = name if len(name) <= _QUOTED else name[:half] + name[-half:]
            else:
                quoted = line[:_QUOTED]
            self._note(start, kind, quoted.decode("utf-8", "replace"))

    def _note(self, offset: int, kind: str, text: str) -> None:
        """A note for the block in progress (published when it ends)."""
        if len(self._block_notes) < _NOTES_PER_BLOCK:
            block = self._block_start if self._block_start is not None else offset
            self._block_notes.append((block, offset, kind, text, self._data_lines))
        else:
            self._block_more += 1
            self._block_more_data = self._data_lines  # data lines before the last one

    def _replaced(self, part: str) -> None:
        """Invalid UTF-8 in ``part`` of the block in progress was replaced (one note a block)."""
        if self._notes is not None and not self._damaged:
            self._damaged = True
            at = self._block_start or 0
            self._note(at, "utf8", part)

    def _publish(self) -> None:
        """The block ended: its notes go out, after its event."""
        if self._block_notes and self._notes is not None:
            if self._block_more:
                block = self._block_notes[0][0]
                more = (block, block, "more", str(self._block_more), self._block_more_data)
                self._block_notes.append(more)
            self._notes.extend(self._block_notes)
        self._block_notes = []
        self._block_more = 0
        self._damaged = False

    def _pending(self, max_bytes: int) -> tuple[str, str, int] | None:
        """``(event type, data, offset)`` of the block in progress as its complete lines so far
        make it (a partial line is left out), when its data lines hold at most ``max_bytes``
        bytes; else ``None``. Dispatches nothing and changes nothing: the stream layer ends a
        stream at a complete ``data: [DONE]`` line without waiting for the blank line after
        it, which a server may never send."""
        data = self._data
        if not data or self._skipping or len(data) > 16:
            return None
        if sum(map(len, data)) > max_bytes:
            return None
        etype = self._type.decode("utf-8", "replace") if self._type else "message"
        return etype, b"\n".join(data).decode("utf-8", "replace"), self._block_start or 0

    def _make_event(self) -> RawEvent:
        joined = b"\n".join(self._data)
        try:
            data = joined.decode()
        except UnicodeDecodeError:
            data = joined.decode("utf-8", "replace")
            self._replaced("data")
        del joined
        etype = "message"
        if self._type:
            try:
                etype = self._type.decode()
            except UnicodeDecodeError:
                etype = self._type.decode("utf-8", "replace")
                self._replaced("event type")
        return (etype, data, self.last_event_id, self._block_retry, self._block_start or 0)

    def _dispatch(self, out: list[RawEvent]) -> None:
        # "If the data buffer is an empty string, set the data buffer and the event type buffer
        # to the empty string and return." A block that only set id/retry/event is no event.
        if self._data and not self._skipping:
            out.append(self._make_event())
            self.events_dispatched += 1
        if self._data:
            self._data = []
            self._data_lines = 0  # how many data lines (short ones are joined in _data)
        if self._block_notes or self._damaged:
            self._publish()
        self._block_len = 0
        self._type = None
        self._block_retry = None
        self._block_start = None
        self._skipping = False

    def _break_limit(self, size: int) -> None:
        if not self._skipping:
            start = self._block_start if self._block_start is not None else self._pos
            self._oversized.append((start, size))
        self._skipping = True
        self._data = []
        self._data_lines = 0  # how many data lines (short ones are joined in _data)

    def _raise_oversized(self, out: list[RawEvent]) -> None:
        (offset, size), more = self._oversized[0], len(self._oversized) - 1
        skipped = [at for at, _ in self._oversized]
        self._oversized = []
        limit = self.max_event_bytes
        assert limit is not None
        also = f"; {more} more oversized event(s) in the same read were skipped too" if more else ""
        raise SSEError(
            f"event exceeds max_event_bytes ({limit}): it reached {size} bytes and was skipped"
            + also,
            limit=limit,
            size=size,
            events=[ServerSentEvent(t, d, i, r, o) for t, d, i, r, o in out],
            byte_offset=offset,
            skipped=skipped,
        )


def _deprecated(name: str, instead: str) -> None:
    """Warn that ``SSEDecoder.<name>`` is deprecated (an internal that had a public name)."""
    deprecated(
        f"SSEDecoder.{name} is internal and deprecated since chunkstream 0.2.0 (removed in "
        f"0.3.0): {instead}",
        stacklevel=3,
    )


def iter_events(
    reads: Iterable[bytes], *, max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES
) -> Iterator[ServerSentEvent]:
    """Decode an iterable of reads (``response.iter_bytes()``, a file's blocks) into events."""
    decoder = SSEDecoder(max_event_bytes)
    for read in reads:
        yield from decoder.feed(read)
    yield from decoder.close()
