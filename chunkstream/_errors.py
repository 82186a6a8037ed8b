# SPDX-License-Identifier: MIT
"""Errors and warnings: one base class, a few subclasses, and the located warning record.

Every layer imports this module; it imports nothing of chunkstream. Messages are API: they are
shaped ``<what was wrong> at <path>, got <value> (chunk 3, byte 512)`` and never embed more than
a short prefix of a value.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: the errors layer imports nothing at run time
    from ._models import ChatCompletion, ChatCompletionChunk

__all__ = [
    "DEFAULT_MAX_WARNINGS",
    "ChunkError",
    "ChunkstreamError",
    "InconsistentStreamError",
    "InvalidJSONError",
    "SSEError",
    "StreamWarning",
    "TruncatedStreamError",
    "UpstreamError",
    "Warnings",
    "describe",
    "dropped_summary",
    "error_text",
    "location",
    "shown",
]

_SHORT = 60  # characters of a value shown in a message
_JSON_NAMES = {dict: "object", list: "list", str: "str", int: "int", float: "float", bool: "bool"}


_REPRS: dict[int, Any] = {}  # limit -> the reprlib.Repr that cuts values to it


def shown(value: Any, limit: int = _SHORT) -> str:
    """``repr(value)`` cut short: strings and other values to ``limit`` characters (the start,
    ``...``, the end), integers to 40 digits at most, containers to 4 items and 2 levels and
    ``2 * limit`` characters in all.

    Huge values cost nothing here: the repr is built with limits (``reprlib``), never in full;
    and it never fails (an int past ``sys.get_int_max_str_digits()`` has no repr).
    """
    if type(value) is str and len(value) <= limit:
        text = repr(value)  # what reprlib gives a string whose repr fits
        if len(text) <= limit:
            return text
    r = _REPRS.get(limit)
    if r is None:
        import reprlib  # imported on the error path only; nothing is imported for the happy path

        r = reprlib.Repr()
        r.maxstring = r.maxother = limit
        r.maxlong = min(limit, 40)  # digits of an int
        r.maxlist = r.maxdict = r.maxtuple = 4
        r.maxlevel = 2
        _REPRS[limit] = r  # its settings are never changed again: shared by every thread
    try:
        text = r.repr(value)
    except Exception:  # never fail a message
        return f"<{type(value).__name__} that cannot be shown>"
    # Each item of a container is cut short, but 4 items of 4 entries of long strings still
    # make a long line: the whole is cut too.
    return text if len(text) <= 2 * limit else text[: 2 * limit - 3] + "..."


def describe(value: Any) -> str:
    """Name a JSON value's type and show a short prefix of it: ``int 5``, ``str 'abc'``, ``null``
    (see :func:`shown`)."""
    if value is None:
        return "null"
    name = _JSON_NAMES.get(type(value), type(value).__name__)
    return f"{name} {shown(value)}"


def error_text(error: Any) -> str:
    """A short human line for a provider's error payload."""
    if type(error) is dict:
        message = error.get("message")
        if type(message) is str and message:
            code = error.get("code")
            shows = code is not None and type(code) in (str, int)
            suffix = f" (code {shown(code)})" if shows else ""
            text = message if len(message) <= 200 else message[:197] + "..."
            return text + suffix
    if type(error) is str:
        return error if len(error) <= 200 else error[:197] + "..."
    return describe(error)


def location(chunk_index: int | None, byte_offset: int | None) -> str:
    """The ``(chunk 3, byte 512)`` suffix of a message; empty when nothing is known."""
    parts = []
    if chunk_index is not None:
        parts.append(f"chunk {chunk_index}")
    if byte_offset is not None:
        parts.append(f"byte {byte_offset}")
    return f" ({', '.join(parts)})" if parts else ""


def _restore(cls: type[ChunkstreamError], state: dict[str, Any]) -> ChunkstreamError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    exc.args = (str(exc),)
    return exc


