"""A stranger's tries at the template path's holes inside lists (issue 14): Mistral's list content
(one part with one text), OpenRouter's indexed ``reasoning_details`` (one fragment with one
text), a choice's ``logprobs`` of nulls (Snowflake), and the back-off that starts again after a
long run the fast taker declined.

Every stream here is assembled with the template path on and off (``fuzz.templates``) and the
two compared whole: the completion, every warning, the error with its location and ``partial``,
the snapshots after every read, and ``iter_chunks``' chunks; whole, in reads of 1, 2 and 3
bytes and at random cuts, strict and lenient. Where the result can be written by hand from the
chunks sent (the joined texts, the fragments merged by index) it is asserted too, and a count of
the chunks a template matched shows the path was taken at all (else the comparison proves
nothing).
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import fuzz
import pytest
from helpers import chunk, compact, reads_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_templates import assembled, both_ways, chunked, count_matches, events_of, live

import chunkstream

# -- building streams ----------------------------------------------------------------------------

OPEN = chunk({"role": "assistant", "content": ""})
HI = chunk({"content": "Hi"})
STOP = chunk({}, "stop")


def body_of(*objs: Any, done: bool = True, head: bool = True) -> bytes:
    """An SSE body: (``head``) the opening chunk and a plain text chunk, then ``objs`` (a dict
    is sent as compact JSON, a str as it is), then the finish and (``done``) ``[DONE]``."""
    events = [compact(OPEN), compact(HI)] if head else []
    events += [o if type(o) is str else compact(o) for o in objs]
    events.append(compact(STOP))
    if done:
        events.append("[DONE]")
    return "".join(f"data: {e}\n\n" for e in events).encode("utf-8", "surrogatepass")


def parts(*content: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A chunk whose delta's content is the list ``content`` (Mistral)."""
    return chunk({"content": list(content)}, **more)


def think(w: str) -> dict[str, Any]:
    """Mistral's thinking part: a list of one text object."""
    return {"type": "thinking", "thinking": [{"type": "text", "text": w}]}


def text(w: str) -> dict[str, Any]:
    return {"type": "text", "text": w}


def details(*fragments: dict[str, Any], **delta: Any) -> dict[str, Any]:
    """A chunk whose delta carries ``reasoning_details`` (OpenRouter)."""
    return chunk({**delta, "reasoning_details": list(fragments)})


def frag(t: str, index: Any = 0, **more: Any) -> dict[str, Any]:
    return {"type": "reasoning.text", "text": t, "format": "anthropic-claude-v1", "index": index,
            **more}  # fmt: skip


def with_logprobs(delta: dict[str, Any], logprobs: Any) -> dict[str, Any]:
    obj = chunk(delta)
    obj["choices"][0]["logprobs"] = logprobs
    return obj


NULLS = {"content": None, "refusal": None}


# -- what is compared ----------------------------------------------------------------------------


def live_reads(reads: list[bytes], strict: bool) -> Any:
    """``live`` with a snapshot after each of the given reads (not one event per read)."""
    return live(reads, strict)


def agree(
    body: bytes,
    seed: Any = 0,
    tiny: tuple[int, ...] = (1, 2, 3),
    stricts: tuple[bool, ...] = (True, False),
    **limits: Any,
) -> dict[bool, Any]:
    """Templates on and off give the same, whole, at random cuts and in tiny reads, as
    ``assemble``, ``iter_chunks`` and an ``Assembler`` snapshotted after every event and after
    every 3-byte read. The results, on, by strictness."""
    rng = random.Random(str(seed))
    points = sorted(rng.sample(range(1, len(body)), min(8, len(body) - 1)))
    out = {}
    for strict in stricts:
        for reads in ([body], fuzz.cut(body, points), *(reads_of(body, n) for n in tiny)):
            with fuzz.templates(True):
                on = assembled(reads, strict, **limits)
            with fuzz.templates(False):
                off = assembled(reads, strict, **limits)
            assert on == off, (strict, len(reads))
        out[strict] = on
        if not limits:
            a, b = both_ways(chunked, [body], strict)
            assert a == b, strict
            for reads in (events_of(body), reads_of(body, 3)):
                a, b = both_ways(live_reads, reads, strict)
                assert a == b, (strict, len(reads))
    return out


