"""chunkstream.testing: the mock streaming responses, through httpx and httpx2 (sync and async),
respx, pytest-httpx and the openai SDK; the README's recipe; every invalid argument."""

from __future__ import annotations

import ast
import asyncio
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from extras import need
from helpers import DONE, chunk, data, sse

import chunkstream
from chunkstream.testing import DONE as DONE_EVENT
from chunkstream.testing import MockStream, error_event, events

try:
    import pytest_httpx  # noqa: F401 (its plugin provides the httpx_mock fixture)
except ImportError:  # then a test that asks for it is skipped, or fails where the extra must be

    @pytest.fixture
    def httpx_mock() -> Any:
        return need("pytest_httpx")


ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TEXT = FIXTURES / "openai-text-usage.sse"  # 8 events; "Hello! How" has arrived at byte 1000
URL = "https://api.test/v1/chat/completions"
DROP = "peer closed connection without sending complete message body (incomplete chunked read)"

# The HTTP packages a response can be built for: httpx, and httpx2 (recent openai SDKs).
PACKAGES = ["httpx", "httpx2"]


def get(module: ModuleType, mock: MockStream, *, asynchronous: bool = False) -> list[bytes]:
    """The raw reads of one POST through ``module``'s client on a MockTransport of ``mock``."""
    if asynchronous:

        async def run() -> list[bytes]:
            async with (
                module.AsyncClient(transport=module.MockTransport(mock)) as client,
                client.stream("POST", URL, json={"stream": True}) as response,
            ):
                return [read async for read in response.aiter_raw()]

        return asyncio.run(run())
    with (
        module.Client(transport=module.MockTransport(mock)) as client,
        client.stream("POST", URL, json={"stream": True}) as response,
    ):
        return list(response.iter_raw())


def reads_until_fault(
    module: ModuleType, mock: MockStream, *, asynchronous: bool
) -> tuple[list[bytes], BaseException]:
    """The reads a client received before it raised, and what it raised."""
    got: list[bytes] = []

    async def run_async() -> None:
        async with (
            module.AsyncClient(transport=module.MockTransport(mock)) as client,
            client.stream("POST", URL) as response,
        ):
            async for read in response.aiter_raw():
                got.append(read)

    try:
        if asynchronous:
            asyncio.run(run_async())
        else:
            with (
                module.Client(transport=module.MockTransport(mock)) as client,
                client.stream("POST", URL) as response,
            ):
                got.extend(response.iter_raw())
    except Exception as exc:
        return got, exc
    raise AssertionError("the body did not drop")


# ---------------------------------------------------------------------------------------------
# events(): what a body is made of.


def test_bytes_are_cut_after_each_blank_line_whatever_the_line_ends() -> None:
    body = b"data: a\n\ndata: b\r\n\r\n: c\rdata: d\r\r\ndata: e\n\r\ndata: f\ndata: g"
    assert events(body) == [
        b"data: a\n\n",
        b"data: b\r\n\r\n",
        b": c\rdata: d\r\r\n",  # CR ends the line, CRLF is the blank line
        b"data: e\n\r\n",
        b"data: f\ndata: g",
    ]


def test_a_crlf_blank_line_is_one_cut_and_an_event_ending_the_body_leaves_no_empty_piece() -> None:
    assert events(b"data: a\r\n\r\ndata: b\n\n") == [b"data: a\r\n\r\n", b"data: b\n\n"]
    assert events(b"") == []


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.sse")), ids=lambda p: p.stem)
def test_a_recording_is_replayed_byte_for_byte(path: Path) -> None:
    body = path.read_bytes()
    cut = events(path)
    assert b"".join(cut) == body
    assert events(str(path)) == cut == events(body)
    # Every piece but the last ends with a blank line, and holds no other.
    for piece in cut[:-1]:
        assert re.search(rb"(\r\n|\r|\n)(\r\n|\r|\n)\Z", piece), piece


