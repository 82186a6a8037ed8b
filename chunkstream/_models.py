# SPDX-License-Identifier: MIT
"""The models layer: ``dict`` <-> frozen dataclasses for chunks and the assembled completion.

Validation lives in ``from_dict`` (and ``validate_chunk``); the plain constructors trust their
caller. Field names are the JSON keys; unknown keys are kept in ``extra`` and written back by
``to_dict``. Knows nothing of SSE or of the ``json`` module; imports only ``_errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from ._errors import ChunkError, StreamWarning, describe, shown

__all__ = [
    "AssembledLogprobs",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChoiceDelta",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionTokensDetails",
    "FunctionCall",
    "FunctionDelta",
    "Message",
    "PromptTokensDetails",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "Usage",
    "validate_chunk",
]

_MISSING: Any = object()
JSON = Any  # a value json.loads could return


# ---------------------------------------------------------------------------------------------
# Validation: ChunkError with a JSON path, the expected type and the value that came.


def _fail(expected: str, path: str, value: Any) -> ChunkError:
    got = "nothing (the key is missing)" if value is _MISSING else describe(value)
    where = f" at {path}" if path else ""
    return ChunkError(f"expected {expected}{where}, got {got}", path=path or ".")


def _str(obj: dict[str, Any], key: str, path: str) -> None:
    v = obj.get(key)
    if v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.{key}", v)


def _int(obj: dict[str, Any], key: str, path: str) -> None:
    v = obj.get(key)
    if v is not None and type(v) is not int:
        raise _fail("int or null", f"{path}.{key}", v)


def _index(obj: dict[str, Any], key: str, path: str, required: bool) -> None:
    v = obj.get(key, _MISSING)
    if v is _MISSING or v is None:
        if required:
            raise _fail("int", f"{path}.{key}", v)
        return
    if type(v) is not int:
        raise _fail("int" if required else "int or null", f"{path}.{key}", v)
    if v < 0:
        raise _fail("non-negative int", f"{path}.{key}", v)


def _obj(obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    v = obj.get(key)
    if v is not None and type(v) is not dict:
        raise _fail("object or null", f"{path}.{key}", v)
    return v


def _list(obj: dict[str, Any], key: str, path: str) -> list[Any] | None:
    v = obj.get(key)
    if v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.{key}", v)
    return v


def _objects(obj: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    """A list of objects (or null/missing: returns an empty list)."""
    items = _list(obj, key, path)
    if not items:
        return []
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise _fail("object", f"{path}.{key}[{i}]", item)
    return items


def _check_number(obj: dict[str, Any], key: str, path: str) -> None:
    v = obj.get(key)
    if v is not None and (type(v) is not float and type(v) is not int):
        raise _fail("number or null", f"{path}.{key}", v)


def _check_bytes(obj: dict[str, Any], key: str, path: str) -> None:
    items = _list(obj, key, path)
    if items:
        for i, b in enumerate(items):
            if type(b) is not int:
                raise _fail("int", f"{path}.{key}[{i}]", b)


def _check_top(top: dict[str, Any], path: str) -> None:
    _str(top, "token", path)
    _check_number(top, "logprob", path)
    _check_bytes(top, "bytes", path)


def _plain_top(top: dict[str, Any]) -> bool:
    """Quick check of a token or top_logprobs entry (False: look closer)."""
    get = top.get
    b = get("bytes")
    return (
        type(get("token")) in _STR
        and type(get("logprob")) in _NUMBER
        and (b is None or (type(b) is list and _INTS.issuperset(map(type, b))))
    )


def plain_tokens(tokens: Any) -> bool:
    """Whether ``tokens`` is a valid ``logprobs.content`` list with no field but the known ones
    (so nothing in it nests deeper than the schema). The accumulator's fast path; False
    means "look closer"."""
    if type(tokens) is not list:
        return False
    for tok in tokens:
        if type(tok) is not dict or not tok.keys() <= _TOKEN_KEYS or not _plain_top(tok):
            return False
        tops = tok.get("top_logprobs")
        if tops is not None:
            if type(tops) is not list:
                return False
            for top in tops:
                if type(top) is not dict or not top.keys() <= _TOP_KEYS or not _plain_top(top):
                    return False
    return True


def _check_token(tok: dict[str, Any], path: str) -> None:
    # A chunk carries a token and its top_logprobs; a stream carries thousands: the quick
    # check first, the one that names the problem only when it fails.
    if _plain_top(tok):
        tops = tok.get("top_logprobs")
        if tops is None or (
            type(tops) is list and all(type(t) is dict and _plain_top(t) for t in tops)
        ):
            return
    _check_top(tok, path)
    for i, top in enumerate(_objects(tok, "top_logprobs", path)):
        _check_top(top, f"{path}.top_logprobs[{i}]")


def _check_logprobs(lp: dict[str, Any], path: str) -> None:
    for key in ("content", "refusal"):
        for i, tok in enumerate(_objects(lp, key, path)):
            _check_token(tok, f"{path}.{key}[{i}]")


def _check_function(fn: dict[str, Any], path: str) -> None:
    _str(fn, "name", path)
    _str(fn, "arguments", path)


def _check_tool_call(call: dict[str, Any], path: str) -> None:
    _index(call, "index", path, required=False)
    _str(call, "id", path)
    _str(call, "type", path)
    fn = _obj(call, "function", path)
    if fn is not None:
        _check_function(fn, f"{path}.function")


def _check_delta(delta: dict[str, Any], path: str) -> None:
    _str(delta, "role", path)
    content = delta.get("content")
    if content is not None and type(content) is not str:
        if type(content) is not list:
            raise _fail("str, list of objects or null", f"{path}.content", content)
        for i, part in enumerate(content):
            if type(part) is not dict:
                raise _fail("object", f"{path}.content[{i}]", part)
    _str(delta, "refusal", path)
    _str(delta, "reasoning_content", path)
    _str(delta, "reasoning", path)
    for i, call in enumerate(_objects(delta, "tool_calls", path)):
        _check_tool_call(call, f"{path}.tool_calls[{i}]")
    fc = _obj(delta, "function_call", path)
    if fc is not None:
        _check_function(fc, f"{path}.function_call")


def _check_choice(choice: dict[str, Any], path: str) -> None:
    _index(choice, "index", path, required=True)
    delta = _obj(choice, "delta", path)
    if delta is not None:
        _check_delta(delta, f"{path}.delta")
    _str(choice, "finish_reason", path)
    lp = _obj(choice, "logprobs", path)
    if lp is not None:
        _check_logprobs(lp, f"{path}.logprobs")


def _check_prompt_details(details: dict[str, Any], path: str) -> None:
    _int(details, "cached_tokens", path)
    _int(details, "audio_tokens", path)


def _check_completion_details(details: dict[str, Any], path: str) -> None:
    _int(details, "reasoning_tokens", path)
    _int(details, "audio_tokens", path)
    _int(details, "accepted_prediction_tokens", path)
    _int(details, "rejected_prediction_tokens", path)


def _check_usage(usage: dict[str, Any], path: str) -> None:
    _int(usage, "prompt_tokens", path)
    _int(usage, "completion_tokens", path)
    _int(usage, "total_tokens", path)
    details = _obj(usage, "prompt_tokens_details", path)
    if details is not None:
        _check_prompt_details(details, f"{path}.prompt_tokens_details")
    details = _obj(usage, "completion_tokens_details", path)
    if details is not None:
        _check_completion_details(details, f"{path}.completion_tokens_details")


def _check_chunk_fields(obj: dict[str, Any], path: str) -> None:
    _str(obj, "id", path)
    _str(obj, "object", path)
    _int(obj, "created", path)
    _str(obj, "model", path)
    _str(obj, "system_fingerprint", path)
    _str(obj, "service_tier", path)
    choices = _list(obj, "choices", path)
    if choices:
        for i, choice in enumerate(choices):
            p = f"{path}.choices[{i}]"
            if type(choice) is not dict:
                raise _fail("object", p, choice)
            _check_choice(choice, p)
    usage = _obj(obj, "usage", path)
    if usage is not None:
        _check_usage(usage, f"{path}.usage")


# Nesting deeper than this is refused as a bad chunk: the accumulator walks nested vendor
# objects recursively (two frames per level before Python 3.12), and a hostile stream must not
# turn that into a RecursionError. Real chunks nest fewer than 10 levels.
_MAX_DEPTH = 100


def _too_deep(obj: Any) -> bool:
    """Whether a decoded JSON value nests more than ``_MAX_DEPTH`` objects/lists deep
    (iterative: it must not recurse itself)."""
    # A stack of iterators, one per open container: memory grows with the depth only (a stack
    # of every pending child held a tuple per item: 5 million for a 20 MB list of {}).
    if type(obj) is dict:
        stack = [iter(obj.values())]
    elif type(obj) is list:
        stack = [iter(obj)]
    else:
        return False
    while stack:
        for value in stack[-1]:
            if type(value) is dict:
                child: Any = value.values()
            elif type(value) is list:
                child = value
            else:
                continue
            if len(stack) >= _MAX_DEPTH:
                return True
            stack.append(iter(child))
            break
        else:
            stack.pop()
    return False


_NONE = type(None)
_STR = frozenset((str, _NONE))
_INT = frozenset((int, _NONE))
_NUMBER = frozenset((int, float, _NONE))
_INTS = frozenset((int,))


def _plain_chunk(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is, at a glance, a valid chunk of the everyday shape.

    The fast path of :func:`validate_chunk`: straight-line checks of the common fields, no
    paths, no messages. ``False`` only means "look closer" (the full check decides and names
    the problem), so this may refuse valid chunks but must never accept an invalid one.
    """
    get = obj.get
    if not (
        type(get("id")) in _STR
        and type(get("model")) in _STR
        and type(get("object")) in _STR
        and type(get("created")) in _INT
        and type(get("system_fingerprint")) in _STR
        and type(get("service_tier")) in _STR
        and get("usage") is None
    ):
        return False
    choices = get("choices")
    if choices is None:
        return True
    if type(choices) is not list:
        return False
    for choice in choices:
        if type(choice) is not dict:
            return False
        cget = choice.get
        index = cget("index")
        if type(index) is not int or index < 0:
            return False
        if type(cget("finish_reason")) not in _STR or cget("logprobs") is not None:
            return False
        delta = cget("delta")
        if delta is None:
            continue
        if type(delta) is not dict:
            return False
        dget = delta.get
        if not (
            type(dget("content")) in _STR
            and type(dget("role")) in _STR
            and type(dget("refusal")) in _STR
            and type(dget("reasoning_content")) in _STR
            and type(dget("reasoning")) in _STR
            and dget("function_call") is None
        ):
            return False
        calls = dget("tool_calls")
        if calls is None:
            continue
        if type(calls) is not list:
            return False
        for call in calls:
            if type(call) is not dict:
                return False
            tget = call.get
            index = tget("index")
            if (
                type(index) not in _INT
                or (index is not None and index < 0)
                or type(tget("id")) not in _STR
                or type(tget("type")) not in _STR
            ):
                return False
            fn = tget("function")
            if fn is not None and (
                type(fn) is not dict
                or type(fn.get("name")) not in _STR
                or type(fn.get("arguments")) not in _STR
            ):
                return False
    return True


