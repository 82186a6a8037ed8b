# SPDX-License-Identifier: MIT
"""Tool-call arguments as data: the finished arguments read whole (:func:`load_arguments`,
:func:`arguments_problem`) and an incremental reader of a JSON text that is still arriving
(:class:`PartialJSON`, :func:`parse_partial_json`).

JSON is RFC 8259: ``NaN`` and ``Infinity`` (which ``json.loads`` takes by default) are refused.

What a prefix of a JSON text gives (the value a live display can show):

- every value that is complete, in place;
- an unfinished string as far as it arrived (decoded; an unfinished escape, and a
  ``\\uD83D`` whose low half may still come, are held back until they are complete);
- an object or array that is still open, with what it holds so far;
- nothing for an unfinished number (``12`` may become ``123``), an unfinished ``true`` /
  ``false`` / ``null`` (``tru``), an object key without its value yet (``{"a": `` gives
  ``{}``), or an unfinished key;
- ``None`` while nothing has arrived but whitespace.

So each value shown is the final value with parts missing at its end: every object member and
array item but the last one open is final, and the last one is such a value in turn (a string:
a prefix of the final string). ``PartialJSON.close()`` ends the text and gives what
``json.loads`` gives, or raises.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, NoReturn

from ._errors import InvalidJSONError, shown

__all__ = [
    "DEFAULT_MAX_JSON_DEPTH",
    "PartialJSON",
    "arguments_problem",
    "load_arguments",
    "parse_partial_json",
]

#: How deep :class:`PartialJSON` lets objects and arrays nest (as the stream layer's limit on
#: a chunk's nesting).
DEFAULT_MAX_JSON_DEPTH = 100

_WS = re.compile(r"[ \t\n\r]*")  # RFC 8259 §2: insignificant whitespace
_RUN = re.compile(r'[^"\\\x00-\x1f]*')  # §7: characters a string holds as they are
_NUMBER_CHARS = re.compile(r"[-+0-9.eE]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # §6
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}

# What the reader expects next.
_VALUE = 0  # a value (the start, after ':', after ',' in an array)
_VALUE_OR_CLOSE = 1  # after '['
_KEY = 2  # after ',' in an object
_KEY_OR_CLOSE = 3  # after '{'
_COLON = 4  # after a key
_NEXT = 5  # after a member or item: ',' or the closing bracket
_DONE = 6  # the value is complete: whitespace only
_STRING = 7  # inside a string
_NUMBER_TOKEN = 8  # inside a number
_LITERAL = 9  # inside true, false or null

_UNSET: Any = object()


class PartialJSON:
    """An incremental reader of one JSON value arriving in pieces (a tool call's
    ``arguments``, fragment by fragment).

    ``feed(text)`` reads the next piece; ``value`` is what the text so far gives (the module's
    rules: complete values, strings as far as they arrived, nothing for an unfinished number,
    literal or key; ``None`` before anything); ``close()`` ends the text and returns the value
    ``json.loads`` gives for it. Each character is read once, whatever the pieces: feeding a
    text in n pieces costs what feeding it whole does, plus n calls. ``value`` is cached until
    the next ``feed`` and builds anew only the objects and arrays still open (shallow copies)
    and the unfinished string: a read costs their size, not the text's (an object of a few
    keys: next to nothing; a huge array still open: its length). What is complete is shared
    between successive values, so treat them as read-only.

    Text that is not JSON raises :class:`InvalidJSONError` with its ``position`` (the character
    offset in the whole text fed so far); so does nesting deeper than ``max_depth`` objects
    and arrays. After an error, ``feed`` and ``close`` raise it again and ``value`` is the
    last value before it.
    """

    __slots__ = (
        "_cached",
        "_chars",
        "_closed",
        "_error",
        "_esc",
        "_esc_at",
        "_high",
        "_is_key",
        "_literal",
        "_parts",
        "_root",
        "_stack",
        "_start",
        "_state",
        "max_depth",
    )

    def __init__(self, *, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> None:
        # The caller's mistakes are Python's errors, as for SSEDecoder's limits.
        if type(max_depth) is not int:
            raise TypeError(f"max_depth must be an int, got {type(max_depth).__name__}")
        if max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, got {max_depth}")
        self.max_depth = max_depth
        self._closed = False
        self._state = _VALUE
        self._stack: list[list[Any]] = []  # open containers: [container, key in it or None]
        self._root: Any = _UNSET
        self._chars = 0  # characters fed before the current piece
        self._parts: list[str] = []  # the string or number being read
        self._is_key = False  # the string being read is an object key
        self._esc = ""  # an unfinished escape, from its backslash
        self._esc_at = 0
        self._high = ""  # a decoded high surrogate waiting for its low half
        self._literal = ""  # the literal being read, as far as it came
        self._start = 0  # where the token being read started
        self._error: InvalidJSONError | None = None
        self._cached: Any = None

    @property
    def done(self) -> bool:
        """Whether a whole value was read (a top-level number is complete only at ``close()``
        or after whitespace)."""
        return self._state == _DONE

    @property
    def value(self) -> Any:
        """What the text so far gives (see the class)."""
        cached = self._cached
        if cached is None:
            cached = self._cached = (self._snapshot(),)
        return cached[0]

    def feed(self, text: str) -> None:
        """Read the next piece of the text."""
        if type(text) is not str:
            raise TypeError(
                f"PartialJSON.feed() takes str, got {type(text).__name__}"
                + (" (decode it first)" if isinstance(text, (bytes, bytearray)) else "")
            )
        if self._closed:
            raise RuntimeError("PartialJSON.feed() called after close(); use a new reader")
        if self._error is not None:
            raise self._error
        if not text:
            return
        self._cached = None
        try:
            self._read(text)
        except InvalidJSONError as exc:
            self._error = exc
            raise
        finally:
            self._chars += len(text)

    def close(self) -> Any:
        """End the text: the whole value (what ``json.loads`` gives), or
        :class:`InvalidJSONError` when the text so far is not a complete JSON value. Calling it
        again gives the same; ``feed`` after it is a mistake (``RuntimeError``)."""
        self._closed = True
        if self._error is not None:
            raise self._error
        try:
            if self._state == _NUMBER_TOKEN:
                self._end_number()
            if self._state != _DONE:
                blank = self._root is _UNSET and self._state == _VALUE  # whitespace at most
                self._fail(
                    "the JSON text is empty"
                    if blank
                    else "the JSON text ended before its value was complete",
                    self._chars,
                )
        except InvalidJSONError as exc:
            self._error = exc
            raise
        return self._root

    # -- reading -------------------------------------------------------------------------------

    def _fail(self, reason: str, at: int, got: str | None = None) -> NoReturn:
        got_text = f", got {shown(got, 20)}" if got is not None else ""
        raise InvalidJSONError(f"{reason} at character {at}{got_text}", position=at)

    def _read(self, text: str) -> None:
        i, n = 0, len(text)
        while i < n:
            state = self._state
            if state == _STRING:
                i = self._string(text, i)
                continue
            if state == _NUMBER_TOKEN:
                j = _NUMBER_CHARS.match(text, i).end()  # type: ignore[union-attr]
                self._parts.append(text[i:j])
                if j == n:
                    return
                i = j
                self._end_number()
                continue
            if state == _LITERAL:
                i = self._literal_chars(text, i)
                continue
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if i == n:
                return
            c = text[i]
            at = self._chars + i
            if state == _NEXT:
                container = self._stack[-1][0]
                if c == ",":
                    self._state = _KEY if type(container) is dict else _VALUE
                elif c == ("}" if type(container) is dict else "]"):
                    self._close_container()
                else:
                    closer = "'}'" if type(container) is dict else "']'"
                    self._fail(f"expected ',' or {closer}", at, c)
                i += 1
            elif state == _COLON:
                if c != ":":
                    self._fail("expected ':' after an object key", at, c)
                self._state = _VALUE
                i += 1
            elif state in (_KEY, _KEY_OR_CLOSE):
                if c == '"':
                    self._begin_string(at, key=True)
                elif c == "}" and state == _KEY_OR_CLOSE:
                    self._close_container()
                else:
                    self._fail("expected a string key", at, c)
                i += 1
            elif state == _DONE:
                self._fail("expected the end of the text after the value", at, c)
            else:  # _VALUE, _VALUE_OR_CLOSE
                i = self._begin_value(text, i, at, state)

    def _begin_value(self, text: str, i: int, at: int, state: int) -> int:
        c = text[i]
        if c == '"':
            self._begin_string(at, key=False)
        elif c == "{" or c == "[":
            if len(self._stack) >= self.max_depth:
                self._fail(
                    f"the JSON text nests deeper than max_depth ({self.max_depth}) objects "
                    "and arrays",
                    at,
                )
            container: Any = {} if c == "{" else []
            self._attach(container)
            self._stack.append([container, None])
            self._state = _KEY_OR_CLOSE if c == "{" else _VALUE_OR_CLOSE
        elif c == "]" and state == _VALUE_OR_CLOSE:
            self._close_container()
        elif c == "-" or "0" <= c <= "9":
            self._state = _NUMBER_TOKEN
            self._start = at
            self._parts = []
            return i  # read by the number state
        elif c in _LITERALS:
            self._state = _LITERAL
            self._start = at
            self._literal = ""
            return i  # read by the literal state
        else:
            self._fail("expected a JSON value", at, c)
        return i + 1

    def _attach(self, value: Any) -> None:
        """Put a value (complete, or an object or array just opened) in its place."""
        stack = self._stack
        if not stack:
            self._root = value
            return
        frame = stack[-1]
        container = frame[0]
        if type(container) is list:
            container.append(value)
        else:
            container[frame[1]] = value

    def _complete(self, value: Any) -> None:
        self._attach(value)
        self._after_value()

    def _after_value(self) -> None:
        stack = self._stack
        if stack:
            stack[-1][1] = None
            self._state = _NEXT
        else:
            self._state = _DONE

    def _close_container(self) -> None:
        self._stack.pop()
        self._after_value()

    def _begin_string(self, at: int, *, key: bool) -> None:
        self._state = _STRING
        self._is_key = key
        self._start = at
        self._parts = []

    def _string(self, text: str, i: int) -> int:
        """Read string characters from ``i``; return where reading stopped."""
        n = len(text)
        parts = self._parts
        while i < n:
            if self._esc:
                i = self._escape(text, i)
                continue
            j = _RUN.match(text, i).end()  # type: ignore[union-attr]
            if j > i:
                if self._high:
                    parts.append(self._high)
                    self._high = ""
                parts.append(text[i:j])
                i = j
                if i == n:
                    break
            c = text[i]
            if c == '"':
                if self._high:
                    parts.append(self._high)
                    self._high = ""
                s = "".join(parts)
                self._parts = []
                if self._is_key:
                    self._stack[-1][1] = s
                    self._state = _COLON
                else:
                    self._complete(s)
                return i + 1
            if c == "\\":
                self._esc = c
                self._esc_at = self._chars + i
            else:
                self._fail("unescaped control character in a string", self._chars + i, c)
            i += 1
        return i

    def _escape(self, text: str, i: int) -> int:
        """Read an escape's characters from ``i`` (its backslash came already)."""
        n = len(text)
        while self._esc and i < n:
            esc = self._esc + text[i]
            i += 1
            if len(esc) == 2:
                if esc[1] == "u":
                    self._esc = esc
                    continue
                ch = _ESCAPES.get(esc[1])
                if ch is None:
                    self._fail("invalid escape in a string", self._esc_at, esc)
                self._esc = ""
                self._char(ch)
            elif esc[-1] not in _HEX:
                self._fail("invalid \\u escape in a string", self._esc_at, esc)
            elif len(esc) < 6:
                self._esc = esc
            else:
                self._esc = ""
                self._unit(int(esc[2:], 16))
        return i

    def _char(self, ch: str) -> None:
        if self._high:
            self._parts.append(self._high)
            self._high = ""
        self._parts.append(ch)

    def _unit(self, unit: int) -> None:
        """A ``\\uXXXX`` escape's code unit: a high surrogate waits for a low one right after
        it (as ``json.loads`` pairs them); any other pairing leaves it alone."""
        high = self._high
        if high:
            self._high = ""
            if 0xDC00 <= unit <= 0xDFFF:
                self._parts.append(chr(0x10000 + ((ord(high) - 0xD800) << 10) + unit - 0xDC00))
                return
            self._parts.append(high)
        if 0xD800 <= unit <= 0xDBFF:
            self._high = chr(unit)
        else:
            self._parts.append(chr(unit))

    def _end_number(self) -> None:
        text = "".join(self._parts)
        self._parts = []
        m = _NUMBER.fullmatch(text)
        if m is None:
            self._fail("invalid number", self._start, text)
        try:
            number: Any = float(text) if m.group(1) or m.group(2) else int(text)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            self._fail("number too long to convert", self._start, text)
        self._complete(number)

    def _literal_chars(self, text: str, i: int) -> int:
        word, value = _LITERALS[self._literal[:1] or text[i]]
        have = self._literal
        take = text[i : i + len(word) - len(have)]
        got = have + take
        if not word.startswith(got):
            self._fail("invalid literal", self._start, got)
        if len(got) == len(word):
            self._literal = ""
            self._complete(value)
        else:
            self._literal = got
        return i + len(take)

    # -- the value so far ----------------------------------------------------------------------

    def _snapshot(self) -> Any:
        stack = self._stack
        pending = self._state == _STRING and not self._is_key
        if not stack:
            if pending:
                return "".join(self._parts)
            return None if self._root is _UNSET else self._root
        child: Any = _UNSET
        for container, key in reversed(stack):
            copy = container.copy()
            if child is not _UNSET:
                if type(copy) is list:
                    copy[-1] = child
                else:
                    copy[key] = child
            elif pending:
                s = "".join(self._parts)
                if type(copy) is list:
                    copy.append(s)
                else:
                    copy[key] = s
            child = copy
        return child