def test_events_given_as_a_list_are_sent_as_they_are() -> None:
    typed = chunkstream.ChatCompletionChunk.from_dict(chunk({"content": "é"}))
    items: list[Any] = [chunk({"role": "assistant"}), typed, "data: {}\n\n", b": ping\n\n", DONE]
    assert events(items) == [
        data(chunk({"role": "assistant"})).encode(),
        # The typed chunk's JSON, compact, not \\u-escaped: as OpenAI writes it.
        b'data: {"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1700000000,'
        b'"model":"m-1","choices":[{"index":0,"delta":{"content":"\xc3\xa9"},'
        b'"finish_reason":null}]}\n\n',
        b"data: {}\n\n",
        b": ping\n\n",
        b"data: [DONE]\n\n",
    ]
    assert DONE_EVENT == b"data: [DONE]\n\n"
    # An invalid chunk is sent too: a mock must be able to send what a broken server sends.
    assert events([{"choices": "no"}]) == [b'data: {"choices":"no"}\n\n']


def test_error_event_is_openais_error_object() -> None:
    assert error_event("The server had an error") == (
        b'data: {"error":{"message":"The server had an error","type":"server_error",'
        b'"param":null,"code":null}}\n\n'
    )
    event = error_event("Bad", type="invalid_request_error", code="c1", param="messages")
    assert json.loads(event[len(b"data: ") :]) == {
        "error": {
            "message": "Bad",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "c1",
        }
    }


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        (42, TypeError, "expected a ChatCompletion, a chat.completion dict, bytes, a path or an "
         "iterable of events, got int"),
        ([b"data: x\n\n", 3.5], TypeError, "event 1: expected bytes, str, a chunk dict or a "
         "ChatCompletionChunk, got float"),
        ([b"data: x\n\n", b""], ValueError, "event 1 is empty"),
        ("data: x\n\n", TypeError, "a str names a recording's file, and this one has a line break; "
         "give an SSE body as bytes (str.encode())"),
        (chunk({"content": "x"}), TypeError, "got one chat.completion.chunk dict; give a list of "
         "chunks (and DONE) for a stream, or a chat.completion to be encoded"),
    ],
)  # fmt: skip
def test_events_refuses_what_is_no_body(source: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        events(source)
    assert str(info.value) == message


def test_pieces_apply_to_a_completion_only() -> None:
    with pytest.raises(ValueError) as info:
        events(TEXT.read_bytes(), pieces=3)
    assert str(info.value) == (
        "pieces= splits the text of a completion, got bytes: give a ChatCompletion or a "
        "chat.completion dict, or leave pieces out"
    )


def test_a_missing_recording_is_the_os_error() -> None:
    with pytest.raises(FileNotFoundError):
        events(FIXTURES / "no-such-recording.sse")


# A completion is encoded: what the mock sends assembles back to it.


@pytest.mark.parametrize("pieces", [None, 1, "tokens"])
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("openai-*.sse")), ids=lambda p: p.stem)
def test_a_completion_is_sent_as_a_stream_that_assembles_back_to_it(
    path: Path, pieces: int | str | None
) -> None:
    httpx = need("httpx")
    completion = chunkstream.assemble(path, strict=False)
    for source in (completion, completion.to_dict()):
        mock = MockStream(source, pieces=pieces, read_size=5)
        with (
            httpx.Client(transport=mock.transport()) as client,
            client.stream("POST", URL) as response,
        ):
            back = chunkstream.assemble(response.iter_bytes())
        assert back.to_dict() == completion.to_dict()
        assert mock.events[-1] == b"data: [DONE]\n\n"


def test_pieces_are_passed_to_the_encoder() -> None:
    completion = chunkstream.assemble(sse(chunk({"role": "assistant", "content": "Hi!"})))
    for pieces, texts in ((1, ["H", "i", "!"]), (2, ["Hi", "!"]), (None, ["Hi!"])):
        body = b"".join(events(completion, pieces=pieces))
        sent = [
            c.choices[0].delta.content
            for c in chunkstream.iter_chunks(body)
            if c.choices and c.choices[0].delta and c.choices[0].delta.content
        ]
        assert sent == texts, pieces


