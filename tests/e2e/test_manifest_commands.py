"""Every command the Teams app package offers is one the running bot answers.

Teams shows the manifest's command lists as suggestions; a listed word the bot does not know
would greet the user with "I didn't understand". The bot is built by the composition root, as
it runs, and asked for its commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot_app.teams.components import COMPONENTS
from manifest.build import ManifestSettings, PackageInputs, render_manifest
from manifest.validate import command_problems, listed_commands
from tests.e2e.conftest import BotUnderTest

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

APP_ID = "2b7c9e4a-1d3f-4a6b-8c5d-9e0f1a2b3c4d"


async def test_every_command_in_the_manifest_is_one_the_bot_answers(
    make_bot: Callable[..., Any],
) -> None:
    bot: BotUnderTest = await make_bot()
    commands = bot.client.app[COMPONENTS].router.commands
    answered = {name for spec in commands for name in spec.names}
    personal_only = {name for spec in commands if spec.personal_only for name in spec.names}
    manifest = render_manifest(
        PackageInputs(
            app_id=APP_ID,
            public_base_url=bot.settings.public_base_url,
            partnership_name=bot.settings.partnership_name,
            reference_prefix=bot.settings.reference_prefix,
            manifest=ManifestSettings(_env_file=None),  # type: ignore[call-arg]
        )
    )

    listed = listed_commands(manifest)
    assert {"help", "notify", "status", "cases", "deadlines", "disagree", "register"} <= set(listed)
    assert set(listed) <= answered, f"not answered: {sorted(set(listed) - answered)}"
    assert command_problems(manifest, answered, personal_only) == []
