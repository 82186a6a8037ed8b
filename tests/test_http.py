"""chunkstream against a real HTTP exchange: a stdlib server on 127.0.0.1 sends the fixtures
with chunked transfer encoding, flushing at random sizes; clients read them with urllib (sync)
and asyncio streams (async) through iter_chunks / aiter_chunks / assemble / aassemble."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import re
import socket
import struct
import sys
import threading
import time
import types
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from extras import need

import chunkstream

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STREAMS = [
    "openai-text-usage",
    "openai-parallel-tool-calls",
    "openai-n2-interleaved",
    "openrouter-keepalive-comments",
    "crlf-endings",
    "surrogate-split",
]


class _Handler(BaseHTTPRequestHandler):
    """``/<name>`` sends a fixture whole. ``/drop-<n>/<name>/...`` sends its first n bytes and
    closes the connection without the terminating chunk (a connection dropped mid-body).
    ``/hang/<name>/...`` sends it whole, ``data: [DONE]`` included, and then keeps the
    connection open, without the terminating chunk, until the client goes away (at most 30 s).
    ``/stall-<n>/...`` sends n bytes and then nothing more, holding the connection open the same
    way (the client's read timeout must end it). Without chunked encoding: ``/close-hang/...``
    sends the body delimited by the connection's close (HTTP/1.0 style) and holds the
    connection open after it; ``/long/...`` sends a Content-Length 100 bytes longer than the
    body, then closes; ``/reset-<n>/...`` sends n bytes of a close-delimited body, then resets
    the connection. ``/gzip/...`` sends it whole with ``Content-Encoding: gzip`` (chunked) to a
    client that accepts gzip (identity to one that does not, such as urllib).
    ``/live-<framing>-<token>/...`` (framing ``chunked`` or ``close``) sends the events up to
    and including the first with content, then waits until the client opens the gate
    ``GATES[token]`` (at most its ``wait`` seconds) before it sends the rest, and records whether
    the gate was opened in time.
    GET or POST (the request body is read and ignored), any path after the name."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # the name http.server calls
        self._send_to_client()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send_to_client()

    def _send_to_client(self) -> None:
        # A client that stops reading at [DONE] may close while the rest (the terminating chunk,
        # gzip's trailer) is still being written: not an error, and no traceback on stderr.
        with contextlib.suppress(ConnectionError):
            self._send()

    def _send(self) -> None:
        parts = self.path.strip("/").split("/")
        mode, name = ("whole", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        body = (FIXTURES / f"{name}.sse").read_bytes()
        rng = random.Random(name)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        live = re.fullmatch(r"live-(chunked|close)-(\w+)", mode)
        if live:
            self._send_live(live[1] == "chunked", GATES[live[2]], body, rng)
            return
        if mode in ("close-hang", "long") or mode.startswith("reset-"):
            self._send_unchunked(mode, body, rng)
            return
        cut = re.fullmatch(r"(drop|stall)-(\d+)", mode)
        end = int(cut[2]) if cut else len(body)
        if mode == "gzip" and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            end = len(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        i = 0
        while i < end:
            j = min(end, i + rng.randint(1, 97))
            piece = body[i:j]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            i = j
        if mode == "hang" or mode.startswith("stall-"):
            self._hold()
        if mode not in ("whole", "gzip"):
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_unchunked(self, mode: str, body: bytes, rng: random.Random) -> None:
        if mode == "long":
            self.send_header("Content-Length", str(len(body) + 100))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        end = int(mode.removeprefix("reset-")) if mode.startswith("reset-") else len(body)
        i = 0
        while i < end:
            j = min(end, i + rng.randint(1, 97))
            self.wfile.write(body[i:j])
            self.wfile.flush()
            i = j
        self.close_connection = True
        if mode == "close-hang":
            self._hold()
        elif mode.startswith("reset-"):
            time.sleep(0.3)  # let the client read what was sent: a reset may discard it
            linger = struct.pack("ii", 1, 0)  # close() then sends RST, not FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()  # now: the server's shutdown(SHUT_WR) would send a FIN first

    def _send_live(self, chunked: bool, gate: Gate, body: bytes, rng: random.Random) -> None:
        self.send_header(
            "Transfer-Encoding" if chunked else "Connection", "chunked" if chunked else "close"
        )
        self.end_headers()

        def send(part: bytes) -> None:
            i = 0
            while i < len(part):
                j = min(len(part), i + rng.randint(1, 97))
                piece = part[i:j]
                self.wfile.write(
                    f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                )
                self.wfile.flush()
                i = j

        first = first_content_end(body)
        send(body[:first])
        gate.waited = gate.opened.wait(gate.wait)  # the client saw the first content, in time?
        send(body[first:])
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        self.close_connection = True

    def _hold(self) -> None:
        """Keep the connection open until the client closes its end (at most 30 s)."""
        self.connection.settimeout(30)
        with contextlib.suppress(OSError):
            while self.connection.recv(4096):  # b"": the client closed its end
                pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Gate:
    """What a ``/live-...`` request waits on: the client opens it when it has seen the first
    content; the server waits ``wait`` seconds at most and sets ``waited`` to whether it was
    opened in time (``None`` until then)."""

    def __init__(self, wait: float) -> None:
        self.opened = threading.Event()
        self.wait = wait
        self.waited: bool | None = None


GATES: dict[str, Gate] = {}


def first_content_end(body: bytes) -> int:
    """The end of the event block that holds the first non-empty ``"content"`` (found in the
    raw bytes, not by chunkstream): what a live client has seen before the rest is sent."""
    found = re.search(rb'"content": ?"[^"]', body)
    assert found, "a live fixture needs content"
    end = re.compile(rb"\r\n\r\n|\n\n|\r\r").search(body, found.end())
    assert end
    return end.end()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients here drop connections on purpose (after [DONE], mid-body, on a reset): the
        # server meeting that while it reads the next request or writes is expected. Its
        # default prints a traceback from the handler thread (on 3.10 into pytest's closed
        # capture, an unhandled-thread-exception warning).
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield f"http://{host}:{port}"
    httpd.shutdown()
    httpd.server_close()


def expected(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    completion: dict[str, Any] = data["strict"]["completion"]
    return completion


@pytest.mark.parametrize("name", STREAMS)
def test_urllib_response_is_a_file_for_assemble(server: str, name: str) -> None:
    with urlopen(f"{server}/{name}") as response:
        assert chunkstream.assemble(response).to_dict() == expected(name)


@pytest.mark.parametrize("name", STREAMS)
def test_urllib_reads_through_iter_chunks_and_accumulator(server: str, name: str) -> None:
    acc = chunkstream.Accumulator()
    with urlopen(f"{server}/{name}") as response:
        reads = iter(lambda: response.read1(256), b"")
        for chunk in chunkstream.iter_chunks(reads):
            acc.feed(chunk)
    assert acc.close().to_dict() == expected(name)


async def _aget(url: str) -> AsyncIterator[bytes]:
    """A minimal async HTTP/1.1 GET over asyncio streams, yielding the de-chunked body."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    path = "/" + url.removeprefix("http://").split("/", 1)[1]
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    try:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                break
            yield await reader.readexactly(size)
            await reader.readexactly(2)
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize("name", STREAMS)
def test_asyncio_stream_through_aiter_chunks(server: str, name: str) -> None:
    async def run() -> dict[str, Any]:
        acc = chunkstream.Accumulator()
        async for chunk in chunkstream.aiter_chunks(_aget(f"{server}/{name}")):
            acc.feed(chunk)
        return acc.close().to_dict()

    assert asyncio.run(run()) == expected(name)


@pytest.mark.parametrize("name", STREAMS)
def test_asyncio_stream_through_aassemble(server: str, name: str) -> None:
    completion = asyncio.run(chunkstream.aassemble(_aget(f"{server}/{name}")))
    assert completion.to_dict() == expected(name)


# -- the README's recipes, run as written against this server -----------------------------------
#
# Each "With HTTP clients" recipe must complete on a whole stream, return promptly when the
# server keeps the connection open after [DONE] ("hang"), and on a connection dropped after
# DROP bytes give what arrived: lenient with a located warning naming the client's error,
# strict with the client's exception carrying chunkstream.truncation_of(exc).partial.

ROOT = FIXTURES.parent
NAME = "openai-text-usage"
DROP = 1000  # inside chunk 3: "Hello! How" has arrived
CUT = [f"drop-{DROP}", f"reset-{DROP}", f"stall-{DROP}"]  # modes that end the body early
MODES = ["whole", "hang", "gzip", "close-hang", "long", *CUT]
LIMIT = 20.0  # seconds: generous; a recipe that waits for the server to close takes 30
TIMEOUT = 2.0  # the recipes' read timeout (TIMEOUT), short here: stall-<n> waits for it


def readme_recipes() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## With HTTP clients\n")
    # (The mocks' subsection that ends it has its own test module: tests/test_testing.py.)
    end = min(text.index("\n## ", start + 3), text.index("\n### Mocks for tests", start))
    section = text[start:end]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    keys = {
        "shared": "BASE_URL =",
        "httpx": "chunkstream.Assembler(",
        "httpx_async": "httpx.AsyncClient",
        "requests": "import requests",
        "aiohttp": "import aiohttp",
        "urllib": "import urllib.request",
        "openai": "from openai import",
    }
    found = {key: [b for b in blocks if mark in b] for key, mark in keys.items()}
    assert all(len(hits) == 1 for hits in found.values()), found
    assert len(blocks) == len(keys)
    return {key: hits[0] for key, hits in found.items()}


RECIPES = readme_recipes()


def names(server: str, mode: str) -> dict[str, Any]:
    """The shared names block, run, with the endpoint pointed at this server."""
    ns: dict[str, Any] = {"api_key": "sk-test"}
    exec(RECIPES["shared"], ns)
    assert ns["BODY"]["stream"] is True
    ns["BASE_URL"] = f"{server}/{mode}/{NAME}"
    ns["URL"] = f"{ns['BASE_URL']}/chat/completions"
    ns["TIMEOUT"] = TIMEOUT
    ns["drawn"] = []
    ns["redraw"] = ns["drawn"].append
    return ns


def run_recipe(key: str, ns: dict[str, Any]) -> None:
    """exec a sync recipe in a thread: the test fails, not hangs, if it waits too long."""
    outcome: list[BaseException] = []

    def target() -> None:
        try:
            exec(RECIPES[key], ns)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(LIMIT)
    assert not thread.is_alive(), f"the {key} recipe still runs after {LIMIT} s"
    if outcome:
        raise outcome[0]


def run_async(coro: Any) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, LIMIT)

    return asyncio.run(bounded())


def arrived() -> chunkstream.ChatCompletion:
    """What lenient assemble() makes of the bytes the server sent before dropping."""
    return chunkstream.assemble((FIXTURES / f"{NAME}.sse").read_bytes()[:DROP], strict=False)


HTTPX_FAULTS = {
    "drop": "httpx.RemoteProtocolError",
    "reset": "httpx.ReadError",
    "stall": "httpx.ReadTimeout",
}


def check_lenient(
    completion: chunkstream.ChatCompletion, mode: str, faults: dict[str, str]
) -> None:
    """faults: the client's exception, module.name, by how the body was cut (drop, reset, stall)."""
    if mode not in CUT:
        assert completion.to_dict() == expected(NAME)
        assert completion.warnings == ()
        return
    assert completion.to_dict() == arrived().to_dict()
    assert completion.choices[0].message.content == "Hello! How"
    last = completion.warnings[-1]
    fault = faults[mode.split("-")[0]]
    # The client's message follows, if its exception has one (httpx.ReadTimeout's may be empty).
    assert re.fullmatch(rf"the source failed mid-stream: {fault}(: .+)?", last.message, re.S)
    assert (last.kind, last.chunk_index, last.byte_offset) == ("truncated", 3, DROP)


def check_strict_fault(exc: BaseException) -> None:
    cut = chunkstream.truncation_of(exc)
    assert isinstance(cut, chunkstream.TruncatedStreamError)
    assert (cut.chunk_index, cut.byte_offset) == (3, DROP)
    assert cut.partial.to_dict() == arrived().to_dict()


@pytest.mark.parametrize("mode", MODES)
def test_readme_httpx_sync_live_display(
    server: str, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need("httpx")
    ns = names(server, mode)
    run_recipe("httpx", ns)
    check_lenient(ns["completion"], mode, HTTPX_FAULTS)
    assert ns["drawn"][-1] == ns["completion"].choices[0].message.content
    printed = capsys.readouterr().out
    assert printed == "".join(f"warning: {w}\n" for w in ns["completion"].warnings)


@pytest.mark.parametrize("mode", MODES)
def test_readme_httpx_async(server: str, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    httpx = need("httpx")
    ns = names(server, mode)
    exec(RECIPES["httpx_async"], ns)

    async def run() -> chunkstream.ChatCompletion:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=TIMEOUT)) as client:
            await ns["print_as_it_comes"](client)
            completion: chunkstream.ChatCompletion = await ns["ask"](client)
            return completion

    completion = run_async(run())
    check_lenient(completion, mode, HTTPX_FAULTS)
    printed = capsys.readouterr().out
    text = completion.choices[0].message.content
    assert printed == text + "".join(f"\nwarning: {w}\n" for w in completion.warnings)


@pytest.mark.parametrize("mode", MODES)
def test_readme_requests(server: str, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    need("requests")
    ns = names(server, mode)
    run_recipe("requests", ns)
    faults = {
        "drop": "urllib3.exceptions.ProtocolError",
        "reset": "urllib3.exceptions.ProtocolError",
        "stall": "urllib3.exceptions.ReadTimeoutError",
    }
    check_lenient(ns["completion"], mode, faults)
    printed = capsys.readouterr().out
    assert printed == "".join(f"warning: {w}\n" for w in ns["completion"].warnings)


@pytest.mark.parametrize("mode", MODES)
def test_readme_urllib(server: str, mode: str) -> None:
    ns = names(server, mode)
    run_recipe("urllib", ns)
    faults = {
        "drop": "http.client.IncompleteRead",
        "reset": "ConnectionResetError",
        "stall": "TimeoutError",
    }
    check_lenient(ns["completion"], mode, faults)


@pytest.mark.parametrize("mode", MODES)
def test_readme_aiohttp_strict(server: str, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    aiohttp = need("aiohttp")
    ns = names(server, mode)
    exec(RECIPES["aiohttp"], ns)

    async def run() -> chunkstream.ChatCompletion:
        async with aiohttp.ClientSession() as session:
            completion: chunkstream.ChatCompletion = await ns["ask"](session)
            return completion

    if mode not in CUT:
        assert run_async(run()).to_dict() == expected(NAME)
        return
    if mode.startswith("reset-"):
        # aiohttp ends a close-delimited body at a reset as at a close, without an error: strict
        # chunkstream sees the stream stop inside an event.
        with pytest.raises(chunkstream.TruncatedStreamError) as cut:
            run_async(run())
        assert str(cut.value) == (
            "stream ended inside an event: its last line has no line ending, 53 bytes held back"
            " (chunk 3, byte 947)"
        )
        assert cut.value.partial is not None
        assert cut.value.partial.to_dict() == arrived().to_dict()
        assert capsys.readouterr().out == ""
        return
    # A read timeout mid-body is no ClientPayloadError: the recipe must catch it too.
    faults = {
        "drop": aiohttp.ClientPayloadError,
        "reset": aiohttp.ClientPayloadError,
        "stall": aiohttp.SocketTimeoutError,
    }
    fault = faults[mode.split("-")[0]]
    with pytest.raises(fault) as info:
        run_async(run())
    check_strict_fault(info.value)
    printed = capsys.readouterr().out
    assert printed.startswith(
        f"cut short: the source failed mid-stream: {fault.__module__}.{fault.__name__}: "
    )
    assert printed.endswith(f" (chunk 3, byte {DROP})\n")


@pytest.mark.parametrize("mode", MODES)
def test_readme_openai_sdk_raw(server: str, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    need("openai")
    ns = names(server, mode)
    run_recipe("openai", ns)  # the sync part runs; `ask` is defined
    printed = capsys.readouterr().out
    completion = ns["completion"]

    def aclient() -> Any:
        return ns["AsyncOpenAI"](base_url=ns["BASE_URL"], api_key="k", timeout=TIMEOUT)

    if mode not in CUT:
        assert completion.to_dict() == expected(NAME)
        assert printed == ""
        assert run_async(ns["ask"](aclient())).to_dict() == expected(NAME)
        return
    assert completion.to_dict() == arrived().to_dict()
    # The SDK's HTTP library: httpx, or httpx2 in its recent versions.
    faults = {"drop": "RemoteProtocolError", "reset": "ReadError", "stall": "ReadTimeout"}
    fault = rf"httpx2?\.{faults[mode.split('-')[0]]}"
    assert re.fullmatch(
        rf"cut short: the source failed mid-stream: {fault}: .* \(chunk 3, byte {DROP}\)\n",
        printed,
    )
    with pytest.raises(Exception) as info:
        run_async(ns["ask"](aclient()))
    assert re.fullmatch(fault, f"{type(info.value).__module__}.{type(info.value).__name__}")
    check_strict_fault(info.value)


# -- live: each recipe shows (or hands chunkstream) what has arrived, not 64 KiB blocks ----------
#
# The server sends the events up to the first with content, then waits (LIVE_WAIT at most) for
# the client to have seen it before it sends the rest. A client that waits for more bytes than
# arrived (read(65536), a buffered iterator) sees nothing until the wait runs out: the server
# then finds its gate shut, and the test fails.
#
# What "seen" means depends on the recipe. Where the recipe shows content as it comes (the
# httpx live display's redraw(), print_as_it_comes()'s print), the gate opens when that content
# is shown. assemble() and aassemble() return only at the end of the stream, so nothing of the
# content can be seen before the rest is sent; for those the gate opens when the reads
# chunkstream has taken from the recipe's source hold the whole first content event. The
# recipe's `chunkstream` is then one whose assemble/aassemble hand chunkstream the source
# through a watch that counts the bytes of each read as chunkstream takes it, and changes
# nothing else: a file stays a file (read1 where it has read1), an iterator an iterator. That
# is the liveness such a recipe can have (chunkstream's incremental parsing of those reads is
# the same code Assembler and the iterators run, and is tested with them).

LIVE_WAIT = 10.0  # seconds: generous; a non-live recipe costs this much, then fails
FRAMINGS = ["chunked", "close"]  # chunked transfer encoding; a body ended by closing


def live_mode(framing: str, wait: float = LIVE_WAIT) -> tuple[str, Gate]:
    token = f"g{len(GATES)}"
    gate = GATES[token] = Gate(wait)
    return f"live-{framing}-{token}", gate


def live_url(server: str, mode: str) -> str:
    return f"{server}/{mode}/{NAME}/chat/completions"


class _WatchedFile:
    """A file that hands each read to ``saw`` on its way out; only the read methods the
    source has (chunkstream picks read1() when there is one)."""

    def __init__(self, f: Any, saw: Any) -> None:
        if callable(getattr(f, "read1", None)):

            def read1(*args: Any) -> Any:
                return saw(f.read1(*args))

            self.read1 = read1

        def read(*args: Any) -> Any:
            return saw(f.read(*args))

        self.read = read


def watching(gate: Gate) -> Any:
    """chunkstream, as a recipe sees it, with assemble()/aassemble() watching the source."""
    seen = 0
    first = first_content_end((FIXTURES / f"{NAME}.sse").read_bytes())

    def saw(read: Any) -> Any:
        nonlocal seen
        seen += len(read)
        if seen >= first:
            gate.opened.set()
        return read

    def watched(source: Any) -> Any:
        if callable(getattr(source, "read1", None)) or callable(getattr(source, "read", None)):
            return _WatchedFile(source, saw)
        if hasattr(source, "__aiter__"):

            async def areads() -> AsyncIterator[Any]:
                async for read in source:
                    yield saw(read)

            return areads()

        def reads() -> Iterator[Any]:
            for read in source:
                yield saw(read)

        return reads()

    def assemble(source: Any, **kw: Any) -> chunkstream.ChatCompletion:
        return chunkstream.assemble(watched(source), **kw)

    async def aassemble(source: Any, **kw: Any) -> chunkstream.ChatCompletion:
        return await chunkstream.aassemble(watched(source), **kw)

    names = {name: getattr(chunkstream, name) for name in chunkstream.__all__}
    names.update(assemble=assemble, aassemble=aassemble)
    return types.SimpleNamespace(**names)


def live_names(server: str, framing: str) -> tuple[dict[str, Any], Gate]:
    """The shared names, pointed at a live request; the recipe's chunkstream watched."""
    mode, gate = live_mode(framing)
    ns = names(server, mode)
    ns["TIMEOUT"] = LIVE_WAIT * 3  # the gate, not the read timeout, decides
    ns["chunkstream"] = watching(gate)
    return ns, gate


def check_live(gate: Gate, completion: chunkstream.ChatCompletion) -> None:
    assert gate.waited is True, (
        f"the server waited {gate.wait} s after the first content; the client had not seen it"
    )
    assert completion.to_dict() == expected(NAME)
    assert completion.warnings == ()


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_httpx_sync_redraws_as_content_arrives(server: str, framing: str) -> None:
    need("httpx")
    ns, gate = live_names(server, framing)
    ns["chunkstream"] = chunkstream  # this recipe shows the content itself: watch redraw()

    def redraw(text: str) -> None:
        ns["drawn"].append(text)
        if text:
            gate.opened.set()

    ns["redraw"] = redraw
    run_recipe("httpx", ns)
    check_live(gate, ns["completion"])
    # The first content alone: drawn before the rest was sent.
    assert next(text for text in ns["drawn"] if text) == "Hello"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_httpx_async_prints_as_content_arrives(server: str, framing: str) -> None:
    httpx = need("httpx")
    ns, gate = live_names(server, framing)
    ns["chunkstream"] = chunkstream  # this recipe shows the content itself: watch print()
    exec(RECIPES["httpx_async"], ns)
    printed: list[str] = []

    def watched_print(*args: Any, **kw: Any) -> None:
        printed.append(" ".join(map(str, args)) + kw.get("end", "\n"))
        if kw.get("end") == "" and args and args[0]:
            gate.opened.set()

    ns["print"] = watched_print

    async def run() -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=ns["TIMEOUT"])) as client:
            await ns["print_as_it_comes"](client)

    run_async(run())
    assert gate.waited is True, f"the server waited {gate.wait} s; nothing was printed"
    assert next(text for text in printed if text) == "Hello"  # alone: before the rest was sent
    assert "".join(printed) == expected(NAME)["choices"][0]["message"]["content"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_httpx_async_aassemble_reads_as_bytes_arrive(server: str, framing: str) -> None:
    httpx = need("httpx")
    ns, gate = live_names(server, framing)
    exec(RECIPES["httpx_async"], ns)

    async def run() -> chunkstream.ChatCompletion:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=ns["TIMEOUT"])) as client:
            completion: chunkstream.ChatCompletion = await ns["ask"](client)
            return completion

    check_live(gate, run_async(run()))


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_requests_reads_as_bytes_arrive(server: str, framing: str) -> None:
    need("requests")
    ns, gate = live_names(server, framing)
    run_recipe("requests", ns)
    check_live(gate, ns["completion"])


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_urllib_reads_as_bytes_arrive(server: str, framing: str) -> None:
    ns, gate = live_names(server, framing)
    run_recipe("urllib", ns)
    check_live(gate, ns["completion"])


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_aiohttp_reads_as_bytes_arrive(server: str, framing: str) -> None:
    aiohttp = need("aiohttp")
    ns, gate = live_names(server, framing)
    exec(RECIPES["aiohttp"], ns)

    async def run() -> chunkstream.ChatCompletion:
        async with aiohttp.ClientSession() as session:
            completion: chunkstream.ChatCompletion = await ns["ask"](session)
            return completion

    check_live(gate, run_async(run()))


@pytest.mark.parametrize("framing", FRAMINGS)
def test_readme_openai_sdk_raw_reads_as_bytes_arrive(server: str, framing: str) -> None:
    need("openai")
    ns, gate = live_names(server, framing)
    run_recipe("openai", ns)  # the sync part
    check_live(gate, ns["completion"])
    # The async part, on a request of its own.
    mode, agate = live_mode(framing)
    ns["chunkstream"] = watching(agate)
    base_url = live_url(server, mode).removesuffix("/chat/completions")
    aclient = ns["AsyncOpenAI"](base_url=base_url, api_key="k", timeout=ns["TIMEOUT"])
    check_live(agate, run_async(ns["ask"](aclient)))


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_reader_of_64_kib_blocks_is_caught(server: str, framing: str) -> None:
    """The check above can fail: read(65536) waits for 64 KiB (or the end), so the first
    content never reaches chunkstream while the server waits (a short wait here)."""
    mode, gate = live_mode(framing, wait=1.0)
    watched = watching(gate)
    with urlopen(live_url(server, mode)) as response:
        completion = watched.assemble(iter(lambda: response.read(65536), b""))
    assert gate.waited is False
    assert completion.to_dict() == expected(NAME)  # whole, once the server gave up waiting
