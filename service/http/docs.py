"""OpenAPI document and an API docs page that works with no internet access.

Swagger UI's assets come from the installed `swagger-ui-py` package and are served
by Byline itself; nothing is loaded from a CDN.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.router import Router
from litestar.static_files import create_static_files_router

from service.http.openapi_answers import documented

ASSETS = "/static/docs"


def swagger_assets_dir() -> Path:
    return Path(str(resources.files("swagger_ui") / "static"))


class _DocumentedJson(JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, documented(openapi_schema))


class _DocumentedSwagger(SwaggerRenderPlugin):
    # The page embeds the document rather than fetching it.
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, documented(openapi_schema))


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Byline API",
        version="1.0.0",
        path="/schema",
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
        render_plugins=[
            _DocumentedSwagger(
                path="/",
                js_url=f"{ASSETS}/swagger-ui-bundle.js",
                css_url=f"{ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' href='{ASSETS}/favicon-32x32.png'>",
            ),
            _DocumentedJson(path="/openapi.json"),
        ],
    )


def docs_assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS, directories=[swagger_assets_dir()], include_in_schema=False
    )
