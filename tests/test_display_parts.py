"""Notebook display of a chunk, a ``Usage`` and an error (``chunk_html``/``chunk_markdown``,
``usage_*``, ``error_*``; ``_repr_html_``/``_repr_markdown_`` of ``ChatCompletionChunk``,
``Usage`` and every ``ChunkstreamError``): each field shown, hostile values escaped, caps kept.

Checked with test_display's HTML structure checker and CommonMark fence reader; expected values
come from the fixture bytes and the values built here, never from running the renderer."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from test_display import check_html, fenced_blocks, texts_of

import chunkstream
from chunkstream import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    Message,
    SSEError,
    TruncatedStreamError,
    UpstreamError,
    Usage,
)
from chunkstream._display import (
    MAX_LOGPROB_ROWS,
    MAX_TOTAL_CHARS,
    chunk_html,
    chunk_markdown,
    completion_html,
    completion_markdown,
    error_html,
    error_markdown,
    usage_html,
    usage_markdown,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))
EVIL = "<script>alert(\"x & y\")</script> 'quoted' &amp; <img src=x onerror=alert(1)>"
FENCE_BREAKER = "text\n```\n# not a heading\n````\n<b>after</b>"


def chunk(**top: Any) -> ChatCompletionChunk:
    return ChatCompletionChunk.from_dict(top)


def every_field() -> ChatCompletionChunk:
    """A chunk carrying every field of the schema's chunk side."""
    return chunk(
        id="chatcmpl-1",
        object="chat.completion.chunk",
        created=1700000000,
        model="gpt-x",
        system_fingerprint="fp_1",
        service_tier="default",
        obfuscation="pad",
        moderation={"flagged": False},
        x_vendor={"k": 1},
        usage={"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8, "queue_time": 0.5},
        choices=[
            {
                "index": 2,
                "finish_reason": "tool_calls",
                "native_finish_reason": "end_turn",
                "logprobs": {
                    "content": [
                        {"token": "Hi", "logprob": -0.25, "bytes": [72, 105], "top_logprobs": []}
                    ]
                },
                "delta": {
                    "role": "assistant",
                    "content": "Hello",
                    "refusal": "no",
                    "reasoning_content": "think",
                    "reasoning": "more",
                    "tool_calls": [
                        {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"a'}}
                    ],
                    "function_call": {"name": "legacy", "arguments": "{}"},
                    "audio": {"id": "au_1", "transcript": "hi"},
                    "annotations": [{"type": "url_citation", "url_citation": {"url": "u"}}],
                    "channel": "analysis",
                },
            }
        ],
    )


# ---------------------------------------------------------------------------------------------
# A chunk.


def test_a_chunk_shows_every_field_it_carries() -> None:
    c = every_field()
    page = chunk_html(c)
    check_html(page)
    assert page.startswith('<div class="chunkstream-completion"><style>')
    assert texts_of(page, "code")[:7] == [
        "chatcmpl-1",
        "1700000000 (2023-11-14 22:13:20 UTC)",
        "gpt-x",
        "fp_1",
        "default",
        "pad",
        "assistant",
    ]
    assert (
        "<b>choice 2</b> · role <code>assistant</code> · finish_reason <code>tool_calls</code>"
        in page
    )
    bold = texts_of(page, "b")
    for name in ("content", "refusal", "tool_calls", "function_call", "reasoning_content"):
        assert name in bold, name
    for name in ("reasoning", "audio", "annotations", "usage"):
        assert name in bold, name
    pres = texts_of(page, "pre")
    # text fields as sent (in the schema's order), the others as JSON
    assert pres[:3] == [
        "Hello",
        "no",
        # the fragment of arguments is a string inside the JSON, as sent
        '[\n  {\n    "index": 0,\n    "id": "call_1",\n    "function": {\n'
        '      "name": "f",\n      "arguments": "{\\"a"\n    }\n  }\n]',
    ]
    assert json.loads(pres[3]) == {"name": "legacy", "arguments": "{}"}
    assert pres[4:6] == ["think", "more"]
    assert json.loads(pres[6]) == {"id": "au_1", "transcript": "hi"}
    assert json.loads(pres[7]) == [{"type": "url_citation", "url_citation": {"url": "u"}}]
    # vendor fields of the choice and the delta, then the chunk's moderation and vendor fields
    assert json.loads(pres[8]) == {"native_finish_reason": "end_turn", "channel": "analysis"}
    assert json.loads(pres[9]) == {"moderation": {"flagged": False}, "x_vendor": {"k": 1}}
    assert "logprobs: 1 content token" in texts_of(page, "summary")
    # the logprobs table's row: the token (a JSON string, as a code span), its logprob
    assert texts_of(page, "td")[:3] == ['"Hi"', "-0.25", ""]
    tds = texts_of(page, "td")
    assert tds[-8:] == [
        "prompt_tokens",
        "3",
        "completion_tokens",
        "5",
        "total_tokens",
        "8",
        "queue_time",
        "0.5",
    ]

    md = chunk_markdown(c)
    lines = md.splitlines()
    assert lines[0] == (
        "**ChatCompletionChunk** · `chatcmpl-1` · created `1700000000 (2023-11-14 22:13:20 UTC)` · "
        "model `gpt-x` · system\\_fingerprint `fp_1` · service\\_tier `default` · obfuscation `pad`"
    )
    assert "**choice 2** · role `assistant` · finish\\_reason `tool_calls`" in lines
    blocks = fenced_blocks(md)
    assert blocks[:2] == [("", "Hello"), ("", "no")]
    assert blocks[2][0] == "json" and json.loads(blocks[2][1])[0]["id"] == "call_1"
    assert "| `queue_time` | `0.5` |" in lines


def test_a_usage_chunk_says_it_has_no_choices_and_shows_the_usage() -> None:
    last = list(chunkstream.iter_chunks(FIXTURES / "openai-text-usage.sse"))[-1]
    page = last._repr_html_()
    check_html(page)
    assert "<div><i>no choices</i></div>" in page
    # the counts the fixture's last chunk carries
    assert texts_of(page, "td")[:6] == [
        "prompt_tokens",
        "12",
        "completion_tokens",
        "7",
        "total_tokens",
        "19",
    ]
    md = last._repr_markdown_()
    assert "*no choices*" in md.splitlines()
    assert "| `total_tokens` | `19` |" in md.splitlines()


def test_an_empty_delta_and_an_empty_string_are_said_to_be_so() -> None:
    c = chunk(choices=[{"index": 0, "delta": {}}, {"index": 1, "delta": {"content": ""}}])
    page = chunk_html(c)
    assert "<div><i>empty delta</i></div>" in page
    assert "<div><b>content</b></div><div><i>empty</i></div>" in page
    md = chunk_markdown(c).splitlines()
    assert "*empty delta*" in md and "*empty*" in md


def test_list_content_is_shown_as_json_parts() -> None:
    parts = [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "u"}}]
    c = chunk(choices=[{"index": 0, "delta": {"content": parts}}])
    assert [json.loads(t) for t in texts_of(chunk_html(c), "pre")] == [parts]
    assert [json.loads(t) for _, t in fenced_blocks(chunk_markdown(c))] == [parts]


