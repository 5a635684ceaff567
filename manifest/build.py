"""Build and check the Teams app package: ``python -m manifest.build`` (``make package``).

The template (``manifest.template.json``) holds what is the same for every partnership: the
scopes and the command lists. The rest comes from configuration:

* from the bot's own settings (``bot_app/settings.py``): the app and bot id
  (``MICROSOFT_APP_ID``; a fixed local GUID when unset, for sideloading against a dev tunnel),
  the domain the bot's links open (``PUBLIC_BASE_URL``), the developer name (from
  ``PARTNERSHIP_NAME``) and the reference prefix used in the examples;
* from ``MANIFEST_*`` variables (environment or ``.env``), read here so the bot's settings stay
  about the bot: the names, descriptions, links, colour and version (see ``ManifestSettings``).

The two icons are drawn in code (``manifest/icons.py``), so no binary lives in the repository.
The package is then checked (``manifest/validate.py``): against Microsoft's v1.29 schema when
``../shared/schemas`` has it, plus manifestVersion, icon sizes and colours, and that every
listed command is one the bot answers, asked of the bot itself.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from manifest.icons import color_icon, outline_icon
from manifest.validate import SCHEMA_PATH, package_problems

HERE = Path(__file__).parent
TEMPLATE = HERE / "manifest.template.json"
OUT_DIR = HERE / "build"
LOCAL_APP_ID = "6f0c7d1e-8a53-4b8e-9a3c-5b2c6f000001"
PLACEHOLDER_SITE = "https://example.org/cspr-assistant"
DEVELOPER_NAME_MAX = 32  # developer.name in the v1.29 schema
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def _app_version() -> str:
    try:
        return metadata.version("cspr-assistant")
    except metadata.PackageNotFoundError:
        return "0.1.0"


class ManifestSettings(BaseSettings):
    """What the partnership's Teams admin sees in the app store; ``MANIFEST_<NAME>``.

    Empty links fall back to ``PUBLIC_BASE_URL`` when it is HTTPS (``/privacy``, ``/terms``
    under it), else to example.org placeholders, with a warning: set real pages before
    uploading the package to a tenant.
    """

    model_config = SettingsConfigDict(
        env_prefix="MANIFEST_", env_file=".env", extra="ignore", frozen=True
    )

    # Teams refuses to update an installed app unless this goes up.
    app_version: str = Field(default_factory=_app_version, pattern=r"^\d+\.\d+\.\d+$")
    short_name: str = Field(default="CSPR Assistant", min_length=1, max_length=30)
    full_name: str = Field(
        default="Child Safeguarding Practice Review Assistant", min_length=1, max_length=100
    )
    description_short: str = Field(
        default="Runs child safeguarding practice reviews and keeps every statutory clock.",
        min_length=1,
        max_length=80,
    )
    description_full: str = Field(
        default=(
            "Guides practitioners through notifying a serious child safeguarding incident, "
            "keeps the Hub, agencies, the CSPR Group and the safeguarding partners on the "
            "statutory clocks (Panel notification in 5 working days, rapid review in 15, local "
            "review in 6 months), reminds the right channel before each deadline and keeps an "
            "evidence trail. Channel posts carry only a case reference, stage and deadline."
        ),
        min_length=1,
        max_length=4000,
    )
    developer_name: str = Field(default="", max_length=DEVELOPER_NAME_MAX)  # "" = derived
    website_url: str = ""
    privacy_url: str = ""
    terms_url: str = ""
    accent_color: str = Field(default="#5B2C6F", pattern=r"^#[0-9A-Fa-f]{6}$")
    # Extra domains the bot's links open, besides PUBLIC_BASE_URL's host; comma-separated.
    valid_domains: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("valid_domains", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(d.strip().lower() for d in value.split(",") if d.strip())
        return value

    @field_validator("website_url", "privacy_url", "terms_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// address")
        return value.rstrip("/")


def short_developer_name(name: str, limit: int = DEVELOPER_NAME_MAX) -> str:
    """The partnership's name within Teams' limit, never cut mid-word: the trailing words
    become initials until it fits ("North Lincolnshire Safeguarding Children Partnership"
    -> "North Lincolnshire SCP")."""
    words = name.split()
    for keep in range(len(words), 0, -1):
        initials = "".join(w[0].upper() for w in words[keep:])
        candidate = " ".join([*words[:keep], initials] if initials else words[:keep])
        if len(candidate) <= limit:
            return candidate
    return "".join(w[0].upper() for w in words)[:limit]


@dataclass(frozen=True)
class PackageInputs:
    """Everything the template needs, resolved from both kinds of settings."""

    app_id: str
    public_base_url: str
    partnership_name: str
    reference_prefix: str
    manifest: ManifestSettings

    @classmethod
    def from_environment(cls) -> PackageInputs:
        from bot_app.settings import Settings

        settings = Settings()
        return cls(
            app_id=settings.microsoft_app_id or LOCAL_APP_ID,
            public_base_url=settings.public_base_url,
            partnership_name=settings.partnership_name,
            reference_prefix=settings.reference_prefix,
            manifest=ManifestSettings(),
        )

    def website(self) -> str:
        if self.manifest.website_url:
            return self.manifest.website_url
        if self.public_base_url.startswith("https://"):
            return self.public_base_url.rstrip("/")
        return PLACEHOLDER_SITE

    def valid_domains(self) -> list[str]:
        domains = [(urlsplit(self.public_base_url).hostname or "").lower()]
        domains += self.manifest.valid_domains
        return list(dict.fromkeys(d for d in domains if d))

    def values(self) -> dict[str, Any]:
        m = self.manifest
        website = self.website()
        return {
            "APP_ID": self.app_id,
            "BOT_ID": self.app_id,  # the Azure Bot's app id (or managed identity client id)
            "APP_VERSION": m.app_version,
            "DEVELOPER_NAME": m.developer_name or short_developer_name(self.partnership_name),
            "WEBSITE_URL": website,
            "PRIVACY_URL": m.privacy_url or f"{website}/privacy",
            "TERMS_URL": m.terms_url or f"{website}/terms",
            "SHORT_NAME": m.short_name,
            "FULL_NAME": m.full_name,
            "DESCRIPTION_SHORT": m.description_short,
            "DESCRIPTION_FULL": m.description_full,
            "ACCENT_COLOR": m.accent_color.upper(),
            "EXAMPLE_REFERENCE": f"{self.reference_prefix}-2026-0001",
            "VALID_DOMAINS": self.valid_domains(),
            # The case dashboard (bot_app/dashboard): the personal tab, the channel tab's
            # configuration page, and the Application ID URI its Teams SSO tokens are for.
            "TAB_URL": f"{self.public_base_url.rstrip('/')}/tab",
            "TAB_CONFIG_URL": f"{self.public_base_url.rstrip('/')}/tab/config",
            "TAB_SSO_RESOURCE": f"api://{urlsplit(self.public_base_url).hostname}/{self.app_id}",
        }


def _fill(node: Any, values: dict[str, Any]) -> Any:
    """Replace ``{{NAME}}`` in every string; a list item that is exactly a placeholder for a
    list (``"{{VALID_DOMAINS}}"``) expands in place."""
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        out: list[Any] = []
        for item in node:
            whole = _PLACEHOLDER.fullmatch(item) if isinstance(item, str) else None
            if whole and isinstance(values[whole.group(1)], list):
                out.extend(values[whole.group(1)])
            else:
                out.append(_fill(item, values))
        return out
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)
    return node


def render_manifest(inputs: PackageInputs) -> dict[str, Any]:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    manifest: dict[str, Any] = _fill(template, inputs.values())
    return manifest


def build(out_dir: Path, inputs: PackageInputs) -> Path:
    """Write ``appPackage.zip`` (manifest.json, color.png, outline.png) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    package = out_dir / "appPackage.zip"
    manifest = render_manifest(inputs)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        zf.writestr("color.png", color_icon(inputs.manifest.accent_color))
        zf.writestr("outline.png", outline_icon())
    return package


