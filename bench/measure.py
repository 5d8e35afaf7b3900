"""One load run of one case against one target: wrk's view plus the server's CPU and RSS."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from bench import procstat, wrk
from bench.targets import Case, Prepared, Target


@dataclass
class Run:
    target: str
    case: str
    round: int  # 0 is the warm-up
    requests: int
    units: int  # comments or decisions handled (requests x batch, capped by the ids available)
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    cpu_ms_per_unit: float
    rss_mb: float  # peak during the run, summed over the process tree
    max_worker_rss_mb: float
    processes: int
    non_2xx_3xx: int
    unexpected_status: int  # responses whose status is not what the case expects
    socket_errors: int
    statuses: dict[int, int]
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_case(
    target: Target, case: Case, duration: float, round_no: int, connections: int = 32
) -> Run:
    server = target.server
    assert server is not None
    prepared = case.prepare() if case.prepare else Prepared(case.lua_args)
    if prepared.max_units == 0:
        raise RuntimeError(f"{target.name}/{case.name}: nothing to work on (no pending ids)")

    result: list[wrk.WrkResult] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            result.append(
                wrk.run(
                    server.base + case.path,
                    duration=duration,
                    connections=connections,
                    lua=case.lua,
                    lua_args=prepared.lua_args,
                    headers=case.headers,
                )
            )
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    before = procstat.sample(server.pid)
    peak = before
    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    while loader.is_alive():
        loader.join(0.5)
        now = procstat.sample(server.pid)
        if now.rss > peak.rss:
            peak = now
    after = procstat.sample(server.pid)
    if errors:
        raise errors[0]
    r = result[0]

    units = r.requests * case.per_request
    note = ""
    if prepared.max_units is not None and units > prepared.max_units:
        note = f"ran out of ids: {units - prepared.max_units} repeated no-op requests"
        units = prepared.max_units
    cpu_ms = (after.cpu_s - before.cpu_s) * 1000.0
    unexpected = sum(n for code, n in r.statuses.items() if code not in case.expect)
    return Run(
        target=target.name,
        case=case.name,
        round=round_no,
        requests=r.requests,
        units=units,
        seconds=r.seconds,
        rps=r.rps,
        p50_ms=r.p50_ms,
        p99_ms=r.p99_ms,
        cpu_ms=cpu_ms,
        cpu_ms_per_unit=cpu_ms / units if units else float("nan"),
        rss_mb=peak.rss / 2**20,
        max_worker_rss_mb=peak.max_rss / 2**20,
        processes=after.processes,
        non_2xx_3xx=r.non_2xx_3xx,
        unexpected_status=unexpected,
        socket_errors=r.socket_errors,
        statuses=r.statuses,
        note=note,
    )


def wait_idle(pids: list[int], timeout: float = 120.0, busy: float = 0.03) -> float:
    """Wait until every server is idle; return the seconds waited.

    All servers share CPU 0, and a slow one (Isso under gunicorn) keeps working
    through the connections still queued after wrk stops; that work must not
    land on the next run, whichever target it measures. Idle means the servers
    together used less than ``busy`` of a CPU over half a second.
    """
    start = time.monotonic()
    last = sum(procstat.sample(p).cpu_s for p in pids)
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = sum(procstat.sample(p).cpu_s for p in pids)
        if now - last < 0.5 * busy:
            break
        last = now
    return time.monotonic() - start
