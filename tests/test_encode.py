"""Writing streams back (issue 16): ``encode``, ``iter_encode``, ``encode_chunks`` and
``ChatCompletionChunk.to_sse``.

The property that holds them: ``assemble(encode(c)).to_dict() == c.to_dict()`` for the lenient
completion of every fixture (read from its hand-derived ``.expected.json``, not assembled here)
and corpus stream, and for generated completions, for any piece sizes; strict assembly of what
is written gives no warning; a completion no stream can give back is refused, never written as
a body that assembles to something else. Expected bodies are written out by hand.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from helpers import reads_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chunkstream
from chunkstream import ChatCompletion, ChatCompletionChunk, ChunkError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))
CORPUS = Path(
    os.environ.get("CHUNKSTREAM_CORPUS")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
)
CORPUS_FILES = (
    sorted(e["file"] for e in json.loads((CORPUS / "MANIFEST.json").read_text("utf-8")))
    if (CORPUS / "MANIFEST.json").is_file()
    else []
)
PIECES: list[Any] = [None, 1, 2, 3, 10_000, "tokens"]


def lenient_of(name: str) -> ChatCompletion:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    return ChatCompletion.from_dict(expected["lenient"]["completion"])


def round_trip(completion: ChatCompletion, pieces: Any = None) -> dict[str, Any]:
    return chunkstream.assemble(chunkstream.encode(completion, pieces=pieces)).to_dict()


def quiet(completion: ChatCompletion) -> bool:
    """Whether a strict reading of its stream must be quiet: no provider error in it."""
    return completion.error is None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def cut_arguments(completion: ChatCompletion) -> list[str]:
    """Where a tool call's arguments are not JSON (any stream of it warns there)."""
    paths = []
    for i, choice in enumerate(completion.choices):
        for k, call in enumerate(choice.message.tool_calls or ()):
            text = call.function.arguments if call.function else None
            if text and text.strip():
                try:
                    json.loads(text, parse_constant=_no_constant)
                except ValueError:
                    paths.append(f".choices[{i}].message.tool_calls[{k}].function.arguments")
        call = choice.message.function_call
        if call is not None and call.arguments and call.arguments.strip():
            try:
                json.loads(call.arguments, parse_constant=_no_constant)
            except ValueError:
                paths.append(f".choices[{i}].message.function_call.arguments")
    return paths


def test_arguments_cut_short_round_trip_with_the_warning_the_recording_had() -> None:
    # fixtures/openai-tool-call-length-cut.sse: a call cut by a `length` finish. The encoder
    # writes it back as it is (it is what the model sent) and its stream warns as the first did.
    completion = chunkstream.assemble(FIXTURES / "openai-tool-call-length-cut.sse")
    [warning] = completion.warnings
    assert warning.kind == "invalid_arguments"
    body = chunkstream.encode(completion, pieces=2)
    again = chunkstream.assemble(body)
    assert again.to_dict() == completion.to_dict()
    assert [(w.kind, w.message, w.path) for w in again.warnings] == [
        (warning.kind, warning.message, warning.path)
    ]


# ---------------------------------------------------------------------------------------------
# What a body looks like, written out by hand.

TOP = '"id":"c1","object":"chat.completion.chunk","created":5,"model":"m"'


def events(*choices_and_more: str) -> bytes:
    return b"".join(f"data: {{{TOP},{c}}}\n\n".encode() for c in choices_and_more) + (
        b"data: [DONE]\n\n"
    )


HELLO = {
    "id": "c1",
    "object": "chat.completion",
    "created": 5,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}


def test_a_text_completion_is_the_role_then_pieces_then_the_finish_then_usage() -> None:
    assert chunkstream.encode(HELLO, pieces=2) == events(
        '"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]',
        '"choices":[{"index":0,"delta":{"content":"He"}}]',
        '"choices":[{"index":0,"delta":{"content":"ll"}}]',
        '"choices":[{"index":0,"delta":{"content":"o"},"finish_reason":"stop"}]',
        '"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}',
    )


