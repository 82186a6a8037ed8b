# SPDX-License-Identifier: MIT
"""The accumulate layer: chunks -> one ``ChatCompletion``, field by field, with the consistency
policy (strict raises, lenient records warnings). Never a generic deep merge: each field has its
rule (see DESIGN.md, "Assembly rules"). Knows nothing of SSE or ``json``; imports ``_models`` and
``_errors`` only.
"""

from __future__ import annotations

from typing import Any

from ._errors import (
    DEFAULT_MAX_WARNINGS,
    ChunkError,
    InconsistentStreamError,
    StreamWarning,
    UpstreamError,
    describe,
    dropped_summary,
    error_text,
    shown,
)
from ._models import (
    MAX_DEPTH,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    Pending,
    TokenLogprob,
    ToolCall,
    Usage,
    check_usage,
    make_choice,
    make_completion,
    make_function_call,
    make_logprobs,
    make_message,
    make_tool_call,
    plain_tokens,
    too_deep,
    validate_chunk,
)

__all__ = ["DEFAULT_MAX_CHOICES", "DEFAULT_MAX_TOOL_CALLS", "Accumulator"]

#: Bounds on what one stream may make us hold. OpenAI allows n <= 128 choices; no real stream
#: comes near 1024 choices or 1024 tool calls in one choice.
DEFAULT_MAX_CHOICES = 1024
DEFAULT_MAX_TOOL_CALLS = 1024

_TOP_KEYS = frozenset(ChatCompletionChunk._keys)
_CHOICE_KEYS = frozenset(("index", "delta", "finish_reason", "logprobs"))
_TOOL_KEYS = frozenset(("index", "id", "type", "function"))
_FUNCTION_KEYS = frozenset(("name", "arguments"))
_LOGPROBS_KEYS = frozenset(("content", "refusal"))
_INDEX_FUNCTION = frozenset(("index", "function"))
_STR_OR_NONE = frozenset((str, type(None)))
# Delta fields that are labels, not text: the last non-blank value wins instead of being
# appended (gpt-oss on Groq repeats "channel": "analysis" on every delta; appending gives
# "analysisanalysis...", which is what the openai SDK produces).
_LABELS = frozenset(("channel",))


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


def _tokens(items: list[dict[str, Any]]) -> tuple[TokenLogprob, ...]:
    return tuple(map(TokenLogprob._build, items))


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


def _plain(value: Any) -> Any:
    """A fresh, finished copy of a merged vendor value (texts joined, lone surrogates fixed)."""
    t = type(value)
    if t is _Text:
        return _join(value)
    if t is dict or t is _Item:
        return {k: _plain(v) for k, v in value.items()}
    if t is list or t is _Items:
        return [_plain(v) for v in value]
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