def message(result: Any, index: int = 0) -> dict[str, Any]:
    assert result[0] == "ok", result
    choices = {c["index"]: c for c in result[1]["choices"]}
    got: dict[str, Any] = choices[index]["message"]
    return got


def matched(body: bytes) -> int:
    return count_matches(body)[0]


# -- Mistral's list content ----------------------------------------------------------------------


def test_thinking_then_text_then_thinking_again_joins_each_text_in_order() -> None:
    first = [f"t{i} " for i in range(12)]
    middle = [f"x{i} " for i in range(12)]
    last = [f"u{i} " for i in range(12)]
    body = body_of(
        *[parts(think(w)) for w in first],
        *[parts(text(w)) for w in middle],
        *[parts(think(w)) for w in last],
    )
    # Each run: its first chunk goes the full way and is learned from, the rest match.
    assert matched(body) >= 30, matched(body)
    out = agree(body, "runs")
    for strict in (True, False):
        m = message(out[strict])
        assert m["reasoning_content"] == "".join(first + last)
        assert m["content"] == "Hi" + "".join(middle)
        assert m["content_parts"] == (
            [think(w) for w in first] + [text(w) for w in middle] + [think(w) for w in last]
        )


def test_plain_text_after_a_long_thinking_run_is_learned_again() -> None:
    # The back-off restart: 20 thinking chunks of two texts each (nothing planned: each goes
    # the long way), then 20 plain text chunks, which must be matched.
    def two(w: str) -> dict[str, Any]:
        return parts({"type": "thinking", "thinking": [text(w), text(".")]})

    plain = [chunk({"content": f"w{i}"}) for i in range(20)]
    body = body_of(*[two(f"r{i}") for i in range(20)], *plain)
    assert matched(body) >= 18
    out = agree(body, "restart", tiny=(2,))
    m = message(out[True])
    assert m["reasoning_content"] == "".join(f"r{i}." for i in range(20))
    assert m["content"] == "Hi" + "".join(f"w{i}" for i in range(20))


@pytest.mark.parametrize(
    "variants",
    [
        # the same layout, another type: reasoning then content then reasoning
        [lambda w: {"type": "thinking", "text": w}, lambda w: {"type": "text", "text": w}],
        # closed false -> true on a thinking string
        [
            lambda w: {"type": "thinking", "thinking": w, "closed": False},
            lambda w: {"type": "thinking", "thinking": w, "closed": True},
        ],
        # a thinking list then a thinking string then a thinking part's own text
        [
            think,
            lambda w: {"type": "thinking", "thinking": w},
            lambda w: {"type": "thinking", "text": w},
        ],
    ],
    ids=["type", "closed", "thinking-shape"],
)
def test_a_part_that_changes_its_non_text_values_goes_the_full_way(variants: Any) -> None:
    rng = random.Random(len(variants))
    picks = [rng.randrange(len(variants)) for _ in range(30)]
    picks[:4] = [0, 0, 1, 1]
    objs = [parts(variants[k](f"w{i}")) for i, k in enumerate(picks)]
    body = body_of(*objs)
    assert matched(body) > 0
    out = agree(body, picks)
    expected_parts = [variants[k](f"w{i}") for i, k in enumerate(picks)]
    for strict in (True, False):
        m = message(out[strict])
        assert m["content_parts"] == expected_parts
        reasoning = "".join(
            f"w{i}" for i, p in enumerate(expected_parts) if p["type"] == "thinking"
        )
        text_ = "".join(f"w{i}" for i, p in enumerate(expected_parts) if p["type"] == "text")
        assert m["content"] == "Hi" + text_
        assert (m.get("reasoning_content") or "") == reasoning


