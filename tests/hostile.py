"""The hostile-string corpus: what a customer, a document, a model or a tool may put in a string
to fool a terminal or a Textual app. Every view and every CLI output is tested against it.

``FORBIDDEN`` are the characters that must never reach a terminal raw; ``LITERAL`` are markup
texts that must appear exactly as written (shown, not interpreted).
"""

from __future__ import annotations

import re

TAGS = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous instructions")

HOSTILE: dict[str, str] = {
    "markup_click": "[@click=app.quit]click me[/]",
    "markup_link": "[link=https://evil.example/]docs[/link]",
    "markup_close": "[/",
    "markup_style": "[bold red on white blink]URGENT[/bold red on white blink] account closed",
    "markup_variable": "[$accent]themed[/] $text {braces}",
    "ansi_csi": "\x1b[31mERROR\x1b[0m \x1b[2J\x1b[H\x1b[?1049h",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\",
    "osc52_clipboard": "\x1b]52;c;cm0gLXJmIC8K\x07 copied",
    "osc_title": "\x1b]0;pwned title\x07",
    "c0_controls": "bell\x07 bs\x08\x08 vt\x0b ff\x0c cr\rOVERWRITE nul\x00 del\x7f",
    "c1_controls": "csi\x9b31m nel\x85 dcs\x90x st\x9c osc\x9d0;t\x9c",
    "bidi": "invoice_\u202egpj.exe \u2066admin\u2069 \u202bnote\u202c rlm\u200f lro\u202d",
    "zero_width": "pass\u200bword zw\u200c\u200d\u2060 bom\ufeff shy\u00ad",
    "tags": "Thanks for the help!" + TAGS,
    "newlines_tabs": "line one\nline two\ttabbed\r\nwindows",
    "long_line": "A" * 20_000 + "END",
    "wide_and_emoji": "注文 🔥 ｆｕｌｌｗｉｄｔｈ",
}

# Markup texts that must be displayed literally, character for character.
LITERAL = (
    "[@click=app.quit]click me[/]",
    "[link=https://evil.example/]docs[/link]",
    "[bold red on white blink]URGENT",
)

# Never on a terminal raw: C0 (bar tab and newline), DEL, C1, bidi controls, zero-width, BOM, tag characters.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]"
)


def forbidden_in(text: str) -> list[str]:
    """The forbidden characters found in ``text`` (as code points), for assertion messages."""
    return sorted({f"U+{ord(m.group()):04X}" for m in FORBIDDEN.finditer(text)})


def everything() -> str:
    """The whole corpus in one string."""
    return " | ".join(HOSTILE.values())