def validate_chunk(obj: Any) -> None:
    """Check that ``obj`` (what ``json.loads`` gave) is a valid ``chat.completion.chunk``.

    Raises :class:`ChunkError` naming the JSON path, what was expected and what came. Every
    top-level field may be missing or null (real providers omit or blank them); a choice needs
    a non-negative ``index``. Unknown fields are not checked: they are kept as sent.
    """
    if type(obj) is dict and _plain_chunk(obj):
        return
    if type(obj) is not dict:
        raise _fail("a JSON object (a chat.completion.chunk)", "", obj)
    _check_chunk_fields(obj, "")


# ---------------------------------------------------------------------------------------------
# The chunk-side dataclasses. ``_absent`` remembers which known keys the source did not have
# (bit i for the i-th of ``_keys``), so that null and absent survive the round trip; it is ``None``
# for objects built by hand (then ``to_dict`` leaves out the fields that are ``None``).

T = TypeVar("T", bound="_ChunkModel")


def _to_json(value: Any) -> Any:
    if isinstance(value, _Model):
        return value.to_dict()
    if type(value) is tuple or type(value) is list:  # a list from a hand-built value, too
        return [_to_json(v) for v in value]
    return value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any, limit: int = 64) -> str:
    try:
        return _cut(repr(value), limit)
    except ValueError:  # an int past sys.get_int_max_str_digits() has no repr
        return shown(value)