def test_a_completion_no_stream_can_give_is_the_encoders_error() -> None:
    # (The encoder's own ChunkError, raised when the mock is made; its messages are its tests'.)
    with pytest.raises(chunkstream.ChunkError):
        MockStream({"object": "chat.completion", "choices": "none"})


# ---------------------------------------------------------------------------------------------
# MockStream through a client: reads, pace, drops, errors, requests.


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("package", PACKAGES)
def test_one_event_per_read_by_default(package: str, asynchronous: bool) -> None:
    module = need(package)
    body = sse(chunk({"role": "assistant", "content": "Hi"}), chunk({}, "stop"))
    mock = MockStream(body)
    reads = get(module, mock, asynchronous=asynchronous)
    assert reads == [
        data(chunk({"role": "assistant", "content": "Hi"})).encode(),
        data(chunk({}, "stop")).encode(),
        DONE.encode(),
    ]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("package", PACKAGES)
def test_reads_of_a_chosen_size_cross_event_boundaries(package: str, asynchronous: bool) -> None:
    module = need(package)
    body = TEXT.read_bytes()
    for size in (1, 5, 100_000):
        reads = get(module, MockStream(TEXT, read_size=size), asynchronous=asynchronous)
        assert b"".join(reads) == body
        assert [len(r) for r in reads] == [size] * (len(body) // size) + (
            [len(body) % size] if len(body) % size else []
        )


@pytest.mark.parametrize("package", PACKAGES)
def test_the_response_is_an_event_stream_and_headers_can_be_added(package: str) -> None:
    module = need(package)
    mock = MockStream(TEXT, headers={"x-request-id": "req_1", "content-type": "text/plain"})
    with module.Client(transport=module.MockTransport(mock)) as client:
        response = client.post(URL)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req_1"
    assert response.headers["content-type"] == "text/plain"  # replaced
    assert response.content == TEXT.read_bytes()
    with module.Client(transport=module.MockTransport(MockStream(TEXT))) as client:
        response = client.post(URL)
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert "content-length" not in response.headers


def test_delay_pauses_before_each_event_but_the_first_with_the_sleep_given() -> None:
    httpx = need("httpx")
    pauses: list[float] = []
    reads = get(httpx, MockStream(TEXT, delay=0.25, sleep=pauses.append))
    assert len(reads) == 8
    assert pauses == [0.25] * 7


def test_with_reads_cut_the_pause_of_an_event_comes_before_the_read_it_begins_in() -> None:
    httpx = need("httpx")
    # Three events of 6 bytes each; reads of 4 bytes: [0, 4) [4, 8) [8, 12) [12, 16) [16, 18).
    # Events begin at 6 (in the second read) and 12 (in the fourth).
    body = b"d: a\n\nd: b\n\nd: c\n\n"
    assert [len(e) for e in events(body)] == [6, 6, 6]
    pauses: list[float] = []
    slept: list[int] = []  # the number of reads received when each pause happened

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        slept.append(len(got))

    got: list[bytes] = []
    mock = MockStream(body, read_size=4, delay=0.5, sleep=sleep)
    with httpx.Client(transport=mock.transport()) as client, client.stream("GET", URL) as r:
        for read in r.iter_raw():
            got.append(read)
    assert got == [b"d: a", b"\n\nd:", b" b\n\n", b"d: c", b"\n\n"]
    assert pauses == [0.5, 0.5]
    assert slept == [1, 3]
    # One read holding every event: one pause, for the two events that begin in it.
    pauses.clear()
    get(httpx, MockStream(body, read_size=100, delay=0.5, sleep=pauses.append))
    assert pauses == [1.0]


