"""A source that fails mid-body (a dropped connection): which exceptions are transport faults,
and what assemble / aassemble / iter_chunks / aiter_chunks / Assembler.abort do with them.

The user's expectations: the completion assembled so far is never lost (located); the client's
own exception still reaches code that catches it; a bug in the caller's source is not turned
into a warning; cancellation and interrupts pass untouched; chunkstream imports no client."""

from __future__ import annotations

import asyncio
import http.client
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from extras import need

import chunkstream
from chunkstream import Assembler, StreamWarning, TruncatedStreamError, truncation_of
from chunkstream._stream import _is_transport_fault

BODY = (Path(__file__).resolve().parent.parent / "fixtures" / "openai-text-usage.sse").read_bytes()
# Its events end at bytes 335, 641, 947 (chunks 0-2: "", "Hello", "! How"), 1259, 1567,
# 1858 (chunk 5: finish_reason "stop"), 2335 (chunk 6: usage) and 2349 ([DONE]).
MID_LINE = 1000  # inside chunk 3's line: 53 bytes of it held back
BETWEEN = 947  # just after chunk 2
FINISHED = 1858  # every choice finished, no usage, no [DONE]
HELD_BACK = StreamWarning(
    kind="truncated",
    message="stream ended inside an event: its last line has no line ending, 53 bytes held back",
    chunk_index=3,
    byte_offset=947,
)
RESET = "ConnectionResetError: [Errno 104] Connection reset by peer"


def reset() -> ConnectionResetError:
    return ConnectionResetError(104, "Connection reset by peer")


def reads(n: int, exc: BaseException, size: int = 97) -> Iterator[bytes]:
    """The first n bytes of BODY in reads of `size`, then `exc` raised by the source."""
    for i in range(0, n, size):
        yield BODY[i : min(n, i + size)]
    raise exc


async def areads(n: int, exc: BaseException, size: int = 97) -> AsyncIterator[bytes]:
    for read in reads(n, exc, size):
        yield read


def arrived(n: int) -> chunkstream.ChatCompletion:
    """What lenient assemble() makes of the bytes that arrived, as if the input ended there."""
    return chunkstream.assemble(BODY[:n], strict=False)


def fault(text: str, n: int, chunk_index: int) -> StreamWarning:
    return StreamWarning(kind="truncated", message=text, chunk_index=chunk_index, byte_offset=n)


class FakeHttpxError(Exception):
    """Stands for httpx.RemoteProtocolError without httpx: its module is httpx's."""


FakeHttpxError.__module__ = "httpx._exceptions"


class FakeH11Error(FakeHttpxError):
    pass


FakeH11Error.__module__ = "mylib.wrappers"  # its base is httpx's: still a transport fault


class FakeStreamConsumed(RuntimeError):
    pass


FakeStreamConsumed.__module__ = "httpx._exceptions"


