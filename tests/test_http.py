"""chunkstream against a real HTTP exchange: a stdlib server on 127.0.0.1 sends the fixtures
with chunked transfer encoding, flushing at random sizes; clients read them with urllib (sync)
and asyncio streams (async) through iter_chunks / aiter_chunks / assemble / aassemble."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

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
    GET or POST (the request body is read and ignored), any path after the name."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # the name http.server calls
        self._send()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send()

    def _send(self) -> None:
        parts = self.path.strip("/").split("/")
        mode, name = ("whole", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        body = (FIXTURES / f"{name}.sse").read_bytes()
        end = int(mode.removeprefix("drop-")) if mode.startswith("drop-") else len(body)
        rng = random.Random(name)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        i = 0
        while i < end:
            j = min(end, i + rng.randint(1, 97))
            piece = body[i:j]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            i = j
        if mode == "hang":
            self.connection.settimeout(30)
            with contextlib.suppress(OSError):
                while self.connection.recv(4096):  # b"": the client closed its end
                    pass
        if mode != "whole":
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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
