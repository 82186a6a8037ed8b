"""A stranger's tries at the template path's integer holes (``_template._Numbers``,
``Accumulator._put_last``, vendor integers given to the fallback) and its set-once string hole.

Each test feeds streams where a template's integers (usage counted so far in every chunk, as
vLLM's continuous usage and Perplexity send it; Together's ``delta.token_id``; vendor integers
at the top and choice level) are replaced by what a matcher could take for an integer, or where
the usage object changes shape, and compares the template path with the full parse
(``fuzz.templates``): the completion, the warnings, the errors and their partials, typed
chunks, and snapshots taken after each event. Where a value is asserted it is the one the JSON
text gives (``json.loads``: the last of duplicate keys), derived by hand, not read back from
the code under test. A guard in each test asserts templates were matched at all, so that an
agreement is not vacuous.

None of the tries found the two ways to differ; these tests pin that.
"""

from __future__ import annotations

import json
import random
from typing import Any
from unittest import mock

import fuzz
import pytest
from helpers import chunk, compact, reads_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_templates import assembled, both_ways, chunked, count_matches, events_of, live

import chunkstream
from chunkstream import _accumulate


def body_of(events: list[Any], done: bool = True) -> bytes:
    texts = [e if type(e) is str else compact(e) for e in events]
    if done:
        texts.append("[DONE]")
    return "".join(f"data: {t}\n\n" for t in texts).encode("utf-8", "surrogatepass")


