# SPDX-License-Identifier: MIT
"""Notebook display of an assembled completion: ``completion_html`` and ``completion_markdown``,
which ``ChatCompletion._repr_html_`` / ``_repr_markdown_`` call when a notebook asks for them.
Imports ``_errors`` and (for types only) ``_models``; ``html``, ``json``, ``re`` and ``datetime``
are imported inside the functions, so importing chunkstream never loads this module or those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import error_text
from ._schema import SHAPES

if TYPE_CHECKING:
    from ._models import AssembledLogprobs, ChatCompletion, Choice, FunctionCall, Usage

__all__ = ["completion_html", "completion_markdown"]

# Logprobs can run to one row per token; the table shows this many and says how many it left out.
MAX_LOGPROB_ROWS = 1000
# What one display may show, so that a notebook (which keeps every output in the .ipynb) is never
# handed tens of MB: 201 KB of nested tool arguments laid out with indents made 100 MB of HTML.
# A long value (content, refusal, reasoning, arguments, a JSON block) shows its first
# MAX_VALUE_CHARS characters; a short one (an id, a name, a table cell) MAX_SHORT_CHARS. Once the
# values shown pass MAX_TOTAL_CHARS, the remaining choices, tool calls, rows and warnings are
# counted, not shown. Every cut says what was left out and where the whole value is.
MAX_VALUE_CHARS = 100_000
MAX_SHORT_CHARS = 1_000
MAX_TOTAL_CHARS = 1_000_000
MAX_FIELD_NAMES = 20  # vendor field names listed in an "other fields" summary

# One style sheet, scoped to the fragment's class (as pandas does for DataFrames); values never
# reach it or any attribute. Arguments and other JSON stay in a box of bounded height: all there,
# scrollable. Colours are left to the notebook's theme.
_CSS = (
    "<style>"
    ".chunkstream-completion code, .chunkstream-completion pre"
    " {font-family: var(--jp-code-font-family, monospace); font-size: 0.9em}"
    " .chunkstream-completion pre"
    " {white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.2em 0 0.6em; text-align: left}"
    " .chunkstream-completion pre.cs-box {max-height: 24em; overflow: auto}"
    " .chunkstream-completion .cs-choice"
    " {border-left: 3px solid rgba(127, 127, 127, 0.45); padding-left: 0.7em; margin: 0.6em 0}"
    " .chunkstream-completion table {border-collapse: collapse; margin: 0.2em 0 0.6em}"
    " .chunkstream-completion td, .chunkstream-completion th"
    " {padding: 0.05em 0.8em 0.05em 0; text-align: left; vertical-align: top}"
    "</style>"
)


# ---------------------------------------------------------------------------------------------
# What both renderings show, worked out once.


def _cut(text: str, limit: int, where: str) -> tuple[str, str | None]:
    """``(shown, cut)``: the first ``limit`` characters of ``text``, and what was left out."""
    if len(text) <= limit:
        return text, None
    return text[:limit], f"… {len(text) - limit} more characters not shown (all in {where})"


def _short(text: str) -> str:
    """A short value (an id, a name, a header field, a table cell), cut to MAX_SHORT_CHARS."""
    if len(text) <= MAX_SHORT_CHARS:
        return text
    return f"{text[:MAX_SHORT_CHARS]}… ({len(text) - MAX_SHORT_CHARS} more characters)"


def _arguments(text: str, where: str) -> tuple[str, str | None, str | None]:
    """``(shown, note, cut)``: the arguments pretty-printed when they are JSON (``note`` None),
    else as sent with a note saying why; ``cut`` says what was left out past MAX_VALUE_CHARS.

    The source text is re-indented token by token rather than re-serialised, so numbers
    (``1.10``), duplicate keys and key order stay exactly as the model wrote them.
    """
    if text == "":
        return "", "no arguments", None
    import json

    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        shown, cut = _cut(text, MAX_VALUE_CHARS, where)
        if isinstance(exc, RecursionError):
            return shown, "too deeply nested to lay out, shown as sent", cut
        return shown, "not valid JSON, shown as sent", cut
    shown, rest = _reindent(text, MAX_VALUE_CHARS)
    if rest is None:
        return shown, None, None
    return (
        shown,
        None,
        (
            f"… the layout is cut here at {MAX_VALUE_CHARS} characters; the last {rest} of the "
            f"{len(text)} characters sent are not shown at all (all in {where})"
        ),
    )


def _reindent(text: str, limit: int | None = None) -> tuple[str, int | None]:
    """Lay out valid JSON text with two-space indents, keeping every token as written (strings
    with ``\\uXXXX`` escapes are shown decoded when that gives valid text); stop once the
    layout passes ``limit`` characters. Returns the layout and how many source characters were
    not laid out (``None``: nothing was cut; deep nesting makes the layout far longer than the
    source)."""
    import json
    import re

    # Valid JSON only reaches here: outside strings there is nothing but punctuation, literals
    # and the four JSON whitespace characters.
    tokens = re.finditer(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', text, re.DOTALL)
    out: list[str] = []
    size = 0
    depth = 0
    pending: str | None = None  # an opening bracket: written with its close if that comes next
    for match in tokens:
        tok = match.group()
        if limit is not None and size > limit:
            if pending is not None:
                out.append(pending + "\n")
            laid = "".join(out)[:limit]
            return laid, len(text) - match.start()
        if pending is not None:
            close = "}" if pending == "{" else "]"
            if tok == close:
                out.append(pending + close)
                size += 2
                pending = None
                continue
            depth += 1
            piece = pending + "\n" + "  " * depth
            out.append(piece)
            size += len(piece)
            pending = None
        if tok == "{" or tok == "[":
            pending = tok
            continue
        if tok == "}" or tok == "]":
            depth -= 1
            piece = "\n" + "  " * depth + tok
        elif tok == ",":
            piece = ",\n" + "  " * depth
        elif tok == ":":
            piece = ": "
        elif tok[0] == '"' and "\\u" in tok:
            piece = json.dumps(json.loads(tok), ensure_ascii=False)
            try:
                piece.encode("utf-8")  # a lone surrogate escape stays escaped
            except UnicodeEncodeError:
                piece = tok
        else:
            piece = tok
        out.append(piece)
        size += len(piece)
    if pending is not None:  # cannot happen in valid JSON; kept rather than dropped
        out.append(pending)
    laid = "".join(out)
    if limit is not None and len(laid) > limit:
        return laid[:limit], 0
    return laid, None


def _json_block(value: Any, where: str) -> tuple[str, str | None]:
    """Any value (a provider's error, vendor fields) as indented JSON (``repr`` if it is not
    JSON: a hand-built value), cut at MAX_VALUE_CHARS: ``(shown, cut)``. The encoder is read
    piece by piece and left once past the cap, so a huge value costs no more than the cap."""
    import json

    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=repr)
    out: list[str] = []
    size = 0
    try:
        for piece in encoder.iterencode(value):
            out.append(piece)
            size += len(piece)
            if size > MAX_VALUE_CHARS:
                shown = "".join(out)[:MAX_VALUE_CHARS]
                return shown, f"… the rest is not shown (all in {where})"
    except (ValueError, TypeError, RecursionError):
        return _cut(_safe_repr(value), MAX_VALUE_CHARS, where)
    return "".join(out), None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__} that has no repr>"


def _scalar(value: Any) -> str:
    """A value in one short line (a table cell): JSON, cut to MAX_SHORT_CHARS."""
    import json

    if type(value) is str and len(value) > MAX_SHORT_CHARS:
        more = len(value) - MAX_SHORT_CHARS  # cut before encoding: it may be huge
        return (
            f"{json.dumps(value[:MAX_SHORT_CHARS], ensure_ascii=False)}… ({more} more characters)"
        )
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        text = _safe_repr(value)
    return _short(text)


def _usage_rows(usage: Usage) -> tuple[list[tuple[str, str]], int]:
    """The usage object flattened to ``(dotted.key, value)`` rows, in the order it was sent (at
    most MAX_LOGPROB_ROWS), and how many rows were left out."""
    rows: list[tuple[str, str]] = []
    left = 0

    def walk(prefix: str, obj: dict[str, Any]) -> None:
        nonlocal left
        for key, value in obj.items():
            name = f"{prefix}{key}"
            if type(value) is dict and value:
                walk(name + ".", value)
            elif len(rows) < MAX_LOGPROB_ROWS:
                rows.append((_short(name), _scalar(value)))
            else:
                left += 1

    walk("", usage.to_dict())
    return rows, left


def _created(created: int | None) -> str | None:
    if created is None:
        return None
    import datetime

    try:
        when = datetime.datetime.fromtimestamp(created, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return _short(str(created)) if created < 10**MAX_SHORT_CHARS else "(a very large int)"
    return f"{created} ({when:%Y-%m-%d %H:%M:%S} UTC)"


def _header(c: ChatCompletion) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for the completion's top-level fields that are known."""
    items: list[tuple[str, str]] = []
    if c.object != "chat.completion":
        items.append(("object", _short(c.object)))
    if c.model is not None:
        items.append(("model", _short(c.model)))
    created = _created(c.created)
    if created is not None:
        items.append(("created", created))
    if c.system_fingerprint is not None:
        items.append(("system_fingerprint", _short(c.system_fingerprint)))
    if c.service_tier is not None:
        items.append(("service_tier", _short(c.service_tier)))
    return items


