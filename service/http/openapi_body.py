"""Documenting request bodies that handlers read themselves.

Handlers read bodies with http/body.py (strict JSON, every bad field reported),
not through Litestar's `data` parameter, so the request schema is added to the
operation here, from the same msgspec Struct that describes the body.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.spec import Operation


def body_operation(model: type[msgspec.Struct]) -> type[Operation]:
    _, components = msgspec.json.schema_components(
        [model], ref_template="#/components/schemas/{name}"
    )
    inline = components[model.__name__]

    class WithBody(Operation):
        def to_schema(self) -> dict[str, Any]:
            document = super().to_schema()
            document["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": inline}},
            }
            return document

    WithBody.__name__ = f"{model.__name__}Operation"
    return WithBody
