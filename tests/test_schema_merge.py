"""Issue 13, "One schema, one merge": the accumulator's rules come from the schema table.

The official fields added through the table (``delta.audio``, ``delta.annotations``,
top-level ``obfuscation``), a row added to the table, the deprecated ``Accumulator.merge``,
the warnings policy, and the two entry points (the stream layer's dict entry and ``feed``)
giving the same completion and warnings on random valid chunk sequences. Expected values are
worked out by hand from the rules in ``_schema.MERGE_RULES``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import (
    Accumulator,
    ChatCompletion,
    ChatCompletionChunk,
    InconsistentStreamError,
    _accumulate,
    _schema,
    validate_chunk,
)
from chunkstream._errors import Warnings

ID, MODEL, CREATED = "chatcmpl-1", "gpt-test", 1_700_000_000


def chunk(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL,
            "choices": list(choices), **top}  # fmt: skip


def choice(index: int = 0, finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish_reason}


def fed(*dicts: dict[str, Any], strict: bool = True) -> ChatCompletion:
    acc = Accumulator(strict)
    for d in dicts:
        acc.feed(ChatCompletionChunk.from_dict(copy.deepcopy(d)))
    return acc.close()


# -- delta.audio: id and expires_at "once", data and transcript "append" ----------------------


def test_audio_id_repeated_on_several_chunks_is_set_once_and_its_text_appended() -> None:
    # OpenAI repeats the audio id; the fallback used to append it ("au_1au_1").
    c = fed(
        chunk(choice(0, role="assistant", audio={"id": "au_1", "transcript": "Hel"})),
        chunk(choice(0, audio={"id": "au_1", "data": "QUJ", "transcript": "lo"})),
        chunk(choice(0, audio={"id": "au_1", "data": "D", "expires_at": 1_700_003_600})),
        chunk(choice(0, "stop", audio={"expires_at": 1_700_003_600, "transcript": None})),
    )
    audio = c.choices[0].message.audio
    assert (audio.id, audio.data, audio.transcript, audio.expires_at) == (
        "au_1",
        "QUJD",
        "Hello",
        1_700_003_600,
    )
    assert c.to_dict()["choices"][0]["message"]["audio"] == {
        "id": "au_1",
        "data": "QUJD",
        "transcript": "Hello",
        "expires_at": 1_700_003_600,
    }
    assert c.choices[0].message.extra == {}
    assert c.warnings == ()


def test_audio_never_sent_is_none_and_not_written() -> None:
    c = fed(chunk(choice(0, "stop", content="hi")))
    assert c.choices[0].message.audio is None
    assert "audio" not in c.to_dict()["choices"][0]["message"]


def test_a_second_audio_id_warns_in_lenient_mode_and_keeps_the_first() -> None:
    c = fed(
        chunk(choice(0, audio={"id": "au_1"})),
        chunk(choice(0, audio={"id": "au_2", "data": "x"})),
        strict=False,
    )
    assert (c.choices[0].message.audio.id, c.choices[0].message.audio.data) == ("au_1", "x")
    assert [(w.kind, w.field, w.path, w.message) for w in c.warnings] == [
        (
            "inconsistent",
            "audio.id",
            ".choices[0].delta.audio.id",
            "expected audio.id 'au_1' at .choices[0].delta.audio.id, got str 'au_2'; "
            "kept the first",
        )
    ]


def test_a_second_audio_id_raises_in_strict_mode() -> None:
    acc = Accumulator()
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, audio={"id": "au_1"}))))
    with pytest.raises(InconsistentStreamError) as info:
        acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, audio={"id": "au_2"}))))
    assert str(info.value) == (
        "expected audio.id 'au_1' at .choices[0].delta.audio.id, got str 'au_2' (chunk 1)"
    )
    assert (info.value.field, info.value.held, info.value.got) == ("audio.id", "au_1", "au_2")


def test_audio_after_the_finish_is_a_late_delta_but_an_empty_one_is_not() -> None:
    c = fed(
        chunk(choice(0, "stop", content="a")),
        chunk(choice(0, audio={"data": ""})),  # carries nothing
        chunk(choice(0, audio={"expires_at": 1700003600})),  # as OpenAI sends it: not content
        chunk(choice(0, audio={"transcript": "late"})),
        strict=False,
    )
    assert [(w.kind, w.path) for w in c.warnings] == [("late_delta", ".choices[0].delta.audio")]
    assert c.choices[0].message.audio.transcript == "late"  # kept it
    assert c.choices[0].message.audio.expires_at == 1700003600


# -- delta.annotations: "extend", objects kept whole, in arrival order ------------------------

A1 = {"type": "url_citation", "url_citation": {"start_index": 0, "end_index": 5,
      "url": "https://a", "title": "A"}}  # fmt: skip
A2 = {"type": "url_citation", "url_citation": {"start_index": 6, "end_index": 9,
      "url": "https://b", "title": "B"}}  # fmt: skip


def test_annotations_are_extended_in_arrival_order_and_kept_whole() -> None:
    c = fed(
        chunk(choice(0, content="Hello", annotations=[A1])),
        chunk(choice(0, annotations=[])),
        chunk(choice(0, annotations=[A2, A1])),
        chunk(choice(0, "stop")),
    )
    message = c.to_dict()["choices"][0]["message"]
    assert message["annotations"] == [A1, A2, A1]
    assert len(c.choices[0].message.annotations or ()) == 3
    assert c.choices[0].message.extra == {}


def test_annotations_after_the_finish_are_not_late() -> None:
    c = fed(chunk(choice(0, "stop", content="a")), chunk(choice(0, annotations=[A1])))
    assert c.warnings == ()
    assert c.to_dict()["choices"][0]["message"]["annotations"] == [A1]


def test_a_snapshots_annotations_do_not_change_with_later_chunks_or_its_reader() -> None:
    acc = Accumulator()
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, annotations=[A1]))))
    first = acc.snapshot()
    acc.feed(ChatCompletionChunk.from_dict(chunk(choice(0, annotations=[A2]))))
    assert first.to_dict()["choices"][0]["message"]["annotations"] == [A1]
    assert acc.close().to_dict()["choices"][0]["message"]["annotations"] == [A1, A2]


# -- obfuscation: "chunk_only" ----------------------------------------------------------------


def test_obfuscation_is_kept_on_the_chunk_and_not_assembled() -> None:
    dicts = [
        chunk(choice(0, content="a"), obfuscation="q7Xk"),
        chunk(choice(0, "stop", content="b"), obfuscation="mP3s"),
    ]
    assert ChatCompletionChunk.from_dict(dicts[0]).to_dict()["obfuscation"] == "q7Xk"
    c = fed(*dicts)
    assert "obfuscation" not in c.extra
    assert "obfuscation" not in c.to_dict()
    body = b"".join(b"data: " + chunkstream._stream.json.dumps(d).encode() + b"\n\n" for d in dicts)
    assert "obfuscation" not in chunkstream.assemble(body + b"data: [DONE]\n\n").to_dict()


# -- a row added to the table is all it takes: tests/test_schema.py adds one to a copy of the
# package and runs it end to end (parsed, validated, merged, displayed, written back).


# -- every rule of the table is implemented -----------------------------------------------------


def test_every_rule_the_table_uses_is_implemented_once() -> None:
    used = {f.merge for s in _schema.CHUNK_SHAPES for f in s.fields if f.merge}
    assert used <= set(_schema.MERGE_RULES)
    top = set(_schema.rules("ChatCompletionChunk").values())
    nested = used - top | {"finish"}
    implemented = set(_accumulate._RULES) | set(_accumulate._NOTHING)
    assert nested - {"choices", "last"} <= implemented
    assert {r for r in top if r in _accumulate._ONCE_KINDS} == {"same", "created", "first"}


# -- the public surface ------------------------------------------------------------------------


def test_merge_is_deprecated_but_still_merges() -> None:
    acc = Accumulator()
    with pytest.warns(DeprecationWarning) as record:
        acc.merge(chunk(choice(0, content="a")), 0, None)
    assert [str(w.message) for w in record] == [
        "Accumulator.merge() is deprecated and will be removed in 0.3.0: it trusts an unchecked "
        "dict; use Accumulator.feed(ChatCompletionChunk.from_dict(obj))"
    ]
    assert record[0].filename == __file__
    assert acc.close().choices[0].message.content == "a"


def test_merge_plain_is_deprecated_but_still_takes_an_everyday_chunk() -> None:
    acc = Accumulator()
    acc.feed(chunkstream.ChatCompletionChunk.from_dict(chunk(choice(0, content="a"))))
    with pytest.warns(DeprecationWarning) as record:
        took = acc.merge_plain(chunk(choice(0, content="b")), 1, None)
        # A vendor key at the top: the general merge's (the fast taker declines, doing nothing).
        declined = acc.merge_plain(chunk(choice(0, content="c"), x_vendor=1), 2, None)
    assert [str(w.message) for w in record] == [
        "Accumulator.merge_plain() is deprecated and will be removed in 0.3.0: it is the stream "
        "layer's internal; use Accumulator.feed(ChatCompletionChunk.from_dict(obj))"
    ] * 2
    assert record[0].filename == __file__
    assert (took, declined) == (True, False)
    assert acc.close().choices[0].message.content == "ab"


# -- the warnings policy -----------------------------------------------------------------------


def test_warnings_keeps_up_to_its_limit_and_counts_the_rest_by_kind() -> None:
    w = Warnings(2)
    assert (w.summary(), w.all()) == (None, ())
    w.add("a", "one", chunk_index=0)
    w.add("b", "two", path=".x", field="x")
    w.add("b", "three")
    w.add("a", "four")
    w.add("b", "five")
    assert [(x.kind, x.message) for x in w.kept] == [("a", "one"), ("b", "two")]
    assert (w.kept[1].path, w.kept[1].field) == (".x", "x")
    assert w.dropped == {"a": 1, "b": 2}
    summary = w.all()[-1]
    assert (summary.kind, summary.message) == (
        "warnings_dropped",
        "3 more warning(s) not kept, over max_warnings (2); by kind: a: 1, b: 2",
    )
    assert len(w.all()) == 3


def test_the_accumulator_uses_the_policy() -> None:
    acc = Accumulator(strict=False, max_warnings=1)
    for n in range(3):
        acc.warn("x", f"w{n}")
    assert (len(acc.warnings), acc.warnings_dropped, acc.max_warnings) == (1, {"x": 2}, 1)
    assert [w.kind for w in acc.close().warnings] == ["x", "warnings_dropped"]


# -- one merge: the two entry points agree on random valid chunk sequences --------------------

TEXT = st.sampled_from(["", "a", "bc", "\ud83d", "\ude00", "é"])
MAYBE = st.one_of(st.none(), TEXT)
FUNCTION = st.fixed_dictionaries({}, optional={"name": MAYBE, "arguments": MAYBE})
CALL = st.fixed_dictionaries(
    {},
    optional={
        "index": st.one_of(st.none(), st.integers(0, 2)),
        "id": st.one_of(st.none(), st.sampled_from(["", "c1", "c2"])),
        "type": st.one_of(st.none(), st.sampled_from(["function", "custom"])),
        "function": st.one_of(st.none(), FUNCTION),
        "x_call": st.one_of(st.none(), TEXT),
    },
)
AUDIO = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.none(), st.sampled_from(["", "au_1", "au_2"])),
        "data": MAYBE,
        "transcript": MAYBE,
        "expires_at": st.one_of(st.none(), st.sampled_from([0, 5, 6])),
    },
)
DELTA = st.fixed_dictionaries(
    {},
    optional={
        "role": st.one_of(st.none(), st.sampled_from(["", "assistant", "tool"])),
        "content": st.one_of(
            MAYBE, st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}))
        ),
        "refusal": MAYBE,
        "reasoning_content": MAYBE,
        "reasoning": MAYBE,
        "tool_calls": st.one_of(st.none(), st.lists(CALL, max_size=2)),
        "function_call": st.one_of(st.none(), FUNCTION),
        "audio": st.one_of(st.none(), AUDIO),
        "annotations": st.one_of(st.none(), st.lists(st.just(A1), max_size=2)),
        "channel": MAYBE,
        "x_delta": st.one_of(MAYBE, st.just({"k": "v"})),
    },
)
TOKEN = st.fixed_dictionaries({"token": TEXT, "logprob": st.just(-0.5), "bytes": st.just([97])})
CHOICE = st.fixed_dictionaries(
    {"index": st.integers(0, 1)},
    optional={
        "delta": st.one_of(st.none(), DELTA),
        "finish_reason": st.one_of(st.none(), st.sampled_from(["", "stop", "length"])),
        "logprobs": st.one_of(
            st.none(), st.fixed_dictionaries({}, optional={"content": st.lists(TOKEN)})
        ),
        "x_choice": st.one_of(st.none(), st.integers(0, 2)),
    },
)
CHUNK = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from([ID, ID, "", None, "other"]),
        "object": st.sampled_from(["chat.completion.chunk", None]),
        "created": st.sampled_from([CREATED, CREATED, 0, None, CREATED + 1, CREATED - 1]),
        "model": st.sampled_from([MODEL, MODEL, "", "other"]),
        "system_fingerprint": st.sampled_from(["fp", "", None, "fp2"]),
        "service_tier": st.sampled_from(["default", None]),
        "choices": st.lists(CHOICE, max_size=2),
        "usage": st.one_of(st.none(), st.just({"prompt_tokens": 1, "total_tokens": 2})),
        "obfuscation": st.one_of(st.none(), TEXT),
        "x_top": st.one_of(st.none(), st.just({"a": [1]})),
        "error": st.one_of(st.none(), st.just({"message": "boom"})),
    },
)


# The shape each nested object of a chunk has, by the key it is under (for canonical()).
NESTED = {"choices": "ChunkChoice", "delta": "ChoiceDelta", "tool_calls": "ToolCallDelta",
          "function": "FunctionDelta", "function_call": "FunctionDelta",
          "audio": "ChoiceDeltaAudio", "logprobs": "ChoiceLogprobs"}  # fmt: skip


def canonical(value: Any, shape: str = "ChatCompletionChunk") -> Any:
    """The chunk with the keys of each object in the schema's order, vendor keys after them:
    the order ``feed()``'s typed chunk gives them (``to_dict``). The dict entry merges the keys
    of one object in the order sent, so two warnings about two fields of one object come in
    that order; with the same order both entry points must agree exactly."""
    if type(value) is list:
        return [canonical(v, shape) for v in value]
    if type(value) is not dict:
        return value
    order = _schema.keys(shape)
    keys = [k for k in order if k in value] + [k for k in value if k not in order]
    return {k: canonical(value[k], NESTED[k]) if k in NESTED else value[k] for k in keys}


def by_dicts(dicts: list[dict[str, Any]], **options: Any) -> Any:
    """The stream layer's way: the fast taker, else validate_chunk then _merge."""
    acc = Accumulator(strict=False, **options)
    for n, d in enumerate(copy.deepcopy(dicts)):
        if not acc._take(d, n, None):
            validate_chunk(d)
            acc._merge(d, n, None)
    c = acc.close()
    return c.to_dict(), c.warnings


def by_feed(dicts: list[dict[str, Any]], **options: Any) -> Any:
    acc = Accumulator(strict=False, **options)
    for d in copy.deepcopy(dicts):
        acc.feed(ChatCompletionChunk.from_dict(d))
    c = acc.close()
    return c.to_dict(), c.warnings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dicts=st.lists(CHUNK, max_size=6),
    max_tool_calls=st.sampled_from([1, 1024]),
    max_warnings=st.sampled_from([1, 1000]),
)
def test_the_dict_entry_and_feed_give_the_same_completion_and_warnings(
    dicts: list[dict[str, Any]], max_tool_calls: int, max_warnings: int
) -> None:
    dicts = [canonical(d) for d in dicts]
    for d in dicts:
        validate_chunk(d)  # the strategy draws valid chunks only
    options = {"max_tool_calls": max_tool_calls, "max_warnings": max_warnings}
    assert by_dicts(dicts, **options) == by_feed(dicts, **options)
