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
from test_templates import (
    assembled,
    both_ways,
    chunked,
    count_matches,
    events_of,
    live,
    plan_of,
)

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


def joined(prefix: str, n: int) -> str:
    """``prefix`` numbered 0 to n - 1, joined: the texts of a run of n chunks."""
    return "".join(f"{prefix}{i}" for i in range(n))


def checked(body: bytes, seed: Any, at_least: int) -> dict[bool, Any]:
    """:func:`agree` on a body of which at least ``at_least`` chunks a template matched."""
    assert matched(body) >= at_least, matched(body)
    return agree(body, seed)


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


# -- OpenRouter's reasoning_details --------------------------------------------------------------


def test_fragments_whose_index_moves_on_are_items_of_their_own() -> None:
    zero = [f"a{i} " for i in range(8)]
    one = [f"b{i} " for i in range(8)]
    back = [f"c{i} " for i in range(4)]
    body = body_of(
        *[details(frag(w)) for w in zero],
        *[details(frag(w, index=1)) for w in one],
        *[details(frag(w)) for w in back],  # index 0 again: merged into the first item
    )
    assert matched(body) >= 16
    out = agree(body, "index")
    for strict in (True, False):
        assert message(out[strict])["reasoning_details"] == [
            frag("".join(zero + back)),
            frag("".join(one), index=1),
        ]


def test_another_item_at_the_same_index_when_a_name_changes() -> None:
    # type, format, id each change in turn at index 0: a new item each time, later fragments
    # of index 0 go to it.
    runs = [
        {},
        {"format": "other"},
        {"type": "reasoning.summary"},
        {"id": "rs_2"},
        {"id": "rs_3"},
    ]
    objs = []
    expected = []
    for r, names in enumerate(runs):
        words = [f"{r}.{i} " for i in range(5)]
        objs += [details({**frag(w), **names}) for w in words]
        expected.append({**frag("".join(words)), **names})
    body = body_of(*objs)
    assert matched(body) >= 15
    out = agree(body, "names")
    assert message(out[False])["reasoning_details"] == expected


def test_a_signature_after_empty_texts_and_the_other_kinds_of_item() -> None:
    objs = [details(frag(f"t{i}")) for i in range(6)]
    objs += [details(frag("", signature=f"s{i}")) for i in range(4)]  # the signature's a hole
    enc = [{"type": "reasoning.encrypted", "data": f"d{i}", "index": 1} for i in range(6)]
    summ = [{"type": "reasoning.summary", "summary": f"m{i}", "index": 2} for i in range(6)]
    objs += [details(e) for e in enc] + [details(s) for s in summ]
    body = body_of(*objs)
    assert matched(body) >= 15
    out = agree(body, "kinds")
    assert message(out[True])["reasoning_details"] == [
        frag("".join(f"t{i}" for i in range(6)), signature="".join(f"s{i}" for i in range(4))),
        {"type": "reasoning.encrypted", "data": "".join(f"d{i}" for i in range(6)), "index": 1},
        {"type": "reasoning.summary", "summary": "".join(f"m{i}" for i in range(6)), "index": 2},
    ]


@pytest.mark.parametrize(
    "index", ["0", 0.0, True, None, "missing"], ids=["str", "float", "bool", "null", "missing"]
)
def test_fragments_whose_index_is_no_integer_are_each_an_item(index: Any) -> None:
    def f(w: str) -> dict[str, Any]:
        out = frag(w, index=index)
        if index == "missing":
            del out["index"]
        return out

    body = body_of(*[details(f(f"w{i}")) for i in range(8)])
    out = agree(body, index)
    # Not merged by an index: each fragment is an item as sent.
    assert message(out[False])["reasoning_details"] == [f(f"w{i}") for i in range(8)]


