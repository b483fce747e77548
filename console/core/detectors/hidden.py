"""Hidden text: zero-width characters inside words, Unicode tag characters, bidi overrides.

Hidden characters are found, reported, and taken out so the other recognizers see what a model
sees: ``ig\u200bnore previous instructions`` is scanned as ``ignore previous instructions``, and
text smuggled in tag characters (U+E0020–E007E mirror ASCII) is decoded and scanned too.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_HIDDEN = re.compile(
    "[\u180e\u200b-\u200d\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]+"
)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BLACK_FLAG = "\U0001f3f4"  # 🏴 + tag letters + cancel tag = a subdivision flag (England, Wales…)
_CANCEL_TAG = "\U000e007f"
_STEGO_RUN = 4  # this many zero-width characters in a row carry data, wherever they sit
_MAX_TAG_RUNS = 32  # reported (and decoded) per string


class HiddenRun(NamedTuple):
    start: int
    end: int
    kind: str  # "zero_width", "tag_characters" or "bidi_override", with " xN" when N runs are merged
    decoded: str  # the ASCII text carried by tag characters, "" otherwise


def _latin_alnum(ch: str) -> bool:
    return ch.isalnum() and ord(ch) < 0x250


def _is_flag_sequence(text: str, start: int, run: str) -> bool:
    if start == 0 or text[start - 1] != _BLACK_FLAG or not run.endswith(_CANCEL_TAG):
        return False
    return all("\U000e0030" <= c <= "\U000e0039" or "\U000e0061" <= c <= "\U000e007a" for c in run[:-1])


def _zero_width_suspicious(text: str, start: int, end: int, run: str) -> bool:
    zw = [c for c in run if c < "\U000e0000" and not _BIDI.match(c)]
    if not zw:
        return False
    if len(zw) >= _STEGO_RUN:
        return True
    if start == 0 and run == "\ufeff":
        return False  # a byte-order mark
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    # not between emoji, in scripts that need joiners, or at a word edge: inside a Latin word
    return bool(before and after and _latin_alnum(before) and _latin_alnum(after))


def find_hidden(text: str) -> list[HiddenRun]:
    """Suspicious runs of invisible characters; ``text`` must not be pure ASCII to have any.

    Tag runs come one by one (each carries its own decoded text); zero-width and bidi runs of the
    same kind are reported once, spanning the first to the last, so a hostile message cannot turn
    into thousands of findings.
    """
    out = []
    spread: dict[str, list[int]] = {}  # kind -> [start of first run, end of last run, runs]
    for m in _HIDDEN.finditer(text):
        run, start, end = m.group(0), m.start(), m.end()
        kinds = []
        tags = [c for c in run if c >= "\U000e0000"]
        if tags and len(out) < _MAX_TAG_RUNS and not _is_flag_sequence(text, start, run):
            decoded = "".join(chr(ord(c) - 0xE0000) for c in tags if 0x20 <= ord(c) - 0xE0000 < 0x7F)
            out.append(HiddenRun(start, end, "tag_characters", decoded))
        if _BIDI.search(run):
            kinds.append("bidi_override")
        if _zero_width_suspicious(text, start, end, run):
            kinds.append("zero_width")
        for kind in kinds:
            if kind in spread:
                spread[kind][1:] = [end, spread[kind][2] + 1]
            else:
                spread[kind] = [start, end, 1]
    out += [HiddenRun(s, e, kind if n == 1 else f"{kind} x{n}", "") for kind, (s, e, n) in spread.items()]
    out.sort(key=lambda r: r.start)
    return out


def strip_hidden(text: str) -> tuple[str, list[int]]:
    """``text`` without invisible characters, and for each kept character its original offset.

    The offset list has one extra entry (``len(text)``) so that an end offset maps too.
    """
    kept: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _HIDDEN.finditer(text):
        kept.append(text[pos : m.start()])
        where.extend(range(pos, m.start()))
        pos = m.end()
    kept.append(text[pos:])
    where.extend(range(pos, len(text)))
    where.append(len(text))
    return "".join(kept), where


def has_hidden(text: str) -> bool:
    return not text.isascii() and _HIDDEN.search(text) is not None