def parse_partial_json(text: str, *, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> Any:
    """What a prefix of a JSON text gives (:class:`PartialJSON`'s rules, in one call):
    ``parse_partial_json('{"city": "Par')`` is ``{"city": "Par"}``. :class:`InvalidJSONError`
    (with ``position``) when the text is not the start of a JSON value."""
    reader = PartialJSON(max_depth=max_depth)
    reader.feed(text)
    return reader.value


class _Constant(ValueError):
    """``json.loads`` met NaN or Infinity (not JSON: RFC 8259 §6)."""


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


# json.loads(text, parse_constant=...) builds a decoder at every call; this one is built once.
# (Its decode() is what json.loads calls, but for json.loads's own test for a leading U+FEFF,
# which _load keeps by calling json.loads for such a text.)
_DECODE = json.JSONDecoder(parse_constant=_refuse_constant).decode


def _load(text: str) -> tuple[Any, str | None, int | None]:
    """``(value, None, None)``, or ``(None, why it cannot be read, where)``."""
    try:
        if text.startswith("\ufeff"):
            return json.loads(text, parse_constant=_refuse_constant), None, None
        return _DECODE(text), None, None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc}", exc.pos  # json's wording: line, column, char
    except _Constant as exc:
        return None, f"not valid JSON: {exc} is not JSON (RFC 8259 §6)", None
    except ValueError:
        # Valid JSON with an integer longer than int() converts (Python's own message for it
        # differs between versions): said in our words, the same on every Python.
        return (
            None,
            (
                "valid JSON with an integer of more digits than this Python reads "
                f"(sys.get_int_max_str_digits() is {sys.get_int_max_str_digits()})"
            ),
            None,
        )
    except RecursionError:
        return None, "not valid JSON: nested too deep to read", None


