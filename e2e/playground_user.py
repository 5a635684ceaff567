"""Write a copy of the Agents Playground configuration with another person as the current user.

The Playground plays one person at a time (``currentUser`` in ``.m365agentsplayground.yml``,
read from the folder it starts in) and wants exactly five other ``users``; to play someone
else, that person's block and the current user's trade places.

    python e2e/playground_user.py "Chris Lane" /tmp/somewhere   # writes /tmp/somewhere/.m365…yml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CONFIG_NAME = ".m365agentsplayground.yml"


def as_user(config: dict[str, object], name: str) -> dict[str, object]:
    users = list(config["users"])  # type: ignore[call-overload]
    current = config["currentUser"]
    if isinstance(current, dict) and current.get("name") == name:
        return config
    index = next((i for i, u in enumerate(users) if u.get("name") == name), None)
    if index is None:
        known = ", ".join(str(u.get("name")) for u in users)
        raise SystemExit(f"{name!r} is not in {CONFIG_NAME} (users: {known})")
    users[index], current = current, users[index]
    return {**config, "currentUser": current, "users": users}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    name, out_dir = argv
    config = yaml.safe_load((REPO / CONFIG_NAME).read_text(encoding="utf-8"))
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    (target / CONFIG_NAME).write_text(
        yaml.safe_dump(as_user(config, name), sort_keys=False), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
