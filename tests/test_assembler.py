"""Assembler (assemble, incrementally) and the iterators' warnings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import chunkstream
from chunkstream import Assembler

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def body(name: str) -> bytes:
    return (FIXTURES / f"{name}.sse").read_bytes()


def expected(name: str, mode: str) -> dict:  # type: ignore[type-arg]
    data = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return data[mode]  # type: ignore[no-any-return]


def reads(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("name", ["openai-text-usage", "openai-n2-interleaved", "crlf-endings"])
def test_assembler_fed_read_by_read_gives_the_fixture_completion(name: str) -> None:
    asm = Assembler()
    for read in reads(body(name), 37):
        asm.feed(read)
    assert asm.done
    assert asm.close().to_dict() == expected(name, "strict")["completion"]
    assert asm.close() is asm.close()  # a second close returns the same completion


def test_feed_returns_the_chunks_a_read_completed_and_snapshots_grow() -> None:
    data = body("openai-text-usage")
    asm = Assembler()
    counts, texts = [], []
    for read in data.split(b"\n\n"):
        counts.append(asm.feed(read + b"\n\n"))
        snap = asm.snapshot()
        texts.append(snap.choices[0].message.content if snap.choices else None)
    # 7 chunks then [DONE] (which is no chunk); the text grows chunk by chunk.
    assert counts[:8] == [1, 1, 1, 1, 1, 1, 1, 0]
    assert texts[:5] == [
        "",
        "Hello",
        "Hello! How",
        "Hello! How can I help",
        "Hello! How can I help today?",
    ]


def test_lenient_assembler_keeps_warnings_with_locations() -> None:
    asm = Assembler(strict=False)
    for read in reads(body("corrupt-chunk-midstream"), 50):
        asm.feed(read)
    completion = asm.close()
    assert completion.to_dict() == expected("corrupt-chunk-midstream", "lenient")["completion"]
    assert [(w.kind, w.chunk_index, w.byte_offset) for w in asm.warnings] == [
        ("invalid_chunk", 3, 838)
    ]
    assert completion.warnings == tuple(asm.warnings)


def test_strict_assembler_raises_with_partial_where_assemble_does() -> None:
    asm = Assembler()
    with pytest.raises(chunkstream.UpstreamError) as info:
        for read in reads(body("inband-error"), 64):
            asm.feed(read)
    assert (info.value.chunk_index, info.value.byte_offset) == (3, 728)
    assert info.value.partial is not None


def test_assembler_refuses_feed_after_close_and_non_bytes() -> None:
    asm = Assembler()
    with pytest.raises(TypeError) as info:
        asm.feed(5)  # type: ignore[arg-type]
    assert str(info.value) == (
        "expected reads of bytes (or str), got int; pass the response's byte iterator, "
        "e.g. response.iter_bytes()"
    )
    asm.feed(body("openai-text-usage"))
    asm.close()
    with pytest.raises(RuntimeError) as info2:
        asm.feed(b"data: {}\n\n")
    assert str(info2.value) == "Assembler.feed() called after close(); use a new Assembler"


def test_iter_chunks_keeps_the_lenient_warnings() -> None:
    it = chunkstream.iter_chunks(reads(body("corrupt-chunk-midstream"), 50), strict=False)
    chunks = list(it)
    assert len(chunks) == 5  # 6 chunk events, the corrupt one skipped
    assert [(w.kind, w.chunk_index, w.byte_offset) for w in it.warnings] == [
        ("invalid_chunk", 3, 838)
    ]
    assert it.done


def test_aiter_chunks_keeps_the_lenient_warnings() -> None:
    async def source() -> AsyncIterator[bytes]:
        for read in reads(body("corrupt-chunk-midstream"), 50):
            yield read

    async def run() -> tuple[int, list[tuple[str, int | None]]]:
        it = chunkstream.aiter_chunks(source(), strict=False)
        n = 0
        async for _ in it:
            n += 1
        return n, [(w.kind, w.chunk_index) for w in it.warnings]

    assert asyncio.run(run()) == (5, [("invalid_chunk", 3)])


def _many_bad_chunks(n: int) -> bytes:
    good = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    return good + b"data: not json\n\n" * n + b"data: [DONE]\n\n"


def test_warnings_past_max_warnings_are_counted_not_kept() -> None:
    completion = chunkstream.assemble(_many_bad_chunks(5), strict=False, max_warnings=3)
    assert [w.kind for w in completion.warnings] == [
        "invalid_chunk",
        "invalid_chunk",
        "invalid_chunk",
        "warnings_dropped",
    ]
    assert completion.warnings[-1].message == (
        "2 more warning(s) not kept, over max_warnings (3); by kind: invalid_chunk: 2"
    )
    assert completion.choices[0].message.content == "a"


def test_default_cap_bounds_the_warnings_of_a_hostile_stream() -> None:
    completion = chunkstream.assemble(_many_bad_chunks(1500), strict=False)
    assert len(completion.warnings) == chunkstream.DEFAULT_MAX_WARNINGS + 1 == 1001
    assert completion.warnings[-1].message == (
        "500 more warning(s) not kept, over max_warnings (1000); by kind: invalid_chunk: 500"
    )


def test_chunk_decoder_and_iterators_cap_their_warnings_too() -> None:
    it = chunkstream.iter_chunks(_many_bad_chunks(4), strict=False, max_warnings=2)
    assert len(list(it)) == 1
    assert [w.kind for w in it.warnings] == ["invalid_chunk", "invalid_chunk", "warnings_dropped"]
    assert it.decoder.warnings_dropped == {"invalid_chunk": 2}
