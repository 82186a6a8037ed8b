"""The chunk classes' generated ``to_dict`` (unrolled field by field by ``_gen``) gives what the
generic ``_Model.to_dict`` gives, key order included: on every chunk of the fixture streams and
on hand-built values the generic one handles in its own way (a null sent, a null never sent, a
value put in by ``dataclasses.replace``, a tuple or a model where a string is declared, vendor
keys named like a field)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import chunkstream
from chunkstream import _models
from chunkstream._models import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    FunctionDelta,
    ToolCallDelta,
)

ROOT = Path(__file__).resolve().parent.parent
STREAMS = sorted((ROOT / "fixtures").glob("*.sse"))


def generic(value: Any) -> dict[str, Any]:
    return _models._Model.to_dict(value)


def nested(value: Any) -> list[Any]:
    """The value and every chunk model under it."""
    found = [value]
    for key in value._keys:
        v = getattr(value, key)
        items = v if type(v) is tuple else (v,)
        for item in items:
            if isinstance(item, _models._ChunkModel):
                found.extend(nested(item))
    return found


def same(value: Any) -> None:
    got, want = value.to_dict(), generic(value)
    assert got == want
    assert list(got) == list(want)


def test_every_chunk_class_has_its_own_to_dict() -> None:
    for name, cls in _models.CLASSES.items():
        if issubclass(cls, _models._ChunkModel):
            assert cls.to_dict is not _models._Model.to_dict, name


@pytest.mark.parametrize("path", STREAMS, ids=[p.name for p in STREAMS])
def test_the_unrolled_to_dict_agrees_with_the_generic_one_on_the_fixtures(path: Path) -> None:
    seen = 0
    for chunk in chunkstream.iter_chunks([path.read_bytes()], strict=False):
        for value in nested(chunk):
            same(value)
            seen += 1
    assert seen > 0 or "empty" in path.name or "error" in path.name


def test_nulls_sent_are_kept_and_nulls_never_sent_are_left_out() -> None:
    obj = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "usage": None,
        "choices": [
            {"index": 0, "delta": {"content": None, "role": "assistant"}, "finish_reason": None}
        ],
    }
    chunk = ChatCompletionChunk.from_dict(obj)
    for value in nested(chunk):
        same(value)
    assert chunk.to_dict() == obj


def test_hand_built_values_are_written_as_the_generic_to_dict_writes_them() -> None:
    call = ToolCallDelta(index=0, function=FunctionDelta(arguments="{}"))
    delta = ChoiceDelta(
        content=({"type": "text", "text": "t"},),
        tool_calls=(call,),
        role=("odd", "tuple"),  # type: ignore[arg-type]  # the constructors trust their caller
        refusal=call,  # type: ignore[arg-type]
        extra={"role": "vendor", "x": [1]},
    )
    choice = ChunkChoice(index=0, delta=delta, extra={"chunkstream_vendor": 1})
    chunk = ChatCompletionChunk(
        id="c", object="chat.completion.chunk", created=1, model="m", choices=(choice,)
    )
    for value in nested(chunk):
        same(value)
    assert chunk.to_dict()["choices"][0]["delta"]["role"] == ["odd", "tuple"]
    sent = {"id": "c", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {}}]}
    parsed = ChatCompletionChunk.from_dict(sent)
    assert parsed.to_dict() == sent
    replaced = dataclasses.replace(parsed, system_fingerprint="fp")
    same(replaced)
    assert replaced.to_dict()["system_fingerprint"] == "fp"
