"""Running the app under granian.

granian was chosen over uvicorn by measurement (see README, "Performance"): more
requests per CPU-second on Byline's own pages, and it can restart a worker that
dies. Settings reach the worker processes through BYLINE_* variables, because
each worker builds its own app from `create_app`.
"""

from __future__ import annotations

import dataclasses
import os

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


def serve(settings: Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    os.environ.update(settings_to_env(settings))
    Granian(
        "service.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        respawn_failed_workers=True,
        log_access=False,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
    ).serve()
    return 0
