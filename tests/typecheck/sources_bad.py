"""Sources `mypy --strict` must reject (tests/test_typing.py runs mypy on this file and checks
that each line marked `# error: <code>` is reported with that code, and nothing else)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

import chunkstream


def wrong(response: httpx.Response, texts: Iterator[str], reads: AsyncIterator[bytes]) -> None:
    chunkstream.assemble(5)  # error: arg-type Argument 1 to "assemble" has incompatible type "int"
    chunkstream.assemble(None)  # error: arg-type incompatible type "None"
    chunkstream.iter_chunks(3.5)  # error: arg-type "iter_chunks" has incompatible type "float"
    chunkstream.assemble([1, 2, 3])  # error: list-item has incompatible type "int"
    with open("capture.sse", encoding="utf-8") as text_file:
        chunkstream.assemble(text_file)  # error: arg-type incompatible type "TextIOWrapper
        chunkstream.iter_chunks(text_file)  # error: arg-type incompatible type "TextIOWrapper
    chunkstream.assemble(texts)  # error: arg-type incompatible type "Iterator[str]"
    chunkstream.assemble(response.aiter_bytes())  # error: arg-type "AsyncIterator[bytes]"
    chunkstream.assemble(reads)  # error: arg-type "AsyncIterator[bytes]"


async def wrong_async(response: httpx.Response, body: bytes) -> None:
    await chunkstream.aassemble(body)  # error: arg-type "aassemble" has incompatible type "bytes"
    await chunkstream.aassemble(response.iter_bytes())  # error: arg-type "Iterator[bytes]"
    chunkstream.aiter_chunks([body])  # error: arg-type "list[bytes]"; expected "AsyncIterable