ESCAPED = [
    r"a\"b",
    r"\\",
    r"\u00e9",
    r"\n\t\r\b\f\/",
    r"\u0001\u001f",
    "",
    r"\u4e2d\ud83d\ude00",
    "é中😀",
]


@pytest.mark.parametrize("shape", ["think", "text", "thinking string"])
def test_part_texts_with_escapes_are_what_json_reads(shape: str) -> None:
    def part(raw: str) -> str:
        if shape == "think":
            obj = parts(think("@@"))
        elif shape == "text":
            obj = parts(text("@@"))
        else:
            obj = parts({"type": "thinking", "thinking": "@@", "closed": True})
        return compact(obj).replace("@@", raw)

    raws = ["plain", *ESCAPED, "plain"]
    body = body_of(*[part(r) for r in raws])
    assert matched(body) >= len(raws) - 2
    out = agree(body, shape)
    expected = "".join(json.loads(f'"{r}"') for r in raws)
    field = "content" if shape == "text" else "reasoning_content"
    for strict in (True, False):
        got = message(out[strict])[field]
        assert got == ("Hi" + expected if shape == "text" else expected)


def test_a_surrogate_pair_split_between_two_matched_parts_is_mended() -> None:
    def part(raw: str) -> str:
        return compact(parts(think("@@"))).replace("@@", raw)

    body = body_of(part("a"), part(r"\ud83d"), part(r"\ude00"), part("b"))
    assert matched(body) == 3
    out = agree(body, "pair")
    m = message(out[True])
    assert m["reasoning_content"] == "a😀b"
    # Each part as sent, its lone surrogate mended as every final string is (to U+FFFD).
    texts = [p["thinking"][0]["text"] for p in m["content_parts"]]
    assert texts == ["a", "\ufffd", "\ufffd", "b"]


def test_a_raw_control_character_in_a_part_is_an_error_or_a_warning_either_way() -> None:
    bad = compact(parts(think("@@"))).replace("@@", "a\x01b")
    body = body_of(parts(think("x")), parts(think("y")), bad, parts(think("z")))
    out = agree(body, "control")
    assert out[True][0] == "error" and out[True][1] == "ChunkError"
    assert out[True][3] == 4  # open, Hi, x, y, then the bad one
    m = message(out[False])
    assert m["reasoning_content"] == "xyz"
    assert out[False][2], "the skipped chunk is warned about"


def test_image_parts_two_parts_and_odd_thinking_lists_between_planned_parts() -> None:
    odd = [
        parts({"type": "image_url", "image_url": {"url": "https://x/1.png"}}),
        parts(text("A"), text("B")),
        parts({"type": "thinking", "thinking": []}),
        parts({"type": "thinking", "thinking": [text("C"), text("D")]}),
        parts(think("E"), {"type": "image_url", "image_url": {"url": "u"}}),
        parts({"type": "thinking", "thinking": [text("F"), {"type": "other"}]}),
        chunk({"content": []}),
    ]
    objs: list[Any] = []
    for i, o in enumerate(odd):
        objs += [parts(think(f"r{i}a")), parts(think(f"r{i}b")), o, o, parts(think(f"r{i}c"))]
    body = body_of(*objs)
    assert matched(body) >= len(odd)
    out = agree(body, "odd", tiny=(1, 3))
    m = message(out[False])
    odd_reasoning = ["", "", "", "CD", "E", "F", ""]
    assert m["reasoning_content"] == "".join(
        f"r{i}ar{i}b" + odd_reasoning[i] * 2 + f"r{i}c" for i in range(len(odd))
    )
    assert m["content"] == "HiABAB"
    assert len(m["content_parts"]) == sum(len(o["choices"][0]["delta"]["content"]) for o in objs)


def test_nested_objects_inside_a_part_ride_along_unchanged() -> None:
    def part(w: str) -> dict[str, Any]:
        return {"type": "text", "text": w, "meta": {"k": ["v", {"d": 1}]}, "n": 2}

    body = body_of(*[parts(part(f"w{i}")) for i in range(10)])
    assert matched(body) == 9
    out = agree(body, "nested")
    m = message(out[True])
    assert m["content"] == "Hi" + "".join(f"w{i}" for i in range(10))
    assert m["content_parts"] == [part(f"w{i}") for i in range(10)]