@pytest.mark.parametrize("name", NAMES)
def test_every_chunk_of_every_fixture_renders(name: str) -> None:
    for c in chunkstream.iter_chunks(FIXTURES / f"{name}.sse", strict=False):
        check_html(c._repr_html_())
        md = c._repr_markdown_()
        assert md.startswith("**ChatCompletionChunk**")
        # each text the delta carries is a fenced block of its own, exactly as sent (half of
        # a surrogate pair, which UTF-8 cannot encode, as U+FFFD: surrogate-split.sse)
        blocks = [text for _, text in fenced_blocks(md)]
        for choice in c.choices or ():
            content = choice.delta.content if choice.delta is not None else None
            if isinstance(content, str) and content and "\r" not in content:
                shown = "".join("\ufffd" if 0xD800 <= ord(ch) < 0xE000 else ch for ch in content)
                assert shown.rstrip("\n") in blocks


def test_chunk_html_escapes_every_value_and_markdown_fences_hold_it() -> None:
    c = chunk(
        id=EVIL,
        model="`m`",
        x_vendor=EVIL,
        choices=[
            {
                "index": 0,
                "finish_reason": "stop</div>",
                "delta": {
                    "role": "<r>",
                    "content": FENCE_BREAKER,
                    "reasoning": EVIL,
                    "tool_calls": [{"function": {"name": "</pre>", "arguments": EVIL}}],
                    "<x>": "</details>",
                },
            }
        ],
        usage={"prompt_tokens": 1, "<k>": EVIL},
    )
    page = chunk_html(c)
    check_html(page)
    assert "<script" not in page and "<img" not in page and '</pre>"' not in page
    pres = texts_of(page, "pre")
    assert FENCE_BREAKER in pres and EVIL in pres
    assert texts_of(page, "code")[0] == EVIL
    assert texts_of(page, "td")[-1] == json.dumps(EVIL, ensure_ascii=False)

    md = chunk_markdown(c)
    blocks = [t for _, t in fenced_blocks(md)]
    assert FENCE_BREAKER in blocks and EVIL in blocks
    assert "`````\n" + FENCE_BREAKER + "\n`````" in md  # longer than the 4-backtick run inside
    first = md.splitlines()[0]
    assert first.startswith(f"**ChatCompletionChunk** · `{EVIL}` · model `` `m` ``")
    # the line that would be a heading is inside the fence: no line of the document outside
    # a fenced block starts with "#"
    outside = md
    for _, text in fenced_blocks(md):
        outside = outside.replace(text, "")
    assert not [line for line in outside.splitlines() if line.startswith("#")]


