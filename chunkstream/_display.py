# SPDX-License-Identifier: MIT
"""Notebook display of an assembled completion: ``completion_html`` and ``completion_markdown``,
which ``ChatCompletion._repr_html_`` / ``_repr_markdown_`` call when a notebook asks for them.
Imports ``_errors`` and (for types only) ``_models``; ``html``, ``json``, ``re`` and ``datetime``
are imported inside the functions, so importing chunkstream never loads this module or those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ._errors import ChunkstreamError, UpstreamError, error_text
from ._schema import SHAPES

if TYPE_CHECKING:
    from ._models import (
        AssembledLogprobs,
        ChatCompletion,
        ChatCompletionChunk,
        Choice,
        ChoiceLogprobs,
        ChunkChoice,
        Completion,
        FunctionCall,
        Usage,
    )

__all__ = [
    "chunk_html",
    "chunk_markdown",
    "completion_html",
    "completion_markdown",
    "error_html",
    "error_markdown",
    "usage_html",
    "usage_markdown",
]

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


def _int(number: int) -> str:
    """An int in one short line; one past ``sys.get_int_max_str_digits()`` has no ``str()``."""
    try:
        return _short(str(number))
    except ValueError:
        return "(a very large int)"


def _created(created: int | None) -> str | None:
    if created is None:
        return None
    import datetime

    try:
        when = datetime.datetime.fromtimestamp(created, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return _int(created)
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


def _calls(choice: Choice, at: str) -> list[tuple[str, FunctionCall, str | None, str | None, str]]:
    """``(label, function, id, type, where)`` for each tool call, then the legacy
    ``function_call``; ``where`` names the arguments' attribute path (``at``: the choice's)."""
    m = choice.message
    out: list[tuple[str, FunctionCall, str | None, str | None, str]] = []
    at = f"{at}.message"
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
    # A name that is no str (an object built by hand, or from_dict given a dict that no JSON
    # text decodes to) is shown by its repr.
    names = [
        _short(k if type(k) is str else _safe_repr(k))
        for k, _ in zip(extras, range(MAX_FIELD_NAMES), strict=False)
    ]
    more = len(extras) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _logprob_lines(
    logprobs: AssembledLogprobs | ChoiceLogprobs,
) -> tuple[str, list[tuple[str, str, str]], int]:
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


# A chunk: the fields of its shapes in the schema's order. Top-level str and int fields make the
# header; a delta's str fields are text; every other field is JSON, as sent.
_USUAL_CHUNK_OBJECT = "chat.completion.chunk"


def _chunk_header(chunk: ChatCompletionChunk) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for f in SHAPES["ChatCompletionChunk"].fields:
        value = getattr(chunk, f.key)
        if f.key == "id" or value is None or f.type not in ("str", "int"):
            continue
        if f.key == "object" and value == _USUAL_CHUNK_OBJECT:
            continue
        shown = _created(value) if f.key == "created" else None
        items.append((f.key, shown if shown is not None else _short(str(value))))
    return items


def _delta_fields(choice: ChunkChoice) -> list[tuple[str, Any, bool]]:
    """``(name, value, as_text)`` for each field of the choice's delta that was sent (not null;
    the role is shown in the choice's line): strings as text, the rest as JSON."""
    delta = choice.delta
    if delta is None:
        return []
    out: list[tuple[str, Any, bool]] = []
    for f in SHAPES["ChoiceDelta"].fields:
        value = getattr(delta, f.key)
        if value is None or f.key == "role":
            continue
        if type(value) is str:
            out.append((f.key, value, True))
        else:
            out.append((f.key, _plain_json(value), False))
    return out


def _chunk_choice_extras(choice: ChunkChoice) -> dict[str, Any]:
    """The choice's vendor fields, then its delta's (``delta.<name>`` when named alike)."""
    extras: dict[str, Any] = dict(choice.extra)
    if choice.delta is not None:
        for name, value in choice.delta.extra.items():
            extras[name if name not in extras else f"delta.{name}"] = value
    return extras


def _chunk_extras(chunk: ChatCompletionChunk) -> dict[str, Any]:
    """The chunk's object fields other than choices and usage (``moderation``), then its vendor
    fields (``extra.<name>`` when named alike)."""
    skip = ("choices", "usage")
    extras = {
        f.key: _plain_json(value)
        for f in SHAPES["ChatCompletionChunk"].fields
        if f.type in ("dict", "object", "objects")
        and f.key not in skip
        and (value := getattr(chunk, f.key)) is not None
    }
    for name, value in chunk.extra.items():
        extras[name if name not in extras else f"extra.{name}"] = value
    return extras


