"""What request handlers share: built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from service.config import Settings
from service.keys import Keys
from service.responses import ResponseCache
from service.storage.database import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    keys: Keys
    cache: ResponseCache = field(default_factory=ResponseCache)
    # Comment posts being handled now, for admission control (per worker).
    posts_in_flight: int = 0


def services(request: Request[Any, Any, Any]) -> Services:
    found: Services = request.app.state.services
    return found
