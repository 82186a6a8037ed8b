# SPDX-License-Identifier: MIT
"""The accumulate layer: chunks -> one ``ChatCompletion``, field by field, with the consistency
policy (strict raises, lenient records warnings).

Every field merges by the rule the schema gives it (``_schema``: ``Field.merge``, one of
``MERGE_RULES``). Each rule is implemented once below, as a small named piece, and each
level's dispatch (key -> rule) is built from the table (``_RULES``); what a rule built lands
in the assembled field the table names (``Field.into``, else the key), in the table's order.
A key no row declares (a vendor field) is merged by the fallback rule (``FALLBACK_RULE``:
:class:`_Vendor`). Knows nothing of SSE or ``json``; imports ``_schema``, ``_models`` and
``_errors`` only.

The pieces: the set-once family (:class:`_Once`, :class:`_Same`, :class:`_Created`,
:class:`_First`, :class:`_Finish`); :class:`_Fields`, one object merged field by field (a
function, audio, logprobs), and its kinds :class:`_Tool` (a tool call), :class:`_Message` (a
choice's delta) and :class:`_Choice`; the fallback :class:`_Vendor`; :class:`Accumulator`,
which routes each chunk to them and applies the policy (warnings: ``_errors.Warnings``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import Any, Literal
from weakref import ref

from ._errors import (
    DEFAULT_MAX_WARNINGS,
    ChunkError,
    InconsistentStreamError,
    KeepsWarnings,
    UpstreamError,
    Warnings,
    deprecated,
    describe,
    error_text,
    shown,
)
from ._models import (
    CLASSES,
    MAKERS,
    MAX_DEPTH,
    NESTS,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    FunctionCall,
    Pending,
    Usage,
    check_usage,
    copy_json,
    plain_tokens,
    too_deep,
    validate_chunk,
    validate_completion_chunk,
)
from ._partial import arguments_problem
from ._schema import SHAPES, Field, keys, rules

__all__ = ["DEFAULT_MAX_CHOICES", "DEFAULT_MAX_TOOL_CALLS", "Accumulator"]

#: Bounds on what one stream may make us hold. OpenAI allows n <= 128 choices; no real stream
#: comes near 1024 choices or 1024 tool calls in one choice.
DEFAULT_MAX_CHOICES = 1024
DEFAULT_MAX_TOOL_CALLS = 1024

# Known keys, from the table.
_TOP_KEYS = frozenset(keys("ChatCompletionChunk"))
_CHOICE_KEYS = frozenset(keys("ChunkChoice"))
_LOGPROBS_KEYS = frozenset(keys("ChoiceLogprobs"))
# Delta fields whose non-empty value after the choice finished is a late delta.
_LATE = tuple(f for f in SHAPES["ChoiceDelta"].fields if f.late)
# Delta fields that are labels, not text: the last non-blank value wins instead of being
# appended (gpt-oss on Groq repeats "channel": "analysis" on every delta; appending gives
# "analysisanalysis...", which is what the openai SDK produces). Vendor fields: the fallback.
_LABELS = frozenset(("channel",))
_STR = frozenset((str, type(None)))
_INT = frozenset((int, type(None)))


def _short(value: Any) -> str:
    try:
        r = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits() (a hand-built chunk's)
        return shown(value)
    return r if len(r) <= 60 else r[:57] + "..."


def _fix(s: str) -> str:
    """Join surrogate pairs split across chunks into the real character; replace lone ones.

    ``json.loads`` turns ``"\\ud83d"`` into a lone surrogate; when the next chunk brings
    ``"\\ude00"`` the joined string holds a pair that must become one character (U+1F600).
    """
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return s


def _join(parts: list[str]) -> str:
    return _fix("".join(parts))


def _joined(parts: list[str]) -> str:
    """Join the parts in place (the list keeps one part: the next join costs nothing)."""
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0]


def _tuple(items: list[Any]) -> tuple[Any, ...]:
    """Content parts as sent, but with split surrogate pairs mended like every final string."""
    return tuple([_plain(item) for item in items])


class _Text(list):  # type: ignore[type-arg]
    """Parts of an appended string held in a vendor field's merged value."""

    __slots__ = ()


class _Items(list):  # type: ignore[type-arg]
    """A ``_BY_INDEX`` list held in a vendor field's merged value (other lists are plain).

    Items are added as they come, except objects with an integer ``index``: those are
    fragments of one item, merged into the item of the same index (see :func:`_add_items`).
    ``at`` maps each such index to its item's position."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[int, int] = {}


# Delta lists whose objects carry an "index" naming the item they are a fragment of: OpenRouter
# and the gateways in front of it stream reasoning_details so (five corpus providers).
# Not every indexed vendor list is fragments: Groq's executed_tools repeats a tool's whole
# state (the same arguments again, then its output) under the same index, where appending
# would double the arguments (as the openai SDK does); such lists are extended as sent.
_BY_INDEX = frozenset(("reasoning_details",))


class _Item(dict):  # type: ignore[type-arg]
    """An item of an ``_Items`` merged from indexed fragments (held form: texts as _Text)."""

    __slots__ = ()


# The keys that name an indexed list item rather than carry its content. OpenRouter and the
# gateways in front of it stream ``reasoning_details`` as one-item lists, each a fragment of
# the item at its ``index``, repeating ``type``, ``id`` and ``format`` on every fragment
# (corpus: vercel-gateway/claude-thinking-tool.sse, snowflake/claude-thinking.sse,
# avian/kimi-k25-tool-call.sse). Like a tool call's ``id`` and ``type``, they are set once,
# an identical repeat is a no-op and blank values count as absent; a fragment whose name
# differs from the held one is another item. Everything else in a fragment follows the delta
# rule: ``text``, ``summary``, ``data`` and ``signature`` are appended (the signature comes
# whole, in a last fragment whose text is ""), other values last non-null wins.
_ITEM_NAMES = ("type", "id", "format")


def _add_items(held: _Items, items: list[Any]) -> None:
    """Add a delta's list to the held one: an object with an integer ``index`` is merged into
    the held item with that index, unless one of its names (``_ITEM_NAMES``) differs from
    that item's: then, like anything else, it is added as a new item (and later fragments of
    the index go to it). Nothing is merged into an item it does not belong to."""
    at = held.at
    for v in items:
        if type(v) is dict:
            i = v.get("index")
            if type(i) is int:
                pos = at.get(i)
                if pos is not None:
                    item = held[pos]
                    if _fits(item, v):
                        _merge_item(item, v)
                        continue
                    held[pos] = _plain(item)  # done: no longer merged into
                at[i] = len(held)
                held.append(_Item({k: _held_name(k, x) for k, x in v.items()}))
                continue
        held.append(_plain(v))


def _held_name(key: str, value: Any) -> Any:
    """An indexed item's value as held: its names as they are (set, never appended)."""
    if type(value) is str and key in _ITEM_NAMES:
        return value
    return _held(value)


def _fits(item: _Item, fragment: dict[str, Any]) -> bool:
    for key in _ITEM_NAMES:
        new = fragment.get(key)
        if type(new) is str and new:
            old = item.get(key)
            if type(old) is str and old and old != new:
                return False
    return True


def _merge_item(item: _Item, fragment: dict[str, Any]) -> None:
    for k, v in fragment.items():
        if k in _ITEM_NAMES and type(v) is str:
            old = item.get(k)
            if old is None or type(old) is str:
                if v or k not in item:
                    item[k] = v  # a name: set (fits() saw it does not differ), never appended
                continue
        _merge_delta_value(item, k, v)


# JSON values _plain returns as they are: an item of one of these types is kept without a call
# (most of a vendor value's items, all of a usage's counts).
_KEPT = frozenset((int, float, bool, type(None)))


def _plain(value: Any) -> Any:
    """A fresh, finished copy of a merged vendor value (texts joined, lone surrogates fixed)."""
    t = type(value)
    if t is _Text:
        return _join(value)
    if t is dict or t is _Item:
        return {k: v if type(v) in _KEPT else _plain(v) for k, v in value.items()}
    if t is list or t is _Items:
        return [v if type(v) in _KEPT else _plain(v) for v in value]
    if t is str:
        return _fix(value)
    return value


def _held(value: Any) -> Any:
    """The held form of a vendor value first seen in a delta: strings become appendable texts,
    objects are copied (we merge into them later and must not touch the chunk's own), lists
    hold finished copies of their items (never merged into, only added; ``_BY_INDEX`` lists
    are held as ``_Items`` by :func:`_merge_delta_value`)."""
    t = type(value)
    if t is str:
        return _Text((value,))
    if t is dict:
        return {k: _held(v) for k, v in value.items()}
    if t is list:
        return [_plain(v) for v in value]
    return value


def _first_plain(items: list[Any]) -> Any:
    return _plain(items[0])


def _first_usage(items: list[Any]) -> Usage:
    return Usage._build(_plain(items[0]))


def _no_extra(items: list[Any]) -> dict[str, Any]:
    return {}


# The ``extra`` of a captured object without vendor fields: a fresh ``{}`` for each object made
# from it (a captured state is shared by the snapshots taken while it holds; a dict in it would be
# too).
_NO_EXTRA = Pending([], 0, _no_extra)


def _merge_delta_value(target: dict[str, Any], key: str, value: Any) -> None:
    """Delta rule: strings appended, lists extended (in ``_BY_INDEX`` lists, objects with an
    integer ``index`` merged by it: ``_add_items``), objects merged key by key (recursively, by
    this same rule), other values last non-null wins; a null never overwrites a value."""
    if value is None:
        if key not in target:
            target[key] = None  # a field only ever sent as null is kept as null
        return
    old = target.get(key)
    t = type(value)
    if t is str and type(old) is _Text:
        old.append(value)
    elif t is list and type(old) is list:
        old.extend([_plain(v) for v in value])
    elif t is list and type(old) is _Items:
        _add_items(old, value)
    elif t is dict and type(old) is dict:
        for k, v in value.items():
            _merge_delta_value(old, k, v)
    elif t is list and key in _BY_INDEX:
        target[key] = items = _Items()
        _add_items(items, value)
    else:
        target[key] = _held(value)


def _copy_obj(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy_obj(v) if type(v) is dict else v for k, v in value.items()}


# _copy: a copy of a decoded JSON value that shares no object or list with it (written once,
# in the models' generated copiers).
_copy = copy_json


def _same(a: Any, b: Any) -> bool:
    """Whether two decoded JSON values are the same JSON (``==`` takes ``1`` for ``true`` and
    ``1.0``, and ``0.0`` for ``-0.0``)."""
    t = type(a)
    if t is not type(b):
        return False
    if t is dict:
        return len(a) == len(b) and all(k in b and _same(v, b[k]) for k, v in a.items())
    if t is list:
        return len(a) == len(b) and all(map(_same, a, b))
    if t is float:
        return bool(a.hex() == b.hex())
    return bool(a == b)


