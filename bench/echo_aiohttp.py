"""Reference: a bare aiohttp echo that answers each activity over one shared client session.

The ceiling for one Python process on this machine: no SDK, no database, no authentication.
Run by ``bench/run.py`` as ``python -m bench.echo_aiohttp PORT``.
"""

from __future__ import annotations

import sys
from urllib.parse import quote

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)


async def messages(request: web.Request) -> web.Response:
    activity = await request.json()
    conversation = activity["conversation"]["id"]
    reply = {
        "type": "message",
        "text": f"echo: {activity.get('text', '')}",
        "conversation": {"id": conversation},
        "replyToId": activity.get("id"),
    }
    url = (
        f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation, safe='')}"
        f"/activities/{quote(activity.get('id') or '', safe='')}"
    )
    async with request.app[SESSION].post(url, json=reply) as response:
        await response.read()
    return web.Response(status=200)


async def session(app: web.Application):  # type: ignore[no-untyped-def]
    app[SESSION] = aiohttp.ClientSession()
    yield
    await app[SESSION].close()


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.cleanup_ctx.append(session)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
