# SPDX-License-Identifier: MIT
"""Mock streaming responses for the tests of code that reads OpenAI-compatible streams.

A :class:`MockStream` is a request handler: give it to ``httpx.MockTransport`` (or respx's
``side_effect``, or pytest-httpx's ``add_callback``) and every request gets a fresh
``text/event-stream`` response that replays one body: a completion encoded as a provider
would stream it, a recording, or events you write. It can send the body event by event or in
reads of any size (1 byte shakes out most bugs), at a pace, drop the connection after some
events or bytes (raising the HTTP client's own ``RemoteProtocolError`` mid-body, as a real drop
does), or answer with an HTTP error status instead; it records the requests it answered.

Nothing here is imported with ``chunkstream``, and this module imports no HTTP client: a
response is built with the classes of the package the request came from (``httpx``, or
``httpx2``, which recent openai SDKs use), and ``MockStream.transport()`` imports ``httpx``
when it is called.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from . import ChatCompletion, ChatCompletionChunk, iter_encode

__all__ = ["DONE", "MockStream", "error_event", "events"]

DONE = b"data: [DONE]\n\n"
"""The event that ends an OpenAI stream."""

# What a body may be given as (see :func:`events`).
Event = bytes | bytearray | memoryview | str | Mapping[str, Any] | ChatCompletionChunk
Body = ChatCompletion | Mapping[str, Any] | bytes | bytearray | memoryview | str | os.PathLike[str]

# The message a real drop of a chunked body gives: h11's ChunkedReader.read_eof, passed on by
# httpcore and httpx as their RemoteProtocolError with the same text.
DROP_MESSAGE = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)

# An event ends at a blank line: a line end (CRLF, CR or LF; WHATWG HTML §9.2.6) right after
# another one.
_EVENT_END = re.compile(rb"(?:\r\n|\r|\n)(?:\r\n|\r|\n)")


def _compact(obj: Any) -> bytes:
    """``obj`` as compact JSON, UTF-8 as providers send it (``\\u`` escapes if a string holds a
    lone surrogate, which UTF-8 cannot carry)."""
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, separators=(",", ":")).encode("ascii")


def _headers(defaults: dict[str, str], given: Mapping[str, str] | None) -> dict[str, str]:
    """``defaults`` with ``given`` over them; names compare case-insensitively (RFC 9110 §5.1),
    so ``{"Content-Type": ...}`` replaces the default ``content-type`` instead of adding a
    second one."""
    given = dict(given or {})
    names = {name.lower() for name in given}
    return {**{k: v for k, v in defaults.items() if k not in names}, **given}


def _split_events(body: bytes) -> list[bytes]:
    """``body`` cut after each blank line; the pieces join back to ``body`` exactly (what
    follows the last blank line, if anything, is the last piece)."""
    cuts = [m.end() for m in _EVENT_END.finditer(body)]
    if not cuts or cuts[-1] != len(body):
        cuts.append(len(body))
    return [body[a:b] for a, b in itertools.pairwise([0, *cuts]) if b > a]


def _event(item: Any, index: int) -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        event = bytes(item)
    elif isinstance(item, str):
        try:
            event = item.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 for it
            raise ValueError(
                f"event {index}: expected text UTF-8 can carry, {exc.reason} "
                f"at character {exc.start}"
            ) from None
    elif isinstance(item, ChatCompletionChunk):
        event = item.to_sse()
    elif isinstance(item, Mapping):
        # Sent as given, valid or not: a mock must be able to send what a broken server sends.
        try:
            event = b"data: " + _compact(dict(item)) + b"\n\n"
        except TypeError as exc:  # a set, bytes, ...: no JSON text at all
            raise TypeError(f"event {index}: expected a chunk dict of JSON values, {exc}") from None
    else:
        raise TypeError(
            f"event {index}: expected bytes, str, a chunk dict or a ChatCompletionChunk, got "
            f"{type(item).__name__}"
        )
    if not event:
        raise ValueError(f"event {index} is empty")
    return event


def events(
    source: Body | Iterable[Event],
    *,
    pieces: int | str | Callable[[str], Iterable[str]] | None = None,
) -> list[bytes]:
    """The events of a streaming body, each an item of bytes; joined, they are the body.

    ``source`` is one of:

    - a ``ChatCompletion``, or a dict of ``chat.completion`` JSON: encoded as a provider
      streams it (:func:`chunkstream.iter_encode`, with ``pieces``), ending with ``[DONE]``;
    - ``bytes``: a whole SSE body, cut after each blank line;
    - a ``str`` or a path: a recording's file, read and cut the same way;
    - an iterable of events, each sent as it is: bytes or str (one or more whole events, or a
      part of one), a chunk dict or a ``ChatCompletionChunk`` (written ``data: <JSON>``). Add
      :data:`DONE` yourself where the stream should have it.
    """
    if isinstance(source, ChatCompletion) or (
        isinstance(source, Mapping) and source.get("object") != "chat.completion.chunk"
    ):
        completion = source if isinstance(source, ChatCompletion) else dict(source)
        return list(iter_encode(completion, pieces=pieces))
    if pieces is not None:
        raise ValueError(
            f"pieces= splits the text of a completion, got {type(source).__name__}: give a "
            "ChatCompletion or a chat.completion dict, or leave pieces out"
        )
    if isinstance(source, Mapping):
        raise TypeError(
            "got one chat.completion.chunk dict; give a list of chunks (and DONE) for a stream, "
            "or a chat.completion to be encoded"
        )
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _split_events(bytes(source))
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        raise TypeError(
            "a str names a recording's file, and this one has a line break; give an SSE body "
            "as bytes (str.encode())"
        )
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return _split_events(f.read())
    try:
        items = iter(source)
    except TypeError:
        raise TypeError(
            "expected a ChatCompletion, a chat.completion dict, bytes, a path or an iterable of "
            f"events, got {type(source).__name__}"
        ) from None
    return [_event(item, i) for i, item in enumerate(items)]


def _error_payload(
    message: str, type: str | None, code: str | None, param: str | None
) -> dict[str, Any]:
    # OpenAI's error object: https://platform.openai.com/docs/guides/error-codes (the body of an
    # error status, and of an error event in a stream).
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_event(
    message: str,
    *,
    type: str = "server_error",
    code: str | None = None,
    param: str | None = None,
) -> bytes:
    """An in-stream error event, ``data: {"error": {...}}``, as OpenAI sends when a stream fails
    after it started (its status was already 200)."""
    return b"data: " + _compact(_error_payload(message, type, code, param)) + b"\n\n"


def _positive(name: str, value: Any, *, zero: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        what = "a non-negative" if zero else "a positive"
        raise ValueError(f"{name} must be {what} int or None, got {value!r}")


def _http_module(request: Any) -> Any:
    """The package of ``request``'s class (httpx or httpx2; for a subclass, of the class it
    derives from), whose classes the response is built with: a client checks the response is
    its own package's ``Response``."""
    names = ("Request", "Response", "SyncByteStream", "AsyncByteStream", "RemoteProtocolError")
    for cls in type(request).__mro__:
        module = sys.modules.get(cls.__module__.partition(".")[0])
        if (
            module is not None
            and all(hasattr(module, name) for name in names)
            and isinstance(request, module.Request)
        ):
            return module
    raise TypeError(
        "a MockStream is called with an httpx (or httpx2) Request, as httpx.MockTransport, "
        f"respx and pytest-httpx call it; got {type(request).__name__}"
    )