def _usage_header(usage: Usage) -> list[tuple[str, str]]:
    """The usage's top-level counts that were sent, for its header line."""
    return [
        (f.key, _scalar(value))
        for f in SHAPES["Usage"].fields
        if f.type == "int" and (value := getattr(usage, f.key)) is not None
    ]


# An error's attributes that are shown by the display's own code, or not at all (``args``).
_ERROR_OWN = frozenset(("reason", "partial", "chunks", "error", "events", "args"))


def _error_rows(exc: ChunkstreamError) -> list[tuple[str, str]]:
    """Where the error happened (``chunk_index``, ``byte_offset``, ``path``, those known), then
    the attributes its class adds (``field``/``held``/``got``, ``held_back``, ``limit``/
    ``size``/``skipped``, ...), each as short JSON."""
    rows: list[tuple[str, str]] = []
    where = ("chunk_index", "byte_offset", "path")
    for name in where:
        value = getattr(exc, name, None)
        if value is not None:
            rows.append((name, _scalar(value)))
    for name, value in vars(exc).items():
        if name in where or name in _ERROR_OWN or name.startswith("_"):
            continue
        if name == "skipped" and type(value) is list:
            rows.append((name, _scalar(value[:MAX_FIELD_NAMES])))
            if len(value) > MAX_FIELD_NAMES:
                rows.append(("", f"… and {len(value) - MAX_FIELD_NAMES} more offsets"))
            continue
        rows.append((name, _scalar(value)))
    events = getattr(exc, "events", None)
    if events:
        rows.append(("events", f"{len(events)} completed in the same read (see .events)"))
    return rows


def _cause(exc: BaseException) -> str | None:
    """The exception this one was raised from (a dropped connection), in one short line."""
    cause = exc.__cause__
    if cause is None:
        return None
    name = type(cause).__module__ + "." + type(cause).__qualname__
    name = name.removeprefix("builtins.")
    try:
        text = str(cause)
    except Exception:  # a hand-made exception whose __str__ fails: its type is enough
        text = ""
    return _short(f"{name}: {text}" if text else name)


# The ``object`` of a legacy completion (the table's one value for it).
_LEGACY_OBJECT = next(f.default for f in SHAPES["Completion"].fields if f.key == "object")[1:-1]


def _legacy(c: ChatCompletion | Completion) -> Completion | None:
    """``c`` if it is a legacy :class:`Completion` (shown as its JSON), else ``None``: told by
    its ``object``, as this module imports no model class at run time."""
    return cast("Completion", c) if c.object == _LEGACY_OBJECT else None


def _partial_summary(c: ChatCompletion | Completion) -> str:
    """What a partial completion holds, in a few words."""
    parts = [_plural(len(c.choices), "choice")]
    legacy = _legacy(c)
    if legacy is not None:
        length = sum(len(ch.text or "") for ch in legacy.choices)
        if length:
            parts.append(f"{_plural(length, 'character')} of text")
        return ", ".join(parts)
    c = cast("ChatCompletion", c)  # _legacy said so
    length = sum(len(ch.message.content or "") for ch in c.choices)
    if length:
        parts.append(f"{_plural(length, 'character')} of content")
    calls = sum(len(ch.message.tool_calls or ()) for ch in c.choices)
    if calls:
        parts.append(_plural(calls, "tool call"))
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _not_shown(n: int, word: str) -> str:
    return f"… {_plural(n, word)} more not shown (display limit: {MAX_TOTAL_CHARS} characters)"


def _value_not_shown(where: str) -> str:
    return f"… not shown (display limit: {MAX_TOTAL_CHARS} characters; all in {where})"


def _encodable(text: str) -> str:
    """``text`` with each surrogate code point (half of a pair that a chunk carried alone, as
    ``"\\ud83d"``: the pair is made whole only when the chunks are assembled) as U+FFFD. UTF-8
    has no encoding for one, so a display holding one could be neither sent to the notebook's
    front end nor saved in its ``.ipynb``."""
    import re

    return re.sub("[\ud800-\udfff]", "\ufffd", text)


