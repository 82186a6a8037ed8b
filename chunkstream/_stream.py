# SPDX-License-Identifier: MIT
"""The stream layer: events -> ``json`` -> chunks, and the glue users call. It owns ``[DONE]``,
in-band errors, truncation and "this is not an event stream at all". Sync and async; no I/O of
its own beyond iterating what it is given. Knows nothing of the CLI.
"""

from __future__ import annotations

import json
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from contextlib import suppress
from itertools import islice
from operator import length_hint
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeAlias, TypeVar, cast
from weakref import proxy

from ._accumulate import (
    DEFAULT_MAX_CHOICES,
    DEFAULT_MAX_TOOL_CALLS,
    Accumulator,
    CompletionAccumulator,
)
from ._errors import (
    DEFAULT_MAX_WARNINGS,
    ChunkError,
    ChunkstreamError,
    KeepsWarnings,
    SSEError,
    StreamWarning,
    TruncatedStreamError,
    UpstreamError,
    Warnings,
    describe,
    error_text,
    location,
    shown,
)
from ._models import (
    FILL_KIDS,
    MAX_DEPTH,
    NESTS,
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    Completion,
    CompletionChunk,
    FunctionDelta,
    Invalid,
    ToolCallDelta,
    build_chunk_fast,
    check_chunk,
    check_completion_chunk,
    fill_chunk,
    too_deep,
    validate_chunk,
    validate_completion_chunk,
)
from ._sse import DEFAULT_MAX_EVENT_BYTES, Note, RawEvent, SSEDecoder
from ._template import Template, learn

__all__ = [
    "Assembler",
    "AsyncChunkIterator",
    "AsyncSource",
    "ChunkDecoder",
    "ChunkIterator",
    "Source",
    "aassemble",
    "aiter_chunks",
    "assemble",
    "iter_chunks",
    "truncation_of",
]

_ASCII_WS = " \t\n\r\x0b\x0c"  # [DONE] may be surrounded by ASCII whitespace (only)
_READ_SIZE = 64 * 1024  # block size when reading a file object
_HEAD_CAP = 1024 * 1024  # bytes of the body kept while no event has arrived (see _not_sse)
# A bigger read (a whole body handed over at once) goes to the SSE layer in windows of this size,
# so that the events and notes of one window, not of the whole body, are held at a time.
_WINDOW = 16 * 1024
_FIELD_NAMES = (b"data", b"event", b"id", b"retry")
_DONE_LINE_MAX = (
    4096  # the longest "[DONE]" line (whitespace around it) taken before its blank line
)
_FIELD_STARTS = tuple(name + b":" for name in _FIELD_NAMES)
_BOM = b"\xef\xbb\xbf"

# The JSON scanner behind json.loads, called directly: json.loads adds a Python-level wrapper
# (type checks, two whitespace regex matches) that costs about a third of decoding a chunk.
# Data it does not take whole (leading or trailing whitespace, errors) goes to json.loads.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_UNPARSED: Any = object()

#: The template path (``_template``): an event whose data is the text of a recent chunk with
#: other strings in the places its consumer planned is merged from those strings alone, without
#: parsing it again. On by default; read when a stream starts (a ``_Core`` is made), so a test
#: or the fuzz harness turns it off for the streams it runs next (``_stream.TEMPLATES =
#: False``) and compares: both ways give the same result, warnings and errors.
TEMPLATES = True
# Top-level keys whose strings decide how an event is read (another API's event: _data_api;
# the provider's error): a plan with a hole there learns nothing.
_READ_BY = frozenset(("type", "candidates", "error"))
# Templates kept at a time (one per choice of a stream that interleaves them: n > 1).
_MAX_TEMPLATES = 8
#: When the whole input is one read (``assemble()`` or ``iter_chunks()`` given bytes or str: see
#: ``_Core.whole``), a template is learned from a chunk of its last window only if at least this
#: many events follow the chunk there: a plan and a template cost about what the full path of
#: two chunks costs, a match saves most of one, and the finish, the usage and ``[DONE]`` are
#: among the events that follow (measured on the shared corpus: benchmarks/README.md). Read
#: when a stream starts, as TEMPLATES; the fuzz harness's template path sets 0 (learn
#: wherever a plan holds, as for reads of a live stream) to take the path on short bodies too.
PAYS_AFTER = 8
# Back off (see _Core._learn): after this many chunks in a row went the full way (planned or
# not, learned from or not: no template matched them), a chunk is asked for a plan only when
# the run's length is a power of two.
_DRY = 8


def is_done_data(data: str) -> bool:
    """Whether an event's data is the end marker: its first non-blank line is ``[DONE]``, with
    any amount of ASCII whitespace around it. This is the one rule for the marker in the
    package: the stream layer and the CLI both call it (package-internal, not exported).
    Nothing after that line is read: the stream layer takes a complete ``data: [DONE]`` line
    before the blank line that would end its event (see ``_Core._done_line``), and the rule
    gives the same answer whether or not more lines came."""
    if data == "[DONE]":
        return True
    if "[DONE]" not in data:
        return False
    return data.lstrip(_ASCII_WS).partition("\n")[0].rstrip(_ASCII_WS) == "[DONE]"


# Event types of other streaming APIs, to name the API when one arrives instead of Chat
# Completions: OpenAI's Responses API types all start with "response." ("response.created",
# "response.output_text.delta", ...); Anthropic's Messages API sends these (its "ping" and
# "error" are left out: other servers use those names too).
_ANTHROPIC_TYPES = frozenset(
    (
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    )
)
_MAX_UNREAD_TYPES = 10  # event types named in the warning about unread events; others counted


def _other_api(kind: Any) -> str | None:
    """The API an event type (or a data object's ``type``) belongs to, if it is one we know."""
    if type(kind) is not str:
        return None
    if kind.startswith("response."):
        return "an OpenAI Responses API stream"
    if kind in _ANTHROPIC_TYPES:
        return "an Anthropic Messages API stream"
    return None


def _data_api(obj: dict[str, Any]) -> tuple[str, str, str] | None:
    """For an event without a type whose data has no ``choices``: when the data is an event of
    another API (a proxy may drop the ``event:`` lines), (what to count it under, what it is,
    the API)."""
    kind = obj.get("type")
    api = _other_api(kind)
    if api is not None:
        name = shown(kind, 40)
        return name, f"data of type {name}", api
    if "candidates" in obj:  # Gemini's generateContent response, streamed with alt=sse
        return "Gemini responses", "data with 'candidates'", "a Google Gemini API stream"
    # Servers' own completion endpoints, beside their OpenAI-compatible /v1/completions:
    # llama.cpp's /completion (the new ``content`` and a boolean ``stop``: tools/server README)
    # and text-generation-inference's /generate_stream (a ``token`` and ``generated_text``:
    # router/src/lib.rs, StreamResponse).
    if type(obj.get("stop")) is bool and "content" in obj:
        return (
            "llama.cpp /completion responses",
            "data with 'content' and 'stop'",
            "a llama.cpp server /completion stream" + _OWN_API,
        )
    if "token" in obj and "generated_text" in obj:
        return (
            "text-generation-inference /generate_stream responses",
            "data with 'token' and 'generated_text'",
            "a text-generation-inference /generate_stream stream" + _OWN_API,
        )
    return None


_OWN_API = " (its own API: its /v1/completions streams text_completion chunks)"
# Top-level keys that may make a chunk without choices another API's event (_data_api).
_OTHER_API_KEYS = ("type", "candidates", "stop", "generated_text")


def _whole_completion(obj: Any) -> bool:
    """Whether decoded data is a non-streaming ``chat.completion``: a choice carries a
    ``message`` object and no ``delta``. (A choice with both is a chunk: some providers send
    the message so far beside each delta.)"""
    if type(obj) is not dict:
        return False
    choices = obj.get("choices")
    if type(choices) is not list:
        return False
    for c in choices:
        if type(c) is dict and type(c.get("message")) is dict and c.get("delta") is None:
            return True
    return False


_WHOLE_COMPLETION = (
    "expected a chat.completion.chunk, got a whole chat.completion JSON object (was the "
    "request sent with stream: true?)"
)


class _Kind(NamedTuple):
    """The family of streams a core reads: Chat Completions (``chat.completion.chunk``) or the
    legacy Completions stream (``text_completion``, ``/v1/completions``). The rest of the
    stream layer is the same for both."""

    expected: str  # the chunk it expects, for messages: "a chat.completion.chunk"
    api: str  # the API, for messages: "Chat Completions"
    whole: str  # the ``object`` of a whole (non-streamed) response of the API
    check: Callable[[Any], bool]  # whether a decoded value is a valid chunk
    validate: Callable[[Any], None]  # raises ChunkError naming the problem
    other: Callable[[dict[str, Any]], bool]  # whether a chunk is the other family's


# The one rule that tells the two families apart: the chunk's ``object``. A stream of one
# family given to the other's entry point is another API's stream (``_Core._unread``): strict
# raises at its first chunk, naming the entry point that reads it; lenient skips its chunks
# and says so once. A stream that mixes both is that too, at the first chunk of the other
# family. A legacy chunk without ``object`` is not told from a chat chunk carrying a vendor
# ``text`` by the chat path; the legacy path also takes a choice with a ``delta`` or a
# ``message`` object (a chat chunk or completion without ``object``) for the other family.
_LEGACY_OBJECT = "text_completion"
_CHAT_OBJECTS = frozenset(("chat.completion.chunk", "chat.completion"))


def _legacy_chunk(obj: dict[str, Any]) -> bool:
    return obj.get("object") == _LEGACY_OBJECT


def _chat_chunk(obj: dict[str, Any]) -> bool:
    kind = obj.get("object")
    if type(kind) is str and kind in _CHAT_OBJECTS:  # (any JSON may come: a dict is unhashable)
        return True
    choices = obj.get("choices")
    if type(choices) is list:
        for c in choices:
            # (a null one tells nothing: a server writing one choice type for both APIs)
            if type(c) is dict and (type(c.get("delta")) is dict or type(c.get("message")) is dict):
                return True
    return False


_CHAT_KIND = _Kind(
    "a chat.completion.chunk",
    "Chat Completions",
    "chat.completion",
    check_chunk,
    validate_chunk,
    _legacy_chunk,
)
_LEGACY_KIND = _Kind(
    "a text_completion chunk",
    "legacy Completions",
    "text_completion",
    check_completion_chunk,
    validate_completion_chunk,
    _chat_chunk,
)
# What a stream of the other family is, for _Core._unread: (counted as, what, the API).
_OTHER = {
    _CHAT_KIND: (
        "text_completion chunks",
        "a text_completion chunk",
        "a legacy Completions stream (read it with chunkstream.assemble_completion())",
    ),
    _LEGACY_KIND: (
        "chat.completion chunks",
        "a chat.completion chunk",
        "a Chat Completions stream (read it with chunkstream.assemble())",
    ),
}