def test_nested_objects_in_a_fragment_are_merged_by_the_delta_rule_either_way() -> None:
    def f(w: str) -> dict[str, Any]:
        return frag(w, meta={"k": "v", "n": 1, "l": [1]})

    body = body_of(*[details(f(f"w{i}")) for i in range(6)])
    assert matched(body) == 5
    out = agree(body, "nested-frag")
    # The fragment's object merged key by key six times: its string appended, its list
    # extended, its number the last.
    assert message(out[True])["reasoning_details"] == [
        frag("".join(f"w{i}" for i in range(6)), meta={"k": "v" * 6, "n": 1, "l": [1] * 6})
    ]


def test_two_fragments_in_one_list_and_one_with_two_texts() -> None:
    objs = []
    for i in range(4):
        objs += [details(frag(f"a{i}")), details(frag(f"b{i}"))]
        objs.append(details(frag(f"c{i}"), frag(f"d{i}", index=1)))
        objs.append(details(frag(f"e{i}", summary=f"s{i}")))
    body = body_of(*objs)
    out = agree(body, "two")
    zero = "".join(f"a{i}b{i}c{i}e{i}" for i in range(4))
    assert message(out[True])["reasoning_details"] == [
        frag(zero, summary="".join(f"s{i}" for i in range(4))),
        frag("".join(f"d{i}" for i in range(4)), index=1),
    ]


def test_reasoning_details_beside_tool_call_fragments() -> None:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    objs: list[Any] = [chunk({"tool_calls": [call]})]
    for i in range(8):
        args = {"index": 0, "function": {"arguments": f"{i}"}}
        objs.append(details(frag(f"r{i}"), tool_calls=[args]))
    body = body_of(*objs)
    assert matched(body) >= 6
    out = agree(body, "tools")
    m = message(out[True])
    assert m["reasoning_details"] == [frag("".join(f"r{i}" for i in range(8)))]
    assert m["tool_calls"][0]["function"]["arguments"] == "01234567"


def test_reasoning_details_with_a_snapshot_between_every_read_and_edits_to_each() -> None:
    # The vendor store logs merges after the first snapshot: each snapshot must show the
    # fragments merged so far, and what a reader does to one snapshot's lists and dicts
    # reaches no later snapshot or the result.
    words = [f"w{i}" for i in range(12)]
    objs = [details(frag(w, meta={"k": "v"})) for w in words[:8]]
    objs += [details(frag(w, index=1)) for w in words[8:]]
    body = body_of(*objs)
    reads = reads_of(body, 5)
    for on in (True, False):
        with fuzz.templates(on):
            asm = chunkstream.Assembler()
        seen = []
        for read in reads:
            asm.feed(read)
            snap = asm.snapshot()
            got = snap.to_dict()
            seen.append(json.loads(json.dumps(got)))
            # The reader edits everything: the to_dict, the message's extra list and dicts.
            if snap.choices:
                extra = snap.choices[0].message.extra
                for item in extra.get("reasoning_details", []):
                    item["text"] = "edited"
                    item.setdefault("meta", {})["k"] = "edited"
                extra.setdefault("reasoning_details", []).append({"added": 1})
            for c in got["choices"]:
                c["message"].setdefault("reasoning_details", []).append("edited")
        final = asm.close()
        if on:
            seen_on, final_on = seen, final.to_dict()
        else:
            assert seen == seen_on and final.to_dict() == final_on
    assert final_on["choices"][0]["message"]["reasoning_details"] == [
        frag("".join(words[:8]), meta={"k": "v" * 8}),
        frag("".join(words[8:]), index=1),
    ]
    # The snapshots show the first item's text growing a fragment at a time, in order.
    texts = [
        s["choices"][0]["message"]["reasoning_details"][0]["text"]
        for s in seen_on
        if s["choices"] and s["choices"][0]["message"].get("reasoning_details")
    ]
    steps = [t for n, t in enumerate(texts) if n == 0 or texts[n - 1] != t]
    assert steps == ["".join(words[:k]) for k in range(1, 9)]


# -- a choice's logprobs -------------------------------------------------------------------------


def token(t: str) -> dict[str, Any]:
    return {
        "token": t,
        "logprob": -0.5,
        "bytes": list(t.encode("utf-8", "surrogatepass")),
        "top_logprobs": [],
    }


