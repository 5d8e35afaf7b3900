"""Keyed hashes and signatures from the installation secret.

An unkeyed hash of an e-mail address can be reversed with a list of addresses;
a keyed HMAC cannot without the secret. Each use has its own label, so a value
made for one purpose (a public avatar key) says nothing about another (the
private lookup key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class Keys:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, label: str, value: str) -> bytes:
        return hmac.new(self._secret, f"{label}\0{value}".encode(), hashlib.sha256).digest()

    def avatar_key(self, normalized_email: str) -> str:
        """Public, for identicons: stable per address, truncated to 64 bits."""
        return self._mac("avatar", normalized_email)[:8].hex()

    def email_key(self, normalized_email: str) -> str:
        """Private: finds one address's comments without reading the address."""
        return self._mac("email", normalized_email).hex()

    def client_key(self, network: str) -> str:
        """Private: a client's network (IPv4 address or IPv6 /64) for rate limits."""
        return self._mac("client", network)[:16].hex()

    def fingerprint(self, text: str) -> str:
        """Private: spots a repeated comment body."""
        return self._mac("body", text)[:16].hex()

    def sign(self, payload: bytes) -> str:
        tag = hmac.new(self._secret, b"cursor\0" + payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(tag).decode().rstrip("=")

    def verify(self, payload: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature)
