"""The data→view boundary: every hostile string comes out literal, visible and inert."""

from __future__ import annotations

import pytest
from rich.console import Console

from console.tui.untrusted import ESCAPE_STYLE, plain, untrusted, untrusted_text
from tests.hostile import HOSTILE, LITERAL, forbidden_in


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_content_is_literal_and_visible(name: str) -> None:
    value = HOSTILE[name]
    for multiline in (False, True):
        content = untrusted(value, multiline=multiline, max_chars=None)
        assert not forbidden_in(content.plain), name
        # Only the console's own styles: no link, no action, nothing parsed from the value.
        assert {span.style for span in content.spans} <= {ESCAPE_STYLE}
        text = untrusted_text(value, multiline=multiline, max_chars=None)
        assert text.plain == content.plain
        assert not any(span.style and "link" in str(span.style) for span in text.spans)
        assert plain(value, multiline=multiline, max_chars=None) == content.plain
    if "\n" in value:
        assert "\n" not in untrusted(value).plain  # one-line by default
        assert "\n" in untrusted(value, multiline=True).plain


@pytest.mark.parametrize("markup", LITERAL)
def test_markup_is_shown_character_for_character(markup: str) -> None:
    assert untrusted(markup).plain == markup
    assert untrusted_text(markup).plain == markup


def test_escapes_are_marked_and_named() -> None:
    content = untrusted("a\x1b[31mb\u202ec\U000e0041")
    assert content.plain == "a\\x1b[31mb<U+202E RLO>c<TAG A>"
    marked = [content.plain[s.start : s.end] for s in content.spans if s.style == ESCAPE_STYLE]
    assert marked == ["\\x1b", "<U+202E RLO>", "<TAG A>"]


def test_long_values_are_cut_with_a_visible_note() -> None:
    content = untrusted("x" * 5000, max_chars=100)
    assert content.plain == "x" * 100 + " … 4,900 more characters"


def test_rich_rendering_emits_no_control_sequence_from_data() -> None:
    console = Console(force_terminal=True, color_system="truecolor", width=200, record=True)
    for value in HOSTILE.values():
        console.print(untrusted_text(value, multiline=True, max_chars=300))
    out = console.export_text(styles=False)
    assert not forbidden_in(out.replace("\n", ""))
