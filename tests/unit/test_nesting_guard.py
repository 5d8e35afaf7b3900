"""The nesting guard refuses deep JSON before decoding, without recursion, cheaply."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from service.errors import InvalidInput
from service.http import body
from service.http.body import MAX_DEPTH, decode_object, nesting_exceeds


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("make", [arrays, objects])
def test_the_limit_is_exact(make: Any) -> None:
    assert not nesting_exceeds(make(MAX_DEPTH))
    assert nesting_exceeds(make(MAX_DEPTH + 1))
    assert nesting_exceeds(make(1000))


def test_mixed_and_wide_structures() -> None:
    mixed = b'{"a":[' * 20 + b"1" + b"]}" * 20  # 40 levels
    assert nesting_exceeds(mixed)
    wide = json.dumps({"ids": [[1], {"b": [2]}] * 5000}).encode()  # many brackets, 4 deep
    assert not nesting_exceeds(wide)
    assert json.loads(wide)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"body": "[" * 5000 + "{" * 5000, "name": 'say \\"[[[[[[ "'}).encode()
    assert not nesting_exceeds(text)
    escaped = json.dumps({"body": '\\"' + "[" * 100 + '"\\\\'}).encode()
    assert not nesting_exceeds(escaped)
    assert decode_object(escaped)["body"].count("[") == 100


def test_malformed_input_is_left_to_the_decoder_unless_it_is_deep() -> None:
    assert not nesting_exceeds(b"[" * 10 + b"}" * 40)  # malformed, shallow
    assert nesting_exceeds(b"]" * 5 + b"[" * 100)  # a decoder would descend 100 levels
    assert not nesting_exceeds(b'"unterminated [' + b"[" * 100)  # all inside a string
    assert not nesting_exceeds(b'"unterminated ' + b"[" * 100 + b'"')


def test_deep_bodies_are_refused_before_json_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("json.loads ran on a deep body")

    monkeypatch.setattr(body.json, "loads", must_not_run)
    for raw in (arrays(1000), objects(100_000), b'{"a":' + arrays(5000) + b"}"):
        with pytest.raises(InvalidInput, match="nested too deeply"):
            decode_object(raw)


def test_the_scan_is_cheap_on_a_64_kib_comment() -> None:
    big = json.dumps({"name": "A", "email": "a@example.org", "body": "word " * 13_000}).encode()
    links = json.dumps({"name": "A", "body": "[x](https://e.org/) " * 3_200}).encode()
    hostile = b"[" * 65_536
    for raw, budget in ((big, 0.001), (links, 0.02), (hostile, 0.05)):
        start = time.perf_counter()
        for _ in range(10):
            nesting_exceeds(raw)
        assert (time.perf_counter() - start) / 10 < budget, len(raw)
