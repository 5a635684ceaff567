"""The Teams app package: what ``make package`` builds and the checks it runs on it.

That every listed command is one the bot answers is checked against the running app in
``tests/e2e/test_manifest_commands.py``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from manifest.build import (
    ManifestSettings,
    PackageInputs,
    build,
    render_manifest,
    short_developer_name,
)
from manifest.icons import decode_png, encode_png
from manifest.validate import (
    SCHEMA_PATH,
    command_problems,
    icon_problems,
    manifest_problems,
    package_problems,
    read_package,
    schema_problems,
)

APP_ID = "2b7c9e4a-1d3f-4a6b-8c5d-9e0f1a2b3c4d"


def inputs(**manifest: Any) -> PackageInputs:
    return PackageInputs(
        app_id=APP_ID,
        public_base_url="https://cspr.example.gov.uk:8443/",
        partnership_name="North Lincolnshire Safeguarding Children Partnership",
        reference_prefix="NL",
        manifest=ManifestSettings(_env_file=None, **manifest),  # type: ignore[call-arg]
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("package"), inputs())


@pytest.fixture(scope="module")
def contents(package: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    return read_package(package)


def test_the_package_holds_the_manifest_and_both_icons(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]


@pytest.mark.skipif(not SCHEMA_PATH.is_file(), reason=f"{SCHEMA_PATH} is not there")
def test_the_package_passes_the_v1_29_schema(contents: tuple[dict[str, Any], Any]) -> None:
    assert schema_problems(contents[0], SCHEMA_PATH) == []


def test_the_package_passes_every_check_of_its_own(package: Path) -> None:
    assert package_problems(package, schema_path=None) == []


def test_the_icons_are_192_colour_and_32_white_on_transparent(
    contents: tuple[dict[str, Any], dict[str, bytes]],
) -> None:
    color = decode_png(contents[1]["color.png"])
    outline = decode_png(contents[1]["outline.png"])
    assert (color.width, color.height) == (192, 192)
    assert (outline.width, outline.height) == (32, 32)
    assert {p[:3] for p in outline.pixels if p[3]} == {(255, 255, 255)}
    assert any(p[3] == 0 for p in outline.pixels)


def test_ids_domains_and_examples_come_from_the_settings(
    contents: tuple[dict[str, Any], Any],
) -> None:
    manifest = contents[0]
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["cspr.example.gov.uk"]
    assert manifest["developer"]["websiteUrl"] == "https://cspr.example.gov.uk:8443"
    assert manifest["developer"]["privacyUrl"] == "https://cspr.example.gov.uk:8443/privacy"
    assert sorted(manifest["bots"][0]["scopes"]) == ["groupChat", "personal", "team"]
    assert "{{" not in json.dumps(manifest)
    assert "status NL-2026-0001" in json.dumps(manifest)


def test_names_links_and_domains_are_configuration() -> None:
    manifest = render_manifest(
        inputs(
            short_name="Safeguarding Reviews",
            developer_name="Anytown SCP",
            privacy_url="https://anytown.gov.uk/privacy/",
            valid_domains="files.anytown.gov.uk, cspr.example.gov.uk",
        )
    )
    assert manifest["name"]["short"] == "Safeguarding Reviews"
    assert manifest["developer"]["name"] == "Anytown SCP"
    assert manifest["developer"]["privacyUrl"] == "https://anytown.gov.uk/privacy"
    assert manifest["validDomains"] == ["cspr.example.gov.uk", "files.anytown.gov.uk"]


@pytest.mark.parametrize(
    ("partnership", "developer"),
    [
        ("North Lincolnshire Safeguarding Children Partnership", "North Lincolnshire SCP"),
        ("Anytown Safeguarding Partnership", "Anytown Safeguarding Partnership"),
        ("Royal Borough of Kensington and Chelsea Safeguarding", "Royal Borough of Kensington ACS"),
    ],
)
def test_the_developer_name_fits_without_cutting_a_word(partnership: str, developer: str) -> None:
    assert short_developer_name(partnership) == developer
    assert len(developer) <= 32


def test_a_manifest_version_the_schema_would_let_through_is_refused(
    contents: tuple[dict[str, Any], Any],
) -> None:
    manifest = {**contents[0], "manifestVersion": "1.17"}
    assert manifest_problems(manifest) == ["manifestVersion is '1.17', expected '1.29'"]


def test_more_than_twelve_commands_in_a_list_is_refused(
    contents: tuple[dict[str, Any], Any],
) -> None:
    manifest = json.loads(json.dumps(contents[0]))
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    commands.append({"title": "extra", "description": "one too many"})
    assert any("13 commands" in p for p in manifest_problems(manifest))


def test_icons_of_the_wrong_size_or_colour_are_refused(
    contents: tuple[dict[str, Any], dict[str, bytes]],
) -> None:
    files = {
        "color.png": encode_png(32, [(0, 0, 0, 255)] * 32 * 32),
        "outline.png": encode_png(32, [(91, 44, 111, 255)] * 32 * 32),
    }
    problems = icon_problems(contents[0], files)
    assert "icons.color color.png is 32×32, must be 192×192" in problems
    assert "icons.outline outline.png has 1024 visible pixels that are not white" in problems
    assert "icons.outline outline.png has no transparent background" in problems


def test_a_listed_command_the_bot_does_not_answer_is_refused(
    contents: tuple[dict[str, Any], Any],
) -> None:
    answered = {"help", "notify", "status", "cases", "deadlines", "report", "disagree"}
    problems = command_problems(contents[0], answered)
    assert "the manifest lists 'register', which the bot does not answer" in problems


def test_a_personal_only_command_offered_in_a_channel_is_refused() -> None:
    manifest = {
        "bots": [
            {
                "commandLists": [
                    {"scopes": ["team"], "commands": [{"title": "export", "description": "x"}]}
                ]
            }
        ]
    }
    assert command_problems(manifest, {"export"}, personal_only={"export"}) == [
        "'export' works only in personal chat but is listed for team"
    ]


def test_the_case_dashboard_is_a_personal_tab_and_a_channel_tab_with_teams_sign_in(
    contents: tuple[dict[str, Any], Any],
) -> None:
    manifest = contents[0]
    tabs = {tab["entityId"]: tab for tab in manifest["staticTabs"]}
    (channel_tab,) = manifest["configurableTabs"]

    assert tabs["cspr-dashboard"]["contentUrl"] == "https://cspr.example.gov.uk:8443/tab"
    assert tabs["cspr-dashboard"]["scopes"] == ["personal"]
    assert "conversations" in tabs, "the chat with the bot stays beside the tab"
    assert channel_tab["configurationUrl"] == "https://cspr.example.gov.uk:8443/tab/config"
    assert set(channel_tab["scopes"]) == {"team", "groupChat"}
    # Teams SSO: the token the tab asks for is for this Application ID URI (the dashboard
    # accepts it as the audience, bot_app/dashboard/tokens.py).
    assert manifest["webApplicationInfo"] == {
        "id": APP_ID,
        "resource": f"api://cspr.example.gov.uk/{APP_ID}",
    }
