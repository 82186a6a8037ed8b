"""``from_dict`` of the assembled classes: ``ChatCompletion.from_dict`` loads the CLI's /
``to_dict()`` JSON back into typed objects, ``from_dict(c.to_dict()).to_dict() == c.to_dict()``;
vendor fields come back into ``extra`` (those ``to_dict`` moved under ``chunkstream_vendor``
too); a value that does not fit raises ``ChunkError`` naming its JSON path.

References: the fixtures' expected JSON (written by hand, not by the code under test), the
corpus's recordings, and hypothesis streams and hand-built completions."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_paths_agree import GENERAL_CHUNK

import chunkstream
from chunkstream import (
    AssembledLogprobs,
    ChatCompletion,
    Choice,
    ChunkError,
    FunctionCall,
    Message,
    MessageAudio,
    TokenLogprob,
    ToolCall,
    Usage,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")


def round_trip(c: ChatCompletion) -> None:
    d = c.to_dict()
    text = json.dumps(d)  # through JSON text, as the CLI writes it
    loaded = ChatCompletion.from_dict(json.loads(text))
    assert loaded.to_dict() == d
    assert json.dumps(loaded.to_dict()) == text  # key order too
    # every field, not only the JSON form: the same objects, minus the warnings
    assert loaded == dataclasses.replace(c, warnings=())
    assert loaded.warnings == ()


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_round_trips_in_both_modes(name: str) -> None:
    body = (FIXTURES / f"{name}.sse").read_bytes()
    round_trip(chunkstream.assemble(body, strict=False))
    try:
        completion = chunkstream.assemble(body)
    except chunkstream.ChunkstreamError as exc:
        if exc.partial is not None:
            round_trip(exc.partial)
    else:
        round_trip(completion)


@pytest.mark.parametrize("name", NAMES)
def test_the_fixtures_expected_json_loads_and_is_written_back_as_it_is(name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    for mode in ("strict", "lenient"):
        want = expected[mode].get("completion") or expected[mode].get("partial")
        if want is None:
            continue
        loaded = ChatCompletion.from_dict(want)
        assert loaded.to_dict() == want
        assert loaded.id == want["id"]
        assert [c.message.content for c in loaded.choices] == [
            c["message"]["content"] for c in want["choices"]
        ]


def corpus_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.json"
    if not manifest.is_file():
        return []
    return sorted(e["file"] for e in json.loads(manifest.read_text("utf-8")))


@pytest.mark.skipif(not corpus_files(), reason=f"no corpus at {CORPUS}")
def test_every_corpus_stream_round_trips() -> None:
    for name in corpus_files():
        round_trip(chunkstream.assemble((CORPUS / name).read_bytes(), strict=False))


def test_the_clis_json_output_loads() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "chunkstream",
            "--jsonl",
            "--lenient",
            "--glob",
            "*.sse",
            str(FIXTURES),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    ).stdout.splitlines()
    # The walk goes into fixtures/legacy: those streams print a legacy Completion.
    assert len(out) == len(NAMES) + len(list((FIXTURES / "legacy").glob("*.sse")))
    for line in out:
        record = json.loads(line)
        if "completion" in record:
            legacy = record["completion"]["object"] == "text_completion"
            cls = chunkstream.Completion if legacy else ChatCompletion
            loaded = cls.from_dict(record["completion"])
            assert loaded.to_dict() == record["completion"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(GENERAL_CHUNK, max_size=5))
def test_any_stream_round_trips(chunks: list[dict[str, Any]]) -> None:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    try:
        completion = chunkstream.assemble(body.encode("utf-8", "surrogatepass"), strict=False)
    except chunkstream.ChunkstreamError:
        return  # not an event stream at all: nothing assembled
    round_trip(completion)


# Vendor fields of any JSON value, named like keys of the classes (moved under
# chunkstream_vendor by to_dict), like nothing, or chunkstream_vendor itself.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
NAMES_OF_KEYS = st.sampled_from(
    [
        *("id", "index", "message", "content", "name", "arguments", "usage", "choices", "type"),
        *("chunkstream_vendor", "x_groq", "reasoning_details", "data", "error", "warnings"),
    ]
)
EXTRA = st.dictionaries(NAMES_OF_KEYS | st.text(max_size=6), JSON, max_size=3)
TEXT = st.none() | st.text(max_size=8)


@st.composite
def completions(draw: st.DrawFn) -> ChatCompletion:
    def call() -> ToolCall:
        function = FunctionCall(
            name=draw(TEXT), arguments=draw(st.text(max_size=8)), extra=draw(EXTRA)
        )
        return ToolCall(
            id=draw(TEXT), type=draw(st.text(max_size=8)), function=function, extra=draw(EXTRA)
        )

    choices = []
    for index in draw(st.lists(st.integers(0, 5), max_size=3, unique=True)):
        message = Message(
            role=draw(st.text(max_size=8)),
            content=draw(TEXT),
            refusal=draw(TEXT),
            tool_calls=tuple(call() for _ in range(draw(st.integers(0, 2)))) or None,
            function_call=call().function if draw(st.booleans()) else None,
            reasoning_content=draw(TEXT),
            reasoning=draw(TEXT),
            content_parts=draw(
                st.none()
                | st.lists(
                    st.dictionaries(st.text(max_size=3), JSON, max_size=2), min_size=1, max_size=2
                ).map(tuple)
            ),
            audio=MessageAudio(
                id=draw(TEXT),
                data=draw(TEXT),
                expires_at=draw(st.none() | st.integers()),
                extra=draw(EXTRA),
            )
            if draw(st.booleans())
            else None,
            extra=draw(EXTRA),
        )
        logprobs = None
        if draw(st.booleans()):
            token = TokenLogprob.from_dict(
                {
                    "token": "a",
                    "logprob": -0.5,
                    "bytes": [97],
                    "top_logprobs": [],
                    **draw(st.dictionaries(st.sampled_from(["x", "y"]), JSON, max_size=1)),
                }
            )
            logprobs = AssembledLogprobs(
                content=draw(st.none() | st.just((token,))),
                refusal=draw(st.none() | st.just(())),
                extra=draw(EXTRA),
            )
        choices.append(
            Choice(
                index=index,
                message=message,
                finish_reason=draw(TEXT),
                logprobs=logprobs,
                extra=draw(EXTRA),
            )
        )
    usage = None
    if draw(st.booleans()):
        usage = Usage.from_dict(
            {
                "prompt_tokens": draw(st.integers(0, 9)),
                **draw(st.dictionaries(st.sampled_from(["queue_time", "cost"]), JSON, max_size=2)),
            }
        )
    return ChatCompletion(
        id=draw(TEXT),
        object="chat.completion",  # the one value from_dict loads (another is refused: below)
        created=draw(st.none() | st.integers()),
        model=draw(TEXT),
        system_fingerprint=draw(TEXT),
        service_tier=draw(TEXT),
        choices=tuple(choices),
        usage=usage,
        moderation=draw(st.none() | st.dictionaries(st.text(max_size=3), JSON, max_size=2)),
        error=draw(JSON),
        extra=draw(EXTRA),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completions())
def test_any_completion_built_by_hand_round_trips_with_its_vendor_fields(c: ChatCompletion) -> None:
    d = c.to_dict()
    loaded = ChatCompletion.from_dict(json.loads(json.dumps(d)))
    assert loaded.to_dict() == d
    assert loaded.extra == c.extra
    for got, sent in zip(loaded.choices, c.choices, strict=True):
        assert got.extra == sent.extra
        assert got.message.extra == sent.message.extra
        for got_call, sent_call in zip(
            got.message.tool_calls or (), sent.message.tool_calls or (), strict=True
        ):
            assert got_call.extra == sent_call.extra
            assert got_call.function.extra == sent_call.function.extra


def test_a_vendor_field_named_like_a_key_comes_back_into_extra() -> None:
    c = ChatCompletion(
        id="c1",
        choices=(
            Choice(
                index=0,
                message=Message(content="hi", extra={"content": "vendor"}),
                extra={"message": {"m": 1}},
            ),
        ),
        extra={"choices": 3, "chunkstream_vendor": "v", "x_groq": {"id": "q"}},
    )
    d = c.to_dict()
    # what to_dict wrote (the rule of _add_extra, from the README's output shape)
    assert d["chunkstream_vendor"] == {"choices": 3, "chunkstream_vendor": "v"}
    assert d["x_groq"] == {"id": "q"}
    assert d["choices"][0]["chunkstream_vendor"] == {"message": {"m": 1}}
    loaded = ChatCompletion.from_dict(d)
    assert loaded.extra == {"choices": 3, "chunkstream_vendor": "v", "x_groq": {"id": "q"}}
    assert loaded.choices[0].extra == {"message": {"m": 1}}
    assert loaded.choices[0].message.extra == {"content": "vendor"}
    assert loaded.choices[0].message.content == "hi"


def test_missing_keys_take_the_defaults_and_warnings_are_not_part_of_the_json_form() -> None:
    loaded = ChatCompletion.from_dict({"choices": [{"index": 2, "message": {"tool_calls": [{}]}}]})
    assert loaded.id is None and loaded.object == "chat.completion" and loaded.usage is None
    choice = loaded.choices[0]
    assert choice.index == 2 and choice.finish_reason is None and choice.logprobs is None
    assert choice.message.role == "assistant"
    call = choice.message.tool_calls[0] if choice.message.tool_calls else None
    assert call == ToolCall(
        id=None, type="function", function=FunctionCall(name=None, arguments="")
    )
    # a "warnings" key is no field of the JSON form: a vendor field like any other
    loaded = ChatCompletion.from_dict({"choices": [], "warnings": [{"kind": "truncated"}]})
    assert loaded.warnings == ()
    assert loaded.extra == {"warnings": [{"kind": "truncated"}]}


def test_every_assembled_class_has_from_dict() -> None:
    f = FunctionCall.from_dict({"name": "f", "arguments": "{}"})
    assert f == FunctionCall(name="f", arguments="{}")
    assert Message.from_dict({"content": "x"}).content == "x"
    assert Choice.from_dict({"index": 0}).message == Message()
    assert isinstance(ChatCompletion.from_dict({"choices": []}), ChatCompletion)


@pytest.mark.parametrize(
    ("obj", "path", "message"),
    [
        (5, ".", "expected an object (ChatCompletion), got int 5"),
        ([], ".", "expected an object (ChatCompletion), got list []"),
        ({"choices": [], "id": 7}, ".id", "expected str or null at .id, got int 7"),
        ({"choices": [], "object": None}, ".object", "expected str at .object, got null"),
        (
            {"choices": [], "object": "chat.completion.chunk"},
            ".object",
            "expected \"chat.completion\" at .object, got str 'chat.completion.chunk'",
        ),
        ({}, ".choices", "expected list at .choices, got nothing (the key is missing)"),
        (
            {"choices": [], "created": True},
            ".created",
            "expected int or null at .created, got bool True",
        ),
        (
            {"choices": [], "created": 1.5},
            ".created",
            "expected int or null at .created, got float 1.5",
        ),
        ({"choices": None}, ".choices", "expected list at .choices, got null"),
        ({"choices": {}}, ".choices", "expected list at .choices, got object {}"),
        ({"choices": [1]}, ".choices[0]", "expected an object (Choice) at .choices[0], got int 1"),
        (
            {"choices": [{"message": {}}]},
            ".choices[0].index",
            "expected int at .choices[0].index, got nothing (the key is missing)",
        ),
        (
            {"choices": [{"index": 0}, {"index": "1"}]},
            ".choices[1].index",
            "expected int at .choices[1].index, got str '1'",
        ),
        (
            {"choices": [{"index": 0, "message": None}]},
            ".choices[0].message",
            "expected an object (Message) at .choices[0].message, got null",
        ),
        (
            {"choices": [{"index": 0, "message": {"content": ["a"]}}]},
            ".choices[0].message.content",
            "expected str or null at .choices[0].message.content, got list ['a']",
        ),
        (
            {
                "choices": [
                    {"index": 0, "message": {"tool_calls": [{"function": {"arguments": None}}]}}
                ]
            },
            ".choices[0].message.tool_calls[0].function.arguments",
            "expected str at .choices[0].message.tool_calls[0].function.arguments, got null",
        ),
        (
            {"choices": [{"index": 0, "message": {"content_parts": ["text"]}}]},
            ".choices[0].message.content_parts[0]",
            "expected object at .choices[0].message.content_parts[0], got str 'text'",
        ),
        (
            {"choices": [{"index": 0, "message": {"annotations": [{"url_citation": 3}]}}]},
            ".choices[0].message.annotations[0].url_citation",
            "expected object or null at .choices[0].message.annotations[0].url_citation, got int 3",
        ),
        (
            {"choices": [{"index": 0, "logprobs": {"content": [{"logprob": "x"}]}}]},
            ".choices[0].logprobs.content[0].logprob",
            "expected number or null at .choices[0].logprobs.content[0].logprob, got str 'x'",
        ),
        (
            {"choices": [], "usage": {"completion_tokens_details": {"reasoning_tokens": "9"}}},
            ".usage.completion_tokens_details.reasoning_tokens",
            "expected int or null at .usage.completion_tokens_details.reasoning_tokens, "
            "got str '9'",
        ),
        (
            {"choices": [], "usage": []},
            ".usage",
            "expected an object (Usage) at .usage, got list []",
        ),
        (
            {"choices": [], "moderation": "ok"},
            ".moderation",
            "expected object or null at .moderation, got str 'ok'",
        ),
        (
            {"choices": [], "chunkstream_vendor": [1]},
            ".chunkstream_vendor",
            "expected object at .chunkstream_vendor, got list [1]",
        ),
        (
            {"choices": [{"index": 0, "chunkstream_vendor": None}]},
            ".choices[0].chunkstream_vendor",
            "expected object at .choices[0].chunkstream_vendor, got null",
        ),
    ],
)
def test_a_value_that_does_not_fit_raises_chunk_error_naming_its_path(
    obj: Any, path: str, message: str
) -> None:
    with pytest.raises(ChunkError) as info:
        ChatCompletion.from_dict(obj)
    assert str(info.value) == message
    assert info.value.path == path
    assert isinstance(info.value, chunkstream.ChunkstreamError)
    assert isinstance(info.value, ValueError)
