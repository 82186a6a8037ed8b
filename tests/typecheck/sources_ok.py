"""Sources `mypy --strict` must accept for assemble/iter_chunks/aassemble/aiter_chunks
(tests/test_typing.py runs mypy on this file; it is never run itself)."""

from __future__ import annotations

import gzip
import http.client
import io
import urllib.request
from pathlib import Path

import aiohttp
import httpx
import urllib3

import chunkstream
from chunkstream import ChatCompletion, ChatCompletionChunk


def from_httpx(response: httpx.Response) -> ChatCompletion:
    return chunkstream.assemble(response.iter_bytes())


def chunks_from_httpx(response: httpx.Response) -> list[ChatCompletionChunk]:
    return list(chunkstream.iter_chunks(response.iter_raw()))


async def from_httpx_async(response: httpx.Response) -> ChatCompletion:
    return await chunkstream.aassemble(response.aiter_bytes())


async def chunks_from_httpx_async(response: httpx.Response) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in chunkstream.aiter_chunks(response.aiter_bytes())]


async def from_aiohttp(response: aiohttp.ClientResponse) -> ChatCompletion:
    return await chunkstream.aassemble(response.content.iter_any())


async def chunks_from_aiohttp(response: aiohttp.ClientResponse) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in chunkstream.aiter_chunks(response.content.iter_chunked(1024))]


def from_urllib3(raw: urllib3.HTTPResponse) -> ChatCompletion:
    # requests' `response.raw` is this object (requests types the attribute as Any).
    return chunkstream.assemble(raw)


def from_urllib3_stream(raw: urllib3.BaseHTTPResponse) -> ChatCompletion:
    return chunkstream.assemble(raw.stream(None))


def from_urllib(url: str) -> ChatCompletion:
    with urllib.request.urlopen(url) as response:
        return chunkstream.assemble(response)


def from_http_client(response: http.client.HTTPResponse) -> ChatCompletion:
    # What urllib.request.urlopen returns for http(s) (typeshed types that as Any).
    return chunkstream.assemble(response)


def from_path(path: Path) -> ChatCompletion:
    return chunkstream.assemble(path)


def chunks_from_path(path: Path) -> list[ChatCompletionChunk]:
    return list(chunkstream.iter_chunks(path))


def from_binary_file(path: str) -> ChatCompletion:
    with open(path, "rb") as file:
        return chunkstream.assemble(file)


def from_unbuffered_file(path: str) -> ChatCompletion:
    with open(path, "rb", buffering=0) as file:
        return chunkstream.assemble(file)


def from_gzip(path: Path) -> ChatCompletion:
    with gzip.open(path) as file:
        return chunkstream.assemble(file)


def from_bytes_like(body: bytes) -> list[ChatCompletion]:
    return [
        chunkstream.assemble(body),
        chunkstream.assemble(bytearray(body)),
        chunkstream.assemble(memoryview(body)),
        chunkstream.assemble(io.BytesIO(body)),
        chunkstream.assemble(body.decode()),
        chunkstream.assemble([body[:10], bytearray(body[10:20]), memoryview(body)[20:]]),
        chunkstream.assemble(body[i : i + 7] for i in range(0, len(body), 7)),
    ]


def from_stream_reader(reader: io.BufferedReader) -> list[ChatCompletionChunk]:
    return list(chunkstream.iter_chunks(reader))