class _Set:
    """A vendor log entry that is set, not merged: a label (``_LABELS``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _copy_held(value: Any) -> Any:
    """A copy of a held vendor value that merging into cannot reach the original through
    (finished list items are shared: nothing merges into them)."""
    t = type(value)
    if t is dict or t is _Item:
        return t({k: _copy_held(v) for k, v in value.items()})
    if t is _Text or t is list:
        return t(value)
    if t is _Items:
        items = _Items()
        items.extend([_copy_held(v) if type(v) is _Item else v for v in value])
        items.at.update(value.at)
        return items
    return value


class _Vendor:
    """The fallback rule (``_schema.FALLBACK_RULE``): the vendor fields (keys no row declares)
    of one object being assembled (the completion, a choice, its logprobs, its message, a tool
    call, a function, audio). ``delta`` picks the rule (:func:`_merge_delta_value` or
    :func:`_merge_level_value`); ``labels`` are set, not merged (``_LABELS``).

    Until the first snapshot they are merged in place into ``base``. From then on ``base`` is
    never changed again and the merges that come are logged, in order; a snapshot gets the log
    and its length (a :class:`Pending`) and replays ``base`` and the log into fresh dicts the
    first time its ``extra`` is read. The log only grows, so ``snapshot()`` costs the same
    whatever the vendor fields hold (merging them into a dict and copying it on each snapshot
    cost O(fields so far) per snapshot: quadratic when an object gains a key per chunk), later
    chunks do not change a snapshot, and what one snapshot's reader does to its dicts reaches
    nothing else. Logged values are copied as they come (the chunk's objects are the caller's).
    By the level rule a value the same as the last one logged for its key would change nothing
    and is not logged (Perplexity repeats ``citations`` in every chunk)."""

    __slots__ = ("base", "delta", "labels", "last", "log")

    def __init__(self, delta: bool, labels: frozenset[str] = frozenset()) -> None:
        self.delta = delta
        self.labels = labels  # keys set, not merged (``_LABELS``, in a delta)
        self.base: dict[str, Any] = {}
        self.log: list[tuple[str, Any]] | None = None  # None: no snapshot yet
        self.last: dict[str, Any] = {}  # key -> the last value logged for it

    def add(self, key: str, value: Any) -> None:
        if value is not None and key in self.labels:
            if value:  # a blank label changes nothing
                self.label(key, value)
            return
        log = self.log
        if log is None:
            if self.delta:
                _merge_delta_value(self.base, key, value)
            else:
                _merge_level_value(self.base, key, value)
            return
        last = self.last
        if value is None:  # counts only for a key never seen, in both rules
            if key not in last and key not in self.base:
                last[key] = None
                log.append((key, None))
            return
        if not self.delta and key in last and _same(last[key], value):
            return
        last[key] = value = _copy(value)
        log.append((key, value))

    def label(self, key: str, value: Any) -> None:
        """Set ``key`` (a non-blank label) instead of merging it."""
        log = self.log
        if log is None:
            self.base[key] = _copy(value)
            return
        held = self.last.get(key)
        if type(held) is _Set and _same(held.value, value):
            return
        self.last[key] = entry = _Set(_copy(value))
        log.append((key, entry))

    def captured(self) -> Any:
        """The ``extra`` of a snapshot's captured object (see :meth:`_Fields.capture`): a
        :class:`Pending`, which makes a fresh ``{}`` for each object when there is no vendor
        field (``built`` would give one ``{}``, shared by every object made from the state)."""
        if self.log is None and not self.base:
            return _NO_EXTRA
        return self.built(False)

    def built(self, final: bool) -> Any:
        """The ``extra`` of a snapshot (a :class:`Pending`) or of the final completion."""
        log = self.log
        if log is None:
            if not self.base:
                return {}
            if final:
                return _plain(self.base)
            self.log = log = []  # base is fixed from now on
        if final:
            return self.replay(log)
        return Pending(log, len(log), self.replay)

    def replay(self, entries: list[tuple[str, Any]]) -> dict[str, Any]:
        target: dict[str, Any] = _copy_held(self.base) if entries else self.base
        if self.delta:
            for key, value in entries:
                if type(value) is _Set:
                    target[key] = value.value
                else:
                    _merge_delta_value(target, key, value)
        else:
            for key, value in entries:
                _merge_level_value(target, key, value)
        finished: dict[str, Any] = _plain(target)  # a fresh copy, whatever it was built from
        return finished


def _merge_level_value(target: dict[str, Any], key: str, value: Any) -> None:
    """Top-level and choice rule: objects merged key by key (recursively), anything else (lists
    included: providers repeat whole ``citations`` lists) last non-null wins."""
    if value is None:
        if key not in target:
            target[key] = None
        return
    if type(value) is dict:
        old = target.get(key)
        if type(old) is dict:
            for k, v in value.items():
                _merge_level_value(old, k, v)
            return
        value = _copy_obj(value)
    target[key] = value


# ---------------------------------------------------------------------------------------------
# The set-once family: rules "once", "same", "created", "first", "finish". Each holds the first
# non-blank value and the number of the chunk it came in; they differ in what a different later
# value does (``differs``). ``put`` takes a non-blank value; a caller may skip it when the value
# is the one held, which is a no-op in every kind. ``owner`` is the object the field belongs to
# (it names the field and its path for messages, built only when one is needed).


class _Once:
    """Rule "once": a different later value is inconsistent; the first is kept."""

    __slots__ = ("at", "built", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.at = 0
        self.built: Any = None  # the value as built: mended once, not on every snapshot

    def hold(self, v: Any, n: int) -> None:
        """Hold ``v`` (which came in chunk ``n``)."""
        self.value, self.at = v, n
        self.built = _fix(v) if type(v) is str else v

    def put(self, v: Any, acc: Accumulator, owner: _Fields | _Top, key: str) -> None:
        held = self.value
        if held is None:
            self.hold(v, acc._n)
        elif v != held:
            self.differs(v, acc, owner.label(key), owner.path(acc, key))

    def differs(self, v: Any, acc: Accumulator, field: str, path: str) -> None:
        message = f"expected {field} {_short(self.value)} at {path}, got {describe(v)}"
        acc._inconsistent(message, field, self.value, v, path, kept="; kept the first")

    def build(self, final: bool) -> Any:
        return self.built

    def repeats(self, v: Any, acc: Accumulator) -> bool:
        """Whether putting the non-blank ``v`` changes nothing and says nothing (the template
        path's plans: :meth:`Accumulator._plan`): it is the value held."""
        return bool(v == self.value)


class _Same(_Once):
    """Rule "same" (id, model): a different later value is inconsistent (it names the chunk
    the held value came in); the first is kept."""

    __slots__ = ()

    def differs(self, v: Any, acc: Accumulator, field: str, path: str) -> None:
        self.conflict(v, acc, field, path, f"{field} {_short(self.value)}")

    def conflict(self, v: Any, acc: Accumulator, field: str, path: str, expected: str) -> None:
        message = f"expected {expected} (as in chunk {self.at}) at {path}, got {describe(v)}"
        acc._inconsistent(message, field, self.value, v, path)


class _Created(_Same):
    """Rule "created": like "same", but a later value may move forward within
    ``created_tolerance`` seconds (the first is kept)."""

    __slots__ = ()

    def differs(self, v: Any, acc: Accumulator, field: str, path: str) -> None:
        if not self.forward(v, acc):
            expected = f"created within 0..{acc.created_tolerance} s after {_short(self.value)}"
            self.conflict(v, acc, field, path, expected)

    def forward(self, v: Any, acc: Accumulator) -> bool:
        """Whether ``v`` moved forward within the tolerance (then it changes nothing)."""
        held = self.value
        return bool(held < v <= held + acc.created_tolerance)

    def repeats(self, v: Any, acc: Accumulator) -> bool:
        return v == self.value or (self.value is not None and self.forward(v, acc))


class _First(_Once):
    """Rule "first" (system_fingerprint, service_tier): a different later value is a
    'changed' warning in both modes; the first is kept."""

    __slots__ = ()

    def differs(self, v: Any, acc: Accumulator, field: str, path: str) -> None:
        acc.warn(
            "changed",
            f"{field} changed from {_short(self.value)} (chunk {self.at}) to {_short(v)}; "
            "kept the first",
            chunk_index=acc._n,
            byte_offset=acc._off,
            path=path,
            field=field,
        )


class _Finish(_Same):
    """Rule "finish": like "same" ('' counts as null), but in lenient mode the last value
    wins."""

    __slots__ = ("off",)

    def __init__(self) -> None:
        super().__init__()
        self.off: int | None = None  # the byte offset of chunk ``at``: where the choice finished

    def put(self, v: Any, acc: Accumulator, owner: _Fields | _Top, key: str) -> None:
        if self.value is None:
            self.off = acc._off
        super().put(v, acc, owner, key)

    def differs(self, v: Any, acc: Accumulator, field: str, path: str) -> None:
        super().differs(v, acc, field, path)
        self.hold(v, acc._n)
        self.off = acc._off


_ONCE_KINDS: dict[str, type[_Once]] = {
    "once": _Once,
    "same": _Same,
    "created": _Created,
    "first": _First,
    "finish": _Finish,
}


class _Name:
    """Rule "name": a name equal to what is held is a repeat (providers resend it); anything
    else is a fragment and is appended. Linear in the input: the held fragments are joined only
    when a fragment exactly as long as all of them together comes."""

    __slots__ = ("built", "length", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.built: str | None = None  # the name as built, until a fragment comes

    def add(self, name: str) -> None:
        if len(name) != self.length or name != _joined(self.parts):
            self.parts.append(name)
            self.length += len(name)
            self.built = None

    def build(self, final: bool) -> str:
        built = self.built
        if built is None:
            built = self.built = _fix(_joined(self.parts))
        return built


class _List(list):  # type: ignore[type-arg]
    """Rule "extend": the items of every list sent, in arrival order, each kept whole; built
    into a tuple of ``make`` (a chunk-side class's builder) when first read."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def build(self, final: bool) -> Any:
        # Built when first read, in the final completion too: a stream with logprobs has a
        # token (and its top_logprobs) per chunk, and a caller who only wants the text should
        # not pay for tens of thousands of objects.
        return Pending(self, len(self), self.items)

    def items(self, items: list[Any]) -> tuple[Any, ...]:
        return tuple(map(self.make, items))


# The rules, as functions ``rule(owner, key, value, acc)`` called with a non-null value.


def _append(f: _Fields, key: str, v: str, acc: Accumulator) -> None:
    """Rule "append": strings appended (``f.texts[key].append(v)``: ``texts`` makes a field's
    list when it first gets a value), joined once at the end (``_join`` mends surrogate pairs
    split between chunks)."""
    f.texts[key].append(v)


def _set_once(f: _Fields, key: str, v: Any, acc: Accumulator) -> None:
    """The set-once family (the kind is the table's rule for the key); blank values are
    absent."""
    if v:
        held = f.held.get(key)
        if held is None:
            f.held[key] = held = f.spec.once[key]()
        if v != held.value:
            held.put(v, acc, f, key)


def _name(f: _Fields, key: str, v: str, acc: Accumulator) -> None:
    if v:
        held = f.held.get(key)
        if held is None:
            f.held[key] = held = _Name()
        held.add(v)


def _extend(f: _Fields, key: str, v: list[Any], acc: Accumulator) -> None:
    held = f.held.get(key)
    if held is None:
        f.held[key] = held = _List(f.spec.make_item[key])
    held.extend(v)


def _object(f: _Fields, key: str, v: dict[str, Any], acc: Accumulator) -> None:
    """Rule "object" (and "function": the legacy function_call is one object, merged like a
    tool call's function): merged into one assembled object by its own shape's rules."""
    held = f.held.get(key)
    if held is None:
        f.held[key] = held = _Fields(f.spec.sub[key], f, key)
    held.merge(v, acc)


def _fallback(f: _Fields, key: str, v: Any, acc: Accumulator) -> None:
    """The fallback rule (``FALLBACK_RULE``), for a key no row declares: ``f.extra``."""
    f.extra.add(key, v)


# Rules with nothing to merge in the object they are in (``None`` in a dispatch): "key" (a
# choice's or a tool call's index) and "tool_id" are applied where the object is routed
# (``Accumulator._merge``, ``_Message.tool_call``); "fixed" is checked, not merged;
# "chunk_only" is not part of the response.
_NOTHING = ("key", "tool_id", "fixed", "chunk_only")


def _content(f: _Message, key: str, v: Any, acc: Accumulator) -> None:
    """Rule "content": a string is appended; a list of parts (Mistral) is kept in order, its
    text parts' text appended to ``content`` and its thinking parts' text to
    ``reasoning_content``."""
    if type(v) is str:  # appended (by _Fields.merge, which does not call this for a string)
        f.texts[key].append(v)
        return
    if f.parts is None:
        f.parts = []
    f.parts.extend(v)
    for part in v:
        target, pieces = part_texts(part)
        if pieces:
            f.texts[key if target == "content" else target].extend(pieces)


def part_texts(part: dict[str, Any]) -> tuple[str, list[str]]:
    """What a content part (Mistral's list content) adds to the message, and to which field:
    a text part's ``text`` to ``content``; a thinking part's ``thinking`` (a string, or a list
    of objects with ``text``, else its own ``text``) to ``reasoning_content``; nothing for
    other parts. (The encoder reads parts back by the same rule.)"""
    target, paths = part_text_paths(part)
    return target, [_at(part, path) for path in paths]


def part_text_paths(part: dict[str, Any]) -> tuple[str, list[tuple[Any, ...]]]:
    """:func:`part_texts`'s rule: the field a content part adds to, and where its texts are
    in it (a template's hole in list content is placed by it: see :func:`_plan_fields`)."""
    kind = part.get("type")
    if kind == "text":
        return "content", [("text",)] if type(part.get("text")) is str else []
    if kind == "thinking":
        thinking = part.get("thinking")
        if type(thinking) is str:
            return "reasoning_content", [("thinking",)]
        if type(thinking) is list:
            return "reasoning_content", [
                ("thinking", i, "text")
                for i, item in enumerate(thinking)
                if type(item) is dict and type(item.get("text")) is str
            ]
        return "reasoning_content", [("text",)] if type(part.get("text")) is str else []
    return "", []


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _with(value: Any, path: tuple[Any, ...], v: Any) -> Any:
    """A copy of ``value`` with ``v`` at ``path``: the objects along the path copied, the rest
    shared (a content part held is never changed, only copied when built: see _plain)."""
    if not path:
        return v
    copy = dict(value) if type(value) is dict else list(value)
    copy[path[0]] = _with(value[path[0]], path[1:], v)
    return copy


def _list_hole(
    rule: Callable[[str, list[Any]], None],
    key: str,
    item: dict[str, Any],
    path: tuple[Any, ...],
    v: str,
) -> None:
    """A template's hole in a list of one object with one text (Mistral's list content, an
    indexed vendor list): the object as learned with ``v`` at ``path``, handed in a list to
    the rule that merges ``key`` (the content rule, the fallback), as the full merge does."""
    rule(key, [_with(item, path, v)])


def _delta(f: _Choice, key: str, v: dict[str, Any], acc: Accumulator) -> None:
    """Rule "delta": merged into the choice's message, field by field, by the delta's rules;
    a field with ``late=True`` that carries something after the choice finished is a late
    delta (inconsistent)."""
    if not v:
        return
    message = f.message
    assert message is not None
    _late(f, _LATE, v, message, acc)
    message.merge(v, acc)


def _late(
    choice: _Choice, late: tuple[Field, ...], v: dict[str, Any], owner: _Fields, acc: Accumulator
) -> None:
    """A field of ``late`` in ``v`` (a delta, or a legacy choice: its owner ``owner`` names
    paths) that carries something after the choice finished is a late delta (inconsistent)."""
    finish = choice.held.get("finish_reason")
    if finish is not None:
        for field in late:  # in the table's order, whatever the order of the keys sent
            name = field.key
            value = v.get(name)
            if value is not None and _carries(value, field):
                path = owner.path(acc, name)
                message = (
                    f"expected nothing more after finish_reason {_short(finish.value)} "
                    f"(chunk {finish.at}) at {path}, got {describe(value)}"
                )
                acc._inconsistent(
                    message, name, None, value, path, kind="late_delta", kept="; kept it"
                )


def _carries(value: Any, field: Field) -> bool:
    """Whether a delta value adds content: a non-empty string or list; for an object, any of
    its shape's fields non-empty but those set once (an id, an expiry: OpenAI sends the audio's
    ``expires_at`` alone after the finish) and its vendor keys."""
    if type(value) is dict:
        return any(value.get(f.key) for f in SHAPES[field.of].fields if f.merge != "once")
    return bool(value)


# The rules of the objects under the top level, by name. At the top level (Accumulator._merge):
# the set-once family, "choices" (merged by index) and "last" (usage).
_RULES: dict[str, Callable[[Any, str, Any, Accumulator], None]] = {
    "once": _set_once,
    "finish": _set_once,
    "delta": _delta,
    "logprobs": _object,
    "extend": _extend,
    "append": _append,
    "content": _content,
    # "tool_calls": _Message.tool_calls (set below the class)
    "name": _name,
    "function": _object,
    "object": _object,
}


# ---------------------------------------------------------------------------------------------
# Shapes: for each chunk-side shape the accumulator merges, what its dispatch and its assembled
# object are, from the table.


def _assembled_name(annotation: str) -> str:
    """The class an assembled field's annotation names: ``tuple[ToolCall, ...] | None`` ->
    ``ToolCall``."""
    name = annotation.split(" | ")[0]
    if name.startswith("tuple["):
        name = name[len("tuple[") :].split(",")[0]
    return name


def _default(field: Field) -> Any:
    """An assembled field's default value (source text in the table): None, a string or ();
    an object default (a class name) is always built, so it has none here."""
    text = field.default
    if text[:1] == '"':
        return text[1:-1]
    return () if text == "()" else None


def _class_maker(name: str) -> Callable[..., Any]:
    """The positional maker of an assembled class (values in the table's order, then extra)."""
    return MAKERS[name]


def _item_maker(name: str) -> Callable[[Any], Any]:
    """How one item of an "extend" list is kept: as the chunk-side class's object, or (a
    legacy logprobs list: strings, numbers, objects kept as sent) as a copy."""
    if name not in CLASSES:
        return _copy
    build: Callable[[Any], Any] = CLASSES[name]._build

    def make(item: Any) -> Any:
        built = build(item)
        if built._absent & NESTS:
            # A vendor value that is an object or a list, under it or an object it holds: the
            # builder copies extra one level deep, so it would be the held item's own, the same
            # in every snapshot and the final completion. Built from a copy instead.
            built = build(_copy(item))
        return built

    return make


class _Spec:
    """A chunk-side shape as the accumulator merges it: its dispatch (key -> rule; a key not
    in it is a vendor key), the set-once kinds and sub-shapes of its fields, and its assembled
    class (each field's position, the defaults, the maker)."""

    def __init__(self, name: str, assembled: str) -> None:
        shape, built = SHAPES[name], SHAPES[assembled]
        self.name = name
        self.rules: dict[str, Callable[[Any, str, Any, Accumulator], None] | None] = {}
        self.once: dict[str, type[_Once]] = {}
        self.sub: dict[str, _Spec] = {}
        self.make_item: dict[str, Callable[[Any], Any]] = {}
        out = {f.key: (i, f) for i, f in enumerate(built.fields)}
        self.pos: dict[str, int] = {}
        for f in shape.fields:
            if not f.merge:
                continue
            if f.merge in _NOTHING:
                self.rules[f.key] = None
                continue
            rule = _RULES[f.merge]
            self.rules[f.key] = rule
            if f.merge in _ONCE_KINDS:
                self.once[f.key] = _ONCE_KINDS[f.merge]
            target = f.into or f.key
            if target in out:
                i, into = out[target]
                self.pos[f.key] = i
                if f.merge in ("object", "function", "logprobs"):
                    self.sub[f.key] = _Spec(f.of, _assembled_name(into.type))
                elif f.merge == "extend":
                    self.make_item[f.key] = _item_maker(_assembled_name(into.type))
                elif f.merge in ("append", "content") and not _text(into):
                    raise LookupError(
                        f"{name}.{f.key} is appended to {assembled}.{target}: not a text"
                    )
            else:
                raise LookupError(f"{name}.{f.key} merges into {assembled}.{target}: no such field")
        for key, (i, _) in out.items():
            self.pos.setdefault(key, i)  # assembled fields built by a rule's owner
        self.defaults = tuple(_default(f) for f in built.fields)
        self.make = _class_maker(assembled)
        # A snapshot's captured object (see _Fields.capture) is made by ``made``: the captured
        # objects held by its fields that are not built when first read (a choice's message, a
        # tool call's function) are made with it.
        self.made = _MADE[assembled]
        self.made_all = _MADE_ALL[assembled]
        # The known keys, the fields merged in the table's order (a choice's), and the fields
        # whose non-empty value after the choice finished is a late delta (a legacy choice's
        # text: the late check of a chat choice is its delta's, see _delta).
        self.keys = frozenset(keys(name))
        self.order = tuple((key, rule) for key, rule in self.rules.items() if rule is not None)
        self.late = tuple(f for f in shape.fields if f.late)
        # Vendor keys at and under the delta merge by the delta's fallback, others by the level's.
        self.delta = shape.path.startswith(".choices[].delta")
        self.labels = _LABELS if name == "ChoiceDelta" else frozenset()


def _text(field: Field) -> bool:
    """Whether an assembled field is a text built when first read: a snapshot holds it as the
    parts appended so far (see _maker)."""
    return field.lazy and field.type in ("str", "str | None")


def _maker(name: str) -> Callable[[list[Any]], Any]:
    """How a captured object of the assembled class ``name`` is made (see
    :meth:`_Fields.capture`): its appended texts, held as ``(parts, count)``, become Pendings
    (built when the field is first read), and the captured objects its other fields hold (a
    choice's message, a tool call's function) are made with it."""
    make = MAKERS[name]
    fields = SHAPES[name].fields
    texts = tuple(i for i, f in enumerate(fields) if _text(f))
    eager = tuple(
        (i, _assembled_name(f.type))
        for i, f in enumerate(fields)
        if not f.lazy and _assembled_name(f.type) in MAKERS
    )

    def made(captured: list[Any]) -> Any:
        values = captured.copy()  # the captured list is shared: never changed
        for i in texts:
            v = values[i]
            if type(v) is tuple:
                values[i] = Pending(v[0], v[1], _join)
        for i, sub in eager:
            v = values[i]
            if v is not None:
                values[i] = _MADE[sub](v)
        return make(*values)

    return made


def _all_maker(made: Callable[[list[Any]], Any]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """How a list of captured objects (a snapshot's choices, a message's tool calls) is made."""

    def made_all(items: list[Any]) -> tuple[Any, ...]:
        return tuple([made(captured) for captured in items])

    return made_all


_MADE = {name: _maker(name) for name in MAKERS}
_MADE_ALL = {name: _all_maker(made) for name, made in _MADE.items()}


class _Top:
    """The owner of the top-level fields, for messages."""

    @staticmethod
    def label(key: str) -> str:
        return key

    @staticmethod
    def path(acc: Accumulator, key: str) -> str:
        return f".{key}"


_TOP = _Top()


class _Fields:
    """One object merged field by field by its shape's rules (rule "object"): a function, audio,
    a choice's logprobs; :class:`_Message`, :class:`_Tool` and :class:`_Choice` are kinds of it.
    Appended strings are in ``texts``, every other rule's piece in ``held`` (each builds its
    assembled value), vendor keys in ``extra`` (the fallback)."""

    __slots__ = (
        "__weakref__",
        "extra",
        "held",
        "key",
        "parent",
        "recipe",
        "rules",
        "spec",
        "texts",
    )

    def __init__(self, spec: _Spec, parent: _Fields | None, key: str) -> None:
        self.spec = spec
        self.rules = spec.rules
        # A weak link up (for paths in messages): a strong one made every choice a reference
        # cycle with its message, so a finished stream's whole state (every logprobs token
        # held) outlived assemble() until the next full collection of the cyclic GC, which
        # then had to walk it (the logprobs benchmark 12% slower; memory held longer).
        self.parent = None if parent is None else ref(parent)
        self.key = key  # the key it is under in its parent
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.held: dict[str, Any] = {}
        self.extra = _Vendor(spec.delta, spec.labels)
        self.recipe: tuple[int, int, tuple[Any, ...], tuple[Any, ...]] | None = None  # regrow

    def merge(self, obj: dict[str, Any], acc: Accumulator) -> None:
        """The one field-by-field merge: each key by its rule (a null is nothing to merge), a
        vendor key by the fallback (which keeps a null never sent otherwise)."""
        rules: dict[str, Any] = self.rules
        for key, v in obj.items():
            rule = rules.get(key, _fallback)
            if rule is _fallback:
                self.extra.add(key, v)
            elif v is not None and rule is not None:
                if rule is _append or (rule is _content and type(v) is str):
                    self.texts[key].append(v)  # rule "append" (the bulk of a stream): no call
                else:
                    rule(self, key, v, acc)

    def label(self, key: str) -> str:
        parent = self.parent() if self.parent is not None else None
        assert parent is not None
        return f"{parent.label(self.key)}.{key}"

    def path(self, acc: Accumulator, key: str) -> str:
        parent = self.parent() if self.parent is not None else None
        assert parent is not None
        return f"{parent.path(acc, self.key)}.{key}"

    def values(self, final: bool) -> list[Any]:
        """The assembled object's field values, in the table's order."""
        spec = self.spec
        pos = spec.pos
        values = list(spec.defaults)
        if self.texts:
            for key, parts in self.texts.items():
                # A snapshot's texts: the parts so far, made into Pendings when read (_maker).
                values[pos[key]] = _join(parts) if final else (parts, len(parts))
        if self.held:
            for key, piece in self.held.items():
                values[pos[key]] = piece.build(final)
        return values

    def build(self, final: bool) -> Any:
        """The assembled object (``final``), or for a snapshot its state (:meth:`capture`)."""
        if final:
            return self.spec.make(*self.values(True), self.extra.built(True))
        return self.capture()

    def capture(self) -> list[Any]:
        """The object's state as a snapshot holds it: its field values (then ``extra``), which
        are immutable values, Pendings, texts as ``(parts, count)`` and the captured states of
        the objects it holds, never a model object or a dict a reader could reach; made into a
        fresh object each time it is read (``spec.made``). Later merges do not change it (the
        lists of parts only grow), and nothing changes the list."""
        values = self.values(False)
        values.append(self.extra.captured())
        return values

    def regrow(self, state: list[Any]) -> list[Any]:
        """What :meth:`capture` gives now, from ``state`` (its result) when nothing but appended
        texts changed since, here or in an object merged field by field under it (a function):
        a copy with each text's part count as it is now."""
        state = state.copy()  # kept states are shared by snapshots: never changed
        recipe = self.recipe
        texts = self.texts
        held = self.held
        # Where its texts and the objects under it are in the state: kept while it holds the
        # same fields (a field once held stays held).
        if recipe is None or recipe[0] != len(texts) or recipe[1] != len(held):
            pos = self.spec.pos
            recipe = self.recipe = (
                len(texts),
                len(held),
                tuple((pos[key], parts) for key, parts in texts.items()),
                self.under(),
            )
        for at, parts in recipe[2]:
            state[at] = (parts, len(parts))
        for at, piece in recipe[3]:
            state[at] = piece.regrow(state[at])
        return state

    def under(self) -> tuple[tuple[int, _Fields], ...]:
        """The objects under it whose states its state holds (their positions there): those
        merged field by field (a function, audio)."""
        pos = self.spec.pos
        return tuple((pos[k], piece) for k, piece in self.held.items() if type(piece) is _Fields)


class _Kept(_Fields):
    """An object whose captured state (:meth:`_Fields.capture`) is kept in ``snap`` and given to
    every snapshot until the object changes: a choice, a tool call. Every path that changes its
    state, or the state of an object under it, sets ``snap = None`` (the general merge
    (``Accumulator._merge_choices``, ``_Message.tool_calls``), the fast taker
    (``Accumulator._take``) and the template path (``Accumulator._take_same``, told by the
    plan which objects its holes reach)), but for the template path when its holes only
    append texts: it sets ``grew``, and the kept state is brought up to date when next read
    (:meth:`_Fields.regrow`: each text's part count), not captured again."""

    __slots__ = ("grew", "snap")

    def __init__(self, spec: _Spec, parent: _Fields | None, key: str) -> None:
        super().__init__(spec, parent, key)
        self.snap: list[Any] | None = None
        self.grew = False

    def build(self, final: bool) -> Any:
        if final:
            return _Fields.build(self, True)
        snap = self.snap
        if snap is None:
            self.grew = False
            snap = self.snap = self.capture()
        elif self.grew:
            self.grew = False
            snap = self.snap = self.regrow(snap)
        return snap


class _Tool(_Kept):
    """One tool call being assembled (its own fields by the ToolCallDelta rules)."""

    __slots__ = ("id", "index", "seq")

    def __init__(self, message: _Message, index: int | None, seq: int) -> None:
        super().__init__(_TOOL, message, "tool_calls")
        self.index = index
        self.seq = seq  # arrival order, for index-less calls and displaced ones
        self.id: str | None = None  # rule "tool_id": set by _Message.tool_call
        self.held["function"] = _Fields(_TOOL.sub["function"], self, "function")

    def label(self, key: str) -> str:
        return f"tool_calls.{key}"

    def path(self, acc: Accumulator, key: str) -> str:
        return f".choices[{acc._pos}].delta.tool_calls[{acc._call}].{key}"

    def values(self, final: bool) -> list[Any]:
        values = _Fields.values(self, final)
        values[self.spec.pos["id"]] = None if self.id is None else _fix(self.id)
        return values


class _Message(_Fields):
    """A choice's message being assembled from its deltas (the ChoiceDelta rules), with its
    tool calls: ``tools`` by index, ``tool_list`` every call in arrival order."""

    __slots__ = ("ordered", "parts", "refused", "tool_list", "tools")

    def __init__(self, choice: _Choice) -> None:
        super().__init__(_DELTA, choice, "delta")
        self.parts: list[dict[str, Any]] | None = None  # list-typed (Mistral) content, as sent
        self.tools: dict[int, _Tool] = {}
        self.tool_list: list[_Tool] = []
        # tool_list sorted for building (by index, index-less calls last, then by arrival):
        # sorted again only when tool_list grew (a call's index and seq never change).
        self.ordered: list[_Tool] = []
        # The last tool call that came was refused (max_tool_calls): a fragment without index
        # or id continues that one, not the last call held.
        self.refused = False

    def label(self, key: str) -> str:
        return key

    def path(self, acc: Accumulator, key: str) -> str:
        return f".choices[{acc._pos}].delta.{key}"

    def tool_calls(self, key: str, calls: list[dict[str, Any]], acc: Accumulator) -> None:
        """Rule "tool_calls": a fragment goes to the call of its index, else of its id, else
        the last open call; rule "tool_id": a different id at an index starts another call."""
        for i, call in enumerate(calls):
            acc._call = i
            tool = self.route(call, acc)
            if tool is not None:
                tool.snap = None
                tool.merge(call, acc)

    def route(self, call: dict[str, Any], acc: Accumulator) -> _Tool | None:
        index = call.get("index")
        call_id = call.get("id") or None  # "" counts as absent (DashScope continuations)
        tool: _Tool | None
        if index is not None:
            tool = self.tools.get(index)
            if tool is not None and call_id and tool.id and call_id != tool.id:
                path = self.path(acc, f"tool_calls[{acc._call}].id")
                message = (
                    f"expected tool call id {_short(tool.id)} at {path} "
                    f"(index {shown(index, 20)}), got {describe(call_id)}"
                )
                acc._inconsistent(
                    message,
                    "tool_calls.id",
                    tool.id,
                    call_id,
                    path,
                    kept="; kept both, as two calls",
                )
                tool = None  # a new call takes the index; the old one stays listed
            if tool is None:
                tool = acc._new_tool(self, index)
                if tool is None:
                    return None
                self.tools[index] = tool
        else:
            tool = None
            if call_id:
                for t in self.tool_list:
                    if t.id == call_id:
                        tool = t
                        break
            elif self.refused:
                self.orphan(
                    acc,
                    "limit",
                    "continues a tool call skipped over max_tool_calls "
                    f"({acc.max_tool_calls}); skipped",
                )
                return None
            elif self.tool_list:
                # No index, no id: it continues the only open call.
                tool = self.tool_list[-1]
                if len(self.tool_list) > 1:
                    self.orphan(
                        acc,
                        "ambiguous",
                        f"continues the last of {len(self.tool_list)} open calls",
                        field="tool_calls",
                    )
            if tool is None:
                tool = acc._new_tool(self, None)
                if tool is None:
                    return None
        self.refused = False
        if call_id and tool.id is None:
            tool.id = call_id
        return tool

    def orphan(self, acc: Accumulator, kind: str, what: str, field: str | None = None) -> None:
        """A warning about a tool-call fragment without index or id."""
        path = self.path(acc, f"tool_calls[{acc._call}]")
        message = f"tool call fragment without index or id at {path} {what}"
        acc.warn(kind, message, chunk_index=acc._n, byte_offset=acc._off, path=path, field=field)

    def values(self, final: bool) -> list[Any]:
        values = _Fields.values(self, final)
        pos = self.spec.pos
        if self.tool_list:
            ordered = self.ordered
            if len(ordered) != len(self.tool_list):
                ordered = self.ordered = sorted(
                    self.tool_list,
                    key=lambda t: (t.index is None, t.index or 0, t.seq),
                )
            # tuple(list), not tuple(generator): the latter allocates a larger tuple and
            # shrinks it, so the tuple freed by the previous snapshot is never reused and
            # CPython's free list for its size fills up (2000 of them, ~0.8 MB held at once
            # by the benchmark's snapshot-per-chunk run). A snapshot's are made when first read
            # (each call's state is kept until it changes: _Kept).
            if final:
                values[pos["tool_calls"]] = tuple([t.build(True) for t in ordered])
            else:
                values[pos["tool_calls"]] = self.call_states(ordered)
        parts = self.parts
        if parts is not None:
            values[pos["content_parts"]] = (
                _tuple(parts) if final else Pending(parts, len(parts), _tuple)
            )
        return values

    @staticmethod
    def call_states(ordered: list[_Tool]) -> Pending:
        """A snapshot's tool calls (``ordered``, sorted as built): each call's kept state, or
        its state captured anew if it changed; made into objects when first read."""
        calls = [t.build(False) if t.grew or t.snap is None else t.snap for t in ordered]
        return Pending(calls, len(calls), _TOOL.made_all)


class _Choice(_Kept):
    """One choice being assembled: its own fields by the ChunkChoice rules (``finish_reason``,
    ``logprobs``, the delta into ``message``), choice-level vendor keys by the fallback. A
    legacy choice (CompletionChunkChoice: its ``text`` appended) has no message."""

    __slots__ = ("calls", "index", "message")

    def __init__(self, index: int, spec: _Spec) -> None:
        super().__init__(spec, None, "")
        self.index = index
        self.message = _Message(self) if "delta" in spec.rules else None
        # Its message's tool calls, in arrival order (the same list): none for a legacy choice.
        self.calls: list[_Tool] = [] if self.message is None else self.message.tool_list

    def label(self, key: str) -> str:
        return key

    def path(self, acc: Accumulator, key: str) -> str:
        return f".choices[{acc._pos}].{key}"

    def merge(self, c: dict[str, Any], acc: Accumulator) -> None:
        """The choice's fields by their rules in the table's order, whatever the order of the
        chunk's keys (a delta is merged before the ``finish_reason`` of the same chunk: it is
        not late), then its vendor keys by the fallback."""
        spec = self.spec
        if spec.late:  # a legacy choice's text after its finish_reason
            _late(self, spec.late, c, self, acc)
        for key, rule in spec.order:
            v = c.get(key)
            if v is not None:
                rule(self, key, v, acc)
        known = spec.keys
        if not c.keys() <= known:
            extra = self.extra
            for key, v in c.items():
                if key not in known:
                    extra.add(key, v)

    def finished(self) -> bool:
        return "finish_reason" in self.held

    def build(self, final: bool) -> Any:
        """:meth:`_Kept.build`, but a kept state whose tool calls alone changed (their own
        ``snap`` forgotten, the choice's kept: the paths that change only a tool call's
        fields, ``_take`` and ``_take_same``, forget only the call's) gets new tool calls
        into copies of itself and of its message's state, nothing captured again."""
        if final:
            return _Fields.build(self, True)
        snap = self.snap
        if snap is None:
            self.grew = False
            snap = self.snap = self.capture()  # as _Kept.build (without a call more)
            return snap
        if self.grew:
            self.grew = False
            snap = self.snap = self.regrow(snap)
        if not self.calls:
            return snap
        for tool in self.calls:
            if tool.grew or tool.snap is None:
                break
        else:
            return snap
        message = self.message
        assert message is not None
        at = self.spec.pos["message"]
        mine = snap[at].copy()  # kept states are shared by snapshots: never changed
        # message.ordered is as the kept state was captured: a new call forgets the state.
        mine[message.spec.pos["tool_calls"]] = message.call_states(message.ordered)
        snap = self.snap = snap.copy()
        snap[at] = mine
        return snap

    def under(self) -> tuple[tuple[int, _Fields], ...]:
        under = _Fields.under(self)
        if self.message is None:
            return under
        return ((self.spec.pos["message"], self.message), *under)

    def values(self, final: bool) -> list[Any]:
        values = _Fields.values(self, final)
        pos = self.spec.pos
        values[pos["index"]] = self.index
        if self.message is not None:
            values[pos["message"]] = self.message.build(final)
        return values


_tool_calls = _RULES["tool_calls"] = _Message.tool_calls


def _plan_fields(
    f: _Fields,
    obj: dict[str, Any],
    path: tuple[Any, ...],
    holes: list[tuple[tuple[Any, ...], Any]],
    acc: Accumulator,
    touched: list[Any],
) -> bool:
    """:meth:`Accumulator._plan` for one object merged by :meth:`_Fields.merge` (a delta, a tool
    call, a function, audio): its strings of rule "append" (and "content" given a string) and
    its vendor strings (a delta's fallback appends them) are holes; anything else must merge
    to nothing when sent again. A tool call with a hole goes to ``touched``."""
    rules: dict[str, Any] = f.rules
    vendor_strings = f.spec.delta
    labels = f.spec.labels
    for key, v in obj.items():
        rule = rules.get(key, _fallback)
        if rule is _fallback:
            if v is None or key in labels:
                continue  # a null never overwrites, a label is set
            t = type(v)
            # A string is appended (the delta rule) or set (the level rule) by the fallback, an
            # integer set (Together's token_id, a new one in every chunk).
            if t is str or t is int:
                holes.append(((*path, key), partial(f.extra.add, key)))
            elif vendor_strings and t is list and key in _BY_INDEX and len(v) == 1:
                # An indexed list of one fragment (OpenRouter's reasoning_details) with one
                # text (its names aside): a hole whose sink hands the fragment as learned, with
                # the new text, to the fallback, which merges it by its index as the full merge
                # does.
                item = v[0]
                if type(item) is not dict:
                    return False
                texts = [
                    k for k, x in item.items() if type(x) is str and x and k not in _ITEM_NAMES
                ]
                if len(texts) != 1:
                    return False
                sink = partial(_list_hole, f.extra.add, key, item, (texts[0],))
                holes.append(((*path, key, 0, texts[0]), sink))
            elif vendor_strings and (t is list or t is dict):
                return False  # extended, merged into
        elif v is None or rule is None:
            continue
        elif rule is _append or (rule is _content and type(v) is str):
            holes.append(((*path, key), f.texts[key].append))
        elif rule is _content:
            # List content (Mistral) of one part with one text (a thinking or a text part, as
            # the next chunk sends it again with another text): a hole whose sink merges the
            # part as learned with the new text by the content rule. Else merged again, the
            # parts would be added again.
            if len(v) != 1 or type(v[0]) is not dict:
                return False
            _, paths = part_text_paths(v[0])
            if len(paths) != 1:
                return False
            assert isinstance(f, _Message)
            sink = partial(_list_hole, partial(_content, f, acc=acc), key, v[0], paths[0])
            holes.append(((*path, key, 0, *paths[0]), sink))
        elif rule is _set_once:
            if v:
                held = f.held.get(key)
                if held is None or not held.repeats(v, acc):
                    return False
        elif rule is _object:
            sub = f.held.get(key)
            if sub is None or not _plan_fields(sub, v, (*path, key), holes, acc, touched):
                return False
        elif rule is _tool_calls:
            assert isinstance(f, _Message)
            for i, call in enumerate(v):
                index = call.get("index")
                tool = f.tools.get(index) if type(index) is int else None
                if tool is None:
                    return False  # routed by id or to the last call: not planned
                call_id = call.get("id") or None
                if call_id and tool.id != call_id:
                    return False
                before = len(holes)
                if not _plan_fields(tool, call, (*path, key, i), holes, acc, touched):
                    return False
                if len(holes) > before:
                    touched.append(tool)  # its captured state goes (_take_same)
        else:
            return False  # extend, name, list content, ...: merged again, they would act
    return True


_DELTA = _Spec("ChoiceDelta", "Message")
_TOOL = _Spec("ToolCallDelta", "ToolCall")


def _everyday(obj: dict[str, Any]) -> bool:
    """Whether a decoded, unvalidated chunk whose top-level keys are all known and whose
    set-once fields are blank or the values held (:meth:`Accumulator._take` checked those) is,
    at a glance, valid and of the everyday shape: the other fields of their types, no usage,
    choices whose deltas hold strings and tool-call fragments and whose logprobs hold plain
    tokens (so it nests no deeper than the schema). ``False`` only means "look closer": the
    validator decides."""
    get = obj.get
    choices = get("choices")
    if type(choices) is not list:
        return choices is None
    for c in choices:
        if type(c) is not dict or not c.keys() <= _CHOICE_KEYS:
            return False
        index = c.get("index")
        if type(index) is not int or index < 0 or type(c.get("finish_reason")) not in _STR:
            return False
        lp = c.get("logprobs")
        if lp is not None and not _plain_logprobs(lp):
            return False
        delta = c.get("delta")
        if delta is not None:
            if type(delta) is not dict:
                return False
            for key, v in delta.items():
                types = _PLAIN_DELTA.get(key)
                if types is None:
                    if key != "tool_calls" or not _plain_calls(v):
                        return False
                elif type(v) not in types:
                    return False
    return True


def _plain_logprobs(lp: Any) -> bool:
    """Whether a choice's ``logprobs`` is valid with plain tokens only (no refusal tokens):
    merged by its rule, it nests no deeper than the schema."""
    return (
        type(lp) is dict
        and lp.keys() <= _LOGPROBS_KEYS
        and lp.get("refusal") is None
        and (lp.get("content") is None or plain_tokens(lp["content"]))
    )


# The delta fields _everyday takes, with the types it takes: strings (list content is not
# looked into: it goes the long way).
_PLAIN_DELTA = {f.key: _STR for f in SHAPES["ChoiceDelta"].fields if f.type in ("str", "content")}
_TOOL_KEYS = frozenset(keys("ToolCallDelta"))
_FUNCTION_KEYS = frozenset(keys("FunctionDelta"))


def _plain_calls(calls: Any) -> bool:
    if type(calls) is not list:
        return calls is None
    for call in calls:
        if type(call) is not dict or not call.keys() <= _TOOL_KEYS:
            return False
        get = call.get
        index = get("index")
        if not (
            (index is None or (type(index) is int and index >= 0))
            and type(get("id")) in _STR
            and type(get("type")) in _STR
        ):
            return False
        fn = get("function")
        if fn is not None and not (
            type(fn) is dict
            and fn.keys() <= _FUNCTION_KEYS
            and type(fn.get("name")) in _STR
            and type(fn.get("arguments")) in _STR
        ):
            return False
    return True


# The top-level fields of the set-once family, from the table.
_TOP_ONCE = tuple(
    (key, _ONCE_KINDS[rule])
    for key, rule in rules("ChatCompletionChunk").items()
    if rule in _ONCE_KINDS
)
_TOP_ONCE_KEYS = tuple(key for key, _ in _TOP_ONCE)
# The top-level fields by what the fast paths do with them, from the table: the set-once ones
# that hold an int (created: a held int compares equal to true and 1.0, so its type is
# checked), the strings checked and never merged (object, obfuscation), those of rule "last"
# (usage, moderation), and any other (none today; a row added later): a chunk is taken fast
# only when those last two are null, their merge being left to the general one.
_TOP_FIELDS = SHAPES["ChatCompletionChunk"].fields
_TOP_INT_ONCE = tuple(f.key for f in _TOP_FIELDS if f.merge in _ONCE_KINDS and f.type == "int")
_TOP_STR = tuple(
    f.key for f in _TOP_FIELDS if f.merge in ("fixed", "chunk_only") and f.type == "str"
)
_TOP_LAST = tuple(f.key for f in _TOP_FIELDS if f.merge == "last")
_TOP_NULL = _TOP_LAST + tuple(
    f.key
    for f in _TOP_FIELDS
    if f.merge not in _ONCE_KINDS and f.merge not in ("choices", "last") and f.key not in _TOP_STR
)
_INDEX_FUNCTION = frozenset(("index", "function"))
# The delta's text fields, and the tool-call function field, that _take appends itself.
_DELTA_TEXT = frozenset(
    f.key for f in SHAPES["ChoiceDelta"].fields if f.merge == "append" or f.type == "content"
)
# Whether the table still merges a tool call's arguments by appending them (and tool calls by
# their rule): only then does _take append a fragment of them itself.
_ARGUMENTS_APPENDED = (
    rules("FunctionDelta").get("arguments") == "append"
    and rules("ChoiceDelta").get("tool_calls") == "tool_calls"
)
# What _take compares with the last chunk it took: every top-level field but the choices.
_SIG_KEYS = _TOP_ONCE_KEYS + _TOP_STR + _TOP_NULL
# Top-level keys with a rule of their own that a template is not learned over: the provider's
# error, and Groq's usage (checked as usage, with a warning of its own).
_TOP_NOT_PLANNED = frozenset(("error", "x_groq"))


class _Family:
    """What the accumulator reads from the table for one family of streams: the chunk shape
    (its top-level rows), the choice shape and the assembled completion. Chat Completions
    (``chat.completion.chunk`` -> ``ChatCompletion``) and the legacy Completions stream
    (``text_completion`` chunks -> ``Completion``) are two entries of the same table, merged
    by the same rules and the same code; only these lists differ."""

    def __init__(
        self, chunk: str, choice: str, completion: str, validate: Callable[[Any], None]
    ) -> None:
        fields = SHAPES[chunk].fields
        self.top_keys = frozenset(keys(chunk))
        self.top_once = tuple(
            (key, _ONCE_KINDS[rule]) for key, rule in rules(chunk).items() if rule in _ONCE_KINDS
        )
        self.top_last = tuple(f.key for f in fields if f.merge == "last")
        self.top_chunk_only = frozenset(
            f.key for f in fields if f.merge == "chunk_only" and f.type == "str"
        )
        # The top-level keys a plan passes over (Accumulator._plan): the known ones that are no
        # hole and need no look (the set-once ones are looked at before, through ``_top``).
        self.top_unplanned = (
            self.top_keys - self.top_chunk_only - _TOP_NOT_PLANNED - set(self.top_last)
        ) - {"choices"}
        self.choice = _Spec(choice, SHAPES[choice].into)
        built = SHAPES[completion]
        self.pos = {f.key: i for i, f in enumerate(built.fields)}
        self.defaults = tuple(_default(f) for f in built.fields)
        self.make = MAKERS[completion]
        self.validate = validate
        # Whether its choices hold a message (tool calls, whose arguments are read at the end):
        # chat's do, a legacy choice holds text only.
        self.messages = "message" in keys(SHAPES[choice].into)


_CHAT = _Family("ChatCompletionChunk", "ChunkChoice", "ChatCompletion", validate_chunk)
_LEGACY = _Family(
    "CompletionChunk", "CompletionChunkChoice", "Completion", validate_completion_chunk
)
# The object of a legacy chunk, which the chat path's fast taker leaves to the long way (the
# stream layer says what it is).
_LEGACY_OBJECT = _default(next(f for f in SHAPES["Completion"].fields if f.key == "object"))


class Accumulator(KeepsWarnings):
    """Assembles ``chat.completion.chunk`` objects into one ``ChatCompletion``.

    ``feed(chunk)`` merges one chunk, ``snapshot()`` returns the completion so far (cheap: it
    costs what changed since the last one, and its parts are built when you read them),
    ``close()`` the final one. ``strict=True`` raises
    :class:`InconsistentStreamError` when the chunks do not describe one response (a second id
    or model, ``created`` moving back or more than ``created_tolerance`` seconds forward, a
    conflicting ``finish_reason``, content after a choice finished) and
    :class:`UpstreamError` for a chunk carrying an ``error``; ``strict=False`` keeps going and
    records each of these as a :class:`StreamWarning` on ``completion.warnings``.

    ``max_choices`` / ``max_tool_calls`` bound how many distinct choices, and tool calls per
    choice, one stream may open (a :class:`ChunkError` in strict mode; skipped with a warning
    in lenient mode). After an error is raised the accumulator holds what was merged before it.
    ``max_warnings`` bounds the warnings kept (``warnings``); past it they are counted by kind
    (``warnings_dropped``) and the completion ends its warnings with one that says how many.

    API: ``feed``, ``snapshot``, ``close``, ``pending_choices``, ``warn``, ``upstream_error``,
    ``chunks``, ``warnings``, ``warnings_dropped`` and the options. ``merge`` (a dict, not
    validated) is deprecated: use ``feed``.
    """

    _family = _CHAT  # what it assembles (a legacy stream's accumulator: _LEGACY)
    # Whether snapshot() reuses the captured states kept (see _Kept); off, each snapshot
    # captures everything anew (the tests compare the two).
    _reuse = True

    def __init__(
        self,
        strict: bool = True,
        *,
        created_tolerance: int = 600,
        max_choices: int = DEFAULT_MAX_CHOICES,
        max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
        max_warnings: int = DEFAULT_MAX_WARNINGS,
    ) -> None:
        self.strict = strict
        self.created_tolerance = created_tolerance
        self.max_choices = max_choices
        self.max_tool_calls = max_tool_calls
        self._warnings = Warnings(max_warnings)
        self.chunks = 0  # how many chunks were merged (API)
        self._next = 0  # the number the next chunk fed without one will get
        self._top = tuple([(key, kind()) for key, kind in self._family.top_once])
        self._sig: tuple[list[str], int, list[Any]] | None = None  # see _take
        self._shape: tuple[int, int, int] = (0, 0, 0)  # see _plan
        self._last: dict[str, Any] = {}  # the top-level fields of rule "last", as sent
        # The top level's captured state for snapshots (every value but the choices: see
        # snapshot), kept until a top-level value, the warnings or the error change.
        self.snap: list[Any] | None = None
        self._snapped = False  # a snapshot was taken: states may be kept (see _take_same)
        self._groq_usage: dict[str, Any] | None = None
        self._error: Any = None
        self._has_error = False
        self._extra = _Vendor(delta=False)
        self._choices: dict[int, _Choice] = {}
        self._order: list[_Choice] | None = []  # choices sorted by index; None = re-sort
        self._tool_seq = 0
        self._opened = -1  # the number of the last chunk that opened a choice or a tool call
        self._arguments_read = False  # the finished calls' arguments were read (close())
        # Where the chunk being merged is: for messages and warnings (the choice's and the tool
        # call's position in it too: paths are built only when a message needs one).
        self._n = 0
        self._off: int | None = None
        self._pos = 0
        self._call = 0

    # -- public API --------------------------------------------------------------------------

    def feed(self, chunk: ChatCompletionChunk) -> None:
        """Merge one chunk. Its number in messages is one more than the previous chunk's (the
        first is chunk 0).

        A chunk built by hand with values ``from_dict`` would refuse (the plain constructors
        trust their caller), or nested more than 100 levels deep, raises :class:`ChunkError`
        in strict mode and is skipped with a warning in lenient mode, like an invalid chunk in
        a stream."""
        obj = chunk.to_dict()
        n = self._next
        if self._take(obj, n, None):  # the everyday chunk: valid at a glance
            return
        try:
            self._family.validate(obj)
            # Vendor values are merged recursively: deep nesting (which the stream layer
            # refuses in JSON text) must be a bad chunk here too, not a RecursionError.
            if too_deep(obj):
                raise ChunkError(
                    f"expected a chunk nested at most {MAX_DEPTH} levels deep (objects and "
                    "lists), got one nested deeper",
                    path=".",
                )
        except ChunkError as exc:
            exc.locate(n, None)
            if self.strict:
                exc.partial = self.snapshot()
                raise
            self._next = n + 1
            self.warn(
                "invalid_chunk",
                exc.reason + "; skipped the chunk",
                chunk_index=n,
                path=exc.path,
            )
            return
        self._merge(obj, n, None)

    def snapshot(self) -> ChatCompletion:
        """The completion so far, without ending anything; later chunks do not change it.

        Costs what changed since the last snapshot, whatever the stream carried: the choices,
        a message's tool calls, text, logprobs, content parts, usage, vendor fields (``extra``)
        and the provider's error are built when first read, each read costing what that value
        holds. What a snapshot holds until then is the state of each choice and tool call as
        it was (kept from one snapshot to the next while that object does not change), never
        an object a reader could reach. Nothing in a snapshot is shared with another snapshot
        or the final completion: changing one changes nothing else."""
        self._snapped = True
        if not self._reuse:
            self._forget()
        values = self.snap
        if values is None:
            values = self.snap = self._top_values(False)
        order = self._order or self._in_order()
        # A kept state is given as it is but for a choice with tool calls, whose build looks
        # at them (a call changed alone: see _Choice.build).
        choices = [
            st.build(False) if st.calls or st.grew else st.snap or st.build(False) for st in order
        ]
        values = values.copy()  # kept for the next snapshot: never changed
        values[self._family.pos["choices"]] = Pending(
            choices, len(choices), self._family.choice.made_all
        )
        completion: ChatCompletion = self._family.make(*values)
        return completion

    def close(self) -> ChatCompletion:
        """The final completion."""
        order = self._order or self._in_order()
        choices = tuple([st.build(True) for st in order])
        if not self._arguments_read and self._family.messages:
            self._arguments_read = True
            self._read_arguments(order, choices)  # warnings: before the top level is built
        values = self._top_values(True)
        values[self._family.pos["choices"]] = choices
        completion: ChatCompletion = self._family.make(*values)
        return completion

    def pending_choices(self) -> list[int] | None:
        """Indexes of the choices without a finish_reason so far, sorted (``None``: no choice
        yet). API: what a stream that ends now leaves unfinished."""
        if not self._choices:
            return None
        return sorted(i for i, st in self._choices.items() if not st.finished())

    def upstream_error(
        self, error: Any, chunk_index: int | None = None, byte_offset: int | None = None
    ) -> None:
        """Record the provider's in-band error (lenient: the first is kept as
        ``completion.error``, each is a warning) or raise :class:`UpstreamError` carrying it and
        the completion so far (strict). API: for errors that come outside a chunk (an
        ``event: error`` block, an error body)."""
        reason = f"the provider sent an error: {error_text(error)}"
        if self.strict:
            raise UpstreamError(
                reason,
                error=error,
                chunk_index=chunk_index,
                byte_offset=byte_offset,
                partial=self.snapshot(),
            )
        if not self._has_error:
            self._has_error = True
            self._error = _copy(error)
            self.snap = None
        self.warn("upstream_error", reason, chunk_index=chunk_index, byte_offset=byte_offset)

    def warn(
        self,
        kind: str,
        message: str,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
        field: str | None = None,
    ) -> None:
        """Record a :class:`StreamWarning` on the completion (past ``max_warnings``, count it),
        located by ``chunk_index``, ``byte_offset``, ``path`` and ``field``. API: a caller
        that feeds chunks from its own source records what it tolerated there."""
        self.snap = None  # the warnings are part of the top level's captured state
        self._warnings.add(kind, message, chunk_index, byte_offset, path, field)

    def merge(self, obj: dict[str, Any], chunk_index: int, byte_offset: int | None) -> None:
        """Deprecated: merge a chunk given as a ``dict`` that ``validate_chunk`` accepted (it
        is not checked here). Use :meth:`feed`."""
        deprecated(
            "Accumulator.merge() is deprecated and will be removed in 0.3.0: it trusts an "
            "unchecked dict; use Accumulator.feed(ChatCompletionChunk.from_dict(obj))",
            stacklevel=2,
        )
        self._merge(obj, chunk_index, byte_offset)

    def merge_plain(
        self,
        obj: dict[str, Any],
        chunk_index: int,
        byte_offset: int | None,
        data: str | None = None,
    ) -> bool:
        """Deprecated: the stream layer's fast taker under a public name (0.1.0). Merges a
        decoded chunk of the everyday shape and says whether it did. Use :meth:`feed`."""
        deprecated(
            "Accumulator.merge_plain() is deprecated and will be removed in 0.3.0: it is the "
            "stream layer's internal; use Accumulator.feed(ChatCompletionChunk.from_dict(obj))",
            stacklevel=2,
        )
        return self._take(obj, chunk_index, byte_offset, data)

    # -- merging -------------------------------------------------------------------------------

    def _take(
        self,
        obj: dict[str, Any],
        chunk_index: int,
        byte_offset: int | None,
        data: str | None = None,
    ) -> bool:
        """The stream layer's fast taker: merge a decoded, unvalidated chunk if it is valid and
        of the everyday shape, so that validation is skipped, and say whether it did; ``False``
        means nothing was done (the caller validates the chunk and calls :meth:`_merge`).
        ``data``, the event's text, is not needed: what it takes nests no deeper than the
        schema.

        The top-level set-once fields are compared with the values held first: each must be
        blank or the value held (which proves it valid, and its merge a no-op: the set-once
        rules are skipped); the rest must pass :func:`_everyday`; then the chunk is merged by
        :meth:`_merge_choices`, as every chunk."""
        get = obj.get
        # The usual: the same keys, in the same order, with the same values but the choices as
        # the last chunk whose top-level fields were checked here (then they are all known keys,
        # and each value equals one that passed _plain_top: str, int and None equal only their
        # own kind, but for an int, whose type is checked below). Lists, not tuples:
        # tuple(map(...)) makes a tuple one larger and shrinks it, so the one freed here is
        # never reused and CPython's free list of that size fills up (2000 tuples held).
        names = [*obj]
        top = [*obj.values()]
        memo = self._sig
        if memo is not None and names == memo[0]:
            at = memo[1]
            if at >= 0:
                top[at] = None
            same = top == memo[2]
        else:
            same = False
        if not same:
            if (
                not obj.keys() <= _TOP_KEYS
                or get("object") == _LEGACY_OBJECT  # the long way says what it is
                or not self._plain_top([*map(get, _SIG_KEYS)])
            ):
                return False
            at = names.index("choices") if "choices" in obj else -1
            if at >= 0:
                top[at] = None
            self._sig = (names, at, top)
        for key in _TOP_INT_ONCE:  # a held int compares equal to true and 1.0: check the type
            if type(get(key)) not in _INT:
                return False
        # The bulk of a stream: one change, one string the table says is appended. The chunk's
        # one choice is held and not finished, with no finish_reason or logprobs, and a delta
        # of one key: a text field (rule "append", or "content" given a string), or the
        # arguments of one tool call held at its index. Then the append rule (_append) is
        # applied to it, as the general merge would; anything else goes that way (_everyday
        # checks it first: _merge_choices merges it).
        choices = get("choices")
        if type(choices) is list and len(choices) == 1:
            c = choices[0]
            lp = c.get("logprobs") if type(c) is dict else None
            if (
                type(c) is dict
                and c.keys() <= _CHOICE_KEYS
                and c.get("finish_reason") is None
                # a token's logprobs beside its text (the logprobs stream): plain tokens only
                and (lp is None or _plain_logprobs(lp))
            ):
                index = c.get("index")
                st = self._choices.get(index) if type(index) is int else None
                delta = c.get("delta")
                if (
                    st is not None
                    and "finish_reason" not in st.held  # not finished
                    and type(delta) is dict
                    and len(delta) == 1
                ):
                    for key, v in delta.items():
                        owner: _Fields | None = None
                        if key in _DELTA_TEXT:
                            if type(v) is str:
                                owner = st.message
                        elif (
                            key == "tool_calls"
                            and _ARGUMENTS_APPENDED
                            and type(v) is list
                            and len(v) == 1
                        ):
                            # The arguments of one tool call held at its index (and the last
                            # call came was not refused): they are appended to its function.
                            call = v[0]
                            message = st.message
                            if (
                                type(call) is dict
                                and call.keys() <= _INDEX_FUNCTION
                                and message is not None
                                and not message.refused
                            ):
                                i = call.get("index")
                                fn = call.get("function")
                                if type(i) is int and type(fn) is dict and len(fn) == 1:
                                    tool = message.tools.get(i)
                                    v = fn.get("arguments")
                                    if tool is not None and type(v) is str:
                                        owner = tool.held["function"]
                                        key = "arguments"
                                        tool.snap = None  # changed: see _Kept
                        if owner is not None:
                            self._n = chunk_index
                            self._off = byte_offset
                            self._next = chunk_index + 1
                            self.chunks += 1
                            if owner is st.message or lp is not None:
                                st.snap = None  # changed (a call's alone: see _Choice.build)
                            owner.texts[key].append(v)  # rule "append" (as _append does)
                            if lp is not None:
                                _object(st, "logprobs", lp, self)  # rule "logprobs"
                            return True
        if not _everyday(obj):
            return False
        self._n = chunk_index
        self._off = byte_offset
        self._next = chunk_index + 1
        self.chunks += 1
        if choices:
            self._merge_choices(choices)
        return True

    def _plan(
        self, obj: dict[str, Any]
    ) -> (
        tuple[
            list[tuple[tuple[Any, ...], Any]], bool, tuple[Any, Any, tuple[Any, ...], bool] | None
        ]
        | Literal[False]
        | None
    ):
        """The stream layer's template plan for a chunk just merged (by :meth:`_take` or
        :meth:`_merge`, unchanged by either): ``(holes, quiet, whole)``, ``False`` for a chunk
        that opened a choice or a tool call (seldom repeated: not planned now), or ``None``
        when none can be learned from it.

        ``holes``: for each string of the chunk that a later chunk of the same text but for
        its strings may send differently, its path in the chunk and what its merge does with
        it (the sink a string is handed to: the appended list of its field, the fallback's
        ``add`` for a vendor string, the set-once rule for a top-level string that differs
        from the one held, or ``None`` for a string merged into nothing); and so for the
        integers a rule takes anew each time: a vendor integer (the fallback's ``add``), one
        of a top-level object of rule "last" (usage counted so far: ``_put_last``). A plan
        exists only when merging this chunk again, but for its holes' values, would change
        nothing and say nothing: every other value is null, blank, a value a set-once rule
        takes as a repeat (``repeats``: the value held; a ``created`` moved forward within the
        tolerance), a vendor value that is not a string or an integer at the top or choice
        level (the level rule: the last wins, objects merged key by key, so a repeat is a
        no-op), or a delta's vendor float, bool or label; every choice is held and not
        finished, every tool call goes by its index to the call held there (its id blank or
        that call's). Then the chunk's merge is its holes' sinks applied to its values, in the
        order of the text (:meth:`_take_same`), by the same rules as the merge itself.

        ``quiet``: nothing but appends and first values changed since the last plan (no choice
        or tool call opened, no warning): the plans of other templates still hold.

        The plan's ``whole``: the objects whose captured state (``snap``: see :class:`_Kept`)
        the holes' sinks change (the choices and tool calls they reach, the accumulator for a
        top-level one), as ``(first, second or None, the others, grew)``, or ``None``;
        :meth:`_take_same` forgets their states, or when every hole appends a text (``grew``)
        marks them to be brought up to date (see :class:`_Kept`)."""
        warnings = self._warnings
        shape = (
            len(self._choices),
            self._tool_seq,
            len(warnings.kept) + sum(warnings.dropped.values()),
        )
        quiet = shape == self._shape
        self._shape = shape
        get = obj.get
        if self._opened == self._n:
            # A chunk that opened a choice or a tool call (its role, the call's id and name) is
            # seldom what the next chunk repeats: no plan now, and no back-off either (the next
            # one is likely planned). (A chunk with no choices is not asked: _Core._learn.)
            return False
        held_choices = self._choices
        states = []
        for c in get("choices") or ():
            st = held_choices.get(c["index"])
            if st is None or st.finished():
                return None  # not held (past max_choices), or finished (finish_reason)
            states.append(st)
        family = self._family
        # A set-once string merged again would act on (its key and rule), if any.
        acting: str | None = None
        acts: _Once | None = None
        for key, held in self._top:
            v = get(key)
            # (The held value first, without the call: what repeats() tests first.)
            if v and v != held.value and not held.repeats(v, self):  # merged again, it acts
                if acting is not None or type(v) is not str:
                    return None
                acting, acts = key, held
        holes: list[tuple[tuple[Any, ...], Any]] = []
        touched: list[Any] = []  # what holds a captured state the holes' sinks change
        unplanned = family.top_unplanned
        for key, v in obj.items():
            if key in unplanned and key != acting:
                continue  # a known key that is no hole (object, created, a set-once one held)
            if key == acting:
                # A set-once string that differs from the one held (Groq's compound model sends
                # a new id in every chunk): a hole whose sink is the rule's merge
                # (_put_top), which says again what it said. It must be the text's first hole:
                # the merge puts the set-once fields before anything else (strict raises
                # there, the chunk's other fields not merged).
                if holes:
                    return None
                assert acts is not None  # found with acting
                holes.append(((key,), partial(self._put_top, key, acts)))
            elif key == "choices":
                for position, c in enumerate(v):
                    st = states[position]
                    if not self._plan_choice(c, st, ("choices", position), holes, touched):
                        return None
            elif key in family.top_chunk_only:
                if type(v) is str:
                    holes.append(((key,), None))
            elif key in _TOP_NOT_PLANNED:
                return None
            elif key in family.top_last:
                if type(v) is dict:
                    # Usage sent in every chunk with the counts so far (vLLM, Perplexity): its
                    # integers are holes, each put into a copy of the object held (_put_last).
                    for field, n in v.items():
                        if type(n) is int:
                            holes.append(((key, field), partial(self._put_last, key, field)))
            elif key not in family.top_keys and (type(v) is str or type(v) is int):
                holes.append(((key,), partial(self._extra.add, key)))  # the level fallback
                touched.append(self)
        if not touched:
            return holes, quiet, None
        # whole: (first, second or None, the rest, grew: see _take_same); grew when every hole
        # in the choices appends a text (the others are the fallback's partials) and the top
        # level keeps no state to forget (a top-level vendor string: the fallback's). The
        # top level's other holes (a set-once string, usage) forget its state themselves.
        grew = self not in touched and not any(
            type(sink) is partial for path, sink in holes if path[0] == "choices"
        )
        first, *others = touched
        return holes, quiet, (first, others[0] if others else None, tuple(others[1:]), grew)

    def _plan_choice(
        self,
        c: dict[str, Any],
        st: _Choice,
        path: tuple[Any, ...],
        holes: list[tuple[tuple[Any, ...], Any]],
        touched: list[Any],
    ) -> bool:
        before = len(holes)
        choice_rules = st.spec.rules
        for key, v in c.items():
            rule = choice_rules.get(key, _fallback)
            if rule is _fallback:
                # The level rule: the last value wins (objects merged key by key), so a
                # repeat is a no-op; a string or an integer is a hole, given to the same rule.
                if type(v) is str or type(v) is int:
                    holes.append(((*path, key), partial(st.extra.add, key)))
                continue
            if rule is None or v is None:
                continue  # the index
            if rule is _append:  # a legacy choice's text
                holes.append(((*path, key), st.texts[key].append))
            elif rule is _delta:
                message = st.message
                if v and (
                    message is None
                    or not _plan_fields(message, v, (*path, key), holes, self, touched)
                ):
                    return False
            elif rule is _set_once:
                if v:  # a finish_reason: the choice finished (refused above)
                    return False
            elif rule is _object:
                # The choice's logprobs, merged by their own rules: planned as the delta's
                # objects are (nulls merge to nothing: Snowflake sends {"content": null,
                # "refusal": null} in every chunk; a token extends the lists: no plan).
                if not _plan_fields(st, {key: v}, path, holes, self, touched):
                    return False
            else:
                return False
        # A hole of its own or its message's: its captured state goes (_take_same); one in a
        # tool call's fields changes the call's alone (_plan_fields: see _Choice.build).
        calls = (*path, "delta", "tool_calls")
        if any(p[: len(calls)] != calls for p, _ in holes[before:]):
            touched.append(st)
        return True

    def _take_same(
        self,
        whole: tuple[Any, Any, tuple[Any, ...], bool] | None,
        sinks: tuple[Any, ...],
        values: list[str],
        chunk_index: int,
        byte_offset: int | None,
    ) -> None:
        """Merge a chunk that is a planned one (:meth:`_plan`) with other strings at its holes:
        each string to its hole's sink (``whole``: the objects whose captured states they
        change)."""
        if whole is not None and self._snapped:  # no snapshot yet: no state kept to forget
            # (first, second or None, the rest, grew): the usual one or two (a choice; a tool
            # call and its choice) without a loop, which costs a tuple iterator per chunk.
            # Holes that only append texts leave the kept states to be brought up to date
            # (grew: see _Kept); any other forgets them.
            first, second, rest, grew = whole
            if grew:
                first.grew = True
                if second is not None:
                    second.grew = True
                    for kept in rest:
                        kept.grew = True
            else:
                first.snap = None
                if second is not None:
                    second.snap = None
                    for kept in rest:
                        kept.snap = None
        self._n = chunk_index
        self._off = byte_offset
        self._next = chunk_index + 1
        self.chunks += 1
        for sink, v in zip(sinks, values, strict=True):
            if sink is not None:
                sink(v)

    def _runs(
        self,
        whole: tuple[Any, Any, tuple[Any, ...], bool] | None,
        sinks: tuple[Any, ...],
    ) -> Callable[[list[list[Any]], int, int], None] | None:
        """The stream layer's taker of a run of chunks that matched one plan at once (see
        :meth:`_take_run`), when each of its holes appends a text (or is merged into
        nothing); ``None`` for any other plan (a sink that may warn is called chunk by chunk,
        each located; two holes that append to one text, a choice or a tool call named twice
        in a chunk, whose texts must alternate chunk by chunk)."""
        extends: list[tuple[Any, Any]] = []
        for i, sink in enumerate(sinks):
            if sink is None:
                continue
            held = getattr(sink, "__self__", None)
            if type(held) is not list or sink != held.append:
                return None
            if any(extend.__self__ is held for extend, _ in extends):
                return None  # a second hole appending to the same text
            extends.append((held.extend, itemgetter(i)))
        return partial(self._take_run, whole, tuple(extends))

    def _take_run(
        self,
        whole: tuple[Any, Any, tuple[Any, ...], bool] | None,
        extends: tuple[tuple[Any, Any], ...],
        run: list[list[str]],
        chunk_index: int,
        byte_offset: int,
    ) -> None:
        """Chunks ``chunk_index``, ``chunk_index + 1``, ... (the last at ``byte_offset``) that
        matched one plan whose holes only append: what :meth:`_take_same` does for each, done
        once for the last (the chunk counted, located, the captured states changed; none of
        it depends on the others), and each hole's texts appended at once."""
        self._take_same(whole, (), [], chunk_index + len(run) - 1, byte_offset)
        self.chunks += len(run) - 1
        for extend, get in extends:
            extend(map(get, run))

    def _plain_top(self, sig: list[Any]) -> bool:
        """Whether a chunk's top-level fields (``sig``: their values, ``_SIG_KEYS``) merge to
        nothing: each set-once one blank or the value held (which also proves it valid), the
        strings that are checked and never merged (object, obfuscation) strings or null, the
        others (usage, moderation) null."""
        once = len(_TOP_ONCE_KEYS)
        for v, (_, held) in zip(sig[:once], self._top, strict=True):
            if not (v is None or v == held.value or v == ""):
                return False
        for v in sig[once : once + len(_TOP_STR)]:
            if type(v) not in _STR:
                return False
        return all(v is None for v in sig[once + len(_TOP_STR) :])

    def _merge(self, obj: dict[str, Any], chunk_index: int, byte_offset: int | None) -> None:
        """Merge one valid chunk (a ``dict`` ``validate_chunk`` accepts): every chunk goes
        through here or (when :meth:`_take` proved its top-level fields change nothing)
        through the part that merges its choices. ``chunk_index``/``byte_offset`` locate
        messages."""
        self._n = chunk_index
        self._off = byte_offset
        self._next = chunk_index + 1
        self.chunks += 1
        get = obj.get
        for key, once in self._top:
            self._put_top(key, once, get(key))
        choices = get("choices")
        if choices:
            self._merge_choices(choices)
        family = self._family
        for key in family.top_last:  # rule "last": the last non-null value wins; never summed
            v = get(key)
            if v is not None:
                self.snap = None
                self._last[key] = v
        if not obj.keys() <= family.top_keys:
            self.snap = None
            self._vendor(obj)

    def _put_last(self, key: str, field: str, v: int) -> None:
        """Rule "last" for one integer of a top-level object (usage) that a template's hole
        brings: the object held, as the chunk sent it, is a copy of the last one with ``v`` at
        ``field`` (the one held is never changed: a snapshot may hold it)."""
        held = self._last[key]
        if held[field] != v:
            held = self._last[key] = held.copy()
            held[field] = v
            self.snap = None

    def _put_top(self, key: str, once: _Once, v: Any) -> None:
        """Rule "once" (and its kinds) for a top-level field: ``v`` of the chunk being merged (by
        :meth:`_merge`, or as a template's hole: see :meth:`_plan`)."""
        if v and v != once.value:  # blank, or the value held: nothing to do
            self.snap = None  # the top level's captured state (see snapshot)
            once.put(v, self, _TOP, key)

    def _merge_choices(self, choices: list[dict[str, Any]]) -> None:
        """Rule "choices": each merged into the choice of its index, in any order."""
        held = self._choices
        for position, c in enumerate(choices):
            self._pos = position
            st = held.get(c["index"])
            if st is None:
                st = self._new_choice(c["index"])
                if st is None:
                    continue
            st.snap = None  # changed: see _Kept
            st.merge(c, self)

    def _vendor(self, obj: dict[str, Any]) -> None:
        """The top-level keys no row declares: the fallback, and the provider's ``error``."""
        error: Any = None
        known = self._family.top_keys
        for key, value in obj.items():
            if key in known:
                continue
            if key == "error":
                error = value
                continue
            if key == "x_groq" and type(value) is dict:
                self._x_groq(value)
            self._extra.add(key, value)
        if error is not None:
            self.upstream_error(error, self._n, self._off)

    def _x_groq(self, value: dict[str, Any]) -> None:
        usage = value.get("usage")
        if type(usage) is dict:
            try:
                check_usage(usage, ".x_groq.usage")
            except ChunkError as exc:
                self.warn(
                    "ignored",
                    f"x_groq.usage not used as usage: {exc.reason}",
                    chunk_index=self._n,
                    byte_offset=self._off,
                    path=exc.path,
                )
            else:
                self._groq_usage = usage

    def _new_choice(self, index: int) -> _Choice | None:
        if len(self._choices) >= self.max_choices:
            self._limit(
                f"too many choices: index {shown(index, 20)} would be choice number "
                f"{len(self._choices) + 1}, over max_choices ({self.max_choices})",
                f".choices[{self._pos}].index",
            )
            return None
        st = self._choices[index] = _Choice(index, self._family.choice)
        self._order = None
        self._opened = self._n
        return st

    def _new_tool(self, message: _Message, index: int | None) -> _Tool | None:
        tools = message.tool_list
        if len(tools) >= self.max_tool_calls:
            choice = message.parent() if message.parent is not None else None
            assert isinstance(choice, _Choice)
            self._limit(
                f"too many tool calls in choice {shown(choice.index, 20)}: tool call number "
                f"{len(tools) + 1} would be over max_tool_calls ({self.max_tool_calls})",
                message.path(self, f"tool_calls[{self._call}]"),
            )
            message.refused = True
            return None
        self._tool_seq += 1
        self._opened = self._n
        tool = _Tool(message, index, self._tool_seq)
        tools.append(tool)
        return tool

    # -- policy --------------------------------------------------------------------------------

    def _limit(self, message: str, path: str) -> None:
        if self.strict:
            raise ChunkError(
                message,
                path=path,
                chunk_index=self._n,
                byte_offset=self._off,
                partial=self.snapshot(),
            )
        self.warn(
            "limit", message + "; skipped", chunk_index=self._n, byte_offset=self._off, path=path
        )

    def _inconsistent(
        self,
        message: str,
        field: str,
        held: Any,
        got: Any,
        path: str,
        *,
        kind: str = "inconsistent",
        kept: str = "",
    ) -> None:
        """The policy in one place: strict raises InconsistentStreamError (with the partial
        completion); lenient records the warning (``kept`` says what it did) and goes on."""
        if self.strict:
            raise InconsistentStreamError(
                message,
                field=field,
                held=held,
                got=got,
                chunk_index=self._n,
                byte_offset=self._off,
                path=path,
                partial=self.snapshot(),
            )
        self.warn(kind, message + kept, self._n, self._off, path, field)

    # -- building ------------------------------------------------------------------------------

    def _read_arguments(self, order: list[_Choice], choices: tuple[Choice, ...]) -> None:
        """Each finished call's ``arguments`` read once, at the end: a warning (both modes: the
        stream is coherent, what the model wrote is not data) for those that are not a JSON
        object (cut by a ``length`` finish, a provider's bug). Blank arguments are a call
        without any. Located where the choice finished, or, left unfinished, at the last chunk
        merged; the path is the completion's."""
        for at, (st, choice) in enumerate(zip(order, choices, strict=True)):
            message = choice.message
            calls = message.tool_calls or ()
            if not calls and message.function_call is None:
                continue
            finish = st.held.get("finish_reason")
            if finish is not None:
                where = {"chunk_index": finish.at, "byte_offset": finish.off}
            else:
                where = {"chunk_index": self._n, "byte_offset": self._off}
            for k, call in enumerate(calls):
                path = f".choices[{at}].message.tool_calls[{k}].function.arguments"
                what = f"tool call {shown(call.id, 40)}"
                self._check_arguments(call.function, path, what, "tool_calls.function", where)
            if message.function_call is not None:
                path = f".choices[{at}].message.function_call.arguments"
                self._check_arguments(
                    message.function_call, path, "function call", "function_call", where
                )

    def _check_arguments(
        self, function: FunctionCall, path: str, what: str, field: str, where: dict[str, Any]
    ) -> None:
        problem = arguments_problem(function.arguments)
        if problem is not None:
            name = "" if function.name is None else f", function {shown(function.name, 40)}"
            self.warn(
                "invalid_arguments",
                f"the arguments of {what}{name} at {path} are {problem[0]}; kept as sent",
                path=path,
                field=f"{field}.arguments",
                **where,
            )

    def _in_order(self) -> list[_Choice]:
        """The choices by index, kept in ``_order`` until a choice is opened."""
        order = self._order = [self._choices[i] for i in sorted(self._choices)]
        return order

    def _top_values(self, final: bool) -> list[Any]:
        """The completion's values but its choices (then ``extra``): built for the final one;
        for a snapshot, immutable values and :class:`Pending` ones (usage, moderation, the
        error and ``extra`` are built when first read, copied: a reader of one snapshot must
        not reach another's)."""
        family = self._family
        pos = family.pos
        values = list(family.defaults)
        for key, once in self._top:
            values[pos[key]] = once.build(final)
        last = self._last
        for key, v in last.items():
            if key != "usage":  # an object kept whole: copied, on first read for a snapshot
                values[pos[key]] = _plain(v) if final else Pending([v], 1, _first_plain)
        usage = last.get("usage")
        if usage is None:
            usage = self._groq_usage
        if usage is not None:
            values[pos["usage"]] = (
                Usage._build(_plain(usage)) if final else Pending([usage], 1, _first_usage)
            )
        error = self._error
        if error is not None:
            values[pos["error"]] = _plain(error) if final else Pending([error], 1, _first_plain)
        values[pos["warnings"]] = self._warnings.all()
        values.append(self._extra.built(True) if final else self._extra.captured())
        return values

    def _forget(self) -> None:
        """Drop every captured state kept (the cache-off switch ``_reuse``, for tests)."""
        self.snap = None
        for st in self._choices.values():
            st.snap = None
            if st.message is not None:
                for tool in st.message.tool_list:
                    tool.snap = None


class CompletionAccumulator(Accumulator):
    """An :class:`Accumulator` of a legacy Completions stream: ``text_completion`` chunks
    into a :class:`Completion`, by the same rules, policy and limits (its family is
    ``_LEGACY``). Its chunks all go the general way (``_take`` declines: the chat fast taker
    knows chat chunks only); the template path plans its text like a delta's."""

    _family = _LEGACY

    def _take(self, *args: Any, **kwargs: Any) -> bool:
        return False  # the chat fast taker's: every legacy chunk goes the general way
