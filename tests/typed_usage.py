"""A typed usage example of the public API. CI checks it with `mypy --strict`; a test runs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import chunkstream
from chunkstream import (
    Accumulator,
    ChatCompletion,
    ChatCompletionChunk,
    ChunkstreamError,
    ServerSentEvent,
    StreamWarning,
    ToolCall,
    UpstreamError,
    Usage,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def reads(name: str, size: int = 64) -> Iterable[bytes]:
    body = (FIXTURES / f"{name}.sse").read_bytes()
    return [body[i : i + size] for i in range(0, len(body), size)]


def tool_calls(name: str) -> list[tuple[str | None, str]]:
    completion: ChatCompletion = chunkstream.assemble(reads(name))
    calls: tuple[ToolCall, ...] = completion.choices[0].message.tool_calls or ()
    return [(call.function.name, call.function.arguments) for call in calls]


def live_text(name: str) -> list[str]:
    acc = Accumulator(strict=True, created_tolerance=600)
    seen: list[str] = []
    for chunk in chunkstream.iter_chunks(reads(name)):
        assert isinstance(chunk, ChatCompletionChunk)
        acc.feed(chunk)
        snapshot = acc.snapshot()
        if snapshot.choices and snapshot.choices[0].message.content is not None:
            seen.append(snapshot.choices[0].message.content)
    return seen


def events(name: str) -> list[ServerSentEvent]:
    decoder = chunkstream.SSEDecoder(max_event_bytes=1 << 20)
    out: list[ServerSentEvent] = []
    for read in reads(name):
        out.extend(decoder.feed(read))
    out.extend(decoder.close())
    return out


def lenient_warnings(name: str) -> list[StreamWarning]:
    try:
        chunkstream.assemble(reads(name))
    except ChunkstreamError as exc:
        assert exc.partial is None or isinstance(exc.partial, ChatCompletion)
    return list(chunkstream.assemble(reads(name), strict=False).warnings)


# What a user script reads, with no cast: only the None checks the data really needs (a field
# that may be missing, a provider that sent no usage).


def tokens(usage: Usage | None) -> tuple[int, int, int | None]:
    if usage is None:
        return (0, 0, None)
    cached = None
    if usage.prompt_tokens_details is not None:
        cached = usage.prompt_tokens_details.cached_tokens
    return (usage.prompt_tokens or 0, usage.completion_tokens or 0, cached)


def reasoning_and_answer(name: str) -> tuple[str, str, tuple[int, int, int | None]]:
    completion = chunkstream.assemble(FIXTURES / f"{name}.sse")  # a path is read as a file
    message = completion.choices[0].message
    return (message.reasoning_content or "", message.content or "", tokens(completion.usage))


def called(name: str) -> list[tuple[str, dict[str, Any]]]:
    with open(FIXTURES / f"{name}.sse", "rb") as file:
        completion = chunkstream.assemble(file)
    out: list[tuple[str, dict[str, Any]]] = []
    for choice in completion.choices:
        for call in choice.message.tool_calls or ():
            arguments: dict[str, Any] = call.function.parse_arguments()
            out.append((call.function.name or "", arguments))
    return out


def live_arguments(name: str) -> dict[int, list[Any]]:
    """What a live display shows of each tool call's arguments as they stream."""
    readers: dict[int, chunkstream.PartialJSON] = {}
    shown: dict[int, list[Any]] = {}
    for chunk in chunkstream.iter_chunks(FIXTURES / f"{name}.sse"):
        for choice in chunk.choices or ():
            for call in (choice.delta.tool_calls if choice.delta else None) or ():
                fragment = call.function.arguments if call.function else None
                if fragment and call.index is not None:
                    reader = readers.setdefault(call.index, chunkstream.PartialJSON())
                    reader.feed(fragment)
                    shown.setdefault(call.index, []).append(reader.value)
    return shown


def deltas(name: str) -> str:
    text: list[str] = []
    for chunk in chunkstream.iter_chunks(FIXTURES / f"{name}.sse"):
        for choice in chunk.choices or ():
            content = choice.delta.content if choice.delta is not None else None
            if isinstance(content, str):
                text.append(content)
    return "".join(text)


def provider_error(name: str) -> tuple[Any, str | None, int | None]:
    try:
        chunkstream.assemble((FIXTURES / f"{name}.sse").read_bytes())
    except UpstreamError as exc:
        so_far = exc.partial.choices[0].message.content if exc.partial is not None else None
        return (exc.error, so_far, exc.chunk_index)
    return (None, None, None)


async def streamed(name: str) -> str | None:
    async def body() -> AsyncIterator[bytes]:
        for read in reads(name, 17):
            yield read

    completion = await chunkstream.aassemble(body())
    return completion.choices[0].message.content


def reloaded(name: str) -> tuple[str | None, int | None]:
    saved = json.dumps(chunkstream.assemble(reads(name)).to_dict())  # what the CLI writes
    completion = ChatCompletion.from_dict(json.loads(saved))
    return (
        completion.choices[0].message.content,
        completion.usage.total_tokens if completion.usage else None,
    )


def main() -> dict[str, object]:
    return {
        "reasoning": reasoning_and_answer("deepseek-reasoning"),
        "called": called("openai-parallel-tool-calls"),
        "live_arguments": live_arguments("openai-parallel-tool-calls"),
        "deltas": deltas("openai-text-usage"),
        "provider_error": provider_error("inband-error"),
        "streamed": asyncio.run(streamed("openai-text-usage")),
        "reloaded": reloaded("openai-text-usage"),
        "tool_calls": tool_calls("openai-parallel-tool-calls"),
        "live_text": live_text("openai-text-usage"),
        "events": len(events("openai-text-usage")),
        "warnings": [w.kind for w in lenient_warnings("inband-error")],
    }


if __name__ == "__main__":
    print(main())
