"""Runs the typed usage example (CI also checks it with mypy --strict)."""

from __future__ import annotations

from typed_usage import main


def test_typed_usage_example_runs_and_gives_the_fixture_values() -> None:
    result = main()
    assert result["tool_calls"] == [
        ("get_stock_price", '{"ticker": "AAPL"}'),
        ("get_company_news", '{"ticker": "MSFT", "limit": 3}'),
    ]
    assert result["live_text"][-1] == "Hello! How can I help today?"
    # data events: role, 4 content deltas, finish, usage, [DONE]
    assert result["events"] == 8
    assert result["warnings"] == ["upstream_error"]
    # values from the fixtures' bytes
    assert result["reasoning"] == (
        "The user wants 2+2. That's 4.",
        "2 + 2 = 4.",
        (14, 19, 0),
    )
    assert result["called"] == [
        ("get_stock_price", {"ticker": "AAPL"}),
        ("get_company_news", {"ticker": "MSFT", "limit": 3}),
    ]
    # the fixture's argument fragments: '{"ticker"', ': "AAPL"}'; '{"tick', 'er": "MSFT", ',
    # '"limit": 3}' (a key without its value shows nothing)
    assert result["live_arguments"] == {
        0: [{}, {"ticker": "AAPL"}],
        1: [{}, {"ticker": "MSFT"}, {"ticker": "MSFT", "limit": 3}],
    }
    assert result["deltas"] == "Hello! How can I help today?"
    assert result["provider_error"] == (
        {"message": "Internal server error: upstream connection reset", "code": 500},
        "Once upon a time",
        3,
    )
    assert result["streamed"] == "Hello! How can I help today?"
    assert result["reloaded"] == ("Hello! How can I help today?", 19)
