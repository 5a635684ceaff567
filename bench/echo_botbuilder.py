"""Reference: the minimal botbuilder 4.17 echo, wired as Microsoft's samples wire it.

Stock ``CloudAdapter`` (a new connector client per turn, replies through msrest's requests
sender in a thread). Run by ``bench/run.py`` as ``python -m bench.echo_botbuilder PORT``.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"echo: {turn_context.activity.text}"))


ADAPTER = CloudAdapter(
    ConfigurationBotFrameworkAuthentication(SimpleNamespace(APP_ID="", APP_PASSWORD=""))
)
BOT = Echo()


async def messages(request: web.Request) -> web.Response:
    activity = Activity().deserialize(await request.json())
    await ADAPTER.process_activity(request.headers.get("Authorization", ""), activity, BOT.on_turn)
    return web.Response(status=200)


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