def test_tool_calls_are_announced_then_their_arguments_stream_interleaved() -> None:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
        {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
    ]
    completion = {
        **HELLO,
        "usage": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": calls},
                "finish_reason": "tool_calls",
            }
        ],
    }
    call = '"choices":[{"index":0,"delta":{"tool_calls":[%s]}%s}]'
    assert chunkstream.encode(completion, pieces=4) == events(
        '"choices":[{"index":0,"delta":{"role":"assistant"}}]',
        call
        % ('{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}}', ""),
        call
        % ('{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":""}}', ""),
        call % ('{"index":0,"function":{"arguments":"{\\"x\\""}}', ""),
        call % ('{"index":1,"function":{"arguments":"{}"}}', ""),
        call % ('{"index":0,"function":{"arguments":":1}"}}', ',"finish_reason":"tool_calls"'),
    )


def test_choices_interleave_and_each_finishes_on_its_own_last_chunk() -> None:
    completion = {
        **HELLO,
        "usage": None,
        "choices": [
            {"index": 0, "message": {"content": "abc"}, "finish_reason": "stop"},
            {"index": 1, "message": {"content": "x"}, "finish_reason": "length"},
        ],
    }
    assert chunkstream.encode(completion, pieces=1) == events(
        '"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]',
        '"choices":[{"index":1,"delta":{"role":"assistant","content":""}}]',
        '"choices":[{"index":0,"delta":{"content":"a"}}]',
        '"choices":[{"index":1,"delta":{"content":"x"},"finish_reason":"length"}]',
        '"choices":[{"index":0,"delta":{"content":"b"}}]',
        '"choices":[{"index":0,"delta":{"content":"c"},"finish_reason":"stop"}]',
    )


def test_each_logprobs_token_travels_beside_its_text_and_vendor_fields_once() -> None:
    token = {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}
    bang = {"token": "!", "logprob": -1.0, "bytes": [33], "top_logprobs": []}
    completion = {
        **HELLO,
        "usage": None,
        "x_trace": {"a": 1},
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!", "x_note": "n"},
                "finish_reason": "stop",
                "logprobs": {"content": [token, bang], "refusal": None},
                "x_choice": 7,
            }
        ],
    }
    lp = '"logprobs":{"content":[%s]}'
    assert chunkstream.encode(completion, pieces="tokens") == events(
        '"choices":[{"index":0,"delta":{"role":"assistant","content":"","x_note":"n"},'
        '"logprobs":{},"x_choice":7}],"x_trace":{"a":1}',
        '"choices":[{"index":0,"delta":{"content":"Hi"},%s}]'
        % (lp % json.dumps(token, separators=(",", ":"))),
        '"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop",%s}]'
        % (lp % json.dumps(bang, separators=(",", ":"))),
    )


def test_pieces_counts_characters_so_astral_characters_are_never_cut() -> None:
    completion = {**HELLO, "usage": None}
    completion["choices"] = [{"index": 0, "message": {"content": "a😀b"}, "finish_reason": "stop"}]
    chunks = list(chunkstream.encode_chunks(completion, pieces=2))
    texts = [c.choices[0].delta.content for c in chunks]
    assert texts == ["", "a😀", "b"]
    assert round_trip(ChatCompletion.from_dict(completion), 2) == (
        ChatCompletion.from_dict(completion).to_dict()
    )


def test_a_callable_cuts_the_pieces_and_tokens_fall_back_to_words() -> None:
    completion = {**HELLO, "usage": None}
    completion["choices"] = [
        {"index": 0, "message": {"content": "one two  three "}, "finish_reason": None}
    ]
    by_words = [
        c.choices[0].delta.content for c in chunkstream.encode_chunks(completion, pieces="tokens")
    ]
    assert by_words == ["", "one", " two", "  three", " "]
    halves = [
        c.choices[0].delta.content
        for c in chunkstream.encode_chunks(completion, pieces=lambda s: [s[:4], s[4:]])
    ]
    assert halves == ["", "one ", "two  three "]


