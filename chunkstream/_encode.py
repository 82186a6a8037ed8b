# SPDX-License-Identifier: MIT
"""A completion back into a stream (issue 16): ``ChatCompletion`` -> ``chat.completion.chunk``
objects -> an SSE body, such that assembling the body gives the completion back.

Driven by the schema table: each chunk-side field is split by the reverse of its merge rule
(``_schema.SPLIT_RULES``), so a field added to the table is written without a change here.
Vendor fields (``extra``) are sent once, on the first fragment of their object: the fallback
rule (``_schema.FALLBACK_RULE``) gives a value sent once back as it was.

Every body is checked before its first chunk is given out: its chunks are assembled (the
accumulator, lenient) and the result compared with the completion. A completion no stream can
give (a blank ``id``, which a stream reads as unknown; an empty ``tool_calls`` list) is refused
with a :class:`ChunkError` naming the first value that would come back different: nothing is
written that silently assembles to something else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._accumulate import DEFAULT_MAX_CHOICES, DEFAULT_MAX_TOOL_CALLS, Accumulator, part_texts
from ._errors import ChunkError, shown
from ._models import MAX_DEPTH, ChatCompletion, ChatCompletionChunk
from ._schema import SHAPES, Field

#: What ``pieces`` may be: ``None`` (``DEFAULT_PIECE`` characters), a number of characters, a
#: callable cutting a string into pieces that join back to it, or ``"tokens"``.
Pieces = None | int | str | Callable[[str], Iterable[str]]

DEFAULT_PIECE = 16  # characters per piece when ``pieces`` is None
CHUNK_OBJECT = "chat.completion.chunk"  # the rule "fixed" value of a chunk's ``object``
DONE = b"data: [DONE]\n\n"

# Words with the blanks before them, and trailing blanks: "Hello, world" -> "Hello,", " world".
_WORDS = re.compile(r"\s*\S+|\s+")

# Rules split by the caller of _split (a choice's index, finish_reason and logprobs, the
# top level's choices and its "last" fields) or with nothing to send ("fixed" is written as
# CHUNK_OBJECT, "chunk_only" is no part of a completion); "" is a field kept whole inside its
# object.
_ELSEWHERE = frozenset(
    ("", "key", "fixed", "chunk_only", "finish", "logprobs", "delta", "choices", "last")
)
# Rules whose value is sent whole on the object's first fragment (the "head").
_HEAD_RULES = frozenset(("once", "tool_id", "name", "same", "created", "first"))
# Rules whose string is cut into pieces, one per fragment.
_TEXT_RULES = frozenset(("append", "content"))

_Cut = Callable[[str, "list[str] | None"], list[str]]


def to_sse(obj: dict[str, Any]) -> bytes:
    """One SSE event carrying ``obj`` as compact JSON: ``b"data: {...}\\n\\n"``. Text is UTF-8
    as providers send it; a string holding a lone surrogate (a pair split between chunks) is
    written with ``\\u`` escapes, which read back to the same string."""
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("ascii")
    except (ValueError, TypeError):  # a value JSON has no text for: _not_json says where
        found = _not_json(obj)
        if found is None:
            raise
        raise ChunkError(found[1], path=found[0]) from None
    return b"data: " + data + b"\n\n"


def _json_only(value: Any) -> None:
    """Raise :class:`ChunkError` at the first place :func:`_not_json` finds."""
    found = _not_json(value)
    if found is not None:
        raise ChunkError(found[1], path=found[0])


def _not_json(value: Any) -> tuple[str, str] | None:
    """The first place in ``value`` that no stream can carry exactly: ``(path, message)``, or
    None. JSON has no NaN or infinity (RFC 8259 §6), only string keys (§4) and no sets, bytes
    or tuples (a tuple would come back a list); a stream's reader refuses an int with more
    digits than ``sys.get_int_max_str_digits()`` and a chunk nested more than ``MAX_DEPTH``
    objects and lists deep (a completion's value is as deep in its chunk: ``message`` is
    ``delta``). Iterative: a value may nest past the recursion limit."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        v, path, depth = stack.pop()
        t = type(v)
        if (t is dict or t is list) and depth > MAX_DEPTH:
            return path, (
                f"expected a value nested at most {MAX_DEPTH} levels deep (objects and lists) "
                f"at {path}, got one nested deeper"
            )
        if t is dict:
            for k, item in v.items():
                if type(k) is not str:
                    return path or ".", f"expected string keys at {path or '.'}, got {shown(k)}"
                stack.append((item, f"{path}.{k}", depth + 1))
        elif t is list:
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(v))
        elif v is None or isinstance(v, (str, bool)):
            pass
        elif isinstance(v, float):
            if v - v != 0:
                return path or ".", f"expected a number JSON can write at {path}, got {v!r}"
        elif isinstance(v, int):
            try:
                str(v)
            except ValueError:
                return path or ".", (
                    f"expected an integer a stream can carry at {path} (at most "
                    f"sys.get_int_max_str_digits() digits), got one of {v.bit_length()} bits"
                )
        else:
            return path or ".", f"expected a JSON value at {path or '.'}, got {shown(v)}"
    return None


