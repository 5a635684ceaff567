# The CSPR Assistant bot: `docker build -t cspr-assistant .` (docs/deploy.md).
#
# Configuration is the environment (docs/deploy.md, "Environment variables"); nothing secret is
# baked in. The container migrates the database, then serves the Bot Framework endpoint on
# $PORT (3978) at /api/messages; /healthz is its liveness check.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user owns nothing but the working folder (local SQLite and key files, if
# anyone runs the image without DATABASE_URL and DATA_ENCRYPTION_KEYS).
RUN useradd --system --create-home --uid 10001 --home-dir /home/cspr cspr \
    && mkdir -p /app/var \
    && chown cspr:cspr /app/var
WORKDIR /app

# Only what the package needs (see .dockerignore); installed, not editable.
COPY pyproject.toml README.md ./
COPY safeguarding ./safeguarding
COPY storage ./storage
COPY cards ./cards
COPY dialogs ./dialogs
COPY bot_app ./bot_app
COPY manifest ./manifest
RUN pip install . \
    && rm -rf /app/safeguarding /app/storage /app/cards /app/dialogs /app/bot_app /app/manifest /root/.cache

USER cspr
ENV HOST=0.0.0.0 \
    PORT=3978
EXPOSE 3978

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"]

# Migrate first (a failure stops here, with the reason), then serve; SIGTERM stops it cleanly.
CMD ["sh", "-c", "python -m storage.migrate && exec python -m bot_app"]
