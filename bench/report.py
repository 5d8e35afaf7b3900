"""Medians, ratios, the printed table, results.json and the SVG chart."""

from __future__ import annotations

import html
import json
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import Run
from bench.targets import CASE_ORDER, CEILING, COMPARE, PEER


@dataclass
class Spread:
    median: float
    lo: float
    hi: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread | None:
        vals = [v for v in values if v is not None and not math.isnan(v)]
        if not vals:
            return None
        return cls(statistics.median(vals), min(vals), max(vals))


@dataclass
class Row:
    target: str
    case: str
    rounds: int
    rps: Spread | None
    p50_ms: Spread | None
    p99_ms: Spread | None
    cpu_ms: Spread | None  # per unit: per request, or per decision for bulk cases
    rss_mb: Spread | None
    max_worker_rss_mb: float
    errors: int
    foreign_cpu0: Spread | None  # share of the server's CPU taken by other processes
    vs_ceiling: Spread | None  # ceiling CPU/unit ÷ this CPU/unit, same round (higher is better)
    vs_ceiling_rps: Spread | None  # this req/s ÷ ceiling req/s, same round
    vs_isso: Spread | None  # Isso CPU/unit ÷ this CPU/unit, same round
    extra: dict[str, Any] = field(default_factory=dict)


def ceiling_case(case: str) -> str | None:
    return COMPARE[case][0] if case in COMPARE else case


def isso_case(case: str) -> str | None:
    return COMPARE[case][1] if case in COMPARE else None


def _by_round(runs: Sequence[Run], target: str, case: str | None) -> dict[int, Run]:
    return {r.round: r for r in runs if r.target == target and r.case == case and r.round > 0}


def _ratios(mine: dict[int, Run], ref: dict[int, Run], attr: str, invert: bool) -> Spread | None:
    out = []
    for rnd, run in mine.items():
        other = ref.get(rnd)
        a, b = getattr(run, attr), getattr(other, attr) if other else None
        if b and a:
            out.append(b / a if invert else a / b)
    return Spread.of(out)


def summarise(runs: Sequence[Run], info: dict[tuple[str, str], dict[str, Any]]) -> list[Row]:
    rows = []
    pairs = sorted(
        {(r.target, r.case) for r in runs if r.round > 0},
        key=lambda tc: (CASE_ORDER.index(tc[1]), tc[0]),
    )
    for target, case in pairs:
        mine = _by_round(runs, target, case)
        ms = list(mine.values())
        ceiling = _by_round(runs, CEILING, ceiling_case(case))
        isso = _by_round(runs, PEER, isso_case(case)) if target != PEER else {}
        notes = sorted({r.note for r in ms if r.note})
        mine_items = info.get((target, case), {}).get("items")
        peer_items = info.get((PEER, isso_case(case) or ""), {}).get("items")
        if isso and mine_items and peer_items and mine_items != peer_items:
            notes.append(f"xIsso compares {mine_items} comments here with {peer_items} in Isso's")
        rows.append(
            Row(
                target=target,
                case=case,
                rounds=len(ms),
                rps=Spread.of(r.rps for r in ms),
                p50_ms=Spread.of(r.p50_ms for r in ms),
                p99_ms=Spread.of(r.p99_ms for r in ms),
                cpu_ms=Spread.of(r.cpu_ms_per_unit for r in ms),
                rss_mb=Spread.of(r.rss_mb for r in ms),
                max_worker_rss_mb=max(r.max_worker_rss_mb for r in ms),
                errors=sum(r.non_2xx_3xx + r.unexpected_status + r.socket_errors for r in ms),
                foreign_cpu0=Spread.of(r.foreign_cpu0 for r in ms),
                vs_ceiling=_ratios(mine, ceiling, "cpu_ms_per_unit", invert=True),
                vs_ceiling_rps=_ratios(mine, ceiling, "rps", invert=False),
                vs_isso=_ratios(mine, isso, "cpu_ms_per_unit", invert=True),
                extra={**info.get((target, case), {}), **({"notes": notes} if notes else {})},
            )
        )
    return rows


# --- the table -------------------------------------------------------------


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt(s: Spread | None, spread: bool = False, suffix: str = "") -> str:
    if s is None:
        return "-"
    text = _num(s.median) + suffix
    if spread and s.hi > s.lo:
        text += f" [{_num(s.lo)}-{_num(s.hi)}]"
    return text


HEADERS = [
    "target", "case", "KB", "req/s [min-max]", "p50 ms", "p99 ms",
    "CPU ms/req [min-max]", "RSS MB", "err", "noise", "xceiling (CPU)", "xIsso (CPU)",
]  # fmt: skip


