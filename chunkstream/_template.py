# SPDX-License-Identifier: MIT
"""Templates: an event's JSON text matched against the text of an earlier event, so that a chunk
that is the last one with new strings is not parsed again. Knows JSON text and nothing of
chunks, SSE or streams: the stream layer says which strings may change (the holes, by their
paths in the parsed object, which its consumer chose) and what a match is used for. (Only
:meth:`Template.run` looks at the stream layer's event tuples: their type and data.)

A template is the learned text cut at its holes: ``literals[0]``, a hole, ``literals[1]``, a
hole, ..., ``literals[-1]``. Each hole is the inside of a JSON string (the literal before it
ends with its opening quote, the one after begins with its closing quote), or a JSON integer
where the learned text had one (:class:`_Numbers`: usage counted so far in every chunk). A
text matches when it starts with the first literal, each hole is one complete JSON string as
``json`` decodes it (``json.decoder.scanstring``, strict: the function ``json.loads`` itself
uses, so escapes, lone surrogates and control characters are read exactly as there) or one
JSON integer as its scanner reads it, each later literal follows its hole byte for byte, and
nothing follows the last. Such a text is the learned one with other values in the same
places: ``json.loads`` gives the same object with the new values at the holes' paths (a JSON
string or number token replaced by another of its kind leaves every other token where it
was).

Learning is exact or nothing: the holes are found by walking the text with the same scanner,
guided by the paths (never by searching for a key: a key can repeat at another depth, inside a
string, or twice in one object); a path that meets a key twice in one object, a value that is
not a string or an integer, or a value read there that is not the parsed object's, learns
nothing. A text that is its object's compact encoding (most are) is cut by encoding the object
again with marks at the holes instead (:func:`_by_encoding`), and what that finds is checked
by matching the text with it: the same template as the walk's, found in C.
"""

from __future__ import annotations

import json
import json.decoder
import re
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

__all__ = ["Template", "learn"]

