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

from ._errors import ChunkError, StreamWarning, describe

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


def _check_token(tok: dict[str, Any], path: str) -> None:
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


def validate_chunk(obj: Any) -> None:
    """Check that ``obj`` (what ``json.loads`` gave) is a valid ``chat.completion.chunk``.

    Raises :class:`ChunkError` naming the JSON path, what was expected and what came. Every
    top-level field may be missing or null (real providers omit or blank them); a choice needs
    a non-negative ``index``. Unknown fields are not checked: they are kept as sent.
    """
    if type(obj) is not dict:
        raise _fail("a JSON object (a chat.completion.chunk)", "", obj)
    _check_chunk_fields(obj, "")


# ---------------------------------------------------------------------------------------------
# The chunk-side dataclasses. ``_absent`` remembers which known keys the source did not have, so
# that null and absent survive the round trip; it is ``None`` for objects built by hand (then
# ``to_dict`` leaves out the fields that are ``None``).

T = TypeVar("T", bound="_ChunkModel")


def _to_json(value: Any) -> Any:
    if isinstance(value, _Model):
        return value.to_dict()
    if type(value) is tuple or type(value) is list:  # a list from a hand-built value, too
        return [_to_json(v) for v in value]
    return value


def _short(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 80 else r[:77] + "..."


class _Model:
    """Shared behaviour of every model class: ``to_dict`` and a compact ``repr``."""

    __slots__ = ()
    _keys: ClassVar[tuple[str, ...]] = ()  # the JSON keys, in schema order

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this value stands for (``extra`` keys included)."""
        out: dict[str, Any] = {}
        absent = getattr(self, "_absent", None)
        for key in self._keys:
            value = getattr(self, key)
            if absent is None:
                if value is None:
                    continue
            elif value is None and key in absent:
                # Absent in the source: still absent unless a value was put there since
                # (``dataclasses.replace``), which must not be dropped silently.
                continue
            out[key] = _to_json(value)
        extra = getattr(self, "extra", None)
        if extra:
            out.update(extra)
        return out

    def __repr__(self) -> str:
        # Short and readable: fields that are None, empty or hidden are left out.
        shown = []
        for f in fields(self):  # type: ignore[arg-type]
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if value is None or value == () or value == {}:
                continue
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
        raise NotImplementedError

    @classmethod
    def from_dict(cls: type[T], obj: Any) -> T:
        """Validate ``obj`` (a decoded JSON object) and build the value; :class:`ChunkError`
        with a JSON path (relative to this object) when it is not valid."""
        if type(obj) is not dict:
            raise _fail(f"a JSON object ({cls.__name__})", "", obj)
        cls._validate(obj, "")
        return cls._build(obj)


def _has_unknown(obj: dict[str, Any], keys: tuple[str, ...], absent: list[str]) -> bool:
    """Whether ``obj`` has keys beyond ``keys`` (cheap: compares counts, builds no set)."""
    return len(obj) != len(keys) - len(absent)


def _extra(obj: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def _fields_of(obj: dict[str, Any], keys: tuple[str, ...]) -> tuple[list[Any], list[str]]:
    values: list[Any] = []
    absent: list[str] = []
    get = obj.get
    for key in keys:
        v = get(key, _MISSING)
        if v is _MISSING:
            absent.append(key)
            v = None
        values.append(v)
    return values, absent


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
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes")

    _validate = staticmethod(_check_top)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> TopLogprob:
        (token, logprob, bytes_), absent = _fields_of(obj, cls._keys)
        return cls(
            token=token,
            logprob=logprob,
            bytes=None if bytes_ is None else tuple(bytes_),
            extra=_extra(obj, _TOP_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TokenLogprob(_ChunkModel):
    """One token of ``logprobs.content`` / ``logprobs.refusal``."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    top_logprobs: tuple[TopLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("token", "logprob", "bytes", "top_logprobs")

    _validate = staticmethod(_check_token)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> TokenLogprob:
        (token, logprob, bytes_, top), absent = _fields_of(obj, cls._keys)
        return cls(
            token=token,
            logprob=logprob,
            bytes=None if bytes_ is None else tuple(bytes_),
            top_logprobs=None if top is None else tuple(TopLogprob._build(t) for t in top),
            extra=_extra(obj, _TOKEN_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChoiceLogprobs(_ChunkModel):
    """A choice's ``logprobs``: token lists for ``content`` and ``refusal``."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    _validate = staticmethod(_check_logprobs)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> ChoiceLogprobs:
        (content, refusal), absent = _fields_of(obj, cls._keys)
        build = TokenLogprob._build
        return cls(
            content=None if content is None else tuple(build(t) for t in content),
            refusal=None if refusal is None else tuple(build(t) for t in refusal),
            extra=_extra(obj, _LOGPROBS_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionDelta(_ChunkModel):
    """A fragment of a tool call's ``function`` (or of a legacy ``function_call``)."""

    name: str | None = None
    arguments: str | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    _validate = staticmethod(_check_function)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> FunctionDelta:
        (name, arguments), absent = _fields_of(obj, cls._keys)
        return cls(
            name=name,
            arguments=arguments,
            extra=_extra(obj, _FUNCTION_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCallDelta(_ChunkModel):
    """A fragment of one tool call in a delta."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "id", "type", "function")

    _validate = staticmethod(_check_tool_call)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> ToolCallDelta:
        (index, id_, type_, function), absent = _fields_of(obj, cls._keys)
        return cls(
            index=index,
            id=id_,
            type=type_,
            function=None if function is None else FunctionDelta._build(function),
            extra=_extra(obj, _TOOL_CALL_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


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
    _absent: tuple[str, ...] | None = _absent_field()

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

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> ChoiceDelta:
        values, absent = _fields_of(obj, cls._keys)
        role, content, refusal, tool_calls, function_call, reasoning_content, reasoning = values
        return cls(
            role=role,
            content=tuple(content) if type(content) is list else content,
            refusal=refusal,
            tool_calls=(
                None if tool_calls is None else tuple(ToolCallDelta._build(c) for c in tool_calls)
            ),
            function_call=None if function_call is None else FunctionDelta._build(function_call),
            reasoning_content=reasoning_content,
            reasoning=reasoning,
            extra=_extra(obj, _DELTA_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChunkChoice(_ChunkModel):
    """One entry of a chunk's ``choices``."""

    index: int
    delta: ChoiceDelta | None = None
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("index", "delta", "finish_reason", "logprobs")

    _validate = staticmethod(_check_choice)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> ChunkChoice:
        (index, delta, finish_reason, logprobs), absent = _fields_of(obj, cls._keys)
        return cls(
            index=index,
            delta=None if delta is None else ChoiceDelta._build(delta),
            finish_reason=finish_reason,
            logprobs=None if logprobs is None else ChoiceLogprobs._build(logprobs),
            extra=_extra(obj, _CHOICE_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptTokensDetails(_ChunkModel):
    """``usage.prompt_tokens_details``."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = ("cached_tokens", "audio_tokens")

    _validate = staticmethod(_check_prompt_details)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> PromptTokensDetails:
        (cached, audio), absent = _fields_of(obj, cls._keys)
        return cls(
            cached_tokens=cached,
            audio_tokens=audio,
            extra=_extra(obj, _PROMPT_DETAIL_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CompletionTokensDetails(_ChunkModel):
    """``usage.completion_tokens_details``."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None
    extra: dict[str, Any] = _extra_field()
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
    )

    _validate = staticmethod(_check_completion_details)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> CompletionTokensDetails:
        (reasoning, audio, accepted, rejected), absent = _fields_of(obj, cls._keys)
        return cls(
            reasoning_tokens=reasoning,
            audio_tokens=audio,
            accepted_prediction_tokens=accepted,
            rejected_prediction_tokens=rejected,
            extra=(
                _extra(obj, _COMPLETION_DETAIL_KEYS) if _has_unknown(obj, cls._keys, absent) else {}
            ),
            _absent=tuple(absent),
        )


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
    _absent: tuple[str, ...] | None = _absent_field()

    _keys: ClassVar[tuple[str, ...]] = (
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    )

    _validate = staticmethod(_check_usage)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> Usage:
        (prompt, completion, total, pdetails, cdetails), absent = _fields_of(obj, cls._keys)
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=total,
            prompt_tokens_details=(
                None if pdetails is None else PromptTokensDetails._build(pdetails)
            ),
            completion_tokens_details=(
                None if cdetails is None else CompletionTokensDetails._build(cdetails)
            ),
            extra=_extra(obj, _USAGE_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


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
    _absent: tuple[str, ...] | None = _absent_field()

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
        validate_chunk(obj)
        return cls._build(obj)

    @classmethod
    def _build(cls, obj: dict[str, Any]) -> ChatCompletionChunk:
        values, absent = _fields_of(obj, cls._keys)
        id_, object_, created, model, fingerprint, tier, choices, usage = values
        return cls(
            id=id_,
            object=object_,
            created=created,
            model=model,
            system_fingerprint=fingerprint,
            service_tier=tier,
            choices=None if choices is None else tuple(ChunkChoice._build(c) for c in choices),
            usage=None if usage is None else Usage._build(usage),
            extra=_extra(obj, _CHUNK_KEYS) if _has_unknown(obj, cls._keys, absent) else {},
            _absent=tuple(absent),
        )


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


@_lazy("arguments")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionCall(_Model):
    """An assembled function: ``name`` and the joined ``arguments`` string."""

    name: str | None = None
    arguments: str = ""
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("name", "arguments")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, **self.extra}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolCall(_Model):
    """An assembled tool call (``type`` is ``"function"`` when the stream never said)."""

    id: str | None = None
    type: str = "function"
    function: FunctionCall = field(default_factory=FunctionCall)
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("id", "type", "function")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "function": self.function.to_dict(), **self.extra}


@_lazy("content", "refusal", "reasoning_content", "reasoning", "content_parts")
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
        out.update(self.extra)
        return out


@_lazy("content", "refusal")
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AssembledLogprobs(_Model):
    """A choice's logprobs, extended over the stream (``None`` lists were never sent)."""

    content: tuple[TokenLogprob, ...] | None = None
    refusal: tuple[TokenLogprob, ...] | None = None
    extra: dict[str, Any] = _extra_field()

    _keys: ClassVar[tuple[str, ...]] = ("content", "refusal")

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": _to_json(self.content),
            "refusal": _to_json(self.refusal),
            **self.extra,
        }


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
        return {
            "index": self.index,
            "message": self.message.to_dict(),
            "finish_reason": self.finish_reason,
            "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
            **self.extra,
        }


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
        out.update(self.extra)
        return out