def test_chunk_caps_long_text_and_many_choices() -> None:
    long = chunk(choices=[{"index": 0, "delta": {"content": "<" * 150_000}}])
    page = chunk_html(long)
    assert texts_of(page, "pre") == ["<" * 100_000]
    assert "… 50000 more characters not shown (all in .choices[0].delta.content)" in texts_of(
        page, "i"
    )
    assert (
        "*… 50000 more characters not shown (all in .choices\\[0\\].delta.content)*"
        in chunk_markdown(long)
    )

    many = chunk(choices=[{"index": i, "delta": {"content": "x" * 90_000}} for i in range(30)])
    page, md = chunk_html(many), chunk_markdown(many)
    shown = sum(1 for t in texts_of(page, "b") if t.startswith("choice "))
    assert 0 < shown < 30
    assert (
        f"… {30 - shown} choices more not shown (display limit: {MAX_TOTAL_CHARS} characters)"
        in texts_of(page, "i")
    )
    assert len(page) < 2 * MAX_TOTAL_CHARS and len(md) < 2 * MAX_TOTAL_CHARS


# ---------------------------------------------------------------------------------------------
# Usage.


def test_usage_shows_its_counts_details_and_vendor_fields_in_the_order_sent() -> None:
    u = Usage.from_dict(
        {
            "prompt_tokens": 14,
            "completion_tokens": 19,
            "total_tokens": 33,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 11},
            "prompt_cache_hit_tokens": 0,
        }
    )
    page = u._repr_html_()
    assert page == usage_html(u)
    check_html(page)
    assert (
        "<div><b>Usage</b> · prompt_tokens <code>14</code> · "
        "completion_tokens <code>19</code> · total_tokens <code>33</code></div>" in page
    )
    assert texts_of(page, "td") == [
        "prompt_tokens",
        "14",
        "completion_tokens",
        "19",
        "total_tokens",
        "33",
        "prompt_tokens_details.cached_tokens",
        "2",
        "completion_tokens_details.reasoning_tokens",
        "11",
        "prompt_cache_hit_tokens",
        "0",
    ]
    md = u._repr_markdown_()
    assert md == usage_markdown(u)
    assert (
        md.splitlines()[0]
        == "**Usage** · prompt\\_tokens `14` · completion\\_tokens `19` · total\\_tokens `33`"
    )
    assert "| `prompt_tokens_details.cached_tokens` | `2` |" in md.splitlines()