# -- which exceptions are transport faults -----------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        reset(),
        ConnectionAbortedError(),
        BrokenPipeError(),
        TimeoutError("timed out"),
        OSError("anything OSError"),
        EOFError(),
        asyncio.IncompleteReadError(b"ab", 10),
        asyncio.TimeoutError(),
        http.client.IncompleteRead(b"", 10),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        FakeHttpxError("peer closed connection"),
        FakeH11Error("module of a base class counts"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transport_faults_by_stdlib_class_or_by_the_module_of_a_client(exc: Exception) -> None:
    assert _is_transport_fault(exc)


@pytest.mark.parametrize(
    "exc",
    [
        TypeError("unsupported operand"),
        AttributeError("x"),
        NameError("y"),
        AssertionError(),
        RuntimeError("generator raised StopIteration"),
        ValueError("a bug"),
        KeyError("k"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        FakeStreamConsumed("read twice"),
        KeyboardInterrupt(),
        SystemExit(1),
        GeneratorExit(),
        asyncio.CancelledError(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bugs_and_base_exceptions_are_no_transport_faults(exc: BaseException) -> None:
    assert not _is_transport_fault(exc)


def test_real_httpx_exceptions() -> None:
    httpx = need("httpx")
    request = httpx.Request("GET", "http://example.invalid")
    for exc in (
        httpx.RemoteProtocolError("peer closed connection", request=request),
        httpx.ReadTimeout("read timed out", request=request),
        httpx.ReadError("read failed", request=request),
        httpx.ConnectError("refused", request=request),
    ):
        assert _is_transport_fault(exc), exc
    assert not _is_transport_fault(httpx.StreamConsumed())  # a RuntimeError: read twice
    assert not _is_transport_fault(httpx.StreamClosed())


def test_real_httpx2_exceptions() -> None:
    # httpx's successor, which recent versions of the openai SDK use.
    httpx2 = pytest.importorskip("httpx2")
    request = httpx2.Request("GET", "http://example.invalid")
    assert _is_transport_fault(httpx2.RemoteProtocolError("peer closed", request=request))
    assert _is_transport_fault(httpx2.ReadTimeout("read timed out", request=request))
    assert not _is_transport_fault(httpx2.StreamConsumed())


def test_real_requests_exceptions() -> None:
    requests = need("requests")
    assert _is_transport_fault(requests.exceptions.ChunkedEncodingError("ended prematurely"))
    assert _is_transport_fault(requests.exceptions.ConnectionError("reset"))
    assert _is_transport_fault(requests.exceptions.ReadTimeout("timed out"))
    # requests' "content already consumed" is also a TypeError: the caller's bug.
    assert not _is_transport_fault(requests.exceptions.StreamConsumedError())


def test_real_aiohttp_exceptions() -> None:
    aiohttp = need("aiohttp")
    assert _is_transport_fault(aiohttp.ClientPayloadError("Response payload is not completed"))
    assert _is_transport_fault(aiohttp.ServerDisconnectedError())
    assert _is_transport_fault(aiohttp.ClientConnectionError())


def test_real_urllib3_exceptions() -> None:
    urllib3 = need("urllib3")
    assert _is_transport_fault(urllib3.exceptions.ProtocolError("Connection broken"))
    assert _is_transport_fault(urllib3.exceptions.IncompleteRead(10, 20))
    assert _is_transport_fault(urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out"))


def test_chunkstream_imports_no_http_client() -> None:
    import subprocess

    code = (
        "import sys, chunkstream; "
        "chunkstream.assemble(b'data: [DONE]\\n\\n'); "
        "print(sorted(m for m in ('httpx', 'requests', 'aiohttp', 'urllib3', 'http.client', "
        "'asyncio') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- assemble, lenient ------------------------------------------------------------------------


def test_lenient_assemble_returns_what_arrived_when_the_connection_drops() -> None:
    # The regression: the client's exception used to escape and the partial was lost.
    completion = chunkstream.assemble(reads(MID_LINE, reset()), strict=False)
    assert completion.choices[0].message.content == "Hello! How"
    assert completion.to_dict() == arrived(MID_LINE).to_dict()
    assert completion.warnings == (
        HELD_BACK,
        fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3),
    )
    assert str(completion.warnings[-1]) == (
        f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"
    )


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (http.client.IncompleteRead(b"", 10), "http.client.IncompleteRead: IncompleteRead(0 bytes "
         "read, 10 more expected)"),
        (EOFError(), "EOFError"),
        (TimeoutError("The read operation timed out"),
         "TimeoutError: The read operation timed out"),
        (FakeHttpxError("peer closed connection without sending complete message body"),
         "httpx.FakeHttpxError: peer closed connection without sending complete message body"),
        (FakeH11Error("x"), "mylib.wrappers.FakeH11Error: x"),
    ],
)  # fmt: skip
def test_lenient_assemble_names_each_kind_of_fault(exc: Exception, text: str) -> None:
    completion = chunkstream.assemble(reads(BETWEEN, exc), strict=False)
    assert completion.to_dict() == arrived(BETWEEN).to_dict()
    assert completion.warnings == (
        StreamWarning(
            kind="truncated",
            message="stream ended before [DONE] with choice(s) 0 unfinished (no finish_reason)",
            chunk_index=3,
            byte_offset=BETWEEN,
        ),
        fault(f"the source failed mid-stream: {text}", BETWEEN, 3),
    )


def test_a_fault_before_any_byte_and_one_after_every_choice_finished() -> None:
    empty = chunkstream.assemble(reads(0, reset()), strict=False)
    assert empty.warnings[-1] == fault(f"the source failed before any byte arrived: {RESET}", 0, 0)
    for strict in (True, False):
        done = chunkstream.assemble(reads(FINISHED, reset()), strict=strict)
        assert done.to_dict() == chunkstream.assemble(BODY[:FINISHED]).to_dict()
        assert done.warnings == (
            fault(f"the source failed after every choice finished: {RESET}", FINISHED, 6),
        )


def test_a_long_fault_message_is_cut_and_kept_on_one_line() -> None:
    exc = OSError("line one\nline two " + "x" * 500)
    completion = chunkstream.assemble(reads(BETWEEN, exc), strict=False)
    want = "OSError: line one line two " + "x" * 179 + "..."
    assert len(want) == len("OSError: ") + 200
    assert completion.warnings[-1].message == f"the source failed mid-stream: {want}"


def test_a_file_object_whose_read_fails() -> None:
    class Dropping:
        def __init__(self) -> None:
            self.reads = [BODY[:500], BODY[500:MID_LINE]]

        def read(self, n: int) -> bytes:
            if not self.reads:
                raise reset()
            return self.reads.pop(0)

    completion = chunkstream.assemble(Dropping(), strict=False)
    assert completion.to_dict() == arrived(MID_LINE).to_dict()
    assert completion.warnings[-1] == fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3)


# -- assemble, strict -------------------------------------------------------------------------


def test_strict_assemble_raises_the_clients_exception_itself_with_the_partial_attached() -> None:
    exc = reset()
    with pytest.raises(ConnectionResetError) as info:
        chunkstream.assemble(reads(MID_LINE, exc))
    assert info.value is exc  # `except ConnectionResetError:` retry loops still work
    err = truncation_of(exc)
    assert isinstance(err, TruncatedStreamError)
    assert exc.chunkstream_error is err  # type: ignore[attr-defined]
    assert str(err) == f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"
    assert (err.chunk_index, err.byte_offset, err.held_back) == (3, 1000, 53)
    assert err.partial.to_dict() == arrived(MID_LINE).to_dict()
    if sys.version_info >= (3, 11):
        assert exc.__notes__ == [
            "chunkstream: the stream stopped (chunk 3, byte 1000); "
            "chunkstream.truncation_of(exc).partial is the completion so far"
        ]


def test_wrap_source_errors_raises_truncated_stream_error_from_the_clients() -> None:
    exc = reset()
    with pytest.raises(TruncatedStreamError) as info:
        chunkstream.assemble(reads(MID_LINE, exc), wrap_source_errors=True)
    err = info.value
    assert err.__cause__ is exc
    assert str(err) == f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"
    assert err.partial.to_dict() == arrived(MID_LINE).to_dict()
    assert truncation_of(err) is err
    assert not hasattr(exc, "chunkstream_error")


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "exc", [TypeError("can't concat str to bytes"), RuntimeError("oops"), ValueError("bad")]
)
def test_a_bug_in_the_callers_source_propagates_in_both_modes(strict: bool, exc: Exception) -> None:
    with pytest.raises(type(exc)) as info:
        chunkstream.assemble(reads(MID_LINE, exc), strict=strict, wrap_source_errors=True)
    assert info.value is exc
    assert exc.__cause__ is None
    err = truncation_of(exc)
    assert isinstance(err, TruncatedStreamError)
    text = f"{type(exc).__name__}: {exc}"
    assert str(err) == f"the source failed mid-stream: {text} (chunk 3, byte 1000)"
    assert err.partial.to_dict() == arrived(MID_LINE).to_dict()


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), SystemExit(3), GeneratorExit(), asyncio.CancelledError()]
)
def test_base_exceptions_pass_untouched(exc: BaseException) -> None:
    for strict in (True, False):
        with pytest.raises(type(exc)) as info:
            chunkstream.assemble(reads(MID_LINE, exc), strict=strict)
        assert info.value is exc
        with pytest.raises(type(exc)):
            list(chunkstream.iter_chunks(reads(MID_LINE, exc), strict=strict))
        assert not hasattr(exc, "chunkstream_error")
        assert getattr(exc, "__notes__", None) is None
        assert truncation_of(exc) is None


