"""What happens when a turn fails for a reason nobody anticipated.

The person sees a short apology with a reference they can quote; the log has the same
reference with the stack trace; the conversation's dialog state is cleared so the next
message starts cleanly instead of replaying the broken step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot_app.observability import correlation_id as current_correlation_id
from bot_app.observability import new_correlation_id
from bot_app.teams.invoke import error_response

log = logging.getLogger(__name__)


def apology(correlation_id: str) -> str:
    return (
        "Sorry, something went wrong on our side and I couldn't finish that. "
        f"Please try again; if it keeps happening, tell the Hub and quote reference "
        f"**{correlation_id}**."
    )


def make_on_turn_error(
    conversation_state: ConversationState, storage: Storage
) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        # The turn's own id, so the apology's reference finds every log line of the turn.
        correlation_id = current_correlation_id.get() or new_correlation_id()
        activity = turn_context.activity
        log.error(
            "turn failed [%s] type=%s activity=%s conversation=%s",
            correlation_id,
            activity.type,
            activity.id,
            activity.conversation.id if activity.conversation else None,
            exc_info=error,
        )
        try:
            # BotState.delete() assumes the state loaded; when loading is what failed it raises
            # KeyError, so the stored item is removed by key instead.
            await storage.delete([conversation_state.get_storage_key(turn_context)])
        except Exception:
            log.exception("[%s] could not clear the conversation state", correlation_id)
        try:
            if activity.type == ActivityTypes.invoke:
                response = error_response("InternalError", apology(correlation_id), status=500)
                await turn_context.send_activity(
                    Activity(type=ActivityTypes.invoke_response, value=response)
                )
            else:
                await turn_context.send_activity(apology(correlation_id))
        except Exception:
            log.exception("[%s] could not tell the user about the failure", correlation_id)

    return on_turn_error