#: Where ``to_dict`` puts the vendor fields (``extra``) named like a key the object writes
#: itself: ``{..., "chunkstream_vendor": {"message": ...}}``. A vendor key never replaces an
#: assembled one (Perplexity sends a ``message`` beside ``delta`` in every choice), and nothing
#: is dropped. The name is reserved at every level: a vendor field called so is moved too, so
#: the object under it cannot be overwritten either. ``extra`` keeps every name as sent.
VENDOR_KEY = "chunkstream_vendor"


def _add_extra(out: dict[str, Any], extra: dict[str, Any], own: frozenset[str]) -> None:
    """Put ``extra`` into ``out`` (a ``to_dict`` result): keys in ``own`` (the keys the object
    may write) go into one object under ``VENDOR_KEY``, and so does a vendor ``VENDOR_KEY`` when
    something is moved. (The assembled classes count ``VENDOR_KEY`` in ``own``: it is always
    theirs. A chunk's ``extra`` never holds a known key unless built by hand, and a chunk's
    ``to_dict`` gives back what was parsed.)"""
    if own.isdisjoint(extra):
        out.update(extra)
        return
    moved = {}
    for key, value in extra.items():
        if key in own or key == VENDOR_KEY:
            moved[key] = value
        else:
            out[key] = value
    out[VENDOR_KEY] = moved


def _own(*keys: str) -> frozenset[str]:
    return frozenset((*keys, VENDOR_KEY))


_OWN: dict[tuple[str, ...], frozenset[str]] = {}  # a chunk class's _keys, as a set


# The standard ``object`` values say nothing in a repr; other values are shown.
_USUAL_OBJECTS = ("chat.completion", "chat.completion.chunk")


