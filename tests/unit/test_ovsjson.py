"""The fast JSON-RPC stream parser behaves as the ovs library's own one on what OVSDB sends."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from lognet.agent.ovsjson import StreamParser

MESSAGES: list[Any] = [
    {"id": 1, "result": [{"uuid": ["uuid", "a"]}], "error": None},
    {"method": "update2", "params": [None, {"Port": {"u1": {"insert": {
        "name": "x{[\\\"", "external_ids": ["map", [["lognet-ipv4", '{"boot_protocol": "static"}']]]}}}}]},
    {"id": "echo", "method": "echo", "params": ["é ünïcode \\u00e9 \\\\", [], {}]},
    {"deep": [[[{"a": [1, 2.5, -3e2, True, False, None]}]]]},
]


def stream_parse(text: str, chunk: int) -> list[Any]:
    """What ovs.jsonrpc does: feed the input, keep the unconsumed rest, a new parser per message."""
    out: list[Any] = []
    data, parser = "", StreamParser()
    for i in range(0, len(text), chunk):
        data += text[i:i + chunk]
        while data:
            data = data[parser.feed(data):]
            if parser.is_done():
                out.append(parser.finish())
                parser = StreamParser()
    assert not data.strip()
    return out


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
def test_back_to_back_messages_split_anywhere(chunk: int) -> None:
    text = "".join(json.dumps(m) for m in MESSAGES) + " " + json.dumps(MESSAGES[0])
    assert stream_parse(text, chunk) == MESSAGES + [MESSAGES[0]]


def test_random_splits_of_a_large_update() -> None:
    rows = {f"u{i}": {"insert": {"name": f"v{i}", "tag": i, "external_ids": ["map", [["k", "}]\\\"{"]]]}}
            for i in range(2000)}
    msg = {"method": "update2", "params": [None, {"Port": rows}]}
    text = json.dumps(msg) * 2
    rng = random.Random(7)
    for _ in range(5):
        assert stream_parse(text, rng.randint(100, 5000)) == [msg, msg]


def test_errors_are_reported_as_strings() -> None:
    p = StreamParser()
    p.feed('{"a": tru}')
    assert p.is_done() and isinstance(p.finish(), str)
    p = StreamParser()
    p.feed("42")
    assert p.is_done() and isinstance(p.finish(), str)
    p = StreamParser()
    p.feed('{"a": ')
    assert not p.is_done() and p.finish() == "unexpected end of input"


def test_from_string_mode_checks_the_whole_input() -> None:
    p = StreamParser(check_trailer=True)
    p.feed('{"a": 1}')
    assert p.finish() == {"a": 1}
    p = StreamParser(check_trailer=True)
    p.feed('{"a": 1} x')
    assert isinstance(p.finish(), str)