def test_logprobs_of_nulls_then_a_token_then_nulls_again() -> None:
    objs = [with_logprobs({"content": f"a{i}"}, NULLS) for i in range(6)]
    objs += [with_logprobs({"content": "T"}, {"content": [token("T")], "refusal": None})] * 2
    objs += [with_logprobs({"content": f"b{i}"}, NULLS) for i in range(6)]
    body = body_of(*objs)
    assert matched(body) >= 8
    out = agree(body, "lp")
    for strict in (True, False):
        choice = out[strict][1]["choices"][0]
        assert choice["message"]["content"] == (
            "Hi" + "".join(f"a{i}" for i in range(6)) + "TT" + "".join(f"b{i}" for i in range(6))
        )
        assert choice["logprobs"] == {"content": [token("T"), token("T")], "refusal": None}


@pytest.mark.parametrize(
    "logprobs",
    [
        {},
        {"content": None, "refusal": None, "x_vendor": "v"},
        {"content": None, "refusal": None, "x_n": 3},
        {"content": None, "x_obj": {"k": "v"}},
        {"content": None, "refusal": None, "x_list": ["a"]},
        {"content": [], "refusal": None},
    ],
    ids=["empty", "vendor-string", "vendor-int", "vendor-object", "vendor-list", "empty-tokens"],
)
def test_logprobs_objects_of_other_shapes(logprobs: dict[str, Any]) -> None:
    objs = [with_logprobs({"content": f"a{i}"}, logprobs) for i in range(10)]
    body = body_of(*objs)
    out = agree(body, logprobs)
    assert message(out[True])["content"] == "Hi" + "".join(f"a{i}" for i in range(10))


def test_a_vendor_string_in_logprobs_that_changes_with_snapshots_between() -> None:
    # A vendor value in logprobs new in every chunk (a hole given to the logprobs' own
    # fallback): every snapshot shows the one of the chunks read so far.
    objs = [
        with_logprobs({"content": f"a{i}"}, {"content": None, "x_step": f"s{i}", "x_n": i})
        for i in range(10)
    ]
    body = body_of(*objs)
    assert matched(body) >= 8
    out = agree(body, "lp-vendor")
    lp = out[True][1]["choices"][0]["logprobs"]
    assert lp["x_n"] == 9
    for on in (True, False):
        with fuzz.templates(on):
            asm = chunkstream.Assembler()
        steps = []
        for read in events_of(body):
            asm.feed(read)
            snap = asm.snapshot()
            if snap.choices and snap.choices[0].logprobs is not None:
                steps.append(snap.choices[0].logprobs.extra.get("x_n"))
        asm.close()
        assert steps[:10] == list(range(10)), (on, steps)


# -- what a reader does to a result --------------------------------------------------------------


def scribble(value: Any) -> None:
    """Change every dict and list reachable from ``value`` in place (depth first, so that the
    changes below are made before the containers above gain their new entries)."""
    if type(value) is dict:
        for v in list(value.values()):
            scribble(v)
        for k in list(value):
            if type(value[k]) is str:
                value[k] = "scribbled"
        value["scribbled"] = 1
    elif type(value) is list:
        for v in value:
            scribble(v)
        value.append("scribbled")
    elif type(value) is tuple:
        for v in value:
            scribble(v)


def scribbled_run(body: bytes, on: bool, edit: bool) -> list[Any]:
    """The ``to_dict()`` (as JSON) of the snapshot after each event and of the result; with
    ``edit``, every dict and list a reader can reach from each snapshot is changed once it is
    read (the to_dict, the messages' ``extra`` and ``content_parts``, the logprobs' ``extra``)."""
    with fuzz.templates(on):
        asm = chunkstream.Assembler(strict=False)
    out = []
    for read in events_of(body):
        asm.feed(read)
        snap = asm.snapshot()
        d = snap.to_dict()
        out.append(json.dumps(d))
        if edit:
            scribble(d)
            for c in snap.choices:
                if c.message is not None:
                    scribble(c.message.extra)
                    scribble(c.message.content_parts)
                if c.logprobs is not None:
                    scribble(c.logprobs.extra)
    final = asm.close()
    d = final.to_dict()
    out.append(json.dumps(d))
    return out