def _arguments(text: str) -> tuple[Any, tuple[str, int | None] | None]:
    """Finished ``arguments`` read once: ``(value, None)`` or ``(None, (why, where))``. Blank
    arguments (``""``: a call with no arguments, as some providers send it) give ``{}``."""
    if not text or text.isspace():
        return {}, None
    value, why, at = _load(text)
    if why is not None:
        return None, (why, at)
    return value, None


def arguments_problem(text: str) -> tuple[str, int | None] | None:
    """Why finished ``arguments`` are not JSON, and where (``None``: they are JSON, or blank)."""
    return _arguments(text)[1]


def load_arguments(text: str, name: str | None = None) -> dict[str, Any]:
    """Finished ``arguments`` (of the function ``name``) as data: blank gives ``{}``;
    :class:`InvalidJSONError` (with ``position``) when they are not a JSON object."""
    value, problem = _arguments(text)
    if problem is None and type(value) is not dict:  # JSON, but no function takes it
        problem = f"valid JSON but not an object: {shown(value, 30)}", None
    if problem is not None:
        why, at = problem
        of = "" if name is None else f" of {shown(name, 40)}"
        raise InvalidJSONError(f"the arguments{of} are {why}; got {shown(text, 40)}", position=at)
    arguments: dict[str, Any] = value
    return arguments