def answered_commands() -> tuple[set[str], set[str]]:
    """Every command word the bot answers, and those it answers in personal chat only,
    from the bot as the composition root builds it (local mode: the commands do not depend
    on credentials, and nothing connects to the database)."""
    from cryptography.fernet import Fernet

    from bot_app.bootstrap import build_app
    from bot_app.settings import Settings
    from bot_app.teams.components import COMPONENTS

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite+aiosqlite://",
        microsoft_app_id="",
        scheduler_enabled=False,
        # A throwaway key: nothing is stored, and no local key file is made or read.
        data_encryption_keys=SecretStr(Fernet.generate_key().decode()),
    )
    app = build_app(settings)
    commands = app[COMPONENTS].router.commands
    names = {name for spec in commands for name in spec.names}
    personal = {name for spec in commands if spec.personal_only for name in spec.names}
    return names, personal


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifest.build", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for appPackage.zip")
    parser.add_argument(
        "--skip-command-check",
        action="store_true",
        help="do not start the bot to check that it answers every listed command",
    )
    arguments = parser.parse_args(argv)

    inputs = PackageInputs.from_environment()
    package = build(arguments.out, inputs)
    answered, personal_only = (None, set()) if arguments.skip_command_check else answered_commands()
    problems = package_problems(
        package, schema_path=SCHEMA_PATH, answered=answered, personal_only=personal_only
    )
    values = inputs.values()
    checked = "not checked" if answered is None else f"against the bot's {len(answered)} words"
    sys.stdout.write(
        f"Teams app package written to {package}\n"
        f"  app id {values['APP_ID']}, version {values['APP_VERSION']}, "
        f"developer {values['DEVELOPER_NAME']!r}, validDomains {values['VALID_DOMAINS']}\n"
        f"  schema: {SCHEMA_PATH if SCHEMA_PATH.is_file() else 'not found, not checked'}\n"
        f"  commands: {checked}\n"
    )
    placeholders = [
        k for k in ("WEBSITE_URL", "PRIVACY_URL", "TERMS_URL") if "example.org" in values[k]
    ]
    if placeholders:
        sys.stderr.write(
            "warning: the developer links are placeholders (example.org); set MANIFEST_WEBSITE_URL,"
            " MANIFEST_PRIVACY_URL and MANIFEST_TERMS_URL before uploading to a tenant\n"
        )
    if problems:
        sys.stderr.write("The package is NOT valid:\n" + "".join(f"  - {p}\n" for p in problems))
        return 1
    sys.stdout.write("The package is valid.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
