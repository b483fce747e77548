"""The console's commands, behind two front-ends: ``:`` command mode (k9s style, with aliases)
and the command palette (namespaced titles: ``view: conversations``, ``filter: flag pii_leak``).

A command's ``action`` names what it does for the read-only check (``TrustopsApp.permits``);
the palette and the command line both ask it, so a read-only console offers neither the
command nor its palette entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from console.core.queries import FLAG_CHOICES, SORTS, ConversationFilter
from console.tui.filters import FilterError, parse_filter
from console.tui.untrusted import join, untrusted

if TYPE_CHECKING:
    from console.tui.app import TrustopsApp


class CommandError(ValueError):
    """A command line that cannot run; the message says why (shown to the operator)."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    usage: str
    help: str  # the console's own words: shown in the palette, which reads it as markup
    run: Callable[[TrustopsApp, str], None]
    action: str = ""  # checked by TrustopsApp.permits when set


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    """One palette line: ``namespace: title``. ``title`` may hold data, so it is Content."""

    namespace: str
    title: Content
    run: Callable[[], object]
    help: str = ""
    action: str = ""
    plain: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", f"{self.namespace}: {self.title.plain}")

    @property
    def display(self) -> Content:
        return join((f"{self.namespace}: ", "dim"), self.title)


def _need(arg: str, what: str) -> str:
    if not arg:
        raise CommandError(f"give {what}")
    return arg


def _conversations(app: TrustopsApp, arg: str) -> None:
    try:
        f = parse_filter(arg, app.now_ms())
    except FilterError as exc:
        raise CommandError(str(exc)) from None
    app.navigator.conversations(f)


def _flag(app: TrustopsApp, arg: str) -> None:
    if arg not in FLAG_CHOICES:
        raise CommandError(f"flag: one of {', '.join(FLAG_CHOICES)}")
    app.navigator.conversations(ConversationFilter(flags=(arg,)))


COMMANDS: tuple[Command, ...] = (
    Command(
        "conversations", ("conv", "c", "ls"), "conversations [FILTER]",
        "open the conversation explorer, optionally filtered", _conversations,
    ),
    Command("flag", ("f",), "flag CATEGORY", "conversations with one flag", _flag),
    Command(
        "search", ("s", "/"), "search TEXT", "full-text search over conversations",
        lambda app, arg: app.navigator.conversations(ConversationFilter(search=_need(arg, "words to search"))),
    ),
    Command(
        "trail", ("t", "show", "open"), "trail CONVERSATION_ID", "one conversation's audit trail",
        lambda app, arg: app.navigator.trail(_need(arg, "a conversation id")),
    ),
    Command(
        "memory", ("mem", "m"), "memory CUSTOMER_ID", "what memory holds about a customer, and where it went",
        lambda app, arg: app.navigator.memory(_need(arg, "a customer id")),
    ),
    Command(
        "playbook", ("pb", "run"), "playbook NAME [KEY=VALUE]...", "start a playbook",
        lambda app, arg: app.start_playbook(_need(arg, "a playbook name").split()[0], {}),
        action="playbook",
    ),
    Command("reindex", ("index",), "reindex", "bring the search index up to date", lambda app, _: app.start_indexing()),
    Command("back", ("b",), "back", "the previous view", lambda app, _: app.go_back()),
    Command("help", ("h", "?"), "help", "the keys and commands in force", lambda app, _: app.action_help()),
    Command("quit", ("q", "q!", "exit"), "quit", "leave the console", lambda app, _: app.exit()),
)  # fmt: skip

_BY_WORD = {word: c for c in COMMANDS for word in (c.name, *c.aliases)}


def find_command(word: str) -> Command | None:
    return _BY_WORD.get(word.lower())


def command_words() -> list[str]:
    """Every name and alias, for the command line's completion."""
    return sorted(_BY_WORD)


def run_line(app: TrustopsApp, line: str) -> None:
    """Run one command line (without its ``:``)."""
    word, _, arg = line.strip().partition(" ")
    if not word:
        return
    command = find_command(word)
    if command is None:
        raise CommandError(f"unknown command :{word} (try :help)")
    if command.action and not app.permits(command.action):
        raise CommandError(f":{command.name} is not available here (read-only)")
    command.run(app, arg.strip())


def global_entries(app: TrustopsApp, deployments: Iterable[str]) -> list[PaletteEntry]:
    """Palette entries available on every screen."""
    nav = app.navigator
    entries = [
        PaletteEntry("view", Content("conversations"), lambda: nav.conversations(ConversationFilter()),
                     "all conversations, newest first"),
        PaletteEntry("view", Content("help"), app.action_help, "keys and commands in force"),
        PaletteEntry("search", Content("re-index now"), app.start_indexing, "bring the search index up to date"),
        PaletteEntry("app", Content("quit"), app.exit, "leave the console"),
    ]  # fmt: skip
    for flag in FLAG_CHOICES:
        entries.append(
            PaletteEntry(
                "filter",
                Content(f"flag {flag}"),
                lambda flag=flag: nav.conversations(ConversationFilter(flags=(flag,))),
                "conversations carrying this flag",
            )
        )
    for dep in deployments:
        entries.append(
            PaletteEntry(
                "filter",
                join("deployment ", untrusted(dep, max_chars=60)),
                lambda dep=dep: nav.conversations(ConversationFilter(deployment=dep)),
                "conversations of this deployment",
            )
        )
    for sort in SORTS:
        entries.append(
            PaletteEntry(
                "sort", Content(sort), lambda sort=sort: app.sort_conversations(sort), "order the list"
            )
        )
    return entries


class ConsoleCommands(Provider):
    """The palette: global entries plus what the current screen offers (``palette_entries()``)."""

    async def startup(self) -> None:
        app: TrustopsApp = self.app  # type: ignore[assignment]
        try:
            deployments = await asyncio.to_thread(app.source.deployments)
        except Exception:  # the palette still works without the deployment list
            deployments = []
        screen_entries = getattr(self.screen, "palette_entries", list)()
        self._entries = [
            e
            for e in [*screen_entries, *global_entries(app, deployments)]
            if not e.action or app.permits(e.action)
        ]

    async def discover(self) -> Hits:
        for entry in self._entries:
            yield DiscoveryHit(entry.display, entry.run, text=entry.plain, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries:
            score = matcher.match(entry.plain)
            if score > 0:
                # No fuzzy highlight: Matcher.highlight parses its input as markup.
                yield Hit(score, entry.display, entry.run, text=entry.plain, help=entry.help)