def test_an_exception_that_refuses_attributes_still_propagates() -> None:
    class Frozen(OSError):
        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError(name)

    exc = Frozen("reset")
    with pytest.raises(Frozen) as info:
        chunkstream.assemble(reads(MID_LINE, exc))
    assert info.value is exc
    assert truncation_of(exc) is None


def test_the_same_exception_raised_twice_keeps_one_note_and_the_latest_error() -> None:
    exc = reset()
    for n in (BETWEEN, MID_LINE):
        with pytest.raises(ConnectionResetError):
            chunkstream.assemble(reads(n, exc))
    err = truncation_of(exc)
    assert err is not None
    assert err.byte_offset == MID_LINE
    if sys.version_info >= (3, 11):
        assert len(exc.__notes__) == 1


def test_truncation_of_follows_the_exceptions_causes() -> None:
    exc = reset()
    try:
        try:
            chunkstream.assemble(reads(MID_LINE, exc))
        except OSError as inner:
            raise ValueError("the app's own wrapper") from inner
    except ValueError as outer:
        assert truncation_of(outer) is truncation_of(exc) is not None
    assert truncation_of(ValueError("unrelated")) is None


# -- iter_chunks ------------------------------------------------------------------------------


def test_lenient_iter_chunks_stops_with_the_warning() -> None:
    it = chunkstream.iter_chunks(reads(MID_LINE, reset()), strict=False)
    got = [c.to_dict() for c in it]
    assert got == [c.to_dict() for c in chunkstream.iter_chunks(BODY[:MID_LINE], strict=False)]
    assert len(got) == 3
    assert it.warnings == [HELD_BACK, fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3)]