def _cutter(pieces: Pieces) -> _Cut:
    """``pieces`` as a function of (text, the logprobs tokens of that text or None)."""
    if pieces is None:
        pieces = DEFAULT_PIECE
    if type(pieces) is int:
        if pieces < 1:
            raise ValueError(f"pieces must be at least 1 character, got {pieces}")
        size = pieces
        return lambda text, tokens: [text[i : i + size] for i in range(0, len(text), size)]
    if pieces == "tokens":
        return _by_tokens
    if isinstance(pieces, str) or not callable(pieces):
        raise TypeError("pieces must be None, an int, a callable or 'tokens', got " + shown(pieces))
    cut = pieces

    def by_callable(text: str, tokens: list[str] | None) -> list[str]:
        given = cut(text)
        try:
            out = list(given)
        except TypeError:  # not iterable (None, a number): say what pieces gave
            raise TypeError(
                f"pieces({shown(text)}) must give an iterable of strings, got {shown(given)}"
            ) from None
        if not all(type(p) is str for p in out) or "".join(out) != text:
            raise ValueError(
                f"pieces({shown(text)}) must give strings that join back to it, got {shown(out)}"
            )
        return out

    return by_callable


def _by_tokens(text: str, tokens: list[str] | None) -> list[str]:
    """Per logprobs token where the tokens spell the text, else words."""
    if tokens and "".join(tokens) == text:
        return tokens
    return _WORDS.findall(text)


class _Split:
    """One object cut into fragments: ``head`` (its set-once values, its vendor fields and
    ``""`` for each text it streams: the announcement) and ``rest`` (one fragment each);
    ``marks[i]`` is ``(key, end)`` when ``rest[i]`` carries the piece of text ``key`` that ends
    at character ``end`` (to put each logprobs token beside its text)."""

    __slots__ = ("head", "marks", "rest")

    def __init__(self) -> None:
        self.head: dict[str, Any] = {}
        self.rest: list[dict[str, Any]] = []
        self.marks: list[tuple[str, int] | None] = []

    def add(self, fragment: dict[str, Any], mark: tuple[str, int] | None = None) -> None:
        self.rest.append(fragment)
        self.marks.append(mark)

    def fragments(self) -> list[dict[str, Any]]:
        """Every fragment, the head first (an object with nothing in it is one ``{}``, which
        still makes it exist)."""
        if self.head or not self.rest:
            return [self.head, *self.rest]
        return list(self.rest)


