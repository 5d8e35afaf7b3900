# syntax=docker/dockerfile:1
# Byline: `docker build -t byline .` then
#   docker run -p 8000:8000 -v byline-data:/data byline
# The database lives on the /data volume; keep that volume on a local disk (WAL).

# --- build: the byline wheel and wheels of all its dependencies ------------------
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
RUN pip wheel --wheel-dir /wheels .

# --- runtime: the wheels installed into a virtual environment, run as non-root ---
FROM python:3.11-slim-bookworm

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/byline/bin:$PATH \
    BYLINE_DATABASE=/data/byline.db

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/byline \
    && /opt/byline/bin/pip install --no-index --find-links /wheels byline \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin byline \
    && mkdir -p /data \
    && chown byline:byline /data

USER byline
WORKDIR /data
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BYLINE_PORT', '8000') + '/healthz', timeout=4)"]

CMD ["byline", "serve", "--host", "0.0.0.0"]
