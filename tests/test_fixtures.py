"""The project's own fixtures: each hand-written stream against its hand-derived result.

Every ``fixtures/<name>.sse`` is assembled in strict and lenient mode, whole and in random
reads; strict either matches ``expected["strict"]["completion"]`` or raises the error type at
the chunk number and byte offset the fixture names; lenient always matches its completion.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import chunkstream

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    body = (FIXTURES / f"{name}.sse").read_bytes()
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return body, expected


def random_reads(body: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    reads, i = [], 0
    while i < len(body):
        j = i + rng.randint(0, 40)
        reads.append(body[i:j])
        i = j
    return reads


def test_there_are_at_least_fifteen_fixtures_each_with_its_expected_result() -> None:
    assert len(NAMES) >= 15
    for name in NAMES:
        assert (FIXTURES / f"{name}.expected.json").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_fixture_strict(name: str) -> None:
    body, expected = load(name)
    want = expected["strict"]
    for source in (body, random_reads(body, 1), [body[i : i + 1] for i in range(len(body))]):
        if "completion" in want:
            assert chunkstream.assemble(source).to_dict() == want["completion"]
        else:
            error = want["error"]
            with pytest.raises(chunkstream.ChunkstreamError) as info:
                chunkstream.assemble(source)
            assert type(info.value).__name__ == error["type"], str(info.value)
            assert info.value.chunk_index == error["chunk_index"], str(info.value)
            assert info.value.byte_offset == error["byte_offset"], str(info.value)
            assert info.value.partial is not None


@pytest.mark.parametrize("name", NAMES)
def test_fixture_lenient(name: str) -> None:
    body, expected = load(name)
    want = expected["lenient"]["completion"]
    whole = chunkstream.assemble(body, strict=False)
    assert whole.to_dict() == want
    for seed in range(3):
        split = chunkstream.assemble(random_reads(body, seed), strict=False)
        assert split.to_dict() == want
        assert split.warnings == whole.warnings
