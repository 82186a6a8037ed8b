# SPDX-License-Identifier: MIT
"""The models layer: ``dict`` <-> frozen dataclasses for chunks and the assembled completion.

The classes, their checking builders, fast checks and validators are generated from the schema
table (``_schema.py``) into the GENERATED section below by ``python -m chunkstream._gen``; this
file's hand-written part is what they share. Validation lives in ``from_dict`` (and
``validate_chunk``); the plain constructors trust their caller. Field names are the JSON keys;
unknown keys are kept in ``extra`` and written back by ``to_dict``. Knows nothing of SSE or of
the ``json`` module; imports only ``_errors``.
"""

from __future__ import annotations

from _thread import RLock
from collections.abc import Callable, Sequence
from dataclasses import InitVar, dataclass, field, fields
from itertools import repeat
from typing import Any, ClassVar, TypeVar

from ._errors import ChunkError, StreamWarning, describe, shown

__all__ = [
    "Annotation",
    "AssembledLogprobs",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaAudio",
    "ChoiceLogprobs",
    "ChunkChoice",
    "Completion",
    "CompletionChoice",
    "CompletionChoiceLogprobs",
    "CompletionChunk",
    "CompletionChunkChoice",
    "CompletionLogprobs",
    "CompletionTokensDetails",
    "FunctionCall",
    "FunctionDelta",
    "Message",
    "MessageAudio",
    "PromptTokensDetails",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "URLCitation",
    "Usage",
    "validate_chunk",
]

_MISSING: Any = object()
JSON = Any  # a value json.loads could return


# ---------------------------------------------------------------------------------------------
# Validation: ChunkError with a JSON path, the expected type and the value that came. The
# generated validators (_check_*) call these, one per field, in the table's order.


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


def _number(obj: dict[str, Any], key: str, path: str) -> None:
    v = obj.get(key)
    if v is not None and (type(v) is not float and type(v) is not int):
        raise _fail("number or null", f"{path}.{key}", v)


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


def _ints(obj: dict[str, Any], key: str, path: str) -> None:
    items = _list(obj, key, path)
    if items:
        for i, b in enumerate(items):
            if type(b) is not int:
                raise _fail("int", f"{path}.{key}[{i}]", b)


def _strs(obj: dict[str, Any], key: str, path: str) -> None:
    items = _list(obj, key, path)
    if items:
        for i, x in enumerate(items):
            if type(x) is not str:
                raise _fail("str", f"{path}.{key}[{i}]", x)


def _numbers(obj: dict[str, Any], key: str, path: str) -> None:
    items = _list(obj, key, path)
    if items:
        for i, x in enumerate(items):
            if x is not None and type(x) is not float and type(x) is not int:
                raise _fail("number or null", f"{path}.{key}[{i}]", x)


def _dicts(obj: dict[str, Any], key: str, path: str) -> None:
    items = _list(obj, key, path)
    if items:
        for i, x in enumerate(items):
            if x is not None and type(x) is not dict:
                raise _fail("object or null", f"{path}.{key}[{i}]", x)


def _content(obj: dict[str, Any], key: str, path: str) -> None:
    content = obj.get(key)
    if content is not None and type(content) is not str:
        if type(content) is not list:
            raise _fail("str, list of objects or null", f"{path}.{key}", content)
        for i, part in enumerate(content):
            if type(part) is not dict:
                raise _fail("object", f"{path}.{key}[{i}]", part)


# Nesting deeper than this is refused as a bad chunk: the accumulator walks nested vendor
# objects recursively (two frames per level before Python 3.12), and a hostile stream must not
# turn that into a RecursionError. Real chunks nest fewer than 10 levels.
MAX_DEPTH = 100


def too_deep(obj: Any) -> bool:
    """Whether a decoded JSON value nests more than ``MAX_DEPTH`` objects/lists deep
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
            if len(stack) >= MAX_DEPTH:
                return True
            stack.append(iter(child))
            break
        else:
            stack.pop()
    return False


T = TypeVar("T", bound="_ChunkModel")
T2 = TypeVar("T2")


def _to_json(value: Any) -> Any:
    """A field's value as JSON for ``to_dict``: a model written by its own ``to_dict``, a
    tuple as a list, a dict or list (a vendor value, ``moderation``, a content part) copied
    (:func:`_copy_json`), so that editing what ``to_dict`` gave never edits the frozen value."""
    if isinstance(value, _Model):
        return value.to_dict()
    t = type(value)
    if t is tuple:  # a model's tuple: of models, ints or content parts (never of tuples)
        return [_to_json(v) for v in value]
    if t is dict or t is list:
        return _copy_json(value)
    return value


def _copy_json(value: Any, models: bool = True) -> Any:
    """A copy of a JSON value that shares no dict or list with it (with ``models``, a model
    inside one, which a hand-built value may hold, written by its ``to_dict``; without, kept
    as it is, for ``from_dict`` to refuse). Iterative: a value may nest as deep as its source
    did (``from_dict`` takes any depth; the accumulator refuses what nests too deep only after
    ``to_dict``), and must not raise ``RecursionError``."""
    t = type(value)
    if t is not dict and t is not list:
        return value.to_dict() if models and isinstance(value, _Model) else value
    root: Any = {} if t is dict else []
    stack = [(value, root)]
    while stack:
        src, dst = stack.pop()
        for k, v in src.items() if type(src) is dict else enumerate(src):
            t = type(v)
            if t is dict or t is list:
                new: Any = {} if t is dict else []
                stack.append((v, new))
                v = new
            elif models and isinstance(v, _Model):
                v = v.to_dict()
            if type(dst) is dict:
                dst[k] = v
            else:
                dst.append(v)
    return root


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any, limit: int = 64) -> str:
    try:
        return _cut(repr(value), limit)
    except (ValueError, RecursionError):  # an int past sys.get_int_max_str_digits() has no
        return shown(value)  # repr, nor a value nested deeper than the recursion limit


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
    ``to_dict`` gives back what was parsed.) Each value is a copy (:func:`_copy_json`)."""
    if own.isdisjoint(extra):
        for key, value in extra.items():
            out[key] = _copy_json(value)
        return
    moved = {}
    for key, value in extra.items():
        if key in own or key == VENDOR_KEY:
            moved[key] = _copy_json(value)
        else:
            out[key] = _copy_json(value)
    out[VENDOR_KEY] = moved


def _own(*keys: str) -> frozenset[str]:
    return frozenset((*keys, VENDOR_KEY))


_OWN: dict[tuple[str, ...], frozenset[str]] = {}  # a chunk class's _keys, as a set


# The standard ``object`` values say nothing in a repr; other values are shown.
_USUAL_OBJECTS = ("chat.completion", "chat.completion.chunk", "text_completion")


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
    """The chunk side: ``from_dict`` validates a decoded JSON object and builds the value.

    (The assembled classes' ``from_dict`` loads what their ``to_dict`` wrote: see
    :class:`_AssembledModel`.) Each class's ``_build`` (its generated checking
    builder: one pass that checks each value's type and builds, raising ``Invalid`` on the
    first bad one) and ``_validate`` (its generated validator, which names the problem and its
    path) are set below the classes; both come from the same table.

    ``_absent`` is bookkeeping, not data: bit i set when the i-th key of ``_keys`` was not in
    the source (so ``to_dict`` tells a null sent from a key left out), plus the ``NESTS`` flag;
    ``None`` on a value built by hand. It is a slot of this base class, not a dataclass field,
    so ``dataclasses.fields``/``asdict``/``astuple``, ``==``, ``hash`` and ``repr`` never see
    it; the builders store it like any slot. Each class declares it as an ``InitVar`` (see
    :func:`_bookkeeping`): ``__init__`` takes it (``__post_init__`` stores it) and
    ``dataclasses.replace`` carries it over, so a replaced value keeps its source's nulls.
    """

    __slots__ = ("_absent",)
    _absent: int | None

    def __post_init__(self, _absent: int | None) -> None:
        object.__setattr__(self, "_absent", _absent)

    @staticmethod
    def _validate(obj: dict[str, Any], path: str, /) -> None:
        raise NotImplementedError  # replaced by the generated validator

    @classmethod
    def _build(cls: type[T], obj: dict[str, Any]) -> T:
        raise NotImplementedError  # replaced by the generated checking builder

    @classmethod
    def from_dict(cls: type[T], obj: Any) -> T:
        """Validate ``obj`` (a decoded JSON object) and build the value; :class:`ChunkError`
        with a JSON path (relative to this object) when it is not valid."""
        if type(obj) is not dict:
            raise _fail(f"a JSON object ({cls.__name__})", "", obj)
        obj = _copy_json(obj, models=False)  # the value keeps no dict or list of the caller's
        try:
            return cls._build(obj)
        except Invalid:
            cls._validate(obj, "")  # raises, naming the problem and its path
        raise AssertionError("the builder and the validator disagree")


class _ChunkRoot(_ChunkModel):
    """What ``ChatCompletionChunk`` adds: its ``from_dict`` is :func:`build_chunk`, and
    Jupyter's rich display (see ``_display``, imported only when a notebook asks)."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, obj: Any) -> ChatCompletionChunk:
        """Validate ``obj`` (see :func:`validate_chunk`) and build the chunk, which keeps no
        dict or list of ``obj``'s (its vendor values, ``moderation`` and content parts are
        copies: what the caller does to ``obj`` afterwards does not reach the chunk)."""
        return build_chunk(_copy_json(obj, models=False) if type(obj) is dict else obj)

    def to_sse(self) -> bytes:
        """This chunk as one Server-Sent Event: ``b"data: "``, the compact JSON of
        :meth:`to_dict`, ``b"\\n\\n"`` (what a provider sends; ``iter_chunks`` reads it back
        to an equal chunk)."""
        from ._encode import to_sse

        return to_sse(self.to_dict())

    def _repr_html_(self) -> str:
        from ._display import chunk_html

        return chunk_html(self)  # type: ignore[arg-type]

    def _repr_markdown_(self) -> str:
        from ._display import chunk_markdown

        return chunk_markdown(self)  # type: ignore[arg-type]


class _UsageDisplay(_ChunkModel):
    """What ``Usage`` adds: Jupyter's rich display (see ``_display``)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from ._display import usage_html

        return usage_html(self)  # type: ignore[arg-type]

    def _repr_markdown_(self) -> str:
        from ._display import usage_markdown

        return usage_markdown(self)  # type: ignore[arg-type]


A = TypeVar("A", bound="_AssembledModel")


class _AssembledModel(_Model):
    """The assembled side: ``from_dict`` loads what ``to_dict`` wrote (the CLI's JSON output)
    back into the class: ``X.from_dict(x.to_dict()).to_dict() == x.to_dict()``.

    Each value is checked against the field's annotation in the table (``_load_*``, generated
    like the chunk side's builders); chunk-side objects held whole (``Usage``, ...) are loaded by
    their own checking builders. A missing key gives the field's default; a vendor field
    (``extra``) is kept, and those that ``to_dict`` moved under ``"chunkstream_vendor"`` (named
    like a key of the class) are put back. ``warnings`` are not part of the JSON form: a loaded
    completion has none. :class:`ChunkError` with a JSON path when a value does not fit.
    """

    __slots__ = ()

    @staticmethod
    def _load(obj: Any, path: str, /) -> Any:
        raise NotImplementedError  # replaced by the generated loader

    @classmethod
    def from_dict(cls: type[A], obj: Any) -> A:
        """Load ``obj`` (a decoded JSON object in ``to_dict``'s form); :class:`ChunkError`
        naming the JSON path of the first value that does not fit. The value keeps no dict or
        list of ``obj``'s (what it holds of them are copies)."""
        if type(obj) is dict:
            obj = _copy_json(obj, models=False)
        return cls._load(obj, "")  # type: ignore[no-any-return]


def _set_loader(cls: type[_AssembledModel], load: Callable[[Any, str], Any]) -> None:
    cls._load = staticmethod(load)  # type: ignore[method-assign]


def _load_items(value: list[Any], path: str, load: Callable[[Any, str], T2]) -> tuple[T2, ...]:
    """A list's items, each loaded by ``load`` with its path (``.choices[2]``)."""
    return tuple([load(item, f"{path}[{i}]") for i, item in enumerate(value)])


def _load_object(value: Any, path: str) -> dict[str, Any]:
    """An object kept as sent (a content part)."""
    if type(value) is not dict:
        raise _fail("object", path, value)
    return value


def _load_str(value: Any, path: str) -> str:
    if type(value) is not str:
        raise _fail("str", path, value)
    return value


def _load_int(value: Any, path: str) -> int:
    if type(value) is not int:
        raise _fail("int", path, value)
    return value


def _load_number_or_null(value: Any, path: str) -> float | None:
    if value is not None and type(value) is not float and type(value) is not int:
        raise _fail("number or null", path, value)
    return value


def _load_object_or_null(value: Any, path: str) -> dict[str, Any] | None:
    if value is not None and type(value) is not dict:
        raise _fail("object or null", path, value)
    return value


def _chunk_loader(cls: type[T]) -> Callable[[Any, str], T]:
    """A loader (``(value, path)``) for a chunk-side class held whole by an assembled one: its
    checking builder, and its validator to name the path when the builder refuses."""

    def load(value: Any, path: str) -> T:
        if type(value) is not dict:
            raise _fail(f"an object ({cls.__name__})", path, value)
        try:
            return cls._build(value)
        except Invalid:
            cls._validate(value, path)  # raises, naming the problem and its path
        raise AssertionError("the builder and the validator disagree")

    return load


