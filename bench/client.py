"""A tiny keep-alive JSON client for seeding targets over loopback HTTP."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

from bench.procs import HOST


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, port: int, token: str | None = None, timeout: float = 30.0) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        hdrs = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):  # one retry on a connection the server closed
            conn = self._conn or http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self._conn = conn
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self._conn = None
                if attempt == 2:
                    raise
                continue
            if resp.getheader("connection", "").lower() == "close":
                conn.close()
                self._conn = None
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        raise AssertionError("unreachable")

    def expect(
        self, status: int | tuple[int, ...], method: str, path: str, body: Any = None
    ) -> Reply:
        reply = self.request(method, path, body)
        wanted = (status,) if isinstance(status, int) else status
        if reply.status not in wanted:
            raise RuntimeError(
                f"{method} {path} answered {reply.status}, expected {wanted}: {reply.body[:500]!r}"
            )
        return reply

    def close(self) -> None:
        if self._conn:
            self._conn.close()
            self._conn = None