class _Replay:
    """One response's body: the reads of a :class:`MockStream`, then its drop, if any. Made a
    subclass of the client package's ``SyncByteStream`` and ``AsyncByteStream`` (``_body``),
    so one response serves a sync client and an async one."""

    def __init__(self, mock: MockStream, module: Any, request: Any) -> None:
        self._mock = mock
        self._module = module
        self._request = request

    def _fault(self) -> BaseException:
        # (The client sets the request on its own errors raised while it reads the body.)
        if self._mock.drop_error is not None:
            return self._mock.drop_error
        return self._module.RemoteProtocolError(DROP_MESSAGE, request=self._request)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        sleep = self._mock.sleep or time.sleep
        for pause, read in self._mock._reads():
            if pause:
                sleep(pause)
            yield read
        if self._mock._dropped():
            raise self._fault()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sleep = self._mock.async_sleep
        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        for pause, read in self._mock._reads():
            if pause:
                await sleep(pause)
            yield read
        if self._mock._dropped():
            raise self._fault()


_BODY_CLASSES: dict[str, type[_Replay]] = {}


def _body(module: Any) -> type[_Replay]:
    cls = _BODY_CLASSES.get(module.__name__)
    if cls is None:
        bases = (_Replay, module.SyncByteStream, module.AsyncByteStream)
        cls = _BODY_CLASSES[module.__name__] = type("MockStreamBody", bases, {})
    return cls