def _load_extra(obj: dict[str, Any], keys: tuple[str, ...], path: str) -> dict[str, Any]:
    """The vendor fields of an assembled object's JSON (the keys not in ``keys``), with those
    that ``to_dict`` moved under ``VENDOR_KEY`` put back (see :func:`_add_extra`)."""
    extra = {k: v for k, v in obj.items() if k not in keys and k != VENDOR_KEY}
    if VENDOR_KEY in obj:
        moved = obj[VENDOR_KEY]
        where = f"{path}.{VENDOR_KEY}"
        if type(moved) is not dict:
            raise _fail("object", where, moved)
        if not moved:  # to_dict never writes it empty: loading it would drop it
            raise _fail("a non-empty object (to_dict writes none empty)", where, moved)
        for key in moved:
            # to_dict moves only the object's own names there: any other came from elsewhere,
            # and putting it back beside its namesake (or in its place) would lose one of them.
            if key not in keys and key != VENDOR_KEY:
                raise ChunkError(
                    f"expected only fields named like a key of the object at {where} (to_dict "
                    f"moves nothing else there), got the key {shown(key)}",
                    path=where,
                )
        extra.update(moved)
    return extra


class _FunctionCallArguments(_AssembledModel):
    """What ``FunctionCall`` (a tool call's ``function``, a message's ``function_call``) adds:
    its ``arguments`` as data."""

    __slots__ = ()

    def parse_arguments(self) -> dict[str, Any]:
        """The ``arguments`` parsed: a ``dict`` (``{}`` for blank arguments: a call without
        any). :class:`InvalidJSONError` when they are not a JSON object (cut by a ``length``
        finish, a provider's bug), with the ``position`` where the JSON breaks. Parsed on each
        call: keep the result."""
        from ._partial import load_arguments  # the json module is the partial layer's

        name = getattr(self, "name", None)
        return load_arguments(getattr(self, "arguments", ""), name)