# The C functions behind json.loads (the pure-Python ones where the C accelerator is missing).
_scanstring: Callable[..., tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_WS = " \t\n\r"  # JSON's whitespace
# An object's key with no escape and no control character (what the scanner decodes to the text
# between its quotes, as strict JSON forbids raw controls there), with the whitespace before it,
# its colon and the whitespace after it.
_MEMBER = re.compile(r'[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*').match
_INT_START = "-0123456789"

Path = tuple[Any, ...]  # keys (str) and list positions (int) from the top of the object


class Template:
    """A learned text cut at its holes, with what the stream layer keeps with each hole
    (``payloads``, in the order of the holes in the text: what its consumer does with the
    string a match finds there) and with the whole (``plan``)."""

    __slots__ = ("first", "literals", "payloads", "plan", "runs")

    def __init__(self, literals: list[str], payloads: tuple[Any, ...], plan: Any) -> None:
        self.first = literals[0]
        self.literals = tuple(literals[1:])
        self.payloads = payloads
        self.plan = plan
        # What the stream layer takes a run of matches with at once (see run()); None: one by
        # one.
        self.runs: Any = None

    def run(self, events: Sequence[tuple[Any, ...]], start: int) -> list[list[Any]]:
        """The decoded values of ``events[start]``, ``events[start + 1]``, ... for as long as
        each is a ``"message"`` event whose data (the stream layer's ``(type, data, ...)``
        tuples) matches: what :meth:`match` gives each, with no call back to the stream
        layer between them."""
        out = []
        match = self.match
        for event in islice(events, start, None):
            if event[0] != "message":
                break
            values = match(event[1])
            if values is None:
                break
            out.append(values)
        return out

    def match(self, text: str) -> list[str] | None:
        """The decoded strings at the holes if ``text`` is the learned text with other strings
        there (see the module's docstring), else ``None``."""
        first = self.first
        if not text.startswith(first):
            return None
        at = len(first)
        values = []
        scan = _scanstring
        try:
            for literal in self.literals:
                value, end = scan(text, at)  # strict: its default
                end -= 1  # the closing quote, where the literal starts
                if not text.startswith(literal, end):
                    return None
                values.append(value)
                at = end + len(literal)
        except ValueError:  # not one complete JSON string: the full parse says what it is
            return None
        if at != len(text):
            return None
        return values


class _OneHole(Template):
    """A template with one hole (most are: a chunk's new token): :meth:`Template.match` with
    no loop. The last literal begins with the hole's closing quote: a text matches when it is
    the first literal, one JSON string and the last literal, so the string ends where the
    last literal must begin."""

    __slots__ = ("at", "last", "size")

    def __init__(self, literals: list[str], payloads: tuple[Any, ...], plan: Any) -> None:
        super().__init__(literals, payloads, plan)
        self.at = len(literals[0])
        self.last = literals[1]
        self.size = len(literals[1]) - 1  # after the closing quote

    def match(self, text: str) -> list[str] | None:
        if not text.startswith(self.first):
            return None
        try:
            value, end = _scanstring(text, self.at)  # strict: its default
        except ValueError:  # not one complete JSON string: the full parse says what it is
            return None
        if end + self.size != len(text) or not text.endswith(self.last):
            return None
        return [value]


class _TwoHoles(Template):
    """A template with two string holes (a token and its ``obfuscation``, reasoning beside
    content, a vendor string beside the text): :meth:`Template.match` unrolled, the end
    tested as :class:`_OneHole` tests it."""

    __slots__ = ("at", "gap", "last", "middle", "size")

    def __init__(self, literals: list[str], payloads: tuple[Any, ...], plan: Any) -> None:
        super().__init__(literals, payloads, plan)
        self.at = len(literals[0])
        self.middle = literals[1]
        self.gap = len(literals[1])
        self.last = literals[2]
        self.size = len(literals[2]) - 1  # after the closing quote

    def match(self, text: str) -> list[str] | None:
        if not text.startswith(self.first):
            return None
        try:
            first, end = _scanstring(text, self.at)  # strict: its default
            end -= 1  # the closing quote, where the middle literal starts
            if not text.startswith(self.middle, end):
                return None
            second, end = _scanstring(text, end + self.gap)
        except ValueError:  # not one complete JSON string: the full parse says what it is
            return None
        if end + self.size != len(text) or not text.endswith(self.last):
            return None
        return [first, second]


class _Numbers(Template):
    """A template with a hole that is an integer (usage counted so far in every chunk, a
    token id): each hole is a JSON string as in :class:`Template`, or where the learned text
    had an integer, one JSON integer as the scanner behind ``json.loads`` reads it (anything
    else there, a float, ``true``, a string, is no match). The literal before an integer hole
    ends where the number begins; the one after begins where it ends (a character that cannot
    continue a number, as in the learned text)."""

    __slots__ = ("numbers",)

    def __init__(
        self, literals: list[str], payloads: tuple[Any, ...], plan: Any, numbers: tuple[bool, ...]
    ) -> None:
        super().__init__(literals, payloads, plan)
        self.numbers = numbers  # for each hole: an integer (else a string)

    def match(self, text: str) -> list[Any] | None:
        first = self.first
        if not text.startswith(first):
            return None
        at = len(first)
        values: list[Any] = []
        try:
            for literal, number in zip(self.literals, self.numbers, strict=True):
                if number:
                    value, end = _scan_once(text, at)
                    if type(value) is not int:
                        return None
                else:
                    value, end = _scanstring(text, at)
                    end -= 1  # the closing quote, where the literal starts
                if not text.startswith(literal, end):
                    return None
                values.append(value)
                at = end + len(literal)
        except (ValueError, StopIteration, RecursionError):
            return None  # not one JSON value there: the full parse says what it is
        if at != len(text):
            return None
        return values


class _Hole:
    """A leaf of the paths' tree: the hole of ``holes[i]``."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def learn(
    text: str, obj: Any, holes: Sequence[tuple[Path, Any]], plan: Any = None
) -> Template | None:
    """A template of ``text`` (whose parse is ``obj``) with a hole at each path of ``holes``
    (``(path, payload)``: the path of a string or integer value in ``obj``), or ``None`` when
    the holes cannot be placed for certain. The payloads are kept in the order of their holes
    in the text, and ``plan`` with the whole."""
    if not holes:  # the text itself: a match is the same text, so the same parse
        return Template([text], (), plan)
    for path, _ in holes:
        if not path:
            return None
    template = _by_encoding(text, obj, holes, plan)
    if template is not None:
        return template
    tree = _tree(holes)
    if tree is None:
        return None
    spans: list[tuple[int, int, int, bool]] = []
    try:
        end = _walk(text, 0, obj, tree, spans)
    except (ValueError, IndexError, KeyError, TypeError, RecursionError, StopIteration):
        return None
    if end is None or end != len(text) or len(spans) != len(holes):
        return None
    literals = []
    at = 0
    for start, stop, _, _ in spans:  # in text order
        literals.append(text[at:start])
        at = stop
    literals.append(text[at:])
    order = [i for _, _, i, _ in spans]
    return _made(literals, order, [number for _, _, _, number in spans], holes, plan)


def _tree(holes: Sequence[tuple[Path, Any]]) -> dict[Any, Any] | None:
    """The holes' paths as a tree (a :class:`_Hole` at each path's end), which the walk follows;
    ``None`` for a path through a hole, or the same path twice."""
    tree: dict[Any, Any] = {}
    for i, (path, _) in enumerate(holes):
        node: Any = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if type(node) is not dict:
                return None  # a path through a hole
        if path[-1] in node:
            return None  # the same path twice, or a hole on another's path
        node[path[-1]] = _Hole(i)
    return tree


def _made(
    literals: list[str],
    order: list[int],
    numbers: list[bool],
    holes: Sequence[tuple[Path, Any]],
    plan: Any,
) -> Template:
    """The template of ``literals`` whose holes are ``holes[i]`` for each ``i`` of ``order``
    (in text order; ``numbers``: which of them are integers)."""
    payloads = tuple(holes[i][1] for i in order)
    if any(numbers):
        return _Numbers(literals, payloads, plan, tuple(numbers))
    kind = _OneHole if len(order) == 1 else _TwoHoles if len(order) == 2 else Template
    return kind(literals, payloads, plan)


# Most servers write a chunk as json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
# does: 98% of the shared corpus's chunks are that text exactly. The holes of such a text are
# found without walking it: the object is encoded again with a mark in place of each hole's
# value, and the text between the marks is the template's literals. A mark is a string with a
# NUL at each end, which the encoder writes as \u0000 (so the encoded text is cut there), and
# the hole's number after "s" for a string (its quotes stay in the literals) or "n" for an
# integer (the quotes go: the number had none). The C encoder behind json.dumps, built once
# (where the C accelerator is missing, the walk alone finds the holes).
_MARK_CUT = "\\u0000"
try:
    from json.encoder import c_make_encoder as _make_encoder  # type: ignore[attr-defined]
    from json.encoder import encode_basestring as _encode_string

    _ENCODE: Callable[[Any, int], Sequence[str]] | None = _make_encoder(
        None, None, _encode_string, None, ":", ",", False, False, True
    )
except (ImportError, TypeError):  # pragma: no cover - CPython has both
    _ENCODE = None


def _by_encoding(
    text: str, obj: Any, holes: Sequence[tuple[Path, Any]], plan: Any
) -> Template | None:
    """The template of ``text`` found by encoding ``obj`` with marks at the holes (above), or
    ``None`` when that does not give it: the text is written otherwise (spaces after colons,
    escaped non-ASCII, a float written another way, a key twice), or a string of the chunk
    holds a NUL. The walk finds the holes then, or that there are none to find.

    What is found is checked by matching ``text`` with it: the literals are the text's between
    the holes, byte for byte, and the values found at the holes are the object's there. So
    the template is the one the walk finds, literal for literal."""
    if _ENCODE is None:
        return None
    values: list[Any] = [None] * len(holes)
    try:
        pieces = "".join(_ENCODE(_marked(obj, holes, values), 0)).split(_MARK_CUT)
    except (KeyError, IndexError, TypeError, ValueError, RecursionError):
        return None  # no such path, or not a string or an integer there (as the walk finds)
    if len(pieces) != 2 * len(holes) + 1:
        return None  # a NUL in another string of the chunk: too rare to sort out here
    literals = pieces[::2]
    order = []
    numbers = []
    for at, mark in enumerate(pieces[1::2]):
        number = mark[:1] == "n"
        if number:  # the quotes around the mark are the number's place
            literals[at] = literals[at][:-1]
            literals[at + 1] = literals[at + 1][1:]
        elif mark[:1] != "s":
            return None
        order.append(int(mark[1:]))
        numbers.append(number)
    if sorted(order) != list(range(len(holes))):
        return None
    template = _made(literals, order, numbers, holes, plan)
    if template.match(text) != [values[i] for i in order]:
        return None
    return template


def _marked(obj: Any, holes: Sequence[tuple[Path, Any]], values: list[Any]) -> Any:
    """A copy of ``obj`` with the mark of each hole (see _ENCODE) in place of the value at its
    path, which goes to ``values``; copied only along the paths (the rest is shared: the
    encoder only reads it). ``TypeError`` where a path leads to no string or integer, or
    through one (a hole on another's path: a path twice, or one through another, is never
    encoded: the piece count or a type refuses it, as the walk's tree does); ``KeyError`` or
    ``IndexError`` where it leads nowhere."""
    if type(obj) is not dict:
        raise TypeError(type(obj))
    root = obj.copy()
    made = {id(root)}  # the containers copied here (alive in root: their ids are not reused)
    for i, (path, _) in enumerate(holes):
        node = root
        for key in path[:-1]:
            # An object's keys are strings: any other key is missing from a parsed object
            # (KeyError). A list's positions are integers from 0 (never a negative one, nor
            # True), as the walk reads them.
            if type(node) is not dict and (type(key) is not int or key < 0):
                raise TypeError(key)
            value = node[key]
            if id(value) not in made:
                kind = type(value)
                if kind is not dict and kind is not list:
                    raise TypeError(kind)
                value = node[key] = value.copy()
                made.add(id(value))
            node = value
        key = path[-1]
        if type(node) is not dict and (type(key) is not int or key < 0):
            raise TypeError(key)
        value = values[i] = node[key]
        if type(value) is str:
            node[key] = f"\x00s{i}\x00"
        elif type(value) is int:
            node[key] = f"\x00n{i}\x00"
        else:
            raise TypeError(i)
    return root


def _skip(text: str, at: int) -> int:
    """The index of the first character from ``at`` that is not JSON whitespace."""
    while text[at] in _WS:
        at += 1
    return at


def _walk(
    text: str, at: int, value: Any, tree: Any, spans: list[tuple[int, int, int, bool]]
) -> int | None:
    """Walk the JSON value at ``text[at]`` (no whitespace before it) whose parse is ``value``:
    record the span of each hole of ``tree`` (a :class:`_Hole`: this value is one), inside the
    quotes of a string, the whole of an integer, skip the rest with the scanner. The index
    after the value, or ``None``. (Each whitespace test is inline before a call to ``_skip``:
    compact JSON has none.)"""
    if type(tree) is _Hole:
        if type(value) is int and text[at] in _INT_START:
            number, end = _scan_once(text, at)
            if type(number) is not int or number != value:
                return None
            spans.append((at, end, tree.i, True))
            return end
        if type(value) is not str or text[at] != '"':
            return None
        decoded, end = _scanstring(text, at + 1, True)
        if decoded != value:
            return None
        spans.append((at + 1, end - 1, tree.i, False))
        return end
    ws = _WS
    if type(value) is dict:
        if text[at] != "{":
            return None
        seen: set[Any] = set()
        at += 1
        if text[at] in ws:
            at = _skip(text, at)
        if text[at] == "}":
            return at + 1 if not tree else None
        member = _MEMBER
        while True:
            # A key with no escape (every key a chunk has) is its text: one regex match reads
            # it, the whitespace around it and the colon; any other goes through the scanner.
            m = member(text, at)
            if m is not None:
                key = m[1]
                at = m.end()
            else:
                if text[at] in ws:
                    at = _skip(text, at)
                if text[at] != '"':
                    return None
                key, at = _scanstring(text, at + 1, True)
                if text[at] in ws:
                    at = _skip(text, at)
                if text[at] != ":":
                    return None
                at += 1
                if text[at] in ws:
                    at = _skip(text, at)
            if key in tree:
                if key in seen:
                    return None  # a key on a hole's path twice in one object
                seen.add(key)
                got = _walk(text, at, value[key], tree[key], spans)
                if got is None:
                    return None
                at = got
            else:
                _, at = _scan_once(text, at)
            if text[at] in ws:
                at = _skip(text, at)
            if text[at] == ",":
                at += 1  # the whitespace after it: read with the next key
                continue
            if text[at] != "}":
                return None
            return at + 1 if len(seen) == len(tree) else None
    if type(value) is list:
        if text[at] != "[":
            return None
        at += 1
        if text[at] in ws:
            at = _skip(text, at)
        if text[at] == "]":
            return at + 1 if not tree else None
        i = 0
        found = 0
        while True:
            if i in tree:
                got = _walk(text, at, value[i], tree[i], spans)
                if got is None:
                    return None
                at = got
                found += 1
            else:
                _, at = _scan_once(text, at)
            i += 1
            if text[at] in ws:
                at = _skip(text, at)
            if text[at] == ",":
                at += 1
                if text[at] in ws:
                    at = _skip(text, at)
                continue
            if text[at] != "]":
                return None
            return at + 1 if found == len(tree) and i == len(value) else None
    return None