class _Consumer(Protocol):
    """What the stream core hands its chunks to and asks about the stream so far. Two
    implement it: :class:`ChunkDecoder` itself (chunks become ``ChatCompletionChunk`` objects)
    and an :class:`Assembler`'s :class:`_Merger` (chunks are merged into its Accumulator).
    The members are underscored: they are the core's, not part of either public class.

    Chunk numbers (``n``) and byte offsets locate every message; the core hands out the
    numbers, one per event that is not ``[DONE]``, whether or not the chunk is taken.
    """

    #: Raise :class:`UpstreamError` for a chunk carrying ``error`` (ChunkDecoder, strict);
    #: otherwise such a chunk goes to ``_take_chunk`` like any other (the consumer decides).
    _raise_upstream: bool
    #: Count the events that arrive after ``[DONE]`` and warn about them at close (a
    #: ChunkDecoder fed by its caller); off where reading stops at ``[DONE]``, since how many
    #: shared the last read would depend on where the reads were cut.
    _report_after_done: bool

    def _take_fast(self, obj: dict[str, Any], n: int, offset: int, data: str, /) -> bool:
        """Take a decoded, not yet validated chunk whole and say True, or change nothing and
        say False (the core then validates it and goes the long way, which gives the same
        result with the exact messages). Must decline a chunk nested deeper than
        ``MAX_DEPTH`` (``data``: the event's text, to count brackets in when it cannot tell
        otherwise) and a chunk carrying ``error`` when ``_raise_upstream``."""
        ...

    def _take_chunk(self, obj: dict[str, Any], n: int, offset: int | None, /) -> None:
        """Take a chunk that passed ``validate_chunk`` (or ``check_chunk``)."""
        ...

    def _plan(
        self, obj: dict[str, Any], /
    ) -> tuple[list[tuple[tuple[Any, ...], Any]], bool, Any] | Literal[False] | None:
        """For a chunk just taken (by ``_take_fast`` or ``_take_chunk``, valid, no repair, no
        ``error``, with choices): ``(holes, quiet, whole)`` for a template, ``False`` when one
        could be learned but seldom pays (the stream does not back off), or ``None``.
        ``holes``: ``(path, payload)`` for each string a later chunk of the same text but for
        those strings may change, such that taking that chunk is ``_take_same`` with
        ``whole``, the payloads and the new strings; ``quiet``: the plans of the other
        templates still hold."""
        ...

    def _take_same(
        self, whole: Any, payloads: tuple[Any, ...], values: list[str], n: int, offset: int, /
    ) -> None:
        """Take a chunk that matched a template: its strings at the holes, in text order, with
        the payloads of its plan (and the plan's ``whole``)."""
        ...

    def _runs(
        self, whole: Any, payloads: tuple[Any, ...], /
    ) -> Callable[[list[list[Any]], int, int], None] | None:
        """For a template just learned (its plan's ``whole`` and payloads): what takes a run
        of chunks that matched it, ``(values of each, the first one's number, the last one's
        byte offset)``, at once, as ``_take_same`` takes each in turn; or ``None``: one by
        one."""
        ...

    def _warn(
        self,
        kind: str,
        message: str,
        /,
        *,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
    ) -> None:
        """Record a located :class:`StreamWarning` (lenient mode, and what both modes say)."""
        ...

    def _partial(self) -> ChatCompletion | None:
        """What a raised error carries as ``partial``: the completion so far, or ``None``."""
        ...

    def _pending(self) -> list[int] | None:
        """The choices without a finish_reason so far (``None``: no choice arrived yet)."""
        ...

    def _untracked(self) -> bool:
        """Whether choices arrived that ``_pending()`` could not keep track of."""
        ...


class _Unread:
    """The events of a type chunkstream does not read that a stream skipped: counted by type
    (the first ``_MAX_UNREAD_TYPES`` types) and in all, where the first was, and the API they
    belong to if known. (Apart from the core, made at the first: a core's attributes stay
    few enough for CPython to keep them in a shared-key dict, whose reads are the fast ones.)"""

    __slots__ = ("api", "at", "total", "types")

    def __init__(self, n: int, offset: int) -> None:
        self.types: dict[str, int] = {}
        self.total = 0
        self.at = (n, offset)
        self.api: str | None = None


