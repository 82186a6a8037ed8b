"""A typed usage example of the public API. CI checks it with `mypy --strict`; a test runs it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import chunkstream
from chunkstream import (
    Accumulator,
    ChatCompletion,
    ChatCompletionChunk,
    ChunkstreamError,
    ServerSentEvent,
    StreamWarning,
    ToolCall,
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


def main() -> dict[str, object]:
    return {
        "tool_calls": tool_calls("openai-parallel-tool-calls"),
        "live_text": live_text("openai-text-usage"),
        "events": len(events("openai-text-usage")),
        "warnings": [w.kind for w in lenient_warnings("inband-error")],
    }


if __name__ == "__main__":
    print(main())