class ChunkstreamError(Exception):
    """Base class of every error chunkstream raises.

    Attributes (``None`` when unknown): ``reason`` (the message without its location),
    ``chunk_index`` (0-based number of the chunk), ``byte_offset`` (0-based offset in the raw
    stream of the event's first line), ``path`` (JSON path such as ``.choices[0].delta``) and
    ``partial`` (the :class:`ChatCompletion` assembled before the error, when there is one;
    from the legacy entry points, ``assemble_completion`` and its siblings, a
    :class:`Completion`: the annotation keeps chat code's checks exact, so legacy code casts)
    and ``chunks`` (from :class:`ChunkDecoder`: the chunks completed before the error, which
    its ``feed()``/``close()`` could not return; ``CompletionChunk`` objects from a
    ``CompletionChunkDecoder``). Errors pickle with all their attributes.
    """

    def __init__(
        self,
        reason: str,
        *,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        self.reason = reason
        self.chunk_index = chunk_index
        self.byte_offset = byte_offset
        self.path = path
        self.partial: ChatCompletion | None = partial
        # ChunkDecoder: chunks completed before the error
        self.chunks: list[ChatCompletionChunk] = []
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.reason + location(self.chunk_index, self.byte_offset)

    def locate(self, chunk_index: int | None, byte_offset: int | None) -> None:
        """Fill in the chunk number and byte offset where they are not known yet."""
        if self.chunk_index is None:
            self.chunk_index = chunk_index
        if self.byte_offset is None:
            self.byte_offset = byte_offset
        self.args = (str(self),)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), dict(self.__dict__)))

    # Jupyter's rich display of an error kept in a variable (``_display``, imported only when a
    # notebook asks): type, message, where, the provider's payload, the partial completion.
    def _repr_html_(self) -> str:
        from ._display import error_html

        return error_html(self)

    def _repr_markdown_(self) -> str:
        from ._display import error_markdown

        return error_markdown(self)


class SSEError(ChunkstreamError, ValueError):
    """A limit of the Server-Sent Events decoder was broken (``max_event_bytes``).

    ``limit`` is the limit, ``size`` the size reached. ``events`` holds the events that the same
    read completed (the oversized event is skipped, the rest of the read is not lost); the decoder
    stays usable and goes on after the oversized event. ``skipped`` lists the byte offsets of
    every event that read skipped for its size, in order (the first is ``byte_offset``).
    """

    def __init__(
        self,
        reason: str,
        *,
        limit: int,
        size: int,
        events: list[Any] | None = None,
        byte_offset: int | None = None,
        skipped: list[int] | None = None,
    ) -> None:
        self.limit = limit
        self.size = size
        self.events = [] if events is None else events
        if skipped is None:
            skipped = [] if byte_offset is None else [byte_offset]
        self.skipped = skipped
        super().__init__(reason, byte_offset=byte_offset)


class ChunkError(ChunkstreamError, ValueError):
    """An event's data is not JSON, or not a valid ``chat.completion.chunk``; or a body is not an
    event stream at all; or an object given to a class's ``from_dict`` does not fit it
    (``path`` names the value)."""


class InvalidJSONError(ChunkError):
    """A JSON text that is not valid JSON: tool-call ``arguments`` read as data
    (``FunctionCall.parse_arguments``), or the text fed to a :class:`PartialJSON` reader.

    ``position`` is the 0-based character offset in the text where it stops being JSON (``None``
    when the text is valid JSON of the wrong kind, such as arguments that are not an object).
    """

    def __init__(self, reason: str, *, position: int | None, path: str | None = None) -> None:
        self.position = position
        super().__init__(reason, path=path)