def test_strict_iter_chunks_yields_what_arrived_then_raises_the_clients_exception() -> None:
    exc = reset()
    got = []
    with pytest.raises(ConnectionResetError) as info:
        for chunk in chunkstream.iter_chunks(reads(MID_LINE, exc)):
            got.append(chunk)
    assert info.value is exc
    assert len(got) == 3
    err = truncation_of(exc)
    assert isinstance(err, TruncatedStreamError)
    assert str(err) == f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"
    assert err.partial is None  # the chunks were yielded
    if sys.version_info >= (3, 11):
        assert exc.__notes__ == [
            "chunkstream: the stream stopped (chunk 3, byte 1000); "
            "see chunkstream.truncation_of(exc)"
        ]
    with pytest.raises(TruncatedStreamError) as wrapped:
        list(chunkstream.iter_chunks(reads(MID_LINE, reset()), wrap_source_errors=True))
    assert str(wrapped.value) == str(err)


def test_iter_chunks_yields_an_event_whose_blank_line_the_fault_cut_off() -> None:
    # The event's line arrived whole, its blank line did not: like at the end of the input,
    # it is taken (also in strict mode, before the client's exception).
    exc = reset()
    got = []
    with pytest.raises(ConnectionResetError):
        for chunk in chunkstream.iter_chunks(reads(BETWEEN - 1, exc)):
            got.append(chunk)
    assert len(got) == 3
    assert truncation_of(exc).chunk_index == 3  # type: ignore[union-attr]


def test_iter_chunks_after_every_choice_finished_ends_normally_with_the_warning() -> None:
    it = chunkstream.iter_chunks(reads(FINISHED, reset()))
    assert len(list(it)) == 6
    assert it.warnings == [
        fault(f"the source failed after every choice finished: {RESET}", FINISHED, 6)
    ]