def _json(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return value if to_dict is None else to_dict()


def _vendor(obj: Any, shape: str, head: dict[str, Any], path: str) -> None:
    """``obj``'s vendor fields, into the head of its chunk-side object (sent once)."""
    extra: dict[str, Any] = getattr(obj, "extra", None) or {}
    own = {f.key for f in SHAPES[shape].fields}
    for key, value in extra.items():
        if key in own:
            raise ChunkError(
                f"expected vendor fields a stream can carry at {path or '.'}, got "
                f"{shown(key)}, the name of a {shape} field (a chunk cannot hold both)",
                path=f"{path}.{key}",
            )
        head[key] = value


def _split(shape: str, obj: Any, cut: _Cut, tokens: dict[str, list[str]], path: str) -> _Split:
    """Cut the assembled ``obj`` into fragments of the chunk-side ``shape``, each field by the
    reverse of its merge rule (``SPLIT_RULES``)."""
    out = _Split()
    done: dict[str, int] = {}  # text key -> characters of it sent inside content parts
    for f in SHAPES[shape].fields:
        rule = f.merge
        if rule in _ELSEWHERE:
            continue
        if rule == "content":
            _parts(obj, f, out, done)
        value = getattr(obj, f.into or f.key, None)
        if value is None:
            continue
        where = f"{path}.{f.key}"
        if rule in _HEAD_RULES:
            out.head[f.key] = value
        elif rule in _TEXT_RULES:
            _text(f.key, value, done.get(f.key), out, cut, tokens.get(f.key))
        elif rule == "extend":
            if not value:
                out.head[f.key] = []
            for item in value:
                out.add({f.key: [_json(item)]})
        elif rule in ("object", "function"):
            sub = _split(f.of, value, cut, {}, where)
            if sub.head or not sub.rest:
                out.head[f.key] = sub.head
            for fragment in sub.rest:
                out.add({f.key: fragment})
        elif rule == "tool_calls":
            calls = []
            for i, call in enumerate(value):
                sub = _split(f.of, call, cut, {}, f"{where}[{i}]")
                calls.append([{"index": i, **fragment} for fragment in sub.fragments()])
            for fragment in _interleave(calls):
                out.add({f.key: [fragment]})
            if not value:
                out.head[f.key] = []
        else:  # pragma: no cover - every rule is split above (test_encode holds it)
            raise AssertionError(f"no split for merge rule {rule!r}")
    _vendor(obj, shape, out.head, path)
    return out


def _parts(obj: Any, f: Field, out: _Split, done: dict[str, int]) -> None:
    """Rule "content", list form: the parts kept (``content_parts``) sent first, one per
    fragment; their text counts as the start of ``content`` (text parts) and of
    ``reasoning_content`` (thinking parts), as the accumulator reads them."""
    parts = getattr(obj, "content_parts", None)
    if parts is None:
        return
    for part in parts:
        out.add({f.key: [part]})
        target, texts = part_texts(part)
        if texts:
            key = f.key if target == "content" else target
            done[key] = done.get(key, 0) + sum(map(len, texts))


def _text(
    key: str,
    value: str,
    sent: int | None,
    out: _Split,
    cut: _Cut,
    tokens: list[str] | None,
) -> None:
    """Rule "append": ``value`` (but its first ``sent`` characters, already in content parts)
    in pieces; announced with ``""`` in the head when nothing else says it exists."""
    start = sent or 0
    text = value[start:]
    if sent is None:
        out.head[key] = ""
    end = start
    for piece in cut(text, tokens):
        if piece:
            end += len(piece)
            out.add({key: piece}, (key, end))


def _interleave(lists: list[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """The lists' items round robin: the first of each, then the second of each..."""
    longest = max(map(len, lists), default=0)
    for i in range(longest):
        for items in lists:
            if i < len(items):
                yield items[i]


def _choice(choice: Any, cut: _Cut, n: int) -> list[dict[str, Any]]:
    """One choice as the chunk-side choices of its chunks, in order: the delta's fragments
    (``ChoiceDelta`` from the message), the logprobs tokens beside the text they belong to,
    the vendor fields on the first, ``finish_reason`` on the last."""
    path = f".choices[{n}]"
    logprobs = choice.logprobs
    lp_fields = [f for f in SHAPES["ChoiceLogprobs"].fields if f.merge == "extend"]
    tokens: dict[str, list[str]] = {}
    if logprobs is not None:
        for f in lp_fields:
            entries = getattr(logprobs, f.key)
            if entries:
                tokens[f.key] = [t.token or "" for t in entries]
    delta = _split("ChoiceDelta", choice.message, cut, tokens, f"{path}.message")
    fragments = delta.fragments()
    marks = [None, *delta.marks] if len(fragments) > len(delta.rest) else list(delta.marks)
    sent: list[dict[str, Any]] = [{} for _ in fragments]  # each fragment's logprobs
    if logprobs is not None:
        head = sent[0]
        for f in lp_fields:
            entries = getattr(logprobs, f.key)
            if entries is not None and not entries:
                head[f.key] = []
            if entries:
                _beside(f.key, [t.to_dict() for t in entries], marks, sent)
        _vendor(logprobs, "ChoiceLogprobs", head, f"{path}.logprobs")
    out = []
    for i, fragment in enumerate(fragments):
        c: dict[str, Any] = {"index": choice.index, "delta": fragment}
        if (i == 0 and logprobs is not None) or sent[i]:
            c["logprobs"] = sent[i]
        out.append(c)
    if choice.finish_reason is not None:
        out[-1]["finish_reason"] = choice.finish_reason
    _vendor(choice, "ChunkChoice", out[0], path)
    return out


def _beside(
    key: str,
    entries: list[dict[str, Any]],
    marks: list[tuple[str, int] | None],
    sent: list[dict[str, Any]],
) -> None:
    """Each token's entry in the fragment whose piece of text ``key`` holds the token's end;
    what is left (tokens that do not spell the text) with the last piece, or the first
    fragment when ``key`` streams no text."""
    where = [(i, m[1]) for i, m in enumerate(marks) if m is not None and m[0] == key]
    if not where:
        sent[0].setdefault(key, []).extend(entries)
        return
    end, w = 0, 0
    for entry in entries:
        token = entry.get("token")
        end += len(token) if type(token) is str else 0
        while w < len(where) - 1 and where[w][1] < end:
            w += 1
        sent[where[w][0]].setdefault(key, []).append(entry)


def _chunk_dicts(completion: ChatCompletion, cut: _Cut) -> list[dict[str, Any]]:
    """The completion's chunks, as JSON objects in the order they are sent."""
    top: dict[str, Any] = {}
    trailer: dict[str, Any] = {}
    for f in SHAPES["ChatCompletionChunk"].fields:
        if f.merge == "fixed":
            top[f.key] = CHUNK_OBJECT
        elif f.merge in _HEAD_RULES:
            value = getattr(completion, f.key)
            if value is not None:
                top[f.key] = value
        elif f.merge == "last":
            value = getattr(completion, f.key)
            if value is not None:
                trailer[f.key] = _json(value)
    first: dict[str, Any] = {}
    _vendor(completion, "ChatCompletionChunk", first, "")
    if completion.error is not None:
        trailer["error"] = completion.error
    per_choice = [_choice(c, cut, n) for n, c in enumerate(completion.choices)]
    chunks = [{**top, "choices": [c]} for c in _interleave(per_choice)]
    if trailer or not chunks:
        chunks.append({**top, "choices": [], **trailer})
    chunks[0].update(first)
    return chunks


def _load(completion: ChatCompletion | dict[str, Any]) -> ChatCompletion:
    """The completion, checked: a ``ChatCompletion`` built by hand (whose constructor trusts
    its caller) is loaded again from its JSON form, so a value of the wrong type is a
    ``ChunkError`` naming its path, like a bad value in a dict."""
    if isinstance(completion, ChatCompletion):
        completion = completion.to_dict()
    if type(completion) is dict:
        # Walked before from_dict, whose copy would never end on a value holding itself (a
        # hand-built cycle stops here, at the depth limit), and after, for what to_dict nests.
        _json_only(completion)
        loaded = ChatCompletion.from_dict(completion)
        _json_only(loaded.to_dict())
        seen: set[int] = set()
        for i, choice in enumerate(loaded.choices):
            if choice.index in seen:  # a stream merges every delta of one index into one choice
                raise ChunkError(
                    f"expected each choice index once, but .choices[{i}] has index "
                    f"{choice.index} again (a stream gives one choice per index)",
                    path=f".choices[{i}].index",
                )
            seen.add(choice.index)
        return loaded
    raise ChunkError(
        f"expected a ChatCompletion or a chat.completion JSON object, got "
        f"{type(completion).__name__}",
        path=".",
    )


def _difference(want: Any, got: Any, path: str) -> tuple[str, Any, Any] | None:
    """The first place where two JSON values differ: (path, want, got), or None."""
    if type(want) is dict and type(got) is dict:
        for key in [*want, *(k for k in got if k not in want)]:
            found = _difference(want.get(key), got.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if type(want) is list and type(got) is list and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            found = _difference(a, b, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return None if want == got and type(want) is type(got) else (path or ".", want, got)


_BLANK = ' (a stream reads a blank id, model, role, name, type or finish_reason ("", 0) as absent)'


# Warnings that any stream of the completion gets, the one it came from too: not the encoder's.
_OWN_WARNINGS = frozenset(("upstream_error", "invalid_arguments"))


def _check(completion: ChatCompletion, chunks: list[ChatCompletionChunk]) -> None:
    """Assemble ``chunks`` and refuse them unless they give ``completion`` back, with no
    warning but those the completion's own content gives wherever it came from: the
    provider's error it carries, and tool-call arguments that are not JSON (a ``length`` cut)."""
    calls = max((len(c.message.tool_calls or ()) for c in completion.choices), default=0)
    acc = Accumulator(
        strict=False,
        max_choices=max(DEFAULT_MAX_CHOICES, len(completion.choices)),
        max_tool_calls=max(DEFAULT_MAX_TOOL_CALLS, calls),
    )
    for chunk in chunks:
        acc.feed(chunk)
    got = acc.close()
    for w in got.warnings:
        if w.kind not in _OWN_WARNINGS:
            raise ChunkError(
                f"expected a completion a stream can give back quietly, but its stream would "
                f"be read with a warning: {w.message}",
                path=w.path,
            )
    want = completion.to_dict()
    found = _difference(want, got.to_dict(), "")
    if found is not None:
        path, a, b = found
        blank = a in ("", 0) and type(a) is not bool
        raise ChunkError(
            f"expected a completion a stream can give back, but at {path} the stream would "
            f"give {shown(b)} where the completion has {shown(a)}" + (_BLANK if blank else ""),
            path=path,
        )


def encode_chunks(
    completion: ChatCompletion | dict[str, Any], *, pieces: Pieces = None
) -> Iterator[ChatCompletionChunk]:
    """The chunks of a stream that assembles back to ``completion`` (a ``ChatCompletion`` or
    its JSON form): the role first, texts cut into ``pieces``, tool calls announced then their
    arguments in pieces, choices interleaved, ``finish_reason`` on each choice's last chunk, a
    usage chunk (``choices: []``) when there is usage. Checked before the first is given out:
    :class:`ChunkError` for a completion no stream can give back. Arguments are checked when
    called (``TypeError``/``ValueError`` for a bad ``pieces``)."""
    chunks = _encoded(completion, pieces)
    return iter(chunks)


def _encoded(
    completion: ChatCompletion | dict[str, Any], pieces: Pieces
) -> list[ChatCompletionChunk]:
    cut = _cutter(pieces)
    loaded = _load(completion)
    chunks = [ChatCompletionChunk.from_dict(d) for d in _chunk_dicts(loaded, cut)]
    _check(loaded, chunks)
    return chunks


def iter_encode(
    completion: ChatCompletion | dict[str, Any], *, pieces: Pieces = None
) -> Iterator[bytes]:
    """The SSE body of :func:`encode_chunks`, one event's bytes per item, the last
    ``b"data: [DONE]\\n\\n"``."""
    chunks = _encoded(completion, pieces)
    return _events(chunks)


def _events(chunks: list[ChatCompletionChunk]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.to_sse()
    yield DONE


def encode(completion: ChatCompletion | dict[str, Any], *, pieces: Pieces = None) -> bytes:
    """The whole SSE body of :func:`encode_chunks`, ending with ``data: [DONE]``:
    ``assemble(encode(c)).to_dict() == c.to_dict()``."""
    return b"".join(iter_encode(completion, pieces=pieces))
