"""The README's configuration table lists exactly the settings, with their defaults.

A setting added to `Settings` without a README row (or a row for a setting
that is gone) fails here, as in datasette's documentation tests.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from service.config import SETTING_HELP, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def configuration_table() -> dict[str, tuple[str, str]]:
    """{variable: (default, meaning)} from the table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header == ["Variable", "Default", "Meaning"]
    assert set(rows[1].replace("|", "").replace(" ", "")) <= {"-", ":"}
    table = {}
    for row in rows[2:]:
        variable, default, meaning = (cell.strip() for cell in row.strip("|").split(" | "))
        match = re.fullmatch(r"`(BYLINE_[A-Z0-9_]+)`", variable)
        assert match, f"not a variable: {variable!r}"
        assert match.group(1) not in table, f"listed twice: {variable}"
        table[match.group(1)] = (default, meaning)
    return table


def documented_default(value: object) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "none" if not value else "`" + ",".join(map(str, value)) + "`"
    return f"`{value}`"


def test_the_table_lists_exactly_the_settings() -> None:
    expected = {"BYLINE_" + f.name.upper() for f in dataclasses.fields(Settings)}
    assert set(configuration_table()) == expected


def test_the_table_is_in_the_order_of_settings() -> None:
    expected = ["BYLINE_" + f.name.upper() for f in dataclasses.fields(Settings)]
    assert list(configuration_table()) == expected


def test_defaults_and_meanings_match_the_code() -> None:
    table = configuration_table()
    for field in dataclasses.fields(Settings):
        default, meaning = table["BYLINE_" + field.name.upper()]
        assert default == documented_default(field.default), field.name
        assert meaning == SETTING_HELP[field.name], field.name
