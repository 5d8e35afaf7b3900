"""One load run of one case against one target: wrk's view plus the server's CPU and RSS."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from bench import procstat, wrk
from bench.targets import Case, Prepared, Target

SERVER_CPU = 0  # every server is pinned here; wrk runs on CPU 1


@dataclass
class Run:
    target: str
    case: str
    round: int  # 0 is the warm-up
    requests: int
    units: int  # requests, or decisions for bulk cases (requests x batch)
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
    foreign_cpu0: float  # share of CPU 0 used by processes other than this server (noise)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_case(
    target: Target, case: Case, duration: float, round_no: int, connections: int = 32
) -> Run:
    server = target.server
    assert server is not None
    prepared = case.prepare() if case.prepare else Prepared(case.lua_args)
    if prepared.pool is not None and prepared.pool <= connections * case.per_request:
        raise RuntimeError(
            f"only {prepared.pool} pending comments; the {connections} connections need more "
            f"than {connections * case.per_request} (raise --prefill)"
        )

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
    busy0_before, t0 = procstat.cpu_busy_seconds(SERVER_CPU), time.monotonic()
    peak = before
    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    while loader.is_alive():
        loader.join(0.5)
        now = procstat.sample(server.pid)
        if now.rss > peak.rss:
            peak = now
    after = procstat.sample(server.pid)
    busy0, wall = procstat.cpu_busy_seconds(SERVER_CPU) - busy0_before, time.monotonic() - t0
    if errors:
        raise errors[0]
    r = result[0]

    units = r.requests * case.per_request
    note = ""
    if prepared.pool and units > prepared.pool:
        note = f"{units / prepared.pool:.1f} passes over {prepared.pool} comments (approve/reject)"
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
        foreign_cpu0=max(0.0, busy0 - (after.cpu_s - before.cpu_s)) / wall if wall else 0.0,
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