def _arrived(choice: Choice, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Those of the message's text fields ``names`` that arrived, as ``(name, text)``."""
    m = choice.message
    return [(name, value) for name in names if (value := getattr(m, name)) is not None]


def _shown_as(shape: str, rule: str) -> tuple[str, ...]:
    """The fields of an assembled shape that the schema says are shown by ``rule``."""
    return tuple(f.key for f in SHAPES[shape].fields if f.display == rule)


_TEXT_FIELDS = _shown_as("Message", "text")
_REASONING_FIELDS = _shown_as("Message", "reasoning")
_MESSAGE_JSON_FIELDS = _shown_as("Message", "json")
_COMPLETION_JSON_FIELDS = _shown_as("ChatCompletion", "json")


def _plain_json(value: Any) -> Any:
    """A model field's value as JSON (models by ``to_dict``, tuples as lists)."""
    if type(value) is tuple:
        return [_plain_json(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    return value if to_dict is None else to_dict()


def _json_fields(model: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Those of ``names`` that ``model`` holds (not None), as JSON."""
    return {n: _plain_json(v) for n in names if (v := getattr(model, n)) is not None}


def _completion_extras(c: ChatCompletion) -> dict[str, Any]:
    """The completion's fields shown as JSON (``moderation``), then its vendor fields; a vendor
    field named like one of them is shown as ``extra.<name>``."""
    extras = _json_fields(c, _COMPLETION_JSON_FIELDS)
    for name, value in c.extra.items():
        extras[name if name not in extras else f"extra.{name}"] = value
    return extras


def _texts(choice: Choice) -> list[tuple[str, str]]:
    return _arrived(choice, _TEXT_FIELDS)


def _reasonings(choice: Choice) -> list[tuple[str, str]]:
    return _arrived(choice, _REASONING_FIELDS)


def _calls(choice: Choice) -> list[tuple[str, FunctionCall, str | None, str | None, str]]:
    """``(label, function, id, type, where)`` for each tool call, then the legacy
    ``function_call``; ``where`` names the arguments' attribute path."""
    m = choice.message
    out: list[tuple[str, FunctionCall, str | None, str | None, str]] = []
    at = f".choices[{choice.index}].message"
    for i, call in enumerate(m.tool_calls or ()):
        where = f"{at}.tool_calls[{i}].function.arguments"
        out.append((f"tool call {i}", call.function, call.id, call.type, where))
    if m.function_call is not None:
        out.append(("function_call", m.function_call, None, None, f"{at}.function_call.arguments"))
    return out


def _extras(choice: Choice) -> dict[str, Any]:
    """The choice's vendor fields, then its message's (the fields the schema shows as JSON:
    ``content_parts``, ``audio``, ``annotations``; vendor fields; tool calls' vendor fields); a
    message field named like a choice one is shown as ``message.<name>`` (neither hides the
    other)."""
    m = choice.message
    extras: dict[str, Any] = dict(choice.extra)

    def put(name: str, value: Any) -> None:
        extras[name if name not in extras else f"message.{name}"] = value

    for name, value in _json_fields(m, _MESSAGE_JSON_FIELDS).items():
        put(name, value)
    for name, value in m.extra.items():
        put(name, value)
    for i, call in enumerate(m.tool_calls or ()):
        if call.extra or call.function.extra:
            put(f"tool_calls[{i}]", {**call.extra, **call.function.extra})
    return extras


def _names(extras: dict[str, Any]) -> str:
    """The first MAX_FIELD_NAMES names of ``extras``, and how many more there are."""
    names = [_short(k) for k, _ in zip(extras, range(MAX_FIELD_NAMES), strict=False)]
    more = len(extras) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _logprob_lines(logprobs: AssembledLogprobs) -> tuple[str, list[tuple[str, str, str]], int]:
    """(summary, rows of (token, logprob, top alternatives), rows left out)."""
    counts = []
    rows: list[tuple[str, str, str]] = []
    total = 0
    for name in ("content", "refusal"):
        tokens = getattr(logprobs, name)
        if tokens is None:
            continue
        counts.append(f"{len(tokens)} {name} token{'' if len(tokens) == 1 else 's'}")
        total += len(tokens)
        for tok in tokens[: max(0, MAX_LOGPROB_ROWS - len(rows))]:
            alts = tok.top_logprobs or ()
            top = ", ".join(
                f"{_scalar(alt.token)} {_scalar(alt.logprob)}" for alt in alts[:MAX_FIELD_NAMES]
            )
            if len(alts) > MAX_FIELD_NAMES:
                top += f" and {len(alts) - MAX_FIELD_NAMES} more"
            rows.append((_scalar(tok.token), _scalar(tok.logprob), top))
    summary = ", ".join(counts) if counts else "no token lists"
    return summary, rows, total - len(rows)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _not_shown(n: int, word: str) -> str:
    return f"… {_plural(n, word)} more not shown (display limit: {MAX_TOTAL_CHARS} characters)"


def _value_not_shown(where: str) -> str:
    return f"… not shown (display limit: {MAX_TOTAL_CHARS} characters; all in {where})"


class _Out(list):  # type: ignore[type-arg]
    """The pieces of a rendering, and how many characters they hold so far."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def add(self, piece: str) -> None:
        self.append(piece)
        self.size += len(piece)

    @property
    def full(self) -> bool:
        return self.size > MAX_TOTAL_CHARS


# ---------------------------------------------------------------------------------------------
# HTML


def completion_html(c: ChatCompletion) -> str:
    """The completion as an HTML fragment for notebooks: every choice with its role, text,
    reasoning (collapsed), tool calls (arguments pretty-printed), finish reason and logprobs;
    usage, the provider's error and the warnings. Every value is escaped; what is shown is
    capped (MAX_VALUE_CHARS, MAX_SHORT_CHARS, MAX_TOTAL_CHARS) and every cut says so."""
    from html import escape

    def code(text: str) -> str:  # callers pass short values (see _short)
        return f"<code>{escape(text)}</code>"

    def note(text: str | None) -> str:
        return "" if text is None else f"<div><i>{escape(text)}</i></div>"

    def pre(text: str, where: str, *, box: bool = False) -> str:
        if out.full:
            return note(_value_not_shown(where))
        shown, cut = _cut(text, MAX_VALUE_CHARS, where)
        cls = ' class="cs-box"' if box else ""
        return f"<pre{cls}>{escape(shown)}</pre>{note(cut)}"

    def label(text: str) -> str:
        return f"<div><b>{escape(text)}</b></div>"

    def details(summary: str, body: str, *, open_: bool = False) -> str:
        attr = " open" if open_ else ""
        return f"<details{attr}><summary>{summary}</summary>{body}</details>"

    def json_box(value: Any, where: str) -> str:
        if out.full:
            return note(_value_not_shown(where))
        shown, cut = _json_block(value, where)
        return f'<pre class="cs-box">{escape(shown)}</pre>{note(cut)}'

    def extras_block(extras: dict[str, Any], where: str) -> str:
        return details(f"other fields: {escape(_names(extras))}", json_box(extras, where))

    out = _Out()
    out.add('<div class="chunkstream-completion">')
    out.add(_CSS)
    head = ["<b>ChatCompletion</b>"]
    if c.id is not None:
        head.append(code(_short(c.id)))
    for name, value in _header(c):
        head.append(f"{escape(name)} {code(value)}")
    out.add(f"<div>{' · '.join(head)}</div>")

    if not c.choices:
        out.add("<div><i>no choices</i></div>")
    for number, choice in enumerate(c.choices):
        if out.full:
            out.add(note(_not_shown(len(c.choices) - number, "choice")))
            break
        m = choice.message
        at = f".choices[{choice.index}]"
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        out.add('<div class="cs-choice">')
        out.add(
            f"<div><b>choice {choice.index}</b> · role {code(_short(m.role))}"
            f" · finish_reason {code(finish)}</div>"
        )
        for name, text in _reasonings(choice):
            summary = f"{escape(name)} ({_plural(len(text), 'character')})"
            out.add(details(summary, pre(text, f"{at}.message.{name}")))
        for name, text in _texts(choice):
            out.add(label(name))
            out.add(pre(text, f"{at}.message.{name}") if text else "<div><i>empty</i></div>")
        calls = _calls(choice)
        for n, (title, function, call_id, call_type, where) in enumerate(calls):
            if out.full:
                out.add(note(_not_shown(len(calls) - n, "tool call")))
                break
            name = code(_short(function.name)) if function.name is not None else "<i>no name</i>"
            line = [f"<b>{escape(title)}</b>", name]
            if call_id is not None:
                line.append(f"id {code(_short(call_id))}")
            if call_type is not None and call_type != "function":
                line.append(f"type {code(_short(call_type))}")
            shown, why, cut = _arguments(function.arguments, where)
            if why is not None:
                line.append(f"<i>arguments: {escape(why)}</i>")
            out.add(f"<div>{' · '.join(line)}</div>")
            if shown:
                out.add(f'<pre class="cs-box">{escape(shown)}</pre>{note(cut)}')
        if not _texts(choice) and not calls:
            out.add("<div><i>no content</i></div>")
        if choice.logprobs is not None and not out.full:
            summary, rows, left_out = _logprob_lines(choice.logprobs)
            table = []
            size = 0
            for tok, lp, top in rows:
                if out.size + size > MAX_TOTAL_CHARS:
                    break
                row = f"<tr><td>{code(tok)}</td><td>{escape(lp)}</td><td>{escape(top)}</td></tr>"
                table.append(row)
                size += len(row)
            left_out += len(rows) - len(table)
            body = ""
            if table:
                body = (
                    "<table><tr><th>token</th><th>logprob</th><th>top_logprobs</th></tr>"
                    f"{''.join(table)}</table>"
                )
            if left_out:
                body += f"<div><i>… {left_out} more (see .logprobs)</i></div>"
            out.add(details(f"logprobs: {escape(summary)}", body))
        extras = _extras(choice)
        if extras and not out.full:
            out.add(extras_block(extras, f"{at}.extra and {at}.message"))
        out.add("</div>")

    if c.usage is not None:
        usage_rows, left = _usage_rows(c.usage)
        usage = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in usage_rows)
        out.add(f"<div><b>usage</b></div><table>{usage}</table>")
        if left:
            out.add(note(f"… {_plural(left, 'row')} more (see .usage)"))
    if c.error is not None:
        out.add(f"<div><b>provider error:</b> {escape(_short(error_text(c.error)))}</div>")
        out.add(json_box(c.error, ".error"))
    if c.warnings:
        items = []
        for n, w in enumerate(c.warnings):
            if out.size > MAX_TOTAL_CHARS:
                items.append(
                    f"<li><i>{escape(_not_shown(len(c.warnings) - n, 'warning'))}</i></li>"
                )
                break
            item = f"<li>{code(_short(w.kind))} {escape(_short(str(w)))}</li>"
            items.append(item)
            out.size += len(item)
        summary = f"<b>{_plural(len(c.warnings), 'warning')}</b>"
        out.add(details(summary, f"<ul>{''.join(items)}</ul>", open_=True))
    extras = _completion_extras(c)
    if extras:
        out.add(extras_block(extras, ".extra"))
    out.add("</div>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Markdown (CommonMark + GFM tables). Model text goes in fenced blocks whose fence is longer
# than any backtick run inside (CommonMark 4.5: a fence closes only on a run at least as long);
# short values in code spans sized the same way (6.1); other text has every character that can
# open inline markup, raw HTML, an entity or (in Jupyter) math backslash-escaped (2.4). Such text
# never starts a line, so block markers (``#``, ``-``, ``1.``) cannot take effect.


def _longest_backtick_run(text: str) -> int:
    import re

    return max(map(len, re.findall("`+", text)), default=0)


def _md_fence(text: str, info: str = "") -> str:
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    end = "" if text.endswith("\n") else "\n"
    return f"{fence}{info}\n{text}{end}{fence}"


def _md_code(text: str) -> str:
    if text == "":
        return "*empty*"
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    ticks = "`" * (_longest_backtick_run(text) + 1)
    # A code span strips one space from each end when both ends have one (CommonMark 6.1), and
    # a backtick at either end would join the delimiter: pad with a space on both sides.
    pad = text[0] in "` " or text[-1] in "` "
    space = " " if pad and text.strip(" ") else ""
    return f"{ticks}{space}{text}{space}{ticks}"


_MD_SPECIAL = frozenset("\\`*_[]<>&!|~$")


def _md_text(text: str) -> str:
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def _md_cell(markup: str) -> str:
    # GFM tables split cells on "|" before anything else, code spans included.
    return markup.replace("|", "\\|")


def completion_markdown(c: ChatCompletion) -> str:
    """The completion as Markdown: the same information as :func:`completion_html`, with model
    text in fenced code blocks that nothing inside can close, capped the same way."""
    out = _Out()

    def code(text: str) -> str:  # callers pass short values (see _short)
        return _md_code(text)

    def fence(text: str, where: str, info: str = "") -> None:
        if out.full:
            out.add(f"*{_md_text(_value_not_shown(where))}*")
            return
        shown, cut = _cut(text, MAX_VALUE_CHARS, where)
        out.add(_md_fence(shown, info))
        if cut is not None:
            out.add(f"*{_md_text(cut)}*")

    def json_fence(value: Any, where: str) -> None:
        if out.full:
            out.add(f"*{_md_text(_value_not_shown(where))}*")
            return
        shown, cut = _json_block(value, where)
        out.add(_md_fence(shown, "json"))
        if cut is not None:
            out.add(f"*{_md_text(cut)}*")

    head = ["**ChatCompletion**"]
    if c.id is not None:
        head.append(code(_short(c.id)))
    for name, value in _header(c):
        head.append(f"{_md_text(name)} {code(value)}")
    out.add(" · ".join(head))

    if not c.choices:
        out.add("*no choices*")
    for number, choice in enumerate(c.choices):
        if out.full:
            out.add(f"*{_md_text(_not_shown(len(c.choices) - number, 'choice'))}*")
            break
        m = choice.message
        at = f".choices[{choice.index}]"
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        role = code(_short(m.role))
        out.add(f"**choice {choice.index}** · role {role} · finish\\_reason {code(finish)}")
        for name, text in _reasonings(choice):
            out.add(f"**{_md_text(name)}** ({_plural(len(text), 'character')})")
            fence(text, f"{at}.message.{name}")
        for name, text in _texts(choice):
            out.add(f"**{_md_text(name)}**")
            if text:
                fence(text, f"{at}.message.{name}")
            else:
                out.add("*empty*")
        calls = _calls(choice)
        for n, (title, function, call_id, call_type, where) in enumerate(calls):
            if out.full:
                out.add(f"*{_md_text(_not_shown(len(calls) - n, 'tool call'))}*")
                break
            name = code(_short(function.name)) if function.name is not None else "*no name*"
            line = [f"**{_md_text(title)}**", name]
            if call_id is not None:
                line.append(f"id {code(_short(call_id))}")
            if call_type is not None and call_type != "function":
                line.append(f"type {code(_short(call_type))}")
            shown, why, cut = _arguments(function.arguments, where)
            if why is not None:
                line.append(f"*arguments: {_md_text(why)}*")
            out.add(" · ".join(line))
            if shown:
                out.add(_md_fence(shown, "json" if why is None else ""))
            if cut is not None:
                out.add(f"*{_md_text(cut)}*")
        if not _texts(choice) and not calls:
            out.add("*no content*")
        if choice.logprobs is not None and not out.full:
            summary, rows, left_out = _logprob_lines(choice.logprobs)
            out.add(f"**logprobs**: {_md_text(summary)}")
            if rows:
                width = min(max(len(tok) for tok, _, _ in rows), 40)
                lp_lines = []
                size = 0
                for tok, lp, top in rows:
                    if out.size + size > MAX_TOTAL_CHARS:
                        break
                    lp_line = f"{tok.ljust(width)}  {lp}  {top}".rstrip()
                    lp_lines.append(lp_line)
                    size += len(lp_line)
                left_out += len(rows) - len(lp_lines)
                if left_out:
                    lp_lines.append(f"… {left_out} more (see .logprobs)")
                out.add(_md_fence("\n".join(lp_lines)))
        extras = _extras(choice)
        if extras and not out.full:
            out.add(f"**other fields**: {_md_text(_names(extras))}")
            json_fence(extras, f"{at}.extra and {at}.message")

    if c.usage is not None:
        usage_rows, left = _usage_rows(c.usage)
        table = ["| usage | |", "|---|---|"]
        for key, value in usage_rows:
            table.append(f"| {_md_cell(_md_code(key))} | {_md_cell(_md_code(value))} |")
        out.add("\n".join(table))
        if left:
            out.add(f"*… {_plural(left, 'row')} more (see .usage)*")
    if c.error is not None:
        out.add(f"**provider error:** {_md_text(_short(error_text(c.error)))}")
        json_fence(c.error, ".error")
    if c.warnings:
        out.add(f"**{_plural(len(c.warnings), 'warning')}**")
        items = []
        size = 0
        for n, w in enumerate(c.warnings):
            if out.size + size > MAX_TOTAL_CHARS:
                items.append(f"- *{_md_text(_not_shown(len(c.warnings) - n, 'warning'))}*")
                break
            item = f"- {code(_short(w.kind))} {_md_text(_short(str(w)))}"
            items.append(item)
            size += len(item)
        out.add("\n".join(items))
    extras = _completion_extras(c)
    if extras:
        out.add(f"**other fields**: {_md_text(_names(extras))}")
        json_fence(extras, ".extra")
    return "\n\n".join(out) + "\n"