def test_an_async_client_pauses_with_the_async_sleep_given() -> None:
    httpx = need("httpx")
    pauses: list[float] = []

    async def asleep(seconds: float) -> None:
        pauses.append(seconds)

    def never(seconds: float) -> None:
        raise AssertionError("the sync sleep was called by an async client")

    mock = MockStream(TEXT, delay=2, sleep=never, async_sleep=asleep)
    assert b"".join(get(httpx, mock, asynchronous=True)) == TEXT.read_bytes()
    assert pauses == [2.0] * 7


def test_the_default_sleeps_are_time_and_asyncio_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    httpx = need("httpx")
    pauses: list[tuple[str, float]] = []
    monkeypatch.setattr("time.sleep", lambda s: pauses.append(("time", s)))

    async def asleep(seconds: float) -> None:
        pauses.append(("asyncio", seconds))

    monkeypatch.setattr("asyncio.sleep", asleep)
    body = b"d: a\n\nd: b\n\n"
    get(httpx, MockStream(body, delay=0.125))
    get(httpx, MockStream(body, delay=0.125), asynchronous=True)
    assert pauses == [("time", 0.125), ("asyncio", 0.125)]


def test_no_delay_never_sleeps() -> None:
    httpx = need("httpx")

    def never(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}")

    async def anever(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}")

    mock = MockStream(TEXT, read_size=3, sleep=never, async_sleep=anever)
    assert b"".join(get(httpx, mock)) == b"".join(get(httpx, mock, asynchronous=True))


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("package", PACKAGES)
def test_a_drop_after_n_events_raises_the_clients_own_error(
    package: str, asynchronous: bool
) -> None:
    module = need(package)
    mock = MockStream(TEXT, drop_after_events=3)
    reads, exc = reads_until_fault(module, mock, asynchronous=asynchronous)
    assert reads == events(TEXT)[:3]
    assert type(exc) is module.RemoteProtocolError
    assert str(exc) == DROP
    assert exc.request is mock.requests[0]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_drop_after_n_bytes_cuts_inside_an_event_and_reads(asynchronous: bool) -> None:
    httpx = need("httpx")
    body = TEXT.read_bytes()
    reads, exc = reads_until_fault(
        httpx, MockStream(TEXT, drop_after_bytes=1000), asynchronous=asynchronous
    )
    assert b"".join(reads) == body[:1000]
    whole = events(TEXT)
    assert reads[:-1] == whole[: len(reads) - 1]  # whole events, then the cut one's start
    assert whole[len(reads) - 1].startswith(reads[-1]) and reads[-1] != whole[len(reads) - 1]
    assert isinstance(exc, httpx.RemoteProtocolError)
    reads, _ = reads_until_fault(
        httpx, MockStream(TEXT, drop_after_bytes=1000, read_size=64), asynchronous=asynchronous
    )
    assert [len(r) for r in reads] == [64] * 15 + [40]


def test_a_drop_at_the_start_or_after_the_whole_body() -> None:
    httpx = need("httpx")
    for mock in (MockStream(TEXT, drop_after_events=0), MockStream(TEXT, drop_after_bytes=0)):
        reads, exc = reads_until_fault(httpx, mock, asynchronous=False)
        assert reads == [] and str(exc) == DROP
    reads, exc = reads_until_fault(httpx, MockStream(TEXT, drop_after_events=8), asynchronous=False)
    assert b"".join(reads) == TEXT.read_bytes()
    assert str(exc) == DROP


def test_drop_error_is_raised_instead() -> None:
    httpx = need("httpx")
    timeout = httpx.ReadTimeout("timed out")
    mock = MockStream(TEXT, drop_after_events=2, drop_error=timeout)
    reads, exc = reads_until_fault(httpx, mock, asynchronous=False)
    assert exc is timeout and reads == events(TEXT)[:2]
    assert exc.request is mock.requests[0]  # set by httpx, as on a real read timeout
    reset = ConnectionResetError(104, "Connection reset by peer")
    mock = MockStream(TEXT, drop_after_events=2, drop_error=reset)
    assert reads_until_fault(httpx, mock, asynchronous=True)[1] is reset