MUTATION_BODIES = {
    "thinking parts with a nested object": body_of(
        *[
            parts({"type": "thinking", "thinking": [text(f"w{i}")], "meta": {"k": ["v"]}})
            for i in range(10)
        ],
        *[parts({**text(f"x{i}"), "meta": {"k": ["v"]}}) for i in range(6)],
    ),
    "thinking list with a sibling": body_of(
        *[
            parts({"type": "thinking", "thinking": [text(f"w{i}"), {"type": "x", "o": {}}]})
            for i in range(10)
        ]
    ),
    "reasoning details with a nested object": body_of(
        *[details(frag(f"w{i}", meta={"k": ["v"], "o": {"p": 1}})) for i in range(8)],
        *[details(frag(f"y{i}", index=1)) for i in range(4)],
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATION_BODIES))
def test_what_a_reader_does_to_a_snapshot_or_result_reaches_nothing_later(name: str) -> None:
    body = MUTATION_BODIES[name]
    assert matched(body) >= 5
    expected = scribbled_run(body, on=False, edit=False)
    for on in (True, False):
        assert scribbled_run(body, on=on, edit=True) == expected, (on, name)


@pytest.mark.parametrize("name", sorted(MUTATION_BODIES))
def test_what_a_reader_does_to_a_typed_chunk_reaches_no_later_chunk(name: str) -> None:
    body = MUTATION_BODIES[name]
    # The oracle: each event's own parse.
    events = [e[len(b"data: ") : -2].decode() for e in events_of(body)]
    expected = [
        chunkstream.ChatCompletionChunk.from_dict(json.loads(e)).to_dict()
        for e in events
        if e != "[DONE]"
    ]
    for on in (True, False):
        with fuzz.templates(on):
            it = chunkstream.iter_chunks(body)
        got = []
        for c in it:
            got.append(json.loads(json.dumps(c.to_dict())))
            scribble(c.to_dict())
            scribble(c.extra)
            for choice in c.choices or ():
                if choice.delta is not None:
                    scribble(choice.delta.extra)
                    if type(choice.delta.content) is tuple:
                        scribble(choice.delta.content)
        assert got == expected, on


# -- generated streams mixing every kind -------------------------------------------------------

WORDS = st.sampled_from(["a", "", " b", '"', "\\", "é", "\ud83d", "\ude00", "\n", "\x01", "中"])


def kind_of(name: str, w: str, index: int, flag: bool) -> dict[str, Any]:
    """One chunk of the kind ``name`` with the text ``w``, for choice ``index``."""
    if name == "text":
        return chunk({"content": w}, index=index)
    if name == "reasoning":
        return chunk({"reasoning_content": w}, index=index)
    if name == "think":
        return chunk({"content": [think(w)]}, index=index)
    if name == "part":
        return chunk({"content": [text(w)]}, index=index)
    if name == "thinking string":
        part = {"type": "thinking", "thinking": w, "closed": flag}
        return chunk({"content": [part]}, index=index)
    if name == "two parts":
        return chunk({"content": [think(w), text(w)]}, index=index)
    if name == "image":
        return chunk({"content": [{"type": "image_url", "image_url": {"url": w}}]}, index=index)
    if name == "fragment":
        f = frag(w, index=1 if flag else 0)
        return chunk({"reasoning_details": [f]}, index=index)
    if name == "odd fragment":
        f = {"type": "reasoning.encrypted", "data": w, "index": "0" if flag else None}
        return chunk({"reasoning_details": [f]}, index=index)
    if name == "signature":
        return chunk({"reasoning_details": [frag("", signature=w or "s")]}, index=index)
    if name == "logprobs":
        obj = chunk({"content": w}, index=index)
        obj["choices"][0]["logprobs"] = {"content": [token(w)], "refusal": None} if flag else NULLS
        return obj
    if name == "tool":
        call = {"index": 0, "function": {"arguments": w}}
        if flag:
            call.update(id="call_1", type="function", function={"name": "f", "arguments": w})
        return chunk({"tool_calls": [call]}, index=index)
    assert name == "finish"
    return chunk({}, "stop" if flag else None, index=index)