class _Core:
    """Shared by ChunkDecoder and Assembler: raw events -> chunk dicts handed to a
    :class:`_Consumer` (decoded ones to ``_take_fast`` first, validated ones to
    ``_take_chunk``), with the rules for ``[DONE]``, in-band errors, bodies that are no event
    stream and the end of the input.

    The consumer's members are looked up on each use, not kept: a test may swap one after
    the core is built (tests/fuzz.py spies on what is taken).
    """

    def __init__(
        self,
        strict: bool,
        max_event_bytes: int | None,
        consumer: _Consumer,
        kind: _Kind = _CHAT_KIND,
    ) -> None:
        self.strict = strict
        self.consumer = consumer
        self.kind = kind  # the family of streams it reads
        self.sse = SSEDecoder(max_event_bytes)
        self.sse._notes = []  # what the SSE layer noticed beyond the events: see _report
        self._notes: list[Note] = []  # taken from it, not reported yet
        self._error_line: tuple[int, str] | None = None  # the first "error:" line
        self.done = False  # [DONE] arrived
        self.done_at = 0  # byte offset of the [DONE] event
        self.done_lines = 0  # how many of its data lines, up to the [DONE] line
        self.after_done = 0  # events after [DONE] (counted when _report_after_done)
        self.count = 0  # chunk numbers handed out
        self.total = 0  # bytes fed
        self._head: list[bytes] = []  # the body's first bytes, while no event has arrived
        self._head_len = 0
        self._deferred: list[Any] = []  # events after an oversized one (strict), not taken yet
        # Events of a type chunkstream does not read, skipped (made at the first: _Unread).
        self.unread: _Unread | None = None
        self._rest = b""  # the windows of a big read after an oversized event (strict)
        # The template path (TEMPLATES): the templates that hold, and how often a chunk's plan
        # was asked for (to back off when learning does not pay).
        self._templates: list[Template] = []
        self._learning = TEMPLATES
        self._wait = 0  # chunks not to plan for (see _learn)
        self._full = -2  # the number of the last chunk that went the full way (see _learn)
        self._dry = 0  # how many in a row
        self._declined = 0  # how many in a row of those came the long way (see _learn)
        # How many of the next chunks _learn already knows it would skip (a dry run's chunks
        # before its next power of two), if they come one after another the full way: each is
        # counted here instead of a call (see _learn).
        self._dry_skip = 0
        self._backoff = 1
        # The whole input is one read (assemble() or iter_chunks() given bytes or str): no
        # event follows the last of its last window, and a template learned from an event
        # can be used at most on the events after it there (see _learn). Set by the entry
        # point before the read is fed.
        self.whole = False
        self._left: Iterator[RawEvent] | None = None  # the last window's events still to take
        self._pays_after = PAYS_AFTER

    def __getstate__(self) -> dict[str, Any]:
        # The templates' sinks are bound to this stream's own state (a text's list.append),
        # which deepcopy shares instead of copying: a copy of a stream (copy.deepcopy of an
        # Assembler) learns its own again, so that what it is fed reaches it alone.
        state = self.__dict__.copy()
        state["_templates"] = []
        return state

    # -- input ---------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self._feed(data)
        # A block in progress (_pending looks at no other) may be a [DONE] line's.
        if not self.done and self.sse._data:
            self._done_line()

    def _done_line(self) -> None:
        """A complete ``data: [DONE]`` line ends the stream without its blank line: a server
        that sends ``data: [DONE]\n`` and keeps the connection open is not waited on, and the
        result is what the end of the input would give (close() takes a final event missing
        only its blank line)."""
        pending = self.sse._pending(_DONE_LINE_MAX)
        if pending is not None and is_done_data(pending[1]):
            self._event(*pending)

    def _feed(self, data: bytes) -> None:
        if self._deferred or self._notes:
            self._drain()
        if not data and not self._rest:
            return
        if self.done:
            if self.consumer._report_after_done:
                self._count_after_done(self._rest)
                self._count_after_done(data)
            self._rest = b""
            return
        self.total += len(data)
        if self._head_len < _HEAD_CAP and not self.sse.events_dispatched:
            self._head.append(bytes(data[: _HEAD_CAP - self._head_len]))
            self._head_len += len(self._head[-1])
        if self._rest:
            data, self._rest = self._rest + data, b""
        if len(data) > _WINDOW:
            self._windows(data)
            return
        sse = self.sse
        try:
            events = sse._read(data)
        except SSEError as exc:
            self._oversized(exc)
            return
        if sse._notes or self._notes:
            self._noted(events)
        else:
            self._take(events, self.whole)

    def _windows(self, data: bytes) -> None:
        """A big read, window by window (see _WINDOW)."""
        view = memoryview(data)
        for at in range(0, len(data), _WINDOW):
            if self.done:
                if self.consumer._report_after_done:
                    self._count_after_done(view[at:])
                return
            try:
                events = self.sse._read(view[at : at + _WINDOW])
            except SSEError as exc:
                self._rest = bytes(view[at + _WINDOW :])  # taken at the next feed() or close()
                self._oversized(exc)
                self._rest = b""
                continue
            if self.sse._notes or self._notes:
                self._noted(events)
            else:
                self._take(events, self.whole and at + _WINDOW >= len(data))

    def _take(self, events: list[RawEvent], last: bool = False) -> None:
        # The everyday event: a "message" whose data is one JSON chunk. The consumer's fast
        # taker (Accumulator._take, ChunkDecoder's checking builder) takes it in one pass
        # or declines; anything declined or unusual goes the long way (_event), which gives
        # the same result with the exact messages. [DONE] is not JSON: the scan fails on it
        # and _event knows it (is_done_data), so no length guard is needed here.
        # A template matched first (see TEMPLATES): the chunk is the planned one with new
        # strings, taken from those alone; any miss goes the full way, and learns again.
        # A template that matched the event before it too is tried on the events after it
        # (Template.run): the run it matches is taken at once (the consumer's ``runs``, the
        # same as taking each), and skipped here. (Not tried after another template's match:
        # choices that take turns, n > 1, would pay a try at every event.)
        scan = _scan_once
        consumer = self.consumer
        fast = consumer._take_fast
        same = consumer._take_same
        templates = self._templates
        previous = None  # the template the last match was of
        each = iter(events)
        if last:  # no event of the input follows these (see whole)
            self._left = each
        for etype, text, _id, _retry, offset in each:
            if etype == "message" and not self.done:
                if templates:
                    for template in templates:
                        values = template.match(text)
                        if values is not None:
                            n = self.count
                            self.count = n + 1
                            same(template.plan, template.payloads, values, n, offset)
                            if template is previous and template.runs is not None:
                                # The next event, if it starts as the template does: the run.
                                start = len(events) - length_hint(each)
                                if start < len(events) and events[start][1].startswith(
                                    template.first
                                ):
                                    self._run(template, events, each, start, n + 1)
                            previous = template
                            break
                    else:
                        values = None
                    if values is not None:
                        continue
                try:
                    obj, end = scan(text, 0)
                except (StopIteration, ValueError, RecursionError):
                    self._event(etype, text, offset)
                    continue
                if end == len(text) and type(obj) is dict:
                    n = self.count
                    if fast(obj, n, offset, text):
                        self.count = n + 1
                        if self._learning:
                            if self._dry_skip and n == self._full + 1:
                                self._dry_skip -= 1
                                self._dry += 1
                                self._full = n
                            else:
                                self._learn(text, obj, True)
                        continue
                if end == len(text):
                    self._event(etype, text, offset, obj)
                    continue
            self._event(etype, text, offset)
        if last:
            self._left = None

    def _run(
        self,
        template: Template,
        events: list[RawEvent],
        each: Iterator[RawEvent],
        start: int,
        n: int,
    ) -> None:
        """The events from ``events[start]`` on, after the one ``template`` just matched
        (``each``: the iterator over ``events`` at ``start``), that match it too, taken at
        once as chunks ``n``, ``n + 1``, ... and skipped by ``each``."""
        run = template.run(events, start)
        if run:
            k = len(run)
            next(islice(each, k - 1, k))
            self.count = n + k
            template.runs(run, n, events[start + k - 1][4])

    def _learn(self, text: str, obj: dict[str, Any], keep: bool) -> None:
        """A template from a chunk just taken (``text``, parsed: ``obj``), if its consumer
        plans one; the other templates are kept when ``keep`` and the plan says they still
        hold, else dropped. The first chunk of a stream is not asked for a plan. Backs off
        when learning does not pay: after n chunks in a row that plan nothing, the next
        2**(n-1) - 1 (at most 63) chunks that go the full way are not asked for a plan; after
        ``_DRY`` chunks in a row that went the full way (no template matched: logprobs, a
        float that changes in every chunk), a chunk is asked only when the run's length is a
        power of two."""
        templates = self._templates
        self._dry_skip = 0
        if keep:
            if self._declined >= _DRY:
                # A run of chunks the fast taker declined (Mistral's thinking parts, a vendor
                # list: each planned nothing) gave way to one it takes (plain text): the stream
                # changed, and what it sends now may repeat. The back-off starts again, or a
                # long first part would keep the rest from being learned.
                self._dry = self._wait = 0
                self._backoff = 1
            self._declined = 0
        else:
            self._declined += 1
        n = self.count - 1
        if not n:
            # The first chunk (a role, a choice opened) is seldom what the next repeats, and a
            # stream too short to pay for a template is spared a plan.
            return
        self._dry = dry = self._dry + 1 if n == self._full + 1 else 0
        self._full = n
        if dry >= _DRY and dry & (dry - 1):
            templates.clear()  # a dry run: learn again only at the next power of two
            # The chunks before it come here for nothing (nothing is learned in between, so
            # the templates stay clear): _take counts them without the call.
            # (Not after a chunk that came the long way: the next one, if taken by the fast
            # taker, is looked at here.)
            self._dry_skip = (1 << dry.bit_length()) - dry - 1 if keep else 0
            return
        if self._wait:
            self._wait -= 1
            templates.clear()
            return
        if not obj.get("choices"):
            # No choices (the usage at the end, a moderation, a prompt's filter results): seldom
            # what the next chunk repeats; not planned, and no back-off (as a plan of False).
            templates.clear()
            return
        left = self._left
        if left is not None and length_hint(left) < self._pays_after:
            # The whole input is in hand, and too few events follow this one for a template to
            # pay for its plan and learning (these can only be fewer matches still: the finish
            # and [DONE] are among them).
            templates.clear()
            return
        plan = self.consumer._plan(obj)
        if not plan:
            templates.clear()
            if plan is None:  # none can be learned from it (False: none worth learning now)
                self._wait = self._backoff - 1
                self._backoff = min(self._backoff * 2, 64)
            return
        self._backoff = 1
        holes, quiet, whole = plan
        if not (keep and quiet):
            templates.clear()
        for path, _ in holes:
            if len(path) == 1 and path[0] in _READ_BY:
                return  # a string that decides how an event is read (_data_api) is no hole
        template = learn(text, obj, holes, whole)
        if template is not None:
            template.runs = self.consumer._runs(whole, template.payloads)
            if len(templates) >= _MAX_TEMPLATES:
                templates.pop()
            templates.insert(0, template)  # the newest first: the likeliest to match next

    def _oversized(self, exc: SSEError) -> None:
        """Events broke max_event_bytes. The other events of the same read come with the
        error; they are taken in stream order around it, so that any split of the input gives
        the same result: those before it first, then the error (strict) or a warning for each
        event skipped (lenient), then those after it (strict: at the next feed() or close(), if
        the caller goes on)."""
        events = [(e.event, e.data, e.id, e.retry, e.offset or 0) for e in exc.events]
        skipped = exc.skipped[:1] if self.strict else exc.skipped
        i = 0
        for at in skipped:
            j = i
            while j < len(events) and events[j][4] < at:
                j += 1
            self._noted(events[i:j], before=at)
            i = j
            if self.done:  # the oversized event came after [DONE]: ignored like the rest
                self.after_done += 1
                continue
            if self.strict:
                self._deferred = exc.events[i:]
                exc.partial = self.consumer._partial()
                raise exc
            # Not exc.reason: the size it names is where the decoder noticed, which depends on
            # the read boundaries; the warning must not.
            self.consumer._warn(
                "limit",
                f"event exceeds max_event_bytes ({exc.limit}); skipped it",
                byte_offset=at,
            )
        self._noted(events[i:])

    def _count_after_done(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        for at in range(0, len(view), _WINDOW):
            try:
                events = self.sse._read(view[at : at + _WINDOW])
                # Not the [DONE] block itself, when it was taken before its blank line.
                self.after_done += sum(1 for e in events if e[4] != self.done_at)
            except SSEError as exc:
                self.after_done += len(exc.skipped) + len(exc.events)
        if self.sse._notes:
            # Kept for _report, which drops those after the [DONE] line and reports those of
            # the lines before it in its block (an invalid id before a [DONE] taken before its
            # blank line was lost when the rest came in later reads: found by the fuzz harness)
            self._notes += self.sse._notes
            self.sse._notes.clear()

    def _drain(self) -> None:
        deferred, self._deferred = self._deferred, []
        self._noted([(e.event, e.data, e.id, e.retry, e.offset or 0) for e in deferred])

    def close(self) -> None:
        if self._deferred or self._notes:
            self._drain()
        if self._rest:
            rest, self._rest = self._rest, b""
            self._windows(rest)
        held = self.sse._close_raw()
        lost = None
        if held is not None and not self.done:
            if held.event is not None:
                # Only the final blank line is missing (captures often lose it): take it.
                self._noted([(held.event.event, held.event.data, None, None, held.offset)])
            elif held.line_cut:
                lost = held
        if self._notes or self.sse._notes:
            self._noted([])  # what the SSE layer noticed in the unfinished block
        if self.unread is not None:
            self._report_unread(self.unread)
        if self.consumer._report_after_done and self.after_done:
            self.consumer._warn("ignored", f"{self.after_done} event(s) after [DONE] were ignored")
        # A [DONE] data line makes the body an event stream, whether it ended the input as
        # its line arrived or only here (a whole read of "x\ndata: [DONE]\ndata:" was refused
        # as no event stream, where 1-byte reads saw the [DONE] first: found by the fuzz
        # harness).
        if (
            not self.done
            and not self.sse.events_dispatched
            and (held is None or held.event is None)
        ):
            self._not_sse()
        if self.done:
            return  # complete: the choices' states are not asked for
        pending = self.consumer._pending()
        untracked = self.consumer._untracked()
        complete = pending is not None and not pending and not untracked
        if lost is not None:
            # Cut mid-line. After every choice finished (or [DONE]) the response is complete
            # whatever the line held (a cut "data: [DONE", a usage chunk): a warning in both
            # modes. Before that, it is the truncation: strict raises, lenient warns once.
            reason = (
                f"stream ended inside an event: its last line has no line ending, "
                f"{lost.size} bytes held back"
            ) + self._error_hint()
            if complete or not self.strict:
                self.consumer._warn(
                    "truncated", reason, chunk_index=self.count, byte_offset=lost.offset
                )
                return
            raise TruncatedStreamError(
                reason,
                held_back=lost.size,
                chunk_index=self.count,
                byte_offset=lost.offset,
                partial=self.consumer._partial(),
            )
        if complete:
            return
        where: dict[str, Any] = {"chunk_index": self.count, "byte_offset": self.total}
        if not self.total:
            reason = "the input is empty: no event arrived"
            where = {}  # nothing to point at
        elif pending is None:
            reason = "stream ended before [DONE] and before any choice arrived"
        elif not pending:
            reason = (
                f"stream ended before [DONE] with more choices than the {DEFAULT_MAX_CHOICES} "
                "tracked: those finished, any of the others may be unfinished"
            )
        else:
            # Indexes cut short: a 4000-digit index must not make a 4000-character message.
            which = ", ".join(shown(i, 20) for i in pending[:10])
            more = ", ..." if len(pending) > 10 else ""
            reason = (
                f"stream ended before [DONE] with choice(s) {which}{more} unfinished "
                "(no finish_reason)"
            )
            if untracked:
                reason += (
                    f", and more choices than the {DEFAULT_MAX_CHOICES} tracked: any of the "
                    "others may be unfinished too"
                )
        reason += self._error_hint()
        if self.strict:
            raise TruncatedStreamError(reason, partial=self.consumer._partial(), **where)
        self.consumer._warn("truncated", reason, **where)

    # -- what the SSE layer noticed ------------------------------------------------------------

    def _noted(self, events: list[RawEvent], before: int | None = None) -> None:
        """``events`` with the SSE layer's notes in stream order: a note follows the event of
        its block (notes of a block without an event, in the block's place). With ``before``,
        notes of blocks from that offset on wait (an oversized event's place)."""
        notes = self._notes
        if self.sse._notes:
            notes += self.sse._notes
            self.sse._notes.clear()
        i = k = 0
        try:
            while k < len(notes):
                block = notes[k][0]
                if before is not None and block >= before:
                    break
                j = i
                while j < len(events) and events[j][4] < block:
                    j += 1
                self._take(events[i:j])
                i = j
                n = self.count
                if i < len(events) and events[i][4] == block:
                    self._take(events[i : i + 1])
                    i += 1
                k += 1
                self._report(notes[k - 1], n if self.count > n else None)
        finally:
            del notes[:k]
        self._take(events[i:])

    def _report(self, note: Note, chunk_index: int | None) -> None:
        """One note of the SSE layer -> a warning (or, strict, an error for lost data)."""
        block, offset, kind, text, data_before = note
        if self.done and (
            block > self.done_at or (block == self.done_at and data_before >= self.done_lines)
        ):
            return  # after the end of the stream: not read
        if kind == "utf8":
            self.consumer._warn(
                "invalid_utf8",
                f"invalid UTF-8 in the event's {text}: the bytes were replaced with U+FFFD, as "
                "the Server-Sent Events spec says",
                chunk_index=chunk_index,
                byte_offset=block,
            )
        elif kind == "more":
            self.consumer._warn(
                "ignored",
                f"{text} more ignored line(s) in the same event, not reported one by one",
                byte_offset=block,
            )
        elif kind == "error":
            if self._error_line is None:
                self._error_line = (offset, text)
            self.consumer._warn(
                "ignored",
                f"ignored an 'error' line (not a Server-Sent Events field; some servers, such as "
                f"GPUStack, send their failure this way): {shown(text, 150)}",
                byte_offset=offset,
            )
        else:
            if kind == "value":
                what = f"a line whose value looks like data, {shown(text)}"
            else:
                what = f"a line whose field name is {shown(text)}"
            known = f"ignored {what}: Server-Sent Events know only 'data', 'event', 'id' and "
            known += "'retry'"
            if kind == "field" or not self.strict:
                self.consumer._warn(
                    "ignored", known + ", so its value was not read", byte_offset=offset
                )
                return
            # Strict: a line meant as data held a chunk, which would be lost.
            raise ChunkError(
                known + ", so the chunk it holds would be lost",
                byte_offset=offset,
                partial=self.consumer._partial(),
            )

    def _error_hint(self) -> str:
        """For a truncated stream: the "error:" line it sent, if any (why it stopped)."""
        if self._error_line is None:
            return ""
        offset, text = self._error_line
        return f"; it sent an 'error' line at byte {offset}: {shown(text, 100)}"

    # -- one event -----------------------------------------------------------------------------

    def _event(self, etype: str, data: str, offset: int, parsed: Any = _UNPARSED) -> None:
        """One event, every rule applied. ``parsed``: its data already decoded as JSON."""
        if self._templates:
            self._templates.clear()  # what the consumer did with it is not planned
        if self.done:
            self.after_done += 1  # "[DONE]" ends the stream: nothing after it is used
            return
        if is_done_data(data):
            self.done = True
            self.done_at = offset
            # The data lines of its block up to the [DONE] line: a line of the block noted
            # after them came after the end of the stream (read in the same read, or not).
            if data == "[DONE]":
                self.done_lines = 1  # the everyday marker: one line
            else:
                lines = data.split("\n")
                self.done_lines = next(i for i, x in enumerate(lines) if x.strip(_ASCII_WS)) + 1
            return
        n = self.count
        self.count += 1
        if etype != "message" and etype != "error":
            kind = shown(etype, 40)
            self._unread(kind, f"an event of type {kind}", _other_api(etype), n, offset, data)
            return
        problem = None
        try:
            obj = json.loads(data) if parsed is _UNPARSED else parsed
        except (ValueError, RecursionError) as exc:
            problem = self._not_json(exc, data)
        else:
            # Counting brackets is a cheap upper bound on the depth; walk only when it is high.
            if data.count("{") + data.count("[") > MAX_DEPTH and too_deep(obj):
                problem = self._not_json(RecursionError(), data)
        if problem is not None:
            if etype == "error":
                obj = data  # a provider's error in plain text is still its error
            else:
                self._bad(problem, n, offset)
                return
        if etype == "error":
            # "event: error": the parsed data's "error" if it has one, else the parsed data.
            if type(obj) is dict and obj.get("error") is not None:
                obj = obj["error"]
            self._upstream({"error": data if obj is None else obj}, n, offset)
            return
        family = self.kind
        if type(obj) is dict and family.other(obj):
            self._unread(*_OTHER[family], n, offset, data)
            return
        if type(obj) is dict and obj.get("choices") is None:
            other = _data_api(obj)
            if other is not None:
                self._unread(*other, n, offset, data)
                return
        elif _whole_completion(obj):
            self._bad(ChunkError(_WHOLE_COMPLETION), n, offset)
            return
        repaired = False
        try:
            if type(obj) is not dict or not family.check(obj):
                family.validate(obj)
        except ChunkError as exc:
            repaired = True
            if self.strict or not self._repair(obj, n, offset):
                exc.locate(n, offset)
                if type(obj) is dict and obj.get("error") is not None:
                    # The provider's error matters more than what else is wrong with the
                    # chunk: it is raised (strict) or kept (lenient) before the rest is skipped.
                    self._upstream({"error": obj["error"]}, n, offset)
                self._bad(exc, n, offset)
                return
        if self.consumer._raise_upstream and obj.get("error") is not None:
            self._upstream(obj, n, offset)
            return
        self.consumer._take_chunk(obj, n, offset)
        if (
            self._learning
            and not repaired
            and parsed is not _UNPARSED
            and etype == "message"
            and obj.get("error") is None
        ):
            self._learn(data, obj, False)

    def _unread(
        self, kind: str, what: str, api: str | None, n: int, offset: int, data: str
    ) -> None:
        """An event chunkstream does not read (``kind``: its type as shown, ``what``: a phrase
        for it, ``api``: the API it belongs to if known). Strict raises when it belongs to
        another API or carries data; the rest are skipped and counted, and close() reports
        them in one warning."""
        if self.strict and (api is not None or data.strip(_ASCII_WS)):
            family = self.kind
            if api is not None:
                reason = f"expected {family.expected}, got {what}: this is {api}, not {family.api}"
            else:
                reason = (
                    f"expected {family.expected}, got {what}, which chunkstream does not "
                    "read (it reads 'message' events, the default type, and 'error')"
                )
            raise ChunkError(
                reason, chunk_index=n, byte_offset=offset, partial=self.consumer._partial()
            )
        unread = self.unread
        if unread is None:
            unread = self.unread = _Unread(n, offset)
        if unread.api is None:
            unread.api = api
        unread.total += 1
        types = unread.types
        if kind in types or len(types) < _MAX_UNREAD_TYPES:
            types[kind] = types.get(kind, 0) + 1

    def _report_unread(self, unread: _Unread) -> None:
        counts = ", ".join(f"{kind} ({k})" for kind, k in unread.types.items())
        others = unread.total - sum(unread.types.values())
        if others:
            counts += f", {others} of other types"
        message = f"skipped {unread.total} event(s) of types chunkstream does not read: {counts}"
        if unread.api is not None:
            message += f"; this is {unread.api}, not {self.kind.api}"
        self.consumer._warn("ignored", message, chunk_index=unread.at[0], byte_offset=unread.at[1])

    def _upstream(self, obj: dict[str, Any], n: int, offset: int) -> None:
        if self.consumer._raise_upstream:
            raise UpstreamError(
                f"the provider sent an error: {error_text(obj['error'])}",
                error=obj["error"],
                chunk_index=n,
                byte_offset=offset,
                partial=self.consumer._partial(),
            )
        self.consumer._take_chunk(obj, n, offset)

    def _bad(self, exc: ChunkstreamError, n: int, offset: int) -> None:
        """A chunk that is not JSON or not valid: strict raises, lenient skips it and says so."""
        exc.locate(n, offset)
        if self.strict:
            exc.partial = self.consumer._partial()
            raise exc
        self.consumer._warn(
            "invalid_chunk",
            exc.reason + "; skipped the chunk",
            chunk_index=n,
            byte_offset=offset,
            path=exc.path,
        )

    @staticmethod
    def _not_json(exc: Exception, data: str) -> ChunkError:
        if isinstance(exc, json.JSONDecodeError):
            why = f"{exc.msg}: line {exc.lineno} column {exc.colno}"
        elif isinstance(exc, RecursionError):
            why = f"nested more than {MAX_DEPTH} levels deep"
        else:
            # json.loads raises a plain ValueError only for an integer longer than
            # sys.get_int_max_str_digits() (CPython's guard against quadratic int parsing).
            why = "an integer has more digits than sys.get_int_max_str_digits() allows"
        return ChunkError(f"expected JSON in the event's data ({why}), got {describe(data)}")

    def _repair(self, obj: Any, n: int, offset: int) -> bool:
        """Lenient mode: tool-call ``arguments`` sent as a JSON object instead of a string are
        serialised once. Returns whether ``obj`` is valid afterwards."""
        repaired = False
        if type(obj) is dict and type(obj.get("choices")) is list:
            for i, choice in enumerate(obj["choices"]):
                delta = choice.get("delta") if type(choice) is dict else None
                if type(delta) is not dict:
                    continue
                functions = []
                if type(delta.get("function_call")) is dict:
                    functions.append((delta["function_call"], f".choices[{i}].delta.function_call"))
                if type(delta.get("tool_calls")) is list:
                    for j, call in enumerate(delta["tool_calls"]):
                        if type(call) is dict and type(call.get("function")) is dict:
                            path = f".choices[{i}].delta.tool_calls[{j}].function"
                            functions.append((call["function"], path))
                for fn, path in functions:
                    if type(fn.get("arguments")) in (dict, list):
                        fn["arguments"] = json.dumps(fn["arguments"], ensure_ascii=False)
                        repaired = True
                        self.consumer._warn(
                            "repaired",
                            f"arguments given as JSON, not as a string, at {path}.arguments; "
                            "serialised them",
                            chunk_index=n,
                            byte_offset=offset,
                            path=f"{path}.arguments",
                        )
        if not repaired:
            return False
        try:
            validate_chunk(obj)
        except ChunkError:
            return False
        return True

    def _not_sse(self) -> None:
        """No event at all: if the body is not an event stream (a JSON error object, an HTML
        error page), say so in both modes: there is nothing to assemble."""
        head = b"".join(self._head)
        if _BOM.startswith(head):
            return  # nothing but (the start of) a BOM: cut before the first line
        body = head[3:] if head.startswith(_BOM) else head
        stripped = body.lstrip(b" \t\r\n")
        if not stripped or stripped[:1] == b":":
            return
        # The first line is a field ("data: ...", "event: error", a bare "data") or a comment:
        # an event stream that dispatched nothing. Any other text ("database unavailable")
        # is not one, even when it starts with the letters of a field name.
        line = stripped.split(b"\n", 1)[0].split(b"\r", 1)[0]
        if line.split(b":", 1)[0] in _FIELD_NAMES:
            return
        if line == stripped and any(field.startswith(line) for field in _FIELD_STARTS):
            # The body was cut inside its first field name ("da", "eve"): a stream cut short,
            # which the end-of-input rules report, not a body of another kind.
            return
        obj: Any = None
        if self._head_len == self.total:
            try:
                obj = json.loads(stripped.decode("utf-8", "replace"))
            except (ValueError, RecursionError):
                obj = None
        if type(obj) is dict and obj.get("error") is not None:
            raise UpstreamError(
                "the provider sent an error instead of an event stream: "
                + error_text(obj["error"]),
                error=obj["error"],
                byte_offset=0,
            )
        whole = self.kind.whole
        if type(obj) is dict and obj.get("object") == whole:
            raise ChunkError(
                f"expected an event stream, got a whole {whole} JSON object "
                "(was the request sent with stream: true?)",
                byte_offset=0,
            )
        raise ChunkError(
            f"expected an event stream (lines like 'data: {{...}}'), got {describe(head[:80])}",
            byte_offset=0,
        )


class _Finishes:
    """Which choices have a finish_reason, for ChunkDecoder (it keeps no completion)."""

    __slots__ = ("finished", "overflow", "seen", "unfinished")

    def __init__(self) -> None:
        self.unfinished: set[int] = set()
        self.finished: set[int] = set()
        self.seen = False
        # Bounded memory: the first DEFAULT_MAX_CHOICES indexes are tracked; past them a choice
        # only sets this, and such a stream can only be complete by [DONE].
        self.overflow = False

    def see(self, obj: dict[str, Any]) -> None:
        choices = obj.get("choices")
        if not choices:
            return
        self.seen = True
        finished, unfinished = self.finished, self.unfinished
        for c in choices:
            index = c["index"]
            if (
                index not in unfinished
                and index not in finished
                and len(finished) + len(unfinished) >= DEFAULT_MAX_CHOICES
            ):
                self.overflow = True
            elif c.get("finish_reason"):
                finished.add(index)
                unfinished.discard(index)
            elif index not in finished:
                unfinished.add(index)

    def pending(self) -> list[int] | None:
        """The tracked choices without a finish_reason (None: no choice arrived)."""
        return sorted(self.unfinished) if self.seen else None


# The strings of a typed chunk that are holes (ChunkDecoder._plan): in a delta and a tool
# call's function, every string (a valid chunk holds a string only where its field takes one,
# as it is); elsewhere the vendor keys' (in ``extra``) and these fields'. Speed only: a string
# that is no hole is a literal, and a chunk where it differs is parsed (the result is the same).
_TOP_HOLES = ("obfuscation",)
_ANY = ("*",)
_TOP_KEYS = frozenset(ChatCompletionChunk._keys)
_CHOICE_KEYS = frozenset(ChunkChoice._keys)
_DELTA_KEYS = frozenset(ChoiceDelta._keys)
_TOOL_KEYS = frozenset(ToolCallDelta._keys)
_FUNCTION_KEYS = frozenset(FunctionDelta._keys)


def _typed_holes(
    obj: dict[str, Any],
    fields: tuple[str, ...],
    known: frozenset[str],
    where: tuple[Any, ...],
    holes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    """The holes of one object of a typed chunk (see ``ChunkDecoder._plan``): its string
    ``fields`` and its vendor strings; each ``(path, (where, name, vendor))``, where ``where``
    is the path of the object (its attribute names and positions in the typed chunk are its
    keys and positions in the parse)."""
    every = fields is _ANY
    for key, v in obj.items():
        if type(v) is str:
            if key not in known:
                holes.append(((*where, key), (where, key, True)))
            elif every or key in fields:
                holes.append(((*where, key), (where, key, False)))


def _fill_spec(obj: Any, at: tuple[Any, ...], holes: dict[Any, Any]) -> Any:
    """The spec ``fill_chunk`` follows (see ``_gen._filler``) to rebuild the typed object
    ``obj`` (at path ``at`` in its chunk) and the objects it holds, with the holes of
    ``holes`` (by the path of their object: ``(fields, vendor keys)``, each ``(name, i)``;
    taken out as they are placed)."""
    cls = type(obj)
    names = FILL_KIDS[cls]
    kids: list[Any] = []
    for name in names:
        v = getattr(obj, name)
        if v is None:
            kids.append(None)
        elif type(v) is tuple:
            kids.append(tuple([_fill_spec(x, (*at, name, i), holes) for i, x in enumerate(v)]))
        else:
            kids.append(_fill_spec(v, (*at, name), holes))
    deep = [k for k in cls._keys if k not in names and _holds_dicts(getattr(obj, k))]
    if obj.extra:
        deep.append("extra")
    sets, vendor = holes.pop(at, ((), ()))
    fix = (tuple(deep), tuple(sets), tuple(vendor)) if deep or sets or vendor else None
    return tuple(kids), fix


def _holds_dicts(value: Any) -> bool:
    """Whether a typed object's value is or holds a dict or a list (a dict-typed field, content
    parts): what a chunk's reader could change in place."""
    t = type(value)
    if t is tuple:
        return any(type(v) is dict or type(v) is list for v in value)
    return t is dict or t is list


class _Learned:
    """A typed chunk's template plan (``ChunkDecoder._plan``): a private copy of the chunk
    and, from the first match on, the spec that rebuilds it with a match's strings."""

    __slots__ = ("chunk", "spec")

    def __init__(self, chunk: ChatCompletionChunk) -> None:
        self.chunk = fill_chunk(chunk, _fill_spec(chunk, (), {}), ())
        self.spec: Any = None

    def ready(self, payloads: tuple[Any, ...]) -> Any:
        """The spec for the holes ``payloads``, in text order (the order of a match's
        strings, which only the template knows: so it is made at the first match)."""
        holes: dict[Any, tuple[list[Any], list[Any]]] = {}
        for i, (where, name, vendor) in enumerate(payloads):
            holes.setdefault(where, ([], []))[1 if vendor else 0].append((name, i))
        self.spec = _fill_spec(self.chunk, (), holes)
        if holes:  # pragma: no cover - each hole's object is in the chunk it was planned from
            raise AssertionError(f"holes in no object of the chunk: {sorted(holes)}")
        return self.spec


K = TypeVar("K", bound=ChatCompletionChunk | CompletionChunk)


class _Decoder(KeepsWarnings, Generic[K]):
    """What :class:`ChunkDecoder` and :class:`CompletionChunkDecoder` share: all but the fast
    taker and the template path, which are ChunkDecoder's (a legacy chunk goes the long way:
    ``_take_fast`` declines, ``_plan`` plans nothing)."""

    _kind = _CHAT_KIND  # the family of chunks its core reads
    _chunk: Any = ChatCompletionChunk  # the class they are built as

    def __init__(
        self,
        strict: bool = True,
        *,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        max_warnings: int = DEFAULT_MAX_WARNINGS,
    ) -> None:
        self.strict = strict
        self._warnings = Warnings(max_warnings)  # the policy the Accumulator uses too
        self._out: list[K] = []
        self._closed = False
        self._finishes = _Finishes()
        # The decoder is its core's consumer (_Consumer): the members below, and _take_fast,
        # _take_chunk and _warn.
        self._raise_upstream = strict  # strict: a provider's error is raised, not a chunk
        # Fed by its caller, who may feed everything: the events after [DONE] are counted and
        # reported. ChunkIterator, which stops reading at [DONE], turns this off.
        self._report_after_done = True
        # Through a weak proxy: the decoder owns its core, and a strong link back made the two
        # a reference cycle that kept every finished stream's state for the cyclic GC.
        self._core = _Core(strict, max_event_bytes, proxy(self), self._kind)

    @property
    def done(self) -> bool:
        """Whether ``[DONE]`` arrived."""
        return self._core.done

    def feed(self, data: bytes) -> list[K]:
        if self._closed:
            name = type(self).__name__
            raise RuntimeError(f"{name}.feed() called after close(); use a new decoder")
        try:
            self._core.feed(data)
        except ChunkstreamError as exc:
            exc.chunks = cast("list[Any]", self._drain())  # see ChunkstreamError: its type
            raise
        return self._drain()

    def close(self) -> list[K]:
        """End the input. A second call does nothing and returns ``[]``."""
        if self._closed:
            return []
        self._closed = True
        try:
            self._core.close()
        except ChunkstreamError as exc:
            exc.chunks = cast("list[Any]", self._drain())  # see ChunkstreamError: its type
            raise
        finally:
            summary = self._warnings.summary()
            if summary is not None:
                self._warnings.kept.append(summary)
        return self._drain()

    def _drain(self) -> list[K]:
        """The chunks completed since the last call."""
        out, self._out = self._out, []
        return out

    # -- the core's consumer (_Consumer) -------------------------------------------------------

    def _take_fast(self, obj: dict[str, Any], n: int, offset: int, data: str) -> bool:
        return False

    def _take_chunk(self, obj: dict[str, Any], n: int, offset: int | None) -> None:
        self._finishes.see(obj)
        if obj.get("error") is not None:
            self._warn(
                "upstream_error",
                "the provider sent an error: " + error_text(obj["error"]),
                chunk_index=n,
                byte_offset=offset,
            )
        self._out.append(self._chunk._build(obj))

    def _plan(
        self, obj: dict[str, Any]
    ) -> tuple[list[tuple[tuple[Any, ...], Any]], bool, Any] | None:
        return None

    def _take_same(
        self, whole: Any, payloads: tuple[Any, ...], values: list[str], n: int, offset: int
    ) -> None:
        raise AssertionError("no plan, so no template to match")  # pragma: no cover

    def _runs(
        self, whole: Any, payloads: tuple[Any, ...]
    ) -> Callable[[list[list[Any]], int, int], None] | None:
        # A typed chunk per match whatever the run (ChunkDecoder's templates): taking them at
        # once would only move the core's loop into Template.run (measured: no fewer
        # instructions).
        return None

    def _warn(self, kind: str, message: str, **where: Any) -> None:
        self._warnings.add(kind, message, **where)

    def _partial(self) -> None:
        return None  # a decoder keeps no completion: its errors carry ``chunks`` instead

    def _pending(self) -> list[int] | None:
        return self._finishes.pending()

    def _untracked(self) -> bool:
        return self._finishes.overflow


class ChunkDecoder(_Decoder[ChatCompletionChunk]):
    """Bytes -> ``ChatCompletionChunk`` objects, incrementally (sans-IO).

    ``feed(read)`` returns the chunks that read completed; ``close()`` ends the input and
    returns any last chunk. Stops at ``[DONE]`` (``done`` turns true; later input is ignored,
    and ``close()`` records how many events it held as a warning).

    strict (the default): data that is not JSON or not a valid chunk raises
    :class:`ChunkError`; a provider error (``event: error``, or a chunk with a non-null
    ``error``) raises :class:`UpstreamError`; an input that ends before ``[DONE]`` with a
    choice unfinished raises :class:`TruncatedStreamError` at ``close()``.
    lenient (``strict=False``): bad chunks are skipped and the rest kept; errors come through as
    chunks whose ``extra["error"]`` holds the provider's error (an ``event: error`` block as
    ``{"error": ...}``); each of these is recorded in ``warnings``.
    When ``feed()`` or ``close()`` raises, the chunks completed before the error (by that read,
    or by the end of input) are on the error as ``exc.chunks``, in order, so nothing is lost
    whatever the reads; after an :class:`SSEError` the decoder goes on with the next event.
    ``max_warnings`` bounds the warnings kept; past it they are counted by kind
    (``warnings_dropped``) and ``close()`` adds one warning that says how many.
    """

    def _take_fast(self, obj: dict[str, Any], n: int, offset: int, data: str) -> bool:
        """Check and build in one pass; False (nothing done) when the chunk is not valid,
        carries an error or nests too deep (the long way raises or warns as it should). It
        counts the brackets of ``data`` only when the chunk holds a vendor value that is an
        object or a list, or content parts (``NESTS``): others cannot be deep."""
        try:
            chunk = build_chunk_fast(obj)
        except Invalid:
            return False
        if chunk.extra and chunk.extra.get("error") is not None:
            return False
        if chunk.object == _LEGACY_OBJECT:
            return False  # a legacy chunk: the long way says what it is
        if chunk._absent & NESTS and (  # type: ignore[operator]
            data.count("{") + data.count("[") > MAX_DEPTH or _whole_completion(obj)
        ):
            # The long way measures the depth exactly (too_deep), and says what a whole
            # chat.completion is (its choices' "message" objects make it nest).
            return False
        choices = chunk.choices
        if not choices:
            for key in _OTHER_API_KEYS:
                if key in obj:
                    return False  # maybe another API's event: the long way looks (_data_api)
        else:
            # Most chunks change nothing here (choices already open, no finish_reason): only
            # the others are handed to _Finishes.
            unfinished = self._finishes.unfinished
            for c in choices:
                if c.finish_reason or c.index not in unfinished:
                    self._finishes.see(obj)
                    break
        self._out.append(chunk)
        return True

    def _plan(
        self, obj: dict[str, Any]
    ) -> tuple[list[tuple[tuple[Any, ...], Any]], bool, Any] | None:
        """The template plan for the chunk just built (``_out[-1]``, from ``obj``): its holes
        are the strings of its deltas and their tool calls' functions, the vendor strings of
        every level and ``obfuscation`` (``_TOP_HOLES``);
        ``whole``, a :class:`_Learned` copy of the chunk, which a match rebuilds with its
        strings (``fill_chunk``). Only for a chunk that changes nothing in ``_finishes``: each
        choice open and not finishing. The plans of the other templates always hold."""
        chunk = self._out[-1]
        choices = chunk.choices
        if choices:
            unfinished = self._finishes.unfinished
            for c in choices:
                if c.finish_reason or c.index not in unfinished:
                    return None
                if c.logprobs is not None:
                    return None  # a token and its alternatives: never the same text again
        holes: list[tuple[tuple[Any, ...], Any]] = []
        _typed_holes(obj, _TOP_HOLES, _TOP_KEYS, (), holes)
        for i, c in enumerate(obj.get("choices") or ()):
            _typed_holes(c, (), _CHOICE_KEYS, ("choices", i), holes)
            delta = c.get("delta")
            if type(delta) is dict:
                where = ("choices", i, "delta")
                _typed_holes(delta, _ANY, _DELTA_KEYS, where, holes)
                for j, call in enumerate(delta.get("tool_calls") or ()):
                    at: tuple[Any, ...] = (*where, "tool_calls", j)
                    _typed_holes(call, (), _TOOL_KEYS, at, holes)
                    fn = call.get("function")
                    if type(fn) is dict:
                        _typed_holes(fn, _ANY, _FUNCTION_KEYS, (*at, "function"), holes)
        return holes, True, _Learned(chunk)

    def _take_same(
        self, whole: Any, payloads: tuple[Any, ...], values: list[str], n: int, offset: int
    ) -> None:
        """A chunk that matched a template: the learned one rebuilt with the new strings
        (``fill_chunk``: each string is put in its fresh object before the object turns
        frozen, so no chunk is ever seen half made)."""
        spec = whole.spec
        if spec is None:
            spec = whole.ready(payloads)
        self._out.append(fill_chunk(whole.chunk, spec, values))


class CompletionChunkDecoder(_Decoder[CompletionChunk]):
    """:class:`ChunkDecoder` for a legacy Completions stream (``text_completion`` chunks):
    bytes -> ``CompletionChunk`` objects, with the same rules. A Chat Completions stream is
    another API's (strict raises at its first chunk; lenient skips its chunks, one warning)."""

    _kind = _LEGACY_KIND
    _chunk = CompletionChunk


# ---------------------------------------------------------------------------------------------
# Sources: what users hand us.

_END: Any = object()  # what read_block returns when a file has no more bytes

# What the entry points accept, as types (``chunkstream.Source``, ``chunkstream.AsyncSource``).
# Structural (``Protocol``): any object with the method fits, whatever its class.

#: One read: what a file's ``read`` or an iterator of reads may give.
Read: TypeAlias = bytes | bytearray | memoryview


class SupportsRead(Protocol):
    """A binary file object: ``read(n)`` returns bytes (``open(p, "rb")``, ``io.BytesIO``,
    ``http.client.HTTPResponse`` from ``urllib.request.urlopen``, requests' ``response.raw``,
    ``gzip.open``). A text file's ``read`` returns ``str`` and does not fit."""

    def read(self, size: int, /) -> Read: ...


class SupportsRead1(Protocol):
    """A buffered binary file object with only ``read1(n)`` (read when there is one: it returns
    what has arrived, where ``read(n)`` waits for ``n`` bytes)."""

    def read1(self, size: int, /) -> Read: ...


class SupportsFspath(Protocol):
    """A path (``os.PathLike``: ``pathlib.Path``): opened ``"rb"``, read, closed."""

    def __fspath__(self) -> str | bytes: ...


#: What :func:`assemble` and :func:`iter_chunks` read: a whole body (``bytes``, or ``str``: SSE
#: text, encoded as UTF-8), a binary file object, a path, or an iterable of reads (the response's
#: byte iterator). The iterable's items are bytes here: a text file is an iterable of ``str`` and
#: must not fit. (At run time ``str`` reads are taken too, for compatibility.)
Source: TypeAlias = (
    bytes | bytearray | memoryview | str | SupportsRead | SupportsRead1 | SupportsFspath
) | Iterable[Read]
#: What :func:`aassemble` and :func:`aiter_chunks` read: an async iterable of reads
#: (``response.aiter_bytes()``, aiohttp's ``response.content.iter_any()``).
AsyncSource: TypeAlias = AsyncIterable[Read]


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _as_read(item: Any) -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, str):
        return _encode(item)
    raise TypeError(
        f"expected reads of bytes (or str), got {type(item).__name__}; pass the response's "
        "byte iterator, e.g. response.iter_bytes()"
    )


# The names captures are usually saved under (a str source ending so gets the hint below).
_PLAIN_SUFFIXES = (".sse", ".txt", ".jsonl", ".ndjson", ".json", ".log", ".har", ".eventstream")
_CAPTURE_SUFFIXES = _PLAIN_SUFFIXES + tuple(
    s + z for s in _PLAIN_SUFFIXES for z in (".gz", ".bz2", ".xz")
)


def _looks_like_path(text: str) -> bool:
    """Whether a ``str`` source is a file's name rather than the stream's text.

    The rule never misreads SSE text: real SSE text has a line break (an event is read only
    once its line has ended), and a ``str`` with none holds no event at all, so it is only
    ever an error; this rule only decides whether that error suggests a path. Such a ``str``
    looks like a path when its last component ends in a capture's usual suffix (``.sse``,
    ``.txt``, ``.jsonl``, ...: :data:`_CAPTURE_SUFFIXES`) or it names an existing file."""
    if not text or "\n" in text or "\r" in text or "data:" in text or len(text) > 4096:
        return False
    name = text.rstrip().replace("\\", "/").rpartition("/")[2].lower()
    if name.endswith(_CAPTURE_SUFFIXES):
        return True
    import os.path  # only on this error path

    try:
        return os.path.isfile(text)
    except (OSError, ValueError):  # a NUL in it, a name too long for the OS
        return False


def _path_hint(text: str) -> ChunkError:
    """The error for a ``str`` source that is a file's name (see :func:`_looks_like_path`)."""
    name = shown(text, 300)
    return ChunkError(
        f"expected an event stream, got a str with no line break that looks like a file name: "
        f"{name}; did you mean Path({name}) or open({name}, 'rb')?",
        byte_offset=0,
    )


def _file_reads(file: Any) -> Generator[bytes, None, None]:
    """The reads of a file chunkstream opened (from a path), closed when reading ends: at its
    end, at ``[DONE]`` (see :func:`_release`), on an error, or when the generator is closed."""
    with file:
        read = file.read1
        while True:
            block = read(_READ_SIZE)
            if not block:
                return
            yield block


def _release(items: Iterator[Any]) -> None:
    """Close a file chunkstream opened from a path (a source of the caller's is left alone:
    closing it is the caller's business)."""
    if getattr(items, "gi_code", None) is _file_reads.__code__:
        items.close()  # type: ignore[attr-defined]


def _items(source: Any) -> Iterator[Any]:
    """bytes, str, a binary (or text) file object, a path, or an iterable of bytes -> an
    iterator of raw reads (checked by ``_as_read`` as they are taken). Its ``next()`` is the
    only place where the caller's source runs: the entry points tell its exceptions from their
    own by whether that is where one was raised (see :func:`_source_failed`).

    A path (``os.PathLike``) is opened here, so an error of opening it (``FileNotFoundError``,
    ``PermissionError``, ``IsADirectoryError``) is the OS's own, raised as it is, never taken
    for a transport fault; the file is read with ``read1`` and closed when reading ends."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return iter((source,))
    if isinstance(source, str):
        if _looks_like_path(source):
            raise _path_hint(source)
        return iter((source,))
    if hasattr(type(source), "__fspath__"):
        return _file_reads(open(source, "rb"))  # closed by _file_reads
    # read1() when there is one (binary files, http.client's response): it returns what has
    # arrived, where read(n) waits for n bytes: a live stream must not wait for 64 KiB more,
    # nor for a server that keeps the connection open after [DONE].
    read = getattr(source, "read1", None)
    if not callable(read):
        read = getattr(source, "read", None)
    if callable(read):

        def read_block() -> Any:
            block = read(_READ_SIZE)
            return block if block else _END

        return iter(read_block, _END)
    if isinstance(source, (AsyncIterable, AsyncIterator)) or hasattr(source, "__aiter__"):
        raise TypeError(
            "got an async iterable; use `await aassemble(...)` or `aiter_chunks(...)` for async "
            "sources"
        )
    try:
        return iter(source)
    except TypeError:
        raise TypeError(
            "expected bytes, str, a binary file, a path or an iterable of bytes, got "
            f"{type(source).__name__}"
        ) from None


def _check_async(source: Any) -> None:
    if not hasattr(source, "__aiter__"):
        raise TypeError(
            f"expected an async iterable of bytes (e.g. response.aiter_bytes()), got "
            f"{type(source).__name__}; use iter_chunks()/assemble() for sync sources"
        )


# ---------------------------------------------------------------------------------------------
# When the source itself fails (the connection dropped mid-body).

# Top-level packages whose exceptions are faults of the transport: the HTTP clients and the
# libraries under them. Read by name, never imported (chunkstream depends on none of them).
# httpx2/httpcore2: httpx's successor packages, which the openai SDK's recent versions use.
_TRANSPORT_PACKAGES = frozenset(
    (
        *("httpx", "httpcore", "httpx2", "httpcore2", "h11", "h2"),
        *("requests", "urllib3", "aiohttp", "anyio", "websockets"),
    )
)
# A caller's bug even when a client raises it (httpx.StreamConsumed is a RuntimeError, requests'
# StreamConsumedError a TypeError: the body was read twice).
_BUGS = (TypeError, AttributeError, NameError, AssertionError, RuntimeError)


def _is_transport_fault(exc: BaseException) -> bool:
    """Whether an exception raised by the source is a fault of the transport (the connection,
    the server, a timeout), which ends the input like the end of the body does, and not a bug
    in the caller's own code, which must never be turned into a warning.

    A transport fault is an ``Exception`` that is an ``OSError`` (``ConnectionResetError``,
    ``TimeoutError``, ``ssl.SSLError``, and ``requests.RequestException``, which subclasses
    ``IOError``), an ``EOFError`` (``asyncio.IncompleteReadError``), an
    ``http.client.HTTPException`` (``IncompleteRead``, urllib's errors), ``asyncio.TimeoutError``
    (not an ``OSError`` before 3.11), or any exception with a class in its MRO defined by a
    package in ``_TRANSPORT_PACKAGES`` (``httpx.RemoteProtocolError``,
    ``aiohttp.ClientPayloadError``, ``urllib3.exceptions.ProtocolError``: these derive from
    ``Exception`` only). The stdlib classes are looked up in ``sys.modules``: if their module
    is not loaded, no exception of theirs exists. Never one, even then: a ``TypeError``,
    ``AttributeError``, ``NameError``, ``AssertionError`` or ``RuntimeError`` (a client's
    "stream already consumed" is the caller's bug), nor a ``BaseException`` that is not an
    ``Exception`` (cancellation, ``KeyboardInterrupt``: never caught at all)."""
    if not isinstance(exc, Exception) or isinstance(exc, _BUGS):
        return False
    if isinstance(exc, (OSError, EOFError)):
        return True
    for module, name in (("http.client", "HTTPException"), ("asyncio.exceptions", "TimeoutError")):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    for cls in type(exc).__mro__:
        owner = getattr(cls, "__module__", None)
        if isinstance(owner, str) and owner.partition(".")[0] in _TRANSPORT_PACKAGES:
            return True
    return False


def _fault_text(exc: BaseException) -> str:
    """``httpx.RemoteProtocolError: peer closed connection ...``: the class by its public
    name (the module cut at its first private part), and its message on one line, cut short."""
    cls = type(exc)
    kept = []
    for part in str(getattr(cls, "__module__", "")).split("."):
        if not part or part.startswith("_") or part == "builtins":
            break
        kept.append(part)
    name = ".".join([*kept, cls.__qualname__])
    try:
        text = " ".join(str(exc)[:400].split())
    except Exception:  # never fail a message
        text = ""
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{name}: {text}" if text else name


def _failed_reason(exc: BaseException, core: _Core, complete: bool) -> str:
    if core.done:
        when = " after [DONE]"
    elif complete:
        when = " after every choice finished"
    elif not core.total:
        when = " before any byte arrived"
    else:
        when = " mid-stream"
    return f"the source failed{when}: {_fault_text(exc)}"


def _ended_by(
    exc: BaseException, core: _Core, close: Callable[[], Any], warnings: list[StreamWarning]
) -> tuple[Any, ChunkstreamError]:
    """End the input because the source failed with ``exc``: ``close()`` (every rule of the
    end of the input, on the bytes that arrived), with the fault as the reason it ended.

    Returns ``(result, error)``. ``result``: what ``close()`` returned, a located "truncated"
    warning naming the fault added to ``warnings``; ``None`` if ``close()`` raised. ``error``
    (always): the located :class:`TruncatedStreamError` that names the fault (with the
    ``partial`` and ``chunks`` of the error ``close()`` raised, if it did; the Assembler sets
    ``partial`` to ``result`` otherwise), or the error ``close()`` found in the bytes that did
    arrive (a body that is no event stream), which comes first in the stream."""
    try:
        result = close()
    except TruncatedStreamError as err:
        error = TruncatedStreamError(
            _failed_reason(exc, core, complete=False),
            held_back=err.held_back,
            chunk_index=core.count,
            byte_offset=core.total,
            partial=err.partial,
        )
        error.chunks = err.chunks
        return None, error
    except ChunkstreamError as err:
        return None, err
    pending = core.consumer._pending()
    complete = core.done or (pending is not None and not pending)
    reason = _failed_reason(exc, core, complete)
    n, offset = core.count, core.total
    # Always kept, even past max_warnings: it says why the input ended, once per stream.
    warnings.append(
        StreamWarning(kind="truncated", message=reason, chunk_index=n, byte_offset=offset)
    )
    return result, TruncatedStreamError(reason, chunk_index=n, byte_offset=offset)


def _attach(exc: BaseException, error: ChunkstreamError) -> None:
    """Hang chunkstream's located error on the source's own exception, which propagates
    unchanged (see :func:`truncation_of`); on 3.11+ a note says so in the traceback."""
    try:
        exc.chunkstream_error = error  # type: ignore[attr-defined]
    except Exception:  # an exception type that refuses attributes: nothing to hang it on
        return
    add_note = getattr(exc, "add_note", None)
    if add_note is None:
        return
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):  # the same exception raised again: one note, the latest
        notes[:] = [n for n in notes if not (isinstance(n, str) and n.startswith("chunkstream:"))]
    where = location(error.chunk_index, error.byte_offset)
    what = "chunkstream.truncation_of(exc)"
    what = (
        f"{what}.partial is the completion so far" if error.partial is not None else f"see {what}"
    )
    with suppress(Exception):
        add_note(f"chunkstream: the stream stopped{where}; {what}")


def truncation_of(exc: BaseException) -> ChunkstreamError | None:
    """The chunkstream error that stands for a source's exception, or ``None``.

    When the source of :func:`assemble`, :func:`aassemble`, :func:`iter_chunks` or
    :func:`aiter_chunks` raises (a dropped connection: ``httpx.RemoteProtocolError``,
    ``requests.exceptions.ChunkedEncodingError``, ...) and that exception propagates, it carries
    a located :class:`TruncatedStreamError` naming the fault, whose ``partial`` is the
    completion assembled so far (``None`` from the iterators, which yielded every chunk). Given
    that error itself (``wrap_source_errors=True``), returns it. The exception's causes and
    contexts are searched too, so an exception that wraps the client's still finds it. When
    the bytes that did arrive were already no event stream, the error is the one saying so."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 100:
        seen.add(id(current))
        attached = getattr(current, "chunkstream_error", None)
        if isinstance(attached, ChunkstreamError):
            return attached
        if isinstance(current, TruncatedStreamError):
            return current
        current = current.__cause__ or current.__context__
    return None


# ---------------------------------------------------------------------------------------------
# The entry points.


class _Chunks(Iterator[K]):
    """What :class:`ChunkIterator` and :class:`CompletionChunkIterator` share: all of it but
    the decoder they make."""

    _decoder: Callable[..., Any] = ChunkDecoder

    def __init__(
        self,
        reads: Any,
        strict: bool,
        max_event_bytes: int | None,
        max_warnings: int,
        wrap_source_errors: bool = False,
    ) -> None:
        self.decoder: _Decoder[K] = self._decoder(
            strict, max_event_bytes=max_event_bytes, max_warnings=max_warnings
        )
        # It stops reading at [DONE]: how many events after it shared the last read depends on
        # where the reads were cut, so they are not counted (as in assemble()).
        self.decoder._report_after_done = False
        # The generator is given the decoder, not self: a generator holding self, held by self,
        # is a cycle that only the garbage collector frees, so a loop left by `break` (or an
        # iterator dropped) kept a file opened from a path open until it ran.
        self._chunks = self._run(self.decoder, reads, wrap_source_errors)

    @property
    def warnings(self) -> list[StreamWarning]:
        return self.decoder.warnings

    @property
    def done(self) -> bool:
        """Whether ``[DONE]`` arrived."""
        return self.decoder.done

    def __iter__(self) -> Iterator[K]:
        # A for loop drives the inner generator directly (no Python-level __next__ per chunk);
        # next(it) works too.
        return self._chunks

    def __next__(self) -> K:
        return next(self._chunks)

    def close(self) -> None:
        """Stop early (closes the inner generator; the reads are not consumed further)."""
        self._chunks.close()

    @staticmethod
    def _run(decoder: _Decoder[K], reads: Any, wrap: bool) -> Generator[K, None, None]:
        items = _items(reads)
        decoder._core.whole = isinstance(reads, (bytes, bytearray, memoryview, str))
        inside = False  # in chunkstream's own code: an exception raised now is not the source's
        try:
            for item in items:
                inside = True
                yield from decoder.feed(_as_read(item))
                if decoder.done:
                    break
                inside = False
            inside = True
            _release(items)
            yield from decoder.close()
            return
        except Exception as exc:
            if inside:
                if isinstance(exc, ChunkstreamError):
                    # The chunks that came before the error in the same read are still
                    # yielded, so what arrives before an error does not depend on where the
                    # reads were cut.
                    yield from cast("list[K]", exc.chunks)
                raise
            failed = exc
        finally:
            _release(items)
        chunks, error = _ended_by(failed, decoder._core, decoder.close, decoder.warnings)
        yield from cast("list[K]", error.chunks if chunks is None else chunks)
        if _source_failed(failed, chunks, error, decoder.strict, wrap):
            return
        raise failed


class ChunkIterator(_Chunks[ChatCompletionChunk]):
    """What :func:`iter_chunks` returns: an iterator of chunks that also keeps the
    :class:`ChunkDecoder`'s ``warnings`` (what lenient mode skipped, located) and ``done``."""

    decoder: ChunkDecoder


class CompletionChunkIterator(_Chunks[CompletionChunk]):
    """What :func:`iter_completion_chunks` returns: :class:`ChunkIterator` for a legacy
    Completions stream (its :class:`CompletionChunkDecoder`'s ``warnings`` and ``done``)."""

    _decoder = CompletionChunkDecoder
    decoder: CompletionChunkDecoder


class _AsyncChunks(AsyncIterator[K]):
    """What :class:`AsyncChunkIterator` and :class:`AsyncCompletionChunkIterator` share."""

    _decoder: Callable[..., Any] = ChunkDecoder

    def __init__(
        self,
        reads: Any,
        strict: bool,
        max_event_bytes: int | None,
        max_warnings: int,
        wrap_source_errors: bool = False,
    ) -> None:
        self.decoder: _Decoder[K] = self._decoder(
            strict, max_event_bytes=max_event_bytes, max_warnings=max_warnings
        )
        self.decoder._report_after_done = False  # as in ChunkIterator
        self._chunks = self._run(self.decoder, reads, wrap_source_errors)  # as in ChunkIterator

    @property
    def warnings(self) -> list[StreamWarning]:
        return self.decoder.warnings

    @property
    def done(self) -> bool:
        return self.decoder.done

    def __aiter__(self) -> _AsyncChunks[K]:
        return self

    async def __anext__(self) -> K:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    @staticmethod
    async def _run(decoder: _Decoder[K], reads: Any, wrap: bool) -> AsyncGenerator[K, None]:
        _check_async(reads)
        inside = False  # as in ChunkIterator
        try:
            async for item in reads:
                inside = True
                for chunk in decoder.feed(_as_read(item)):
                    yield chunk
                if decoder.done:
                    break
                inside = False
            inside = True
            for chunk in decoder.close():
                yield chunk
            return
        except Exception as exc:
            if inside:
                if isinstance(exc, ChunkstreamError):
                    for chunk in cast("list[K]", exc.chunks):  # as in ChunkIterator
                        yield chunk
                raise
            failed = exc
        chunks, error = _ended_by(failed, decoder._core, decoder.close, decoder.warnings)
        for chunk in cast("list[K]", error.chunks if chunks is None else chunks):
            yield chunk
        if _source_failed(failed, chunks, error, decoder.strict, wrap):
            return
        raise failed


class AsyncChunkIterator(_AsyncChunks[ChatCompletionChunk]):
    """What :func:`aiter_chunks` returns: :class:`ChunkIterator`, async."""

    decoder: ChunkDecoder


class AsyncCompletionChunkIterator(_AsyncChunks[CompletionChunk]):
    """What :func:`aiter_completion_chunks` returns: :class:`CompletionChunkIterator`, async."""

    _decoder = CompletionChunkDecoder
    decoder: CompletionChunkDecoder


def _source_failed(
    exc: Exception, result: Any, error: ChunkstreamError, strict: bool, wrap: bool
) -> bool:
    """The rule for a source that raised ``exc``, after ``_ended_by`` ended the input (its
    ``result`` and ``error``). True: the entry point returns ``result`` (a transport fault,
    lenient or after the stream was complete: the warning names it). Raises ``error from exc``
    (a transport fault, strict with ``wrap_source_errors``, or lenient when the bytes that
    arrived were no event stream). False: the caller re-raises ``exc`` itself, unchanged, with
    ``error`` attached (strict by default, so that ``except httpx.TransportError`` still
    works; and any exception that is no transport fault, in both modes: a bug is not a
    warning)."""
    if _is_transport_fault(exc):
        if result is not None:
            return True
        if wrap or not strict:
            raise error from exc
    _attach(exc, error)
    return False


def iter_chunks(
    reads: Source,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> ChunkIterator:
    """Yield the chunks of a stream given as reads (``response.iter_bytes()``), bytes, str, a
    binary file or a path (:data:`Source`, as for :func:`assemble`; a path is opened when the
    first chunk is asked for). Stops reading at ``[DONE]``. See :class:`ChunkDecoder` for
    strict/lenient; the returned iterator's ``warnings`` list what lenient mode tolerated.

    When the source raises (a dropped connection), see :func:`assemble`: lenient stops with a
    "truncated" warning, strict re-raises the client's exception with
    :func:`truncation_of` attached (``wrap_source_errors=True``: raises
    :class:`TruncatedStreamError` instead)."""
    return ChunkIterator(reads, strict, max_event_bytes, max_warnings, wrap_source_errors)


def aiter_chunks(
    reads: AsyncSource,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> AsyncChunkIterator:
    """Async :func:`iter_chunks` for an async iterable of bytes (``response.aiter_bytes()``)."""
    return AsyncChunkIterator(reads, strict, max_event_bytes, max_warnings, wrap_source_errors)


def iter_completion_chunks(
    reads: Source,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> CompletionChunkIterator:
    """:func:`iter_chunks` for a legacy Completions stream: its ``CompletionChunk`` objects,
    by the same rules."""
    return CompletionChunkIterator(reads, strict, max_event_bytes, max_warnings, wrap_source_errors)


def aiter_completion_chunks(
    reads: AsyncSource,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> AsyncCompletionChunkIterator:
    """Async :func:`iter_completion_chunks` for an async iterable of bytes."""
    return AsyncCompletionChunkIterator(
        reads, strict, max_event_bytes, max_warnings, wrap_source_errors
    )


class _Merger:
    """An :class:`Assembler`'s consumer (:class:`_Consumer`): the core's chunks are merged
    into its Accumulator, which also answers the core's questions. Its members are the
    Accumulator's bound methods, not wrappers around them: ``_take_fast`` runs once per
    chunk, and a wrapper would add a call to each."""

    __slots__ = (
        "_partial",
        "_pending",
        "_plan",
        "_runs",
        "_take_chunk",
        "_take_fast",
        "_take_same",
        "_warn",
    )

    _raise_upstream = False  # a provider's error is merged: the Accumulator decides
    _report_after_done = False  # reading stops at [DONE] (feed() ignores what comes after)

    def __init__(self, acc: Accumulator) -> None:
        self._take_fast = acc._take
        self._take_chunk = acc._merge
        self._plan = acc._plan
        self._take_same = acc._take_same
        self._runs = acc._runs
        self._warn = acc.warn
        self._partial = acc.snapshot
        self._pending = acc.pending_choices

    def _untracked(self) -> bool:
        return False  # the Accumulator tracks every choice it keeps (max_choices refuses more)


R = TypeVar("R", bound=ChatCompletion | Completion)


class _Assembly(Generic[R]):
    """What :class:`Assembler` and :class:`CompletionAssembler` share: all of it. They differ
    in their accumulator (the family it assembles) and the family their core reads."""

    _accumulator: type[Accumulator] = Accumulator
    _kind = _CHAT_KIND

    def __init__(
        self,
        strict: bool = True,
        *,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        created_tolerance: int = 600,
        max_choices: int = DEFAULT_MAX_CHOICES,
        max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
        max_warnings: int = DEFAULT_MAX_WARNINGS,
    ) -> None:
        self.strict = strict
        self._acc = acc = self._accumulator(
            strict,
            created_tolerance=created_tolerance,
            max_choices=max_choices,
            max_tool_calls=max_tool_calls,
            max_warnings=max_warnings,
        )
        self._core = _Core(strict, max_event_bytes, _Merger(acc), self._kind)
        self._result: R | None = None
        self._aborted = False  # abort() was called
        self._abort_error: ChunkstreamError | None = None  # what it raised

    @property
    def done(self) -> bool:
        """Whether ``[DONE]`` arrived."""
        return self._core.done

    @property
    def warnings(self) -> list[StreamWarning]:
        """What lenient mode tolerated so far, located."""
        return self._acc.warnings

    def feed(self, data: bytes) -> int:
        if self._result is not None or self._aborted:
            ended = "abort()" if self._aborted else "close()"
            name = type(self).__name__
            raise RuntimeError(f"{name}.feed() called after {ended}; use a new {name}")
        before = self._core.count
        self._core.feed(_as_read(data))
        return self._core.count - before

    def snapshot(self) -> R:
        # Not cast(): a call per snapshot (a live display takes one per read).
        return self._acc.snapshot()  # type: ignore[return-value]

    def close(self) -> R:
        """End the input; the final completion (a second call returns it again; after
        ``abort()``, what it returned or raised)."""
        if self._abort_error is not None:
            raise self._abort_error
        if self._result is None:
            self._core.close()
            self._result = cast(R, self._acc.close())
        return self._result

    def abort(self, exc: BaseException) -> R:
        """The source failed with ``exc`` (a dropped connection): end the input here.

        Every rule of :meth:`close` applies to the bytes that arrived, and the fault is the
        reason the input ended. Lenient: returns the completion so far, with a "truncated"
        warning naming the fault, located at the next chunk number and the bytes received.
        Strict: if the stream was already complete (``[DONE]``, or every choice finished),
        returns it with that warning; otherwise raises :class:`TruncatedStreamError` naming
        the fault, ``from exc``, with ``partial``. Afterwards ``feed()`` raises
        ``RuntimeError`` and ``close()`` returns (or raises) the same again.

        ``exc`` is judged by :func:`assemble`'s rule, so ``except Exception as exc:
        asm.abort(exc)`` hides no bug: an exception that is no transport fault (a
        ``TypeError`` in your code, ``KeyboardInterrupt``) is raised again unchanged, the
        Assembler left as it was; an ``Exception`` among them carries the completion so far
        (:func:`truncation_of`)."""
        if self._result is not None or self._aborted:
            raise RuntimeError(
                f"{type(self).__name__}.abort() called after the input ended (close() or abort())"
            )
        if not _is_transport_fault(exc):
            if isinstance(exc, Exception):
                core = self._core
                _attach(
                    exc,
                    TruncatedStreamError(
                        _failed_reason(exc, core, complete=False),
                        chunk_index=core.count,
                        byte_offset=core.total,
                        partial=self._acc.snapshot(),
                    ),
                )
            raise exc
        self._aborted = True
        result, error = self._end(exc)
        if result is not None:
            return result
        self._abort_error = error
        if isinstance(error, TruncatedStreamError):
            raise error from exc
        raise error

    def _source_raised(self, exc: Exception, wrap: bool) -> R:
        """:func:`assemble`'s source raised ``exc`` (the rule: :func:`_source_failed`): the
        completion so far, or ``exc`` raised again with the located error attached, or that
        error raised ``from exc``."""
        result, error = self._end(exc)
        if _source_failed(exc, result, error, self.strict, wrap):
            assert result is not None
            return result
        raise exc

    def _end(self, exc: BaseException) -> tuple[R | None, ChunkstreamError]:
        """``_ended_by`` for an Assembler: the completion, or the error carrying ``partial``."""
        acc = self._acc

        def close() -> ChatCompletion:
            self._core.close()
            return acc.snapshot()  # not final yet: the fault's warning comes after

        result, error = _ended_by(exc, self._core, close, acc.warnings)
        # The fault's warning went into the list itself (kept past max_warnings), not through
        # warn(): the top level's kept state for snapshots must go too.
        acc.snap = None
        if result is not None:
            result = self._result = cast(R, acc.close())
            error.partial = cast("ChatCompletion", result)  # see ChunkstreamError: its type
        return result, error


class Assembler(_Assembly[ChatCompletion]):
    """:func:`assemble`, incrementally and sans-IO: feed it reads as they arrive, look at the
    completion so far at any time.

    ``feed(read)`` returns how many chunks that read completed; ``snapshot()`` is the completion
    so far (cheap: text is joined only when read), ``close()`` ends the input and returns the
    final completion, with every rule of :func:`assemble` (strict raises, each error carrying
    ``partial``; lenient records ``warnings``). After ``[DONE]`` (``done``), reads are ignored.
    ``abort(exc)`` ends the input because the source failed (a dropped connection).
    """


class CompletionAssembler(_Assembly[Completion]):
    """:class:`Assembler` for a legacy Completions stream (``/v1/completions``,
    ``text_completion`` chunks): the same methods and rules, giving a :class:`Completion`
    (:func:`assemble_completion`). It has no ``max_tool_calls`` (a legacy choice has no tool
    calls). A Chat Completions stream is another API's: strict raises at its first chunk,
    lenient skips its chunks with one warning."""

    _accumulator = CompletionAccumulator
    _kind = _LEGACY_KIND

    def __init__(
        self,
        strict: bool = True,
        *,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        created_tolerance: int = 600,
        max_choices: int = DEFAULT_MAX_CHOICES,
        max_warnings: int = DEFAULT_MAX_WARNINGS,
    ) -> None:
        super().__init__(
            strict,
            max_event_bytes=max_event_bytes,
            created_tolerance=created_tolerance,
            max_choices=max_choices,
            max_warnings=max_warnings,
        )


def assemble(
    source: Source,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    created_tolerance: int = 600,
    max_choices: int = DEFAULT_MAX_CHOICES,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> ChatCompletion:
    """Assemble a whole stream into its ``ChatCompletion``.

    ``source`` (:data:`Source`): bytes, str (SSE text), a binary file object (read with
    ``read1`` when it has one), a path (``pathlib.Path``: opened ``"rb"``, closed when reading
    ends; an error of opening it is the OS's own ``FileNotFoundError``...), or any iterable of
    bytes (``response.iter_bytes()``, ``response.iter_content()``). A ``str`` with no line break
    that looks like a file name raises :class:`ChunkError` suggesting ``Path(...)``. Reading
    stops at ``[DONE]``.
    strict (default) raises :class:`ChunkstreamError` subclasses, each carrying ``partial``;
    ``strict=False`` never raises for a bad or inconsistent stream (only for a body that is no
    event stream at all) and records warnings on ``completion.warnings``.
    See :class:`Assembler` to feed reads yourself and look at the completion as it grows.

    When the source itself raises (a dropped connection): a transport fault (``OSError``,
    ``http.client.HTTPException``, an HTTP client's own errors) ends the input, like
    :meth:`Assembler.abort`: lenient returns the completion so far with a "truncated" warning
    naming it; strict re-raises the client's exception unchanged, with the located
    :class:`TruncatedStreamError` (``partial``) attached (:func:`truncation_of`), or raises that
    error itself with ``wrap_source_errors=True``. Any other exception (a bug in your source)
    propagates unchanged in both modes, with the error attached.
    """
    assembler = Assembler(
        strict,
        max_event_bytes=max_event_bytes,
        created_tolerance=created_tolerance,
        max_choices=max_choices,
        max_tool_calls=max_tool_calls,
        max_warnings=max_warnings,
    )
    return _run(assembler, source, wrap_source_errors)


def _run(assembler: _Assembly[R], source: Source, wrap_source_errors: bool) -> R:
    """Feed ``source`` to ``assembler`` up to ``[DONE]``: the body of :func:`assemble` and
    :func:`assemble_completion`."""
    feed = assembler._core.feed
    items = _items(source)
    assembler._core.whole = isinstance(source, (bytes, bytearray, memoryview, str))
    # True while chunkstream's own code runs: an exception raised then is never taken for the
    # source's. Two stores per read; a try around the pull alone would cost more per read.
    inside = False
    try:
        for item in items:
            inside = True
            feed(_as_read(item))
            if assembler.done:
                break
            inside = False
    except Exception as exc:
        if inside:
            raise
        return assembler._source_raised(exc, wrap_source_errors)
    finally:
        _release(items)
    return assembler.close()


async def aassemble(
    source: AsyncSource,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    created_tolerance: int = 600,
    max_choices: int = DEFAULT_MAX_CHOICES,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> ChatCompletion:
    """Async :func:`assemble` for an async iterable of bytes (``response.aiter_bytes()``)."""
    assembler = Assembler(
        strict,
        max_event_bytes=max_event_bytes,
        created_tolerance=created_tolerance,
        max_choices=max_choices,
        max_tool_calls=max_tool_calls,
        max_warnings=max_warnings,
    )
    return await _arun(assembler, source, wrap_source_errors)


async def _arun(assembler: _Assembly[R], source: AsyncSource, wrap_source_errors: bool) -> R:
    """:func:`_run` for an async source: the body of :func:`aassemble` and
    :func:`aassemble_completion`."""
    feed = assembler._core.feed
    _check_async(source)
    inside = False  # as in assemble()
    try:
        async for item in source:
            inside = True
            feed(_as_read(item))
            if assembler.done:
                break
            inside = False
    except Exception as exc:
        if inside:
            raise
        return assembler._source_raised(exc, wrap_source_errors)
    return assembler.close()


def assemble_completion(
    source: Source,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    created_tolerance: int = 600,
    max_choices: int = DEFAULT_MAX_CHOICES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> Completion:
    """:func:`assemble` for a legacy Completions stream (``/v1/completions``: chunks with
    ``"object": "text_completion"``, each choice carrying a piece of ``text`` and legacy
    ``logprobs``): the assembled :class:`Completion`, by the same rules (consistency, strict
    and lenient, located errors, limits, the source's failures). A Chat Completions stream
    raises :class:`ChunkError` naming :func:`assemble` (lenient: its chunks are skipped, with
    one warning)."""
    assembler = CompletionAssembler(
        strict,
        max_event_bytes=max_event_bytes,
        created_tolerance=created_tolerance,
        max_choices=max_choices,
        max_warnings=max_warnings,
    )
    return _run(assembler, source, wrap_source_errors)


async def aassemble_completion(
    source: AsyncSource,
    *,
    strict: bool = True,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    created_tolerance: int = 600,
    max_choices: int = DEFAULT_MAX_CHOICES,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
    wrap_source_errors: bool = False,
) -> Completion:
    """Async :func:`assemble_completion` for an async iterable of bytes."""
    assembler = CompletionAssembler(
        strict,
        max_event_bytes=max_event_bytes,
        created_tolerance=created_tolerance,
        max_choices=max_choices,
        max_warnings=max_warnings,
    )
    return await _arun(assembler, source, wrap_source_errors)