def test_iter_chunks_lets_a_bug_in_the_source_through_in_lenient_mode() -> None:
    exc = TypeError("bug")
    with pytest.raises(TypeError) as info:
        list(chunkstream.iter_chunks(reads(MID_LINE, exc), strict=False))
    assert info.value is exc
    assert (
        str(truncation_of(exc))
        == "the source failed mid-stream: TypeError: bug (chunk 3, byte 1000)"
    )


# -- async ------------------------------------------------------------------------------------


def test_aassemble_and_aiter_chunks_the_same_way() -> None:
    async def run() -> None:
        lenient = await chunkstream.aassemble(areads(MID_LINE, reset()), strict=False)
        assert lenient.to_dict() == arrived(MID_LINE).to_dict()
        assert lenient.warnings[-1] == fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3)

        exc = reset()
        with pytest.raises(ConnectionResetError) as info:
            await chunkstream.aassemble(areads(MID_LINE, exc))
        assert info.value is exc
        assert truncation_of(exc).partial.to_dict() == arrived(MID_LINE).to_dict()  # type: ignore[union-attr]

        with pytest.raises(TruncatedStreamError) as wrapped:
            await chunkstream.aassemble(areads(MID_LINE, reset()), wrap_source_errors=True)
        assert str(wrapped.value) == f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"

        it = chunkstream.aiter_chunks(areads(MID_LINE, reset()), strict=False)
        assert len([c async for c in it]) == 3
        assert it.warnings[-1] == fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3)

        exc = reset()
        got = []
        with pytest.raises(ConnectionResetError) as info:
            async for chunk in chunkstream.aiter_chunks(areads(MID_LINE, exc)):
                got.append(chunk)
        assert info.value is exc and len(got) == 3
        assert truncation_of(exc).chunk_index == 3  # type: ignore[union-attr]

        bug = TypeError("bug")
        with pytest.raises(TypeError) as info:
            await chunkstream.aassemble(areads(MID_LINE, bug), strict=False)
        assert info.value is bug
        assert truncation_of(bug) is not None

    asyncio.run(run())


def test_async_cancellation_passes_untouched() -> None:
    async def run() -> None:
        for strict in (True, False):
            exc = asyncio.CancelledError()
            with pytest.raises(asyncio.CancelledError) as info:
                await chunkstream.aassemble(areads(MID_LINE, exc), strict=strict)
            assert info.value is exc
            with pytest.raises(asyncio.CancelledError):
                [c async for c in chunkstream.aiter_chunks(areads(MID_LINE, exc), strict=strict)]
            assert not hasattr(exc, "chunkstream_error")

    asyncio.run(run())


# -- Assembler.abort --------------------------------------------------------------------------


def fed(n: int, strict: bool) -> Assembler:
    asm = Assembler(strict=strict)
    for i in range(0, n, 100):
        asm.feed(BODY[i : min(n, i + 100)])
    return asm


def test_abort_lenient_returns_the_completion_so_far_with_the_fault() -> None:
    asm = fed(MID_LINE, strict=False)
    completion = asm.abort(reset())
    assert completion.to_dict() == arrived(MID_LINE).to_dict()
    assert completion.warnings == (
        HELD_BACK,
        fault(f"the source failed mid-stream: {RESET}", MID_LINE, 3),
    )
    assert asm.close() is completion
    with pytest.raises(RuntimeError) as info:
        asm.feed(b"data: more\n\n")
    assert str(info.value) == "Assembler.feed() called after abort(); use a new Assembler"
    with pytest.raises(RuntimeError) as again:
        asm.abort(reset())
    assert str(again.value) == "Assembler.abort() called after the input ended (close() or abort())"


def test_abort_strict_raises_truncated_stream_error_from_the_fault() -> None:
    exc = reset()
    asm = fed(MID_LINE, strict=True)
    with pytest.raises(TruncatedStreamError) as info:
        asm.abort(exc)
    err = info.value
    assert err.__cause__ is exc
    assert str(err) == f"the source failed mid-stream: {RESET} (chunk 3, byte 1000)"
    assert err.partial.to_dict() == arrived(MID_LINE).to_dict()
    with pytest.raises(TruncatedStreamError) as later:
        asm.close()
    assert later.value is err


