"""The incremental partial-JSON reader: ``PartialJSON`` and ``parse_partial_json``.

What a prefix gives is written by hand below (the module's rules); the whole value is held to
``json.loads`` and each prefix's value to :func:`consistent` (hypothesis, any value, any split),
and both to ``jiter``'s partial mode (the openai SDK's reader) where the two rules agree."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from extras import need
from hypothesis import given, settings
from hypothesis import strategies as st

from chunkstream import InvalidJSONError, PartialJSON, parse_partial_json


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", None),
        (" \n\t", None),
        ("{", {}),
        ('{"ci', {}),  # an unfinished key: left out
        ('{"city"', {}),
        ('{"city": ', {}),  # a key without its value yet
        ('{"city": "Par', {"city": "Par"}),  # a string as far as it came
        ('{"city": "Paris", "n": 1', {"city": "Paris"}),  # a number may go on: left out
        ('{"city": "Paris", "n": 12,', {"city": "Paris", "n": 12}),
        ('{"ok": tru', {}),  # an unfinished literal: left out
        ('{"ok": true', {"ok": True}),  # a finished one is there
        ("[null, fal", [None]),
        ("[1.5e3, -0 ", [1500.0, 0]),
        ('["a\\', ["a"]),  # an unfinished escape is held back
        ('["a\\u00', ["a"]),
        ('["a\\u00e9', ["a\u00e9"]),
        ('["a\\ud83d', ["a"]),  # a high surrogate waits for its low half
        ('["a\\ud83d\\ude00', ["a\U0001f600"]),
        ('["a\\ud83dx', ["a\ud83dx"]),  # none came: alone, as json.loads keeps it
        ('[["x"], {"y": [{"z": "w', [["x"], {"y": [{"z": "w"}]}]),
        ('"top', "top"),
        ("42", None),  # a top-level number is complete only at close() or after whitespace
        ("42 ", 42),
    ],
)
def test_what_a_prefix_gives(text: str, value: Any) -> None:
    assert parse_partial_json(text) == value
    assert type(parse_partial_json(text)) is type(value)


def test_feed_value_and_close() -> None:
    reader = PartialJSON()
    seen = []
    for piece in ['{"a', '": [1', ", 2]", ', "b": "x', 'y"}']:
        reader.feed(piece)
        seen.append(reader.value)
    assert seen == [{}, {"a": []}, {"a": [1, 2]}, {"a": [1, 2], "b": "x"}, {"a": [1, 2], "b": "xy"}]
    assert reader.done
    assert reader.close() == {"a": [1, 2], "b": "xy"}
    top = PartialJSON()
    top.feed("-1")
    top.feed("2.5")
    assert (top.value, top.done) == (None, False)
    assert top.close() == -12.5


def test_a_value_taken_is_not_changed_by_what_comes_later() -> None:
    reader = PartialJSON()
    reader.feed('{"a": [1, {"b": "c')
    before = reader.value
    reader.feed('d"}, 3], "e": 4}')
    assert before == {"a": [1, {"b": "c"}]}
    assert reader.value == {"a": [1, {"b": "cd"}, 3], "e": 4}


# Text that is not JSON: feed() raises.
NOT_JSON = [
    ('{"a" 1}', "expected ':' after an object key at character 5, got '1'", 5),
    ("[1,]", "expected a JSON value at character 3, got ']'", 3),
    ("{,", "expected a string key at character 1, got ','", 1),
    ('{"a": 1]', "expected ',' or '}' at character 7, got ']'", 7),
    ('["\\x"]', "invalid escape in a string at character 2, got '\\\\x'", 2),
    ('["\\u12g4"]', "invalid \\u escape in a string at character 2, got '\\\\u12g'", 2),
    ('["a\nb"]', "unescaped control character in a string at character 3, got '\\n'", 3),
    ("[01]", "invalid number at character 1, got '01'", 1),
    ("[1.]", "invalid number at character 1, got '1.'", 1),
    ("[nul!]", "invalid literal at character 1, got 'nul!'", 1),
    ("[NaN]", "expected a JSON value at character 1, got 'N'", 1),
    ('{"a": 1} x', "expected the end of the text after the value at character 9, got 'x'", 9),
]
# Text that ends before its value is complete: close() raises.
UNFINISHED = [
    ("", "the JSON text is empty at character 0", 0),
    ("  ", "the JSON text is empty at character 2", 2),
    ('{"a": 1', "the JSON text ended before its value was complete at character 7", 7),
    ('"ab', "the JSON text ended before its value was complete at character 3", 3),
    ("tr", "the JSON text ended before its value was complete at character 2", 2),
    ("-", "invalid number at character 0, got '-'", 0),
    ("1" * 5000, "number too long to convert at character 0, got '1111111...11111111'", 0),
]


@pytest.mark.parametrize(
    ("text", "message", "position", "at_close"),
    [(*case, False) for case in NOT_JSON] + [(*case, True) for case in UNFINISHED],
    ids=[f"feed-{i}" for i in range(len(NOT_JSON))]
    + [f"close-{i}" for i in range(len(UNFINISHED))],
)
def test_what_is_not_json_raises_with_its_position(
    text: str, message: str, position: int, at_close: bool
) -> None:
    reader = PartialJSON()
    if at_close:
        reader.feed(text)  # a prefix of a JSON text: no error yet
    with pytest.raises(InvalidJSONError) as info:
        if at_close:
            reader.close()
        else:
            reader.feed(text)
    assert str(info.value) == message
    assert info.value.position == position


def test_an_error_after_a_valid_prefix_keeps_the_value_and_raises_again() -> None:
    reader = PartialJSON()
    reader.feed('{"a": "b", ')
    with pytest.raises(InvalidJSONError) as info:
        reader.feed('"c": 1, }')  # characters 11 to 19 of the whole text
    assert str(info.value) == "expected a string key at character 19, got '}'"
    assert reader.value == {"a": "b", "c": 1}
    with pytest.raises(InvalidJSONError) as again:
        reader.feed("{}")
    assert again.value is info.value
    with pytest.raises(InvalidJSONError):
        reader.close()


def test_deep_nesting_is_refused_at_the_limit_without_recursion() -> None:
    with pytest.raises(InvalidJSONError) as info:
        parse_partial_json("[" * 100_000)
    assert str(info.value) == (
        "the JSON text nests deeper than max_depth (100) objects and arrays at character 100"
    )
    assert info.value.position == 100
    deep = '{"a": ' * 300 + "1" + "}" * 300
    reader = PartialJSON(max_depth=300)
    for piece in deep:
        reader.feed(piece)
    assert reader.close() == json.loads(deep)


def test_a_huge_string_in_small_pieces() -> None:
    text = '{"text": "' + "ab\\n" * 250_000 + '"}'
    reader = PartialJSON()
    for i in range(0, len(text), 7):
        reader.feed(text[i : i + 7])
    assert reader.close() == {"text": "ab\n" * 250_000}


def _seconds_to_feed(n: int) -> float:
    text = json.dumps({"items": [{"k": i, "s": "x" * 5} for i in range(n)]})
    best = float("inf")
    for _ in range(3):
        reader = PartialJSON()
        start = time.perf_counter()
        for ch in text:
            reader.feed(ch)
        best = min(best, time.perf_counter() - start)
    assert reader.close() == json.loads(text)
    return best


def test_feeding_piece_by_piece_is_linear() -> None:
    # A generous guard, not a benchmark: 10 times the text in one-character pieces must cost
    # far less than 100 times (reading from the start at each piece would).
    small, large = _seconds_to_feed(200), _seconds_to_feed(2000)
    assert large < 40 * small


# -- properties ----------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def texts(draw: st.DrawFn) -> tuple[Any, str]:
    value = draw(values)
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.none() | st.integers(0, 2)),
        separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])),
    )
    return value, text


def consistent(part: Any, whole: Any) -> bool:
    """``part`` is ``whole`` with parts missing at its end: equal scalars; a string's prefix;
    an array's first items, all equal but the last, which is consistent; an object's first
    members in order, likewise."""
    if type(part) is str:
        return type(whole) is str and whole.startswith(part)
    if type(part) is list:
        if type(whole) is not list or len(part) > len(whole):
            return False
        if not part:
            return True
        n = len(part)
        return part[:-1] == whole[: n - 1] and consistent(part[-1], whole[n - 1])
    if type(part) is dict:
        if type(whole) is not dict:
            return False
        keys, order = list(part), list(whole)[: len(part)]
        if keys != order:
            return False
        if not keys:
            return True
        return all(part[k] == whole[k] for k in keys[:-1]) and consistent(
            part[keys[-1]], whole[keys[-1]]
        )
    return part == whole and type(part) is type(whole)


def _same(a: Any, b: Any) -> bool:
    """Equal, with -0.0 and 0.0 told apart as json.loads keeps them."""
    return json.dumps(a) == json.dumps(b)


@settings(max_examples=300, deadline=None)
@given(texts(), st.data())
def test_any_split_gives_json_loads_and_every_prefix_is_consistent(
    case: tuple[Any, str], choice: st.DataObject
) -> None:
    _, text = case
    whole = json.loads(text)
    cuts = sorted(choice.draw(st.sets(st.integers(0, len(text)), max_size=8)))
    reader = PartialJSON()
    last = 0
    for cut in [*cuts, len(text)]:
        reader.feed(text[last:cut])
        last = cut
        value = reader.value
        assert value is None or consistent(value, whole), (text[:cut], value)
    assert _same(reader.close(), whole)


@settings(max_examples=300, deadline=None)
@given(texts())
def test_every_prefix_agrees_with_jiter_where_the_rules_agree(case: tuple[Any, str]) -> None:
    # jiter shows a number at the end of a prefix as far as it parses; ours waits for its end:
    # prefixes that end on a character of a number are left out, and so is whitespace alone.
    # Where jiter raises (a top-level literal or number not finished), ours gives None.
    jiter = need("jiter")
    _, text = case
    for cut in range(1, len(text) + 1):
        prefix = text[:cut]
        if prefix[-1] in "0123456789.eE+-" or prefix.isspace():
            continue
        try:
            theirs = jiter.from_json(prefix.encode(), partial_mode="trailing-strings")
        except ValueError:
            assert parse_partial_json(prefix) is None, prefix
            continue
        assert _same(parse_partial_json(prefix), theirs), prefix


def _refuse(name: str) -> Any:
    raise ValueError(name)


ALPHABET = ' \t\n{}[]:,"\\/-+.0123456789eEtrufalsn\u00e9\x01u'


@st.composite
def edited(draw: st.DrawFn) -> str:
    """A JSON text with one character deleted, replaced or inserted: broken near the end as
    often as near the start, or now and then still JSON."""
    _, text = draw(texts())
    at = draw(st.integers(0, len(text)))
    new = draw(st.sampled_from(["", *ALPHABET]))
    cut = draw(st.integers(0, 1))
    return text[:at] + new + text[at + cut :]


# Pieces of JSON, valid and not, to join into texts that get far before they break.
TOKENS = [
    *"{}[]:, \n",
    '"a"',
    '"b\\n"',
    '"\\ud83d"',
    '"\\u00e9',
    '"\x01"',
    "0",
    "01",
    "-",
    "-0",
    "1.5",
    "1.",
    "2e5",
    "1E+2",
    ".5",
    "true",
    "tru",
    "null",
    "NaN",
    "Infinity",
]
token_texts = st.lists(st.sampled_from(TOKENS), max_size=12).map("".join)


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40) | edited() | token_texts, st.data())
def test_any_text_in_any_split_is_what_json_loads_says_or_an_invalid_json_error(
    text: str, choice: st.DataObject
) -> None:
    # json.loads (NaN and Infinity refused, as RFC 8259 does) is the independent judge.
    try:
        expected: Any = json.loads(text, parse_constant=_refuse)
    except ValueError:
        expected = InvalidJSONError
    cuts = sorted(choice.draw(st.sets(st.integers(0, len(text)), max_size=6)))
    reader = PartialJSON()
    try:
        last = 0
        for cut in [*cuts, len(text)]:
            reader.feed(text[last:cut])
            last = cut
        got = reader.close()
    except InvalidJSONError:
        got = InvalidJSONError
    assert got is expected if expected is InvalidJSONError else _same(got, expected), text


# Found by a stranger's tests (tests/test_stranger_legacy.py's report): the caller's mistakes.


def test_feeding_bytes_is_a_type_error_that_says_decode() -> None:
    reader = PartialJSON()
    with pytest.raises(TypeError) as info:
        reader.feed(b'{"a": 1}')  # type: ignore[arg-type]
    assert str(info.value) == "PartialJSON.feed() takes str, got bytes (decode it first)"
    with pytest.raises(TypeError) as info:
        reader.feed(None)  # type: ignore[arg-type]
    assert str(info.value) == "PartialJSON.feed() takes str, got NoneType"
    reader.feed('{"a": 1}')  # nothing was read from the refused pieces
    assert reader.close() == {"a": 1}


def test_feeding_after_close_is_a_mistake_and_close_again_gives_the_same() -> None:
    reader = PartialJSON()
    reader.feed("[1, 2]")
    assert reader.close() == [1, 2]
    assert reader.close() == [1, 2]
    with pytest.raises(RuntimeError) as info:
        reader.feed(" ")
    assert str(info.value) == "PartialJSON.feed() called after close(); use a new reader"
    assert reader.value == [1, 2]


@pytest.mark.parametrize(
    ("depth", "error", "message"),
    [
        (0, ValueError, "max_depth must be at least 1, got 0"),
        (-5, ValueError, "max_depth must be at least 1, got -5"),
        (2.0, TypeError, "max_depth must be an int, got float"),
        (True, TypeError, "max_depth must be an int, got bool"),
    ],
)
def test_a_max_depth_that_is_not_a_positive_int_is_refused(
    depth: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        PartialJSON(max_depth=depth)
    assert str(info.value) == message
    with pytest.raises(error):
        parse_partial_json("[]", max_depth=depth)
