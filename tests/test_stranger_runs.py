"""A stranger's attempts to break the template path's runs (``Template.run``, ``_Core._run``,
``Accumulator._runs``/``_take_run``) and learning by encoding (``_template._by_encoding``):
every stream here is read with runs on, runs off, the template path off, and learning by the
walk alone, and the results (completion, warnings, the error and where it is located,
snapshots, ``Accumulator.chunks``) must be the same."""

from __future__ import annotations

from typing import Any

import fuzz
from helpers import chunk, compact, reads_of
from test_templates import assembled, snapshots, three_ways

import chunkstream

OPEN = chunk({"role": "assistant", "content": ""})
STOP = chunk({}, "stop")


def body_of(*objs: Any, done: bool = True) -> bytes:
    """An SSE body: the opening chunk, ``objs`` (a dict as compact JSON, a str as it is: one
    event's data each), the finish and [DONE]."""
    texts = [compact(OPEN), *(o if type(o) is str else compact(o) for o in objs), compact(STOP)]
    if done:
        texts.append("[DONE]")
    return "".join(f"data: {t}\n\n" for t in texts).encode("utf-8", "surrogatepass")


def with_choices(*choices: dict[str, Any]) -> dict[str, Any]:
    obj = chunk()
    obj["choices"] = list(choices)
    return obj


# -- two holes that append to one text -----------------------------------------------------------


def twice_in_one_chunk(i: int, calls: bool) -> dict[str, Any]:
    """A chunk that names one choice (or one tool call) twice, each time with a text: the
    merge appends both, in the order of the chunk."""
    if calls:
        call = [{"index": 0, "function": {"arguments": f"a{i}"}},
                {"index": 0, "function": {"arguments": f"b{i}"}}]  # fmt: skip
        return with_choices({"index": 0, "delta": {"tool_calls": call}})
    return with_choices(
        {"index": 0, "delta": {"content": f"a{i}"}}, {"index": 0, "delta": {"content": f"b{i}"}}
    )


def test_two_holes_that_append_to_one_text_keep_the_order_of_the_chunks() -> None:
    # A run takes each hole's texts at once; when two holes of one chunk append to the same
    # text (a choice or a tool call named twice in one chunk), the texts must still come in
    # the order of the chunks: a0 b0 a1 b1 ..., not a0 b0 a1 a2 ... b1 b2 ...
    expected = "".join(f"a{i}b{i}" for i in range(8))
    for calls in (False, True):
        first = chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                       "function": {"name": "f", "arguments": ""}}]})  # fmt: skip
        opening = [first] if calls else []
        body = body_of(*opening, *(twice_in_one_chunk(i, calls) for i in range(8)))
        with fuzz.templates(True):
            done = chunkstream.assemble([body], strict=False)
        message = done.choices[0].message
        if calls:
            assert message.tool_calls is not None
            assert message.tool_calls[0].function.arguments == expected
        else:
            assert message.content == expected
        for strict in (True, False):
            for size in (len(body), 700, 3):
                three_ways(assembled, reads_of(body, size), strict)
            three_ways(snapshots, reads_of(body, 600), strict)
