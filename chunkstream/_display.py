# SPDX-License-Identifier: MIT
"""Notebook display of an assembled completion: ``completion_html`` and ``completion_markdown``,
which ``ChatCompletion._repr_html_`` / ``_repr_markdown_`` call when a notebook asks for them.
Imports ``_errors`` and (for types only) ``_models``; ``html``, ``json``, ``re`` and ``datetime``
are imported inside the functions, so importing chunkstream never loads this module or those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import error_text

if TYPE_CHECKING:
    from ._models import AssembledLogprobs, ChatCompletion, Choice, FunctionCall, Usage

__all__ = ["completion_html", "completion_markdown"]

# Logprobs can run to one row per token; the table shows this many and says how many it left out.
# Everything else the model produced (content, refusal, reasoning, arguments) is shown in full.
MAX_LOGPROB_ROWS = 1000

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


def _arguments(text: str) -> tuple[str, str | None]:
    """``(shown, note)``: the arguments pretty-printed when they are JSON (``note`` None), else
    as sent with a note saying why.

    The source text is re-indented token by token rather than re-serialised, so numbers
    (``1.10``), duplicate keys and key order stay exactly as the model wrote them.
    """
    if text == "":
        return "", "no arguments"
    import json

    try:
        json.loads(text)
    except ValueError:
        return text, "not valid JSON, shown as sent"
    except RecursionError:
        return text, "too deeply nested to lay out, shown as sent"
    return _reindent(text), None


def _reindent(text: str) -> str:
    """Lay out valid JSON text with two-space indents, keeping every token as written (strings
    with ``\\uXXXX`` escapes are shown decoded when that gives valid text)."""
    import json
    import re

    # Valid JSON only reaches here: outside strings there is nothing but punctuation, literals
    # and the four JSON whitespace characters.
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', text, re.DOTALL)
    out: list[str] = []
    depth = 0
    skip = False
    for i, tok in enumerate(tokens):
        if skip:
            skip = False
            continue
        if tok == "{" or tok == "[":
            close = "}" if tok == "{" else "]"
            if i + 1 < len(tokens) and tokens[i + 1] == close:
                out.append(tok + close)
                skip = True
            else:
                depth += 1
                out.append(tok + "\n" + "  " * depth)
        elif tok == "}" or tok == "]":
            depth -= 1
            out.append("\n" + "  " * depth + tok)
        elif tok == ",":
            out.append(",\n" + "  " * depth)
        elif tok == ":":
            out.append(": ")
        elif tok[0] == '"' and "\\u" in tok:
            decoded = json.dumps(json.loads(tok), ensure_ascii=False)
            try:
                decoded.encode("utf-8")  # a lone surrogate escape stays escaped
            except UnicodeEncodeError:
                decoded = tok
            out.append(decoded)
        else:
            out.append(tok)
    return "".join(out)


def _json_block(value: Any) -> str:
    """Any value (a provider's error, vendor fields) as indented JSON; ``repr`` if it is not
    JSON (a hand-built value)."""
    import json

    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def _scalar(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def _usage_rows(usage: Usage) -> list[tuple[str, str]]:
    """The usage object flattened to ``(dotted.key, value)`` rows, in the order it was sent."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, obj: dict[str, Any]) -> None:
        for key, value in obj.items():
            name = f"{prefix}{key}"
            if type(value) is dict and value:
                walk(name + ".", value)
            else:
                rows.append((name, _scalar(value)))

    walk("", usage.to_dict())
    return rows


def _created(created: int | None) -> str | None:
    if created is None:
        return None
    import datetime

    try:
        when = datetime.datetime.fromtimestamp(created, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return str(created)
    return f"{created} ({when:%Y-%m-%d %H:%M:%S} UTC)"


def _header(c: ChatCompletion) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for the completion's top-level fields that are known."""
    items: list[tuple[str, str]] = []
    if c.object != "chat.completion":
        items.append(("object", c.object))
    if c.model is not None:
        items.append(("model", c.model))
    created = _created(c.created)
    if created is not None:
        items.append(("created", created))
    if c.system_fingerprint is not None:
        items.append(("system_fingerprint", c.system_fingerprint))
    if c.service_tier is not None:
        items.append(("service_tier", c.service_tier))
    return items


def _arrived(choice: Choice, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Those of the message's text fields ``names`` that arrived, as ``(name, text)``."""
    m = choice.message
    return [(name, value) for name in names if (value := getattr(m, name)) is not None]


def _texts(choice: Choice) -> list[tuple[str, str]]:
    return _arrived(choice, ("content", "refusal"))


def _reasonings(choice: Choice) -> list[tuple[str, str]]:
    return _arrived(choice, ("reasoning_content", "reasoning"))


def _calls(choice: Choice) -> list[tuple[str, FunctionCall, str | None, str | None]]:
    """``(label, function, id, type)`` for each tool call, then the legacy ``function_call``."""
    m = choice.message
    out: list[tuple[str, FunctionCall, str | None, str | None]] = []
    for i, call in enumerate(m.tool_calls or ()):
        out.append((f"tool call {i}", call.function, call.id, call.type))
    if m.function_call is not None:
        out.append(("function_call", m.function_call, None, None))
    return out


def _message_extras(choice: Choice) -> dict[str, Any]:
    m = choice.message
    extras: dict[str, Any] = {}
    if m.content_parts is not None:
        extras["content_parts"] = list(m.content_parts)
    extras.update(m.extra)
    for i, call in enumerate(m.tool_calls or ()):
        if call.extra or call.function.extra:
            extras[f"tool_calls[{i}]"] = {**call.extra, **call.function.extra}
    return extras


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
            top = ", ".join(
                f"{_scalar(alt.token)} {_scalar(alt.logprob)}" for alt in tok.top_logprobs or ()
            )
            rows.append((_scalar(tok.token), _scalar(tok.logprob), top))
    summary = ", ".join(counts) if counts else "no token lists"
    return summary, rows, total - len(rows)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# HTML


def completion_html(c: ChatCompletion) -> str:
    """The completion as an HTML fragment for notebooks: every choice with its role, text,
    reasoning (collapsed), tool calls (arguments pretty-printed), finish reason and logprobs;
    usage, the provider's error and the warnings. Every value is escaped."""
    from html import escape

    def code(text: str) -> str:
        return f"<code>{escape(text)}</code>"

    def pre(text: str, *, box: bool = False) -> str:
        cls = ' class="cs-box"' if box else ""
        return f"<pre{cls}>{escape(text)}</pre>"

    def label(text: str) -> str:
        return f"<div><b>{escape(text)}</b></div>"

    def details(summary: str, body: str, *, open_: bool = False) -> str:
        attr = " open" if open_ else ""
        return f"<details{attr}><summary>{summary}</summary>{body}</details>"

    def extras_block(extras: dict[str, Any]) -> str:
        names = ", ".join(escape(k) for k in extras)
        return details(f"other fields: {names}", pre(_json_block(extras), box=True))

    parts = ['<div class="chunkstream-completion">', _CSS]
    head = ["<b>ChatCompletion</b>"]
    if c.id is not None:
        head.append(code(c.id))
    for name, value in _header(c):
        head.append(f"{escape(name)} {code(value)}")
    parts.append(f"<div>{' · '.join(head)}</div>")

    if not c.choices:
        parts.append("<div><i>no choices</i></div>")
    for choice in c.choices:
        m = choice.message
        finish = "null" if choice.finish_reason is None else choice.finish_reason
        parts.append('<div class="cs-choice">')
        parts.append(
            f"<div><b>choice {choice.index}</b> · role {code(m.role)}"
            f" · finish_reason {code(finish)}</div>"
        )
        for name, text in _reasonings(choice):
            summary = f"{escape(name)} ({_plural(len(text), 'character')})"
            parts.append(details(summary, pre(text)))
        for name, text in _texts(choice):
            parts.append(label(name))
            parts.append(pre(text) if text else "<div><i>empty</i></div>")
        for title, function, call_id, call_type in _calls(choice):
            name = code(function.name) if function.name is not None else "<i>no name</i>"
            line = [f"<b>{escape(title)}</b>", name]
            if call_id is not None:
                line.append(f"id {code(call_id)}")
            if call_type is not None and call_type != "function":
                line.append(f"type {code(call_type)}")
            shown, note = _arguments(function.arguments)
            if note is not None:
                line.append(f"<i>arguments: {escape(note)}</i>")
            parts.append(f"<div>{' · '.join(line)}</div>")
            if shown:
                parts.append(pre(shown, box=True))
        if not _texts(choice) and not _calls(choice):
            parts.append("<div><i>no content</i></div>")
        if choice.logprobs is not None:
            summary, rows, left_out = _logprob_lines(choice.logprobs)
            table = "".join(
                f"<tr><td>{code(tok)}</td><td>{escape(lp)}</td><td>{escape(top)}</td></tr>"
                for tok, lp, top in rows
            )
            body = ""
            if rows:
                body = (
                    "<table><tr><th>token</th><th>logprob</th><th>top_logprobs</th></tr>"
                    f"{table}</table>"
                )
            if left_out:
                body += f"<div><i>… {left_out} more (see .logprobs)</i></div>"
            parts.append(details(f"logprobs: {escape(summary)}", body))
        extras = {**choice.extra, **_message_extras(choice)}
        if extras:
            parts.append(extras_block(extras))
        parts.append("</div>")

    if c.usage is not None:
        usage = "".join(
            f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in _usage_rows(c.usage)
        )
        parts.append(f"<div><b>usage</b></div><table>{usage}</table>")
    if c.error is not None:
        parts.append(f"<div><b>provider error:</b> {escape(error_text(c.error))}</div>")
        parts.append(pre(_json_block(c.error), box=True))
    if c.warnings:
        items = "".join(f"<li>{code(w.kind)} {escape(str(w))}</li>" for w in c.warnings)
        summary = f"<b>{_plural(len(c.warnings), 'warning')}</b>"
        parts.append(details(summary, f"<ul>{items}</ul>", open_=True))
    if c.extra:
        parts.append(extras_block(c.extra))
    parts.append("</div>")
    return "".join(parts)


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
    text in fenced code blocks that nothing inside can close."""
    out: list[str] = []
    head = ["**ChatCompletion**"]
    if c.id is not None:
        head.append(_md_code(c.id))
    for name, value in _header(c):
        head.append(f"{_md_text(name)} {_md_code(value)}")
    out.append(" · ".join(head))

    if not c.choices:
        out.append("*no choices*")
    for choice in c.choices:
        m = choice.message
        finish = "null" if choice.finish_reason is None else choice.finish_reason
        out.append(
            f"**choice {choice.index}** · role {_md_code(m.role)}"
            f" · finish\\_reason {_md_code(finish)}"
        )
        for name, text in _reasonings(choice):
            out.append(f"**{_md_text(name)}** ({_plural(len(text), 'character')})")
            out.append(_md_fence(text))
        for name, text in _texts(choice):
            out.append(f"**{_md_text(name)}**")
            out.append(_md_fence(text) if text else "*empty*")
        for title, function, call_id, call_type in _calls(choice):
            name = _md_code(function.name) if function.name is not None else "*no name*"
            line = [f"**{_md_text(title)}**", name]
            if call_id is not None:
                line.append(f"id {_md_code(call_id)}")
            if call_type is not None and call_type != "function":
                line.append(f"type {_md_code(call_type)}")
            shown, note = _arguments(function.arguments)
            if note is not None:
                line.append(f"*arguments: {_md_text(note)}*")
            out.append(" · ".join(line))
            if shown:
                out.append(_md_fence(shown, "json" if note is None else ""))
        if not _texts(choice) and not _calls(choice):
            out.append("*no content*")
        if choice.logprobs is not None:
            summary, rows, left_out = _logprob_lines(choice.logprobs)
            out.append(f"**logprobs**: {_md_text(summary)}")
            if rows:
                width = max(len(tok) for tok, _, _ in rows)
                lines = [f"{tok.ljust(width)}  {lp}  {top}".rstrip() for tok, lp, top in rows]
                if left_out:
                    lines.append(f"… {left_out} more (see .logprobs)")
                out.append(_md_fence("\n".join(lines)))
        extras = {**choice.extra, **_message_extras(choice)}
        if extras:
            out.append(f"**other fields**: {_md_text(', '.join(extras))}")
            out.append(_md_fence(_json_block(extras), "json"))

    if c.usage is not None:
        table = ["| usage | |", "|---|---|"]
        for key, value in _usage_rows(c.usage):
            table.append(f"| {_md_cell(_md_code(key))} | {_md_cell(_md_code(value))} |")
        out.append("\n".join(table))
    if c.error is not None:
        out.append(f"**provider error:** {_md_text(error_text(c.error))}")
        out.append(_md_fence(_json_block(c.error), "json"))
    if c.warnings:
        out.append(f"**{_plural(len(c.warnings), 'warning')}**")
        out.append("\n".join(f"- {_md_code(w.kind)} {_md_text(str(w))}" for w in c.warnings))
    if c.extra:
        out.append(f"**other fields**: {_md_text(', '.join(c.extra))}")
        out.append(_md_fence(_json_block(c.extra), "json"))
    return "\n\n".join(out) + "\n"
