"""OpenAPI document and an API docs page that works with no internet access.

Swagger UI's assets come from the installed `swagger-ui-py` package and are served
by Byline itself; nothing is loaded from a CDN.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS = "/static/docs"


def swagger_assets_dir() -> Path:
    return Path(str(resources.files("swagger_ui") / "static"))


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Byline API",
        version="1.0.0",
        path="/schema",
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{ASSETS}/swagger-ui-bundle.js",
                css_url=f"{ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' href='{ASSETS}/favicon-32x32.png'>",
            ),
            JsonRenderPlugin(path="/openapi.json"),
        ],
    )


def docs_assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS, directories=[swagger_assets_dir()], include_in_schema=False
    )