class _Out(list):  # type: ignore[type-arg]
    """The pieces of a rendering, and how many characters they hold so far (counted from
    ``size``: what the display they are part of showed before them)."""

    __slots__ = ("size",)

    def __init__(self, size: int = 0) -> None:
        super().__init__()
        self.size = size

    def add(self, piece: str) -> None:
        if not piece.isascii():
            piece = _encodable(piece)
        self.append(piece)
        self.size += len(piece)

    @property
    def full(self) -> bool:
        return self.size > MAX_TOTAL_CHARS


# ---------------------------------------------------------------------------------------------
# HTML


class _Html:
    """The HTML pieces every display is made of, writing into one :class:`_Out` (so that the
    caps count everything shown). Every value is escaped here."""

    def __init__(self, out: _Out) -> None:
        from html import escape

        self.out = out
        self.escape = escape

    def code(self, text: str) -> str:  # callers pass short values (see _short)
        return f"<code>{self.escape(text)}</code>"

    def note(self, text: str | None) -> str:
        return "" if text is None else f"<div><i>{self.escape(text)}</i></div>"

    def pre(self, text: str, where: str, *, box: bool = False) -> str:
        if self.out.full:
            return self.note(_value_not_shown(where))
        shown, cut = _cut(text, MAX_VALUE_CHARS, where)
        cls = ' class="cs-box"' if box else ""
        return f"<pre{cls}>{self.escape(shown)}</pre>{self.note(cut)}"

    def label(self, text: str) -> str:
        return f"<div><b>{self.escape(text)}</b></div>"

    @staticmethod
    def details(summary: str, body: str, *, open_: bool = False) -> str:
        attr = " open" if open_ else ""
        return f"<details{attr}><summary>{summary}</summary>{body}</details>"

    def json_box(self, value: Any, where: str) -> str:
        if self.out.full:
            return self.note(_value_not_shown(where))
        shown, cut = _json_block(value, where)
        return f'<pre class="cs-box">{self.escape(shown)}</pre>{self.note(cut)}'

    def extras_block(self, extras: dict[str, Any], where: str) -> str:
        summary = f"other fields: {self.escape(_names(extras))}"
        return self.details(summary, self.json_box(extras, where))

    def rows(self, rows: list[tuple[str, str]]) -> str:
        """A two-column table of ``(name, value)`` rows (both short), up to the total cap."""
        escape = self.escape
        cells = []
        size = self.out.size
        for n, (k, v) in enumerate(rows):
            if size > MAX_TOTAL_CHARS:
                left = escape(_not_shown(len(rows) - n, "row"))
                cells.append(f"<tr><td><i>{left}</i></td></tr>")
                break
            cell = f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>"
            cells.append(cell)
            size += len(cell)
        return f"<table>{''.join(cells)}</table>"

    def usage(self, usage: Usage, where: str) -> None:
        usage_rows, left = _usage_rows(usage)
        self.out.add(f"<div><b>usage</b></div>{self.rows(usage_rows)}")
        if left:
            self.out.add(self.note(f"… {_plural(left, 'row')} more (see {where})"))

    def logprobs(self, logprobs: AssembledLogprobs | ChoiceLogprobs) -> None:
        out, code, escape = self.out, self.code, self.escape
        summary, rows, left_out = _logprob_lines(logprobs)
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
        out.add(self.details(f"logprobs: {escape(summary)}", body))

    def head(self, title: str, first: str | None, items: list[tuple[str, str]]) -> None:
        """The header line: the class's name, its first value (an id) and labelled values."""
        line = [f"<b>{self.escape(title)}</b>"]
        if first is not None:
            line.append(self.code(_short(first)))
        for name, value in items:
            line.append(f"{self.escape(name)} {self.code(value)}")
        self.out.add(f"<div>{' · '.join(line)}</div>")


def _open(out: _Out) -> _Html:
    out.add('<div class="chunkstream-completion">')
    out.add(_CSS)
    return _Html(out)