class _CompletionDisplay(_AssembledModel):
    """What ``ChatCompletion`` adds: Jupyter's rich display (see ``_display``, imported only
    when a notebook asks)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from ._display import completion_html

        return completion_html(self)  # type: ignore[arg-type]

    def _repr_markdown_(self) -> str:
        from ._display import completion_markdown

        return completion_markdown(self)  # type: ignore[arg-type]


def _set_builder(
    cls: type[_ChunkModel],
    build: Callable[[Any], Any],
    validate: Callable[[dict[str, Any], str], None],
) -> None:
    cls._build = staticmethod(build)  # type: ignore[method-assign,assignment]
    cls._validate = staticmethod(validate)  # type: ignore[method-assign]


def _bookkeeping(cls: type[_ChunkModel]) -> None:
    """Make the ``_absent`` of a generated chunk class (declared ``InitVar``, see
    :class:`_ChunkModel`) the base class's slot, and pickle (and ``copy``) it with the fields.

    ``@dataclass`` leaves an ``InitVar``'s default on the class, where it would hide the slot:
    it goes. A frozen slotted dataclass pickles its fields only (``__getstate__`` is the list of
    their values; Python 3.10 sets it even over the class's own): the state is that list with
    ``_absent`` after it, the layout of the pickles written while ``_absent`` was a field."""
    delattr(cls, "_absent")
    names = tuple([f.name for f in fields(cls)])  # type: ignore[arg-type]
    with_absent = (*names, "_absent")

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, name) for name in with_absent]

    def __setstate__(self: Any, state: list[Any]) -> None:
        object.__setattr__(self, "_absent", None)  # a state without it: built by hand
        for name, value in zip(with_absent, state, strict=False):
            object.__setattr__(self, name, value)

    cls.__getstate__ = __getstate__  # type: ignore[attr-defined]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]


def _extra_field() -> Any:
    return field(default_factory=dict, hash=False)


def _writable(cls: type[_Model]) -> type[_Model]:
    """A twin of a frozen class, for its builder or maker: the same slots on the same base,
    with plain attribute assignment (an assembled class's lazy fields included: the twin's
    slots are the plain ones under the class's wrappers).

    A builder fills an instance of the twin (``self.name = value``, which CPython 3.11+
    specializes to a direct slot store) and then makes it an instance of the frozen class
    (``self.__class__ = cls``: allowed because the two lay out their slots alike). Going
    through the frozen class's slot descriptors instead (``descriptor.__set__(self, value)``)
    costs a C-level call with an argument tuple per field, which made up about a sixth of
    ``iter_chunks()``. No twin instance ever leaves its builder: when a check fails the
    half-built one is dropped with the ``_Invalid`` raised. The template path's fillers make
    theirs by calling the twin (``_W_Name()``: ``object``'s own ``__new__`` and ``__init__``,
    no base defines either), which costs less than ``object.__new__(twin)``.
    """
    twin = type(f"_Writable{cls.__name__}", cls.__bases__, {"__slots__": cls.__slots__})
    assert twin.__mro__[1:] == cls.__mro__[1:]  # same base: __class__ assignment allowed
    return twin


class Invalid(Exception):
    """A checking builder met a value of the wrong type (never escapes this module's
    callers: they turn it into the validator's ChunkError).

    Raised as a new instance each time (``raise Invalid``): raising one shared instance again
    and again grows its ``__traceback__`` by every raise, keeping each frame (and the chunk
    in it) alive for good."""


def _nests(extra: dict[str, Any]) -> bool:
    """Whether a model's vendor fields hold an object or a list (JSON of any depth)."""
    return any(type(v) is dict or type(v) is list for v in extra.values())


def _unknown(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


# ---------------------------------------------------------------------------------------------
# The assembled completion. Text that grows with the stream may be held as a *pending* value:
# the parts list and how many of its parts belong to this snapshot. It is joined the first time
# the field is read, so ``Accumulator.snapshot()`` does not cost O(text so far). A snapshot's
# choices and a message's tool calls are Pendings too (of the accumulator's captured states).


class Pending:
    """A value not built yet: ``finish(parts[:count])`` gives it. ``parts`` only ever grows."""

    __slots__ = ("count", "finish", "parts")

    def __init__(self, parts: list[Any], count: int, finish: Callable[[list[Any]], Any]) -> None:
        self.parts = parts
        self.count = count
        self.finish = finish

    def value(self) -> Any:
        # Always a copy of the first ``count`` parts, taken in one step: a thread may append to
        # ``parts`` (it feeds the stream) while another reads a snapshot; comparing the count
        # with the length, then handing over the live list, let later parts in between.
        return self.finish(self.parts[: self.count])


_BUILDING = RLock()  # see _LazySlot.__get__


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
            # Built and stored under a lock: two threads reading one unread field get one
            # object, as they would from an eagerly built one (without it both could build,
            # and what one changed in its object was lost to later reads). Reentrant: a build
            # may read another lazy field.
            with _BUILDING:
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


_new = object.__new__


# --- BEGIN GENERATED CODE (python -m chunkstream._gen; do not edit by hand) ---
# fmt: off
# From _schema.py. The chunk side: classes, fast checks, validators and
# checking builders. The assembled side: classes (to_dict) and makers.

# Set in ``_absent`` (above every key's bit) on an object holding a vendor
# value that is an object or a list, or content parts, and on every object
# holding it: without it, an object nests no deeper than the schema.
NESTS = 1 << 11


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TopLogprob(_ChunkModel):
    """One entry of ``top_logprobs``."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.token
        if v is not None or (absent is not None and not absent & 1):
            out["token"] = v if type(v) is str else _to_json(v)
        v = self.logprob
        if v is not None or (absent is not None and not absent & 2):
            out["logprob"] = v if type(v) is int else _to_json(v)
        v = self.bytes
        if v is not None or (absent is not None and not absent & 4):
            out["bytes"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_TOP_LOGPROB)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TokenLogprob(_ChunkModel):
    """One token of ``logprobs.content`` / ``logprobs.refusal``."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    top_logprobs: tuple[TopLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes", "top_logprobs")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.token
        if v is not None or (absent is not None and not absent & 1):
            out["token"] = v if type(v) is str else _to_json(v)
        v = self.logprob
        if v is not None or (absent is not None and not absent & 2):
            out["logprob"] = v if type(v) is int else _to_json(v)
        v = self.bytes
        if v is not None or (absent is not None and not absent & 4):
            out["bytes"] = _to_json(v)
        v = self.top_logprobs
        if v is not None or (absent is not None and not absent & 8):
            out["top_logprobs"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_TOKEN_LOGPROB)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceLogprobs(_ChunkModel):
    """A choice's ``logprobs``: token lists for ``content`` and ``refusal``."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.content
        if v is not None or (absent is not None and not absent & 1):
            out["content"] = _to_json(v)
        v = self.refusal
        if v is not None or (absent is not None and not absent & 2):
            out["refusal"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_CHOICE_LOGPROBS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionDelta(_ChunkModel):
    """A fragment of a tool call's ``function`` (or of a legacy ``function_call``)."""

    name: str | None = None
    arguments: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.name
        if v is not None or (absent is not None and not absent & 1):
            out["name"] = v if type(v) is str else _to_json(v)
        v = self.arguments
        if v is not None or (absent is not None and not absent & 2):
            out["arguments"] = v if type(v) is str else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_FUNCTION_DELTA)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCallDelta(_ChunkModel):
    """A fragment of one tool call in a delta."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("index", "id", "type", "function")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.index
        if v is not None or (absent is not None and not absent & 1):
            out["index"] = v if type(v) is int else _to_json(v)
        v = self.id
        if v is not None or (absent is not None and not absent & 2):
            out["id"] = v if type(v) is str else _to_json(v)
        v = self.type
        if v is not None or (absent is not None and not absent & 4):
            out["type"] = v if type(v) is str else _to_json(v)
        v = self.function
        if v is not None or (absent is not None and not absent & 8):
            out["function"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_TOOL_CALL_DELTA)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceDeltaAudio(_ChunkModel):
    """A fragment of audio output (``delta.audio``): the audio's ``id`` and ``expires_at``,
    and pieces of its base64 ``data`` and of its ``transcript``.
    """

    id: str | None = None
    data: str | None = None
    transcript: str | None = None
    expires_at: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("id", "data", "transcript", "expires_at")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.id
        if v is not None or (absent is not None and not absent & 1):
            out["id"] = v if type(v) is str else _to_json(v)
        v = self.data
        if v is not None or (absent is not None and not absent & 2):
            out["data"] = v if type(v) is str else _to_json(v)
        v = self.transcript
        if v is not None or (absent is not None and not absent & 4):
            out["transcript"] = v if type(v) is str else _to_json(v)
        v = self.expires_at
        if v is not None or (absent is not None and not absent & 8):
            out["expires_at"] = v if type(v) is int else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_CHOICE_DELTA_AUDIO)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class URLCitation(_ChunkModel):
    """A web search result cited by the message (``annotations[].url_citation``)."""

    start_index: int | None = None
    end_index: int | None = None
    url: str | None = None
    title: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("start_index", "end_index", "url", "title")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.start_index
        if v is not None or (absent is not None and not absent & 1):
            out["start_index"] = v if type(v) is int else _to_json(v)
        v = self.end_index
        if v is not None or (absent is not None and not absent & 2):
            out["end_index"] = v if type(v) is int else _to_json(v)
        v = self.url
        if v is not None or (absent is not None and not absent & 4):
            out["url"] = v if type(v) is str else _to_json(v)
        v = self.title
        if v is not None or (absent is not None and not absent & 8):
            out["title"] = v if type(v) is str else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_URL_CITATION)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Annotation(_ChunkModel):
    """An annotation of the message's text (``type`` ``url_citation``: a web search
    citation), kept whole.
    """

    type: str | None = None
    url_citation: URLCitation | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("type", "url_citation")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.type
        if v is not None or (absent is not None and not absent & 1):
            out["type"] = v if type(v) is str else _to_json(v)
        v = self.url_citation
        if v is not None or (absent is not None and not absent & 2):
            out["url_citation"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_ANNOTATION)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceDelta(_ChunkModel):
    """What one chunk adds to one choice's message.

    ``content`` is a string, or (Mistral) a tuple of typed parts as sent. Vendor fields
    common enough have their own field (``reasoning_content``: DeepSeek, Qwen, xAI,
    llama.cpp; ``reasoning``: OpenRouter, Groq); every other key is kept in ``extra``.
    """

    role: str | None = None
    content: str | tuple[dict[str, Any], ...] | None = field(default=None, hash=False)
    refusal: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] | None = None
    function_call: FunctionDelta | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    audio: ChoiceDeltaAudio | None = None
    annotations: tuple[Annotation, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "role",
        "content",
        "refusal",
        "tool_calls",
        "function_call",
        "reasoning_content",
        "reasoning",
        "audio",
        "annotations",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.role
        if v is not None or (absent is not None and not absent & 1):
            out["role"] = v if type(v) is str else _to_json(v)
        v = self.content
        if v is not None or (absent is not None and not absent & 2):
            out["content"] = v if type(v) is str else _to_json(v)
        v = self.refusal
        if v is not None or (absent is not None and not absent & 4):
            out["refusal"] = v if type(v) is str else _to_json(v)
        v = self.tool_calls
        if v is not None or (absent is not None and not absent & 8):
            out["tool_calls"] = _to_json(v)
        v = self.function_call
        if v is not None or (absent is not None and not absent & 16):
            out["function_call"] = _to_json(v)
        v = self.reasoning_content
        if v is not None or (absent is not None and not absent & 32):
            out["reasoning_content"] = v if type(v) is str else _to_json(v)
        v = self.reasoning
        if v is not None or (absent is not None and not absent & 64):
            out["reasoning"] = v if type(v) is str else _to_json(v)
        v = self.audio
        if v is not None or (absent is not None and not absent & 128):
            out["audio"] = _to_json(v)
        v = self.annotations
        if v is not None or (absent is not None and not absent & 256):
            out["annotations"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_CHOICE_DELTA)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChunkChoice(_ChunkModel):
    """One entry of a chunk's ``choices``."""

    index: int
    delta: ChoiceDelta | None = None
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("index", "delta", "finish_reason", "logprobs")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.index
        if v is not None or (absent is not None and not absent & 1):
            out["index"] = v if type(v) is int else _to_json(v)
        v = self.delta
        if v is not None or (absent is not None and not absent & 2):
            out["delta"] = _to_json(v)
        v = self.finish_reason
        if v is not None or (absent is not None and not absent & 4):
            out["finish_reason"] = v if type(v) is str else _to_json(v)
        v = self.logprobs
        if v is not None or (absent is not None and not absent & 8):
            out["logprobs"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_CHUNK_CHOICE)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptTokensDetails(_ChunkModel):
    """``usage.prompt_tokens_details``."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None
    cache_write_tokens: int | None = None
    image_tokens: int | None = None
    text_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "cached_tokens",
        "audio_tokens",
        "cache_write_tokens",
        "image_tokens",
        "text_tokens",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.cached_tokens
        if v is not None or (absent is not None and not absent & 1):
            out["cached_tokens"] = v if type(v) is int else _to_json(v)
        v = self.audio_tokens
        if v is not None or (absent is not None and not absent & 2):
            out["audio_tokens"] = v if type(v) is int else _to_json(v)
        v = self.cache_write_tokens
        if v is not None or (absent is not None and not absent & 4):
            out["cache_write_tokens"] = v if type(v) is int else _to_json(v)
        v = self.image_tokens
        if v is not None or (absent is not None and not absent & 8):
            out["image_tokens"] = v if type(v) is int else _to_json(v)
        v = self.text_tokens
        if v is not None or (absent is not None and not absent & 16):
            out["text_tokens"] = v if type(v) is int else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_PROMPT_TOKENS_DETAILS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionTokensDetails(_ChunkModel):
    """``usage.completion_tokens_details``."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None
    text_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
        "text_tokens",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.reasoning_tokens
        if v is not None or (absent is not None and not absent & 1):
            out["reasoning_tokens"] = v if type(v) is int else _to_json(v)
        v = self.audio_tokens
        if v is not None or (absent is not None and not absent & 2):
            out["audio_tokens"] = v if type(v) is int else _to_json(v)
        v = self.accepted_prediction_tokens
        if v is not None or (absent is not None and not absent & 4):
            out["accepted_prediction_tokens"] = v if type(v) is int else _to_json(v)
        v = self.rejected_prediction_tokens
        if v is not None or (absent is not None and not absent & 8):
            out["rejected_prediction_tokens"] = v if type(v) is int else _to_json(v)
        v = self.text_tokens
        if v is not None or (absent is not None and not absent & 16):
            out["text_tokens"] = v if type(v) is int else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_COMPLETION_TOKENS_DETAILS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Usage(_UsageDisplay):
    """Token usage, as the provider reported it (vendor keys such as ``queue_time`` in
    ``extra``).
    """

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.prompt_tokens
        if v is not None or (absent is not None and not absent & 1):
            out["prompt_tokens"] = v if type(v) is int else _to_json(v)
        v = self.completion_tokens
        if v is not None or (absent is not None and not absent & 2):
            out["completion_tokens"] = v if type(v) is int else _to_json(v)
        v = self.total_tokens
        if v is not None or (absent is not None and not absent & 4):
            out["total_tokens"] = v if type(v) is int else _to_json(v)
        v = self.prompt_tokens_details
        if v is not None or (absent is not None and not absent & 8):
            out["prompt_tokens_details"] = _to_json(v)
        v = self.completion_tokens_details
        if v is not None or (absent is not None and not absent & 16):
            out["completion_tokens_details"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_USAGE)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChatCompletionChunk(_ChunkRoot):
    """One ``chat.completion.chunk``.

    Every field may be ``None``: providers omit or blank them (Azure's content-filter
    chunks have ``id: ""`` and ``created: 0``; some routers leave out ``object``).
    ``obfuscation`` is OpenAI's per-chunk padding (``stream_options.include_obfuscation``):
    it is kept on the chunk and is not part of the assembled completion.
    ``moderation`` is OpenAI's moderation of the input and output, kept as sent. Unknown
    top-level keys (``x_groq``, ``citations``, ``prompt_filter_results``, ``error``, ...)
    are in ``extra``. ``to_dict(from_dict(d)) == d`` for every valid chunk ``d``.
    """

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: tuple[ChunkChoice, ...] | None = None
    usage: Usage | None = None
    obfuscation: str | None = None
    moderation: dict[str, Any] | None = field(default=None, hash=False)
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "service_tier",
        "choices",
        "usage",
        "obfuscation",
        "moderation",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.id
        if v is not None or (absent is not None and not absent & 1):
            out["id"] = v if type(v) is str else _to_json(v)
        v = self.object
        if v is not None or (absent is not None and not absent & 2):
            out["object"] = v if type(v) is str else _to_json(v)
        v = self.created
        if v is not None or (absent is not None and not absent & 4):
            out["created"] = v if type(v) is int else _to_json(v)
        v = self.model
        if v is not None or (absent is not None and not absent & 8):
            out["model"] = v if type(v) is str else _to_json(v)
        v = self.system_fingerprint
        if v is not None or (absent is not None and not absent & 16):
            out["system_fingerprint"] = v if type(v) is str else _to_json(v)
        v = self.service_tier
        if v is not None or (absent is not None and not absent & 32):
            out["service_tier"] = v if type(v) is str else _to_json(v)
        v = self.choices
        if v is not None or (absent is not None and not absent & 64):
            out["choices"] = _to_json(v)
        v = self.usage
        if v is not None or (absent is not None and not absent & 128):
            out["usage"] = _to_json(v)
        v = self.obfuscation
        if v is not None or (absent is not None and not absent & 256):
            out["obfuscation"] = v if type(v) is str else _to_json(v)
        v = self.moderation
        if v is not None or (absent is not None and not absent & 512):
            out["moderation"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_CHAT_COMPLETION_CHUNK)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionLogprobs(_ChunkModel):
    """A legacy choice's ``logprobs``: parallel lists, one entry per token (``top_logprobs``
    entries are objects token -> logprob, kept as sent; an entry may be null), or the
    chat-shaped ``content`` list llama.cpp's server sends.
    """

    tokens: tuple[str, ...] | None = None
    token_logprobs: tuple[float | None, ...] | None = None
    top_logprobs: tuple[dict[str, Any] | None, ...] | None = field(default=None, hash=False)
    text_offset: tuple[int, ...] | None = None
    content: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "tokens",
        "token_logprobs",
        "top_logprobs",
        "text_offset",
        "content",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.tokens
        if v is not None or (absent is not None and not absent & 1):
            out["tokens"] = _to_json(v)
        v = self.token_logprobs
        if v is not None or (absent is not None and not absent & 2):
            out["token_logprobs"] = _to_json(v)
        v = self.top_logprobs
        if v is not None or (absent is not None and not absent & 4):
            out["top_logprobs"] = _to_json(v)
        v = self.text_offset
        if v is not None or (absent is not None and not absent & 8):
            out["text_offset"] = _to_json(v)
        v = self.content
        if v is not None or (absent is not None and not absent & 16):
            out["content"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_COMPLETION_LOGPROBS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionChunkChoice(_ChunkModel):
    """One entry of a ``text_completion`` chunk's ``choices``: a piece of the choice's text."""

    index: int
    text: str | None = None
    logprobs: CompletionLogprobs | None = None
    finish_reason: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = ("index", "text", "logprobs", "finish_reason")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.index
        if v is not None or (absent is not None and not absent & 1):
            out["index"] = v if type(v) is int else _to_json(v)
        v = self.text
        if v is not None or (absent is not None and not absent & 2):
            out["text"] = v if type(v) is str else _to_json(v)
        v = self.logprobs
        if v is not None or (absent is not None and not absent & 4):
            out["logprobs"] = _to_json(v)
        v = self.finish_reason
        if v is not None or (absent is not None and not absent & 8):
            out["finish_reason"] = v if type(v) is str else _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_COMPLETION_CHUNK_CHOICE)
        return out


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionChunk(_ChunkModel):
    """One chunk of a legacy Completions stream (``"object": "text_completion"``).

    Every field may be ``None``, as in a chat chunk. Unknown top-level keys are in ``extra``.
    """

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    choices: tuple[CompletionChunkChoice, ...] | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: InitVar[int | None] = None

    _keys: ClassVar[tuple[str, ...]] = (
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = self._absent
        v: Any = self.id
        if v is not None or (absent is not None and not absent & 1):
            out["id"] = v if type(v) is str else _to_json(v)
        v = self.object
        if v is not None or (absent is not None and not absent & 2):
            out["object"] = v if type(v) is str else _to_json(v)
        v = self.created
        if v is not None or (absent is not None and not absent & 4):
            out["created"] = v if type(v) is int else _to_json(v)
        v = self.model
        if v is not None or (absent is not None and not absent & 8):
            out["model"] = v if type(v) is str else _to_json(v)
        v = self.system_fingerprint
        if v is not None or (absent is not None and not absent & 16):
            out["system_fingerprint"] = v if type(v) is str else _to_json(v)
        v = self.choices
        if v is not None or (absent is not None and not absent & 32):
            out["choices"] = _to_json(v)
        v = self.usage
        if v is not None or (absent is not None and not absent & 64):
            out["usage"] = _to_json(v)
        if self.extra:
            _add_extra(out, self.extra, _KNOWN_COMPLETION_CHUNK)
        return out


_KNOWN_TOP_LOGPROB = frozenset(TopLogprob._keys)
_W_TopLogprob = _writable(TopLogprob)
_bookkeeping(TopLogprob)
_KNOWN_TOKEN_LOGPROB = frozenset(TokenLogprob._keys)
_W_TokenLogprob = _writable(TokenLogprob)
_bookkeeping(TokenLogprob)
_KNOWN_CHOICE_LOGPROBS = frozenset(ChoiceLogprobs._keys)
_W_ChoiceLogprobs = _writable(ChoiceLogprobs)
_bookkeeping(ChoiceLogprobs)
_KNOWN_FUNCTION_DELTA = frozenset(FunctionDelta._keys)
_W_FunctionDelta = _writable(FunctionDelta)
_bookkeeping(FunctionDelta)
_KNOWN_TOOL_CALL_DELTA = frozenset(ToolCallDelta._keys)
_W_ToolCallDelta = _writable(ToolCallDelta)
_bookkeeping(ToolCallDelta)
_KNOWN_CHOICE_DELTA_AUDIO = frozenset(ChoiceDeltaAudio._keys)
_W_ChoiceDeltaAudio = _writable(ChoiceDeltaAudio)
_bookkeeping(ChoiceDeltaAudio)
_KNOWN_URL_CITATION = frozenset(URLCitation._keys)
_W_URLCitation = _writable(URLCitation)
_bookkeeping(URLCitation)
_KNOWN_ANNOTATION = frozenset(Annotation._keys)
_W_Annotation = _writable(Annotation)
_bookkeeping(Annotation)
_KNOWN_CHOICE_DELTA = frozenset(ChoiceDelta._keys)
_W_ChoiceDelta = _writable(ChoiceDelta)
_bookkeeping(ChoiceDelta)
_KNOWN_CHUNK_CHOICE = frozenset(ChunkChoice._keys)
_W_ChunkChoice = _writable(ChunkChoice)
_bookkeeping(ChunkChoice)
_KNOWN_PROMPT_TOKENS_DETAILS = frozenset(PromptTokensDetails._keys)
_W_PromptTokensDetails = _writable(PromptTokensDetails)
_bookkeeping(PromptTokensDetails)
_KNOWN_COMPLETION_TOKENS_DETAILS = frozenset(CompletionTokensDetails._keys)
_W_CompletionTokensDetails = _writable(CompletionTokensDetails)
_bookkeeping(CompletionTokensDetails)
_KNOWN_USAGE = frozenset(Usage._keys)
_W_Usage = _writable(Usage)
_bookkeeping(Usage)
_KNOWN_CHAT_COMPLETION_CHUNK = frozenset(ChatCompletionChunk._keys)
_W_ChatCompletionChunk = _writable(ChatCompletionChunk)
_bookkeeping(ChatCompletionChunk)
_KNOWN_COMPLETION_LOGPROBS = frozenset(CompletionLogprobs._keys)
_W_CompletionLogprobs = _writable(CompletionLogprobs)
_bookkeeping(CompletionLogprobs)
_KNOWN_COMPLETION_CHUNK_CHOICE = frozenset(CompletionChunkChoice._keys)
_W_CompletionChunkChoice = _writable(CompletionChunkChoice)
_bookkeeping(CompletionChunkChoice)
_KNOWN_COMPLETION_CHUNK = frozenset(CompletionChunk._keys)
_W_CompletionChunk = _writable(CompletionChunk)
_bookkeeping(CompletionChunk)


def _ok_top_logprob(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("token")
    if v is not None and type(v) is not str:
        return False
    v = get("logprob")
    if v is not None and type(v) is not float and type(v) is not int:
        return False
    v = get("bytes")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if type(x) is not int:
                return False
    return True


def _check_top_logprob(obj: dict[str, Any], path: str) -> None:
    _str(obj, "token", path)
    _number(obj, "logprob", path)
    _ints(obj, "bytes", path)


def _build_top_logprob(obj: Any) -> TopLogprob:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_TopLogprob)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("token", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.token = v
    v = get("logprob", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not float and type(v) is not int:
        raise Invalid
    self.logprob = v
    v = get("bytes", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if type(x) is not int:
                raise Invalid
        v = tuple(v)
    self.bytes = v
    if len(obj) + absent.bit_count() == 3:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_TOP_LOGPROB)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = TopLogprob
    return self  # type: ignore[no-any-return]


def _ok_token_logprob(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("token")
    if v is not None and type(v) is not str:
        return False
    v = get("logprob")
    if v is not None and type(v) is not float and type(v) is not int:
        return False
    v = get("bytes")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if type(x) is not int:
                return False
    v = get("top_logprobs")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_top_logprob(x):
                return False
    return True


def _check_token_logprob(obj: dict[str, Any], path: str) -> None:
    _str(obj, "token", path)
    _number(obj, "logprob", path)
    _ints(obj, "bytes", path)
    for i, item in enumerate(_objects(obj, "top_logprobs", path)):
        _check_top_logprob(item, f"{path}.top_logprobs[{i}]")


def _build_token_logprob(obj: Any) -> TokenLogprob:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_TokenLogprob)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("token", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.token = v
    v = get("logprob", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not float and type(v) is not int:
        raise Invalid
    self.logprob = v
    v = get("bytes", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if type(x) is not int:
                raise Invalid
        v = tuple(v)
    self.bytes = v
    v = get("top_logprobs", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_top_logprob(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_top_logprob, v))
            for x in v:
                nests |= x._absent & NESTS
    self.top_logprobs = v
    if len(obj) + absent.bit_count() == 4:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_TOKEN_LOGPROB)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = TokenLogprob
    return self  # type: ignore[no-any-return]


def _ok_choice_logprobs(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("content")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_token_logprob(x):
                return False
    v = get("refusal")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_token_logprob(x):
                return False
    return True


def _check_choice_logprobs(obj: dict[str, Any], path: str) -> None:
    for i, item in enumerate(_objects(obj, "content", path)):
        _check_token_logprob(item, f"{path}.content[{i}]")
    for i, item in enumerate(_objects(obj, "refusal", path)):
        _check_token_logprob(item, f"{path}.refusal[{i}]")


def _build_choice_logprobs(obj: Any) -> ChoiceLogprobs:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ChoiceLogprobs)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("content", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_token_logprob(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_token_logprob, v))
            for x in v:
                nests |= x._absent & NESTS
    self.content = v
    v = get("refusal", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_token_logprob(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_token_logprob, v))
            for x in v:
                nests |= x._absent & NESTS
    self.refusal = v
    if len(obj) + absent.bit_count() == 2:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_CHOICE_LOGPROBS)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = ChoiceLogprobs
    return self  # type: ignore[no-any-return]


def _ok_function_delta(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    for key, v in obj.items():
        if key == "name" and v is not None and type(v) is not str:
            return False
        elif key == "arguments" and v is not None and type(v) is not str:
            return False
    return True


def _check_function_delta(obj: dict[str, Any], path: str) -> None:
    _str(obj, "name", path)
    _str(obj, "arguments", path)


def _build_function_delta(obj: Any) -> FunctionDelta:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_FunctionDelta)
    nests = 0
    self.name = self.arguments = None
    absent = 3  # bit i: the i-th key was not there
    extra = None
    for key, v in obj.items():
        if key == "arguments":
            if v is not None and type(v) is not str:
                raise Invalid
            self.arguments = v
            absent ^= 2
        elif key == "name":
            if v is not None and type(v) is not str:
                raise Invalid
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
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = FunctionDelta
    return self  # type: ignore[no-any-return]


def _ok_tool_call_delta(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    for key, v in obj.items():
        if key == "index" and v is not None and (type(v) is not int or v < 0):
            return False
        elif key == "id" and v is not None and type(v) is not str:
            return False
        elif key == "type" and v is not None and type(v) is not str:
            return False
        elif key == "function" and v is not None and not _ok_function_delta(v):
            return False
    return True


def _check_tool_call_delta(obj: dict[str, Any], path: str) -> None:
    _index(obj, "index", path, required=False)
    _str(obj, "id", path)
    _str(obj, "type", path)
    v = _obj(obj, "function", path)
    if v is not None:
        _check_function_delta(v, f"{path}.function")


def _build_tool_call_delta(obj: Any) -> ToolCallDelta:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ToolCallDelta)
    nests = 0
    self.index = self.id = self.type = self.function = None
    absent = 15  # bit i: the i-th key was not there
    extra = None
    for key, v in obj.items():
        if key == "function":
            if v is not None:
                v = _build_function_delta(v)
                nests |= v._absent & NESTS  # type: ignore[operator]
            self.function = v
            absent ^= 8
        elif key == "index":
            if v is not None and (type(v) is not int or v < 0):
                raise Invalid
            self.index = v
            absent ^= 1
        elif key == "id":
            if v is not None and type(v) is not str:
                raise Invalid
            self.id = v
            absent ^= 2
        elif key == "type":
            if v is not None and type(v) is not str:
                raise Invalid
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
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = ToolCallDelta
    return self  # type: ignore[no-any-return]


def _ok_choice_delta_audio(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    for key, v in obj.items():
        if key == "id" and v is not None and type(v) is not str:
            return False
        elif key == "data" and v is not None and type(v) is not str:
            return False
        elif key == "transcript" and v is not None and type(v) is not str:
            return False
        elif key == "expires_at" and v is not None and type(v) is not int:
            return False
    return True


def _check_choice_delta_audio(obj: dict[str, Any], path: str) -> None:
    _str(obj, "id", path)
    _str(obj, "data", path)
    _str(obj, "transcript", path)
    _int(obj, "expires_at", path)


def _build_choice_delta_audio(obj: Any) -> ChoiceDeltaAudio:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ChoiceDeltaAudio)
    nests = 0
    self.id = self.data = self.transcript = self.expires_at = None
    absent = 15  # bit i: the i-th key was not there
    extra = None
    for key, v in obj.items():
        if key == "id":
            if v is not None and type(v) is not str:
                raise Invalid
            self.id = v
            absent ^= 1
        elif key == "data":
            if v is not None and type(v) is not str:
                raise Invalid
            self.data = v
            absent ^= 2
        elif key == "transcript":
            if v is not None and type(v) is not str:
                raise Invalid
            self.transcript = v
            absent ^= 4
        elif key == "expires_at":
            if v is not None and type(v) is not int:
                raise Invalid
            self.expires_at = v
            absent ^= 8
        elif extra is None:
            extra = {key: v}
        else:
            extra[key] = v
    if extra is None:
        self.extra = {}
    else:
        self.extra = extra
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = ChoiceDeltaAudio
    return self  # type: ignore[no-any-return]


def _ok_url_citation(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("start_index")
    if v is not None and type(v) is not int:
        return False
    v = get("end_index")
    if v is not None and type(v) is not int:
        return False
    v = get("url")
    if v is not None and type(v) is not str:
        return False
    v = get("title")
    if v is not None and type(v) is not str:  # noqa: SIM103
        return False
    return True


def _check_url_citation(obj: dict[str, Any], path: str) -> None:
    _int(obj, "start_index", path)
    _int(obj, "end_index", path)
    _str(obj, "url", path)
    _str(obj, "title", path)


def _build_url_citation(obj: Any) -> URLCitation:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_URLCitation)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("start_index", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.start_index = v
    v = get("end_index", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.end_index = v
    v = get("url", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.url = v
    v = get("title", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.title = v
    if len(obj) + absent.bit_count() == 4:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_URL_CITATION)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = URLCitation
    return self  # type: ignore[no-any-return]


def _ok_annotation(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("type")
    if v is not None and type(v) is not str:
        return False
    v = get("url_citation")
    if v is not None and not _ok_url_citation(v):  # noqa: SIM103
        return False
    return True


def _check_annotation(obj: dict[str, Any], path: str) -> None:
    _str(obj, "type", path)
    v = _obj(obj, "url_citation", path)
    if v is not None:
        _check_url_citation(v, f"{path}.url_citation")


def _build_annotation(obj: Any) -> Annotation:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_Annotation)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("type", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.type = v
    v = get("url_citation", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None:
        v = _build_url_citation(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.url_citation = v
    if len(obj) + absent.bit_count() == 2:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_ANNOTATION)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = Annotation
    return self  # type: ignore[no-any-return]


def _ok_choice_delta(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    for key, v in obj.items():
        if key == "role" and v is not None and type(v) is not str:
            return False
        elif key == "content" and v is not None:
            if type(v) is list:
                for x in v:
                    if type(x) is not dict:
                        return False
            elif type(v) is not str:
                return False
        elif key == "refusal" and v is not None and type(v) is not str:
            return False
        elif key == "tool_calls" and v is not None:
            if type(v) is not list:
                return False
            for x in v:
                if not _ok_tool_call_delta(x):
                    return False
        elif key == "function_call" and v is not None and not _ok_function_delta(v):
            return False
        elif key == "reasoning_content" and v is not None and type(v) is not str:
            return False
        elif key == "reasoning" and v is not None and type(v) is not str:
            return False
        elif key == "audio" and v is not None and not _ok_choice_delta_audio(v):
            return False
        elif key == "annotations" and v is not None:
            if type(v) is not list:
                return False
            for x in v:
                if not _ok_annotation(x):
                    return False
    return True


def _check_choice_delta(obj: dict[str, Any], path: str) -> None:
    _str(obj, "role", path)
    _content(obj, "content", path)
    _str(obj, "refusal", path)
    for i, item in enumerate(_objects(obj, "tool_calls", path)):
        _check_tool_call_delta(item, f"{path}.tool_calls[{i}]")
    v = _obj(obj, "function_call", path)
    if v is not None:
        _check_function_delta(v, f"{path}.function_call")
    _str(obj, "reasoning_content", path)
    _str(obj, "reasoning", path)
    v = _obj(obj, "audio", path)
    if v is not None:
        _check_choice_delta_audio(v, f"{path}.audio")
    for i, item in enumerate(_objects(obj, "annotations", path)):
        _check_annotation(item, f"{path}.annotations[{i}]")


def _build_choice_delta(obj: Any) -> ChoiceDelta:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ChoiceDelta)
    nests = 0
    self.role = self.content = self.refusal = self.tool_calls = None
    self.function_call = self.reasoning_content = self.reasoning = self.audio = None
    self.annotations = None
    absent = 511  # bit i: the i-th key was not there
    extra = None
    for key, v in obj.items():
        if key == "content":
            if v is not None:
                if type(v) is list:
                    for x in v:
                        if type(x) is not dict:
                            raise Invalid
                    v = tuple(v)
                    nests |= NESTS  # content parts: objects of any depth
                elif type(v) is not str:
                    raise Invalid
            self.content = v
            absent ^= 2
        elif key == "tool_calls":
            if v is not None:
                if type(v) is not list:
                    raise Invalid
                if len(v) == 1:  # the usual: one item (map and tuple cost more)
                    x = _build_tool_call_delta(v[0])
                    nests |= x._absent & NESTS  # type: ignore[operator]
                    v = (x,)
                else:
                    v = tuple(map(_build_tool_call_delta, v))
                    for x in v:
                        nests |= x._absent & NESTS
            self.tool_calls = v
            absent ^= 8
        elif key == "reasoning_content":
            if v is not None and type(v) is not str:
                raise Invalid
            self.reasoning_content = v
            absent ^= 32
        elif key == "reasoning":
            if v is not None and type(v) is not str:
                raise Invalid
            self.reasoning = v
            absent ^= 64
        elif key == "role":
            if v is not None and type(v) is not str:
                raise Invalid
            self.role = v
            absent ^= 1
        elif key == "refusal":
            if v is not None and type(v) is not str:
                raise Invalid
            self.refusal = v
            absent ^= 4
        elif key == "function_call":
            if v is not None:
                v = _build_function_delta(v)
                nests |= v._absent & NESTS  # type: ignore[operator]
            self.function_call = v
            absent ^= 16
        elif key == "audio":
            if v is not None:
                v = _build_choice_delta_audio(v)
                nests |= v._absent & NESTS  # type: ignore[operator]
            self.audio = v
            absent ^= 128
        elif key == "annotations":
            if v is not None:
                if type(v) is not list:
                    raise Invalid
                if len(v) == 1:  # the usual: one item (map and tuple cost more)
                    x = _build_annotation(v[0])
                    nests |= x._absent & NESTS  # type: ignore[operator]
                    v = (x,)
                else:
                    v = tuple(map(_build_annotation, v))
                    for x in v:
                        nests |= x._absent & NESTS
            self.annotations = v
            absent ^= 256
        elif extra is None:
            extra = {key: v}
        else:
            extra[key] = v
    if extra is None:
        self.extra = {}
    else:
        self.extra = extra
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = ChoiceDelta
    return self  # type: ignore[no-any-return]


def _ok_chunk_choice(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("index")
    if v is None or (type(v) is not int or v < 0):
        return False
    v = get("delta")
    if v is not None and not _ok_choice_delta(v):
        return False
    v = get("finish_reason")
    if v is not None and type(v) is not str:
        return False
    v = get("logprobs")
    if v is not None and not _ok_choice_logprobs(v):  # noqa: SIM103
        return False
    return True


def _check_chunk_choice(obj: dict[str, Any], path: str) -> None:
    _index(obj, "index", path, required=True)
    v = _obj(obj, "delta", path)
    if v is not None:
        _check_choice_delta(v, f"{path}.delta")
    _str(obj, "finish_reason", path)
    v = _obj(obj, "logprobs", path)
    if v is not None:
        _check_choice_logprobs(v, f"{path}.logprobs")


def _build_chunk_choice(obj: Any) -> ChunkChoice:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ChunkChoice)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("index", m)
    if v is m or (type(v) is not int or v < 0):
        raise Invalid
    self.index = v
    v = get("delta", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None:
        v = _build_choice_delta(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.delta = v
    v = get("finish_reason", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.finish_reason = v
    v = get("logprobs", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        v = _build_choice_logprobs(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.logprobs = v
    if len(obj) + absent.bit_count() == 4:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_CHUNK_CHOICE)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = ChunkChoice
    return self  # type: ignore[no-any-return]


def _ok_prompt_tokens_details(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("cached_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("audio_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("cache_write_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("image_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("text_tokens")
    if v is not None and type(v) is not int:  # noqa: SIM103
        return False
    return True


def _check_prompt_tokens_details(obj: dict[str, Any], path: str) -> None:
    _int(obj, "cached_tokens", path)
    _int(obj, "audio_tokens", path)
    _int(obj, "cache_write_tokens", path)
    _int(obj, "image_tokens", path)
    _int(obj, "text_tokens", path)


def _build_prompt_tokens_details(obj: Any) -> PromptTokensDetails:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_PromptTokensDetails)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("cached_tokens", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.cached_tokens = v
    v = get("audio_tokens", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.audio_tokens = v
    v = get("cache_write_tokens", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.cache_write_tokens = v
    v = get("image_tokens", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.image_tokens = v
    v = get("text_tokens", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.text_tokens = v
    if len(obj) + absent.bit_count() == 5:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_PROMPT_TOKENS_DETAILS)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = PromptTokensDetails
    return self  # type: ignore[no-any-return]


def _ok_completion_tokens_details(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("reasoning_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("audio_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("accepted_prediction_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("rejected_prediction_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("text_tokens")
    if v is not None and type(v) is not int:  # noqa: SIM103
        return False
    return True


def _check_completion_tokens_details(obj: dict[str, Any], path: str) -> None:
    _int(obj, "reasoning_tokens", path)
    _int(obj, "audio_tokens", path)
    _int(obj, "accepted_prediction_tokens", path)
    _int(obj, "rejected_prediction_tokens", path)
    _int(obj, "text_tokens", path)


def _build_completion_tokens_details(obj: Any) -> CompletionTokensDetails:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_CompletionTokensDetails)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("reasoning_tokens", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.reasoning_tokens = v
    v = get("audio_tokens", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.audio_tokens = v
    v = get("accepted_prediction_tokens", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.accepted_prediction_tokens = v
    v = get("rejected_prediction_tokens", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.rejected_prediction_tokens = v
    v = get("text_tokens", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.text_tokens = v
    if len(obj) + absent.bit_count() == 5:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_COMPLETION_TOKENS_DETAILS)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = CompletionTokensDetails
    return self  # type: ignore[no-any-return]


def _ok_usage(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("prompt_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("completion_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("total_tokens")
    if v is not None and type(v) is not int:
        return False
    v = get("prompt_tokens_details")
    if v is not None and not _ok_prompt_tokens_details(v):
        return False
    v = get("completion_tokens_details")
    if v is not None and not _ok_completion_tokens_details(v):  # noqa: SIM103
        return False
    return True


def _check_usage(obj: dict[str, Any], path: str) -> None:
    _int(obj, "prompt_tokens", path)
    _int(obj, "completion_tokens", path)
    _int(obj, "total_tokens", path)
    v = _obj(obj, "prompt_tokens_details", path)
    if v is not None:
        _check_prompt_tokens_details(v, f"{path}.prompt_tokens_details")
    v = _obj(obj, "completion_tokens_details", path)
    if v is not None:
        _check_completion_tokens_details(v, f"{path}.completion_tokens_details")


def _build_usage(obj: Any) -> Usage:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_Usage)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("prompt_tokens", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.prompt_tokens = v
    v = get("completion_tokens", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.completion_tokens = v
    v = get("total_tokens", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.total_tokens = v
    v = get("prompt_tokens_details", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        v = _build_prompt_tokens_details(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.prompt_tokens_details = v
    v = get("completion_tokens_details", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None:
        v = _build_completion_tokens_details(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.completion_tokens_details = v
    if len(obj) + absent.bit_count() == 5:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_USAGE)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = Usage
    return self  # type: ignore[no-any-return]


def _ok_chat_completion_chunk(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("id")
    if v is not None and type(v) is not str:
        return False
    v = get("object")
    if v is not None and type(v) is not str:
        return False
    v = get("created")
    if v is not None and type(v) is not int:
        return False
    v = get("model")
    if v is not None and type(v) is not str:
        return False
    v = get("system_fingerprint")
    if v is not None and type(v) is not str:
        return False
    v = get("service_tier")
    if v is not None and type(v) is not str:
        return False
    v = get("choices")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_chunk_choice(x):
                return False
    v = get("usage")
    if v is not None and not _ok_usage(v):
        return False
    v = get("obfuscation")
    if v is not None and type(v) is not str:
        return False
    v = get("moderation")
    if v is not None and type(v) is not dict:  # noqa: SIM103
        return False
    return True


def _check_chat_completion_chunk(obj: dict[str, Any], path: str) -> None:
    _str(obj, "id", path)
    _str(obj, "object", path)
    _int(obj, "created", path)
    _str(obj, "model", path)
    _str(obj, "system_fingerprint", path)
    _str(obj, "service_tier", path)
    for i, item in enumerate(_objects(obj, "choices", path)):
        _check_chunk_choice(item, f"{path}.choices[{i}]")
    v = _obj(obj, "usage", path)
    if v is not None:
        _check_usage(v, f"{path}.usage")
    _str(obj, "obfuscation", path)
    _obj(obj, "moderation", path)


def _build_chat_completion_chunk(obj: Any) -> ChatCompletionChunk:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_ChatCompletionChunk)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("id", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.id = v
    v = get("object", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.object = v
    v = get("created", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.created = v
    v = get("model", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.model = v
    v = get("system_fingerprint", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.system_fingerprint = v
    v = get("choices", m)
    if v is m:
        absent |= 64
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_chunk_choice(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_chunk_choice, v))
            for x in v:
                nests |= x._absent & NESTS
    self.choices = v
    v = get("usage", m)
    if v is m:
        absent |= 128
        v = None
    elif v is not None:
        v = _build_usage(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.usage = v
    if len(obj) + absent.bit_count() == 7:
        self.service_tier = self.obfuscation = self.moderation = None
        absent |= 800
        self.extra = {}
    else:
        v = get("service_tier", m)
        if v is m:
            absent |= 32
            v = None
        elif v is not None and type(v) is not str:
            raise Invalid
        self.service_tier = v
        v = get("obfuscation", m)
        if v is m:
            absent |= 256
            v = None
        elif v is not None and type(v) is not str:
            raise Invalid
        self.obfuscation = v
        v = get("moderation", m)
        if v is m:
            absent |= 512
            v = None
        elif v is not None:
            if type(v) is not dict:
                raise Invalid
            nests |= NESTS  # kept as sent: any depth
        self.moderation = v
        if len(obj) + absent.bit_count() == 10:
            self.extra = {}
        else:
            self.extra = extra = _unknown(obj, _KNOWN_CHAT_COMPLETION_CHUNK)
            if _nests(extra):
                nests = NESTS
    self._absent = absent | nests
    self.__class__ = ChatCompletionChunk
    return self  # type: ignore[no-any-return]


def _ok_completion_logprobs(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("tokens")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if type(x) is not str:
                return False
    v = get("token_logprobs")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if x is not None and type(x) is not float and type(x) is not int:
                return False
    v = get("top_logprobs")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if x is not None and type(x) is not dict:
                return False
    v = get("text_offset")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if type(x) is not int:
                return False
    v = get("content")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_token_logprob(x):
                return False
    return True


def _check_completion_logprobs(obj: dict[str, Any], path: str) -> None:
    _strs(obj, "tokens", path)
    _numbers(obj, "token_logprobs", path)
    _dicts(obj, "top_logprobs", path)
    _ints(obj, "text_offset", path)
    for i, item in enumerate(_objects(obj, "content", path)):
        _check_token_logprob(item, f"{path}.content[{i}]")


def _build_completion_logprobs(obj: Any) -> CompletionLogprobs:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_CompletionLogprobs)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("tokens", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if type(x) is not str:
                raise Invalid
        v = tuple(v)
    self.tokens = v
    v = get("token_logprobs", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if x is not None and type(x) is not float and type(x) is not int:
                raise Invalid
        v = tuple(v)
    self.token_logprobs = v
    v = get("top_logprobs", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if x is not None and type(x) is not dict:
                raise Invalid
        if v:
            nests |= NESTS  # objects kept as sent: any depth
        v = tuple(v)
    self.top_logprobs = v
    v = get("text_offset", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        for x in v:
            if type(x) is not int:
                raise Invalid
        v = tuple(v)
    self.text_offset = v
    v = get("content", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_token_logprob(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_token_logprob, v))
            for x in v:
                nests |= x._absent & NESTS
    self.content = v
    if len(obj) + absent.bit_count() == 5:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_COMPLETION_LOGPROBS)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = CompletionLogprobs
    return self  # type: ignore[no-any-return]


def _ok_completion_chunk_choice(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("index")
    if v is None or (type(v) is not int or v < 0):
        return False
    v = get("text")
    if v is not None and type(v) is not str:
        return False
    v = get("logprobs")
    if v is not None and not _ok_completion_logprobs(v):
        return False
    v = get("finish_reason")
    if v is not None and type(v) is not str:  # noqa: SIM103
        return False
    return True


def _check_completion_chunk_choice(obj: dict[str, Any], path: str) -> None:
    _index(obj, "index", path, required=True)
    _str(obj, "text", path)
    v = _obj(obj, "logprobs", path)
    if v is not None:
        _check_completion_logprobs(v, f"{path}.logprobs")
    _str(obj, "finish_reason", path)


def _build_completion_chunk_choice(obj: Any) -> CompletionChunkChoice:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_CompletionChunkChoice)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("index", m)
    if v is m or (type(v) is not int or v < 0):
        raise Invalid
    self.index = v
    v = get("text", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.text = v
    v = get("logprobs", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None:
        v = _build_completion_logprobs(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.logprobs = v
    v = get("finish_reason", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.finish_reason = v
    if len(obj) + absent.bit_count() == 4:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_COMPLETION_CHUNK_CHOICE)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = CompletionChunkChoice
    return self  # type: ignore[no-any-return]


def _ok_completion_chunk(obj: Any) -> bool:
    if type(obj) is not dict:
        return False
    get = obj.get
    v = get("id")
    if v is not None and type(v) is not str:
        return False
    v = get("object")
    if v is not None and type(v) is not str:
        return False
    v = get("created")
    if v is not None and type(v) is not int:
        return False
    v = get("model")
    if v is not None and type(v) is not str:
        return False
    v = get("system_fingerprint")
    if v is not None and type(v) is not str:
        return False
    v = get("choices")
    if v is not None:
        if type(v) is not list:
            return False
        for x in v:
            if not _ok_completion_chunk_choice(x):
                return False
    v = get("usage")
    if v is not None and not _ok_usage(v):  # noqa: SIM103
        return False
    return True


def _check_completion_chunk(obj: dict[str, Any], path: str) -> None:
    _str(obj, "id", path)
    _str(obj, "object", path)
    _int(obj, "created", path)
    _str(obj, "model", path)
    _str(obj, "system_fingerprint", path)
    for i, item in enumerate(_objects(obj, "choices", path)):
        _check_completion_chunk_choice(item, f"{path}.choices[{i}]")
    v = _obj(obj, "usage", path)
    if v is not None:
        _check_usage(v, f"{path}.usage")


def _build_completion_chunk(obj: Any) -> CompletionChunk:
    if type(obj) is not dict:
        raise Invalid
    self: Any = _new(_W_CompletionChunk)
    nests = 0
    get = obj.get
    m = _MISSING
    absent = 0  # bit i: the i-th key was not there
    v = get("id", m)
    if v is m:
        absent |= 1
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.id = v
    v = get("object", m)
    if v is m:
        absent |= 2
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.object = v
    v = get("created", m)
    if v is m:
        absent |= 4
        v = None
    elif v is not None and type(v) is not int:
        raise Invalid
    self.created = v
    v = get("model", m)
    if v is m:
        absent |= 8
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.model = v
    v = get("system_fingerprint", m)
    if v is m:
        absent |= 16
        v = None
    elif v is not None and type(v) is not str:
        raise Invalid
    self.system_fingerprint = v
    v = get("choices", m)
    if v is m:
        absent |= 32
        v = None
    elif v is not None:
        if type(v) is not list:
            raise Invalid
        if len(v) == 1:  # the usual: one item (map and tuple cost more)
            x = _build_completion_chunk_choice(v[0])
            nests |= x._absent & NESTS  # type: ignore[operator]
            v = (x,)
        else:
            v = tuple(map(_build_completion_chunk_choice, v))
            for x in v:
                nests |= x._absent & NESTS
    self.choices = v
    v = get("usage", m)
    if v is m:
        absent |= 64
        v = None
    elif v is not None:
        v = _build_usage(v)
        nests |= v._absent & NESTS  # type: ignore[operator]
    self.usage = v
    if len(obj) + absent.bit_count() == 7:
        self.extra = {}
    else:
        self.extra = extra = _unknown(obj, _KNOWN_COMPLETION_CHUNK)
        if _nests(extra):
            nests = NESTS
    self._absent = absent | nests
    self.__class__ = CompletionChunk
    return self  # type: ignore[no-any-return]


_set_builder(TopLogprob, _build_top_logprob, _check_top_logprob)
_set_builder(TokenLogprob, _build_token_logprob, _check_token_logprob)
_set_builder(ChoiceLogprobs, _build_choice_logprobs, _check_choice_logprobs)
_set_builder(FunctionDelta, _build_function_delta, _check_function_delta)
_set_builder(ToolCallDelta, _build_tool_call_delta, _check_tool_call_delta)
_set_builder(ChoiceDeltaAudio, _build_choice_delta_audio, _check_choice_delta_audio)
_set_builder(URLCitation, _build_url_citation, _check_url_citation)
_set_builder(Annotation, _build_annotation, _check_annotation)
_set_builder(ChoiceDelta, _build_choice_delta, _check_choice_delta)
_set_builder(ChunkChoice, _build_chunk_choice, _check_chunk_choice)
_set_builder(PromptTokensDetails, _build_prompt_tokens_details, _check_prompt_tokens_details)
_set_builder(
    CompletionTokensDetails,
    _build_completion_tokens_details,
    _check_completion_tokens_details,
)
_set_builder(Usage, _build_usage, _check_usage)
_set_builder(ChatCompletionChunk, _build_chat_completion_chunk, _check_chat_completion_chunk)
_set_builder(CompletionLogprobs, _build_completion_logprobs, _check_completion_logprobs)
_set_builder(CompletionChunkChoice, _build_completion_chunk_choice, _check_completion_chunk_choice)
_set_builder(CompletionChunk, _build_completion_chunk, _check_completion_chunk)


# The fillers (the template path rebuilds a typed chunk from a learned one).
def _deep(value: Any) -> Any:
    """A copy of a JSON value (or a tuple of them) that shares no dict or list with it."""
    t = type(value)
    if t is dict:
        return {k: _deep(v) for k, v in value.items()}
    if t is list:
        return [_deep(v) for v in value]
    if t is tuple:  # content parts, a tuple of dicts
        return tuple(map(_deep, value))
    return value


def _fill_top_logprob(src: Any, spec: Any, values: Sequence[str]) -> TopLogprob:
    self: Any = _W_TopLogprob()
    _, fix = spec
    self.token = src.token
    self.logprob = src.logprob
    self.bytes = src.bytes
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = TopLogprob
    return self  # type: ignore[no-any-return]


def _fill_token_logprob(src: Any, spec: Any, values: Sequence[str]) -> TokenLogprob:
    self: Any = _W_TokenLogprob()
    (k0,), fix = spec
    self.token = src.token
    self.logprob = src.logprob
    self.bytes = src.bytes
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_top_logprob(src.top_logprobs[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_top_logprob, src.top_logprobs, k0, repeat(values)))
    self.top_logprobs = k0
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = TokenLogprob
    return self  # type: ignore[no-any-return]


def _fill_choice_logprobs(src: Any, spec: Any, values: Sequence[str]) -> ChoiceLogprobs:
    self: Any = _W_ChoiceLogprobs()
    (k0, k1), fix = spec
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_token_logprob(src.content[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_token_logprob, src.content, k0, repeat(values)))
    self.content = k0
    if k1 is not None:
        if len(k1) == 1:
            k1 = (_fill_token_logprob(src.refusal[0], k1[0], values),)
        else:
            k1 = tuple(map(_fill_token_logprob, src.refusal, k1, repeat(values)))
    self.refusal = k1
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ChoiceLogprobs
    return self  # type: ignore[no-any-return]


def _fill_function_delta(src: Any, spec: Any, values: Sequence[str]) -> FunctionDelta:
    self: Any = _W_FunctionDelta()
    _, fix = spec
    self.name = src.name
    self.arguments = src.arguments
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = FunctionDelta
    return self  # type: ignore[no-any-return]


def _fill_tool_call_delta(src: Any, spec: Any, values: Sequence[str]) -> ToolCallDelta:
    self: Any = _W_ToolCallDelta()
    (k0,), fix = spec
    self.index = src.index
    self.id = src.id
    self.type = src.type
    if k0 is not None:
        k0 = _fill_function_delta(src.function, k0, values)
    self.function = k0
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ToolCallDelta
    return self  # type: ignore[no-any-return]


def _fill_choice_delta_audio(src: Any, spec: Any, values: Sequence[str]) -> ChoiceDeltaAudio:
    self: Any = _W_ChoiceDeltaAudio()
    _, fix = spec
    self.id = src.id
    self.data = src.data
    self.transcript = src.transcript
    self.expires_at = src.expires_at
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ChoiceDeltaAudio
    return self  # type: ignore[no-any-return]


def _fill_url_citation(src: Any, spec: Any, values: Sequence[str]) -> URLCitation:
    self: Any = _W_URLCitation()
    _, fix = spec
    self.start_index = src.start_index
    self.end_index = src.end_index
    self.url = src.url
    self.title = src.title
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = URLCitation
    return self  # type: ignore[no-any-return]


def _fill_annotation(src: Any, spec: Any, values: Sequence[str]) -> Annotation:
    self: Any = _W_Annotation()
    (k0,), fix = spec
    self.type = src.type
    if k0 is not None:
        k0 = _fill_url_citation(src.url_citation, k0, values)
    self.url_citation = k0
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = Annotation
    return self  # type: ignore[no-any-return]


def _fill_choice_delta(src: Any, spec: Any, values: Sequence[str]) -> ChoiceDelta:
    self: Any = _W_ChoiceDelta()
    (k0, k1, k2, k3), fix = spec
    self.role = src.role
    self.content = src.content
    self.refusal = src.refusal
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_tool_call_delta(src.tool_calls[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_tool_call_delta, src.tool_calls, k0, repeat(values)))
    self.tool_calls = k0
    if k1 is not None:
        k1 = _fill_function_delta(src.function_call, k1, values)
    self.function_call = k1
    self.reasoning_content = src.reasoning_content
    self.reasoning = src.reasoning
    if k2 is not None:
        k2 = _fill_choice_delta_audio(src.audio, k2, values)
    self.audio = k2
    if k3 is not None:
        if len(k3) == 1:
            k3 = (_fill_annotation(src.annotations[0], k3[0], values),)
        else:
            k3 = tuple(map(_fill_annotation, src.annotations, k3, repeat(values)))
    self.annotations = k3
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ChoiceDelta
    return self  # type: ignore[no-any-return]


def _fill_chunk_choice(src: Any, spec: Any, values: Sequence[str]) -> ChunkChoice:
    self: Any = _W_ChunkChoice()
    (k0, k1), fix = spec
    self.index = src.index
    if k0 is not None:
        k0 = _fill_choice_delta(src.delta, k0, values)
    self.delta = k0
    self.finish_reason = src.finish_reason
    if k1 is not None:
        k1 = _fill_choice_logprobs(src.logprobs, k1, values)
    self.logprobs = k1
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ChunkChoice
    return self  # type: ignore[no-any-return]


def _fill_prompt_tokens_details(src: Any, spec: Any, values: Sequence[str]) -> PromptTokensDetails:
    self: Any = _W_PromptTokensDetails()
    _, fix = spec
    self.cached_tokens = src.cached_tokens
    self.audio_tokens = src.audio_tokens
    self.cache_write_tokens = src.cache_write_tokens
    self.image_tokens = src.image_tokens
    self.text_tokens = src.text_tokens
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = PromptTokensDetails
    return self  # type: ignore[no-any-return]


def _fill_completion_tokens_details(
    src: Any, spec: Any, values: Sequence[str]
) -> CompletionTokensDetails:
    self: Any = _W_CompletionTokensDetails()
    _, fix = spec
    self.reasoning_tokens = src.reasoning_tokens
    self.audio_tokens = src.audio_tokens
    self.accepted_prediction_tokens = src.accepted_prediction_tokens
    self.rejected_prediction_tokens = src.rejected_prediction_tokens
    self.text_tokens = src.text_tokens
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = CompletionTokensDetails
    return self  # type: ignore[no-any-return]


def _fill_usage(src: Any, spec: Any, values: Sequence[str]) -> Usage:
    self: Any = _W_Usage()
    (k0, k1), fix = spec
    self.prompt_tokens = src.prompt_tokens
    self.completion_tokens = src.completion_tokens
    self.total_tokens = src.total_tokens
    if k0 is not None:
        k0 = _fill_prompt_tokens_details(src.prompt_tokens_details, k0, values)
    self.prompt_tokens_details = k0
    if k1 is not None:
        k1 = _fill_completion_tokens_details(src.completion_tokens_details, k1, values)
    self.completion_tokens_details = k1
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = Usage
    return self  # type: ignore[no-any-return]


def _fill_chat_completion_chunk(src: Any, spec: Any, values: Sequence[str]) -> ChatCompletionChunk:
    self: Any = _W_ChatCompletionChunk()
    (k0, k1), fix = spec
    self.id = src.id
    self.object = src.object
    self.created = src.created
    self.model = src.model
    self.system_fingerprint = src.system_fingerprint
    self.service_tier = src.service_tier
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_chunk_choice(src.choices[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_chunk_choice, src.choices, k0, repeat(values)))
    self.choices = k0
    if k1 is not None:
        k1 = _fill_usage(src.usage, k1, values)
    self.usage = k1
    self.obfuscation = src.obfuscation
    self.moderation = src.moderation
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = ChatCompletionChunk
    return self  # type: ignore[no-any-return]


def _fill_completion_logprobs(src: Any, spec: Any, values: Sequence[str]) -> CompletionLogprobs:
    self: Any = _W_CompletionLogprobs()
    (k0,), fix = spec
    self.tokens = src.tokens
    self.token_logprobs = src.token_logprobs
    self.top_logprobs = src.top_logprobs
    self.text_offset = src.text_offset
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_token_logprob(src.content[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_token_logprob, src.content, k0, repeat(values)))
    self.content = k0
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = CompletionLogprobs
    return self  # type: ignore[no-any-return]


def _fill_completion_chunk_choice(
    src: Any, spec: Any, values: Sequence[str]
) -> CompletionChunkChoice:
    self: Any = _W_CompletionChunkChoice()
    (k0,), fix = spec
    self.index = src.index
    self.text = src.text
    if k0 is not None:
        k0 = _fill_completion_logprobs(src.logprobs, k0, values)
    self.logprobs = k0
    self.finish_reason = src.finish_reason
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = CompletionChunkChoice
    return self  # type: ignore[no-any-return]


def _fill_completion_chunk(src: Any, spec: Any, values: Sequence[str]) -> CompletionChunk:
    self: Any = _W_CompletionChunk()
    (k0, k1), fix = spec
    self.id = src.id
    self.object = src.object
    self.created = src.created
    self.model = src.model
    self.system_fingerprint = src.system_fingerprint
    if k0 is not None:
        if len(k0) == 1:
            k0 = (_fill_completion_chunk_choice(src.choices[0], k0[0], values),)
        else:
            k0 = tuple(map(_fill_completion_chunk_choice, src.choices, k0, repeat(values)))
    self.choices = k0
    if k1 is not None:
        k1 = _fill_usage(src.usage, k1, values)
    self.usage = k1
    self.extra = {}
    self._absent = src._absent
    if fix is not None:
        deep, sets, vendor = fix
        for key in deep:
            setattr(self, key, _deep(getattr(src, key)))
        for key, i in sets:
            setattr(self, key, values[i])
        for key, i in vendor:
            self.extra[key] = values[i]
    self.__class__ = CompletionChunk
    return self  # type: ignore[no-any-return]


fill_chunk = _fill_chat_completion_chunk
# Each class's fields that hold objects, in the order of a fill spec's kids.
FILL_KIDS: dict[type, tuple[str, ...]] = {
    TopLogprob: (),
    TokenLogprob: ("top_logprobs",),
    ChoiceLogprobs: ("content", "refusal"),
    FunctionDelta: (),
    ToolCallDelta: ("function",),
    ChoiceDeltaAudio: (),
    URLCitation: (),
    Annotation: ("url_citation",),
    ChoiceDelta: ("tool_calls", "function_call", "audio", "annotations"),
    ChunkChoice: ("delta", "logprobs"),
    PromptTokensDetails: (),
    CompletionTokensDetails: (),
    Usage: ("prompt_tokens_details", "completion_tokens_details"),
    ChatCompletionChunk: ("choices", "usage"),
    CompletionLogprobs: ("content",),
    CompletionChunkChoice: ("logprobs",),
    CompletionChunk: ("choices", "usage"),
}


@_lazy("arguments", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionCall(_FunctionCallArguments):
    """An assembled function: ``name`` and the joined ``arguments`` string."""

    name: str | None = None
    arguments: str = ""
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "arguments": self.arguments,
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCall(_AssembledModel):
    """An assembled tool call (``type`` is ``"function"`` when the stream never said)."""

    id: str | None = None
    type: str = "function"
    function: FunctionCall = field(default_factory=FunctionCall)
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("id", "type", "function")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "function": self.function.to_dict(),
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("data", "transcript", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class MessageAudio(_AssembledModel):
    """A message's audio output: the base64 ``data`` and the ``transcript`` joined, ``id``
    and ``expires_at`` as first sent.
    """

    id: str | None = None
    data: str | None = None
    transcript: str | None = None
    expires_at: int | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("id", "data", "transcript", "expires_at")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "data": self.data,
            "transcript": self.transcript,
            "expires_at": self.expires_at,
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy(
    "content",
    "refusal",
    "tool_calls",
    "reasoning_content",
    "reasoning",
    "content_parts",
    "annotations",
    "extra",
)
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Message(_AssembledModel):
    """A choice's assembled message.

    ``content``/``refusal``/``reasoning_content``/``reasoning`` are ``None`` unless some
    non-null value arrived (``""`` counts). ``content_parts`` keeps every part of
    list-typed (Mistral) content in order. Vendor delta fields (``reasoning_details``,
    ``channel``, ...) are in ``extra``.
    """

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] | None = None
    function_call: FunctionCall | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    content_parts: tuple[dict[str, Any], ...] | None = field(default=None, hash=False)
    audio: MessageAudio | None = None
    annotations: tuple[Annotation, ...] | None = None
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
            out["tool_calls"] = _to_json(self.tool_calls)
        if self.function_call is not None:
            out["function_call"] = self.function_call.to_dict()
        if self.reasoning_content is not None:
            out["reasoning_content"] = self.reasoning_content
        if self.reasoning is not None:
            out["reasoning"] = self.reasoning
        if self.content_parts:
            out["content_parts"] = _to_json(self.content_parts)
        if self.audio is not None:
            out["audio"] = self.audio.to_dict()
        if self.annotations:
            out["annotations"] = _to_json(self.annotations)
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("content", "refusal", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AssembledLogprobs(_AssembledModel):
    """A choice's logprobs, extended over the stream (``None`` lists were never sent)."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "content": _to_json(self.content),
            "refusal": _to_json(self.refusal),
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Choice(_AssembledModel):
    """One assembled choice."""

    index: int
    message: Message = field(default_factory=Message)
    finish_reason: str | None = None
    logprobs: AssembledLogprobs | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "message", "finish_reason", "logprobs")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "message": self.message.to_dict(),
            "finish_reason": self.finish_reason,
            "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("choices", "usage", "moderation", "error", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChatCompletion(_CompletionDisplay):
    """The assembled ``chat.completion``.

    ``error`` is the provider's in-band error kept in lenient mode; ``warnings`` what was
    tolerated (neither is part of ``to_dict()`` unless ``error`` is set). Unknown
    top-level fields of the chunks (``x_groq``, ``citations``, ...) are in ``extra``.
    """

    id: str | None = None
    object: str = "chat.completion"
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: tuple[Choice, ...] = ()
    usage: Usage | None = None
    moderation: dict[str, Any] | None = field(default=None, hash=False)
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
        "moderation",
        "error",
    )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "object": self.object,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "service_tier": self.service_tier,
            "choices": _to_json(self.choices),
            "usage": None if self.usage is None else self.usage.to_dict(),
        }
        if self.moderation is not None:
            out["moderation"] = _to_json(self.moderation)
        if self.error is not None:
            out["error"] = _to_json(self.error)
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("tokens", "token_logprobs", "top_logprobs", "text_offset", "content", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionChoiceLogprobs(_AssembledModel):
    """A legacy choice's logprobs, each list extended over the stream in order (``None``
    lists were never sent; ``content``, llama.cpp's chat-shaped tokens, is written only
    when it holds some).
    """

    tokens: tuple[str, ...] | None = None
    token_logprobs: tuple[float | None, ...] | None = None
    top_logprobs: tuple[dict[str, Any] | None, ...] | None = field(default=None, hash=False)
    text_offset: tuple[int, ...] | None = None
    content: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "tokens",
        "token_logprobs",
        "top_logprobs",
        "text_offset",
        "content",
    )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tokens": _to_json(self.tokens),
            "token_logprobs": _to_json(self.token_logprobs),
            "top_logprobs": _to_json(self.top_logprobs),
            "text_offset": _to_json(self.text_offset),
        }
        if self.content:
            out["content"] = _to_json(self.content)
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("text", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionChoice(_AssembledModel):
    """One assembled choice of a legacy completion: its ``text`` joined (``None`` unless
    some non-null text arrived: ``""`` counts).
    """

    text: str | None = None
    index: int
    logprobs: CompletionChoiceLogprobs | None = None
    finish_reason: str | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("text", "index", "logprobs", "finish_reason")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "index": self.index,
            "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
            "finish_reason": self.finish_reason,
        }
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


@_lazy("choices", "usage", "error", "extra")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Completion(_AssembledModel):
    """The assembled legacy ``text_completion`` (``/v1/completions``).

    ``error`` is the provider's in-band error kept in lenient mode; ``warnings`` what was
    tolerated. Unknown top-level fields of the chunks are in ``extra``.
    """

    id: str | None = None
    object: str = "text_completion"
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    choices: tuple[CompletionChoice, ...] = ()
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
        "choices",
        "usage",
        "error",
    )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "object": self.object,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "choices": _to_json(self.choices),
            "usage": None if self.usage is None else self.usage.to_dict(),
        }
        if self.error is not None:
            out["error"] = _to_json(self.error)
        if self.extra:
            _add_extra(out, self.extra, _own(*self._keys))
        return out


_W_FunctionCall = _writable(FunctionCall)


def make_function_call(name: Any, arguments: Any, extra: Any) -> FunctionCall:
    self: Any = _new(_W_FunctionCall)
    self.name = name
    self.arguments = arguments
    self.extra = extra
    self.__class__ = FunctionCall
    return self  # type: ignore[no-any-return]


_W_ToolCall = _writable(ToolCall)


def make_tool_call(id: Any, type: Any, function: Any, extra: Any) -> ToolCall:
    self: Any = _new(_W_ToolCall)
    self.id = id
    self.type = type
    self.function = function
    self.extra = extra
    self.__class__ = ToolCall
    return self  # type: ignore[no-any-return]


_W_MessageAudio = _writable(MessageAudio)


def make_message_audio(
    id: Any,
    data: Any,
    transcript: Any,
    expires_at: Any,
    extra: Any,
) -> MessageAudio:
    self: Any = _new(_W_MessageAudio)
    self.id = id
    self.data = data
    self.transcript = transcript
    self.expires_at = expires_at
    self.extra = extra
    self.__class__ = MessageAudio
    return self  # type: ignore[no-any-return]


_W_Message = _writable(Message)


def make_message(
    role: Any,
    content: Any,
    refusal: Any,
    tool_calls: Any,
    function_call: Any,
    reasoning_content: Any,
    reasoning: Any,
    content_parts: Any,
    audio: Any,
    annotations: Any,
    extra: Any,
) -> Message:
    self: Any = _new(_W_Message)
    self.role = role
    self.content = content
    self.refusal = refusal
    self.tool_calls = tool_calls
    self.function_call = function_call
    self.reasoning_content = reasoning_content
    self.reasoning = reasoning
    self.content_parts = content_parts
    self.audio = audio
    self.annotations = annotations
    self.extra = extra
    self.__class__ = Message
    return self  # type: ignore[no-any-return]


_W_AssembledLogprobs = _writable(AssembledLogprobs)


def make_assembled_logprobs(content: Any, refusal: Any, extra: Any) -> AssembledLogprobs:
    self: Any = _new(_W_AssembledLogprobs)
    self.content = content
    self.refusal = refusal
    self.extra = extra
    self.__class__ = AssembledLogprobs
    return self  # type: ignore[no-any-return]


_W_Choice = _writable(Choice)


def make_choice(index: Any, message: Any, finish_reason: Any, logprobs: Any, extra: Any) -> Choice:
    self: Any = _new(_W_Choice)
    self.index = index
    self.message = message
    self.finish_reason = finish_reason
    self.logprobs = logprobs
    self.extra = extra
    self.__class__ = Choice
    return self  # type: ignore[no-any-return]


_W_ChatCompletion = _writable(ChatCompletion)


def make_chat_completion(
    id: Any,
    object: Any,
    created: Any,
    model: Any,
    system_fingerprint: Any,
    service_tier: Any,
    choices: Any,
    usage: Any,
    moderation: Any,
    error: Any,
    warnings: Any,
    extra: Any,
) -> ChatCompletion:
    self: Any = _new(_W_ChatCompletion)
    self.id = id
    self.object = object
    self.created = created
    self.model = model
    self.system_fingerprint = system_fingerprint
    self.service_tier = service_tier
    self.choices = choices
    self.usage = usage
    self.moderation = moderation
    self.error = error
    self.warnings = warnings
    self.extra = extra
    self.__class__ = ChatCompletion
    return self  # type: ignore[no-any-return]


_W_CompletionChoiceLogprobs = _writable(CompletionChoiceLogprobs)


def make_completion_choice_logprobs(
    tokens: Any,
    token_logprobs: Any,
    top_logprobs: Any,
    text_offset: Any,
    content: Any,
    extra: Any,
) -> CompletionChoiceLogprobs:
    self: Any = _new(_W_CompletionChoiceLogprobs)
    self.tokens = tokens
    self.token_logprobs = token_logprobs
    self.top_logprobs = top_logprobs
    self.text_offset = text_offset
    self.content = content
    self.extra = extra
    self.__class__ = CompletionChoiceLogprobs
    return self  # type: ignore[no-any-return]


_W_CompletionChoice = _writable(CompletionChoice)


def make_completion_choice(
    text: Any,
    index: Any,
    logprobs: Any,
    finish_reason: Any,
    extra: Any,
) -> CompletionChoice:
    self: Any = _new(_W_CompletionChoice)
    self.text = text
    self.index = index
    self.logprobs = logprobs
    self.finish_reason = finish_reason
    self.extra = extra
    self.__class__ = CompletionChoice
    return self  # type: ignore[no-any-return]


_W_Completion = _writable(Completion)


def make_completion(
    id: Any,
    object: Any,
    created: Any,
    model: Any,
    system_fingerprint: Any,
    choices: Any,
    usage: Any,
    error: Any,
    warnings: Any,
    extra: Any,
) -> Completion:
    self: Any = _new(_W_Completion)
    self.id = id
    self.object = object
    self.created = created
    self.model = model
    self.system_fingerprint = system_fingerprint
    self.choices = choices
    self.usage = usage
    self.error = error
    self.warnings = warnings
    self.extra = extra
    self.__class__ = Completion
    return self  # type: ignore[no-any-return]


def _load_function_call(obj: Any, path: str) -> FunctionCall:
    if type(obj) is not dict:
        raise _fail("an object (FunctionCall)", path, obj)
    get = obj.get
    v = get("name", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.name", v)
    a0 = v
    v = get("arguments", _MISSING)
    if v is _MISSING:
        v = ""
    elif type(v) is not str:
        raise _fail("str", f"{path}.arguments", v)
    a1 = v
    extra = _load_extra(obj, FunctionCall._keys, path)
    return make_function_call(a0, a1, extra)


def _load_tool_call(obj: Any, path: str) -> ToolCall:
    if type(obj) is not dict:
        raise _fail("an object (ToolCall)", path, obj)
    get = obj.get
    v = get("id", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.id", v)
    a0 = v
    v = get("type", _MISSING)
    if v is _MISSING:
        v = "function"
    elif type(v) is not str:
        raise _fail("str", f"{path}.type", v)
    a1 = v
    v = get("function", _MISSING)
    a2 = FunctionCall() if v is _MISSING else _load_function_call(v, f"{path}.function")
    extra = _load_extra(obj, ToolCall._keys, path)
    return make_tool_call(a0, a1, a2, extra)


def _load_message_audio(obj: Any, path: str) -> MessageAudio:
    if type(obj) is not dict:
        raise _fail("an object (MessageAudio)", path, obj)
    get = obj.get
    v = get("id", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.id", v)
    a0 = v
    v = get("data", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.data", v)
    a1 = v
    v = get("transcript", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.transcript", v)
    a2 = v
    v = get("expires_at", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not int:
        raise _fail("int or null", f"{path}.expires_at", v)
    a3 = v
    extra = _load_extra(obj, MessageAudio._keys, path)
    return make_message_audio(a0, a1, a2, a3, extra)


def _load_message(obj: Any, path: str) -> Message:
    if type(obj) is not dict:
        raise _fail("an object (Message)", path, obj)
    get = obj.get
    v = get("role", _MISSING)
    if v is _MISSING:
        v = "assistant"
    elif type(v) is not str:
        raise _fail("str", f"{path}.role", v)
    a0 = v
    v = get("content", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.content", v)
    a1 = v
    v = get("refusal", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.refusal", v)
    a2 = v
    v = get("tool_calls", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.tool_calls", v)
    elif v is not None:
        v = _load_items(v, f"{path}.tool_calls", _load_tool_call)
    a3 = v
    v = get("function_call", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _load_function_call(v, f"{path}.function_call")
    a4 = v
    v = get("reasoning_content", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.reasoning_content", v)
    a5 = v
    v = get("reasoning", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.reasoning", v)
    a6 = v
    v = get("content_parts", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.content_parts", v)
    elif v is not None:
        v = _load_items(v, f"{path}.content_parts", _load_object)
    a7 = v
    v = get("audio", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _load_message_audio(v, f"{path}.audio")
    a8 = v
    v = get("annotations", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.annotations", v)
    elif v is not None:
        v = _load_items(v, f"{path}.annotations", _chunk_loader(Annotation))
    a9 = v
    extra = _load_extra(obj, Message._keys, path)
    return make_message(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, extra)


def _load_assembled_logprobs(obj: Any, path: str) -> AssembledLogprobs:
    if type(obj) is not dict:
        raise _fail("an object (AssembledLogprobs)", path, obj)
    get = obj.get
    v = get("content", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.content", v)
    elif v is not None:
        v = _load_items(v, f"{path}.content", _chunk_loader(TokenLogprob))
    a0 = v
    v = get("refusal", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.refusal", v)
    elif v is not None:
        v = _load_items(v, f"{path}.refusal", _chunk_loader(TokenLogprob))
    a1 = v
    extra = _load_extra(obj, AssembledLogprobs._keys, path)
    return make_assembled_logprobs(a0, a1, extra)


def _load_choice(obj: Any, path: str) -> Choice:
    if type(obj) is not dict:
        raise _fail("an object (Choice)", path, obj)
    get = obj.get
    v = get("index", _MISSING)
    if v is _MISSING:
        raise _fail("int", f"{path}.index", v)
    elif type(v) is not int:
        raise _fail("int", f"{path}.index", v)
    a0 = v
    v = get("message", _MISSING)
    a1 = Message() if v is _MISSING else _load_message(v, f"{path}.message")
    v = get("finish_reason", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.finish_reason", v)
    a2 = v
    v = get("logprobs", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _load_assembled_logprobs(v, f"{path}.logprobs")
    a3 = v
    extra = _load_extra(obj, Choice._keys, path)
    return make_choice(a0, a1, a2, a3, extra)


def _load_chat_completion(obj: Any, path: str) -> ChatCompletion:
    if type(obj) is not dict:
        raise _fail("an object (ChatCompletion)", path, obj)
    get = obj.get
    v = get("id", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.id", v)
    a0 = v
    v = get("object", _MISSING)
    if v is _MISSING:
        v = "chat.completion"
    elif type(v) is not str:
        raise _fail("str", f"{path}.object", v)
    elif v != "chat.completion":
        raise _fail("\"chat.completion\"", f"{path}.object", v)
    a1 = v
    v = get("created", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not int:
        raise _fail("int or null", f"{path}.created", v)
    a2 = v
    v = get("model", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.model", v)
    a3 = v
    v = get("system_fingerprint", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.system_fingerprint", v)
    a4 = v
    v = get("service_tier", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.service_tier", v)
    a5 = v
    v = get("choices", _MISSING)
    if v is _MISSING:
        raise _fail("list", f"{path}.choices", v)
    elif type(v) is not list:
        raise _fail("list", f"{path}.choices", v)
    else:
        v = _load_items(v, f"{path}.choices", _load_choice)
    a6 = v
    v = get("usage", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _chunk_loader(Usage)(v, f"{path}.usage")
    a7 = v
    v = get("moderation", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not dict:
        raise _fail("object or null", f"{path}.moderation", v)
    a8 = v
    v = get("error", _MISSING)
    if v is _MISSING:
        v = None
    a9 = v
    extra = _load_extra(obj, ChatCompletion._keys, path)
    return make_chat_completion(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, (), extra)


def _load_completion_choice_logprobs(obj: Any, path: str) -> CompletionChoiceLogprobs:
    if type(obj) is not dict:
        raise _fail("an object (CompletionChoiceLogprobs)", path, obj)
    get = obj.get
    v = get("tokens", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.tokens", v)
    elif v is not None:
        v = _load_items(v, f"{path}.tokens", _load_str)
    a0 = v
    v = get("token_logprobs", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.token_logprobs", v)
    elif v is not None:
        v = _load_items(v, f"{path}.token_logprobs", _load_number_or_null)
    a1 = v
    v = get("top_logprobs", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.top_logprobs", v)
    elif v is not None:
        v = _load_items(v, f"{path}.top_logprobs", _load_object_or_null)
    a2 = v
    v = get("text_offset", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.text_offset", v)
    elif v is not None:
        v = _load_items(v, f"{path}.text_offset", _load_int)
    a3 = v
    v = get("content", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not list:
        raise _fail("list or null", f"{path}.content", v)
    elif v is not None:
        v = _load_items(v, f"{path}.content", _chunk_loader(TokenLogprob))
    a4 = v
    extra = _load_extra(obj, CompletionChoiceLogprobs._keys, path)
    return make_completion_choice_logprobs(a0, a1, a2, a3, a4, extra)


def _load_completion_choice(obj: Any, path: str) -> CompletionChoice:
    if type(obj) is not dict:
        raise _fail("an object (CompletionChoice)", path, obj)
    get = obj.get
    v = get("text", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.text", v)
    a0 = v
    v = get("index", _MISSING)
    if v is _MISSING:
        raise _fail("int", f"{path}.index", v)
    elif type(v) is not int:
        raise _fail("int", f"{path}.index", v)
    a1 = v
    v = get("logprobs", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _load_completion_choice_logprobs(v, f"{path}.logprobs")
    a2 = v
    v = get("finish_reason", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.finish_reason", v)
    a3 = v
    extra = _load_extra(obj, CompletionChoice._keys, path)
    return make_completion_choice(a0, a1, a2, a3, extra)


def _load_completion(obj: Any, path: str) -> Completion:
    if type(obj) is not dict:
        raise _fail("an object (Completion)", path, obj)
    get = obj.get
    v = get("id", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.id", v)
    a0 = v
    v = get("object", _MISSING)
    if v is _MISSING:
        v = "text_completion"
    elif type(v) is not str:
        raise _fail("str", f"{path}.object", v)
    elif v != "text_completion":
        raise _fail("\"text_completion\"", f"{path}.object", v)
    a1 = v
    v = get("created", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not int:
        raise _fail("int or null", f"{path}.created", v)
    a2 = v
    v = get("model", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.model", v)
    a3 = v
    v = get("system_fingerprint", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None and type(v) is not str:
        raise _fail("str or null", f"{path}.system_fingerprint", v)
    a4 = v
    v = get("choices", _MISSING)
    if v is _MISSING:
        raise _fail("list", f"{path}.choices", v)
    elif type(v) is not list:
        raise _fail("list", f"{path}.choices", v)
    else:
        v = _load_items(v, f"{path}.choices", _load_completion_choice)
    a5 = v
    v = get("usage", _MISSING)
    if v is _MISSING:
        v = None
    elif v is not None:
        v = _chunk_loader(Usage)(v, f"{path}.usage")
    a6 = v
    v = get("error", _MISSING)
    if v is _MISSING:
        v = None
    a7 = v
    extra = _load_extra(obj, Completion._keys, path)
    return make_completion(a0, a1, a2, a3, a4, a5, a6, a7, (), extra)


_set_loader(FunctionCall, _load_function_call)
_set_loader(ToolCall, _load_tool_call)
_set_loader(MessageAudio, _load_message_audio)
_set_loader(Message, _load_message)
_set_loader(AssembledLogprobs, _load_assembled_logprobs)
_set_loader(Choice, _load_choice)
_set_loader(ChatCompletion, _load_chat_completion)
_set_loader(CompletionChoiceLogprobs, _load_completion_choice_logprobs)
_set_loader(CompletionChoice, _load_completion_choice)
_set_loader(Completion, _load_completion)


# Every class of the table, by name (the accumulator builds from the table).
CLASSES: dict[str, Any] = {
    "TopLogprob": TopLogprob,
    "TokenLogprob": TokenLogprob,
    "ChoiceLogprobs": ChoiceLogprobs,
    "FunctionDelta": FunctionDelta,
    "ToolCallDelta": ToolCallDelta,
    "ChoiceDeltaAudio": ChoiceDeltaAudio,
    "URLCitation": URLCitation,
    "Annotation": Annotation,
    "ChoiceDelta": ChoiceDelta,
    "ChunkChoice": ChunkChoice,
    "PromptTokensDetails": PromptTokensDetails,
    "CompletionTokensDetails": CompletionTokensDetails,
    "Usage": Usage,
    "ChatCompletionChunk": ChatCompletionChunk,
    "CompletionLogprobs": CompletionLogprobs,
    "CompletionChunkChoice": CompletionChunkChoice,
    "CompletionChunk": CompletionChunk,
    "FunctionCall": FunctionCall,
    "ToolCall": ToolCall,
    "MessageAudio": MessageAudio,
    "Message": Message,
    "AssembledLogprobs": AssembledLogprobs,
    "Choice": Choice,
    "ChatCompletion": ChatCompletion,
    "CompletionChoiceLogprobs": CompletionChoiceLogprobs,
    "CompletionChoice": CompletionChoice,
    "Completion": Completion,
}
MAKERS: dict[str, Callable[..., Any]] = {
    "FunctionCall": make_function_call,
    "ToolCall": make_tool_call,
    "MessageAudio": make_message_audio,
    "Message": make_message,
    "AssembledLogprobs": make_assembled_logprobs,
    "Choice": make_choice,
    "ChatCompletion": make_chat_completion,
    "CompletionChoiceLogprobs": make_completion_choice_logprobs,
    "CompletionChoice": make_completion_choice,
    "Completion": make_completion,
}
# fmt: on
# --- END GENERATED CODE ---


def validate_chunk(obj: Any) -> None:
    """Check that ``obj`` (what ``json.loads`` gave) is a valid ``chat.completion.chunk``.

    Raises :class:`ChunkError` naming the JSON path, what was expected and what came. Every
    top-level field may be missing or null (real providers omit or blank them); a choice needs
    a non-negative ``index``. Unknown fields are not checked: they are kept as sent.
    """
    if _ok_chat_completion_chunk(obj):
        return
    if type(obj) is not dict:
        raise _fail("a JSON object (a chat.completion.chunk)", "", obj)
    _check_chat_completion_chunk(obj, "")


def validate_completion_chunk(obj: Any) -> None:
    """:func:`validate_chunk` for a legacy ``text_completion`` chunk (``/v1/completions``)."""
    if _ok_completion_chunk(obj):
        return
    if type(obj) is not dict:
        raise _fail("a JSON object (a text_completion chunk)", "", obj)
    _check_completion_chunk(obj, "")


def build_chunk(obj: Any) -> ChatCompletionChunk:
    """Validate and build in one pass: the chunk, or :class:`ChunkError` exactly as
    :func:`validate_chunk` would raise it."""
    try:
        return _build_chat_completion_chunk(obj)
    except Invalid:
        validate_chunk(obj)  # raises, naming the problem and its path
        raise AssertionError("the builder and the validator disagree") from None


def plain_tokens(tokens: Any) -> bool:
    """Whether ``tokens`` is a valid ``logprobs.content`` list with no field but the known ones
    (so nothing in it nests deeper than the schema). False means "look closer"."""
    if type(tokens) is not list:
        return False
    for tok in tokens:
        if not _ok_token_logprob(tok) or not tok.keys() <= _KNOWN_TOKEN_LOGPROB:
            return False
        for top in tok.get("top_logprobs") or ():
            if not top.keys() <= _KNOWN_TOP_LOGPROB:
                return False
    return True


# Package-internal names for the other layers (a layer imports no other module's _private
# names: tests/test_layers.py).
check_chunk = _ok_chat_completion_chunk  # whether a decoded value is a valid chunk
copy_json = _deep  # a copy of a JSON value that shares no dict or list with it
check_completion_chunk = _ok_completion_chunk  # the same for a text_completion chunk
build_chunk_fast = _build_chat_completion_chunk  # a chunk, or Invalid (no message)
check_usage = _check_usage  # raises ChunkError naming the path
make_logprobs = make_assembled_logprobs
