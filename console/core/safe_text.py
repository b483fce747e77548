"""The data→view boundary for untrusted text: everything shown literally, nothing hidden.

Customers, documents, models and tools can put anything in a string: terminal escape sequences
(ANSI CSI, OSC 8 links, OSC 52 clipboard writes), C0/C1 controls, bidi overrides that reorder
what is displayed, zero-width and Unicode tag characters that hide text. ``neutralise`` turns a
string into segments of plain text and visible escapes (``\\x1b``, ``<U+202E>``); every view and
every CLI output renders through it. Markup is the view's concern: the TUI builds ``Text``
objects from these segments and never parses them as markup.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Cc (minus tab/newline, handled by mode), Cf (format: bidi, zero-width, tags…), Zl, Zp, surrogates.
_INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_MULTILINE = re.compile(f"[{_INVISIBLE}]")
_ONELINE = re.compile(f"[{_INVISIBLE}\t\n]")

_NAMES = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI", "\u200e": "LRM", "\u200f": "RLM",
    "\u061c": "ALM", "\u200b": "ZWSP", "\u200c": "ZWNJ", "\u200d": "ZWJ", "\u2060": "WJ", "\ufeff": "BOM",
    "\u00ad": "SHY",
}  # fmt: skip
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


class Segment(NamedTuple):
    text: str
    escape: bool  # True: a stand-in for something invisible or dangerous


def escape_char(ch: str) -> str:
    """The visible stand-in for one invisible or control character."""
    if ch in _SHORT:
        return _SHORT[ch]
    cp = ord(ch)
    if cp < 0xA0:
        return f"\\x{cp:02x}"
    if 0xE0020 <= cp <= 0xE007E:
        return f"<TAG {chr(cp - 0xE0000)}>"
    name = _NAMES.get(ch)
    return f"<U+{cp:04X} {name}>" if name else f"<U+{cp:04X}>"


def neutralise(text: str, *, multiline: bool = True) -> list[Segment]:
    """Split ``text`` into literal runs and visible escapes. ``multiline=False`` also escapes
    newlines and tabs (table cells, titles, one-line lists)."""
    pattern = _MULTILINE if multiline else _ONELINE
    if not pattern.search(text):
        return [Segment(text, False)] if text else []
    out: list[Segment] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append(Segment(text[pos : m.start()], False))
        out.append(Segment(escape_char(m.group()), True))
        pos = m.end()
    if pos < len(text):
        out.append(Segment(text[pos:], False))
    return out


def visible(text: object, *, multiline: bool = True) -> str:
    """``text`` as a plain string safe to print to a terminal, invisible parts made visible."""
    s = text if isinstance(text, str) else str(text)
    pattern = _MULTILINE if multiline else _ONELINE
    if not pattern.search(s):
        return s
    return "".join(seg.text for seg in neutralise(s, multiline=multiline))


def has_hidden(text: str) -> bool:
    return bool(_MULTILINE.search(text))