def completion_html(c: ChatCompletion, shown_before: int = 0) -> str:
    """The completion as an HTML fragment for notebooks: every choice with its role, text,
    reasoning (collapsed), tool calls (arguments pretty-printed), finish reason and logprobs;
    usage, the provider's error and the warnings. Every value is escaped; what is shown is
    capped (MAX_VALUE_CHARS, MAX_SHORT_CHARS, MAX_TOTAL_CHARS) and every cut says so.
    ``shown_before``: what the display it is part of (an error's) has shown already, counted
    against MAX_TOTAL_CHARS."""
    out = _Out(shown_before)
    h = _open(out)
    escape, code, note, pre, label, details = h.escape, h.code, h.note, h.pre, h.label, h.details
    h.head("ChatCompletion", c.id, _header(c))

    if not c.choices:
        out.add("<div><i>no choices</i></div>")
    for number, choice in enumerate(c.choices):
        if out.full:
            out.add(note(_not_shown(len(c.choices) - number, "choice")))
            break
        m = choice.message
        at = f".choices[{number}]"  # its place in c.choices, which is not its index if gaps
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        out.add('<div class="cs-choice">')
        out.add(
            f"<div><b>choice {_int(choice.index)}</b> · role {code(_short(m.role))}"
            f" · finish_reason {code(finish)}</div>"
        )
        for name, text in _reasonings(choice):
            summary = f"{escape(name)} ({_plural(len(text), 'character')})"
            out.add(details(summary, pre(text, f"{at}.message.{name}")))
        for name, text in _texts(choice):
            out.add(label(name))
            out.add(pre(text, f"{at}.message.{name}") if text else "<div><i>empty</i></div>")
        calls = _calls(choice, at)
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
            h.logprobs(choice.logprobs)
        extras = _extras(choice)
        if extras and not out.full:
            out.add(h.extras_block(extras, f"{at}.extra and {at}.message"))
        out.add("</div>")

    if c.usage is not None:
        h.usage(c.usage, ".usage")
    if c.error is not None:
        out.add(f"<div><b>provider error:</b> {escape(_short(error_text(c.error)))}</div>")
        out.add(h.json_box(c.error, ".error"))
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
        out.add(h.extras_block(extras, ".extra"))
    out.add("</div>")
    return "".join(out)


def chunk_html(chunk: ChatCompletionChunk) -> str:
    """One chunk as an HTML fragment: its header fields, each choice's delta field by field
    (the schema's order: text fields as text, the others as JSON, as sent: a fragment of
    arguments is not JSON yet), its finish reason and logprobs; usage; other fields. Escaped
    and capped like :func:`completion_html`."""
    out = _Out()
    h = _open(out)
    h.head("ChatCompletionChunk", chunk.id, _chunk_header(chunk))
    choices = chunk.choices or ()
    if not choices:
        out.add("<div><i>no choices</i></div>")
    for number, choice in enumerate(choices):
        if out.full:
            out.add(h.note(_not_shown(len(choices) - number, "choice")))
            break
        at = f".choices[{number}]"
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        role = choice.delta.role if choice.delta is not None else None
        line = [f"<b>choice {_int(choice.index)}</b>"]
        if role is not None:
            line.append(f"role {h.code(_short(role))}")
        line.append(f"finish_reason {h.code(finish)}")
        out.add(f'<div class="cs-choice"><div>{" · ".join(line)}</div>')
        fields = _delta_fields(choice)
        for name, value, as_text in fields:
            out.add(h.label(name))
            where = f"{at}.delta.{name}"
            if as_text:
                out.add(h.pre(value, where) if value else "<div><i>empty</i></div>")
            else:
                out.add(h.json_box(value, where))
        if not fields:
            out.add("<div><i>empty delta</i></div>")
        if choice.logprobs is not None and not out.full:
            h.logprobs(choice.logprobs)
        extras = _chunk_choice_extras(choice)
        if extras and not out.full:
            out.add(h.extras_block(extras, f"{at}.extra and {at}.delta.extra"))
        out.add("</div>")
    if chunk.usage is not None:
        h.usage(chunk.usage, ".usage")
    extras = _chunk_extras(chunk)
    if extras:
        out.add(h.extras_block(extras, ".extra"))
    out.add("</div>")
    return "".join(out)


def usage_html(usage: Usage) -> str:
    """A usage object as an HTML fragment: its counts as a table of dotted keys, in the order
    they were sent (vendor fields included)."""
    out = _Out()
    h = _open(out)
    h.head("Usage", None, _usage_header(usage))
    usage_rows, left = _usage_rows(usage)
    out.add(h.rows(usage_rows))
    if left:
        out.add(h.note(f"… {_plural(left, 'row')} more (see the object)"))
    out.add("</div>")
    return "".join(out)


