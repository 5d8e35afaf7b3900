"""Running the app under granian.

granian was chosen over uvicorn by measurement (see README, "Performance"): more
requests per CPU-second on Byline's own pages, and it can restart a worker that
dies. Settings reach the worker processes through BYLINE_* variables, because
each worker builds its own app from `create_app`.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

from service.config import ENV_PREFIX, Settings


def settings_to_env(settings: Settings) -> dict[str, str]:
    env: dict[str, str] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            text = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[ENV_PREFIX + f.name.upper()] = text
    return env


# Slow clients: a connection that has not sent its full request headers within this
# many milliseconds is closed by granian (its default is 30 s). Request bodies are
# bounded by size in the app (413), not by time: a reverse proxy in front (nginx
# `client_body_timeout`, `client_header_timeout`, `limit_conn`) should bound slow
# bodies and the number of connections per address.
HEADER_READ_TIMEOUT_MS = 10_000


# A worker that has not stopped this many seconds after the server was told to stop
# is killed. A stop signal that reaches a worker while it is still starting can be
# lost, and the server would then wait for it for ever (docker stop, systemd).
# Acknowledged writes are already durable; a kill loses only unanswered requests.
WORKER_KILL_TIMEOUT_SECONDS = 10

# The file names prometheus-client gives its per-process values.
_METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (already in use, an address
    of another machine, a privileged port), or None.

    granian's listener allows a second server on the same port, which would then
    silently take half the connections, maybe with another database.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Not SO_REUSEPORT: a live listener must make this bind fail. SO_REUSEADDR so
        # that the connections of a server stopped a moment ago do not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def reset_metrics_dir() -> str | None:
    """Empties PROMETHEUS_MULTIPROC_DIR of the last run's values, or says why not.

    Values left from a previous run would be summed into this one's.
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return None
    if not os.path.isdir(folder):
        return f"PROMETHEUS_MULTIPROC_DIR {folder!r} is not a directory"
    for pattern in _METRIC_FILES:
        for leftover in Path(folder).glob(pattern):
            leftover.unlink(missing_ok=True)
    return None


def preflight(settings: Settings) -> str | None:
    """What stops the server from starting, said before anything else is done."""
    problem = cannot_listen(settings.host, settings.port)
    if problem is not None:
        return f"cannot listen on {settings.host} port {settings.port}: {problem}"
    return reset_metrics_dir()


def serve(settings: Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    os.environ.update(settings_to_env(settings))
    Granian(
        "service.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        respawn_failed_workers=True,
        workers_kill_timeout=WORKER_KILL_TIMEOUT_SECONDS,
        log_access=False,
        log_level=LogLevels(settings.log_level.lower()),
        log_dictconfig=_GRANIAN_LOGGING,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
    ).serve()
    return 0


# granian's own lines (starting, workers, stopping) in the app's log shape and on
# its stream, stderr, rather than "[INFO] ..." on stdout. These replace granian's
# formatters and handlers whole; its logger names stay ("_granian" is its Rust side's).
# The format is the app's LOG_FORMAT (http/middleware.py) written out: importing that
# module here, before granian starts the workers, would give them all one
# request-id prefix.
_GRANIAN_LOGGING = {
    "formatters": {
        "byline": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s granian request_id=- %(message)s",
        },
    },
    "handlers": {
        "console": {
            "formatter": "byline",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "formatter": "byline",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        },
    },
}
