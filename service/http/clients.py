"""Who is posting: the client's network, for rate limits.

X-Forwarded-For is believed only when the peer is a configured trusted proxy
(BYLINE_TRUSTED_PROXIES); then the rightmost address that is not itself a
trusted proxy is the client. An IPv6 client is counted by its /64, since one
subscriber usually holds a whole /64.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from typing import Any

from litestar import Request

from service.config import IPNetwork

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(text: str) -> Address | None:
    """An address; an IPv4-mapped IPv6 address (dual-stack sockets) is its IPv4 address."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, proxies: Sequence[IPNetwork]
) -> Address | None:
    address = _parse(peer) if peer else None
    if address is None or not proxies or not _trusted(address, proxies):
        return address
    for hop in reversed((forwarded_for or "").split(",")):
        candidate = _parse(hop)
        if candidate is None:
            break
        if not _trusted(candidate, proxies):
            return candidate
        address = candidate
    return address


def network_key(address: Address | None) -> str:
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def client_network(request: Request[Any, Any, Any], proxies: Sequence[IPNetwork]) -> str:
    peer = request.client.host if request.client else None
    # Only looked at behind a trusted proxy; the first value, as request.headers gives it.
    forwarded_for = request.headers.get("x-forwarded-for") if proxies else None
    return client_network_of(peer, forwarded_for, proxies)


def client_network_of(
    peer: str | None, forwarded_for: str | None, proxies: Sequence[IPNetwork]
) -> str:
    if not proxies:  # the default: no X-Forwarded-For is believed, the peer is the client
        return _peer_network(peer)
    return network_key(client_address(peer, forwarded_for, proxies))


@functools.lru_cache(maxsize=4096)
def _peer_network(peer: str | None) -> str:
    # Cached: parsing an address costs about as much as the rest of a post's
    # client bookkeeping, and readers post again from the same address. The
    # keys are the server's peer addresses, never client-sent text.
    return network_key(client_address(peer, None, ()))
