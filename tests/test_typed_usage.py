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
