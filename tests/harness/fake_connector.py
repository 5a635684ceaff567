"""A local fake of the Bot Connector service that Teams runs at the activity's ``serviceUrl``.

The bot answers Teams by calling back to ``serviceUrl`` (``/v3/conversations/...``). In tests
that URL points here: the fake answers the way Teams does (status codes and JSON bodies
checked against the SDK's connector client, ``botframework/connector/aio/operations_async``),
records every request so a test can assert on what the bot sent, validates every Adaptive
Card on receipt, and can be told to fail or stall the next requests for reliability tests.

It runs an aiohttp server in its own thread with its own event loop. The bot's connector
client (msrest) sends through ``requests`` in a thread pool and some ``TeamsInfo`` calls are
synchronous (teams-platform.md, known defect 3); a server on the test's own loop would
deadlock behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from tests.harness.activities import (
    TENANT_ID,
    TeamsUser,
    new_message_id,
    personal_conversation_id,
)
from tests.harness.cards import adaptive_cards_in, card_title, validate_card

__all__ = [
    "ACTIVITY_OPERATIONS",
    "FakeConnector",
    "Recorded",
    "RequestInfo",
]

#: Teams answers 413 above about 100 KB per bot message (teams-platform.md, "Limits").
TEAMS_MAX_MESSAGE_BYTES = 100 * 1024

SEND = "send"
REPLY = "reply"
UPDATE = "update"
DELETE = "delete"
CREATE_CONVERSATION = "create_conversation"
GET_MEMBER = "get_member"
GET_MEMBERS = "get_members"
GET_PAGED_MEMBERS = "get_paged_members"
UNKNOWN = "unknown"
#: Operations whose body is (or carries) an activity the bot wants shown in Teams.
ACTIVITY_OPERATIONS = frozenset({SEND, REPLY, UPDATE, CREATE_CONVERSATION})

_ERROR_CODES = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "ConversationBlockedByUser",
    404: "NotFound",
    408: "RequestTimeout",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "ServiceError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """The ``ErrorResponse`` body the connector uses: ``{"error": {"code", "message"}}``."""
    return {"error": {"code": code or _ERROR_CODES.get(status, "Error"), "message": message}}


@dataclass(frozen=True, kw_only=True)
class RequestInfo:
    """One request as received, decoded; what a ``match`` callable gets to decide on.

    ``operation`` is one of "send", "reply", "update", "delete", "create_conversation",
    "get_member", "get_members", "get_paged_members" or "unknown". Ids are URL-decoded.
    """

    method: str
    path: str  # as sent on the wire (percent-encoded), without the query string
    operation: str
    conversation_id: str | None = None
    activity_id: str | None = None  # path id for update/delete
    reply_to_id: str | None = None  # path id for reply
    member_id: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    authorization: str | None = None

    @property
    def activity(self) -> dict[str, Any] | None:
        """The activity the bot sent, also the one inside ``POST /v3/conversations``."""
        if self.operation == CREATE_CONVERSATION and isinstance(self.body, dict):
            inner = self.body.get("activity")
            return inner if isinstance(inner, dict) else None
        if self.operation in (SEND, REPLY, UPDATE) and isinstance(self.body, dict):
            return self.body
        return None


@dataclass(frozen=True, kw_only=True)
class Recorded(RequestInfo):
    """A request and the answer it got.

    ``activity_id`` is the id the fake assigned to a posted activity (send, reply, the
    activity of a create_conversation) or the path id for update/delete. ``status`` is None
    while a stalled request (``hang_next``) has not been answered yet. ``fault`` is "fail"
    when ``fail_next`` scripted the answer; ``delayed_seconds`` is how long ``hang_next``
    held it.
    """

    seq: int
    status: int | None
    response: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    fault: str | None = None
    delayed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Rule:
    remaining: int
    match: Callable[[RequestInfo], bool] | None
    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0

    def applies(self, info: RequestInfo) -> bool:
        return self.remaining > 0 and (self.match is None or bool(self.match(info)))


class FakeConnector:
    """A fake Bot Connector on ``127.0.0.1`` (a free port), serving from its own thread.

    Use as a context manager, or ``start()`` / ``stop()``. ``url`` is the ``serviceUrl`` to
    put on inbound activities. ``path_prefix`` (e.g. "uk") makes the url end in
    ``/uk/`` like Teams' regional service URLs, and requests outside it get 404.
    """

    def __init__(
        self, *, path_prefix: str = "", max_message_bytes: int = TEAMS_MAX_MESSAGE_BYTES
    ) -> None:
        self._prefix = [part for part in path_prefix.split("/") if part]
        self._max_message_bytes = max_message_bytes
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._records: list[Recorded] = []
        self._card_errors: list[str] = []
        self._internal_errors: list[str] = []
        self._members: dict[str, list[dict[str, Any]]] = {}
        self._faults: list[_Rule] = []
        self._hangs: list[_Rule] = []
        self._seq = 0
        self._version = 0  # bumped on every change, for wait_for_sync
        self._generation = 0
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakeConnector already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready), name="fake-connector", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("FakeConnector did not start within 10 s")
        if self._startup_error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise RuntimeError("FakeConnector failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        """Release stalled requests, close connections and end the server thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already gone
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=15)
        thread.join(timeout=15)
        self._thread = None
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The service URL, e.g. ``http://127.0.0.1:PORT/``: always ends in a slash, as
        Teams' own service URLs do."""
        if self._port is None:
            raise RuntimeError("FakeConnector not started")
        prefix = "".join(f"{part}/" for part in self._prefix)
        return f"http://127.0.0.1:{self._port}/{prefix}"

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup(sock))
        except BaseException as exc:  # reported to start(), which raises it
            self._startup_error = exc
            sock.close()
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self, sock: socket.socket) -> None:
        self._release = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        self._release_hangs()
        if self._runner is not None:
            await self._runner.cleanup()
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    def _release_hangs(self) -> None:
        """End every ``hang_next`` wait now (runs on the server loop)."""
        if self._release is not None:
            self._release.set()
        self._release = asyncio.Event()

    # -- configuration -------------------------------------------------------------------

    def add_member(
        self,
        conversation_id: str,
        user: TeamsUser | Mapping[str, Any],
        *,
        tenant_id: str = TENANT_ID,
    ) -> None:
        """Make ``user`` a member of ``conversation_id`` (a chat, or a team id for team
        rosters) for the ``members`` and ``pagedmembers`` endpoints."""
        member = user.member(tenant_id) if isinstance(user, TeamsUser) else dict(user)
        with self._lock:
            members = self._members.setdefault(conversation_id, [])
            members[:] = [m for m in members if m.get("id") != member.get("id")]
            members.append(member)

    def add_members(
        self, conversation_id: str, users: Iterable[TeamsUser], *, tenant_id: str = TENANT_ID
    ) -> None:
        for user in users:
            self.add_member(conversation_id, user, tenant_id=tenant_id)

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        match: Callable[[RequestInfo], bool] | None = None,
    ) -> None:
        """Answer the next ``count`` requests that ``match`` (default: any) with ``status``.

        E.g. ``fail_next(1, 429, headers={"Retry-After": "2"})``. The body defaults to the
        connector's error JSON. Such requests have no effect: nothing is posted or updated.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        rule = _Rule(
            remaining=count,
            match=match,
            status=status,
            headers=dict(headers or {}),
            body=body if body is not None else _error(status, f"scripted failure {status}"),
        )
        with self._lock:
            self._faults.append(rule)

    def hang_next(
        self, count: int, seconds: float, *, match: Callable[[RequestInfo], bool] | None = None
    ) -> None:
        """Hold the next ``count`` matching requests for ``seconds`` before answering.

        Simulates a slow or timed-out connector. If the client gives up first the request
        still completes afterwards, as it would at Teams: a post that "timed out" may well
        have been delivered. ``reset()`` and ``stop()`` end the wait at once; requests
        released that way answer 503 and are not recorded.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._hangs.append(_Rule(remaining=count, match=match, seconds=seconds))

    @property
    def pending_faults(self) -> int:
        """How many scripted failures and stalls have not been used yet."""
        with self._lock:
            return sum(rule.remaining for rule in [*self._faults, *self._hangs])

    def clear(self) -> None:
        """Forget the recorded requests (members, faults and card errors stay)."""
        with self._lock:
            self._records.clear()
            self._version += 1
            self._changed.notify_all()

    def reset(self) -> None:
        """Back to a fresh fake: records, card errors, members, faults; stalled requests are
        released. The per-test ``connector`` fixture calls this."""
        with self._lock:
            self._generation += 1
            self._records.clear()
            self._card_errors.clear()
            self._internal_errors.clear()
            self._members.clear()
            self._faults.clear()
            self._hangs.clear()
            self._version += 1
            self._changed.notify_all()
        loop = self._loop
        if loop is not None and loop.is_running():

            async def release() -> None:
                self._release_hangs()

            asyncio.run_coroutine_threadsafe(release(), loop).result(timeout=5)

    # -- views ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        """Every request, failed and stalled ones included, in arrival order."""
        with self._lock:
            return sorted(self._records, key=lambda r: r.seq)

    @property
    def sent_activities(self) -> list[Recorded]:
        """Activities delivered to a conversation (send, reply, and the activity of a
        ``POST /v3/conversations``), in order; ``.activity`` is the JSON."""
        return [
            r
            for r in self.requests
            if r.ok and r.operation in (SEND, REPLY, CREATE_CONVERSATION) and r.activity
        ]

    @property
    def updates(self) -> list[Recorded]:
        return [r for r in self.requests if r.ok and r.operation == UPDATE]

    @property
    def deletes(self) -> list[Recorded]:
        return [r for r in self.requests if r.ok and r.operation == DELETE]

    def activities_to(self, conversation_id: str) -> list[dict[str, Any]]:
        """The activities delivered to exactly ``conversation_id``, in order."""
        return [
            r.activity
            for r in self.sent_activities
            if r.conversation_id == conversation_id and r.activity is not None
        ]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        """The ``text`` of every delivered message (optionally in one conversation)."""
        return [
            r.activity["text"]
            for r in self.sent_activities
            if r.activity is not None
            and isinstance(r.activity.get("text"), str)
            and (conversation_id is None or r.conversation_id == conversation_id)
        ]

    def cards(
        self, conversation_id: str | None = None, *, include_updates: bool = True
    ) -> list[dict[str, Any]]:
        """Adaptive Card contents as they reached users, sent and (by default) updated, in
        order, so the last one is what is on screen now."""
        operations = {SEND, REPLY, CREATE_CONVERSATION} | ({UPDATE} if include_updates else set())
        return [
            card
            for r in self.requests
            if r.ok
            and r.operation in operations
            and (conversation_id is None or r.conversation_id == conversation_id)
            for card in adaptive_cards_in(r.activity)
        ]

    def last_card(self, conversation_id: str | None = None) -> dict[str, Any]:
        cards = self.cards(conversation_id)
        if not cards:
            where = f" to {conversation_id!r}" if conversation_id else ""
            raise AssertionError(f"no Adaptive Card was sent{where}; requests: {self._summary()}")
        return cards[-1]

    @property
    def card_errors(self) -> list[str]:
        """Problems found in cards the bot sent (the ``connector`` fixture fails on any)."""
        with self._lock:
            return list(self._card_errors)

    def take_card_errors(self) -> list[str]:
        """Return and forget the card errors: for tests that send a bad card on purpose."""
        with self._lock:
            errors, self._card_errors = self._card_errors, []
            return errors

    @property
    def internal_errors(self) -> list[str]:
        """Exceptions inside the fake itself (a harness bug, answered with 500)."""
        with self._lock:
            return list(self._internal_errors)

    # -- waiting (no sleeps) -------------------------------------------------------------

    # A default bound (rather than asyncio.timeout around the call) keeps a forgotten timeout
    # from hanging the suite.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait, without blocking the caller's event loop, until ``predicate()`` is true;
        it is re-checked whenever a request is recorded. Raises ``TimeoutError``."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            self._async_waiters.append(waiter)
        try:
            deadline = loop.time() + timeout
            while True:
                event.clear()  # before the check: a record landing after it sets it again
                if predicate():
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met in {timeout} s; {self._summary()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=remaining)
        finally:
            with self._lock:
                self._async_waiters.remove(waiter)

    async def wait_for_activities(
        self,
        count: int,
        *,
        conversation_id: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` activities were delivered (to ``conversation_id``)
        and return them all: for bots that keep sending after the HTTP turn has ended."""

        def delivered() -> list[dict[str, Any]]:
            return [
                r.activity
                for r in self.sent_activities
                if r.activity is not None
                and (conversation_id is None or r.conversation_id == conversation_id)
            ]

        await self.wait_for(lambda: len(delivered()) >= count, timeout=timeout)
        return delivered()

    def wait_for_sync(self, predicate: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """The blocking form of :meth:`wait_for`, for code not running in an event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                version = self._version
            if predicate():
                return
            with self._changed:
                while self._version == version:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"condition not met in {timeout} s")
                    self._changed.wait(remaining)

    # -- the server ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self._seq += 1
            seq = self._seq
            generation = self._generation
        info: RequestInfo | None = None
        try:
            raw = await request.read()
            info, parse_error = self._parse(request, raw)
            if info.operation in ACTIVITY_OPERATIONS:
                self._validate_cards(info, seq)

            delayed = 0.0
            hang = self._take(self._hangs, info)
            if hang is not None:
                self._record(generation, Recorded(**_fields(info), seq=seq, status=None))
                started = time.monotonic()
                release = self._release
                assert release is not None
                try:
                    await asyncio.wait_for(release.wait(), timeout=hang.seconds)
                except TimeoutError:
                    delayed = time.monotonic() - started
                else:  # released by reset() or stop(): the test has moved on
                    self._drop(seq)
                    return web.json_response(_error(503, "fake connector reset"), status=503)

            fault = self._take(self._faults, info)
            if fault is not None:
                status, payload, headers = fault.status, fault.body, dict(fault.headers)
                extra: dict[str, Any] = {"fault": "fail"}
            elif parse_error is not None:
                status, payload, headers, extra = 400, _error(400, parse_error, "BadSyntax"), {}, {}
            else:
                status, payload, extra = self._answer(info, raw)
                headers = {}
            record = Recorded(
                **{**_fields(info), **extra},
                seq=seq,
                status=status,
                response=payload,
                response_headers=headers,
                delayed_seconds=delayed,
            )
            self._record(generation, record)
        except Exception as exc:  # a bug in the fake: answer 500 and report it
            message = f"{request.method} {request.path}: {type(exc).__name__}: {exc}"
            with self._lock:
                self._internal_errors.append(message)
            return web.json_response(_error(500, message, "FakeConnectorBug"), status=500)

        if payload is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)

    def _parse(self, request: web.Request, raw: bytes) -> tuple[RequestInfo, str | None]:
        # The request target exactly as sent: yarl's URL would re-quote it.
        raw_path, _, raw_query = request.raw_path.partition("?")
        # Split the encoded path first, then decode each segment: conversation ids contain
        # ':' '@' ';' '=' (percent-encoded by msrest) and must come back exactly.
        segments = [unquote(part) for part in raw_path.split("/")[1:]]
        body: Any = None
        parse_error = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                parse_error = f"request body is not JSON: {exc}"
        fields: dict[str, Any] = {
            "method": request.method,
            "path": raw_path,
            "operation": UNKNOWN,
            "query": dict(parse_qsl(raw_query)),
            "body": body,
            "authorization": request.headers.get("Authorization"),
        }
        if segments[: len(self._prefix)] == self._prefix:
            fields.update(_route(request.method, segments[len(self._prefix) :]))
        return RequestInfo(**fields), parse_error

    def _answer(self, info: RequestInfo, raw: bytes) -> tuple[int, Any, dict[str, Any]]:
        """Status, JSON body and record fields for a request that is not scripted."""
        op = info.operation
        if op in (SEND, REPLY, UPDATE):
            problem = self._activity_problem(info.body, raw)
            if problem is not None:
                return problem[0], problem[1], {}
            if op == UPDATE:
                return 200, {"id": info.activity_id}, {}
            new_id = new_message_id()
            return 201, {"id": new_id}, {"activity_id": new_id}
        if op == DELETE:
            return 200, None, {}
        if op == CREATE_CONVERSATION:
            return self._create_conversation(info, raw)
        if op in (GET_MEMBER, GET_MEMBERS, GET_PAGED_MEMBERS):
            return self._members_answer(info)
        return 404, _error(404, f"no such endpoint: {info.method} {info.path}"), {}

    def _activity_problem(self, activity: Any, raw: bytes) -> tuple[int, Any] | None:
        if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
            return 400, _error(400, "the body must be an activity with a 'type'")
        if len(raw) > self._max_message_bytes:
            return 413, _error(413, f"message is {len(raw)} bytes; the limit is about 100 KB")
        return None

    def _create_conversation(self, info: RequestInfo, raw: bytes) -> tuple[int, Any, dict]:
        params = info.body if isinstance(info.body, dict) else {}
        channel_data = params.get("channelData") or {}
        activity = params.get("activity")
        if activity is not None:
            problem = self._activity_problem(activity, raw)
            if problem is not None:
                return problem[0], problem[1], {}
        channel = (channel_data.get("channel") or {}).get("id")
        if channel:
            # TeamsInfo.send_message_to_teams_channel: a new thread in a channel.
            if activity is None:
                return 400, _error(400, "a channel post needs an activity"), {}
            new_id = new_message_id()
            conversation_id = f"{channel};messageid={new_id}"
            return (
                201,
                {"id": conversation_id, "activityId": new_id},
                {"conversation_id": conversation_id, "activity_id": new_id},
            )
        # The SDK serialises ConversationParameters.tenant_id as "tenantID"; Teams reads
        # keys case-insensitively, so accept either spelling (or the channelData tenant).
        tenant = next((v for k, v in params.items() if k.lower() == "tenantid" and v), None)
        tenant = tenant or (channel_data.get("tenant") or {}).get("id")
        members = params.get("members") or []
        if not tenant:
            return 400, _error(400, "tenantId (or channelData.tenant.id) is required"), {}
        if len(members) != 1 or not isinstance(members[0], dict) or not members[0].get("id"):
            return 400, _error(400, "bots can only create one-to-one chats: one member"), {}
        user_id = self._teams_user_id(members[0]["id"])
        conversation_id = personal_conversation_id(user_id)
        answer: dict[str, Any] = {"id": conversation_id}
        extra: dict[str, Any] = {"conversation_id": conversation_id}
        if activity is not None:
            answer["activityId"] = extra["activity_id"] = new_message_id()
        return 201, answer, extra

    def _teams_user_id(self, member_id: str) -> str:
        """Teams accepts an Entra object id in place of the ``29:`` id."""
        with self._lock:
            for members in self._members.values():
                for member in members:
                    if member_id in (member.get("id"), member.get("aadObjectId")):
                        return str(member.get("id"))
        return member_id

    def _members_answer(self, info: RequestInfo) -> tuple[int, Any, dict]:
        with self._lock:
            members = self._members.get(info.conversation_id or "")
            members = [dict(m) for m in members] if members is not None else None
        if members is None:
            # The SDK's TeamsActivityHandler falls back gracefully on exactly this code.
            message = f"no members configured for {info.conversation_id!r} (add_member)"
            return 404, _error(404, message, "ConversationNotFound"), {}
        if info.operation == GET_MEMBERS:
            return 200, members, {}
        if info.operation == GET_MEMBER:
            for member in members:
                if info.member_id in (member.get("id"), member.get("aadObjectId")):
                    return 200, member, {}
            message = f"{info.member_id!r} is not a member of {info.conversation_id!r}"
            return 404, _error(404, message, "MemberNotFoundInConversation"), {}
        try:
            start = int(info.query.get("continuationToken") or 0)
            size = int(info.query.get("pageSize") or 200)
        except ValueError:
            return 400, _error(400, "bad pageSize or continuationToken"), {}
        page: dict[str, Any] = {"members": members[start : start + size]}
        if start + size < len(members):
            page["continuationToken"] = str(start + size)
        return 200, page, {}

    def _validate_cards(self, info: RequestInfo, seq: int) -> None:
        for index, card in enumerate(adaptive_cards_in(info.activity)):
            problems = validate_card(card)
            if not problems:
                continue
            where = info.conversation_id or "a new conversation"
            name = (
                f"request #{seq} ({info.operation} to {where}), card {index} {card_title(card)!r}"
            )
            with self._lock:
                self._card_errors += [f"{name}: {problem}" for problem in problems]

    def _take(self, rules: list[_Rule], info: RequestInfo) -> _Rule | None:
        with self._lock:
            for rule in rules:
                if rule.applies(info):
                    rule.remaining -= 1
                    return rule
        return None

    def _record(self, generation: int, record: Recorded) -> None:
        with self._lock:
            if generation != self._generation:
                return  # started before reset(): belongs to a test that has ended
            self._records[:] = [r for r in self._records if r.seq != record.seq]
            self._records.append(record)
            self._version += 1
            self._changed.notify_all()
            waiters = list(self._async_waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    def _drop(self, seq: int) -> None:
        with self._lock:
            self._records[:] = [r for r in self._records if r.seq != seq]

    def _summary(self) -> str:
        items = [
            f"{r.method} {r.operation} {r.conversation_id!r} -> {r.status}" for r in self.requests
        ]
        return "; ".join(items) or "none"


def _fields(info: RequestInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in dataclasses.fields(RequestInfo)}


def _route(method: str, segments: list[str]) -> dict[str, Any]:
    """Map ``/v3/conversations/...`` (segments already decoded) to an operation."""
    if segments[:2] != ["v3", "conversations"]:
        return {}
    rest = segments[2:]
    if not rest:
        return {"operation": CREATE_CONVERSATION} if method == "POST" else {}
    conversation, tail = rest[0], rest[1:]
    if not conversation:
        return {}
    found: dict[str, Any] = {"conversation_id": conversation}
    match method, tail:
        case "POST", ["activities"]:
            found["operation"] = SEND
        case "POST", ["activities", reply_to] if reply_to:
            found.update(operation=REPLY, reply_to_id=reply_to)
        case "PUT", ["activities", activity] if activity:
            found.update(operation=UPDATE, activity_id=activity)
        case "DELETE", ["activities", activity] if activity:
            found.update(operation=DELETE, activity_id=activity)
        case "GET", ["members"]:
            found["operation"] = GET_MEMBERS
        case "GET", ["members", member] if member:
            found.update(operation=GET_MEMBER, member_id=member)
        case "GET", ["pagedmembers"]:
            found["operation"] = GET_PAGED_MEMBERS
        case _:
            return {}
    return found
