"""Pytest fixtures for end-to-end tests: the fake Bot Connector and the activity builder.

Loaded by the top-level conftest with ``pytest_plugins = ["tests.harness.plugin"]``.

* ``fake_connector`` (session): one server for the whole run (under pytest-xdist, one per
  worker: each binds its own free port, and a worker's bots only ever talk to its own);
  starting a thread and a socket per test would dominate the run time.
* ``connector`` (function): the same server, reset before the test so nothing leaks between
  tests, and checked after it: every Adaptive Card the bot sent must be valid (Teams shows a
  blank bubble otherwise), and the fake itself must not have failed.
* ``teams``: a :class:`~tests.harness.activities.Teams` builder whose activities carry the
  fake's URL as ``serviceUrl``, so everything the bot sends back lands in ``connector``.

Starting the fake also makes msrest build its retry policies in constant time (see
:func:`_msrest_retry_policies_in_constant_time`), which changes no policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.activities import Teams
from tests.harness.fake_connector import FakeConnector

__all__ = ["assert_connector_clean", "connector", "fake_connector", "teams"]


def _msrest_retry_policies_in_constant_time() -> None:
    """Give msrest's ``ClientRetryPolicy.safe_codes`` as a frozenset instead of a list.

    msrest 0.7 builds each client's retry policy with ``[i for i in range(999) if i not in
    self.safe_codes]``, ``safe_codes`` being a 502-item list: 4 ms of CPU per client on a
    quiet machine, and the SDK builds two clients per turn (connector and user token), over a
    tenth of the end-to-end tests' CPU. Membership in a frozenset of the same codes gives the
    same policy, and that is checked here: if a later msrest builds a different one, it is put
    back as it was and the tests run at the old speed.
    """
    from msrest.universal_http.requests import ClientRetryPolicy

    codes = getattr(ClientRetryPolicy, "safe_codes", None)
    if not isinstance(codes, list):
        return
    before = ClientRetryPolicy().policy.status_forcelist
    ClientRetryPolicy.safe_codes = frozenset(codes)  # type: ignore[assignment]
    if ClientRetryPolicy().policy.status_forcelist != before:
        ClientRetryPolicy.safe_codes = codes


@pytest.fixture(scope="session")
def fake_connector() -> Iterator[FakeConnector]:
    # Here rather than at start-up: importing msrest costs the unit ring a fifth of a second.
    _msrest_retry_policies_in_constant_time()
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
