"""botbuilder's conversation and user state, telling "changed" apart with pickle.

``BotState`` decides whether to save by comparing a fingerprint of the state taken when it
was loaded with one taken at the end of the turn, and takes it again after saving. Its
fingerprint is the whole state flattened by jsonpickle, in Python: four times a turn for a
dialog's state and twice for the person's, a tenth of a dialog turn's CPU. ``pickle`` gives
the same answer - equal state, equal bytes; different state, different bytes - in C. State
that pickle cannot take (nothing the dialogs keep today) falls back to jsonpickle.

Only the fingerprint changes: what is stored, and when, is botbuilder's own logic.
"""

from __future__ import annotations

import pickle
from typing import Any

from botbuilder.core import BotState, ConversationState, TurnContext, UserState
from botbuilder.core.bot_state import CachedBotState


class _PickledState(CachedBotState):
    def compute_hash(self, obj: object) -> Any:
        try:
            return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return super().compute_hash(obj)


class _LoadsPickledState(BotState):
    """``BotState.load`` as botbuilder writes it, caching a :class:`_PickledState`."""

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        if force or not cached or not cached.state:
            key = self.get_storage_key(turn_context)
            items = await self._storage.read([key])
            turn_context.turn_state[self._context_service_key] = _PickledState(items.get(key))


class FastConversationState(_LoadsPickledState, ConversationState):
    pass


class FastUserState(_LoadsPickledState, UserState):
    pass