def test_usage_escapes_hostile_keys_and_values_and_pipes() -> None:
    u = Usage.from_dict({"prompt_tokens": 1, "<b>|x": EVIL, "`k`": "```"})
    page = usage_html(u)
    check_html(page)
    assert "<script" not in page and "<b>|x" not in page
    assert texts_of(page, "td")[2:4] == ["<b>|x", json.dumps(EVIL)]
    md = usage_markdown(u)
    assert "| `<b>\\|x` |" in md
    assert '| `` `k` `` | ````"```"```` |' in md


def test_usage_rows_stop_at_the_limit() -> None:
    u = Usage.from_dict({f"k{i}": i for i in range(MAX_LOGPROB_ROWS + 5)})
    page = usage_html(u)
    assert len(texts_of(page, "td")) == 2 * MAX_LOGPROB_ROWS
    assert "… 5 rows more (see the object)" in texts_of(page, "i")
    assert "*… 5 rows more (see the object)*" in usage_markdown(u)


# ---------------------------------------------------------------------------------------------
# Errors.


def test_an_upstream_error_shows_type_message_location_payload_and_the_partial_folded() -> None:
    with pytest.raises(UpstreamError) as info:
        chunkstream.assemble(FIXTURES / "inband-error.sse")
    exc = info.value
    page = exc._repr_html_()
    assert page == error_html(exc)
    check_html(page)
    assert texts_of(page, "b")[:2] == ["UpstreamError", "provider error:"]
    # the message, the location and the payload the fixture's event carries
    assert texts_of(page, "pre")[0] == (
        "the provider sent an error: Internal server error: upstream connection reset (code 500)"
    )
    assert texts_of(page, "td")[:4] == ["chunk_index", "3", "byte_offset", "728"]
    assert json.loads(texts_of(page, "pre")[1]) == {
        "message": "Internal server error: upstream connection reset",
        "code": 500,
    }
    summary = texts_of(page, "summary")[0]
    assert summary == "partial completion: 1 choice, 16 characters of content"
    details = texts_of(page, "details")[0]
    assert "Once upon a time" in details  # the partial's content, inside the fold

    md = exc._repr_markdown_()
    assert md == error_markdown(exc)
    lines = md.splitlines()
    assert lines[0] == "**UpstreamError**"
    assert "| `chunk_index` | `3` |" in lines and "| `byte_offset` | `728` |" in lines
    assert "**partial completion**: 1 choice, 16 characters of content" in lines
    blocks = [t for _, t in fenced_blocks(md)]
    assert "Once upon a time" in blocks


def test_each_error_class_shows_its_own_attributes() -> None:
    inconsistent = InconsistentStreamError(
        "id changed", field="id", held="a", got="b", chunk_index=4, byte_offset=90, path=".id"
    )
    assert texts_of(error_html(inconsistent), "td") == [
        "chunk_index",
        "4",
        "byte_offset",
        "90",
        "path",
        '".id"',
        "field",
        '"id"',
        "held",
        '"a"',
        "got",
        '"b"',
    ]
    truncated = TruncatedStreamError("cut", held_back=12, chunk_index=3, byte_offset=7)
    assert texts_of(error_html(truncated), "td") == [
        "chunk_index",
        "3",
        "byte_offset",
        "7",
        "held_back",
        "12",
    ]
    sse = SSEError("too big", limit=10, size=11, byte_offset=0, skipped=list(range(25)))
    tds = texts_of(error_html(sse), "td")
    assert tds[:6] == ["byte_offset", "0", "limit", "10", "size", "11"]
    assert tds[6:8] == ["skipped", json.dumps(list(range(20)))]
    assert tds[8:10] == ["", "… and 5 more offsets"]
    bad = ChunkError("expected str or null at .model, got int 5", path=".model")
    assert texts_of(error_html(bad), "td") == ["path", '".model"']
    assert "<i>no partial completion</i>" in error_html(bad)
    assert "*no partial completion*" in error_markdown(bad).splitlines()


