"""A finished stream leaves no reference cycle behind: everything it held (every logprobs token,
every tool call) is freed when the last reference goes, not at the cyclic GC's next full
collection. A cycle between a choice and its message kept a whole stream's state alive after
assemble() returned, so log processors held garbage and the GC walked it (issue 13's logprobs
row was 12% slower for it)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

import chunkstream

# Version-independent and long: CI runs it under the README command only (.ci/run).
pytestmark = pytest.mark.slow

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures").glob("*.sse"))


def _garbage_of(run: Callable[[], object]) -> list[str]:
    """The types of the objects that only the cyclic GC would free after ``run``."""
    gc.collect()
    # Every object alive now is left out of the collections below (they walk what ``run``
    # made, not the whole test process: a full collection here took 0.25 s).
    gc.freeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()


def _ways(body: bytes) -> Iterator[tuple[str, Callable[[], object]]]:
    def assembler() -> None:
        a = chunkstream.Assembler(strict=False)
        for i in range(0, len(body), 7):
            a.feed(body[i : i + 7])
            a.snapshot()
        a.close()

    def decoder() -> None:
        d = chunkstream.ChunkDecoder(strict=False)
        d.feed(body)
        d.close()

    async def aassemble() -> None:
        async def reads() -> AsyncIterator[bytes]:
            yield body

        await chunkstream.aassemble(reads(), strict=False)

    yield "assemble", lambda: chunkstream.assemble(body, strict=False)
    yield "Assembler", assembler
    yield "iter_chunks", lambda: list(chunkstream.iter_chunks(body, strict=False))
    yield "ChunkDecoder", decoder
    yield "aassemble", lambda: asyncio.run(aassemble())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_a_finished_stream_leaves_no_cycle(path: Path) -> None:
    body = path.read_bytes()
    for name, run in _ways(body):
        if name == "aassemble":
            continue  # the event loop's own objects are cyclic: checked below without it
        assert _garbage_of(run) == [], name


def test_the_benchmark_streams_leave_no_cycle() -> None:
    from benchmarks.streams import make_stream

    for kind in ("text", "tools", "n4", "logprobs"):
        body = make_stream(kind, 50)
        for name, run in _ways(body):
            if name == "aassemble":
                continue
            assert _garbage_of(run) == [], (kind, name)


def test_the_check_sees_a_cycle() -> None:
    # The helper is not blind: a cycle made on purpose is found.
    def cyclic() -> None:
        a: list[object] = []
        a.append(a)

    assert _garbage_of(cyclic) == ["list"]


LEGACY = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "legacy").glob("*.sse"))


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.name)
def test_a_finished_legacy_stream_leaves_no_cycle(path: Path) -> None:
    body = path.read_bytes()

    def assembler() -> None:
        a = chunkstream.CompletionAssembler(strict=False)
        for i in range(0, len(body), 7):
            a.feed(body[i : i + 7])
            a.snapshot()
        a.close()

    assert _garbage_of(lambda: chunkstream.assemble_completion(body, strict=False)) == []
    assert _garbage_of(lambda: list(chunkstream.iter_completion_chunks(body, strict=False))) == []
    assert _garbage_of(assembler) == []


def test_encoding_leaves_no_cycle() -> None:
    for path in FIXTURES:
        completion = chunkstream.assemble(path.read_bytes(), strict=False)
        assert _garbage_of(lambda c=completion: chunkstream.encode(c)) == [], path.name
