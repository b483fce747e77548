"""The one place the console turns untrusted strings into something it displays.

Every string that comes from a conversation, a document, a tool, a model, the configuration or
the store reaches the screen through :func:`untrusted` (a Textual ``Content``),
:func:`untrusted_text` (a Rich ``Text``, for Rich renderables) or :func:`plain` (a ``str`` for
APIs that take one, always passed on with ``markup=False``). All three are built from
``safe_text.neutralise`` segments, so:

- markup is never parsed: ``[@click=app.quit]``, ``[link=…]`` and a stray ``[/`` are characters;
- escape sequences (ANSI CSI, OSC 8 links, OSC 52 clipboard writes), C0/C1 controls, bidi
  overrides, zero-width and tag characters appear as visible stand-ins (``\\x1b``, ``<U+202E RLO>``)
  drawn in :data:`ESCAPE_STYLE`, so an operator sees that something was hidden there;
- very long values are cut at ``max_chars`` with a visible note of how much was left out.

Styles passed in are the console's own constants, never data.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content, Span

from console.core.safe_text import neutralise, visible

ESCAPE_STYLE = "reverse"
TRUNCATED_STYLE = "italic dim"
DEFAULT_MAX_CHARS = 4000


def _cut(value: object, max_chars: int | None) -> tuple[str, int]:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if max_chars is not None and len(text) > max_chars:
        return text[:max_chars], len(text) - max_chars
    return text, 0


def _more(left: int) -> str:
    return f" … {left:,} more characters"


def untrusted(
    value: object,
    *,
    style: str = "",
    multiline: bool = False,
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> Content:
    """``value`` as literal ``Content``: invisible and dangerous characters made visible.

    ``multiline=False`` (the default: cells, titles, breadcrumbs, one-line lists) also shows
    newlines and tabs as ``\\n`` and ``\\t``.
    """
    text, left = _cut(value, max_chars)
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for seg in neutralise(text, multiline=multiline):
        parts.append(seg.text)
        end = pos + len(seg.text)
        if seg.escape:
            spans.append(Span(pos, end, ESCAPE_STYLE))
        pos = end
    if left:
        more = _more(left)
        parts.append(more)
        spans.append(Span(pos, pos + len(more), TRUNCATED_STYLE))
        pos += len(more)
    if style and pos:
        spans.insert(0, Span(0, pos, style))
    # strip_control_codes=False: neutralise already replaced every control character.
    return Content("".join(parts), spans, strip_control_codes=False)


def untrusted_text(
    value: object,
    *,
    style: str = "",
    multiline: bool = False,
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> Text:
    """``value`` as a literal Rich ``Text`` (same rules as :func:`untrusted`)."""
    text, left = _cut(value, max_chars)
    out = Text(style=style, no_wrap=not multiline)
    for seg in neutralise(text, multiline=multiline):
        out.append(seg.text, ESCAPE_STYLE if seg.escape else None)
    if left:
        out.append(_more(left), TRUNCATED_STYLE)
    return out


def plain(value: object, *, multiline: bool = False, max_chars: int | None = DEFAULT_MAX_CHARS) -> str:
    """``value`` as a plain string with invisible characters made visible, for APIs taking ``str``
    (always together with ``markup=False``)."""
    text, left = _cut(value, max_chars)
    return visible(text, multiline=multiline) + (_more(left) if left else "")


def join(*parts: Content | str | tuple[str, str]) -> Content:
    """Assemble trusted labels (``str`` or ``(text, style)``) and untrusted ``Content`` pieces.

    Plain ``str`` parts must be the console's own words; anything from data goes in as
    ``untrusted(...)`` first.
    """
    return Content.assemble(*parts, strip_control_codes=False)


def join_text(*parts: Text | str | tuple[str, str]) -> Text:
    """The Rich counterpart of :func:`join`: trusted labels and ``untrusted_text`` pieces."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(part[0], part[1])
        else:
            out.append(part)
    return out