@pytest.mark.parametrize("package", PACKAGES)
def test_each_request_gets_the_body_again_and_is_recorded(package: str) -> None:
    module = need(package)
    mock = MockStream(TEXT, read_size=10)
    with module.Client(transport=module.MockTransport(mock)) as client:
        first = client.post(URL, json={"n": 1, "stream": True}).content
        second = client.post(URL, json={"n": 2}).content
    assert first == second == TEXT.read_bytes()
    assert [r.url for r in mock.requests] == [module.URL(URL)] * 2
    assert mock.request_json(0) == {"n": 1, "stream": True}
    assert mock.request_json() == {"n": 2}


def test_request_json_before_any_request() -> None:
    with pytest.raises(IndexError) as info:
        MockStream(TEXT).request_json()
    assert str(info.value) == "this MockStream has answered no request yet"


@pytest.mark.parametrize("package", PACKAGES)
def test_an_http_error_status_with_openais_error_json(package: str) -> None:
    module = need(package)
    mock = MockStream.http_error(429, "Rate limit reached", code="rate_limit_exceeded")
    with module.Client(transport=module.MockTransport(mock)) as client:
        response = client.post(URL, json={"stream": True})
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "message": "Rate limit reached",
            "type": "invalid_request_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    assert len(mock.requests) == 1
    with pytest.raises(chunkstream.UpstreamError) as info:
        chunkstream.assemble(response.content)
    assert info.value.error == response.json()["error"]


def test_http_error_types_and_headers() -> None:
    httpx = need("httpx")
    mock = MockStream.http_error(503, "Overloaded", headers={"retry-after": "2"})
    with httpx.Client(transport=mock.transport()) as client:
        response = client.post(URL)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"]["type"] == "server_error"
    mock = MockStream.http_error(401, "Bad key", type="authentication_error", param="key")
    with httpx.Client(transport=mock.transport()) as client:
        body = client.post(URL).json()
    assert body["error"] == {
        "message": "Bad key",
        "type": "authentication_error",
        "param": "key",
        "code": None,
    }


def test_an_error_event_inside_a_stream() -> None:
    httpx = need("httpx")
    failing = [*events(TEXT)[:3], error_event("The server had an error")]
    with (
        httpx.Client(transport=MockStream(failing).transport()) as client,
        client.stream("POST", URL) as response,
        pytest.raises(chunkstream.UpstreamError) as info,
    ):
        chunkstream.assemble(response.iter_bytes())
    assert info.value.error["message"] == "The server had an error"
    assert info.value.partial is not None
    assert info.value.partial.choices[0].message.content == "Hello! How"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.sse")), ids=lambda p: p.stem)
def test_every_fixture_through_the_mock_assembles_as_the_file_does(path: Path) -> None:
    httpx = need("httpx")
    body = path.read_bytes()
    with (
        httpx.Client(transport=MockStream(path, read_size=7).transport()) as client,
        client.stream("POST", URL) as response,
    ):
        completion = chunkstream.assemble(response.iter_bytes(), strict=False)
    expected = chunkstream.assemble(body, strict=False)
    assert completion.to_dict() == expected.to_dict()
    assert [str(w) for w in completion.warnings] == [str(w) for w in expected.warnings]


# ---------------------------------------------------------------------------------------------
# respx and pytest-httpx.


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_respx_side_effect(asynchronous: bool) -> None:
    httpx = need("httpx")
    respx = need("respx")
    mock = MockStream(TEXT, read_size=1)

    async def aget() -> chunkstream.ChatCompletion:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", URL, json={"stream": True}) as response,
        ):
            return await chunkstream.aassemble(response.aiter_bytes())

    with respx.mock(assert_all_called=True) as router:
        router.post(URL).mock(side_effect=mock)
        if asynchronous:
            completion = asyncio.run(aget())
        else:
            with (
                httpx.Client() as client,
                client.stream("POST", URL, json={"stream": True}) as response,
            ):
                completion = chunkstream.assemble(response.iter_bytes())
    assert completion.to_dict() == chunkstream.assemble(TEXT).to_dict()
    assert mock.request_json() == {"stream": True}


