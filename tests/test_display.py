"""Notebook display (``_display.py``): ``completion_html`` / ``completion_markdown`` over the
fixtures and over hand-built hostile values, checked with an HTML parser and a CommonMark fence
reader written here; and the plain ``repr()`` of chunks and completions.

Expected values come from the fixture bytes (the texts and arguments the chunks carry) and from
the rendering rules in the module docstrings, never from running the renderer.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import chunkstream
from chunkstream import (
    AssembledLogprobs,
    ChatCompletion,
    Choice,
    FunctionCall,
    Message,
    StreamWarning,
    TokenLogprob,
    ToolCall,
    TopLogprob,
    Usage,
)
from chunkstream._display import MAX_LOGPROB_ROWS, completion_html, completion_markdown

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sse"))


def lenient(name: str) -> ChatCompletion:
    return chunkstream.assemble((FIXTURES / f"{name}.sse").read_bytes(), strict=False)


# ---------------------------------------------------------------------------------------------
# Readers used by the checks: an HTML structure checker and a CommonMark fenced-block reader.

# The only markup the renderer may produce; anything else would be a value leaking out as a tag.
TAGS = {"div", "style", "b", "i", "code", "pre", "details", "summary", "table", "tr", "th", "td"}
TAGS |= {"ul", "li"}
ATTRIBUTES = {
    ("class", "chunkstream-completion"),
    ("class", "cs-choice"),
    ("class", "cs-box"),
    ("open", None),
}


class Structure(HTMLParser):
    """Checks that every opened tag is closed, in order, and records the tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.attributes: set[tuple[str, str | None]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        self.tags.append(tag)
        self.attributes.update(attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack:
            self.problems.append(f"text outside the fragment: {data!r}")

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")


class ElementTexts(HTMLParser):
    """The full text of every element of one tag name, in document order."""

    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag:
            if self.depth == 0:
                self.found.append("")
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.found[-1] += data


def check_html(fragment: str) -> Structure:
    parser = Structure()
    parser.feed(fragment)
    parser.close()
    assert parser.problems == []
    assert parser.stack == [], f"left open: {parser.stack}"
    assert set(parser.tags) <= TAGS, set(parser.tags) - TAGS
    assert parser.attributes <= ATTRIBUTES, parser.attributes - ATTRIBUTES
    assert fragment.startswith('<div class="chunkstream-completion">')
    assert fragment.endswith("</div>")
    return parser


def texts_of(fragment: str, tag: str) -> list[str]:
    parser = ElementTexts(tag)
    parser.feed(fragment)
    parser.close()
    return parser.found


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """``(info, text)`` of each backtick fenced code block, read by CommonMark 0.31 section 4.5:
    an opening fence is 3+ backticks (indented at most 3 spaces) and an info string without
    backticks; the block ends at a line of at least as many backticks (indented at most 3
    spaces, spaces or tabs after), or at the end of the document."""
    lines = re.split(r"\r\n|\r|\n", markdown)
    blocks: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        opening = re.fullmatch(r" {0,3}(`{3,})([^`]*)", lines[i])
        if not opening:
            i += 1
            continue
        length, info = len(opening.group(1)), opening.group(2).strip()
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = re.fullmatch(r" {0,3}(`{3,})[ \t]*", lines[i])
            if closing and len(closing.group(1)) >= length:
                break
            body.append(lines[i])
            i += 1
        blocks.append((info, "\n".join(body)))
        i += 1
    return blocks


# ---------------------------------------------------------------------------------------------
# The fixtures, rendered.


def test_parallel_tool_calls_show_each_call_with_pretty_printed_arguments() -> None:
    c = lenient("openai-parallel-tool-calls")
    page = completion_html(c)
    check_html(page)
    # The arguments arrive as '{"ticker"' + ': "AAPL"}' and '{"tick' + 'er": "MSFT", ' +
    # '"limit": 3}': laid out with two-space indents, one key per line.
    assert texts_of(page, "pre") == [
        '{\n  "ticker": "AAPL"\n}',
        '{\n  "ticker": "MSFT",\n  "limit": 3\n}',
    ]
    assert (
        "<div><b>tool call 0</b> · <code>get_stock_price</code> · "
        "id <code>call_Wq8Zt3nLk5VbXr2Pm9Ja4HcY</code></div>"
    ) in page
    assert (
        "<div><b>tool call 1</b> · <code>get_company_news</code> · "
        "id <code>call_Mx4Rf7YsQ1DgKe6Tn0Bv8UoP</code></div>"
    ) in page
    assert "finish_reason <code>tool_calls</code>" in page
    # The arguments box is the scrollable one; content boxes are not.
    assert page.count('<pre class="cs-box">') == 2

    md = completion_markdown(c)
    assert fenced_blocks(md) == [
        ("json", '{\n  "ticker": "AAPL"\n}'),
        ("json", '{\n  "ticker": "MSFT",\n  "limit": 3\n}'),
    ]
    assert (
        "**tool call 1** · `get_company_news` · id `call_Mx4Rf7YsQ1DgKe6Tn0Bv8UoP`"
        in md.splitlines()
    )


def test_header_names_id_model_created_in_utc_fingerprint_and_tier() -> None:
    c = lenient("openai-parallel-tool-calls")
    page = completion_html(c)
    # `date -u -d @1754331907` prints Mon Aug  4 18:25:07 UTC 2025.
    assert (
        "<div><b>ChatCompletion</b> · <code>chatcmpl-C1nR4vT8wYq2ZaL6mP0sXk3bF9gJd</code> · "
        "model <code>gpt-4.1-2025-04-14</code> · "
        "created <code>1754331907 (2025-08-04 18:25:07 UTC)</code> · "
        "system_fingerprint <code>fp_b3f1157249</code> · service_tier <code>default</code></div>"
    ) in page
    assert completion_markdown(c).splitlines()[0] == (
        "**ChatCompletion** · `chatcmpl-C1nR4vT8wYq2ZaL6mP0sXk3bF9gJd` · "
        "model `gpt-4.1-2025-04-14` · created `1754331907 (2025-08-04 18:25:07 UTC)` · "
        "system\\_fingerprint `fp_b3f1157249` · service\\_tier `default`"
    )


def test_interleaved_choices_are_shown_in_index_order_with_their_finish_reasons() -> None:
    c = lenient("openai-n2-interleaved")
    page = completion_html(c)
    check_html(page)
    # Choice 1 arrives first in the stream; the display follows the index.
    assert texts_of(page, "pre") == ["The sky is blue today.", "Blue skies ahead."]
    first = page.index("<b>choice 0</b> · role <code>assistant</code> · finish_reason <code>length")
    second = page.index("<b>choice 1</b> · role <code>assistant</code> · finish_reason <code>stop")
    assert first < second
    md = completion_markdown(c)
    assert [text for _, text in fenced_blocks(md)] == [
        "The sky is blue today.",
        "Blue skies ahead.",
    ]
    assert md.index("**choice 0** · role `assistant` · finish\\_reason `length`") < md.index(
        "**choice 1** · role `assistant` · finish\\_reason `stop`"
    )


def test_reasoning_is_collapsed_in_details_before_the_content() -> None:
    c = lenient("deepseek-reasoning")
    page = completion_html(c)
    check_html(page)
    # "The user" + " wants 2+2." + " That's 4." = 8 + 11 + 10 characters.
    assert (
        "<details><summary>reasoning_content (29 characters)</summary>"
        "<pre>The user wants 2+2. That&#x27;s 4.</pre></details>"
    ) in page
    assert "<div><b>content</b></div><pre>2 + 2 = 4.</pre>" in page
    assert texts_of(page, "summary") == ["reasoning_content (29 characters)"]
    md = completion_markdown(c)
    assert "**reasoning\\_content** (29 characters)" in md
    assert fenced_blocks(md) == [("", "The user wants 2+2. That's 4."), ("", "2 + 2 = 4.")]


def test_reasoning_field_of_openrouter_and_its_vendor_fields_are_shown() -> None:
    c = lenient("openrouter-reasoning-details")
    page = completion_html(c)
    check_html(page)
    assert "<summary>reasoning (18 characters)</summary><pre>Simple arithmetic.</pre>" in page
    # Vendor fields of the choice and the message are kept, collapsed, as JSON.
    assert "<summary>other fields: native_finish_reason, reasoning_details</summary>" in page
    assert "<summary>other fields: provider</summary>" in page
    assert "&quot;signature&quot;: &quot;ErUBCkYIBxgCKkDq9vZ3&quot;" in page


def test_usage_is_a_flat_table_of_dotted_keys_in_the_order_sent() -> None:
    c = lenient("deepseek-reasoning")
    page = completion_html(c)
    rows = [
        ("prompt_tokens", "14"),
        ("completion_tokens", "19"),
        ("total_tokens", "33"),
        ("prompt_tokens_details.cached_tokens", "0"),
        ("completion_tokens_details.reasoning_tokens", "11"),
        ("prompt_cache_hit_tokens", "0"),
        ("prompt_cache_miss_tokens", "14"),
    ]
    table = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    assert f"<div><b>usage</b></div><table>{table}</table>" in page
    md = completion_markdown(c)
    lines = ["| usage | |", "|---|---|"] + [f"| `{k}` | `{v}` |" for k, v in rows]
    assert "\n".join(lines) in md


def test_usage_values_that_are_not_counts_are_shown_as_json() -> None:
    c = lenient("openrouter-reasoning-details")
    page = completion_html(c)
    assert "<tr><td>cost</td><td>0.000519</td></tr>" in page
    assert "<tr><td>is_byok</td><td>false</td></tr>" in page
    assert "<tr><td>cost_details.upstream_inference_cost</td><td>null</td></tr>" in page


def test_lenient_inband_error_shows_the_provider_error_and_the_warning() -> None:
    c = lenient("inband-error")
    page = completion_html(c)
    check_html(page)
    assert "<pre>Once upon a time, there was a fox.</pre>" in page
    assert (
        "<div><b>provider error:</b> Internal server error: upstream connection reset "
        "(code 500)</div>"
    ) in page
    assert (
        '<pre class="cs-box">{\n  &quot;message&quot;: &quot;Internal server error: upstream '
        "connection reset&quot;,\n  &quot;code&quot;: 500\n}</pre>"
    ) in page
    # The warning's text is the README's: message, then (chunk, byte) of the error event.
    assert (
        "<details open><summary><b>1 warning</b></summary><ul><li><code>upstream_error</code> "
        "the provider sent an error: Internal server error: upstream connection reset (code 500)"
        " (chunk 3, byte 728)</li></ul></details>"
    ) in page
    md = completion_markdown(c)
    assert "**provider error:** Internal server error: upstream connection reset (code 500)" in md
    assert (
        "- `upstream_error` the provider sent an error: Internal server error: upstream "
        "connection reset (code 500) (chunk 3, byte 728)"
    ) in md.splitlines()
    assert fenced_blocks(md)[-1] == (
        "json",
        '{\n  "message": "Internal server error: upstream connection reset",\n  "code": 500\n}',
    )


def test_several_warnings_are_all_listed() -> None:
    c = lenient("concatenated-captures")
    assert len(c.warnings) >= 2
    page = completion_html(c)
    check_html(page)
    assert f"<summary><b>{len(c.warnings)} warnings</b></summary>" in page
    items = texts_of(page, "li")
    assert items == [f"{w.kind} {w}" for w in c.warnings]
    assert items[0] == (
        "inconsistent expected id 'chatcmpl-1e4b7d2a-8f3c-4a69-b5e0-c7d9a2f6e813' (as in chunk 0)"
        " at .id, got str 'chatcmpl-9c0f3a6e-2d5b-4e87-a1c4-f8b2e7d5a069' (chunk 3, byte 798)"
    )
    md = completion_markdown(c)
    assert f"**{len(c.warnings)} warnings**" in md
    assert sum(line.startswith("- `") for line in md.splitlines()) == len(c.warnings)


def test_refusal_is_shown_and_no_content_label_when_content_never_arrived() -> None:
    c = lenient("openai-refusal")
    page = completion_html(c)
    check_html(page)
    assert (
        "<div><b>refusal</b></div><pre>I&#x27;m sorry, but I can&#x27;t help with that.</pre>"
        in (page)
    )
    assert "<b>content</b>" not in page
    md = completion_markdown(c)
    assert "**refusal**" in md and "**content**" not in md
    assert fenced_blocks(md) == [("", "I'm sorry, but I can't help with that.")]


def test_logprobs_are_a_collapsed_table_of_tokens_and_alternatives() -> None:
    c = lenient("openai-logprobs")
    page = completion_html(c)
    check_html(page)
    # Tokens: "Yes", ",", " definit", "ely", "." (the third chunk carries two).
    assert "<details><summary>logprobs: 5 content tokens</summary><table>" in page
    cells = texts_of(page, "td")
    assert cells[:3] == ['"Yes"', "-0.00012016", '"Yes" -0.00012016, "No" -9.125']
    assert cells[6:9] == ['" definit"', "-0.52076", '" definit" -0.52076, " of" -1.02076']
    md = completion_markdown(c)
    assert "**logprobs**: 5 content tokens" in md
    table = fenced_blocks(md)[1][1].splitlines()
    assert len(table) == 5
    assert table[2].split("  ")[0] == '" definit"'
    assert table[3].startswith('"ely"') and "-1.9e-06" in table[3]


def test_legacy_function_call_is_shown_like_a_tool_call() -> None:
    c = lenient("openai-legacy-function-call")
    page = completion_html(c)
    check_html(page)
    assert "<div><b>function_call</b> · <code>get_current_weather</code></div>" in page
    assert texts_of(page, "pre") == ['{\n  "location": "Oslo"\n}']


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_renders_to_balanced_html_and_closed_fences(name: str) -> None:
    c = lenient(name)
    check_html(completion_html(c))
    md = completion_markdown(c)
    # Each fence opens and closes: an even number of fence lines, and nothing runs to the end.
    fences = [line for line in md.splitlines() if re.fullmatch(r"`{3,}\w*", line)]
    assert len(fences) % 2 == 0
    for choice in c.choices:
        for text in (choice.message.content, choice.message.refusal):
            if text:  # Markdown reads "\r\n" and "\r" as line endings, like "\n"
                assert ("", re.sub(r"\r\n|\r", "\n", text)) in fenced_blocks(md)


def test_a_snapshot_mid_stream_renders() -> None:
    acc = chunkstream.Accumulator()
    body = (FIXTURES / "openai-text-usage.sse").read_bytes()
    chunks = list(chunkstream.iter_chunks([body]))
    for chunk in chunks[:3]:
        acc.feed(chunk)
    snap = acc.snapshot()
    page = completion_html(snap)
    check_html(page)
    assert "finish_reason <code>null</code>" in page
    assert texts_of(page, "pre") == [snap.choices[0].message.content]
    assert "finish\\_reason `null`" in completion_markdown(snap)


# ---------------------------------------------------------------------------------------------
# Hostile values: escaped everywhere, never markup.

EVIL = "<script>alert(\"x & y\")</script> 'quoted' &amp; <img src=x onerror=alert(1)>"


def hostile() -> ChatCompletion:
    return ChatCompletion(
        id='id"<b>',
        model="m&<i>",
        created=1,
        system_fingerprint="fp'\"",
        choices=(
            Choice(
                index=0,
                message=Message(
                    role="assistant<script>",
                    content=EVIL,
                    refusal="no </pre> thanks",
                    reasoning_content="think </details><details open>",
                    tool_calls=(
                        ToolCall(
                            id="call<1>",
                            function=FunctionCall(
                                name="f</code>", arguments='{"q": "' + "</pre>\\u003c" + '"}'
                            ),
                        ),
                        ToolCall(
                            id="call2",
                            function=FunctionCall(name="g", arguments="<b>not json & more"),
                        ),
                    ),
                    extra={"<x>": "</div>"},
                ),
                finish_reason="stop</div>",
                extra={"note": EVIL},
            ),
        ),
        usage=Usage(prompt_tokens=1, extra={"<k>": "<v>"}),
        error={"message": EVIL, "code": "<c>"},
        warnings=(StreamWarning(kind="k<", message=EVIL, chunk_index=2, byte_offset=9),),
        extra={"</style>": [EVIL]},
    )


def test_html_escapes_every_value_and_keeps_it_exactly() -> None:
    page = completion_html(hostile())
    parser = check_html(page)  # no value became a tag or an attribute
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x &amp; y&quot;)&lt;/script&gt; &#x27;quoted&#x27; " in page
    assert "&amp;amp; &lt;img src=x onerror=alert(1)&gt;" in page
    # Unescaped by a parser, each <pre> gives back the value itself.
    pres = texts_of(page, "pre")
    assert EVIL in pres
    assert "no </pre> thanks" in pres
    assert "think </details><details open>" in pres
    # "\u003c" is shown decoded: it is the same string value.
    assert '{\n  "q": "</pre><"\n}' in pres
    assert "<b>not json & more" in pres
    assert "arguments: not valid JSON, shown as sent" in texts_of(page, "i")
    assert texts_of(page, "code")[:4] == ['id"<b>', "m&<i>", "1 (1970-01-01 00:00:01 UTC)", "fp'\""]
    assert len(parser.tags) > 20


def test_markdown_escapes_inline_values_and_fences_hold_the_text() -> None:
    md = completion_markdown(hostile())
    blocks = [text for _, text in fenced_blocks(md)]
    assert EVIL in blocks
    assert "no </pre> thanks" in blocks
    assert "<b>not json & more" in blocks
    # Outside fences and code spans, every character that could open markup, HTML, an entity
    # or math is backslash-escaped (CommonMark 2.4).
    shown = (
        "\\<script\\>alert(\"x \\& y\")\\</script\\> 'quoted' \\&amp; "
        "\\<img src=x onerror=alert(1)\\>"
    )
    lines = md.splitlines()
    assert f"**provider error:** {shown} (code '\\<c\\>')" in lines
    assert f"- `k<` {shown} (chunk 2, byte 9)" in lines
    assert lines[0] == (
        '**ChatCompletion** · `id"<b>` · model `m&<i>` · created `1 (1970-01-01 00:00:01 UTC)` · '
        "system\\_fingerprint `fp'\"`"
    )
    assert "**other fields**: \\</style\\>" in lines


def test_markdown_fence_is_longer_than_any_backtick_run_in_the_text() -> None:
    content = "Use this:\n```python\nprint('hi')\n```\nor ````` five, or ~~~ tildes\n   ````"
    c = ChatCompletion(choices=(Choice(index=0, message=Message(content=content)),))
    md = completion_markdown(c)
    assert "``````\n" + content + "\n``````" in md  # five is the longest run: a fence of six
    assert fenced_blocks(md) == [("", content)]


def test_markdown_fence_survives_carriage_returns_and_a_trailing_newline() -> None:
    content = "line one\r```\rline three\n"
    c = ChatCompletion(choices=(Choice(index=0, message=Message(content=content)),))
    blocks = fenced_blocks(completion_markdown(c))
    assert blocks == [("", "line one\n```\nline three")]


def test_markdown_code_spans_are_sized_against_backticks_in_the_value() -> None:
    c = ChatCompletion(id="a``b", model="`m`", choices=())
    first = completion_markdown(c).splitlines()[0]
    # CommonMark 6.1: a run of three backticks cannot be closed by the two inside; a value
    # starting or ending with a backtick is padded with one space on each side.
    assert first == "**ChatCompletion** · ```a``b``` · model `` `m` ``"


def test_markdown_usage_table_escapes_pipes_in_cells() -> None:
    c = ChatCompletion(usage=Usage(prompt_tokens=3, extra={"a|b": "x|y"}))
    md = completion_markdown(c)
    assert "| `prompt_tokens` | `3` |" in md
    assert '| `a\\|b` | `"x\\|y"` |' in md


# ---------------------------------------------------------------------------------------------
# Arguments: pretty but faithful.


def args_shown(arguments: str) -> tuple[str, str]:
    c = ChatCompletion(
        choices=(
            Choice(
                index=0,
                message=Message(
                    tool_calls=(ToolCall(function=FunctionCall(name="f", arguments=arguments)),)
                ),
            ),
        )
    )
    page = completion_html(c)
    check_html(page)
    pres = texts_of(page, "pre")
    notes = [t for t in texts_of(page, "i") if t.startswith("arguments:")]
    return (pres[0] if pres else ""), (notes[0] if notes else "")


def test_arguments_keep_number_spelling_duplicate_keys_and_order() -> None:
    shown, note = args_shown('{"z":1.10,"a":2e3,"z":-0,"n":null,"e":[],"o":{},"l":[1,[true]]}')
    assert note == ""
    assert shown == (
        '{\n  "z": 1.10,\n  "a": 2e3,\n  "z": -0,\n  "n": null,\n  "e": [],\n  "o": {},\n'
        '  "l": [\n    1,\n    [\n      true\n    ]\n  ]\n}'
    )


def test_arguments_with_unicode_escapes_are_shown_decoded_unless_a_lone_surrogate() -> None:
    shown, _ = args_shown('{"city": "M\\u00fcnchen", "q": "say \\"hi\\"\\n", "s": "\\ud83d"}')
    assert shown == '{\n  "city": "München",\n  "q": "say \\"hi\\"\\n",\n  "s": "\\ud83d"\n}'


def test_arguments_strings_with_structural_characters_are_one_token() -> None:
    shown, _ = args_shown('{"a": "x, {y}: [z]", "b\\\\": "\\\\"}')
    assert shown == '{\n  "a": "x, {y}: [z]",\n  "b\\\\": "\\\\"\n}'


def test_arguments_that_are_not_json_are_shown_as_sent_and_marked() -> None:
    assert args_shown('{"ticker": "AAPL"') == (
        '{"ticker": "AAPL"',
        "arguments: not valid JSON, shown as sent",
    )
    assert args_shown("  ") == ("  ", "arguments: not valid JSON, shown as sent")
    assert args_shown("") == ("", "arguments: no arguments")


def test_arguments_too_deep_to_parse_are_shown_as_sent() -> None:
    deep = "[" * 20_000 + "]" * 20_000
    shown, note = args_shown(deep)
    assert shown == deep
    assert note == "arguments: too deeply nested to lay out, shown as sent"


def test_arguments_too_deep_to_parse_and_too_long_show_their_first_100_000_characters() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    shown, note = args_shown(deep)
    assert shown == "[" * 100_000
    assert note == "arguments: too deeply nested to lay out, shown as sent"
    page = completion_html(
        ChatCompletion(
            choices=(
                Choice(
                    index=0,
                    message=Message(tool_calls=(ToolCall(function=FunctionCall(arguments=deep)),)),
                ),
            )
        )
    )
    assert (
        "… 300000 more characters not shown (all in "
        ".choices[0].message.tool_calls[0].function.arguments)"
    ) in texts_of(page, "i")


def test_a_scalar_json_argument_is_valid_and_kept() -> None:
    assert args_shown('"just a string"') == ('"just a string"', "")
    assert args_shown(" 42 ") == ("42", "")


# ---------------------------------------------------------------------------------------------
# Sizes and odd values.


def test_long_content_up_to_100_000_characters_is_shown_in_full() -> None:
    content = "".join(f"line {i:06} <&>\n" for i in range(6_250))  # 16 characters a line
    assert len(content) == 100_000
    c = ChatCompletion(choices=(Choice(index=0, message=Message(content=content)),))
    assert texts_of(completion_html(c), "pre") == [content]
    assert [t for _, t in fenced_blocks(completion_markdown(c))] == [content.rstrip("\n")]


def test_logprob_rows_stop_at_the_limit_and_say_how_many_are_left_out() -> None:
    tokens = tuple(
        TokenLogprob(
            token=f"t{i}", logprob=-1.0, top_logprobs=(TopLogprob(token="x", logprob=-2.0),)
        )
        for i in range(MAX_LOGPROB_ROWS + 7)
    )
    c = ChatCompletion(
        choices=(
            Choice(
                index=0, message=Message(content=""), logprobs=AssembledLogprobs(content=tokens)
            ),
        )
    )
    page = completion_html(c)
    check_html(page)
    assert f"logprobs: {MAX_LOGPROB_ROWS + 7} content tokens" in page
    assert page.count("<tr>") == MAX_LOGPROB_ROWS + 1  # the header row, then one per token
    assert "<div><i>… 7 more (see .logprobs)</i></div>" in page
    table = fenced_blocks(completion_markdown(c))[0][1].splitlines()
    assert len(table) == MAX_LOGPROB_ROWS + 1
    assert table[-1] == "… 7 more (see .logprobs)"


def test_odd_hand_built_values_render_without_raising() -> None:
    c = ChatCompletion(
        created=10**30,
        error={"not", "json"},
        choices=(
            Choice(index=3, message=Message(tool_calls=(ToolCall(function=FunctionCall()),))),
            Choice(index=4),
        ),
    )
    page = completion_html(c)
    check_html(page)
    assert "created <code>1000000000000000000000000000000</code>" in page
    assert "<b>tool call 0</b> · <i>no name</i> · <i>arguments: no arguments</i>" in page
    assert "<b>choice 4</b> · role <code>assistant</code> · finish_reason <code>null</code>" in page
    assert "<div><i>no content</i></div>" in page
    assert "provider error:" in page
    md = completion_markdown(c)
    assert "**tool call 0** · *no name* · *arguments: no arguments*" in md
    empty = ChatCompletion()
    assert "<div><i>no choices</i></div>" in completion_html(empty)
    assert completion_markdown(empty) == "**ChatCompletion**\n\n*no choices*\n"


def test_empty_content_is_said_to_be_empty() -> None:
    c = ChatCompletion(choices=(Choice(index=0, message=Message(content="")),))
    assert "<div><b>content</b></div><div><i>empty</i></div>" in completion_html(c)
    assert "**content**\n\n*empty*" in completion_markdown(c)


# ---------------------------------------------------------------------------------------------
# The module's own rules.


def test_display_module_imports_only_errors_schema_and_models_and_stdlib_inside_functions() -> None:
    source = (ROOT / "chunkstream" / "_display.py").read_text(encoding="utf-8")
    assert source.splitlines()[0] == "# SPDX-License-Identifier: MIT"
    tree = ast.parse(source)
    top_level: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            top_level.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            top_level.update(alias.name for alias in node.names)
        elif isinstance(node, ast.If):  # if TYPE_CHECKING:
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    assert inner.level == 1 and inner.module == "_models"
    # _schema: the table saying which fields are shown how (pure data).
    assert top_level == {"__future__", "typing", "._errors", "._schema"}
    inside: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    inside.update(alias.name for alias in inner.names)
                elif isinstance(inner, ast.ImportFrom):
                    assert inner.level == 0
                    inside.add(inner.module or "")
    assert inside <= {"html", "json", "re", "datetime"}


def test_chat_completion_repr_html_and_repr_markdown_use_the_display_module() -> None:
    # Fails until ChatCompletion gets _repr_html_ / _repr_markdown_ (the lead wires them).
    c = lenient("deepseek-reasoning")
    assert c._repr_html_() == completion_html(c)  # type: ignore[attr-defined]
    assert c._repr_markdown_() == completion_markdown(c)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# The plain repr(): one short line that leaves out what is None or empty.


@pytest.mark.parametrize("name", NAMES)
def test_completion_repr_is_one_short_line(name: str) -> None:
    c = lenient(name)
    r = repr(c)
    assert "\n" not in r
    assert len(r) < 400, f"{len(r)} characters: {r}"
    assert r.startswith("ChatCompletion(")
    if c.usage is None:
        assert "usage=" not in r
    if c.error is None:
        assert "error=" not in r
    if not c.warnings:
        assert "warnings=" not in r
    if not c.extra:
        assert "extra=" not in r


@pytest.mark.parametrize("name", NAMES)
def test_chunk_repr_is_one_short_line(name: str) -> None:
    body = (FIXTURES / f"{name}.sse").read_bytes()
    decoder = chunkstream.ChunkDecoder(strict=False)
    chunks = decoder.feed(body) + decoder.close()
    assert chunks
    for chunk in chunks:
        r = repr(chunk)
        assert "\n" not in r
        assert len(r) < 400, f"{len(r)} characters: {r}"
        if chunk.usage is None:
            assert "usage=" not in r
        assert "system_fingerprint=None" not in r and "=None" not in r


# ---------------------------------------------------------------------------------------------
# What a display may show is capped (README, "In notebooks"): 100,000 characters a value, 1,000
# a short one, and once about 1,000,000 are shown the rest is counted; the whole display stays
# under 2,000,000 characters, and every cut says what was left out.

DISPLAY_BOUND = 2_000_000


def both(c: ChatCompletion) -> tuple[str, str]:
    page = completion_html(c)
    check_html(page)
    markdown = completion_markdown(c)
    assert len(page) < DISPLAY_BOUND, len(page)
    assert len(markdown) < DISPLAY_BOUND, len(markdown)
    return page, markdown


def one_choice(**message: Any) -> ChatCompletion:
    return ChatCompletion(choices=(Choice(index=0, message=Message(**message)),))


def nested_arguments() -> str:
    # 201 KB: an array of 40,000 numbers 500 objects deep. Laid out with two spaces a level,
    # each number's line starts with 1,002 spaces: 40 MB (the case made 100 MB).
    numbers = ",".join(["1234"] * 40_000)
    text = '{"a":' * 500 + "[" + numbers + "]" + "}" * 500
    assert 200_000 < len(text) < 205_000
    return text


def test_201_kb_of_nested_arguments_show_the_first_100_000_characters_of_their_layout() -> None:
    import json

    arguments = nested_arguments()
    c = one_choice(
        tool_calls=(ToolCall(id="t", function=FunctionCall(name="f", arguments=arguments)),)
    )
    page, markdown = both(c)
    layout = json.dumps(json.loads(arguments), indent=2)  # the same layout for this input
    assert texts_of(page, "pre") == [layout[:100_000]]
    assert [t for _, t in fenced_blocks(markdown)] == [layout[:100_000]]
    notes = [t for t in texts_of(page, "i") if t.startswith("… the layout")]
    assert len(notes) == 1
    match = re.fullmatch(
        r"… the layout is cut here at 100000 characters; the last (\d+) of the (\d+) characters "
        r"sent are not shown at all \(all in \.choices\[0\]\.message\.tool_calls\[0\]\.function"
        r"\.arguments\)",
        notes[0],
    )
    assert match is not None, notes[0]
    assert int(match.group(2)) == len(arguments)
    # The layout's first 100,000 characters hold the first 500 levels and some numbers; most
    # of the 40,000 numbers are in the part not laid out.
    assert 150_000 < int(match.group(1)) < len(arguments)
    rest, sent = match.groups()
    assert f"the last {rest} of the {sent} characters sent are not shown at all" in markdown


def test_a_long_text_shows_its_first_100_000_characters_and_how_many_more_there_are() -> None:
    content = "<" * 250_000
    page, markdown = both(one_choice(content=content, reasoning="r" * 100_001))
    assert texts_of(page, "pre") == ["r" * 100_000, "<" * 100_000]
    assert "… 150000 more characters not shown (all in .choices[0].message.content)" in texts_of(
        page, "i"
    )
    assert "… 1 more characters not shown (all in .choices[0].message.reasoning)" in texts_of(
        page, "i"
    )
    assert [t for _, t in fenced_blocks(markdown)] == ["r" * 100_000, "<" * 100_000]
    assert "*… 150000 more characters not shown (all in .choices\\[0\\].message.content)*" in (
        markdown
    )


def test_many_tool_calls_are_shown_until_the_limit_then_counted() -> None:
    calls = tuple(
        ToolCall(id=f"t{i}", function=FunctionCall(name="f", arguments="[" + "1," * 20_000 + "1]"))
        for i in range(1024)
    )
    page, markdown = both(one_choice(tool_calls=calls))
    shown = sum(1 for t in texts_of(page, "b") if t.startswith("tool call "))
    assert 0 < shown < 1024
    assert f"… {1024 - shown} tool calls more not shown (display limit: 1000000 characters)" in (
        texts_of(page, "i")
    )
    assert f"{1024 - shown} tool calls more not shown" in markdown


def test_many_choices_are_shown_until_the_limit_then_counted() -> None:
    choices = tuple(
        Choice(index=i, message=Message(content="x" * 50_000), finish_reason="stop")
        for i in range(1024)
    )
    page, markdown = both(ChatCompletion(choices=choices))
    shown = sum(1 for t in texts_of(page, "b") if t.startswith("choice "))
    assert 0 < shown < 1024
    assert f"… {1024 - shown} choices more not shown (display limit: 1000000 characters)" in (
        texts_of(page, "i")
    )
    assert f"{1024 - shown} choices more not shown" in markdown


def test_huge_logprobs_cells_are_cut_and_rows_stop_at_the_limit() -> None:
    alts = tuple(TopLogprob(token="a" * 5_000, logprob=-1.0) for _ in range(25))
    tokens = tuple(
        TokenLogprob(token="t" * 50_000, logprob=-0.5, top_logprobs=alts) for _ in range(1000)
    )
    c = ChatCompletion(
        choices=(
            Choice(
                index=0, message=Message(content=""), logprobs=AssembledLogprobs(content=tokens)
            ),
        )
    )
    page, _ = both(c)
    cells = texts_of(page, "td")
    assert cells[0] == '"' + "t" * 1000 + '"… (49000 more characters)'
    assert cells[2].endswith(" and 5 more")
    rows = texts_of(page, "tr")
    assert 1 < len(rows) < 1001
    assert f"… {1000 - (len(rows) - 1)} more (see .logprobs)" in texts_of(page, "i")


def test_many_vendor_keys_list_twenty_names_and_cut_the_json() -> None:
    extra = {f"key{i:06}": "v" * 10 for i in range(100_000)}
    page, markdown = both(ChatCompletion(extra=extra))
    names = ", ".join(f"key{i:06}" for i in range(20))
    assert f"other fields: {names} and 99980 more" in texts_of(page, "summary")
    assert "… the rest is not shown (all in .extra)" in texts_of(page, "i")
    assert len(texts_of(page, "pre")[0]) == 100_000
    assert f"**other fields**: {names} and 99980 more" in markdown


def test_deeply_nested_vendor_fields_are_cut_at_100_000_characters() -> None:
    deep: Any = "x"
    for _ in range(99):
        deep = {"k": [deep] * 3}
    c = ChatCompletion(extra={"deep": deep})  # 3**99 leaves if written out: never encoded
    page, _ = both(c)
    assert len(texts_of(page, "pre")[0]) == 100_000
    assert "… the rest is not shown (all in .extra)" in texts_of(page, "i")


def test_many_long_warnings_are_listed_until_the_limit_then_counted() -> None:
    warnings = tuple(StreamWarning(kind="ignored", message="m" * 5_000) for _ in range(1000))
    page, _ = both(ChatCompletion(warnings=warnings))
    items = texts_of(page, "li")
    assert items[0] == "ignored " + "m" * 1000 + "… (4000 more characters)"
    shown = len(items) - 1
    assert 0 < shown < 1000
    assert items[-1] == (
        f"… {1000 - shown} warnings more not shown (display limit: 1000000 characters)"
    )
