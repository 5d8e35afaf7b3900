"""Where the harness keeps things: everything it installs or writes lives in .bench/."""

from __future__ import annotations

from pathlib import Path

BENCH_SRC = Path(__file__).resolve().parent
REPO = BENCH_SRC.parent
WORK = REPO / ".bench"
LUA = BENCH_SRC / "lua"
RESULTS = WORK / "results.json"
BYLINE_DB = WORK / "byline.db"
CHART = REPO / "docs" / "bench.svg"