def test_abort_strict_after_the_stream_was_complete_returns_it() -> None:
    asm = fed(FINISHED, strict=True)
    completion = asm.abort(reset())
    assert completion.to_dict() == chunkstream.assemble(BODY[:FINISHED]).to_dict()
    assert completion.warnings == (
        fault(f"the source failed after every choice finished: {RESET}", FINISHED, 6),
    )
    whole = fed(len(BODY), strict=True)
    assert whole.done
    after = whole.abort(reset())
    assert after.warnings == (fault(f"the source failed after [DONE]: {RESET}", len(BODY), 7),)


def test_abort_after_close_is_an_error() -> None:
    asm = fed(len(BODY), strict=True)
    asm.close()
    with pytest.raises(RuntimeError) as info:
        asm.abort(reset())
    assert str(info.value) == "Assembler.abort() called after the input ended (close() or abort())"


def test_abort_on_a_body_that_is_no_event_stream_says_so() -> None:
    # An HTML error page cut by the fault: the bytes that arrived come first in the stream.
    for strict in (True, False):
        asm = Assembler(strict=strict)
        asm.feed(b"<html><body>502 Bad Gateway")
        with pytest.raises(chunkstream.ChunkError) as info:
            asm.abort(reset())
        assert str(info.value) == (
            "expected an event stream (lines like 'data: {...}'), got bytes "
            "b'<html><body>502 Bad Gateway' (byte 0)"
        )


# -- chunkstream's own faults are never the source's ------------------------------------------


def test_an_exception_in_chunkstreams_own_processing_is_not_taken_for_the_sources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even an OSError, raised while chunkstream handles a read (not while the source gives
    # one), propagates as it is: no warning, nothing attached, in either mode.
    from chunkstream import _stream

    inner = OSError("raised inside chunkstream")

    def broken(self: Any, data: bytes) -> None:
        raise inner

    monkeypatch.setattr(_stream._Core, "feed", broken)

    async def agen() -> AsyncIterator[bytes]:
        yield BODY

    for strict in (True, False):
        with pytest.raises(OSError) as info:
            chunkstream.assemble([BODY], strict=strict)
        assert info.value is inner
        with pytest.raises(OSError):
            list(chunkstream.iter_chunks([BODY], strict=strict))
        with pytest.raises(OSError):
            asyncio.run(chunkstream.aassemble(agen(), strict=strict))

        async def drain(strict: bool = strict) -> None:
            [c async for c in chunkstream.aiter_chunks(agen(), strict=strict)]

        with pytest.raises(OSError):
            asyncio.run(drain())
        assert not hasattr(inner, "chunkstream_error")


# -- found by trying the library as a stranger (issue 12) --------------------------------------


@pytest.mark.parametrize("exc", [TypeError("bug"), ValueError("bug"), FakeStreamConsumed("twice")])
@pytest.mark.parametrize("strict", [True, False])
def test_abort_raises_a_bug_again_unchanged_with_the_partial_attached(
    exc: Exception, strict: bool
) -> None:
    # `except Exception as exc: asm.abort(exc)` must not hide a bug as a warning: abort()
    # judges exc by assemble()'s rule.
    asm = Assembler(strict=strict)
    asm.feed(BODY[:BETWEEN])
    with pytest.raises(type(exc)) as info:
        asm.abort(exc)
    assert info.value is exc
    error = truncation_of(exc)
    assert isinstance(error, TruncatedStreamError)
    assert str(error) == (
        f"the source failed mid-stream: {_fault_name(exc)}: {exc} (chunk 3, byte {BETWEEN})"
    )
    assert error.partial.to_dict() == chunkstream.assemble(BODY[:BETWEEN], strict=False).to_dict()
    assert asm.warnings == []  # nothing was turned into a warning
    # The Assembler is left as it was: the rest of the body still assembles.
    asm.feed(BODY[BETWEEN:])
    assert asm.close().to_dict() == chunkstream.assemble(BODY).to_dict()


def _fault_name(exc: Exception) -> str:
    return "httpx.FakeStreamConsumed" if isinstance(exc, FakeStreamConsumed) else type(exc).__name__


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), SystemExit(3), GeneratorExit(), asyncio.CancelledError()]
)
def test_abort_raises_a_base_exception_again_untouched(exc: BaseException) -> None:
    asm = Assembler(strict=False)
    asm.feed(BODY[:BETWEEN])
    with pytest.raises(type(exc)) as info:
        asm.abort(exc)
    assert info.value is exc
    assert truncation_of(exc) is None
    assert not hasattr(exc, "chunkstream_error")
    assert asm.warnings == []