class InconsistentStreamError(ChunkstreamError, ValueError):
    """The chunks do not describe one coherent response (strict mode).

    ``field`` names what conflicted; ``held`` is the value kept so far, ``got`` the conflicting one.
    """

    def __init__(
        self,
        reason: str,
        *,
        field: str,
        held: Any = None,
        got: Any = None,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        self.field = field
        self.held = held
        self.got = got
        super().__init__(
            reason, chunk_index=chunk_index, byte_offset=byte_offset, path=path, partial=partial
        )


class TruncatedStreamError(ChunkstreamError, ValueError):
    """The input ended before the stream was complete (strict mode).

    ``held_back`` is the number of bytes of an unfinished event that were not used (0 when the
    input simply stopped between events).
    """

    def __init__(
        self,
        reason: str,
        *,
        held_back: int = 0,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        self.held_back = held_back
        super().__init__(reason, chunk_index=chunk_index, byte_offset=byte_offset, partial=partial)


class UpstreamError(ChunkstreamError):
    """The provider reported an error inside the stream (or sent an error body instead of one).

    ``error`` is the provider's payload: the value of the ``error`` key (a bare string stays a
    string), or for an ``event: error`` block the parsed data's ``error`` if it has one, else the
    parsed data. ``partial`` is the completion assembled up to and including that event.
    """

    def __init__(
        self,
        reason: str,
        *,
        error: Any,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        self.error = error
        super().__init__(reason, chunk_index=chunk_index, byte_offset=byte_offset, partial=partial)


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamWarning:
    """Something chunkstream tolerated and wants you to know: where, and what.

    ``kind`` is a short stable tag (``"inconsistent"``, ``"invalid_chunk"``, ``"upstream_error"``,
    ``"truncated"``, ``"ignored"``, ``"late_delta"``, ...); ``field`` names the field concerned
    when there is one.
    """

    kind: str
    message: str
    chunk_index: int | None = None
    byte_offset: int | None = None
    path: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.message + location(self.chunk_index, self.byte_offset)


# StreamWarning(kind=..., ...) as its __init__ makes it, for the warnings chunkstream records
# (a hostile stream may bring one in every chunk): each slot set through its descriptor, which
# is what the frozen dataclass's __init__ does through object.__setattr__, at half the cost.
_WARNING_FIELDS = ("kind", "message", "chunk_index", "byte_offset", "path", "field")
assert tuple(f.name for f in fields(StreamWarning)) == _WARNING_FIELDS
_set_kind, _set_message, _set_chunk, _set_offset, _set_path, _set_field = (
    StreamWarning.__dict__[name].__set__ for name in _WARNING_FIELDS
)


def _warning(
    kind: str,
    message: str,
    chunk_index: int | None,
    byte_offset: int | None,
    path: str | None,
    field: str | None,
) -> StreamWarning:
    w = object.__new__(StreamWarning)
    _set_kind(w, kind)
    _set_message(w, message)
    _set_chunk(w, chunk_index)
    _set_offset(w, byte_offset)
    _set_path(w, path)
    _set_field(w, field)
    return w


#: Warnings kept per stream; past it they are counted by kind (one hostile stream must not make
#: a million warning objects).
DEFAULT_MAX_WARNINGS = 1000


def dropped_summary(dropped: dict[str, int], limit: int) -> StreamWarning:
    """The one warning that stands for the warnings not kept over ``limit``."""
    counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(dropped.items()))
    return StreamWarning(
        kind="warnings_dropped",
        message=f"{sum(dropped.values())} more warning(s) not kept, over max_warnings "
        f"({limit}); by kind: {counts}",
    )


class Warnings:
    """The warnings policy of one stream, written once (the accumulator and ``ChunkDecoder``
    use it): keep the first ``limit`` warnings in ``kept``; past it count them by kind in
    ``dropped``; ``all()`` ends the kept ones with the one warning that says how many were not
    kept (:func:`dropped_summary`)."""

    __slots__ = ("dropped", "kept", "limit")

    def __init__(self, limit: int = DEFAULT_MAX_WARNINGS) -> None:
        self.limit = limit
        self.kept: list[StreamWarning] = []
        self.dropped: dict[str, int] = {}

    def add(
        self,
        kind: str,
        message: str,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
        field: str | None = None,
    ) -> None:
        """Record a warning located by ``chunk_index``, ``byte_offset``, ``path`` and ``field``
        (see :class:`StreamWarning`); past ``limit``, count it under its kind."""
        if len(self.kept) >= self.limit:
            self.dropped[kind] = self.dropped.get(kind, 0) + 1
            return
        self.kept.append(_warning(kind, message, chunk_index, byte_offset, path, field))

    def summary(self) -> StreamWarning | None:
        """The warning standing for those not kept (``None``: every warning was kept)."""
        return dropped_summary(self.dropped, self.limit) if self.dropped else None

    def all(self) -> tuple[StreamWarning, ...]:
        """The kept warnings, then the summary of those not kept if any."""
        summary = self.summary()
        kept = tuple(self.kept)
        return kept if summary is None else (*kept, summary)


class KeepsWarnings:
    """The warnings API of a class that keeps its warnings by a :class:`Warnings` policy in
    ``_warnings`` (``Accumulator``, ``ChunkDecoder``)."""

    __slots__ = ()
    _warnings: Warnings

    @property
    def warnings(self) -> list[StreamWarning]:
        """What was tolerated so far, located: the first ``max_warnings`` warnings (at the end,
        one more says how many were not kept)."""
        return self._warnings.kept

    @property
    def warnings_dropped(self) -> dict[str, int]:
        """How many warnings past ``max_warnings`` were not kept, by kind."""
        return self._warnings.dropped

    @property
    def max_warnings(self) -> int:
        """How many warnings are kept."""
        return self._warnings.limit

    @max_warnings.setter
    def max_warnings(self, limit: int) -> None:
        self._warnings.limit = limit


def deprecated(message: str, stacklevel: int) -> None:
    """A ``DeprecationWarning`` pointing at the user's line (``stacklevel`` counts from the
    caller of this function), for a name kept one version after it moved."""
    import warnings  # only here: a deprecated call is the only user

    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel + 1)