def test_an_error_raised_from_a_dropped_connection_names_its_cause() -> None:
    def dropped() -> Any:
        yield (FIXTURES / "openai-text-usage.sse").read_bytes()[:1000]
        raise ConnectionResetError(104, "Connection reset by peer")

    with pytest.raises(TruncatedStreamError) as info:
        chunkstream.assemble(dropped(), wrap_source_errors=True)
    page = error_html(info.value)
    check_html(page)
    assert (
        "<div><b>caused by:</b> ConnectionResetError: [Errno 104] Connection reset by peer</div>"
        in page
    )
    assert (
        "**caused by:** ConnectionResetError: \\[Errno 104\\] Connection reset by peer"
        in error_markdown(info.value)
    )


def test_chunks_completed_before_a_chunk_decoder_error_are_counted() -> None:
    decoder = chunkstream.ChunkDecoder()
    body = (FIXTURES / "corrupt-chunk-midstream.sse").read_bytes()
    with pytest.raises(ChunkError) as info:
        decoder.feed(body)
    n = len(info.value.chunks)
    assert n > 0
    assert f"{n} chunk{'s' if n > 1 else ''} completed before it (see .chunks)" in texts_of(
        error_html(info.value), "i"
    )


def test_error_html_escapes_hostile_messages_payloads_and_attributes() -> None:
    partial = ChatCompletion(
        id=EVIL, choices=(Choice(index=0, message=Message(content=FENCE_BREAKER)),)
    )
    exc = UpstreamError(EVIL, error={"message": EVIL, "<k>": "```"}, chunk_index=1, partial=partial)
    page = error_html(exc)
    check_html(page)
    assert "<script" not in page and "<img" not in page
    assert texts_of(page, "pre")[0] == EVIL
    assert json.loads(texts_of(page, "pre")[1]) == {"message": EVIL, "<k>": "```"}
    assert FENCE_BREAKER in texts_of(page, "pre")
    md = error_markdown(exc)
    blocks = [t for _, t in fenced_blocks(md)]
    assert blocks[0] == EVIL
    assert json.loads(blocks[1]) == {"message": EVIL, "<k>": "```"}
    assert FENCE_BREAKER in blocks
    # outside fences and code spans the message is escaped
    assert (
        "**provider error:** \\<script\\>alert(\"x \\& y\")\\</script\\> 'quoted' "
        "\\&amp; \\<img src=x onerror=alert(1)\\>" in md.splitlines()
    )


def test_a_huge_partial_is_capped_by_the_completions_own_caps() -> None:
    partial = ChatCompletion(choices=(Choice(index=0, message=Message(content="x" * 300_000)),))
    exc = TruncatedStreamError("cut", partial=partial)
    page, md = error_html(exc), error_markdown(exc)
    assert "x" * 100_000 in texts_of(page, "pre") and "x" * 100_001 not in page
    assert "… 200000 more characters not shown (all in .choices[0].message.content)" in texts_of(
        page, "i"
    )
    assert len(md) < 2 * MAX_TOTAL_CHARS


def test_errors_with_their_display_still_pickle_whole() -> None:
    with pytest.raises(UpstreamError) as info:
        chunkstream.assemble(FIXTURES / "inband-error.sse")
    again = pickle.loads(pickle.dumps(info.value))
    assert error_html(again) == error_html(info.value)
    assert isinstance(again, ChunkstreamError)


def test_an_errors_display_counts_its_own_part_against_the_partials_cap() -> None:
    choices = tuple(Choice(index=i, message=Message(content=str(i) * 90_000)) for i in range(30))
    partial = ChatCompletion(choices=choices)
    exc = UpstreamError("r" * 150_000, error={"message": "m" * 150_000}, partial=partial)
    page, md = error_html(exc), error_markdown(exc)

    def shown(text: str, marker: str) -> int:
        return sum(1 for i in range(30) if marker.format(i=i) in text)

    alone_html = shown(completion_html(partial), "<b>choice {i}</b>")
    alone_md = shown(completion_markdown(partial), "**choice {i}**")
    # the error shows about 200,000 characters of its own first: fewer choices fit after it
    assert 0 < shown(page, "<b>choice {i}</b>") < alone_html
    assert 0 < shown(md, "**choice {i}**") < alone_md
    assert len(page) < 2_000_000 and len(md) < 2_000_000