def counts(n: int, **more: Any) -> dict[str, Any]:
    """Usage counted so far after ``n`` tokens (prompt of 5)."""
    return {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": n + 5, **more}


def opening(n: int) -> dict[str, Any]:
    return {"role": "assistant", "content": ""} if n == 0 else {"content": f"t{n}"}


def agree(body: bytes, tiny: tuple[int, ...] = (1, 3), typed: bool = True) -> None:
    """The template path and the full parse give the same, whole, in tiny reads and one event
    per read with a snapshot after each, strict and lenient."""
    for strict in (True, False):
        for reads in ([body], *(reads_of(body, n) for n in tiny)):
            on, off = both_ways(assembled, reads, strict)
            assert on == off, (strict, len(reads))
        on, off = both_ways(live, events_of(body), strict)
        assert on == off, strict
        if typed:
            on, off = both_ways(chunked, [body], strict)
            assert on == off, strict


# -- what a matcher could take for an integer ----------------------------------------------------

# Texts put where a template learned an integer: none is an integer json reads (or one it
# reads as another integer, -0 and a long one), so the chunk goes the full way or is the same.
NOT_QUITE = [
    "5.0", "1e3", "1E+2", "-0", "-01", "05", "true", "false", "null", '"5"', "[5]", "{}",
    "NaN", "Infinity", "-Infinity", "1E400", " 5", "5 ", "\t5", "+5", "0x10", "1_000",
    "\u0663", "\u00a05", "-", "--1", "1.", "1e", "9" * 4300, "9" * 4301, "-9223372036854775809",
]  # fmt: skip
# Where the stream's template has an integer (the text before it, with the value 5 after).
INTEGER_AT = ['"completion_tokens":', '"x_top":', '"token_id":', '"x_step":']


def integer_stream(field: str, replacement: str | None) -> bytes:
    """Usage in every chunk, a top-level vendor integer, Together's token_id and a choice-level
    vendor integer, each new in every chunk; chunk 5's value at ``field`` replaced by the
    text ``replacement``."""
    events = []
    for n in range(9):
        delta = opening(n) if n == 0 else {"content": f"t{n}", "token_id": n}
        obj = chunk(delta, usage=counts(n), x_top=n)
        obj["choices"][0]["x_step"] = n
        text = compact(obj)
        if n == 5 and replacement is not None:
            assert text.count(field + "5") == 1
            text = text.replace(field + "5", field + replacement)
        events.append(text)
    events.append(chunk({}, "stop", usage=counts(9)))
    return body_of(events)


def test_the_integer_stream_goes_the_template_path() -> None:
    matched, count = count_matches(integer_stream(INTEGER_AT[0], None))
    assert matched >= 6, (matched, count)


@pytest.mark.parametrize("field", INTEGER_AT)
@pytest.mark.parametrize("replacement", NOT_QUITE, ids=lambda r: repr(r)[:16])
def test_what_is_no_integer_at_an_integer_hole_goes_the_full_way(
    field: str, replacement: str
) -> None:
    body = integer_stream(field, replacement)
    for strict in (True, False):
        on, off = both_ways(assembled, [body], strict)
        assert on == off, strict
    on, off = both_ways(live, events_of(body), False)
    assert on == off


@pytest.mark.parametrize("replacement", ["-0", "9" * 4300, "-7"])
def test_integers_json_reads_are_taken_as_it_reads_them(replacement: str) -> None:
    # The usage held after chunk 5 is the one chunk 5 sent (its count as json reads it).
    body = integer_stream('"completion_tokens":', replacement)
    agree(body, tiny=(3,), typed=False)
    with fuzz.templates(True):
        asm = chunkstream.Assembler()
    for n, read in enumerate(events_of(body)):
        asm.feed(read)
        if n == 5:
            assert asm.snapshot().usage.completion_tokens == int(replacement)


# -- usage that changes shape --------------------------------------------------------------------


def test_usage_that_gains_and_loses_keys_is_the_last_one_sent_whole() -> None:
    # Rule "last": the last usage sent replaces the one held (never merged with it), whatever
    # keys it has; counts that grow in between go the template path.
    shapes = [
        lambda n: counts(n),
        lambda n: counts(n, prompt_tokens_details={"cached_tokens": 2}),
        lambda n: {"completion_tokens": n},
        lambda n: counts(n, queue_time=n, x_u=n * 2),
        lambda n: {"total_tokens": n, "prompt_tokens": 5},  # another order
    ]
    events = []
    sent = []
    for n in range(30):
        usage = shapes[(n // 6) % len(shapes)](n)
        sent.append(usage)
        events.append(chunk(opening(n), usage=usage))
    body = body_of([*events, chunk({}, "stop")])
    matched, _ = count_matches(body)
    assert matched >= 15, matched
    agree(body)
    c = chunkstream.assemble(body)
    assert c.usage is not None
    assert c.usage.to_dict() == sent[-1] == {"total_tokens": 29, "prompt_tokens": 5}
    with fuzz.templates(True):
        asm = chunkstream.Assembler()
    for n, read in enumerate(events_of(body)[:30]):
        asm.feed(read)
        assert asm.snapshot().usage.to_dict() == sent[n], n


def test_usage_null_or_left_out_keeps_the_last_usage_sent() -> None:
    events = []
    last: dict[str, Any] | None = None
    held = []
    for n in range(24):
        obj = chunk(opening(n))
        if n % 4 == 1:
            obj["usage"] = None
        elif n % 4 != 3:
            obj["usage"] = last = counts(n)
        held.append(last)
        events.append(obj)
    body = body_of([*events, chunk({}, "stop")])
    assert count_matches(body)[0] >= 5
    agree(body)
    with fuzz.templates(True):
        asm = chunkstream.Assembler()
    for n, read in enumerate(events_of(body)[:24]):
        asm.feed(read)
        usage = asm.snapshot().usage
        assert (usage.to_dict() if usage is not None else None) == held[n], n


def test_nested_usage_counts_are_literals_and_groq_usage_is_not_planned() -> None:
    nested = [chunk(opening(n), usage=counts(n, prompt_tokens_details={"cached_tokens": n // 3}))
              for n in range(15)]  # fmt: skip
    groq = [chunk(opening(n), x_groq={"id": "g", "usage": counts(n)}) for n in range(15)]
    both = [chunk(opening(n), x_groq={"id": "g", "usage": counts(n)}, usage=counts(n + 1))
            for n in range(15)]  # fmt: skip
    for events in (nested, groq, both):
        agree(body_of([*events, chunk({}, "stop")]), tiny=(2,))
    c = chunkstream.assemble(body_of([*nested, chunk({}, "stop")]))
    assert c.usage is not None and c.usage.prompt_tokens_details is not None
    assert (c.usage.completion_tokens, c.usage.prompt_tokens_details.cached_tokens) == (14, 4)
    c = chunkstream.assemble(body_of([*both, chunk({}, "stop")]))
    assert c.usage is not None and c.usage.completion_tokens == 15  # usage wins over x_groq's


def test_moderation_counts_go_the_template_path_too() -> None:
    # moderation is the other top-level field of rule "last": a dict kept as sent.
    events = [chunk(opening(n), moderation={"flagged": False, "n": n, "k": n * 3})
              for n in range(12)]  # fmt: skip
    body = body_of([*events, chunk({}, "stop")])
    assert count_matches(body)[0] >= 6
    agree(body)
    assert chunkstream.assemble(body).moderation == {"flagged": False, "n": 11, "k": 33}


# -- vendor integers -----------------------------------------------------------------------------


def vendor(n: int, kind: str) -> Any:
    """An integer that becomes another kind of value in some chunks."""
    if n % 4 != 3:
        return n
    return {"str": str(n), "obj": {"n": n}, "bool": True, "float": float(n), "null": None}[kind]


@pytest.mark.parametrize("kind", ["str", "obj", "bool", "float", "null"])
def test_vendor_integers_that_change_kind_at_every_level(kind: str) -> None:
    events = []
    for n in range(16):
        delta = opening(n) if n == 0 else {"content": f"t{n}", "token_id": vendor(n, kind)}
        obj = chunk(delta, x_top=vendor(n, kind))
        obj["choices"][0]["x_step"] = vendor(n + 1, kind)
        events.append(obj)
    body = body_of([*events, chunk({}, "stop")])
    assert count_matches(body)[0] >= 2
    agree(body, tiny=(2,))


def test_vendor_integers_in_tool_calls_functions_and_audio() -> None:
    call = {"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "f", "arguments": "", "x_f": 0}, "x_t": 0}  # fmt: skip
    events: list[Any] = [chunk({"role": "assistant", "tool_calls": [call]})]
    for n in range(1, 12):
        fn = {"arguments": f'"{n}"', "x_f": n}
        events.append(chunk({"tool_calls": [{"index": 0, "x_t": n * 2, "function": fn}]}))
    tools = body_of([*events, chunk({}, "tool_calls")])
    audio = body_of(
        [chunk({"role": "assistant", "audio": {"id": "a1", "data": "", "x_seq": 0}})]
        + [chunk({"audio": {"id": "a1", "data": "QQ", "x_seq": n}}) for n in range(1, 12)]
        + [chunk({}, "stop")]
    )
    for body in (tools, audio):
        assert count_matches(body)[0] >= 6
        agree(body, tiny=(2,))
    c = chunkstream.assemble(tools)
    call_out = c.choices[0].message.tool_calls[0]
    assert (call_out.extra, call_out.function.extra) == ({"x_t": 22}, {"x_f": 11})


def test_n2_interleaved_each_with_its_own_vendor_integers() -> None:
    events = []
    for n in range(12):
        for i in (0, 1):
            obj = chunk(opening(n) if n == 0 else {"content": f"{i}:{n}", "token_id": 100 * i + n},
                        index=i, usage=counts(2 * n + i), x_top=n)  # fmt: skip
            obj["choices"][0]["x_step"] = n * 10 + i
            events.append(obj)
    body = body_of([*events, chunk({}, "stop", index=0), chunk({}, "stop", index=1)])
    agree(body, tiny=(2,))
    c = chunkstream.assemble(body)
    assert [ch.message.extra["token_id"] for ch in c.choices] == [11, 111]
    assert [ch.extra["x_step"] for ch in c.choices] == [110, 111]


def test_duplicate_keys_at_integer_holes_are_read_as_json_reads_them() -> None:
    def text(n: int) -> str:
        return compact(chunk(opening(n), usage=counts(n), x_top=n))

    cases = [
        lambda n: text(n).replace(
            '"completion_tokens":', f'"completion_tokens":{n * 3},"completion_tokens":'
        ),
        lambda n: text(n).replace('"x_top":', '"x_top":"s","x_top":'),
        lambda n: text(n).replace('"usage":', '"usage":null,"usage":'),
        # duplicates from chunk 6 on only: a template learned before them
        lambda n: text(n) if n < 6 else text(n).replace('"x_top":', f'"x_top":{n + 100},"x_top":'),
        lambda n: text(n).replace('"completion_tokens"', '"\\u0063ompletion_tokens"'),
    ]
    for make in cases:
        events = [make(n) for n in range(12)]
        body = body_of([*events, chunk({}, "stop")])
        agree(body, tiny=(2,), typed=False)
        c = chunkstream.assemble(body)
        last = json.loads(events[-1])
        assert c.usage is not None and c.usage.to_dict() == last["usage"]
        assert c.extra["x_top"] == last["x_top"]


# -- set-once strings, warnings, limits, abort ---------------------------------------------------


@pytest.mark.parametrize("key", ["id", "model", "system_fingerprint", "service_tier"])
def test_a_new_set_once_string_in_every_chunk_beside_usage_and_token_ids(key: str) -> None:
    events = []
    for n in range(12):
        delta = opening(n) if n == 0 else {"content": f"t{n}", "token_id": n}
        obj = chunk(delta, usage=counts(n))
        events.append({key: f"v{n}", **{k: v for k, v in obj.items() if k != key}})  # first
    body = body_of([*events, chunk({}, "stop")])
    assert count_matches(body)[0] >= 6
    agree(body, tiny=(2,))
    for max_warnings in (0, 2):
        for strict in (True, False):

            def capped(reads: list[bytes], strict: bool, cap: int = max_warnings) -> Any:
                return assembled(reads, strict, max_warnings=cap)

            on, off = both_ways(capped, reads_of(body, 3), strict)
            assert on == off, (max_warnings, strict)
    lenient = chunkstream.assemble(body, strict=False, max_warnings=2)
    # One warning per chunk whose value differs from the first (chunks 1..11): two kept, the
    # rest counted in a last one.
    assert [w.chunk_index for w in lenient.warnings[:2]] == [1, 2]
    assert len(lenient.warnings) == 3
    assert lenient.usage is not None and lenient.usage.completion_tokens == 11


def test_abort_after_counted_chunks_agrees() -> None:
    events = [chunk(opening(n) if n == 0 else {"content": f"t{n}", "token_id": n},
                    usage=counts(n)) for n in range(12)]  # fmt: skip
    reads = events_of(body_of(events, done=False))

    def aborted(reads: list[bytes], strict: bool) -> Any:
        asm = chunkstream.Assembler(strict=strict)
        for read in reads:
            asm.feed(read)
        try:
            c = asm.abort(ConnectionResetError("peer reset"))
        except chunkstream.ChunkstreamError as exc:
            assert exc.partial is not None
            return ("error", str(exc), exc.partial.to_dict())
        return ("ok", c.to_dict(), [repr(w) for w in c.warnings])

    for cut in (3, 7, 12):
        for strict in (True, False):
            on, off = both_ways(aborted, reads[:cut], strict)
            assert on == off, (cut, strict)
    with fuzz.templates(True):
        asm = chunkstream.Assembler(strict=False)
    for read in reads[:9]:
        asm.feed(read)
    c = asm.abort(ConnectionResetError("peer reset"))
    assert c.usage is not None and c.usage.completion_tokens == 8


# -- snapshots -----------------------------------------------------------------------------------


def test_snapshots_read_late_and_edited_share_nothing() -> None:
    events = []
    for n in range(14):
        delta = opening(n) if n == 0 else {"content": f"t{n}", "token_id": n // 2}
        # counts that stay the same for three chunks: the usage held is kept, not copied
        obj = chunk(delta, usage=counts(n // 3, prompt_tokens_details={"cached_tokens": 1}),
                    x_top=n // 2)  # fmt: skip
        obj["choices"][0]["x_step"] = n // 2
        events.append(obj)
    body = body_of([*events, chunk({}, "stop")])
    assert count_matches(body)[0] >= 8

    def run(on: bool, edit: int) -> Any:
        with fuzz.templates(on):
            asm = chunkstream.Assembler()
        snaps = []
        for read in events_of(body):
            asm.feed(read)
            snaps.append(asm.snapshot())
            snaps.append(asm.snapshot())  # two of the same state
        final = asm.close()
        # Read late (after every chunk came); edit every other one in place.
        for s in snaps[edit::2]:
            assert s.usage is not None and s.usage.prompt_tokens_details is not None
            s.usage.extra["edited"] = 1
            s.usage.prompt_tokens_details.extra["edited"] = 1
            s.extra["edited"] = 1
            s.choices[0].extra["edited"] = 1
            s.choices[0].message.extra["edited"] = 1
        return [s.to_dict() for s in snaps[1 - edit :: 2]], final.to_dict()

    for edit in (0, 1):
        on, off = run(True, edit), run(False, edit)
        assert on == off
        assert "edited" not in json.dumps(on)
    # What each snapshot saw, by hand: the usage of the last chunk fed.
    with fuzz.templates(True):
        asm = chunkstream.Assembler()
    seen = []
    for read in events_of(body)[:14]:
        asm.feed(read)
        seen.append(asm.snapshot())
    assert [s.usage.completion_tokens for s in seen] == [n // 3 for n in range(14)]
    assert [s.extra["x_top"] for s in seen] == [n // 2 for n in range(14)]


# -- the legacy Completions stream ---------------------------------------------------------------


def legacy_assembled(reads: list[bytes], strict: bool) -> Any:
    """``assembled`` (test_templates) of a legacy stream: ``assemble_completion``."""
    with mock.patch.object(chunkstream, "assemble", chunkstream.assemble_completion):
        return assembled(reads, strict)


def legacy_live(reads: list[bytes], strict: bool) -> Any:
    """``live`` (test_templates) of a legacy stream: a ``CompletionAssembler``."""
    with mock.patch.object(chunkstream, "Assembler", chunkstream.CompletionAssembler):
        return live(reads, strict)


def legacy_matches(body: bytes) -> int:
    """Chunks of a legacy stream taken by a template match (``assemble_completion``)."""
    take_same = _accumulate.Accumulator._take_same
    with (
        fuzz.templates(True),
        mock.patch.object(
            _accumulate.Accumulator, "_take_same", autospec=True, side_effect=take_same
        ) as spy,
    ):
        chunkstream.assemble_completion(body, strict=False)
    return spy.call_count


@pytest.mark.parametrize("new_id", [False, True])
def test_legacy_streams_with_vllm_usage_in_every_chunk(new_id: bool) -> None:
    events = []
    for n in range(12):
        events.append({
            "id": f"cmpl-{n}" if new_id else "cmpl-1", "object": "text_completion",
            "created": 1, "model": "m",
            "choices": [{"index": 0, "text": f"t{n}", "logprobs": None, "finish_reason": None,
                         "stop_reason": n}],
            "usage": counts(n),
        })  # fmt: skip
    stop = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "text": "", "logprobs": None, "finish_reason": "stop",
                         "stop_reason": None}], "usage": counts(12)}  # fmt: skip
    body = body_of([*events, stop])
    assert legacy_matches(body) >= 6
    for strict in (True, False):
        for reads in ([body], reads_of(body, 1), reads_of(body, 3)):
            on, off = both_ways(legacy_assembled, reads, strict)
            assert on == off, (strict, len(reads))
        on, off = both_ways(legacy_live, events_of(body), strict)
        assert on == off
    c = chunkstream.assemble_completion(body, strict=False)
    assert c.choices[0].text == "".join(f"t{n}" for n in range(12))
    assert c.usage is not None and c.usage.completion_tokens == 12


# -- generated streams ---------------------------------------------------------------------------

PERTURB = [1.5, 2.0, -0.0, True, False, None, "s", "", {"n": 1}, [1], 10**25, -3, 0]


def generated(rng: random.Random) -> bytes:
    """A stream of one shape (which vendor integers, which usage keys in which order, a new
    set-once string or not, one to three choices) with a perturbation in about a chunk in
    four: a value of another kind where an integer was, a usage key dropped, changed or added,
    the keys reordered, a system_fingerprint."""
    chunks = rng.randint(4, 14)
    n_choices = rng.choice([1, 1, 2, 3])
    token, step, top = (rng.random() < 0.6, rng.random() < 0.4, rng.random() < 0.4)
    usage_mode = rng.choice(["every", "every", "some", "null", "none", "groq"])
    keys = ["prompt_tokens", "completion_tokens", "total_tokens"]
    if rng.random() < 0.3:
        keys.append(rng.choice(["x_u", "queue_time"]))
    if rng.random() < 0.3:
        rng.shuffle(keys)
    details = rng.random() < 0.3
    new_id = rng.random() < 0.25
    events: list[Any] = []
    for n in range(chunks):
        for i in range(n_choices):
            delta = opening(n) if n == 0 else {"content": f"t{n}" * rng.randint(0, 2)}
            obj = chunk(delta, index=i)
            c = obj["choices"][0]
            if token:
                delta["token_id"] = 1000 + n + i
            if step:
                c["x_step"] = n
            if top:
                obj["x_top"] = n * 7
            if new_id and n:
                obj = {"id": f"id-{n}", **obj}
            if usage_mode == "every" or (usage_mode != "none" and rng.random() < 0.6):
                usage: dict[str, Any] = {k: 5 if k == "prompt_tokens" else n for k in keys}
                if details:
                    usage["prompt_tokens_details"] = {"cached_tokens": rng.choice([2, 2, 2, n])}
                if usage_mode == "groq":
                    obj["x_groq"] = {"id": "g", "usage": usage}
                else:
                    obj["usage"] = usage
            elif usage_mode == "null":
                obj["usage"] = None
            if rng.random() < 0.25:
                what = rng.randrange(7)
                if what == 0:
                    delta["token_id"] = rng.choice(PERTURB)
                elif what == 1:
                    c["x_step"] = rng.choice(PERTURB)
                elif what == 2:
                    obj["x_top"] = rng.choice(PERTURB)
                elif what == 3 and obj.get("usage"):
                    obj["usage"][rng.choice(list(obj["usage"]))] = rng.choice(PERTURB)
                elif what == 4 and obj.get("usage"):
                    del obj["usage"][rng.choice(list(obj["usage"]))]
                elif what == 5:
                    items = list(obj.items())
                    rng.shuffle(items)
                    obj = dict(items)
                else:
                    obj["system_fingerprint"] = f"fp{rng.randint(0, 2)}"
            events.append(obj)
    for i in range(n_choices):
        events.append(chunk({}, "stop", index=i))
    return body_of(events, done=rng.random() < 0.8)


def test_generated_streams_match_templates() -> None:
    # Guard: the generator makes streams the template path takes a good part of.
    matched = sum(count_matches(generated(random.Random(seed)))[0] for seed in range(30))
    assert matched >= 30, matched


@given(st.integers(0, 2**32 - 1))
@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
def test_generated_streams_agree_with_templates_on_and_off(seed: int) -> None:
    rng = random.Random(seed)
    body = generated(rng)
    agree(body, tiny=(rng.choice((1, 2, 3)),))