def _copy(value: Any) -> Any:
    """A copy of a decoded JSON value that shares no object or list with it."""
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list:
        return [_copy(v) for v in value]
    return value


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
    """The vendor fields of one object being assembled (the completion, a choice, its logprobs,
    its message, a tool call, a function). ``delta`` picks the rule (:func:`_merge_delta_value`
    or :func:`_merge_level_value`).

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

    __slots__ = ("base", "delta", "last", "log")

    def __init__(self, delta: bool) -> None:
        self.delta = delta
        self.base: dict[str, Any] = {}
        self.log: list[tuple[str, Any]] | None = None  # None: no snapshot yet
        self.last: dict[str, Any] = {}  # key -> the last value logged for it

    def add(self, key: str, value: Any) -> None:
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


class _Tool:
    """One tool call being assembled."""

    __slots__ = (
        "arguments",
        "extra",
        "fn_extra",
        "id",
        "index",
        "name",
        "name_length",
        "seq",
        "type",
    )

    def __init__(self, index: int | None, seq: int) -> None:
        self.index = index
        self.seq = seq  # arrival order, for index-less calls and displaced ones
        self.id: str | None = None
        self.type: str | None = None
        # The name's fragments (names can be split), joined once; ``name_length`` is their total
        # length, so that telling a fragment from a repeat of the whole name rarely joins.
        self.name: list[str] | None = None
        self.name_length = 0
        self.arguments: list[str] = []
        self.extra = _Vendor(delta=True)
        self.fn_extra = _Vendor(delta=True)

    def add_name(self, name: str) -> None:
        """A name equal to what is held is a repeat (providers resend it); anything else is a
        fragment and is appended. Linear in the input: the held fragments are joined only when
        a fragment exactly as long as all of them together comes."""
        parts = self.name
        if parts is None:
            self.name = [name]
            self.name_length = len(name)
        elif len(name) != self.name_length or name != _joined(parts):
            parts.append(name)
            self.name_length += len(name)

    def build(self, final: bool) -> ToolCall:
        args: Any = self.arguments
        args = _join(args) if final else Pending(args, len(args), _join)
        return make_tool_call(
            None if self.id is None else _fix(self.id),
            _fix(self.type) if self.type else "function",
            make_function_call(
                None if self.name is None else _fix(_joined(self.name)),
                args,
                self.fn_extra.built(final),
            ),
            self.extra.built(final),
        )


class _Choice:
    """One choice being assembled."""

    __slots__ = (
        "content",
        "delta_extra",
        "extra",
        "finish",
        "finish_at",
        "function",
        "index",
        "lp_content",
        "lp_extra",
        "lp_refusal",
        "lp_seen",
        "parts",
        "reasoning",
        "reasoning_content",
        "refusal",
        "refused",
        "role",
        "tool_list",
        "tools",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        # Text is kept as parts joined once; None until some non-null value arrived.
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        self.reasoning_content: list[str] | None = None
        self.reasoning: list[str] | None = None
        self.parts: list[dict[str, Any]] | None = None  # list-typed (Mistral) content, as sent
        self.tools: dict[int, _Tool] = {}  # keyed by tool-call index
        self.tool_list: list[_Tool] = []  # every call, in arrival order
        # The last tool call that came was refused (max_tool_calls): a fragment without index
        # or id continues that one, not the last call held.
        self.refused = False
        self.function: _Tool | None = None  # legacy function_call
        self.finish: str | None = None
        self.finish_at = 0
        self.lp_seen = False
        self.lp_content: list[dict[str, Any]] | None = None
        self.lp_refusal: list[dict[str, Any]] | None = None
        self.lp_extra = _Vendor(delta=False)
        self.extra = _Vendor(delta=False)  # choice-level vendor fields
        self.delta_extra = _Vendor(delta=True)  # delta vendor fields, they land on the message

    def build(self, final: bool) -> Choice:
        def text(parts: list[str] | None) -> Any:
            if parts is None:
                return None
            return _join(parts) if final else Pending(parts, len(parts), _join)

        tool_calls = None
        if self.tool_list:
            ordered = sorted(
                self.tool_list,
                key=lambda t: (t.index is None, t.index or 0, t.seq),
            )
            # tuple(list), not tuple(generator): the latter allocates a larger tuple and
            # shrinks it, so the tuple freed by the previous snapshot is never reused and
            # CPython's free list for its size fills up (2000 of them, ~0.8 MB held at once
            # by the benchmark's snapshot-per-chunk run).
            tool_calls = tuple([t.build(final) for t in ordered])
        parts = self.parts
        content_parts: Any = None
        if parts is not None:
            content_parts = _tuple(parts) if final else Pending(parts, len(parts), _tuple)
        logprobs = None
        if self.lp_seen:
            logprobs = make_logprobs(
                self._tokens(self.lp_content, final),
                self._tokens(self.lp_refusal, final),
                self.lp_extra.built(final),
            )
        fn = self.function
        message = make_message(
            _fix(self.role) if self.role else "assistant",
            text(self.content),
            text(self.refusal),
            tool_calls,
            None if fn is None else fn.build(final).function,
            text(self.reasoning_content),
            text(self.reasoning),
            content_parts,
            self.delta_extra.built(final),
        )
        return make_choice(
            self.index,
            message,
            None if self.finish is None else _fix(self.finish),
            logprobs,
            self.extra.built(final),
        )

    @staticmethod
    def _tokens(items: list[dict[str, Any]] | None, final: bool) -> Any:
        # Built into TokenLogprob objects when first read, in the final completion too: a
        # stream with logprobs has a token (and its top_logprobs) per chunk, and a caller who
        # only wants the text should not pay for tens of thousands of objects.
        if items is None:
            return None
        return Pending(items, len(items), _tokens)


class Accumulator:
    """Assembles ``chat.completion.chunk`` objects into one ``ChatCompletion``.

    ``feed(chunk)`` merges one chunk, ``snapshot()`` returns the completion so far (cheap: text
    is joined only when you read it), ``close()`` the final one. ``strict=True`` raises
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
    """

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
        self.max_warnings = max_warnings
        self.warnings: list[StreamWarning] = []
        self.warnings_dropped: dict[str, int] = {}
        self.chunks = 0  # how many chunks were merged
        self._next = 0  # the number the next chunk fed without one will get
        self._id: str | None = None
        self._id_at = 0
        self._model: str | None = None
        self._model_at = 0
        self._created: int | None = None
        self._created_at = 0
        self._fingerprint: str | None = None
        self._fingerprint_at = 0
        self._tier: str | None = None
        self._tier_at = 0
        self._usage: dict[str, Any] | None = None
        self._usage_built: tuple[Any, Usage] | None = None
        self._groq_usage: dict[str, Any] | None = None
        self._error: Any = None
        self._has_error = False
        self._extra = _Vendor(delta=False)
        self._choices: dict[int, _Choice] = {}
        self._order: list[_Choice] | None = []  # choices sorted by index; None = re-sort
        self._tool_seq = 0
        # Where the chunk being merged is: for messages and warnings.
        self._n = 0
        self._off: int | None = None

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
        if self.merge_plain(obj, n, None):  # the everyday chunk: known fields only, valid
            return
        try:
            validate_chunk(obj)
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
        self.merge(obj, n, None)

    def snapshot(self) -> ChatCompletion:
        """The completion so far, without ending anything; later chunks do not change it.

        Costs O(choices + tool calls) whatever the stream carried: text, logprobs, content
        parts, vendor fields (``extra``) and the provider's error are built when first read,
        each read costing what that value holds. Nothing in a snapshot is shared with another
        snapshot or the final completion: changing one changes nothing else."""
        return self._build(final=False)

    def close(self) -> ChatCompletion:
        """The final completion."""
        return self._build(final=True)

    def pending_choices(self) -> list[int] | None:
        """Indexes of the choices without a finish_reason so far (``None``: no choice yet)."""
        if not self._choices:
            return None
        return sorted(i for i, st in self._choices.items() if st.finish is None)

    # -- merging -------------------------------------------------------------------------------

    def merge(self, obj: dict[str, Any], chunk_index: int, byte_offset: int | None) -> None:
        """Merge one chunk given as a validated ``dict`` (what ``validate_chunk`` accepted).

        The stream layer's fast path; ``chunk_index``/``byte_offset`` locate messages."""
        self._n = chunk_index
        self._off = byte_offset
        self._next = chunk_index + 1
        self.chunks += 1
        get = obj.get
        v = get("id")
        if v:
            if self._id is None:
                self._id, self._id_at = v, chunk_index
            elif v != self._id:
                self._conflict("id", ".id", self._id, self._id_at, v)
        v = get("model")
        if v:
            if self._model is None:
                self._model, self._model_at = v, chunk_index
            elif v != self._model:
                self._conflict("model", ".model", self._model, self._model_at, v)
        v = get("created")
        if v:
            held = self._created
            if held is None:
                self._created, self._created_at = v, chunk_index
            elif v != held and not (held < v <= held + self.created_tolerance):
                self._conflict(
                    "created",
                    ".created",
                    held,
                    self._created_at,
                    v,
                    expected=f"created within 0..{self.created_tolerance} s after {_short(held)}",
                )
        v = get("system_fingerprint")
        if v:
            if self._fingerprint is None:
                self._fingerprint, self._fingerprint_at = v, chunk_index
            elif v != self._fingerprint:
                self._changed("system_fingerprint", self._fingerprint, self._fingerprint_at, v)
        v = get("service_tier")
        if v:
            if self._tier is None:
                self._tier, self._tier_at = v, chunk_index
            elif v != self._tier:
                self._changed("service_tier", self._tier, self._tier_at, v)
        choices = get("choices")
        if choices:
            for position, choice in enumerate(choices):
                self._merge_choice(choice, position)
        v = get("usage")
        if v is not None:
            self._usage = v  # the last non-null usage wins; never summed
        error: Any = None
        if not obj.keys() <= _TOP_KEYS:
            for key, value in obj.items():
                if key in _TOP_KEYS:
                    continue
                if key == "error":
                    error = value
                    continue
                if key == "x_groq" and type(value) is dict:
                    self._x_groq(value)
                self._extra.add(key, value)
        if error is not None:
            self.upstream_error(error, chunk_index, byte_offset)

    def merge_plain(
        self,
        obj: dict[str, Any],
        chunk_index: int,
        byte_offset: int | None,
        data: str | None = None,
    ) -> bool:
        """Merge a decoded (not yet validated) chunk if it has the everyday shape, and say
        whether it did. (``data``, the event's text, is not needed: everything this takes is
        a known field, so it cannot nest deeper than the schema.)

        The stream layer's fast path for the bulk of a stream: one choice already known, not
        finished, whose delta is one string of content or one fragment of arguments for a
        tool call already open, with id/model/created the same as held. It checks everything
        it relies on before it changes anything, so ``False`` means "nothing was done": the
        caller validates the chunk and merges it with :meth:`merge`, which gives the same
        result (the tests compare the two on every stream, and the state each leaves).

        It changes only text, logprobs and the chunk count and number: a chunk whose merge
        would touch any other state goes the long way, so the rules for that state are
        written once (there). A choice whose last tool-call fragment was refused over
        ``max_tool_calls`` (``refused``: an index-less fragment is skipped, a fragment for an
        open call ends that) is such a state; so are a new choice (``max_choices``), a
        finish, and anything that warns (``max_warnings``).
        """
        if not obj.keys() <= _TOP_KEYS:
            return False
        get = obj.get
        v = get("id")
        if not (v is None or v == self._id or v == ""):
            return False
        v = get("model")
        if not (v is None or v == self._model or v == ""):
            return False
        v = get("created")
        if not (v is None or (type(v) is int and (v == self._created or v == 0))):
            return False
        v = get("system_fingerprint")
        if not (v is None or v == self._fingerprint or v == ""):
            return False
        v = get("service_tier")
        if not (v is None or v == self._tier or v == ""):
            return False
        if type(get("object")) not in _STR_OR_NONE or get("usage") is not None:
            return False
        choices = get("choices")
        if type(choices) is not list or len(choices) != 1:
            return False
        c = choices[0]
        if type(c) is not dict or not c.keys() <= _CHOICE_KEYS:
            return False
        index = c.get("index")
        if type(index) is not int:
            return False
        st = self._choices.get(index)
        if st is None or st.finish is not None or st.refused or c.get("finish_reason") is not None:
            return False
        lp = c.get("logprobs")
        tokens = None
        if lp is not None:
            if (
                type(lp) is not dict
                or not lp.keys() <= _LOGPROBS_KEYS
                or lp.get("refusal") is not None
            ):
                return False
            tokens = lp.get("content")
            if tokens is not None and not plain_tokens(tokens):
                return False
        delta = c.get("delta")
        parts: list[str] | None = None
        if delta is not None:
            if type(delta) is not dict or len(delta) != 1:
                return False
            text = delta.get("content")
            if type(text) is str:
                parts = st.content
                if parts is None:
                    parts = st.content = []
            else:
                calls = delta.get("tool_calls")
                if type(calls) is not list or len(calls) != 1:
                    return False
                call = calls[0]
                if type(call) is not dict or not call.keys() <= _INDEX_FUNCTION:
                    return False
                i = call.get("index")
                fn = call.get("function")
                if type(i) is not int or type(fn) is not dict or len(fn) != 1:
                    return False
                tool = st.tools.get(i)
                text = fn.get("arguments")
                if tool is None or type(text) is not str:
                    return False
                if not text:
                    text = None  # an empty fragment adds nothing (as in _merge_function)
                else:
                    parts = tool.arguments
        self._next = chunk_index + 1
        self.chunks += 1
        if parts is not None:
            parts.append(text)  # type: ignore[arg-type]
        if lp is not None:
            st.lp_seen = True
            if tokens is not None:
                if st.lp_content is None:
                    st.lp_content = []
                st.lp_content.extend(tokens)
        return True

    def upstream_error(self, error: Any, chunk_index: int, byte_offset: int | None) -> None:
        """Record the provider's in-band error (lenient) or raise :class:`UpstreamError`
        carrying it and the completion so far (strict)."""
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
        self.warn("upstream_error", reason, chunk_index=chunk_index, byte_offset=byte_offset)

    def warn(
        self,
        kind: str,
        message: str,
        *,
        chunk_index: int | None = None,
        byte_offset: int | None = None,
        path: str | None = None,
        field: str | None = None,
    ) -> None:
        """Record a :class:`StreamWarning` on the completion (past ``max_warnings``, count it)."""
        if len(self.warnings) >= self.max_warnings:
            self.warnings_dropped[kind] = self.warnings_dropped.get(kind, 0) + 1
            return
        self.warnings.append(
            StreamWarning(
                kind=kind,
                message=message,
                chunk_index=chunk_index,
                byte_offset=byte_offset,
                path=path,
                field=field,
            )
        )

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

    def _merge_choice(self, c: dict[str, Any], position: int) -> None:
        index = c["index"]
        st = self._choices.get(index)
        if st is None:
            if len(self._choices) >= self.max_choices:
                self._limit(
                    f"too many choices: index {shown(index, 20)} would be choice number "
                    f"{len(self._choices) + 1}, over max_choices ({self.max_choices})",
                    f".choices[{position}].index",
                )
                return
            st = self._choices[index] = _Choice(index)
            self._order = None
        delta = c.get("delta")
        if delta:
            self._merge_delta(st, delta, position)
        lp = c.get("logprobs")
        if lp is not None:
            st.lp_seen = True
            items = lp.get("content")
            if items is not None:
                if st.lp_content is None:
                    st.lp_content = []
                st.lp_content.extend(items)
            items = lp.get("refusal")
            if items is not None:
                if st.lp_refusal is None:
                    st.lp_refusal = []
                st.lp_refusal.extend(items)
            if not lp.keys() <= _LOGPROBS_KEYS:
                for key, value in lp.items():
                    if key not in _LOGPROBS_KEYS:
                        st.lp_extra.add(key, value)
        finish = c.get("finish_reason")
        if finish:  # "" counts as null
            if st.finish is None:
                st.finish, st.finish_at = finish, self._n
            elif finish != st.finish:
                path = f".choices[{position}].finish_reason"
                message = (
                    f"expected finish_reason {_short(st.finish)} (as in chunk {st.finish_at}) "
                    f"at {path}, got {describe(finish)}"
                )
                self._inconsistent(message, "finish_reason", st.finish, finish, path)
                st.finish, st.finish_at = finish, self._n  # lenient: the last one wins
        if not c.keys() <= _CHOICE_KEYS:
            for key, value in c.items():
                if key not in _CHOICE_KEYS:
                    st.extra.add(key, value)

    def _merge_delta(self, st: _Choice, delta: dict[str, Any], position: int) -> None:
        for key, v in delta.items():
            if v is None:
                if key not in _DELTA_FIELDS:
                    st.delta_extra.add(key, None)
                continue
            if key == "content":
                if type(v) is str:
                    if v and st.finish is not None:
                        self._late(st, position, "content", v)
                    if st.content is None:
                        st.content = [v]
                    else:
                        st.content.append(v)
                else:
                    if v and st.finish is not None:
                        self._late(st, position, "content", v)
                    self._content_parts(st, v)
            elif key == "role":
                if v:
                    if st.role is None:
                        st.role = v
                    elif v != st.role:
                        path = f".choices[{position}].delta.role"
                        self._differs("role", path, st.role, v)
            elif key == "tool_calls":
                if v and st.finish is not None:
                    self._late(st, position, "tool_calls", v)
                for i, call in enumerate(v):
                    self._merge_tool(st, call, f".choices[{position}].delta.tool_calls[{i}]")
            elif key == "reasoning_content" or key == "reasoning" or key == "refusal":
                if v and st.finish is not None:
                    self._late(st, position, key, v)
                parts = getattr(st, key)
                if parts is None:
                    setattr(st, key, [v])
                else:
                    parts.append(v)
            elif key == "function_call":
                if st.function is None:
                    st.function = _Tool(None, 0)
                if (v.get("name") or v.get("arguments")) and st.finish is not None:
                    self._late(st, position, "function_call", v)
                self._merge_function(st.function, v, f".choices[{position}].delta.function_call")
            elif key in _LABELS:
                if v:
                    st.delta_extra.label(key, v)
            else:
                st.delta_extra.add(key, v)

    def _content_parts(self, st: _Choice, parts: list[dict[str, Any]]) -> None:
        """Mistral-style list content: text parts go to content, thinking parts' text to
        reasoning_content, and every part is kept in order under content_parts."""
        if st.parts is None:
            st.parts = []
        st.parts.extend(parts)
        for part in parts:
            kind = part.get("type")
            if kind == "text":
                text = part.get("text")
                if type(text) is str:
                    if st.content is None:
                        st.content = [text]
                    else:
                        st.content.append(text)
            elif kind == "thinking":
                thinking = part.get("thinking")
                if type(thinking) is str:
                    pieces = [thinking]
                elif type(thinking) is list:
                    pieces = [
                        item["text"]
                        for item in thinking
                        if type(item) is dict and type(item.get("text")) is str
                    ]
                else:
                    text = part.get("text")
                    pieces = [text] if type(text) is str else []
                if pieces:
                    if st.reasoning_content is None:
                        st.reasoning_content = pieces
                    else:
                        st.reasoning_content.extend(pieces)

    def _merge_tool(self, st: _Choice, call: dict[str, Any], path: str) -> None:
        index = call.get("index")
        call_id = call.get("id") or None  # "" counts as absent (DashScope continuations)
        tool: _Tool | None
        if index is not None:
            tool = st.tools.get(index)
            if tool is not None and call_id and tool.id and call_id != tool.id:
                message = (
                    f"expected tool call id {_short(tool.id)} at {path}.id "
                    f"(index {shown(index, 20)}), got {describe(call_id)}"
                )
                self._inconsistent(
                    message,
                    "tool_calls.id",
                    tool.id,
                    call_id,
                    f"{path}.id",
                    kept="; kept both, as two calls",
                )
                tool = None  # a new call takes the index; the old one stays listed
            if tool is None:
                tool = self._new_tool(st, index, path)
                if tool is None:
                    return
                st.tools[index] = tool
        else:
            tool = None
            if call_id:
                for t in st.tool_list:
                    if t.id == call_id:
                        tool = t
                        break
            elif st.refused:
                self.warn(
                    "limit",
                    f"tool call fragment without index or id at {path} continues a tool call "
                    f"skipped over max_tool_calls ({self.max_tool_calls}); skipped",
                    chunk_index=self._n,
                    byte_offset=self._off,
                    path=path,
                )
                return
            elif st.tool_list:
                # No index, no id: it continues the only open call.
                tool = st.tool_list[-1]
                if len(st.tool_list) > 1:
                    self.warn(
                        "ambiguous",
                        f"tool call fragment without index or id at {path} continues the last "
                        f"of {len(st.tool_list)} open calls",
                        chunk_index=self._n,
                        byte_offset=self._off,
                        path=path,
                        field="tool_calls",
                    )
            if tool is None:
                tool = self._new_tool(st, None, path)
                if tool is None:
                    return
        st.refused = False
        if call_id and tool.id is None:
            tool.id = call_id
        kind = call.get("type")
        if kind:
            if tool.type is None:
                tool.type = kind
            elif kind != tool.type:
                self._differs("tool_calls.type", f"{path}.type", tool.type, kind)
        fn = call.get("function")
        if fn:
            self._merge_function(tool, fn, f"{path}.function")
        if not call.keys() <= _TOOL_KEYS:
            for key, value in call.items():
                if key not in _TOOL_KEYS:
                    tool.extra.add(key, value)

    def _new_tool(self, st: _Choice, index: int | None, path: str) -> _Tool | None:
        if len(st.tool_list) >= self.max_tool_calls:
            self._limit(
                f"too many tool calls in choice {shown(st.index, 20)}: tool call number "
                f"{len(st.tool_list) + 1} would be over max_tool_calls ({self.max_tool_calls})",
                path,
            )
            st.refused = True
            return None
        self._tool_seq += 1
        tool = _Tool(index, self._tool_seq)
        st.tool_list.append(tool)
        return tool

    def _merge_function(self, tool: _Tool, fn: dict[str, Any], path: str) -> None:
        name = fn.get("name")
        if name:
            tool.add_name(name)
        arguments = fn.get("arguments")
        if arguments:
            tool.arguments.append(arguments)
        if not fn.keys() <= _FUNCTION_KEYS:
            for key, value in fn.items():
                if key not in _FUNCTION_KEYS:
                    tool.fn_extra.add(key, value)

    # -- policy --------------------------------------------------------------------------------

    def _conflict(
        self,
        field: str,
        path: str,
        held: Any,
        held_at: int,
        got: Any,
        *,
        expected: str | None = None,
    ) -> None:
        """A second, different id/model/created: strict raises, lenient keeps the first."""
        what = expected or f"{field} {_short(held)}"
        message = f"expected {what} (as in chunk {held_at}) at {path}, got {describe(got)}"
        self._inconsistent(message, field, held, got, path)

    def _differs(self, field: str, path: str, held: Any, got: Any) -> None:
        """A set-once value (role, tool-call type) sent again with another value."""
        message = f"expected {field} {_short(held)} at {path}, got {describe(got)}"
        self._inconsistent(message, field, held, got, path, kept="; kept the first")

    def _changed(self, field: str, held: str, held_at: int, got: str) -> None:
        """system_fingerprint / service_tier: a later different value is a warning in both
        modes (the first one is kept)."""
        self.warn(
            "changed",
            f"{field} changed from {_short(held)} (chunk {held_at}) to {_short(got)}; "
            "kept the first",
            chunk_index=self._n,
            byte_offset=self._off,
            path=f".{field}",
            field=field,
        )

    def _late(self, st: _Choice, position: int, key: str, value: Any) -> None:
        path = f".choices[{position}].delta.{key}"
        message = (
            f"expected nothing more after finish_reason {_short(st.finish)} "
            f"(chunk {st.finish_at}) at {path}, got {describe(value)}"
        )
        self._inconsistent(message, key, None, value, path, kind="late_delta", kept="; kept it")

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
        self.warn(
            kind,
            message + kept,
            chunk_index=self._n,
            byte_offset=self._off,
            path=path,
            field=field,
        )

    # -- building ------------------------------------------------------------------------------

    def _build(self, final: bool) -> ChatCompletion:
        order = self._order
        if order is None:
            order = self._order = [self._choices[i] for i in sorted(self._choices)]
        usage = self._usage if self._usage is not None else self._groq_usage
        built = None
        if usage is not None:
            cached = self._usage_built
            if cached is not None and cached[0] is usage:
                built = cached[1]
            else:
                built = Usage._build(_plain(usage))
                self._usage_built = (usage, built)
        error = self._error
        if error is not None:
            # Copied on first read too: a snapshot's reader must not reach the next one's.
            error = _plain(error) if final else Pending([error], 1, _first_plain)
        warnings = tuple(self.warnings)
        if self.warnings_dropped:
            warnings += (dropped_summary(self.warnings_dropped, self.max_warnings),)
        return make_completion(
            _fix(self._id) if self._id else None,
            "chat.completion",
            self._created,
            _fix(self._model) if self._model else None,
            None if self._fingerprint is None else _fix(self._fingerprint),
            None if self._tier is None else _fix(self._tier),
            tuple([st.build(final) for st in order]),
            built,
            error,
            warnings,
            self._extra.built(final),
        )


_DELTA_FIELDS = frozenset(
    ("role", "content", "refusal", "tool_calls", "function_call", "reasoning_content", "reasoning")
)