KINDS = ["text", "reasoning", "think", "part", "thinking string", "two parts", "image"]
KINDS += ["fragment", "odd fragment", "signature", "logprobs", "tool", "finish"]
RUN = st.tuples(
    st.sampled_from(KINDS),
    st.lists(WORDS, min_size=1, max_size=6),
    st.sampled_from([0, 0, 0, 1]),
    st.booleans(),
)


@pytest.mark.slow  # long and version-independent: CI runs it once (.ci/run)
@given(st.lists(RUN, max_size=6), st.booleans(), st.integers(0, 2**32 - 1))
@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
def test_templates_on_and_off_agree_on_generated_list_streams(
    runs: list[tuple[str, list[str], int, bool]], done: bool, seed: int
) -> None:
    rng = random.Random(seed)
    objs: list[Any] = []
    if any(index == 1 for _, _, index, _ in runs):
        objs.append(chunk({"role": "assistant"}, index=1))
    for name, words, index, flag in runs:
        objs += [kind_of(name, w, index, flag) for w in words]
    body = body_of(*objs, done=done)
    agree(body, seed, tiny=(rng.choice((1, 2, 3)),))


# -- texts laid out otherwise, and holes beside other holes --------------------------------------


def pretty_body(objs: list[dict[str, Any]], indent: int) -> bytes:
    """Each chunk pretty-printed, one ``data:`` line per line of it (the lines of an event are
    joined with newlines: the JSON text has whitespace everywhere), with CRLF line ends."""
    blocks = []
    for obj in [OPEN, HI, *objs, STOP]:
        lines = json.dumps(obj, indent=indent).split("\n")
        blocks.append("".join(f"data: {line}\r\n" for line in lines) + "\r\n")
    return ("".join(blocks) + "data: [DONE]\r\n\r\n").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("indent", [1, "\t"])
def test_pretty_printed_parts_and_fragments_split_over_data_lines(indent: Any) -> None:
    objs = [parts(think(f"w{i}")) for i in range(8)]
    objs += [details(frag(f"f{i}"), reasoning=f"f{i}") for i in range(8)]
    body = pretty_body(objs, indent)
    assert matched(body) >= 12
    out = agree(body, indent)
    m = message(out[True])
    assert m["reasoning_content"] == "".join(f"w{i}" for i in range(8))
    assert m["reasoning"] == "".join(f"f{i}" for i in range(8))  # a vendor string: appended
    assert m["reasoning_details"] == [frag("".join(f"f{i}" for i in range(8)))]


def test_keys_with_escapes_on_and_off_a_list_holes_path() -> None:
    # "t\u0065xt" is "text", "\u0074ype" is "type": read by the scanner, not the regex.
    def part(w: str) -> str:
        obj = parts(think("@@"))
        t = compact(obj).replace("@@", w)
        return t.replace('"text":"' + w, '"t\\u0065xt":"' + w).replace(
            '{"type":"thinking"', '{"\\u0074ype":"thinking"'
        )

    def fragment(w: str) -> str:
        return compact(details(frag("@@"))).replace('"text":"@@"', f'"te\\u0078t":"{w}"')

    texts = [part(f"w{i}") for i in range(6)] + [fragment(f"f{i}") for i in range(6)]
    assert json.loads(texts[0])["choices"][0]["delta"]["content"] == [think("w0")]
    m = message(checked(body_of(*texts), "escaped keys", 10)[True])
    assert m["reasoning_content"] == joined("w", 6)
    assert m["reasoning_details"] == [frag(joined("f", 6))]