def error_html(exc: ChunkstreamError) -> str:
    """An error as an HTML fragment: its type and message, where it happened (chunk, byte,
    JSON path), its own attributes, the provider's payload (``UpstreamError``), what caused
    it, and the partial completion folded (shown by :func:`completion_html`)."""
    out = _Out()
    h = _open(out)
    h.head(type(exc).__name__, None, [])
    out.add(h.pre(exc.reason, "str(exc)"))
    out.add(h.rows(_error_rows(exc)))
    if isinstance(exc, UpstreamError):
        out.add(f"<div><b>provider error:</b> {h.escape(_short(error_text(exc.error)))}</div>")
        out.add(h.json_box(exc.error, ".error"))
    cause = _cause(exc)
    if cause is not None:
        out.add(f"<div><b>caused by:</b> {h.escape(cause)}</div>")
    if exc.chunks:
        out.add(h.note(f"{_plural(len(exc.chunks), 'chunk')} completed before it (see .chunks)"))
    if exc.partial is None:
        out.add("<div><i>no partial completion</i></div>")
    else:
        partial = exc.partial
        summary = f"partial completion: {h.escape(_partial_summary(partial))}"
        legacy = _legacy(partial)
        if legacy is not None:  # a legacy completion: its JSON
            out.add(h.details(summary, h.json_box(legacy.to_dict(), ".partial")))
        else:
            out.add(h.details(summary, completion_html(partial, out.size)))
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


class _Md:
    """The Markdown pieces every display is made of, writing into one :class:`_Out`."""

    def __init__(self, out: _Out) -> None:
        self.out = out

    @staticmethod
    def code(text: str) -> str:  # callers pass short values (see _short)
        return _md_code(text)

    def note(self, text: str) -> None:
        self.out.add(f"*{_md_text(text)}*")

    def fence(self, text: str, where: str, info: str = "") -> None:
        if self.out.full:
            self.note(_value_not_shown(where))
            return
        shown, cut = _cut(text, MAX_VALUE_CHARS, where)
        self.out.add(_md_fence(shown, info))
        if cut is not None:
            self.note(cut)

    def json_fence(self, value: Any, where: str) -> None:
        if self.out.full:
            self.note(_value_not_shown(where))
            return
        shown, cut = _json_block(value, where)
        self.out.add(_md_fence(shown, "json"))
        if cut is not None:
            self.note(cut)

    def extras(self, extras: dict[str, Any], where: str) -> None:
        self.out.add(f"**other fields**: {_md_text(_names(extras))}")
        self.json_fence(extras, where)

    def table(self, title: str, rows: list[tuple[str, str]]) -> None:
        """A GFM table of ``(name, value)`` rows (both short, as code spans), up to the cap."""
        table = [f"| {_md_cell(_md_text(title))} | |", "|---|---|"]
        size = self.out.size
        for n, (key, value) in enumerate(rows):
            if size > MAX_TOTAL_CHARS:
                table.append(f"| *{_md_cell(_md_text(_not_shown(len(rows) - n, 'row')))}* | |")
                break
            line = f"| {_md_cell(_md_code(key))} | {_md_cell(_md_code(value))} |"
            table.append(line)
            size += len(line)
        self.out.add("\n".join(table))

    def usage(self, usage: Usage, where: str) -> None:
        usage_rows, left = _usage_rows(usage)
        self.table("usage", usage_rows)
        if left:
            self.note(f"… {_plural(left, 'row')} more (see {where})")

    def logprobs(self, logprobs: AssembledLogprobs | ChoiceLogprobs) -> None:
        out = self.out
        summary, rows, left_out = _logprob_lines(logprobs)
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

    def head(self, title: str, first: str | None, items: list[tuple[str, str]]) -> None:
        line = [f"**{_md_text(title)}**"]
        if first is not None:
            line.append(self.code(_short(first)))
        for name, value in items:
            line.append(f"{_md_text(name)} {self.code(value)}")
        self.out.add(" · ".join(line))

    def done(self) -> str:
        return "\n\n".join(self.out) + "\n"