def test_respx_drop_raises_mid_body() -> None:
    httpx = need("httpx")
    respx = need("respx")
    with respx.mock() as router:
        router.post(URL).mock(side_effect=MockStream(TEXT, drop_after_bytes=1000))
        with (
            httpx.Client() as client,
            client.stream("POST", URL) as response,
            pytest.raises(httpx.RemoteProtocolError) as info,
        ):
            chunkstream.assemble(response.iter_bytes())
    cut = chunkstream.truncation_of(info.value)
    assert cut is not None and cut.byte_offset == 1000
    assert cut.partial is not None and cut.partial.choices[0].message.content == "Hello! How"


def test_pytest_httpx_callback_async(httpx_mock: Any) -> None:
    httpx = need("httpx")
    mock = MockStream(TEXT, read_size=3, drop_after_events=3)
    httpx_mock.add_callback(mock, url=URL)

    async def run() -> chunkstream.ChatCompletion:
        async with httpx.AsyncClient() as client, client.stream("POST", URL) as response:
            return await chunkstream.aassemble(response.aiter_bytes(), strict=False)

    completion = asyncio.run(run())
    assert completion.choices[0].message.content == "Hello! How"
    assert "httpx.RemoteProtocolError" in completion.warnings[-1].message


def readme_recipe() -> dict[str, Any]:
    """The README's pytest-httpx and respx test module, run: its namespace."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Mocks for tests of streaming code\n")
    section = text[start : text.index("\n## ", start)]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md (Mocks for tests of streaming code)", "exec"), namespace)
    return namespace


def test_the_readme_recipe_with_pytest_httpx(httpx_mock: Any) -> None:
    need("respx")  # the recipe imports both
    readme_recipe()["test_with_pytest_httpx"](httpx_mock)


def test_the_readme_recipe_with_respx() -> None:
    need("respx")
    readme_recipe()["test_with_respx"]()


# ---------------------------------------------------------------------------------------------
# The openai SDK pointed at a mock transport: what it assembles is what chunkstream assembles.


def sdk_client(package: str, mock: MockStream, *, asynchronous: bool) -> Any:
    openai = need("openai")
    module = need(package)
    transport = module.MockTransport(mock)
    if asynchronous:
        return openai.AsyncOpenAI(
            api_key="sk-test",
            base_url="https://api.test/v1",
            http_client=module.AsyncClient(transport=transport),
            max_retries=0,
        )
    return openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.test/v1",
        http_client=module.Client(transport=transport),
        max_retries=0,
    )


def sdk_final(package: str, mock: MockStream, *, asynchronous: bool) -> dict[str, Any]:
    """The openai SDK's own assembly (ChatCompletionStreamState) of the chunks it parsed."""
    need("openai")
    from openai.lib.streaming.chat import ChatCompletionStreamState

    state = ChatCompletionStreamState()
    client = sdk_client(package, mock, asynchronous=asynchronous)
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if asynchronous:

        async def run() -> None:
            async with client:
                async for sdk_chunk in await client.chat.completions.create(**request):
                    state.handle_chunk(sdk_chunk)

        asyncio.run(run())
    else:
        with client:
            for sdk_chunk in client.chat.completions.create(**request):
                state.handle_chunk(sdk_chunk)
    assert mock.request_json()["stream"] is True
    result: dict[str, Any] = state.get_final_completion().model_dump(mode="json")
    return result


def essentials(completion: dict[str, Any]) -> dict[str, Any]:
    """What both assemblies model alike: ids, each choice's text, tool calls and finish
    reason, the usage."""
    return {
        "id": completion["id"],
        "model": completion["model"],
        "created": completion["created"],
        "choices": [
            {
                "index": c["index"],
                "finish_reason": c["finish_reason"],
                "role": c["message"]["role"],
                "content": c["message"]["content"],
                "refusal": c["message"].get("refusal"),
                "tool_calls": [
                    (t["id"], t["type"], t["function"]["name"], t["function"]["arguments"])
                    for t in c["message"].get("tool_calls") or ()
                ],
            }
            for c in completion["choices"]
        ],
        "usage": completion.get("usage")
        and {
            k: completion["usage"][k]
            for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        },
    }