def test_a_new_id_in_every_chunk_beside_a_list_hole() -> None:
    objs = [parts(think(f"w{i}"), id=f"chatcmpl-{i}") for i in range(10)]
    objs += [chunk({"reasoning_details": [frag(f"f{i}")]}, id=f"chatcmpl-x{i}") for i in range(10)]
    out = checked(body_of(*objs), "ids", 15)
    assert out[True][0] == "error" and out[True][1] == "InconsistentStreamError"
    assert out[True][3] == 2  # the first chunk with another id
    assert len(out[False][2]) == 20  # each chunk with another id, once
    m = message(out[False])
    assert m["reasoning_content"] == joined("w", 10)
    assert m["reasoning_details"] == [frag(joined("f", 10))]


def test_openrouter_reasoning_beside_its_details_and_an_obfuscation() -> None:
    objs = [
        details(frag(f"r{i}"), reasoning=f"r{i}") | {"obfuscation": "x" * (i % 4)}
        for i in range(12)
    ]
    m = message(checked(body_of(*objs), "openrouter", 10)[True])
    assert m["reasoning"] == joined("r", 12)
    assert m["reasoning_details"] == [frag(joined("r", 12))]


def test_reasoning_details_inside_a_tool_call_and_its_function() -> None:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    objs: list[Any] = [chunk({"tool_calls": [call]})]
    for i in range(6):
        objs.append(chunk({"tool_calls": [{"index": 0, "reasoning_details": [frag(f"c{i}")]}]}))
    for i in range(6):
        fn = {"arguments": "", "reasoning_details": [frag(f"g{i}")]}
        objs.append(chunk({"tool_calls": [{"index": 0, "function": fn}]}))
    body = body_of(*objs)
    out = agree(body, "in-call")
    m = message(out[True])
    got = m["tool_calls"][0]
    assert got["reasoning_details"] == [frag("".join(f"c{i}" for i in range(6)))]
    assert got["function"]["reasoning_details"] == [frag("".join(f"g{i}" for i in range(6)))]


# -- the plans themselves ------------------------------------------------------------------------

DELTA = ("choices", 0, "delta")


@pytest.mark.parametrize(
    ("last", "path"),
    [
        (parts(think("a")), (*DELTA, "content", 0, "thinking", 0, "text")),
        (parts({"type": "thinking", "thinking": "a", "closed": True}),
         (*DELTA, "content", 0, "thinking")),
        (parts({"type": "thinking", "text": "a"}), (*DELTA, "content", 0, "text")),
        (parts(text("a")), (*DELTA, "content", 0, "text")),
        # a thinking list of one text and one object without a text
        (parts({"type": "thinking", "thinking": [{"type": "x"}, text("a")]}),
         (*DELTA, "content", 0, "thinking", 1, "text")),
        (details(frag("a", id="rs_1")), (*DELTA, "reasoning_details", 0, "text")),
        (details(frag("", signature="s")), (*DELTA, "reasoning_details", 0, "signature")),
        (details({"type": "reasoning.encrypted", "data": "d", "index": 0}),
         (*DELTA, "reasoning_details", 0, "data")),
        (details({"type": "reasoning.summary", "summary": "s", "index": 3}),
         (*DELTA, "reasoning_details", 0, "summary")),
    ],
    ids=["think", "thinking-string", "thinking-text", "text", "think-sibling", "fragment",
         "signature", "encrypted", "summary"],
)  # fmt: skip
def test_a_list_of_one_object_with_one_text_plans_one_hole_at_its_text(
    last: dict[str, Any], path: tuple[Any, ...]
) -> None:
    holes, _, whole = plan_of(OPEN, HI, last)
    assert [p for p, _ in holes] == [path]
    assert whole is not None and whole[3] is False  # no plain append: states forgotten


