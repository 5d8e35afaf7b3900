"""Byline's benchmark: ``make bench`` runs ``python bench/run.py``. See bench/README.md.

Starts every target as a real server pinned to CPU 0, drives it with wrk pinned
to CPU 1, interleaves the targets round by round, prints the table and writes
.bench/results.json and the chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import install, procs, report, synthetic, wrk
from bench.byline import Byline
from bench.isso import Isso
from bench.measure import Run, run_case, wait_idle
from bench.paths import CHART, REPO, RESULTS, WORK
from bench.targets import (
    CASE_ORDER,
    CeilingAsgi,
    CeilingLitestar,
    Options,
    Shared,
    Skip,
    Target,
    write_post_bodies,
)

TARGETS: dict[str, type[Target]] = {
    # Byline first: it captures the page bytes that the ceilings then serve.
    "byline": Byline,
    "ceiling-litestar": CeilingLitestar,
    "ceiling-asgi": CeilingAsgi,
    "isso": Isso,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1 round, 2 s runs, 1 s warm-up; chart goes to .bench/",
    )
    p.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"comma-separated, from: {', '.join(TARGETS)} (default: all)",
    )
    p.add_argument(
        "--cases",
        default=",".join(CASE_ORDER),
        help=f"comma-separated, from: {', '.join(CASE_ORDER)} (default: all)",
    )
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per run")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    p.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    p.add_argument(
        "--server",
        choices=["granian", "uvicorn"],
        default="granian",
        help="ASGI server for the ceilings (Byline is asked via BYLINE_SERVER)",
    )
    p.add_argument(
        "--byline-bin",
        type=Path,
        default=REPO / ".venv" / "bin" / "byline",
        help="the byline executable (default: .venv/bin/byline)",
    )
    p.add_argument(
        "--isso-workers",
        type=int,
        default=4,
        help="gunicorn workers for Isso (its docs use 4; default 4)",
    )
    p.add_argument("--bulk-batch", type=int, default=50, help="ids per bulk approve request")
    p.add_argument(
        "--prefill",
        type=float,
        default=5.0,
        help="seconds of posting to pre-fill Byline's pending pool",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=3600.0,
        help="abort the whole run after this many seconds (default 3600)",
    )
    p.add_argument("--results", type=Path, default=RESULTS, help="results JSON path")
    p.add_argument(
        "--chart",
        type=Path,
        default=None,
        help="chart path (default docs/bench.svg; .bench/bench.svg with --quick)",
    )
    args = p.parse_args(argv)  # fmt: skip
    if args.quick:
        args.rounds, args.duration, args.warmup, args.prefill = 1, 2.0, 1.0, 2.0
    args.chart = args.chart or (WORK / "bench.svg" if args.quick else CHART)
    args.target_list = _names(args.targets, TARGETS, "target", p)
    args.case_list = _names(args.cases, CASE_ORDER, "case", p)
    return args


def _names(text: str, known: Any, what: str, p: argparse.ArgumentParser) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in known]
    if bad:
        p.error(f"unknown {what}(s): {', '.join(bad)}")
    return names


class TimeLimit(BaseException):
    """Raised by SIGALRM when --time-limit is reached (not an Exception: nothing swallows it)."""


def _on_alarm(_signum: int, _frame: object) -> None:
    raise TimeLimit


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout.splitlines()  # fmt: skip
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "?",
    }


def start_targets(args: argparse.Namespace, options: Options, shared: Shared) -> list[Target]:
    started: list[Target] = []
    for name in [n for n in TARGETS if n in args.target_list]:
        target = TARGETS[name](options, shared)
        print(f"setting up {name} ...", flush=True)
        t0 = time.monotonic()
        try:
            target.setup()
        except (Skip, RuntimeError, OSError) as e:
            print(f"  SKIPPED {name}: {e}", flush=True)
            target.stop()
            continue
        cases = [c for c in target.cases if c in args.case_list]
        print(f"  ready in {time.monotonic() - t0:.1f}s; cases: {', '.join(cases) or 'none'}")
        for case in target.cases.values():
            if case.body_bytes:
                items = f", {case.items} comments" if case.items is not None else ""
                print(f"    {case.name}: {case.path} is {case.body_bytes / 1024:.1f} KB{items}")
        started.append(target)
    return started


def plan(targets: list[Target], cases: list[str], round_no: int) -> list[tuple[Target, str]]:
    """Case by case, every target that has it; the target order rotates each round."""
    out = []
    for case in [c for c in CASE_ORDER if c in cases]:
        having = [t for t in targets if case in t.cases]
        shift = round_no % len(having) if having else 0
        out += [(t, case) for t in having[shift:] + having[:shift]]
    return out


def run_all(args: argparse.Namespace, targets: list[Target], runs: list[Run]) -> None:
    for round_no in range(args.rounds + 1):
        warm = round_no == 0
        print(f"\n== {'warm-up' if warm else f'round {round_no}/{args.rounds}'} ==", flush=True)
        for target, case_name in plan(targets, args.case_list, round_no):
            if not target.server or not target.server.alive():
                print(f"  {target.name}: server is gone, skipping {case_name}")
                continue
            case = target.cases[case_name]
            waited = wait_idle([t.server.pid for t in targets if t.server])
            if waited > 5:
                print(f"  (waited {waited:.0f}s for the servers to go idle)", flush=True)
            try:
                duration = args.warmup if warm else args.duration
                run = run_case(target, case, duration, round_no, args.connections)
            except RuntimeError as e:
                print(f"  {target.name:17} {case_name:13} FAILED: {e}", flush=True)
                continue
            runs.append(run)
            bad = run.unexpected_status
            flag = f"  !! {bad} unexpected status" if bad else ""
            print(
                f"  {target.name:17} {case_name:13} {run.rps:10,.0f} req/s  "
                f"p99 {run.p99_ms:8.2f} ms  {run.cpu_ms_per_unit:8.3f} CPU ms/unit  "
                f"{run.rss_mb:6.1f} MB  noise {run.foreign_cpu0:4.0%}{flag} {run.note}",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    WORK.mkdir(exist_ok=True)
    procs.install_cleanup()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(int(args.time_limit))
    started_at = dt.datetime.now(dt.UTC)
    targets: list[Target] = []
    runs: list[Run] = []
    status = 0
    shared = Shared()
    try:
        install.ensure_wrk()
        options = Options(
            server=args.server,
            byline_bin=args.byline_bin,
            isso_workers=args.isso_workers,
            prefill_seconds=args.prefill,
            bulk_batch=args.bulk_batch,
        )
        synthetic.write(shared.page_file, shared.list_file)  # Byline's capture replaces it
        write_post_bodies(shared.bodies_file)
        targets = start_targets(args, options, shared)
        if not targets:
            print("no target could start; nothing to measure")
            return 1
        if shared.page_source != "byline":
            print("note: the ceilings serve a synthetic page (Byline did not run)")
        run_all(args, targets, runs)
    except TimeLimit:
        print(f"\nTIME LIMIT of {args.time_limit:g}s reached: reporting what was measured")
        status = 2
    finally:
        signal.alarm(0)
        wrk.kill_active()
        for target in targets:
            target.stop()
        procs.stop_all()

    info = {
        (t.name, c.name): {
            "path": c.path,
            "body_bytes": c.body_bytes,
            "items": c.items,
            "per_request": c.per_request,
        }
        for t in targets
        for c in t.cases.values()
    }
    rows = report.summarise(runs, info)
    print()
    print(report.table(rows))
    meta = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "server": args.server,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "page_source": shared.page_source,
        "versions": {t.name: t.versions for t in targets},
    }
    report.write_json(args.results, meta, rows, runs)
    m = meta["machine"]
    subtitle = (
        f"{m['cores']} cores, {m['cpu']}; server on CPU 0, wrk -t1 -c{args.connections} on CPU 1;"
        f" {args.rounds} rounds x {args.duration:g} s; median, min-max;"
        f" page bytes from {shared.page_source}; {started_at:%Y-%m-%d}"
    )
    report.write_svg(args.chart, rows, subtitle)
    print(f"\nresults: {args.results}\nchart:   {args.chart}")
    return status


if __name__ == "__main__":
    sys.exit(main())