class _Model:
    """Shared behaviour of every model class: ``to_dict`` and a compact ``repr``."""

    __slots__ = ()
    _keys: ClassVar[tuple[str, ...]] = ()  # the JSON keys, in schema order

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = getattr(self, "_absent", None)
        bit = 1
        for key in self._keys:
            value = getattr(self, key)
            absent_here = absent is None or absent & bit
            bit <<= 1
            if value is None and absent_here:
                # Absent in the source: still absent unless a value was put there since
                # (``dataclasses.replace``), which must not be dropped silently.
                continue
            out[key] = _to_json(value)
        extra = getattr(self, "extra", None)
        if extra:
            own = _OWN.get(self._keys)
            if own is None:
                own = _OWN[self._keys] = frozenset(self._keys)
            _add_extra(out, extra, own)
        return out

    def __repr__(self) -> str:
        # One short line for a notebook or a log: fields that are None, empty, hidden or the
        # usual ``object`` are left out; each value is cut short; warnings show their kinds and
        # vendor fields (``extra``) their keys.
        shown = []
        for f in fields(self):  # type: ignore[arg-type]
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if value is None or value == () or value == {}:
                continue
            if f.name == "object" and value in _USUAL_OBJECTS:
                continue
            if f.name == "warnings":
                shown.append(f"warnings={_cut(repr(tuple(w.kind for w in value)), 48)}")
            elif f.name == "extra" and type(value) is dict:
                keys = ", ".join(f"{k!r}: ..." for k in value)
                shown.append(f"extra={_cut('{' + keys + '}', 48)}")
            else:
                shown.append(f"{f.name}={_short(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _ChunkModel(_Model):
    """The chunk side: ``from_dict`` validates a decoded JSON object, then builds the value.

    Only these classes have ``from_dict``; the assembled classes are built by the accumulator
    (or by hand) and have nothing to validate.
    """

    __slots__ = ()

    # Each chunk-side class sets these two.
    @staticmethod
    def _validate(obj: dict[str, Any], path: str, /) -> None:
        raise NotImplementedError

    @classmethod
    def _build(cls: type[T], obj: dict[str, Any]) -> T:
        raise NotImplementedError  # replaced by _builder() below each class

    # from_dict(), validated; _build(), trusting: a decoded JSON object -> the value.

    @classmethod
    def from_dict(cls: type[T], obj: Any) -> T:
        """Validate ``obj`` (a decoded JSON object) and build the value; :class:`ChunkError`
        with a JSON path (relative to this object) when it is not valid."""
        if type(obj) is not dict:
            raise _fail(f"a JSON object ({cls.__name__})", "", obj)
        cls._validate(obj, "")
        return cls._build(obj)


def _set_builder(cls: type[_ChunkModel], build: Callable[[dict[str, Any]], Any]) -> None:
    cls._build = staticmethod(build)  # type: ignore[method-assign,assignment]


def _builder(cls: type[T], **convert: Callable[[Any], Any]) -> Callable[[dict[str, Any]], T]:
    """The trusting builder of a chunk-side class: a validated JSON object -> an instance.

    It is on the hot path (every chunk of ``iter_chunks``), so it skips the dataclass
    ``__init__`` (a frozen one sets each field through ``object.__setattr__``) and fills the
    slots through their descriptors; ``convert`` maps a key to what turns its non-null value
    into the field's (a nested model, a tuple).
    """
    keys = cls._keys
    known = frozenset(keys)
    slot = cls.__dict__
    plan = tuple((key, slot[key].__set__, convert.get(key)) for key in keys)
    put_extra = slot["extra"].__set__
    put_absent = slot["_absent"].__set__
    new = object.__new__
    missing = _MISSING

    def build(obj: dict[str, Any]) -> T:
        self = new(cls)
        get = obj.get
        absent = 0  # bit i: the i-th key of _keys was not in the source
        bit = 1
        for key, put, conv in plan:
            value = get(key, missing)
            if value is missing:
                absent |= bit
                value = None
            elif conv is not None and value is not None:
                value = conv(value)
            put(self, value)
            bit <<= 1
        put_absent(self, absent)
        if len(obj) + absent.bit_count() != len(plan):  # unknown keys: kept as sent
            put_extra(self, {k: v for k, v in obj.items() if k not in known})
        else:
            put_extra(self, {})
        return self

    return build


def _absent_field() -> Any:
    return field(default=None, repr=False, compare=False)


def _extra_field() -> Any:
    return field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TopLogprob(_ChunkModel):
    """One entry of ``top_logprobs``."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes")

    _validate = staticmethod(_check_top)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TokenLogprob(_ChunkModel):
    """One token of ``logprobs.content`` / ``logprobs.refusal``."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    top_logprobs: tuple[TopLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes", "top_logprobs")

    _validate = staticmethod(_check_token)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceLogprobs(_ChunkModel):
    """A choice's ``logprobs``: token lists for ``content`` and ``refusal``."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    _validate = staticmethod(_check_logprobs)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionDelta(_ChunkModel):
    """A fragment of a tool call's ``function`` (or of a legacy ``function_call``)."""

    name: str | None = None
    arguments: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    _validate = staticmethod(_check_function)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCallDelta(_ChunkModel):
    """A fragment of one tool call in a delta."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "id", "type", "function")

    _validate = staticmethod(_check_tool_call)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceDelta(_ChunkModel):
    """What one chunk adds to one choice's message.

    ``content`` is a string, or (Mistral) a tuple of typed parts as sent. Vendor fields that are
    common enough have their own field (``reasoning_content``: DeepSeek, Qwen, xAI, llama.cpp;
    ``reasoning``: OpenRouter, Groq); every other key is kept in ``extra``.
    """

    role: str | None = None
    content: str | tuple[dict[str, Any], ...] | None = None
    refusal: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] | None = None
    function_call: FunctionDelta | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "role",
        "content",
        "refusal",
        "tool_calls",
        "function_call",
        "reasoning_content",
        "reasoning",
    )

    _validate = staticmethod(_check_delta)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChunkChoice(_ChunkModel):
    """One entry of a chunk's ``choices``."""

    index: int
    delta: ChoiceDelta | None = None
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "delta", "finish_reason", "logprobs")

    _validate = staticmethod(_check_choice)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptTokensDetails(_ChunkModel):
    """``usage.prompt_tokens_details``."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("cached_tokens", "audio_tokens")

    _validate = staticmethod(_check_prompt_details)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionTokensDetails(_ChunkModel):
    """``usage.completion_tokens_details``."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
    )

    _validate = staticmethod(_check_completion_details)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Usage(_ChunkModel):
    """Token usage, as the provider reported it (vendor keys such as ``queue_time`` in
    ``extra``)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    )

    _validate = staticmethod(_check_usage)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChatCompletionChunk(_ChunkModel):
    """One ``chat.completion.chunk``.

    Every field may be ``None``: providers omit or blank them (Azure's content-filter chunks
    have ``id: ""`` and ``created: 0``; some routers leave out ``object``). Unknown top-level
    keys (``x_groq``, ``citations``, ``prompt_filter_results``, ``error``, ...) are in
    ``extra``. ``to_dict(from_dict(d)) == d`` for every valid chunk ``d``.
    """

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: tuple[ChunkChoice, ...] | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: int | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "service_tier",
        "choices",
        "usage",
    )

    _validate = staticmethod(_check_chunk_fields)

    @classmethod
    def from_dict(cls, obj: Any) -> ChatCompletionChunk:
        """Validate ``obj`` (see :func:`validate_chunk`) and build the chunk."""
        return build_chunk(obj)


_TOP_KEYS = frozenset(TopLogprob._keys)
_TOKEN_KEYS = frozenset(TokenLogprob._keys)
_LOGPROBS_KEYS = frozenset(ChoiceLogprobs._keys)
_FUNCTION_KEYS = frozenset(FunctionDelta._keys)
_TOOL_CALL_KEYS = frozenset(ToolCallDelta._keys)
_DELTA_KEYS = frozenset(ChoiceDelta._keys)
_CHOICE_KEYS = frozenset(ChunkChoice._keys)
_PROMPT_DETAIL_KEYS = frozenset(PromptTokensDetails._keys)
_COMPLETION_DETAIL_KEYS = frozenset(CompletionTokensDetails._keys)
_USAGE_KEYS = frozenset(Usage._keys)
_CHUNK_KEYS = frozenset(ChatCompletionChunk._keys)

_new = object.__new__


def _writable(cls: type[_ChunkModel]) -> type[_ChunkModel]:
    """A twin of a frozen chunk class, for its builder: the same slots on the same base, with
    plain attribute assignment.

    A builder fills an instance of the twin (``self.name = value``, which CPython 3.11+
    specializes to a direct slot store) and then makes it an instance of the frozen class
    (``self.__class__ = cls``: allowed because the two lay out their slots alike). Going
    through the frozen class's slot descriptors instead (``descriptor.__set__(self, value)``)
    costs a C-level call with an argument tuple per field, which made up about a sixth of
    ``iter_chunks()``. No twin instance ever leaves its builder: when a check fails the
    half-built one is dropped with the ``_Invalid`` raised.
    """
    twin = type(f"_Writable{cls.__name__}", (_ChunkModel,), {"__slots__": cls.__slots__})
    assert twin.__mro__[1:] == cls.__mro__[1:]  # same base: __class__ assignment allowed
    return twin


_W_TopLogprob = _writable(TopLogprob)
_W_TokenLogprob = _writable(TokenLogprob)


def _build_top(obj: dict[str, Any]) -> TopLogprob:
    # Trusting (validated input), written out: a stream with logprobs has thousands of these.
    self: Any = _new(_W_TopLogprob)
    get = obj.get
    m = _MISSING
    absent = 0
    v = get("token", m)
    if v is m:
        absent |= 1
        v = None
    self.token = v
    v = get("logprob", m)
    if v is m:
        absent |= 2
        v = None
    self.logprob = v
    v = get("bytes", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        v = tuple(v)
    self.bytes = v
    self._absent = absent
    self.extra = _unknown(obj, _TOP_KEYS) if len(obj) + _ONES[absent] != 3 else {}
    self.__class__ = TopLogprob
    return self  # type: ignore[no-any-return]


def _build_token(obj: dict[str, Any]) -> TokenLogprob:
    self: Any = _new(_W_TokenLogprob)
    get = obj.get
    m = _MISSING
    absent = 0
    v = get("token", m)
    if v is m:
        absent |= 1
        v = None
    self.token = v
    v = get("logprob", m)
    if v is m:
        absent |= 2
        v = None
    self.logprob = v
    v = get("bytes", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        v = tuple(v)
    self.bytes = v
    v = get("top_logprobs", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        v = tuple(map(_build_top, v))
    self.top_logprobs = v
    self._absent = absent
    self.extra = _unknown(obj, _TOKEN_KEYS) if len(obj) + _ONES[absent] != 4 else {}
    self.__class__ = TokenLogprob
    return self  # type: ignore[no-any-return]


_set_builder(TopLogprob, _build_top)
_set_builder(TokenLogprob, _build_token)
_set_builder(
    ChoiceLogprobs,
    _builder(
        ChoiceLogprobs,
        content=lambda v: tuple(map(TokenLogprob._build, v)),
        refusal=lambda v: tuple(map(TokenLogprob._build, v)),
    ),
)
_set_builder(PromptTokensDetails, _builder(PromptTokensDetails))
_set_builder(CompletionTokensDetails, _builder(CompletionTokensDetails))
_set_builder(
    Usage,
    _builder(
        Usage,
        prompt_tokens_details=PromptTokensDetails._build,
        completion_tokens_details=CompletionTokensDetails._build,
    ),
)


# The classes every chunk is made of get builders written out in full, which also check the
# types as they go: one pass over the JSON instead of a validation pass and a build pass (they
# are most of the cost of iter_chunks()). A check that fails raises _Invalid; the caller then
# runs the validator, which finds the same problem and says where. Their rules are exactly
# the validator's (tests/test_fastpath.py holds them to it). Each fills an instance of its
# class's writable twin (_writable) and makes it an instance of the class at the end. The
# dense classes (chunk, choice: most keys present) look up each known key; the sparse ones
# (delta, tool call, function: usually one or two keys of up to seven) set every field to None
# and then go over the keys present.


class _Invalid(Exception):
    """A checking builder met a value of the wrong type (never escapes this module's
    callers: they turn it into the validator's ChunkError).

    Raised as a new instance each time (``raise _Invalid``): raising one shared instance again
    and again grows its ``__traceback__`` by every raise, keeping each frame (and the chunk
    in it) alive for good."""


_W_FunctionDelta = _writable(FunctionDelta)
_W_ToolCallDelta = _writable(ToolCallDelta)
_W_ChoiceDelta = _writable(ChoiceDelta)
_W_ChunkChoice = _writable(ChunkChoice)
_W_ChatCompletionChunk = _writable(ChatCompletionChunk)
_build_logprobs = ChoiceLogprobs._build
_build_usage = Usage._build


# The checking builders also say whether what they built holds anything of unbounded depth:
# a vendor value (``extra``, at any level) that is an object or a list, or content parts. They
# set _NESTS in ``_absent`` (above every key's bit) on such an object and on every object
# that holds it. A chunk without it nests at most as deep as the schema (10 levels, down to a
# top logprob's vendor field), so the stream layer need not measure its depth against
# _MAX_DEPTH: knowing it this way costs a few bit operations per object, where counting the
# brackets of the event's text cost as much as building a small object.
_NESTS = 1 << 16

# How many bits are set in each ``absent`` of up to 8 keys: the builders compare
# ``len(obj) + _ONES[absent]`` with the number of known keys to tell whether there are
# unknown ones (a tuple index costs less than int.bit_count()).
_ONES = tuple(bin(i).count("1") for i in range(256))


def _unknown(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


def _build_function(obj: dict[str, Any]) -> FunctionDelta:
    # The sparse classes (a delta, a tool call and its function usually carry one or two of
    # their keys) are built from the keys present: every field None first, then one pass
    # over the source's items. The dense ones (chunk, choice) look up each key instead.
    if type(obj) is not dict:
        raise _Invalid
    self: Any = _new(_W_FunctionDelta)
    self.name = self.arguments = None
    absent = 3  # bit i: the i-th key of _keys was not in the source (cleared when found)
    extra = None
    for key, v in obj.items():
        if key == "arguments":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.arguments = v
            absent ^= 2
        elif key == "name":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.name = v
            absent ^= 1
        elif extra is None:
            extra = {key: v}
        else:
            extra[key] = v
    if extra is None:
        self.extra = {}
    else:
        self.extra = extra
        if _nests(extra):
            absent |= _NESTS
    self._absent = absent
    self.__class__ = FunctionDelta
    return self  # type: ignore[no-any-return]


def _build_tool_call(obj: dict[str, Any]) -> ToolCallDelta:
    if type(obj) is not dict:
        raise _Invalid
    self: Any = _new(_W_ToolCallDelta)
    self.index = self.id = self.type = self.function = None
    absent = 15  # bit i: the i-th key of _keys was not in the source (cleared when found)
    extra = None
    for key, v in obj.items():
        if key == "index":
            if v is not None and (type(v) is not int or v < 0):
                raise _Invalid
            self.index = v
            absent ^= 1
        elif key == "function":
            if v is not None:
                v = _build_function(v)
                absent |= v._absent & _NESTS  # type: ignore[operator]
            self.function = v
            absent ^= 8
        elif key == "id":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.id = v
            absent ^= 2
        elif key == "type":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.type = v
            absent ^= 4
        elif extra is None:
            extra = {key: v}
        else:
            extra[key] = v
    if extra is None:
        self.extra = {}
    else:
        self.extra = extra
        if _nests(extra):
            absent |= _NESTS
    self._absent = absent
    self.__class__ = ToolCallDelta
    return self  # type: ignore[no-any-return]


def _build_delta(obj: dict[str, Any]) -> ChoiceDelta:
    if type(obj) is not dict:
        raise _Invalid
    self: Any = _new(_W_ChoiceDelta)
    self.role = self.content = self.refusal = self.tool_calls = None
    self.function_call = self.reasoning_content = self.reasoning = None
    absent = 127  # bit i: the i-th key of _keys was not in the source (cleared when found)
    extra = None
    for key, v in obj.items():
        if key == "content":
            if type(v) is list:
                for part in v:
                    if type(part) is not dict:
                        raise _Invalid
                v = tuple(v)
                absent |= _NESTS  # content parts: objects of any depth
            elif type(v) is not str and v is not None:
                raise _Invalid
            self.content = v
            absent ^= 2
        elif key == "tool_calls":
            if v is not None:
                if type(v) is not list:
                    raise _Invalid
                if len(v) == 1:  # the usual: one call per chunk (map and tuple cost more)
                    call = _build_tool_call(v[0])
                    absent |= call._absent & _NESTS  # type: ignore[operator]
                    v = (call,)
                else:
                    v = tuple(map(_build_tool_call, v))
                    for call in v:
                        absent |= call._absent & _NESTS
            self.tool_calls = v
            absent ^= 8
        elif key == "reasoning_content":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.reasoning_content = v
            absent ^= 32
        elif key == "role":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.role = v
            absent ^= 1
        elif key == "reasoning":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.reasoning = v
            absent ^= 64
        elif key == "refusal":
            if type(v) is not str and v is not None:
                raise _Invalid
            self.refusal = v
            absent ^= 4
        elif key == "function_call":
            if v is not None:
                v = _build_function(v)
                absent |= v._absent & _NESTS  # type: ignore[operator]
            self.function_call = v
            absent ^= 16
        elif extra is None:
            extra = {key: v}
        else:
            extra[key] = v
    if extra is None:
        self.extra = {}
    else:
        self.extra = extra
        if _nests(extra):
            absent |= _NESTS
    self._absent = absent
    self.__class__ = ChoiceDelta
    return self  # type: ignore[no-any-return]


def _build_choice(obj: dict[str, Any]) -> ChunkChoice:
    if type(obj) is not dict:
        raise _Invalid
    self: Any = _new(_W_ChunkChoice)
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key of _keys was not in the source
    nests = 0  # _NESTS or 0
    v = get("index", m)
    if type(v) is not int or v < 0:
        raise _Invalid  # required
    self.index = v
    v = get("delta", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None:
        v = _build_delta(v)
        nests = v._absent & _NESTS  # type: ignore[operator]
    self.delta = v
    v = get("finish_reason", m)
    if v is m:
        absent |= 4
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.finish_reason = v
    v = get("logprobs", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        if type(v) is not dict:
            raise _Invalid
        try:
            _check_logprobs(v, "")
        except ChunkError:
            raise _Invalid from None
        v = _build_logprobs(v)
        nests |= _logprobs_nest(v)
    self.logprobs = v
    if len(obj) + _ONES[absent] == 4:
        self.extra = {}
    else:
        self.extra, more = _vendor(obj, _CHOICE_KEYS)
        nests |= more
    self._absent = absent | nests
    self.__class__ = ChunkChoice
    return self  # type: ignore[no-any-return]


def _build_chunk(obj: dict[str, Any]) -> ChatCompletionChunk:
    if type(obj) is not dict:
        raise _Invalid
    self: Any = _new(_W_ChatCompletionChunk)
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key of _keys was not in the source
    nests = 0  # _NESTS or 0
    v = get("id", m)
    if v is m:
        absent |= 1
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.id = v
    v = get("object", m)
    if v is m:
        absent |= 2
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.object = v
    v = get("created", m)
    if v is m:
        absent |= 4
        v = None
    elif type(v) is not int and v is not None:
        raise _Invalid
    self.created = v
    v = get("model", m)
    if v is m:
        absent |= 8
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.model = v
    v = get("system_fingerprint", m)
    if v is m:
        absent |= 16
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.system_fingerprint = v
    v = get("service_tier", m)
    if v is m:
        absent |= 32
        v = None
    elif type(v) is not str and v is not None:
        raise _Invalid
    self.service_tier = v
    v = get("choices", m)
    if v is m:
        absent |= 64
        v = None
    elif v is not None:
        if type(v) is not list:
            raise _Invalid
        if len(v) == 1:  # the usual: one choice per chunk
            choice = _build_choice(v[0])
            nests |= choice._absent & _NESTS  # type: ignore[operator]
            v = (choice,)
        else:
            v = tuple(map(_build_choice, v))
            for choice in v:
                nests |= choice._absent & _NESTS
    self.choices = v
    v = get("usage", m)
    if v is m:
        absent |= 128
        v = None
    elif v is not None:
        if type(v) is not dict:
            raise _Invalid
        try:
            _check_usage(v, "")
        except ChunkError:
            raise _Invalid from None
        v = _build_usage(v)
        nests |= _usage_nests(v)
    self.usage = v
    if len(obj) + _ONES[absent] == 8:
        self.extra = {}
    else:
        self.extra, more = _vendor(obj, _CHUNK_KEYS)
        nests |= more
    self._absent = absent | nests
    self.__class__ = ChatCompletionChunk
    return self  # type: ignore[no-any-return]


def _nests(extra: dict[str, Any]) -> bool:
    """Whether a model's vendor fields hold an object or a list (JSON of any depth)."""
    return any(type(v) is dict or type(v) is list for v in extra.values())


def _vendor(obj: dict[str, Any], known: frozenset[str]) -> tuple[dict[str, Any], int]:
    """The unknown keys of ``obj`` (its ``extra``), and ``_NESTS`` if one holds a container."""
    extra = _unknown(obj, known)
    return extra, _NESTS if _nests(extra) else 0


def _tokens_nest(tokens: tuple[TokenLogprob, ...] | None) -> bool:
    for t in tokens or ():
        if t.extra and _nests(t.extra):
            return True
        for top in t.top_logprobs or ():
            if top.extra and _nests(top.extra):
                return True
    return False


def _logprobs_nest(lp: ChoiceLogprobs) -> int:
    if (lp.extra and _nests(lp.extra)) or _tokens_nest(lp.content) or _tokens_nest(lp.refusal):
        return _NESTS
    return 0


def _usage_nests(u: Usage) -> int:
    for part in (u, u.prompt_tokens_details, u.completion_tokens_details):
        if part is not None and part.extra and _nests(part.extra):
            return _NESTS
    return 0


def build_chunk(obj: Any) -> ChatCompletionChunk:
    """Validate and build in one pass: the chunk, or :class:`ChunkError` exactly as
    :func:`validate_chunk` would raise it."""
    try:
        return _build_chunk(obj)
    except _Invalid:
        validate_chunk(obj)  # raises, naming the problem and its path
        raise AssertionError("the builder and the validator disagree") from None


def _checked(
    build: Callable[[dict[str, Any]], T], validate: Callable[[dict[str, Any], str], None]
) -> Callable[[dict[str, Any]], T]:
    def trusting(obj: dict[str, Any]) -> T:
        # Called on validated input only; an _Invalid here would be the builder and the
        # validator disagreeing: the validator's word is taken.
        try:
            return build(obj)
        except _Invalid:
            validate(obj, "")
            raise AssertionError("the builder and the validator disagree") from None

    return trusting


_set_builder(FunctionDelta, _checked(_build_function, _check_function))
_set_builder(ToolCallDelta, _checked(_build_tool_call, _check_tool_call))
_set_builder(ChoiceDelta, _checked(_build_delta, _check_delta))
_set_builder(ChunkChoice, _checked(_build_choice, _check_choice))
_set_builder(ChatCompletionChunk, _checked(_build_chunk, _check_chunk_fields))


# ---------------------------------------------------------------------------------------------
# The assembled completion. Text that grows with the stream may be held as a *pending* value:
# the parts list and how many of its parts belong to this snapshot. It is joined the first time
# the field is read, so ``Accumulator.snapshot()`` costs O(choices), not O(text so far).


class Pending:
    """A value not built yet: ``finish(parts[:count])`` gives it. ``parts`` only ever grows."""

    __slots__ = ("count", "finish", "parts")

    def __init__(self, parts: list[Any], count: int, finish: Callable[[list[Any]], Any]) -> None:
        self.parts = parts
        self.count = count
        self.finish = finish

    def value(self) -> Any:
        parts = self.parts
        return self.finish(parts if self.count == len(parts) else parts[: self.count])


class _LazySlot:
    """Wraps a slot so that a :class:`Pending` stored in it is built on first read."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj, objtype)
        if type(value) is Pending:
            value = value.value()
            self.slot.__set__(obj, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)


C = TypeVar("C", bound=type)


def _lazy(*names: str) -> Callable[[C], C]:
    def wrap(cls: C) -> C:
        for name in names:
            setattr(cls, name, _LazySlot(cls.__dict__[name]))
        return cls

    return wrap


@_lazy("arguments", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionCall(_Model):
    """An assembled function: ``name`` and the joined ``arguments`` string."""

    name: str | None = None
    arguments: str = ""
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "arguments": self.arguments}
        if self.extra:
            _add_extra(out, self.extra, _FUNCTION_OWN)
        return out


@_lazy("extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCall(_Model):
    """An assembled tool call (``type`` is ``"function"`` when the stream never said)."""

    id: str | None = None
    type: str = "function"
    function: FunctionCall = field(default_factory=FunctionCall)
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("id", "type", "function")

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "type": self.type, "function": self.function.to_dict()}
        if self.extra:
            _add_extra(out, self.extra, _TOOL_OWN)
        return out


@_lazy(
    "content", "refusal", "reasoning_content", "reasoning", "content_parts", "annotations", "extra"
)
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Message(_Model):
    """A choice's assembled message.

    ``content``/``refusal``/``reasoning_content``/``reasoning`` are ``None`` unless some
    non-null value arrived (``""`` counts). ``content_parts`` keeps every part of list-typed
    (Mistral) content in order. Vendor delta fields (``annotations``, ``reasoning_details``,
    ``audio``, ...) are in ``extra``.
    """

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] | None = None
    function_call: FunctionCall | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    content_parts: tuple[dict[str, Any], ...] | None = None
    audio: Any = None  # issue 13 interim: MessageAudio once generated
    annotations: tuple[Any, ...] | None = None  # issue 13 interim: tuple[Annotation, ...]
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "role",
        "content",
        "refusal",
        "tool_calls",
        "function_call",
        "reasoning_content",
        "reasoning",
        "content_parts",
        "audio",
        "annotations",
    )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "role": self.role,
            "content": self.content,
            "refusal": self.refusal,
        }
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.function_call is not None:
            out["function_call"] = self.function_call.to_dict()
        if self.reasoning_content is not None:
            out["reasoning_content"] = self.reasoning_content
        if self.reasoning is not None:
            out["reasoning"] = self.reasoning
        if self.content_parts is not None:
            out["content_parts"] = list(self.content_parts)
        if self.audio is not None:
            out["audio"] = self.audio.to_dict()
        if self.annotations is not None:
            out["annotations"] = [_to_json(a) for a in self.annotations]
        if self.extra:
            _add_extra(out, self.extra, _MESSAGE_OWN)
        return out


@_lazy("content", "refusal", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AssembledLogprobs(_Model):
    """A choice's logprobs, extended over the stream (``None`` lists were never sent)."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    def to_dict(self) -> dict[str, Any]:
        out = {"content": _to_json(self.content), "refusal": _to_json(self.refusal)}
        if self.extra:
            _add_extra(out, self.extra, _LOGPROBS_OWN)
        return out


@_lazy("extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Choice(_Model):
    """One assembled choice."""

    index: int
    message: Message = field(default_factory=Message)
    finish_reason: str | None = None
    logprobs: AssembledLogprobs | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "message", "finish_reason", "logprobs")

    def to_dict(self) -> dict[str, Any]:
        out = {
            "index": self.index,
            "message": self.message.to_dict(),
            "finish_reason": self.finish_reason,
            "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
        }
        if self.extra:
            _add_extra(out, self.extra, _CHOICE_OWN)
        return out


@_lazy("error", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChatCompletion(_Model):
    """The assembled ``chat.completion``.

    ``error`` is the provider's in-band error kept in lenient mode; ``warnings`` what was
    tolerated (neither is part of ``to_dict()`` unless ``error`` is set). Unknown top-level
    fields of the chunks (``x_groq``, ``citations``, ...) are in ``extra``.
    """

    id: str | None = None
    object: str = "chat.completion"
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: tuple[Choice, ...] = ()
    usage: Usage | None = None
    error: Any = field(default=None, hash=False)
    warnings: tuple[StreamWarning, ...] = ()
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "service_tier",
        "choices",
        "usage",
    )

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see ``_display``; imported only when a notebook asks)."""
        from ._display import completion_html

        return completion_html(self)

    def _repr_markdown_(self) -> str:
        from ._display import completion_markdown

        return completion_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        """The non-streaming ``chat.completion`` JSON object."""
        out: dict[str, Any] = {
            "id": self.id,
            "object": self.object,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "service_tier": self.service_tier,
            "choices": [choice.to_dict() for choice in self.choices],
            "usage": None if self.usage is None else self.usage.to_dict(),
        }
        if self.error is not None:
            out["error"] = self.error
        if self.extra:
            _add_extra(out, self.extra, _COMPLETION_OWN)
        return out


# What each assembled class's to_dict may write (see VENDOR_KEY).
_FUNCTION_OWN = _own(*FunctionCall._keys)
_TOOL_OWN = _own(*ToolCall._keys)
_MESSAGE_OWN = _own(*Message._keys)
_LOGPROBS_OWN = _own(*AssembledLogprobs._keys)
_CHOICE_OWN = _own(*Choice._keys)
_COMPLETION_OWN = _own(*ChatCompletion._keys, "error")

M = TypeVar("M", bound=_Model)


def _maker(cls: type[M]) -> Callable[..., M]:
    """A positional constructor (values in field order) that fills the slots directly: the
    accumulator builds a completion on every snapshot, and a frozen dataclass's ``__init__``
    sets each field through ``object.__setattr__``. It trusts its caller, like ``__init__``."""
    setters = []
    for f in fields(cls):  # type: ignore[arg-type]
        slot = cls.__dict__[f.name]
        # A lazy field's wrapper would only pass the value on: set the slot itself.
        setters.append((slot.slot if type(slot) is _LazySlot else slot).__set__)
    plan = tuple(setters)
    new = object.__new__

    def make(*values: Any) -> M:
        self = new(cls)
        for put, value in zip(plan, values, strict=True):
            put(self, value)
        return self

    return make


# In field order: see each class.
make_function_call = _maker(FunctionCall)
make_tool_call = _maker(ToolCall)
make_message = _maker(Message)
make_logprobs = _maker(AssembledLogprobs)
make_choice = _maker(Choice)
make_completion = _maker(ChatCompletion)