def test_logprobs_of_nulls_plan_their_vendor_values_as_holes() -> None:
    content = (*DELTA, "content")
    holes, _, _ = plan_of(OPEN, HI, with_logprobs({"content": "a"}, NULLS))
    assert [p for p, _ in holes] == [content]
    lp = {"content": None, "refusal": None, "x_s": "s", "x_n": 1, "x_o": {"k": 1}}
    holes, _, _ = plan_of(OPEN, HI, with_logprobs({"content": "a"}, lp))
    assert [p for p, _ in holes] == [
        content,
        ("choices", 0, "logprobs", "x_s"),
        ("choices", 0, "logprobs", "x_n"),
    ]
    tok = {"content": [token("a")], "refusal": None}
    assert plan_of(OPEN, HI, with_logprobs({"content": "a"}, tok)) is None


def test_list_content_that_opens_a_choice_is_not_planned_now() -> None:
    opened = chunk({"role": "assistant", "content": [think("a")]}, index=1)
    assert plan_of(OPEN, HI, opened) is False
    assert plan_of(OPEN, HI, chunk({"content": [think("a")]}, index=1)) is False  # no role
    holes, _, _ = plan_of(OPEN, HI, opened, chunk({"content": [think("b")]}, index=1))
    assert [p for p, _ in holes] == [("choices", 0, "delta", "content", 0, "thinking", 0, "text")]


@pytest.mark.parametrize(
    "limits",
    [{"max_warnings": 0}, {"max_warnings": 3}, {"max_event_bytes": 300}, {"max_choices": 1}],
    ids=["warnings-0", "warnings-3", "event-bytes", "choices-1"],
)
def test_limits_on_a_stream_of_every_list_kind(limits: dict[str, Any]) -> None:
    # New ids (a warning each, from a hole's sink), long parts (over max_event_bytes=300: each
    # skipped with a warning), a second choice (refused over max_choices=1).
    objs: list[Any] = [chunk({"role": "assistant"}, index=1)]
    for i in range(8):
        objs.append(parts(think(f"w{i}"), id=f"chatcmpl-{i}"))
        objs.append(chunk({"content": [text("L" * (i * 40))]}, index=1))
        objs.append(details(frag(f"f{i}")))
        objs.append(with_logprobs({"content": f"c{i}"}, NULLS))
    body = body_of(*objs)
    out = agree(body, limits, tiny=(1,), **limits)
    assert out[True][0] == "error"
    assert out[False][0] == "ok"


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3", b"\xed\xa0\xbd"], ids=["ff", "cut", "surrogate"])
def test_invalid_utf8_inside_a_list_hole(bad: bytes) -> None:
    base = body_of(
        *[parts(think(f"w{i}")) for i in range(6)], *[details(frag(f"f{i}")) for i in range(6)]
    )
    body = base.replace(b'"text":"w3"', b'"text":"w' + bad + b'3"')
    body = body.replace(b'"text":"f4"', b'"text":"' + bad + b'"')
    assert matched(body) == 10
    out = agree(body, bad, tiny=(1, 2))
    m = message(out[False])
    # The bytes become U+FFFD (one per maximal invalid sequence, as bytes.decode replaces).
    shown = bad.decode("utf-8", "replace")
    assert m["reasoning_content"] == "w0w1w2w" + shown + "3w4w5"
    assert m["reasoning_details"] == [frag("f0f1f2f3" + shown + "f5")]
    assert [w.split(",")[0] for w in out[False][2]] == ["StreamWarning(kind='invalid_utf8'"] * 2


@pytest.mark.parametrize("at", [0.3, 0.5, 0.8])
def test_a_deep_copy_of_a_list_stream_halfway_goes_on_alone(at: float) -> None:
    body = body_of(
        *[parts(think(f"w{i}")) for i in range(10)], *[details(frag(f"f{i}")) for i in range(10)]
    )
    whole = chunkstream.assemble(body)
    cut = int(len(body) * at)
    original = chunkstream.Assembler()
    original.feed(body[:cut])
    copied = copy.deepcopy(original)
    copied.feed(body[cut:])
    original.feed(body[cut:])
    assert copied.close() == whole
    assert original.close() == whole