# (Not openai-n2-interleaved: the SDK's ChatCompletionStreamState raises IndexError on a stream
# whose first chunk is choice 1's, as that recording's is; see the test after this one.)
SDK_STREAMS = ["openai-text-usage", "openai-parallel-tool-calls", "openai-refusal"]


@pytest.mark.parametrize("name", SDK_STREAMS)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("package", PACKAGES)
def test_the_openai_sdk_assembles_a_recording_or_an_encoded_completion_as_chunkstream_does(
    package: str, asynchronous: bool, name: str
) -> None:
    path = FIXTURES / f"{name}.sse"
    ours = chunkstream.assemble(path)
    # The recording byte by byte, and the completion encoded back one character a piece.
    for mock in (MockStream(path, read_size=1), MockStream(ours, pieces=1)):
        sdk = sdk_final(package, mock, asynchronous=asynchronous)
        assert essentials(sdk) == essentials(ours.to_dict())


@pytest.mark.parametrize("package", PACKAGES)
def test_the_openai_sdks_chunks_of_n2_carry_each_choices_text_as_chunkstream_assembles(
    package: str,
) -> None:
    path = FIXTURES / "openai-n2-interleaved.sse"
    mock = MockStream(path, read_size=1)
    texts: dict[int, str] = {}
    with sdk_client(package, mock, asynchronous=False) as client:
        stream = client.chat.completions.create(model="gpt-4o", messages=[], n=2, stream=True)
        for sdk_chunk in stream:
            for choice in sdk_chunk.choices:
                texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    ours = chunkstream.assemble(path)
    assert texts == {c.index: c.message.content for c in ours.choices}
    assert len(texts) == 2


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("package", PACKAGES)
def test_a_drop_the_sdk_raises_and_the_assembler_keeps_what_arrived(
    package: str, asynchronous: bool
) -> None:
    openai = need("openai")
    module = need(package)
    mock = MockStream(TEXT, drop_after_bytes=1000, read_size=50)
    with pytest.raises(openai.APIConnectionError) as info:
        sdk_final(package, mock, asynchronous=asynchronous)
    assert type(info.value.__cause__) is module.RemoteProtocolError
    # The same body read raw through the SDK, fed to an Assembler: the partial is kept.
    client = sdk_client(package, mock, asynchronous=asynchronous)
    asm = chunkstream.Assembler(strict=False)
    request = {"model": "gpt-4o-mini", "messages": [], "stream": True}

    async def run_async() -> chunkstream.ChatCompletion:
        async with (
            client,
            client.chat.completions.with_streaming_response.create(**request) as response,
        ):
            try:
                async for read in response.iter_bytes():
                    asm.feed(read)
            except module.TransportError as exc:
                return asm.abort(exc)
        raise AssertionError("no drop")

    if asynchronous:
        completion = asyncio.run(run_async())
    else:
        with client, client.chat.completions.with_streaming_response.create(**request) as r:
            with pytest.raises(module.RemoteProtocolError) as dropped:
                for read in r.iter_bytes():
                    asm.feed(read)
            completion = asm.abort(dropped.value)
    assert completion.choices[0].message.content == "Hello! How"
    assert completion.warnings[-1].message == (
        f"the source failed mid-stream: {package}.RemoteProtocolError: {DROP}"
    )