@pytest.mark.parametrize("cut", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"])
def test_a_connection_dropped_inside_the_first_field_name_is_a_cut_stream(
    cut: int, prefix: bytes
) -> None:
    # "d", "da", "dat" (1-3 byte flushes) or a split BOM are the start of an event stream, not a
    # body of another kind: lenient returns the empty completion with the fault's warning.
    sent = (prefix + BODY)[: len(prefix) + cut] if cut > 0 else prefix
    for first in (sent, prefix[:2]):
        if not first:
            continue

        def source(first: bytes = first) -> Iterator[bytes]:
            yield first
            raise reset()

        completion = chunkstream.assemble(source(), strict=False)
        assert completion.choices == ()
        assert completion.warnings[-1] == fault(
            f"the source failed mid-stream: {RESET}", len(first), 0
        )
        held = len(first) - 3 if first.startswith(b"\xef\xbb\xbf") else len(first)  # BOM skipped
        assert completion.warnings[0].message == (
            "stream ended inside an event: its last line has no line ending, "
            f"{held} bytes held back"
        )
        with pytest.raises(TruncatedStreamError) as info:
            chunkstream.assemble(source(), wrap_source_errors=True)
        assert (
            str(info.value) == f"the source failed mid-stream: {RESET} (chunk 0, byte {len(first)})"
        )


def test_a_done_line_ends_the_stream_without_its_blank_line() -> None:
    # A server that sends "data: [DONE]\n" (one line ending, as a recorded anthropic-compat
    # stream does) and keeps the connection open: reading stops at the line.
    body = BODY[: -len(b"\n")]
    assert body.endswith(b"data: [DONE]\n")
    pulled = []

    def source() -> Iterator[bytes]:
        for read in (body[:2000], body[2000:]):
            pulled.append(read)
            yield read
        raise AssertionError("read on after [DONE]: the server would have been waited on")

    assert chunkstream.assemble(source()).to_dict() == chunkstream.assemble(BODY).to_dict()
    chunks = list(chunkstream.iter_chunks(iter([body, b"never read"])))
    assert len(chunks) == 7
    asm = Assembler()
    asm.feed(body)
    assert asm.done
    # A decoder fed the rest of the event later does not count the [DONE] block twice.
    decoder = chunkstream.ChunkDecoder()
    decoder.feed(body)
    assert decoder.done
    decoder.feed(b"\n")
    decoder.close()
    assert decoder.warnings == []


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
def test_a_done_line_followed_by_more_lines_gives_one_result_whatever_the_reads(size: int) -> None:
    # The first non-blank line of an event's data being [DONE] ends the stream, whether or not
    # more lines of the same event came (they are not read): the same answer for any split.
    rest = BODY[: -len(b"data: [DONE]\n\n")]
    for tail in (b"data: [DONE]\ndata: more\n\n", b"data:\ndata:  [DONE] \nid: 7\n\n"):
        body = rest + tail
        whole = chunkstream.assemble(body)
        assert whole.to_dict() == chunkstream.assemble(BODY).to_dict()
        split = [body[i : i + size] for i in range(0, len(body), size)]
        assert chunkstream.assemble(split).to_dict() == whole.to_dict()