def table(rows: Sequence[Row]) -> str:
    lines = []
    for r in rows:
        kb = r.extra.get("body_bytes")
        cpu = _fmt(r.cpu_ms, spread=True)
        if r.extra.get("per_request", 1) > 1:
            cpu += " /decision"
        lines.append([
            r.target, r.case, f"{kb / 1024:.1f}" if kb else "-",
            _fmt(r.rps, spread=True), _fmt(r.p50_ms), _fmt(r.p99_ms), cpu,
            _fmt(r.rss_mb), str(r.errors),
            f"{r.foreign_cpu0.median:.0%}" if r.foreign_cpu0 else "-",
            _fmt(r.vs_ceiling, spread=True, suffix="x"), _fmt(r.vs_isso, spread=True, suffix="x"),
        ])  # fmt: skip
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(HEADERS)]
    out = [" | ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out += [f"note: {r.target} {r.case}: {n}" for r in rows for n in r.extra.get("notes", [])]
    return "\n".join(out)


# --- results.json ----------------------------------------------------------


def write_json(path: Path, meta: dict[str, Any], rows: Sequence[Row], runs: Sequence[Run]) -> None:
    def spread(s: Spread | None) -> dict[str, float] | None:
        return None if s is None else {"median": s.median, "min": s.lo, "max": s.hi}

    summary = []
    for r in rows:
        d: dict[str, Any] = {"target": r.target, "case": r.case, "rounds": r.rounds}
        for key in ("rps", "p50_ms", "p99_ms", "cpu_ms", "rss_mb", "foreign_cpu0", "vs_ceiling",
                    "vs_ceiling_rps", "vs_isso"):  # fmt: skip
            d[key] = spread(getattr(r, key))
        d["cpu_ms_per"] = "decision" if r.extra.get("per_request", 1) > 1 else "request"
        d["max_worker_rss_mb"] = r.max_worker_rss_mb
        d["errors"] = r.errors
        d.update(r.extra)
        summary.append(d)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "summary": summary, "runs": [r.as_dict() for r in runs]}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


# --- the chart -------------------------------------------------------------

COLOURS = {
    "byline": "#1f6feb",
    "ceiling-litestar": "#8b949e",
    "ceiling-asgi": "#c9d1d9",
    "isso": "#d29922",
}


def svg(rows: Sequence[Row], subtitle: str) -> str:
    """Horizontal bars of CPU ms per request (log scale), min-max whiskers."""
    rows = [r for r in rows if r.cpu_ms]
    label_w, plot_w, row_h, top = 230, 560, 20, 58
    height = top + row_h * len(rows) + 40
    values = [v for r in rows if r.cpu_ms for v in (r.cpu_ms.lo, r.cpu_ms.hi)]
    lo = 10 ** math.floor(math.log10(min(values, default=0.01)))
    hi = 10 ** math.ceil(math.log10(max(values, default=100)))

    def x(v: float) -> float:
        return label_w + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi / lo))

    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 90}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="20" font-size="15" font-weight="bold">'
        "Server CPU milliseconds per request (lower is better, log scale)</text>",
        f'<text x="10" y="38" fill="#555">{e(subtitle)}</text>',
    ]
    decade = lo
    while decade <= hi * 1.0001:
        gx = x(decade)
        out.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" '
                   f'y2="{height - 30}" stroke="#ddd"/>')  # fmt: skip
        out.append(f'<text x="{gx:.1f}" y="{height - 14}" text-anchor="middle" '
                   f'fill="#555">{decade:g} ms</text>')  # fmt: skip
        decade *= 10
    for i, r in enumerate(rows):
        assert r.cpu_ms
        y = top + i * row_h
        colour = COLOURS.get(r.target, "#6e7781")
        label = f"{r.case} · {r.target}"
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{e(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{x(r.cpu_ms.median) - label_w:.1f}" '
                   f'height="{row_h - 6}" fill="{colour}"/>')  # fmt: skip
        out.append(f'<line x1="{x(r.cpu_ms.lo):.1f}" y1="{y + row_h / 2}" '
                   f'x2="{x(r.cpu_ms.hi):.1f}" y2="{y + row_h / 2}" stroke="black"/>')  # fmt: skip
        out.append(f'<text x="{x(r.cpu_ms.hi) + 6:.1f}" y="{y + 14}" fill="#333">'
                   f"{_num(r.cpu_ms.median)}</text>")  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(path: Path, rows: Sequence[Row], subtitle: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg(rows, subtitle))
