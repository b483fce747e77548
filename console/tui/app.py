"""The trustops console: the app shell every view lives in.

It owns what is the same everywhere: the data source, the environment (name and colour in the
top bar), the operator, the keys (each binding has an id, so ``keymap:`` in the config remaps
it), ``:`` command mode and the command palette, Esc for back, ``?`` for help, the search index
kept current in the background, and the two rules that must hold in one place:

- **read-only** is decided by :meth:`TrustopsApp.permits` alone: every view's ``check_action``
  and every command asks it, so no view can forget;
- **errors** from background work end up in :meth:`on_worker_state_changed` as a notification
  (sanitised), never as a crash.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from console.core.config import Config
from console.core.masking import Masking
from console.core.queries import ConversationFilter
from console.core.redaction import RedactionPolicyError
from console.core.search import IndexProgress
from console.tui.commands import CommandError, ConsoleCommands, run_line
from console.tui.data import DataSource
from console.tui.navigation import Navigator, home_screen
from console.tui.screens.base import ConsoleScreen
from console.tui.screens.help import HelpScreen
from console.tui.untrusted import plain
from console.tui.widgets.command_line import CommandLine
from console.tui.widgets.top_bar import environment_colour

if TYPE_CHECKING:
    from console.core.kpi_engine import FirstLook

T = TypeVar("T")


class LiveStatus(Protocol):
    """What the console reads of a live ingest (connectors.live_ingest.LiveIngest)."""

    def status(self) -> Any: ...


# Actions that change something outside the console. A read-only source (a bundle) offers none.
WRITE_ACTIONS = frozenset({"reveal", "purge", "playbook"})
INDEX_PROGRESS_EVERY_S = 0.25


class IndexProgressed(Message):
    """The search index moved on; only the latest one matters."""

    def __init__(self, progress: IndexProgress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexProgressed)


class TrustopsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "trustops"
    COMMANDS: ClassVar[set[type[Provider]]] = {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        # Priority: taken before the key reaches the focused widget, so the keys typed right
        # after it land in the command line even when they arrive in one burst (a paste).
        Binding("colon", "command_line", "Command", priority=True, id="app.command"),
        Binding("escape", "back", "Back", id="app.back"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
    ]

    index_status: reactive[str] = reactive("")

    def __init__(
        self,
        source: DataSource,
        config: Config | None = None,
        *,
        initial_filter: ConversationFilter | None = None,
        clock: Callable[[], float] = time.time,
        index_every_s: float | None = 5.0,
        index_on_start: bool = True,
        live: LiveStatus | None = None,
        first_look: Future[FirstLook] | None = None,
    ) -> None:
        """``first_look``: the dashboard's first numbers, started before the UI loaded
        (``console.core.kpi_engine.start_first_look``), for the home screen to show."""
        super().__init__()
        self.source = source
        self.first_look = first_look
        self.live = live  # the live ingest feeding the store, if any: its state is on the dashboard
        self.config = config or Config()
        self.initial_filter = initial_filter
        self.operator = self.config.operator_name()
        self.environment = self.config.environment
        self.environment_colour = environment_colour(
            self.environment, self.config.colour, self.config.is_production
        )
        self.navigator = Navigator(self)
        self.masking, self._policy_error = _masking(self.config)
        self._clock = clock
        self._index_every_s = index_every_s
        self._index_on_start = index_on_start
        self._stop = threading.Event()
        if self.config.keymap:
            self.set_keymap(self.config.keymap)

    def get_default_screen(self) -> Screen:
        return home_screen(self)

    def on_mount(self) -> None:
        if self._policy_error:
            self.tell(
                f"{self._policy_error}; values are masked by default", severity="warning", title="Config"
            )
        # binding_ids() imports every view's module: only worth it when there is a keymap to check.
        unknown = sorted(set(self.config.keymap) - binding_ids()) if self.config.keymap else []
        if unknown:
            self.tell(f"keymap: no binding with id {', '.join(unknown)}", severity="warning", title="Config")
        if self._index_on_start:
            self.start_indexing()
        self.call_after_refresh(collector_back_on)

    def on_unmount(self) -> None:
        self._stop.set()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- the one read-only rule --------------------------------------------------------------------
    def permits(self, action: str, parameters: tuple[object, ...] = ()) -> bool:
        """May ``action`` run here at all? False for every write on a read-only source."""
        return not (self.source.read_only and action in WRITE_ACTIONS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.permits(action, parameters):
            return False
        if action == "back":
            return len(self.screen_stack) > 1
        if action == "command_line":  # a ':' typed into an input is just a character
            return isinstance(self.screen, ConsoleScreen) and not isinstance(self.focused, Input)
        if action == "help":
            return isinstance(self.screen, ConsoleScreen)
        return True

    # -- telling the operator ----------------------------------------------------------------------
    def tell(self, message: object, *, title: str = "", severity: str = "information") -> None:
        """A notification; ``message`` may hold data, so it is shown literally."""
        self.notify(
            plain(message, max_chars=500), title=plain(title, max_chars=80), severity=severity, markup=False
        )  # type: ignore[arg-type]

    def report_error(self, what: str, error: BaseException) -> None:
        """The one place background failures reach the operator: a notice, never a crash."""
        if what == "search index":
            self.index_status = "search index unavailable (slower search)"
        self.tell(f"{what} failed: {error}", severity="error", title="Error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Workers started by the app itself; those of views go through load_then.
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.group, event.worker.error)

    def load_then(
        self,
        fetch: Callable[[], T],
        show: Callable[[T], Any],
        *,
        node: DOMNode | None = None,
        group: str = "load",
    ) -> Worker:
        """Run blocking ``fetch`` in a thread worker, then ``show`` its result on the UI thread.

        The worker belongs to ``node`` (default: the current screen); a newer call in the same
        group on the same node supersedes an older one, whose result is dropped, as is a result
        arriving after ``node`` has gone. A failure goes to :meth:`report_error`.
        """
        owner = node if node is not None else self.screen

        def deliver(result: T) -> None:
            if owner.is_attached:
                show(result)

        def run() -> None:
            try:
                result = fetch()
            except Exception as exc:  # any failure, the store's or a bug's, becomes a notice
                self.call_from_thread(self.report_error, group, exc)
                return
            if not get_current_worker().is_cancelled:
                self.call_from_thread(deliver, result)

        return owner.run_worker(run, thread=True, group=group, exclusive=True, exit_on_error=False)

    # -- navigation and commands -------------------------------------------------------------------
    def go_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_back(self) -> None:  # type: ignore[override]
        self.go_back()

    def action_help(self) -> None:
        screen = self.screen
        if not isinstance(screen, ConsoleScreen):
            return
        crumbs = self.navigator.crumbs()
        view = crumbs[-1].plain if crumbs else "console"
        self.push_screen(HelpScreen(view, screen.active_bindings, self.get_key_display))

    def action_command_line(self) -> None:
        if isinstance(self.screen, ConsoleScreen):
            self.screen.query_one(CommandLine).open()

    def run_command_line(self, line: str) -> None:
        try:
            run_line(self, line)
        except CommandError as exc:
            self.tell(str(exc), severity="warning", title="Command")

    def sort_conversations(self, sort: str) -> None:
        from console.tui.screens.explorer import ExplorerScreen

        if isinstance(self.screen, ExplorerScreen):
            self.screen.sort_by(sort)
        else:
            self.navigator.conversations(ConversationFilter(sort=sort))

    def copy_event_id(self, event_id: str) -> None:
        text = plain(event_id, max_chars=500)
        self.copy_to_clipboard(text)
        self.tell(f"copied {text}", title="Event id")

    def start_playbook(self, name: str, params: dict[str, str]) -> None:
        """Where views start playbooks (``purge-memory`` from the memory view)."""
        if not self.permits("playbook"):
            self.tell("read-only: playbooks cannot run here", severity="warning", title="Playbook")
            return
        self.tell(f"playbooks not available yet ({name})", severity="warning", title="Playbook")

    # -- the search index, kept current in the background ------------------------------------------
    def start_indexing(self) -> None:
        self._index()

    @work(thread=True, exclusive=True, group="search index", exit_on_error=False)
    def _index(self) -> None:
        last = 0.0

        def progress(p: IndexProgress) -> None:
            nonlocal last
            now = time.monotonic()
            if p.done or now - last >= INDEX_PROGRESS_EVERY_S:
                last = now
                self.post_message(IndexProgressed(p))

        self.source.index(progress, self._stop)

    def on_index_progressed(self, message: IndexProgressed) -> None:
        p = message.progress
        if not p.done:
            self.index_status = f"search indexing {p.fraction:.0%}"
            return
        self.index_status = "search ready"
        if self._index_every_s and not self._stop.is_set():
            self.set_timer(self._index_every_s, self.start_indexing)


def _masking(config: Config) -> tuple[Masking, str]:
    """The display redaction the config asks for, or the default one and why not."""
    try:
        return Masking.from_config(config), ""
    except RedactionPolicyError as exc:
        return Masking(), str(exc)


def collector_back_on() -> None:
    """Once the first frame is up: the cyclic garbage collector back on, if startup turned it off.

    ``open_console`` turns it off before the console's modules load: startup builds a large heap
    of long-lived objects (modules, styles, widgets) and the collector would walk it several
    times (about 30 ms in all before the first frame, one full pass of 14 ms landing on the first
    frame itself). What is alive now lives as long as the console, so it is frozen (never walked
    again) rather than collected.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def binding_ids() -> set[str]:
    """Every binding id the console declares, in any of its modules (what ``keymap:`` may name)."""
    import importlib
    import pkgutil

    import console.tui as package

    for module in pkgutil.walk_packages(package.__path__, "console.tui."):
        importlib.import_module(module.name)
    ids: set[str] = set()
    todo: list[type] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("console.tui."):
            ids.update(b.id for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding) and b.id)
    return ids