def test_every_merge_rule_of_the_table_has_its_split() -> None:
    from chunkstream import _encode
    from chunkstream._schema import MERGE_RULES, SHAPES

    split = {"extend", "object", "function", "tool_calls"}
    known = _encode._ELSEWHERE | _encode._HEAD_RULES | _encode._TEXT_RULES | split
    assert set(MERGE_RULES) <= known
    used = {f.merge for shape in SHAPES.values() for f in shape.fields}
    assert used <= known


# ---------------------------------------------------------------------------------------------
# The property on the fixtures and the corpus.


@pytest.mark.parametrize("name", NAMES)
def test_every_fixtures_lenient_completion_round_trips(name: str) -> None:
    completion = lenient_of(name)
    want = completion.to_dict()
    for pieces in PIECES:
        body = chunkstream.encode(completion, pieces=pieces)
        assert b"".join(chunkstream.iter_encode(completion, pieces=pieces)) == body
        assert chunkstream.assemble(body, strict=False).to_dict() == want
        if quiet(completion):
            strict = chunkstream.assemble(body)
            assert strict.to_dict() == want
            # Only what the completion's content gives any stream of it: arguments cut short.
            assert [w.path for w in strict.warnings] == cut_arguments(completion)
    body = chunkstream.encode(completion, pieces=3)
    for size in (1, 2, 3):
        assert chunkstream.assemble(reads_of(body, size), strict=False).to_dict() == want


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("name", CORPUS_FILES or ["-"])
def test_every_corpus_streams_lenient_completion_round_trips(name: str) -> None:
    completion = chunkstream.assemble(CORPUS / name, strict=False)
    want = completion.to_dict()
    for pieces in (None, 1, "tokens"):
        body = chunkstream.encode(completion, pieces=pieces)
        got = chunkstream.assemble(body, strict=not completion.error)
        assert got.to_dict() == want
        if quiet(completion):
            assert got.warnings == ()
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(body)), min(40, len(body) - 1)))
    reads = [body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert chunkstream.assemble(reads, strict=False).to_dict() == want


def test_the_chunks_are_the_bodys_events_and_read_back_equal() -> None:
    completion = lenient_of("openai-logprobs")
    chunks = list(chunkstream.encode_chunks(completion, pieces=3))
    events_ = list(chunkstream.iter_encode(completion, pieces=3))
    assert events_[-1] == b"data: [DONE]\n\n"
    assert [c.to_sse() for c in chunks] == events_[:-1]
    assert list(chunkstream.iter_chunks(chunkstream.encode(completion, pieces=3))) == chunks


# ---------------------------------------------------------------------------------------------
# to_sse


def test_to_sse_is_data_compact_json_and_a_blank_line() -> None:
    obj = {"id": "x", "choices": [{"index": 0, "delta": {"content": "é 😀"}}], "x_v": None}
    chunk = ChatCompletionChunk.from_dict(obj)
    assert (
        chunk.to_sse() == b'data: {"id":"x","choices":[{"index":0,"delta":{"content":'
        b'"\xc3\xa9 \xf0\x9f\x98\x80"}}],"x_v":null}\n\n'
    )
    [back] = chunkstream.iter_chunks(chunk.to_sse(), strict=False)
    assert back == chunk
    assert back.to_dict() == obj


def test_to_sse_escapes_a_lone_surrogate_so_it_reads_back_the_same() -> None:
    # half of a pair split between two chunks (fixtures/surrogate-split.sse)
    chunk = ChatCompletionChunk.from_dict(
        json.loads('{"choices":[{"index":0,"delta":{"content":"a\\ud83d"}}]}')
    )
    assert chunk.to_sse() == b'data: {"choices":[{"index":0,"delta":{"content":"a\\ud83d"}}]}\n\n'
    [back] = chunkstream.iter_chunks(chunk.to_sse(), strict=False)
    assert back.choices is not None and back.choices[0].delta is not None
    assert back.choices[0].delta.content == "a\ud83d"


def test_every_fixtures_chunks_write_back_to_equal_chunks() -> None:
    for name in NAMES:
        body = (FIXTURES / f"{name}.sse").read_bytes()
        try:
            chunks = list(chunkstream.iter_chunks(body, strict=False))
        except chunkstream.ChunkstreamError:
            continue  # a body that is no stream: nothing to write back
        again = list(chunkstream.iter_chunks(b"".join(c.to_sse() for c in chunks), strict=False))
        assert [c.to_dict() for c in again] == [c.to_dict() for c in chunks], name


def test_to_sse_refuses_a_number_json_cannot_write() -> None:
    chunk = ChatCompletionChunk.from_dict({"x_score": float("nan")})
    with pytest.raises(ChunkError) as info:
        chunk.to_sse()
    assert str(info.value) == "expected a number JSON can write at .x_score, got nan"
    assert info.value.path == ".x_score"


# ---------------------------------------------------------------------------------------------
# What no stream can give back, and bad arguments.


def refused(completion: dict[str, Any]) -> ChunkError:
    with pytest.raises(ChunkError) as info:
        chunkstream.encode(completion)
    with pytest.raises(ChunkError):
        chunkstream.iter_encode(completion)  # refused when called, before any event
    return info.value


def test_a_blank_id_is_refused_since_a_stream_reads_it_as_unknown() -> None:
    error = refused({**HELLO, "id": ""})
    assert error.path == ".id"
    assert str(error) == (
        "expected a completion a stream can give back, but at .id the stream would give None "
        "where the completion has '' (a stream reads a blank id, model, role, name, type or "
        'finish_reason ("", 0) as absent)'
    )


def test_a_lone_surrogate_is_refused_since_the_assembler_mends_it() -> None:
    completion = {**HELLO, "choices": [{"index": 0, "message": {"content": "x\ud83d"}}]}
    error = refused(completion)
    assert str(error) == (
        "expected a completion a stream can give back, but at .choices[0].message.content the "
        "stream would give 'x\ufffd' where the completion has 'x\\ud83d'"
    )


def test_vendor_items_a_stream_would_merge_by_index_are_refused() -> None:
    details = [{"index": 0, "text": "a"}, {"index": 0, "text": "b"}]
    message = {"content": "x", "reasoning_details": details}
    error = refused({**HELLO, "choices": [{"index": 0, "message": message}]})
    assert error.path == ".choices[0].message.reasoning_details"
    assert "the stream would give [{'index': 0, 'text': 'ab'}]" in str(error)
    # one item per index comes back as it was
    message["reasoning_details"] = [{"index": 0, "text": "a"}, {"index": 1, "text": "b"}]
    completion = ChatCompletion.from_dict({**HELLO, "choices": [{"index": 0, "message": message}]})
    assert round_trip(completion, 1) == completion.to_dict()


def test_a_providers_error_goes_last_and_a_strict_reading_raises_it_again() -> None:
    error = {"message": "overloaded", "code": 529}
    completion = ChatCompletion.from_dict({**HELLO, "error": error})
    body = chunkstream.encode(completion, pieces=3)
    assert body.endswith(
        b',"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},'
        b'"error":{"message":"overloaded","code":529}}\n\ndata: [DONE]\n\n'
    )
    with pytest.raises(chunkstream.UpstreamError) as info:
        chunkstream.assemble(body)
    assert info.value.error == error
    lenient = chunkstream.assemble(body, strict=False)
    assert lenient.to_dict() == completion.to_dict()
    assert [w.kind for w in lenient.warnings] == ["upstream_error"]


def test_a_completion_with_no_choice_is_one_chunk_of_its_top_level_fields() -> None:
    completion = {"id": "c1", "object": "chat.completion", "model": "m", "choices": []}
    assert chunkstream.encode(completion) == (
        b'data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[]}\n\n'
        b"data: [DONE]\n\n"
    )


def test_a_blank_tool_call_type_is_refused() -> None:
    call = {"id": "a", "type": "", "function": {"name": "f", "arguments": ""}}
    completion = {**HELLO, "choices": [{"index": 0, "message": {"tool_calls": [call]}}]}
    error = refused(completion)
    assert error.path == ".choices[0].message.tool_calls[0].type"
    assert "the stream would give 'function' where the completion has ''" in str(error)


def test_choices_out_of_index_order_are_refused() -> None:
    completion = {
        **HELLO,
        "choices": [{"index": 1, "message": {}}, {"index": 0, "message": {}}],
    }
    assert refused(completion).path == ".choices[0].index"


def test_a_vendor_field_named_like_a_chunk_field_is_refused() -> None:
    completion = {
        **HELLO,
        "choices": [{"index": 0, "message": {}, "delta": 1}],
    }
    error = refused(completion)
    assert str(error) == (
        "expected vendor fields a stream can carry at .choices[0], got 'delta', the name of a "
        "ChunkChoice field (a chunk cannot hold both)"
    )
    assert error.path == ".choices[0].delta"
    error = refused({**HELLO, "usage": None, "choices": [], "obfuscation": "x"})
    assert str(error) == (
        "expected vendor fields a stream can carry at ., got 'obfuscation', the name of a "
        "ChatCompletionChunk field (a chunk cannot hold both)"
    )


def test_what_is_not_a_chat_completion_is_refused() -> None:
    with pytest.raises(ChunkError) as info:
        chunkstream.encode([1, 2])  # type: ignore[arg-type]
    assert str(info.value) == "expected a ChatCompletion or a chat.completion JSON object, got list"
    with pytest.raises(ChunkError) as info:
        chunkstream.encode({"object": "chat.completion.chunk", "choices": []})
    assert "chat.completion" in str(info.value) and info.value.path == ".object"


def test_a_hand_built_completion_with_a_value_of_the_wrong_type_is_refused() -> None:
    message = chunkstream.Message(content=5)  # type: ignore[arg-type]
    completion = ChatCompletion(choices=(chunkstream.Choice(index=0, message=message),))
    with pytest.raises(ChunkError) as info:
        chunkstream.encode(completion)
    assert info.value.path == ".choices[0].message.content"


def test_bad_pieces_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^pieces must be at least 1 character, got 0$"):
        chunkstream.encode(HELLO, pieces=0)
    with pytest.raises(
        TypeError, match=r"^pieces must be None, an int, a callable or 'tokens', got 'words'$"
    ):
        chunkstream.encode(HELLO, pieces="words")
    with pytest.raises(TypeError, match=r"got 2\.5$"):
        chunkstream.encode(HELLO, pieces=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got True$"):
        chunkstream.encode(HELLO, pieces=True)
    with pytest.raises(ValueError) as info:
        chunkstream.encode(HELLO, pieces=lambda s: [s, "!"])
    assert (
        str(info.value)
        == "pieces('Hello') must give strings that join back to it, got ['Hello', '!']"
    )


# ---------------------------------------------------------------------------------------------
# Generated completions.

SAFE = st.characters(codec="utf-8")  # no lone surrogates: they are not text (see DESIGN.md)
TEXT = st.text(SAFE, max_size=12) | st.text(st.sampled_from("ab 😀\U0010ffff\n"), max_size=8)
NONBLANK = TEXT.filter(bool)
JSON_LEAF = st.none() | st.booleans() | st.integers(-5, 5) | TEXT
VENDOR_KEY = st.sampled_from(["x_a", "x_b", "citations", "x_groq_like"])
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(VENDOR_KEY, inner, max_size=3),
    max_leaves=6,
)
VENDOR = st.dictionaries(VENDOR_KEY, JSON_VALUE, max_size=2)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


TOP_LP = st.fixed_dictionaries(
    {
        "token": TEXT,
        "logprob": st.floats(-20, 0),
        "bytes": _maybe(st.lists(st.integers(0, 255), max_size=3)),
    }
)
TOKEN = st.fixed_dictionaries(
    {
        "token": TEXT,
        "logprob": st.floats(-20, 0),
        "bytes": _maybe(st.lists(st.integers(0, 255), max_size=3)),
        "top_logprobs": st.lists(TOP_LP, max_size=2),
    }
)
CALL = st.builds(
    lambda call, extra, function_extra: {
        **call,
        **extra,
        "function": {**call["function"], **function_extra},
    },
    st.fixed_dictionaries(
        {
            "id": _maybe(NONBLANK),
            "type": st.just("function"),
            "function": st.fixed_dictionaries({"name": _maybe(NONBLANK), "arguments": TEXT}),
        }
    ),
    VENDOR,
    VENDOR,
)
ANNOTATION = st.fixed_dictionaries(
    {
        "type": st.just("url_citation"),
        "url_citation": st.fixed_dictionaries(
            {"start_index": st.integers(0, 9), "end_index": st.integers(0, 9), "url": TEXT}
        ),
    }
)
AUDIO = st.fixed_dictionaries(
    {
        "id": _maybe(NONBLANK),
        "data": _maybe(TEXT),
        "transcript": _maybe(TEXT),
        "expires_at": _maybe(st.integers(1, 2**40)),
    },
    optional={"x_a": JSON_VALUE},
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": draw(st.sampled_from(["assistant", "tool"])),
        "content": draw(_maybe(TEXT)),
        "refusal": draw(_maybe(TEXT)),
    }
    optional = {
        "tool_calls": st.lists(CALL, min_size=1, max_size=3),
        "function_call": st.fixed_dictionaries({"name": NONBLANK, "arguments": TEXT}),
        "reasoning_content": TEXT,
        "reasoning": TEXT,
        "audio": AUDIO,
        "annotations": st.lists(ANNOTATION, max_size=2),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            message[key] = draw(strategy)
    if draw(st.integers(0, 4)) == 0:  # list content (Mistral): its text starts content
        parts = draw(
            st.lists(
                st.fixed_dictionaries({"type": st.just("text"), "text": TEXT})
                | st.fixed_dictionaries({"type": st.just("image_url"), "image_url": TEXT})
                | st.fixed_dictionaries({"type": st.just("thinking"), "thinking": TEXT}),
                min_size=1,
                max_size=3,
            )
        )
        message["content_parts"] = parts
        texts = [p["text"] for p in parts if p["type"] == "text"]
        thinking = [p["thinking"] for p in parts if p["type"] == "thinking"]
        tail = draw(_maybe(TEXT))
        if texts or tail is not None:
            message["content"] = "".join(texts) + (tail or "")
        else:
            message["content"] = None
        if thinking:
            message["reasoning_content"] = "".join(thinking) + draw(TEXT)
        elif "reasoning_content" in message and not draw(st.booleans()):
            del message["reasoning_content"]
    message.update(draw(VENDOR))
    return message


@st.composite
def choices(draw: st.DrawFn, index: int) -> dict[str, Any]:
    message = draw(messages())
    choice: dict[str, Any] = {
        "index": index,
        "message": message,
        "finish_reason": draw(_maybe(st.sampled_from(["stop", "length", "tool_calls"]))),
        "logprobs": None,
    }
    if draw(st.booleans()):
        content = draw(_maybe(st.lists(TOKEN, max_size=4)))
        if content and draw(st.booleans()) and message.get("content_parts") is None:
            message["content"] = "".join(t["token"] for t in content)  # tokens that spell it
        choice["logprobs"] = {
            "content": content,
            "refusal": draw(_maybe(st.lists(TOKEN, max_size=2))),
        }
        if draw(st.booleans()):
            choice["logprobs"]["x_a"] = draw(JSON_VALUE)
    if draw(st.booleans()):
        choice["x_b"] = draw(JSON_VALUE)
    return choice


USAGE = st.fixed_dictionaries(
    {
        "prompt_tokens": st.integers(0, 99),
        "completion_tokens": st.integers(0, 99),
        "total_tokens": st.integers(0, 199),
    },
    optional={
        "prompt_tokens_details": st.fixed_dictionaries({"cached_tokens": st.integers(0, 9)}),
        "queue_time": st.floats(0, 1),
    },
)


@st.composite
def completions(draw: st.DrawFn) -> dict[str, Any]:
    indexes = sorted(draw(st.lists(st.integers(0, 6), unique=True, max_size=3)))
    out: dict[str, Any] = {
        "id": draw(_maybe(NONBLANK)),
        "object": "chat.completion",
        "created": draw(_maybe(st.integers(1, 2**40))),
        "model": draw(_maybe(NONBLANK)),
        "system_fingerprint": draw(_maybe(NONBLANK)),
        "service_tier": draw(_maybe(NONBLANK)),
        "choices": [draw(choices(i)) for i in indexes],
        "usage": draw(_maybe(USAGE)),
    }
    if draw(st.booleans()):
        out["moderation"] = {"input": draw(JSON_VALUE)}
    out.update(draw(VENDOR))
    return out


@st.composite
def random_cuts(draw: st.DrawFn) -> Any:
    rng = draw(st.randoms(use_true_random=False))

    def cut(text: str) -> list[str]:
        points = sorted(rng.sample(range(len(text) + 1), rng.randint(0, len(text) + 1)))
        return [text[i:j] for i, j in zip([0, *points], [*points, len(text)], strict=True)]

    return cut


PIECE_SIZES = st.sampled_from([None, 1, 2, 3, 7, 10_000, "tokens"]) | random_cuts()


@pytest.mark.slow  # long and version-independent: CI runs it once (.ci/run)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=completions(), pieces=PIECE_SIZES)
def test_generated_completions_round_trip_quietly_for_any_pieces(
    obj: dict[str, Any], pieces: Any
) -> None:
    completion = ChatCompletion.from_dict(obj)
    want = completion.to_dict()
    body = chunkstream.encode(completion, pieces=pieces)
    strict = chunkstream.assemble(body)
    assert strict.to_dict() == want
    # quiet but for arguments that are not JSON (random text): any stream of them warns there
    assert [w.path for w in strict.warnings] == cut_arguments(completion)
    assert chunkstream.assemble(reads_of(body, 3), strict=False).to_dict() == want


WILD_TEXT = TEXT | st.just("")
WILD = st.fixed_dictionaries(
    {
        "id": _maybe(WILD_TEXT),
        "object": st.just("chat.completion"),
        "created": _maybe(st.integers(0, 3)),
        "model": _maybe(WILD_TEXT),
        "choices": st.lists(
            st.fixed_dictionaries(
                {
                    "index": st.integers(0, 3),
                    "message": st.fixed_dictionaries(
                        {"role": WILD_TEXT, "content": _maybe(WILD_TEXT)},
                        optional={
                            "tool_calls": st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "id": _maybe(WILD_TEXT),
                                        "type": WILD_TEXT,
                                        "function": st.fixed_dictionaries(
                                            {"name": _maybe(WILD_TEXT), "arguments": WILD_TEXT}
                                        ),
                                    }
                                ),
                                max_size=2,
                            ),
                            "reasoning_details": st.lists(
                                st.fixed_dictionaries(
                                    {"index": st.integers(0, 1), "text": WILD_TEXT}
                                ),
                                max_size=3,
                            ),
                        },
                    ),
                    "finish_reason": _maybe(WILD_TEXT),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(obj=WILD)
def test_a_completion_either_round_trips_or_is_refused_never_written_wrong(
    obj: dict[str, Any],
) -> None:
    completion = ChatCompletion.from_dict(obj)
    try:
        body = chunkstream.encode(completion, pieces=2)
    except ChunkError as exc:
        assert exc.path is not None
        return
    assert chunkstream.assemble(body, strict=False).to_dict() == completion.to_dict()