# ---------------------------------------------------------------------------------------------
# Invalid arguments, a request of no HTTP package, httpx missing, what importing loads.


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"read_size": 0}, ValueError, "read_size must be a positive int or None, got 0"),
        ({"read_size": True}, ValueError, "read_size must be a positive int or None, got True"),
        ({"read_size": 2.0}, ValueError, "read_size must be a positive int or None, got 2.0"),
        ({"drop_after_events": -1}, ValueError,
         "drop_after_events must be a non-negative int or None, got -1"),
        ({"drop_after_bytes": "9"}, ValueError,
         "drop_after_bytes must be a non-negative int or None, got '9'"),
        ({"delay": -0.5}, ValueError, "delay must be a non-negative number of seconds, got -0.5"),
        ({"delay": math.nan}, ValueError,
         "delay must be a non-negative number of seconds, got nan"),
        ({"delay": "1"}, ValueError, "delay must be a non-negative number of seconds, got '1'"),
        ({"delay": True}, ValueError, "delay must be a non-negative number of seconds, got True"),
        ({"sleep": 0.1}, TypeError, "sleep must be callable, got float"),
        ({"async_sleep": "asyncio.sleep"}, TypeError, "async_sleep must be callable, got str"),
        ({"drop_after_events": 1, "drop_after_bytes": 1}, ValueError,
         "give drop_after_events or drop_after_bytes, not both"),
        ({"drop_error": RuntimeError("x")}, ValueError,
         "drop_error is raised at a drop: give drop_after_events or _bytes"),
        ({"drop_after_events": 1, "drop_error": "x"}, TypeError,
         "drop_error must be an exception, got str"),
        ({"drop_after_events": 9}, ValueError, "drop_after_events=9, but the body has 8 events"),
        ({"drop_after_bytes": 2350}, ValueError,
         "drop_after_bytes=2350, but the body has 2349 bytes"),
    ],
)  # fmt: skip
def test_invalid_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    assert len(TEXT.read_bytes()) == 2349 and len(events(TEXT)) == 8  # the figures above
    with pytest.raises(error) as info:
        MockStream(TEXT, **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (200, ValueError, "an error status is 400 to 599, got 200"),
        (600, ValueError, "an error status is 400 to 599, got 600"),
        ("429", TypeError, "status_code must be an int, got str"),
        (True, TypeError, "status_code must be an int, got bool"),
    ],
)
def test_invalid_http_error_status(status: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        MockStream.http_error(status, "boom")
    assert str(info.value) == message


def test_a_request_of_no_http_package_is_refused() -> None:
    class Request:
        pass

    for request in (object(), Request(), "GET /"):
        with pytest.raises(TypeError) as info:
            MockStream(TEXT)(request)
        assert str(info.value) == (
            "a MockStream is called with an httpx (or httpx2) Request, as httpx.MockTransport, "
            f"respx and pytest-httpx call it; got {type(request).__name__}"
        )


def test_a_request_of_a_subclass_gets_a_response_of_the_package_it_derives_from() -> None:
    httpx = need("httpx")

    class Request(httpx.Request):
        pass

    response = MockStream(TEXT)(Request("POST", URL))
    assert type(response) is httpx.Response
    assert response.read() == TEXT.read_bytes()


def test_transport_without_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # `import httpx` now raises ImportError
    with pytest.raises(ImportError) as info:
        MockStream(TEXT).transport()
    assert str(info.value) == (
        "MockStream.transport() needs httpx (pip install httpx); chunkstream itself needs no "
        "package"
    )
    assert isinstance(info.value.__cause__, ImportError)


def test_transport_is_httpx_mock_transport_of_the_mock() -> None:
    httpx = need("httpx")
    mock = MockStream(TEXT)
    transport = mock.transport()
    assert type(transport) is httpx.MockTransport
    assert transport.handler is mock


def test_importing_the_mocks_loads_no_http_client_and_no_asyncio() -> None:
    code = (
        "import sys; import chunkstream; before = set(sys.modules)\n"
        "import chunkstream.testing\n"
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('chunkstream')))"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + code,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(ast.literal_eval(out.stdout))
    assert not loaded & {"httpx", "httpx2", "httpcore", "asyncio", "openai"}, loaded
    assert {name.split(".")[0] for name in loaded} <= set(sys.stdlib_module_names), loaded