def completion_markdown(c: ChatCompletion, shown_before: int = 0) -> str:
    """The completion as Markdown: the same information as :func:`completion_html`, with model
    text in fenced code blocks that nothing inside can close, capped the same way."""
    out = _Out(shown_before)
    md = _Md(out)
    code, fence = md.code, md.fence
    md.head("ChatCompletion", c.id, _header(c))

    if not c.choices:
        out.add("*no choices*")
    for number, choice in enumerate(c.choices):
        if out.full:
            md.note(_not_shown(len(c.choices) - number, "choice"))
            break
        m = choice.message
        at = f".choices[{number}]"  # its place in c.choices, which is not its index if gaps
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        role = code(_short(m.role))
        out.add(f"**choice {_int(choice.index)}** · role {role} · finish\\_reason {code(finish)}")
        for name, text in _reasonings(choice):
            out.add(f"**{_md_text(name)}** ({_plural(len(text), 'character')})")
            fence(text, f"{at}.message.{name}")
        for name, text in _texts(choice):
            out.add(f"**{_md_text(name)}**")
            if text:
                fence(text, f"{at}.message.{name}")
            else:
                out.add("*empty*")
        calls = _calls(choice, at)
        for n, (title, function, call_id, call_type, where) in enumerate(calls):
            if out.full:
                md.note(_not_shown(len(calls) - n, "tool call"))
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
                md.note(cut)
        if not _texts(choice) and not calls:
            out.add("*no content*")
        if choice.logprobs is not None and not out.full:
            md.logprobs(choice.logprobs)
        extras = _extras(choice)
        if extras and not out.full:
            md.extras(extras, f"{at}.extra and {at}.message")

    if c.usage is not None:
        md.usage(c.usage, ".usage")
    if c.error is not None:
        out.add(f"**provider error:** {_md_text(_short(error_text(c.error)))}")
        md.json_fence(c.error, ".error")
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
        md.extras(extras, ".extra")
    return md.done()


def chunk_markdown(chunk: ChatCompletionChunk) -> str:
    """One chunk as Markdown: the same information as :func:`chunk_html`."""
    out = _Out()
    md = _Md(out)
    md.head("ChatCompletionChunk", chunk.id, _chunk_header(chunk))
    choices = chunk.choices or ()
    if not choices:
        out.add("*no choices*")
    for number, choice in enumerate(choices):
        if out.full:
            md.note(_not_shown(len(choices) - number, "choice"))
            break
        at = f".choices[{number}]"
        finish = "null" if choice.finish_reason is None else _short(choice.finish_reason)
        role = choice.delta.role if choice.delta is not None else None
        line = [f"**choice {_int(choice.index)}**"]
        if role is not None:
            line.append(f"role {md.code(_short(role))}")
        line.append(f"finish\\_reason {md.code(finish)}")
        out.add(" · ".join(line))
        fields = _delta_fields(choice)
        for name, value, as_text in fields:
            out.add(f"**{_md_text(name)}**")
            where = f"{at}.delta.{name}"
            if not as_text:
                md.json_fence(value, where)
            elif value:
                md.fence(value, where)
            else:
                out.add("*empty*")
        if not fields:
            out.add("*empty delta*")
        if choice.logprobs is not None and not out.full:
            md.logprobs(choice.logprobs)
        extras = _chunk_choice_extras(choice)
        if extras and not out.full:
            md.extras(extras, f"{at}.extra and {at}.delta.extra")
    if chunk.usage is not None:
        md.usage(chunk.usage, ".usage")
    extras = _chunk_extras(chunk)
    if extras:
        md.extras(extras, ".extra")
    return md.done()


def usage_markdown(usage: Usage) -> str:
    """A usage object as Markdown: the same information as :func:`usage_html`."""
    out = _Out()
    md = _Md(out)
    md.head("Usage", None, _usage_header(usage))
    usage_rows, left = _usage_rows(usage)
    md.table("usage", usage_rows)
    if left:
        md.note(f"… {_plural(left, 'row')} more (see the object)")
    return md.done()


def error_markdown(exc: ChunkstreamError) -> str:
    """An error as Markdown: the same information as :func:`error_html`; the partial
    completion follows under its own heading line (Markdown has nothing to fold with)."""
    out = _Out()
    md = _Md(out)
    md.head(type(exc).__name__, None, [])
    md.fence(exc.reason, "str(exc)")
    rows = _error_rows(exc)
    if rows:
        md.table("where", rows)
    if isinstance(exc, UpstreamError):
        out.add(f"**provider error:** {_md_text(_short(error_text(exc.error)))}")
        md.json_fence(exc.error, ".error")
    cause = _cause(exc)
    if cause is not None:
        out.add(f"**caused by:** {_md_text(cause)}")
    if exc.chunks:
        md.note(f"{_plural(len(exc.chunks), 'chunk')} completed before it (see .chunks)")
    if exc.partial is None:
        out.add("*no partial completion*")
        return md.done()
    partial = exc.partial
    out.add(f"**partial completion**: {_md_text(_partial_summary(partial))}")
    legacy = _legacy(partial)
    if legacy is not None:  # a legacy completion: its JSON
        md.json_fence(legacy.to_dict(), ".partial")
        return md.done()
    return md.done() + "\n" + completion_markdown(partial, out.size)
