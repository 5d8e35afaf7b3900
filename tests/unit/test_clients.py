"""Who is posting: X-Forwarded-For trust and the network a client is counted by."""

from __future__ import annotations

import ipaddress

import pytest

from service.http.clients import client_address, client_network, network_key

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))


def addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        # No trusted proxies configured: the header is never believed.
        ("203.0.113.5", "198.51.100.7", (), "203.0.113.5"),
        # A peer outside the trusted ranges cannot choose its address.
        ("203.0.113.5", "198.51.100.7", PROXIES, "203.0.113.5"),
        ("203.0.113.5", "10.0.0.9", PROXIES, "203.0.113.5"),
        # From a trusted proxy: the rightmost hop that is not a trusted proxy.
        ("10.0.0.1", "198.51.100.7", PROXIES, "198.51.100.7"),
        ("10.0.0.1", "198.51.100.7, 10.0.0.2", PROXIES, "198.51.100.7"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", PROXIES, "198.51.100.7"),
        ("10.0.0.1", " 198.51.100.7 ,10.1.2.3 ", PROXIES, "198.51.100.7"),
        # A trusted proxy without the header: the proxy is the client.
        ("10.0.0.1", None, PROXIES, "10.0.0.1"),
        # Everything trusted: the leftmost (the farthest known) hop.
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", PROXIES, "10.0.0.3"),
        # A garbled hop stops the walk; nothing left of it is believed.
        ("10.0.0.1", "6.6.6.6, garbage", PROXIES, "10.0.0.1"),
        # IPv6 proxies and clients, bracketed or not.
        ("2001:db8:ffff::1", "[2001:db8:1:2::7]", PROXIES, "2001:db8:1:2::7"),
        ("2001:db8:ffff::1", "2001:db8:1:2::7, 2001:db8:ffff::2", PROXIES, "2001:db8:1:2::7"),
    ],
)
def test_client_address(
    peer: str, forwarded: str | None, proxies: tuple[ipaddress.IPv4Network, ...], expected: str
) -> None:
    assert client_address(peer, forwarded, proxies) == addr(expected)


def test_unparseable_or_missing_peer_is_none() -> None:
    assert client_address(None, "198.51.100.7", PROXIES) is None
    assert client_address("testclient", "198.51.100.7", PROXIES) is None
    assert network_key(None) == "unknown"


def test_ipv6_clients_are_counted_by_their_64() -> None:
    one = network_key(addr("2001:db8:1:2:aaaa:bbbb:cccc:dddd"))
    same = network_key(addr("2001:db8:1:2::1"))
    other = network_key(addr("2001:db8:1:3::1"))
    assert one == same == "2001:db8:1:2::/64"
    assert other != one


def test_ipv4_clients_are_counted_by_address() -> None:
    assert network_key(addr("198.51.100.7")) == "198.51.100.7"
    assert network_key(addr("198.51.100.8")) != network_key(addr("198.51.100.7"))


def test_ipv4_mapped_ipv6_counts_as_the_ipv4_address() -> None:
    assert network_key(addr("::ffff:198.51.100.7")) == network_key(addr("198.51.100.7"))
    assert network_key(addr("::ffff:198.51.100.7")) != network_key(addr("::ffff:198.51.100.8"))


def test_ipv4_mapped_addresses_are_their_ipv4_address_for_trust_too() -> None:
    # A dual-stack listener reports an IPv4 proxy as ::ffff:10.0.0.1: it is still that proxy.
    assert client_address("::ffff:10.0.0.1", "198.51.100.7", PROXIES) == addr("198.51.100.7")
    assert client_address("10.0.0.1", "::ffff:198.51.100.7", PROXIES) == addr("198.51.100.7")
    assert client_address("::ffff:203.0.113.5", "198.51.100.7", PROXIES) == addr("203.0.113.5")


class _Peer:
    def __init__(self, host: str) -> None:
        self.host = host


class _Request:
    """What client_network reads of a request: the peer and one header."""

    def __init__(self, peer: str | None, forwarded_for: str | None = None) -> None:
        self.client = _Peer(peer) if peer is not None else None
        self.headers = {} if forwarded_for is None else {"x-forwarded-for": forwarded_for}


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "unknown"),
        (None, "unknown"),
    ],
)
def test_without_proxies_the_peer_is_the_client_whatever_it_forwards(
    peer: str | None, expected: str
) -> None:
    for _ in range(2):  # the second answer comes from the cache
        request = _Request(peer, forwarded_for="198.51.100.7")
        assert client_network(request, ()) == expected  # type: ignore[arg-type]


def test_a_trusted_proxy_forwards_the_client() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    request = _Request("10.0.0.1", forwarded_for="198.51.100.7, 10.0.0.2")
    assert client_network(request, proxies) == "198.51.100.7"  # type: ignore[arg-type]
    assert client_network(_Request("10.0.0.1"), proxies) == "10.0.0.1"  # type: ignore[arg-type]