class MockStream:
    """A handler that answers each request with a streaming response replaying one body.

    ``source`` is what :func:`events` takes (a completion, a recording, events); ``pieces`` is
    passed to the encoder for a completion. Each request gets status 200,
    ``content-type: text/event-stream; charset=utf-8`` (as OpenAI sends; ``headers`` adds or
    replaces headers), and the body:

    - ``read_size=None`` sends one event per read; an int cuts the whole body into reads of
      that many bytes, across event boundaries (``1``: byte by byte).
    - ``delay`` pauses that many seconds before each event but the first (before the read in
      which it begins), with ``sleep`` (default ``time.sleep``) for a sync client and
      ``async_sleep`` (default ``asyncio.sleep``; ``trio.sleep`` under trio) for an async one.
      A delay of 0 never sleeps; to pace a test without waiting, pass functions that record
      the pauses.
    - ``drop_after_events`` or ``drop_after_bytes`` ends the body early by raising mid-body,
      as the client does when the connection drops: the request's package's
      ``RemoteProtocolError`` with the message of an incomplete chunked read, or
      ``drop_error``.

    ``requests`` lists the requests answered, in order; :meth:`request_json` reads one's body.
    ``events`` holds the body's events, ``status_code`` and ``headers`` what each response has.
    """

    status_code: int
    headers: dict[str, str]
    events: tuple[bytes, ...]
    requests: list[Any]

    def __init__(
        self,
        source: Body | Iterable[Event],
        *,
        pieces: int | str | Callable[[str], Iterable[str]] | None = None,
        read_size: int | None = None,
        delay: float = 0.0,
        sleep: Callable[[float], object] | None = None,
        async_sleep: Callable[[float], Awaitable[object]] | None = None,
        drop_after_events: int | None = None,
        drop_after_bytes: int | None = None,
        drop_error: BaseException | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        _positive("read_size", read_size)
        _positive("drop_after_events", drop_after_events, zero=True)
        _positive("drop_after_bytes", drop_after_bytes, zero=True)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, (int, float))
            or not 0 <= delay < math.inf
        ):
            raise ValueError(f"delay must be a non-negative number of seconds, got {delay!r}")
        for name, value in (("sleep", sleep), ("async_sleep", async_sleep)):
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable, got {type(value).__name__}")
        if drop_after_events is not None and drop_after_bytes is not None:
            raise ValueError("give drop_after_events or drop_after_bytes, not both")
        if drop_error is not None and not isinstance(drop_error, BaseException):
            raise TypeError(f"drop_error must be an exception, got {type(drop_error).__name__}")
        if drop_error is not None and drop_after_events is None and drop_after_bytes is None:
            raise ValueError("drop_error is raised at a drop: give drop_after_events or _bytes")
        self.events = tuple(events(source, pieces=pieces))
        size = sum(len(e) for e in self.events)
        if drop_after_events is not None and drop_after_events > len(self.events):
            raise ValueError(
                f"drop_after_events={drop_after_events}, but the body has {len(self.events)} events"
            )
        if drop_after_bytes is not None and drop_after_bytes > size:
            raise ValueError(f"drop_after_bytes={drop_after_bytes}, but the body has {size} bytes")
        self.status_code = 200
        self.headers = _headers({"content-type": "text/event-stream; charset=utf-8"}, headers)
        self.read_size = read_size
        self.delay = float(delay)
        self.sleep = sleep
        self.async_sleep = async_sleep
        self.drop_after_events = drop_after_events
        self.drop_after_bytes = drop_after_bytes
        self.drop_error = drop_error
        self.requests = []

    @classmethod
    def http_error(
        cls,
        status_code: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MockStream:
        """A handler that answers each request with an error status and OpenAI's error JSON,
        ``{"error": {"message", "type", "param", "code"}}``, instead of a stream. ``type``
        defaults to ``"invalid_request_error"`` for a 4xx status, ``"server_error"`` for 5xx."""
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status_code must be an int, got {status_code.__class__.__name__}")
        if not 400 <= status_code <= 599:
            raise ValueError(f"an error status is 400 to 599, got {status_code}")
        if type is None:
            type = "invalid_request_error" if status_code < 500 else "server_error"
        body = _compact(_error_payload(message, type, code, param))
        mock = cls([body], headers=_headers({"content-type": "application/json"}, headers))
        mock.status_code = status_code
        return mock

    def _dropped(self) -> bool:
        """Whether the body ends with a drop rather than its last byte."""
        return self.drop_after_events is not None or self.drop_after_bytes is not None

    def _reads(self) -> list[tuple[float, bytes]]:
        """The body as it is sent: ``(pause before it, read)`` for each read, up to the drop."""
        sent = self.events
        if self.drop_after_events is not None:
            sent = sent[: self.drop_after_events]
        body = b"".join(sent)
        if self.drop_after_bytes is not None:
            body = body[: self.drop_after_bytes]
        starts: list[int] = []
        at = 0
        for event in sent:
            if 0 < at < len(body):
                starts.append(at)
            at += len(event)
        if self.read_size is None:
            edges = [0, *starts, len(body)]
        else:
            edges = [*range(0, len(body), self.read_size), len(body)]
        reads: list[tuple[float, bytes]] = []
        begun = 0  # the events begun before this read (the first not counted: no pause)
        for a, b in itertools.pairwise(edges):
            before = begun
            while begun < len(starts) and starts[begun] < b:
                begun += 1
            reads.append((self.delay * (begun - before), body[a:b]))
        return reads

    def __call__(self, request: Any) -> Any:
        """The response to ``request`` (an ``httpx.Request`` or ``httpx2.Request``), of the
        request's package; the request is recorded in :attr:`requests`."""
        module = _http_module(request)
        self.requests.append(request)
        stream = _body(module)(self, module, request)
        return module.Response(
            self.status_code, headers=self.headers, stream=stream, request=request
        )

    def transport(self) -> Any:
        """``httpx.MockTransport(self)``, for ``httpx.Client(transport=...)`` and
        ``httpx.AsyncClient(transport=...)``. (For httpx2: ``httpx2.MockTransport(mock)``.)"""
        try:
            import httpx
        except ImportError as exc:
            raise ImportError(
                "MockStream.transport() needs httpx (pip install httpx); chunkstream itself "
                "needs no package"
            ) from exc
        return httpx.MockTransport(self)

    def request_json(self, index: int = -1) -> Any:
        """The JSON body of the request answered ``index``-th (the last by default)."""
        if not self.requests:
            raise IndexError("this MockStream has answered no request yet")
        return json.loads(self.requests[index].content)
