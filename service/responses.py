"""An in-process cache of encoded public responses, keyed by their ETag.

The ETag is derived from versions stored in the database (an article's version,
the content version), so a change made through any worker process changes the
key everywhere at once: a stale entry is simply never asked for again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class ResponseCache:
    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        # Small facts read from the database (an article's versions) that stay true
        # while the database's data_version does not move: {name: (data_version, fact)}.
        self.facts: dict[str, tuple[int, object]] = {}
        self.etags: dict[str, str] = {}
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def remember_fact(self, name: str, fact: tuple[int, object]) -> None:
        self._remember(self.facts, name, fact)

    def remember_etag(self, key: str, etag: str) -> None:
        self._remember(self.etags, key, etag)

    def _remember(self, memo: dict[str, Any], key: str, value: Any) -> None:
        # Bounded where entries are added: their keys carry client text (cursors), and
        # a request refused later, or a site whose reads all hit the cache, never
        # reaches `put`.
        if len(memo) >= 4 * self._max_entries:
            memo.clear()
        memo[key] = value

    def put(self, key: str, body: bytes) -> None:
        if key in self._entries or len(body) > self._max_bytes // 8:
            return
        self._entries[key] = body
        self._bytes += len(body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped)
