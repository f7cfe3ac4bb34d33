"""A fast JSON stream parser for the ``ovs`` library when its C extension is missing.

The ``ovs`` package parses OVSDB's JSON-RPC stream with a C extension when it was built against Open vSwitch's
headers, and otherwise with a character-by-character Python lexer. A pip-installed ``ovs`` usually has no C
extension, and parsing the updates of a thousand new ports then costs more than vswitchd needs to create
them. :class:`StreamParser` offers the same interface (``feed`` → characters consumed, ``is_done``,
``finish`` → the value or an error string): a regular expression finds where the message (always an object)
ends, skipping strings whole and counting brackets, and the standard library's C decoder decodes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import ovs.json

#: A whole string (skipped), an unterminated one (wait for more input), or a bracket (counted).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|"|[{}\[\]]', re.S)
_WHITESPACE = " \t\r\n"
#: An unterminated message larger than this is an error, not a reason to buffer forever.
MAX_MESSAGE = 256 * 1024 * 1024


class StreamParser:
    """Drop-in for ``ovs.json.Parser`` (stream use and ``from_string``)."""

    def __init__(self, check_trailer: bool = False) -> None:
        self.check_trailer = check_trailer
        self._chunks: list[str] = []
        self._size = 0  # characters buffered
        self._tail = ""  # the unscanned end of the buffer (an unterminated string)
        self._depth = 0
        self._done = False
        self._value: Any = None
        self._error: str | None = None

    def feed(self, s: str) -> int:
        if self._done:
            return 0
        skipped = 0
        if not self._chunks:
            stripped = s.lstrip(_WHITESPACE)
            skipped, s = len(s) - len(stripped), stripped
            if not s:
                return skipped
        base = self._size  # buffer offset of s
        self._chunks.append(s)
        self._size += len(s)
        if self.check_trailer:  # from_string: the whole input comes in one feed; finish() decodes it
            return skipped + len(s)
        if self._size == len(s) and s[0] not in "{[":
            self._fail(f"a JSON-RPC message is an object, not {s[:20]!r}")
            return skipped + len(s)
        tail_offset = base - len(self._tail)
        tail = self._tail + s
        self._tail = ""
        for match in _TOKEN.finditer(tail):
            token = match.group()
            if token == '"':  # a string that goes on in the next chunk: scan it again then
                self._tail = tail[match.start():]
                break
            if token[0] == '"':
                continue
            self._depth += 1 if token in "{[" else -1
            if self._depth == 0:
                end = tail_offset + match.end()
                text = "".join(self._chunks)[:end]
                self._chunks, self._size = [], 0
                try:
                    self._value = json.loads(text)
                    self._done = True
                except ValueError as exc:
                    self._fail(str(exc))
                return skipped + end - base
        if self._size > MAX_MESSAGE:
            self._fail("message too long")
        return skipped + len(s)

    def _fail(self, message: str) -> None:
        self._done, self._error = True, message

    def is_done(self) -> bool:
        return self._done

    def finish(self) -> Any:
        if self._error is not None:
            return self._error
        if self.check_trailer and not self._done:
            try:
                return json.loads("".join(self._chunks))
            except ValueError as exc:
                return str(exc) if self._chunks else "empty input stream"
        if not self._done:
            return "unexpected end of input" if self._chunks else "empty input stream"
        return self._value


def install() -> bool:
    """Use :class:`StreamParser` in the ``ovs`` library unless it has its C parser. True if installed."""
    if getattr(ovs.json, "PARSER", None) == getattr(ovs.json, "PARSER_C", object()):
        return False
    ovs.json.Parser = StreamParser
    return True
