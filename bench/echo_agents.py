"""Reference: the minimal Microsoft 365 Agents SDK echo (``microsoft-agents-hosting-aiohttp``).

Anonymous (no app id), as the SDK's quickstart runs locally. Run by ``bench/run.py`` as
``python -m bench.echo_agents PORT`` with an interpreter that has the SDK (the ``bench`` extra).
"""

from __future__ import annotations

import sys

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    MemoryStorage,
    RestChannelServiceClientFactory,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import AnonymousTokenProvider


class _Anonymous:
    """Connections that hand out no token: local use without an app id."""

    def __init__(self) -> None:
        self._provider = AnonymousTokenProvider()

    def get_connection(self, _name: str) -> AnonymousTokenProvider:
        return self._provider

    def get_default_connection(self) -> AnonymousTokenProvider:
        return self._provider

    def get_token_provider(self, *_args: object) -> AnonymousTokenProvider:
        return self._provider

    def get_token_provider_from_activity(self, *_args: object) -> AnonymousTokenProvider:
        return self._provider


CONNECTIONS = _Anonymous()
ADAPTER = CloudAdapter(channel_service_client_factory=RestChannelServiceClientFactory(CONNECTIONS))
AGENT = AgentApplication[TurnState](
    storage=MemoryStorage(), adapter=ADAPTER, connection_manager=CONNECTIONS
)


@AGENT.activity("message")
async def on_message(context: TurnContext, _state: TurnState) -> None:
    await context.send_activity(f"echo: {context.activity.text}")


async def messages(request: web.Request) -> web.Response:
    response = await start_agent_process(request, AGENT, ADAPTER)
    return response or web.Response(status=200)


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
