"""Pytest fixtures for end-to-end tests: the fake Bot Connector and the activity builder.

Loaded by the top-level conftest with ``pytest_plugins = ["tests.harness.plugin"]``.

* ``fake_connector`` (session): one server for the whole run; starting a thread and a socket
  per test would dominate the run time.
* ``connector`` (function): the same server, reset before the test so nothing leaks between
  tests, and checked after it: every Adaptive Card the bot sent must be valid (Teams shows a
  blank bubble otherwise), and the fake itself must not have failed.
* ``teams``: a :class:`~tests.harness.activities.Teams` builder whose activities carry the
  fake's URL as ``serviceUrl``, so everything the bot sends back lands in ``connector``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.activities import Teams
from tests.harness.fake_connector import FakeConnector

__all__ = ["assert_connector_clean", "connector", "fake_connector", "teams"]


@pytest.fixture(scope="session")
def fake_connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


def assert_connector_clean(fake: FakeConnector) -> None:
    """Fail if the bot sent an invalid card or the fake itself broke.

    The card errors are taken (forgotten) so the same ones are never reported twice.
    """
    card_errors = fake.take_card_errors()
    internal_errors = fake.internal_errors
    assert not internal_errors, "the fake connector failed:\n  " + "\n  ".join(internal_errors)
    assert not card_errors, "the bot sent invalid Adaptive Cards:\n  " + "\n  ".join(card_errors)


@pytest.fixture
def connector(fake_connector: FakeConnector) -> Iterator[FakeConnector]:
    fake_connector.reset()
    yield fake_connector
    try:
        assert_connector_clean(fake_connector)
    finally:
        fake_connector.reset()


@pytest.fixture
def teams(connector: FakeConnector) -> Teams:
    return Teams(connector.url)