def test_content_switching_between_a_string_and_a_list() -> None:
    objs: list[Any] = []
    for i in range(6):
        objs += [chunk({"content": f"s{i}"}), chunk({"content": f"s{i}'"})]
        objs += [parts(text(f"p{i}")), parts(text(f"p{i}'")), parts(think(f"t{i}"))]
    body = body_of(*objs)
    assert matched(body) > 6
    out = agree(body, "switch")
    m = message(out[True])
    assert m["content"] == "Hi" + "".join(f"s{i}s{i}'p{i}p{i}'" for i in range(6))
    assert m["reasoning_content"] == "".join(f"t{i}" for i in range(6))


def n2_body(done: bool = True) -> bytes:
    objs: list[Any] = [chunk({"role": "assistant", "content": ""}, index=1)]
    for i in range(10):
        objs.append(chunk({"content": f"a{i}"}, index=0))
        objs.append(chunk({"content": [think(f"b{i}")]}, index=1))
    for i in range(6):
        objs.append(chunk({"content": [text(f"c{i}")]}, index=1))
        objs.append(chunk({"content": f"d{i}"}, index=0))
    objs.append(chunk({}, "length", index=1))
    return body_of(*objs, done=done)


def test_list_content_on_choice_1_interleaved_with_text_on_choice_0() -> None:
    body = n2_body()
    assert matched(body) >= 20
    out = agree(body, "n2")
    for strict in (True, False):
        zero, one = message(out[strict], 0), message(out[strict], 1)
        assert zero["content"] == "Hi" + "".join(f"a{i}" for i in range(10)) + "".join(
            f"d{i}" for i in range(6)
        )
        assert one["reasoning_content"] == "".join(f"b{i}" for i in range(10))
        assert one["content"] == "".join(f"c{i}" for i in range(6))


@pytest.mark.parametrize("limits", [{"max_choices": 1}, {"max_warnings": 1}, {"max_warnings": 0}])
def test_limits_with_interleaved_list_content(limits: dict[str, Any]) -> None:
    out = agree(n2_body(), limits, tiny=(2,), **limits)
    if "max_choices" in limits:
        assert out[True][0] == "error"
        m = message(out[False], 0)
        assert m["content"].startswith("Hi")
        assert [c["index"] for c in out[False][1]["choices"]] == [0]


def test_list_content_after_the_choice_finished_is_a_late_delta_each_time() -> None:
    late = [parts(think(f"late{i}")) for i in range(5)]
    objs = [parts(think("a")), parts(think("b")), chunk({}, "stop"), *late]
    body = body_of(*objs)
    out = agree(body, "late")
    assert out[True][0] == "error" and out[True][1] == "InconsistentStreamError"
    assert out[True][3] == 5  # open, Hi, a, b, stop, the first late one
    # Lenient: each late part is warned about (the repeated finish is a no-op) and kept.
    warnings = out[False][2]
    assert len(warnings) == 5 and all("kind='late_delta'" in w for w in warnings), warnings
    m = message(out[False])
    assert m["reasoning_content"] == "ab" + "".join(f"late{i}" for i in range(5))
    # max_warnings=2: the rest are counted in one more warning, either way.
    agree(body, "late-limit", tiny=(2,), stricts=(False,), max_warnings=2)


def test_list_content_without_done() -> None:
    objs = [parts(think(f"r{i}")) for i in range(10)] + [parts(text(f"x{i}")) for i in range(5)]
    body = body_of(*objs, done=False)
    out = agree(body, "nodone")
    m = message(out[False])
    assert m["reasoning_content"] == "".join(f"r{i}" for i in range(10))
    assert m["content"] == "Hi" + "".join(f"x{i}" for i in range(5))
