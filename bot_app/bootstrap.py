"""The composition root: the one place that builds settings, engine, edge, features, loops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot_app.action_plans.board_services import BoardSettings
from bot_app.action_plans.handlers import ActionPlanHandlers
from bot_app.action_plans.http import BoardDownloads, add_board_report_routes
from bot_app.action_plans.messages import ActionPlanMessages
from bot_app.action_plans.scheduled import ActionFollowUps
from bot_app.action_plans.views import ActionPlanViews, PlanSettings
from bot_app.admin.directory import directory_source, import_on_startup
from bot_app.admin.directory_file import load_directory_file
from bot_app.admin.handlers import AdminHandlers
from bot_app.admin.identity import Directory, SqlDirectory
from bot_app.admin.retention import policy_from
from bot_app.background import REMINDERS, BackgroundWork
from bot_app.basics.handlers import BasicsHandlers
from bot_app.cases.governance_handlers import GovernanceHandlers
from bot_app.cases.handlers import CaseHandlers
from bot_app.cases.messages import ClosureMessages, HubCards
from bot_app.cases.views import DEFAULT_AGENCIES, CaseSettings, CaseViews
from bot_app.channels.handlers import ChannelHandlers
from bot_app.channels.observer import ConversationObserver
from bot_app.core.access import CaseAccess
from bot_app.core.people import DirectoryPeople, People
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.dashboard.bootstrap import build_dashboard
from bot_app.dashboard.handlers import add_dashboard_routes
from bot_app.disputes.handlers import DisputesHandlers
from bot_app.disputes.messages import DisputeMessages
from bot_app.disputes.scheduled import DisputeTimers
from bot_app.disputes.views import DisputeViews
from bot_app.evidence.handlers import EvidenceHandlers
from bot_app.evidence.http import EvidenceDownloads, add_evidence_routes
from bot_app.evidence.services import EvidenceSettings
from bot_app.keys import cipher, data_keys, export_signing_key, trail_keys
from bot_app.notification.handlers import NotificationHandlers
from bot_app.rapid_review.document import DocumentLinks, DocumentSettings
from bot_app.rapid_review.export import DocumentDownloads, add_document_routes
from bot_app.rapid_review.handlers import RapidReviewHandlers
from bot_app.rapid_review.messages import RapidReviewMessages
from bot_app.rapid_review.scheduled import VoteDeadlines
from bot_app.rapid_review.views import RapidReviewSettings, RapidReviewViews
from bot_app.rapid_review.vote_handlers import VoteHandlers
from bot_app.reminders.handlers import ReminderHandlers
from bot_app.reminders.scheduled import DigestSchedule, ReminderScheduler
from bot_app.reminders.views import ReminderViews
from bot_app.reviews.handlers import ReviewHandlers
from bot_app.reviews.messages import ReviewMessages
from bot_app.reviews.scheduled import ReviewMonitoring
from bot_app.reviews.views import ReviewViews
from bot_app.security import check_settings, protect_logs
from bot_app.settings import Settings
from bot_app.teams.adapter import build_edge, dialog_state
from bot_app.teams.components import COMPONENTS, Components
from bot_app.teams.delivery import build_sender
from bot_app.teams.http import add_routes
from dialogs.agency_report import AgencyReportDialog
from dialogs.notification import NotificationDialog
from dialogs.notification_form import FormOptions
from safeguarding.reminders import WEEKDAYS
from storage.db import create_engine, session_factory


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(
    settings: Settings,
    *,
    now: Callable[[], datetime] = _utc_now,
    directory: Directory | None = None,
    people: People | None = None,
    engine: AsyncEngine | None = None,
) -> web.Application:
    """The aiohttp application. The database must already be migrated.

    ``now`` is the only clock: every turn and every scheduler tick reads it once. ``directory``
    (who has which role) and ``people`` (who holds a role, for proactive messages) may be
    given by tests; by default both come from the partnership's directory in the database.
    ``engine`` (for ``settings.database_url``) may be given by tests too: they start an app
    per test, and an engine kept from one to the next keeps its compiled statements.
    """
    check_settings(settings)  # refuse unsafe settings before touching anything
    protect_logs()
    engine = engine or create_engine(settings.database_url)
    sessions = session_factory(engine)
    # Details, reports, reasons, queued messages and drafts are encrypted with these keys;
    # the trail is sealed with the trail keys (bot_app/keys.py).
    keys = data_keys(settings)
    tx = Transactions(sessions, cipher=cipher(keys), trail=trail_keys(settings, keys))
    people = people or DirectoryPeople()
    directory = directory or SqlDirectory(
        sessions, default_roles=frozenset(settings.unknown_people_roles)
    )
    directory_path = directory_source(settings)
    directory_file = load_directory_file(directory_path) if directory_path else None
    calendar = settings.calendar()
    clocks = settings.clocks()
    convention = settings.counting_convention
    state = dialog_state(engine, cipher(keys))
    router = Router(reference_prefix=settings.reference_prefix, access=CaseAccess(tx))

    basics = BasicsHandlers(
        partnership=settings.partnership_name,
        calendar=calendar,
        clocks=clocks,
        convention=convention,
    )
    basics.register(router)
    AdminHandlers(tx=tx, calendar=calendar, retention=policy_from(settings)).register(router)
    evidence = EvidenceSettings(
        partnership=settings.partnership_name,
        calendar=calendar,
        clocks=clocks,
        convention=convention,
        signing_key=export_signing_key(settings, keys),
        public_base_url=settings.public_base_url,
    )
    EvidenceHandlers(tx=tx, settings=evidence).register(router)

    # The notification journey, the case card and the case queries.
    case_views = CaseViews(
        CaseSettings(
            reference_prefix=settings.reference_prefix,
            calendar=calendar,
            clocks=clocks,
            convention=convention,
            hub_contact=settings.hub_contact,
            dispute_policy=settings.dispute_policy(),
        )
    )
    hub_cards = HubCards(case_views, people)
    CaseHandlers(
        tx=tx,
        views=case_views,
        hub_cards=hub_cards,
        closure_messages=ClosureMessages(
            people=people, confirmations=settings.closure_confirmations
        ),
    ).register(router)
    GovernanceHandlers(tx=tx, views=case_views, hub_cards=hub_cards).register(router)
    notification = NotificationHandlers(
        tx=tx, views=case_views, hub_cards=hub_cards, reference_prefix=settings.reference_prefix
    )
    notification.register(router)
    form_options = FormOptions(
        agencies=tuple(a.name for a in directory_file.agencies)
        if directory_file and directory_file.agencies
        else DEFAULT_AGENCIES,
        names_allowed=settings.allow_child_names,
    )
    state.dialogs.add(
        NotificationDialog(
            options=lambda: form_options,
            submit=notification.submit,
            panel_due=case_views.panel_due,
            receipt=notification.receipt,
            at_time=notification.when,
        )
    )

    # The rapid review and the decision: reports, the vote, the partners, the Panel.
    rr_views = RapidReviewViews(
        RapidReviewSettings(
            reference_prefix=settings.reference_prefix,
            calendar=calendar,
            clocks=clocks,
            convention=convention,
            default_agencies=form_options.agencies,
            vote_rule=settings.vote_rule(),
            vote_working_days=settings.rapid_review_vote_working_days,
            partner_confirmations=settings.rapid_review_partner_confirmations,
            vote_reminders=settings.vote_reminders(),
        ),
        case_views,
    )
    rr_messages = RapidReviewMessages(views=rr_views, people=people, hub_cards=hub_cards)
    links = DocumentLinks(
        signing_key=evidence.signing_key,
        public_base_url=settings.public_base_url,
        calendar=calendar,
    )
    rapid_review = RapidReviewHandlers(tx=tx, views=rr_views, messages=rr_messages, links=links)
    rapid_review.register(router)
    VoteHandlers(tx=tx, messages=rr_messages, people=people).register(router)
    state.dialogs.add(
        AgencyReportDialog(
            submit=rapid_review.submit_report,
            receipt=rapid_review.report_receipt,
            at_time=rapid_review.when,
        )
    )

    # Differences of opinion: raise, the three-stage ladder, resolve.
    policy = settings.dispute_policy()
    dispute_views = DisputeViews(calendar=calendar, policy=policy)
    dispute_messages = DisputeMessages(views=dispute_views, people=people, hub_cards=hub_cards)
    disputes = DisputesHandlers(tx=tx, views=dispute_views, messages=dispute_messages)
    disputes.register(router)

    # The review after the decision: milestones, publication, parallel processes.
    review_views = ReviewViews(case_views)
    review_messages = ReviewMessages(people)
    ReviewHandlers(
        tx=tx, views=review_views, messages=review_messages, hub_cards=hub_cards
    ).register(router)

    # Channels and reminders.
    reminder_views = ReminderViews(
        calendar=calendar,
        table=clocks,
        convention=convention,
        policy=settings.reminder_policy(),
    )
    ChannelHandlers(tx=tx).register(router)
    ReminderHandlers(tx=tx, views=reminder_views, people=people).register(router)
    scheduler = ReminderScheduler(
        tx,
        views=reminder_views,
        people=people,
        digest=DigestSchedule(
            weekday=WEEKDAYS.index(settings.digest_day), send_time=settings.digest_time
        ),
    )
    scheduler.add_pass(
        "dispute timers",
        DisputeTimers(tx=tx, views=dispute_views, messages=dispute_messages).tick,
    )
    vote_timers = VoteDeadlines(tx=tx, messages=rr_messages)
    scheduler.add_pass("vote reminders", vote_timers.remind_non_voters)
    scheduler.add_pass("vote deadlines", vote_timers.close_due_votes)
    scheduler.add_pass(
        "review monitoring",
        ReviewMonitoring(
            tx=tx,
            views=review_views,
            messages=review_messages,
            send_time=settings.reminder_policy().send_time,
        ).tick,
    )

    # Action plans: actions followed up to the end, case closure, the Board report.
    plan_views = ActionPlanViews(
        PlanSettings(
            calendar=calendar,
            default_owner=settings.action_plan_owner,
            follow_ups=settings.follow_up_policy(),
        )
    )
    board = BoardSettings(
        partnership=settings.partnership_name,
        table=clocks,
        clocks=case_views.clocks,
        signing_key=evidence.signing_key,
        public_base_url=settings.public_base_url,
    )
    ActionPlanHandlers(tx=tx, views=plan_views, hub_cards=hub_cards, board=board).register(router)
    scheduler.add_pass(
        "action follow-ups",
        ActionFollowUps(
            tx=tx, views=plan_views, messages=ActionPlanMessages(views=plan_views)
        ).tick,
    )
    observer = ConversationObserver(tx)

    # The Teams edge, and the outbox sender that posts through it.
    edge = build_edge(
        settings,
        state,
        router=router,
        directory=directory,
        calendar=calendar,
        welcome=basics.welcome,
        now=now,
        observers=(observer,),
        unrecognised=basics.unrecognised,
    )
    sender, connector = build_sender(settings, sessions, edge, people=people, cipher=cipher(keys))
    background = BackgroundWork(
        scheduler=scheduler,
        sender=sender,
        connector=connector,
        observer=observer,
        enabled=settings.scheduler_enabled,
        interval_seconds=settings.scheduler_interval_seconds,
        poll_seconds=settings.outbox_poll_seconds,
    )

    app = web.Application()
    app[COMPONENTS] = Components(
        settings=settings, engine=engine, adapter=edge.adapter, bot=edge.bot, router=router
    )
    app[REMINDERS] = background
    add_routes(app)
    add_evidence_routes(
        app, EvidenceDownloads(tx=tx, directory=directory, settings=evidence, now=now)
    )
    add_document_routes(
        app,
        DocumentDownloads(
            tx=tx,
            directory=directory,
            links=links,
            views=rr_views,
            settings=DocumentSettings(
                partnership=settings.partnership_name,
                include_initials=settings.rapid_review_export_initials,
            ),
            now=now,
        ),
    )
    add_board_report_routes(
        app,
        BoardDownloads(tx=tx, directory=directory, settings=board, calendar=calendar, now=now),
    )
    # The case dashboard: the Teams tab, its sign-in, the Board's charts and exports.
    add_dashboard_routes(
        app,
        build_dashboard(
            settings,
            tx=tx,
            directory=directory,
            views=case_views,
            signing_key=evidence.signing_key,
            now=now,
        ),
    )
    if directory_file is not None:
        app.on_startup.append(import_on_startup(tx, directory_file, now=now))

    async def dispose_engine(_app: web.Application) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app.cleanup_ctx.append(dispose_engine)
    app.cleanup_ctx.append(background.lifecycle(now))  # stops before the engine is disposed
    return app
