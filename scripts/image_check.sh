#!/usr/bin/env bash
# The container image's steps, followed from scratch (docs/deploy.md): `docker build` and a
# health check where a Docker engine runs; otherwise the Dockerfile's own steps in a fresh
# virtual environment - only the packaged code installed (not editable), the database
# migrated, the bot started as the image starts it, /healthz and /readyz answered, SIGTERM
# honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  docker build -t cspr-assistant:check .
  exit 0
fi
echo "No Docker engine: following the image's steps in a fresh virtual environment."

work="$(mktemp -d)"
trap 'kill "${bot:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
# COPY pyproject.toml README.md and the packages, as the Dockerfile does.
cp pyproject.toml README.md "$work/"
cp -r safeguarding storage cards dialogs bot_app manifest "$work/"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$work"
rm -rf "$work/safeguarding" "$work/storage" "$work/cards" "$work/dialogs" "$work/bot_app" \
  "$work/manifest"

port="$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite+aiosqlite:///$work/var/cspr.db" HOST=127.0.0.1 PORT="$port"
cd "$work"
venv/bin/python -m storage.migrate
venv/bin/python -m bot_app >"$work/bot.log" 2>&1 &
bot=$!
ready=""
for _ in $(seq 1 100); do
  if venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=2)" 2>/dev/null; then
    ready=yes
    break
  fi
  kill -0 "$bot" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "The bot did not become ready:"; cat "$work/bot.log"; exit 1
fi
venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)"
kill -TERM "$bot"
wait "$bot"
grep -q "stopped cleanly" "$work/bot.log" || { cat "$work/bot.log"; exit 1; }
echo "Image steps OK: installed, migrated, ready on /readyz and /healthz, stopped cleanly."
