# SPDX-License-Identifier: MIT
"""Deterministic, OpenAI-shaped streaming bodies for the benchmarks.

Each generator returns the raw bytes of one ``text/event-stream`` body with exactly ``n``
``chat.completion.chunk`` events followed by ``data: [DONE]``, shaped like what the OpenAI API
sends (compact JSON, ``usage: null`` on every chunk as with ``stream_options.include_usage``,
raw UTF-8 text). The same (kind, n) always gives the same bytes: every random choice comes from
``random.Random`` seeded with a string (seeding with a str is stable across runs and
processes, unlike ``hash()``).

Kinds:
- ``text``: one choice; a role chunk, content tokens, a finish chunk, a usage chunk.
- ``tools``: one choice, 8 parallel tool calls one after the other, each opened by a chunk with
  id/type/name and its ``arguments`` split over many 1-8 character fragments (valid JSON once
  joined); finish_reason ``tool_calls``; a usage chunk.
- ``n4``: ``n=4``, four choices whose content chunks interleave at random; a usage chunk.
- ``logprobs``: like ``text``, each content chunk carrying its token's logprob, bytes and 5
  ``top_logprobs``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

__all__ = ["KINDS", "make_reads", "make_stream"]

KINDS = ("text", "tools", "n4", "logprobs")

_MODEL = "gpt-4o-mini-2024-07-18"
_FINGERPRINT = "fp_0ba0d124f1"
_CREATED = 1731368640
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# Token-like pieces: mostly ASCII words with their leading space, some punctuation and
# newlines, a few that need JSON escaping (quote, backslash, tab) and a few non-ASCII ones
# (2-, 3- and 4-byte UTF-8), so that decoding and escaping are part of the measured work.
# fmt: off
_WORDS = (
    " the", " of", " and", " to", " a", " in", " is", " that", " for", " it", " as", " with",
    " was", " on", " be", " by", " this", " stream", " chunk", " model", " response", " data",
    " token", " value", " function", " result", " request", " server", " client", " event",
    "ing", "ed", "ly", "s", ",", ".", ":", ";", "!", "?", "\n", "\n\n", " -", " (", ")",
    " 1", "2", "0", " 42", " \"quoted\"", " back\\slash", "\tindent", " café", " naïve",
    " über", " —", " “curly”", " 日本", "語", " 😀", " 🚀",
)
_ARG_WORDS = (
    "Paris", " France", " Tokyo", " weather", " forecast", " 2024", "-11-12", " celsius",
    " search", " query", " news", " about", " café", " São", " Paulo", " \\\"x\\\"", ",", " ",
)
# fmt: on
_TOOLS = ("get_current_weather", "search_web", "lookup_stock_price", "send_email")


def _rng(kind: str, n: int) -> random.Random:
    return random.Random(f"chunkstream-bench:{kind}:{n}")


def _dumps(obj: object) -> str:
    # OpenAI's framing: compact separators, raw UTF-8 (not \u escapes).
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class _Writer:
    """Collects ``data:`` events; ``count`` is the number of chunks written."""

    def __init__(self, rng: random.Random) -> None:
        self.id = "chatcmpl-" + "".join(rng.choice(_ALNUM) for _ in range(29))
        self.parts: list[str] = []
        self.count = 0

    def chunk(self, choices: list[dict[str, object]], usage: object = None) -> None:
        obj = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": _CREATED,
            "model": _MODEL,
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
            "choices": choices,
            "usage": usage,
        }
        self.parts.append("data: " + _dumps(obj) + "\n\n")
        self.count += 1

    def usage(self, prompt: int, completion: int) -> None:
        self.chunk(
            [],
            {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
        )

    def body(self) -> bytes:
        return ("".join(self.parts) + "data: [DONE]\n\n").encode("utf-8")


def _choice(index: int, delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def _text(n: int) -> bytes:
    rng = _rng("text", n)
    w = _Writer(rng)
    w.chunk([_choice(0, {"role": "assistant", "content": "", "refusal": None})])
    for _ in range(n - 3):
        w.chunk([_choice(0, {"content": rng.choice(_WORDS)})])
    w.chunk([_choice(0, {}, "stop")])
    w.usage(57, n - 3)
    return w.body()


def _tools(n: int) -> bytes:
    rng = _rng("tools", n)
    w = _Writer(rng)
    calls = 8
    # role chunk + finish chunk + usage chunk; each call: 1 opening chunk + its fragments.
    fragments = n - 3 - calls
    if fragments < 3 * calls:
        raise ValueError(f"a tools stream needs at least {3 + 4 * calls} chunks, got {n}")
    per_call = [fragments // calls + (1 if i < fragments % calls else 0) for i in range(calls)]
    w.chunk([_choice(0, {"role": "assistant", "content": None, "refusal": None})])
    for i, k in enumerate(per_call):
        call_id = "call_" + "".join(rng.choice(_ALNUM) for _ in range(24))
        opening = {
            "index": i,
            "id": call_id,
            "type": "function",
            "function": {"name": _TOOLS[i % len(_TOOLS)], "arguments": ""},
        }
        w.chunk([_choice(0, {"tool_calls": [opening]})])
        # k fragments: '{"query": "', k-2 pieces of the value, '", "limit": 10}'.
        pieces = ['{"query": "']
        for _ in range(k - 2):
            word = rng.choice(_ARG_WORDS)
            cut = rng.randint(1, 8)
            pieces.append(word[:cut] if not word.endswith('\\"') else word)
        pieces.append(f'", "limit": {10 + i}}}')
        for piece in pieces:
            fragment = {"index": i, "function": {"arguments": piece}}
            w.chunk([_choice(0, {"tool_calls": [fragment]})])
    w.chunk([_choice(0, {}, "tool_calls")])
    w.usage(212, n - 3)
    return w.body()


def _n4(n: int) -> bytes:
    rng = _rng("n4", n)
    w = _Writer(rng)
    choices = 4
    content = n - 2 * choices - 1  # a role chunk and a finish chunk per choice, one usage chunk
    if content < 0:
        raise ValueError(f"an n4 stream needs at least {2 * choices + 1} chunks, got {n}")
    for i in range(choices):
        w.chunk([_choice(i, {"role": "assistant", "content": "", "refusal": None})])
    for _ in range(content):
        w.chunk([_choice(rng.randrange(choices), {"content": rng.choice(_WORDS)})])
    for i in range(choices):
        w.chunk([_choice(i, {}, "stop")])
    w.usage(31, content)
    return w.body()


def _token(rng: random.Random, word: str) -> dict[str, object]:
    tops = [{"token": word, "logprob": round(-rng.random() * 0.05, 8), "bytes": []}]
    for _ in range(4):
        other = rng.choice(_WORDS)
        tops.append({"token": other, "logprob": round(-1 - rng.random() * 9, 8), "bytes": []})
    for t in tops:
        t["bytes"] = list(str(t["token"]).encode("utf-8"))
    return {
        "token": word,
        "logprob": tops[0]["logprob"],
        "bytes": list(word.encode("utf-8")),
        "top_logprobs": tops,
    }


def _logprobs(n: int) -> bytes:
    rng = _rng("logprobs", n)
    w = _Writer(rng)
    first = _choice(0, {"role": "assistant", "content": "", "refusal": None})
    first["logprobs"] = {"content": [], "refusal": None}
    w.chunk([first])
    for _ in range(n - 3):
        word = rng.choice(_WORDS)
        c = _choice(0, {"content": word})
        c["logprobs"] = {"content": [_token(rng, word)], "refusal": None}
        w.chunk([c])
    w.chunk([_choice(0, {}, "stop")])
    w.usage(9, n - 3)
    return w.body()


_MAKERS: dict[str, Callable[[int], bytes]] = {
    "text": _text,
    "tools": _tools,
    "n4": _n4,
    "logprobs": _logprobs,
}


def make_stream(kind: str, n: int) -> bytes:
    """The body of a stream of ``kind`` with exactly ``n`` chunks (then ``[DONE]``)."""
    try:
        maker = _MAKERS[kind]
    except KeyError:
        raise ValueError(f"unknown stream kind {kind!r}; expected one of {KINDS}") from None
    body = maker(n)
    assert body.count(b"\n\ndata: ") == n, "generator wrote the wrong number of chunks"
    return body


def make_reads(body: bytes, seed: str = "reads", low: int = 1024, high: int = 4096) -> list[bytes]:
    """Cut ``body`` into reads of ``low``..``high`` bytes (the last may be shorter), at
    positions fixed by ``seed``: they fall anywhere, inside lines and UTF-8 sequences too."""
    rng = random.Random(f"chunkstream-bench:{seed}:{len(body)}")
    reads = []
    pos = 0
    while pos < len(body):
        size = rng.randint(low, high)
        reads.append(body[pos : pos + size])
        pos += size
    return reads
