"""The detector set the ingest pipeline runs on every event: which strings, which rules, which findings.

Cost matters more than anywhere else here (every event passes through): a string with none of
the characters PII or secrets start with costs one regex search; only customer messages,
documents and memory go through the injection anchors; pure-ASCII text skips the hidden-text
check. Every scanned string's hits and keyed hashes are cached (documents, memory items, canned
replies and common customer phrases repeat across conversations), so a repeat costs one dict
lookup and the HMAC is computed once per value. ``scan`` reads the typed event the ingest pipeline
decoded anyway (or a JSON object), so the event's JSON is never decoded twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, NamedTuple

from console.core.findings import ConversationContext, Finding, supplied_by_customer

from . import pii
from .base import ASSISTANT, INJECTION_KINDS, MEMORY, OTHER, USER, Hit, Origin, TextRecognizer
from .hashing import value_hash
from .hidden import find_hidden, has_hidden, strip_hidden
from .injection import find_injections
from .secrets import CREDENTIAL_WORDS, TRIGGER_CHARS, Canaries, find_credentials, find_secrets
from .secrets import TRIGGER as SECRET_TRIGGER

# PII hints (a digit run, an IBAN's country and check digits, an '@', two colons around hex) and
# secret hints, in one search. The leading character class lets the regex engine skip every other
# character without trying the branches; each branch then checks, mostly backwards, what that
# character started.
_TRIGGER = re.compile(
    rf"[0-9@:{TRIGGER_CHARS}](?:(?<=[0-9])(?:(?P<num>[0-9 \-.()/\u00a0]{{5,}}[0-9])|(?P<iban>(?<=[A-Z]{{2}}[0-9]{{2}})))"
    rf"|(?P<at>(?<=@))"
    rf"|(?<=:)(?P<v6>[0-9A-Fa-f]{{0,4}}:)|(?<=[{TRIGGER_CHARS}])(?P<sec>{SECRET_TRIGGER}))"
)
_GROUNDING = {
    "grounding": "grounding",
    "groundedness": "grounding",
    "ungrounded": "grounding",
    "faithfulness": "grounding",
    "hallucination": "hallucination",
}
_EXECUTED = ("ok", "executed", "success", "succeeded")
# Results are cached per string (documents, memory items, canned replies and common customer
# phrases repeat across conversations): at most this many strings, this many characters in all,
# and only strings up to _CACHE_LONGEST characters.
_CACHE_SIZE = 49_152
_CACHE_CHARS = 12_000_000
_CACHE_LONGEST = 65_536
_SHORTEST = 6  # "a@b.co": no PII value, secret or rule match is shorter
_MAX_ARG_STRINGS = 256  # a tool call's args are walked to this many strings, no further
_MAX_DEPTH = 8
_DOC_ORIGINS = {t: Origin("document", t) for t in ("internal", "partner", "public", "user_upload")}
# one cache slot per origin a string is scanned as (the rules that apply depend on it)
_SLOTS = {
    o: i for i, o in enumerate((USER, ASSISTANT, OTHER, MEMORY, Origin("document"), *_DOC_ORIGINS.values()))
}
_NO_HITS: tuple = ()

# An event is its JSON object or its typed form (console.core.events): both answer ``get``.
Handler = Callable[[Any, "ConversationContext | None"], list[Finding]]


class _TypeRule(NamedTuple):
    handler: Handler
    fields: tuple[str, ...]  # what the handler reads
    may_find: Callable[[Any], object] | None = None  # None: every event may give findings


# What one string yields: (hit, keyed hash of its value) pairs, () when nothing.
Entry = tuple[tuple[Hit, str], ...]


class DetectorSet:
    """All detectors, configured once; ``scan`` is called for every ingested event.

    ``recognizers`` are extra :class:`~console.core.detectors.base.TextRecognizer` s (a model
    behind an API, say) run on the same strings as the built-in rules; their hits are hashed,
    located and turned into findings like the rules' own.
    """

    reads_typed_events = True  # scan takes the ingest pipeline's typed events (see scan)

    def __init__(
        self,
        *,
        hash_key: bytes,
        canary_tokens: Iterable[str] = (),
        enabled: bool = True,
        recognizers: Iterable[TextRecognizer] = (),
    ) -> None:
        if not hash_key:
            raise ValueError("detectors: hash_key must be a non-empty byte string")
        self.hash_key = hash_key
        self.enabled = enabled
        self._canaries = Canaries(canary_tokens)
        self._recognizers = tuple(recognizers)
        # a plugged-in recognizer decides for itself what is too short to matter
        self._shortest = 1 if self._recognizers else min([_SHORTEST, *map(len, self._canaries.tokens)])
        self._cache: dict[str, list[Entry | None]] = {}
        self._cached_chars = 0
        self._wheres: dict[tuple, str] = {}  # see _memory_where
        # Per event type: the handler, the fields it reads (a detector process decodes only
        # these) and, for the types that mostly carry nothing to scan (a passing guardrail, a
        # model call without an error), whether one event may give findings.
        self._types: dict[str, _TypeRule] = {
            "message.user": _TypeRule(self._message_user, ("text",)),
            "message.assistant": _TypeRule(self._message_assistant, ("text",)),
            "retrieval": _TypeRule(self._retrieval, ("query", "documents")),
            "memory.read": _TypeRule(self._memory_read, ("items",)),
            "memory.write": _TypeRule(self._memory_write, ("memory_id", "text")),
            "tool.call": _TypeRule(
                self._tool_call, ("agent_id", "tool", "risk", "permission", "outcome", "args", "approved_by")
            ),
            "guardrail": _TypeRule(
                self._guardrail, ("check", "verdict", "category", "score", "detail"), _guardrail_may_find
            ),
            "feedback": self._customer_text("text"),
            "escalation": self._plain_field("reason"),
            "model.call": self._plain_field("error"),
            "control": self._plain_field("detail"),
        }
        self._handlers: dict[str, Handler] = {t: rule.handler for t, rule in self._types.items()}

    # -- the interface -------------------------------------------------------------------------
    def scan(
        self, event: Any, ctx: ConversationContext | None, event_type: str | None = None
    ) -> list[Finding]:
        """The findings in one event: its JSON object, or the typed event the ingest pipeline
        decoded (anything with the same fields and a dict's ``get``), with its ``event_type``."""
        if not self.enabled:
            return []
        handler = self._handlers.get(event_type or event.get("type"))
        return handler(event, ctx) if handler is not None else []

    def fields(self, event_type: str) -> tuple[str, ...]:
        """The fields of a typed event of this type that ``scan`` reads."""
        rule = self._types.get(event_type)
        return rule.fields if rule is not None else ()

    def screen(self) -> dict[str, Callable[[Any], object] | None]:
        """The event types ``scan`` reads, each with a test of whether one typed event of that
        type may give findings (falsy: certainly none; None: every event may). A test costs an
        attribute read or two, so the pipeline can leave most events of the busiest types out
        of the detectors' work."""
        if not self.enabled:
            return {}
        return {t: rule.may_find for t, rule in self._types.items()}

    def hits(self, text: str, origin: Origin = OTHER) -> tuple[Hit, ...]:
        """Everything the recognizers find in one string (also used by the quality evaluation)."""
        if text.isascii():
            # too short for any value or rule, or else plain text (no invisible characters)
            return () if len(text) < self._shortest else self._plain_hits(text, origin)
        if has_hidden(text):
            return self._hits_with_hidden(text, origin)
        return self._plain_hits(text, origin)

    # -- per event type -------------------------------------------------------------------------
    def _message_user(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        text = event.get("text")
        if isinstance(text, str) and (entry := self._entry(text, USER)):
            self._emit(entry, "text", out, supplied=ctx.supplied if ctx else None)
        return out

    def _message_assistant(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        text = event.get("text")
        if not isinstance(text, str) or not (entry := self._entry(text, ASSISTANT)):
            return out
        self._emit(entry, "text", out)
        if ctx is not None:
            for h, digest in entry:
                if h.category == "pii" and digest not in ctx.supplied and not _business_contact(h):
                    out.append(
                        Finding(
                            "pii_leak",
                            "assistant_unsupplied",
                            "text",
                            h.start,
                            h.end,
                            digest,
                            f"{h.type} the customer did not supply in this conversation",
                        )
                    )
        return out

    def _retrieval(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        query = event.get("query")
        if isinstance(query, str) and (entry := self._entry(query, OTHER)):
            self._emit(entry, "query", out)
        docs = event.get("documents")
        if isinstance(docs, list):
            for i, doc in enumerate(docs):
                if not _is_object(doc):
                    continue
                text = doc.get("text")
                if not isinstance(text, str) or not text:
                    continue
                trust = doc.get("trust")
                origin = _DOC_ORIGINS.get(trust) or Origin("document", str(trust) if trust else None)  # type: ignore[arg-type]
                entry = self._entry(text, origin)
                if entry:
                    where = f"doc={_id(doc.get('doc_id'))} source={_id(doc.get('source'))} trust={_id(trust)}"
                    self._emit(entry, f"documents.{i}.text", out, indirect=where)
        return out

    def _memory_read(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        items = event.get("items")
        if not isinstance(items, list):
            return out
        customer = ctx.customer_id if ctx is not None else None
        for i, item in enumerate(items):
            if not _is_object(item):
                continue
            owner = item.get("origin_customer_id")
            foreign = customer is not None and owner is not None and str(owner) != str(customer)
            text = item.get("text")
            entry = self._entry(text, MEMORY) if isinstance(text, str) and text else _NO_HITS
            if not foreign and not entry:
                continue
            where = self._memory_where(item.get("memory_id"), item.get("origin_conversation_id"), owner)
            if foreign:
                out.append(Finding("pii_leak", "cross_customer_memory", f"items.{i}", detail=where))
            if entry:
                own = ctx.supplied if ctx is not None and supplied_by_customer(owner, customer) else None
                self._emit(entry, f"items.{i}.text", out, indirect=where, supplied=own)
        return out

    def _memory_where(self, memory_id: object, conversation: object, owner: object) -> str:
        """Where a memory item came from, for its findings' detail (cached: items repeat)."""
        key = (memory_id, conversation, owner)
        try:
            where = self._wheres.get(key)
        except TypeError:  # a JSON object's list or object where an id belongs: not cached
            where = key = None
        if where is None:
            where = f"memory={_id(memory_id)} origin_conversation={_id(conversation)} origin_customer={_id(owner)}"
            if key is not None:
                if len(self._wheres) >= _CACHE_SIZE:
                    self._wheres.clear()
                self._wheres[key] = where
        return where

    def _memory_write(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        text = event.get("text")
        if isinstance(text, str) and text and (entry := self._entry(text, MEMORY)):
            where = f"memory_write={_id(event.get('memory_id'))}"
            self._emit(entry, "text", out, indirect=where)
        return out

    def _tool_call(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        if event.get("permission") == "denied":
            out.append(
                Finding(
                    "unauthorized_tool",
                    "denied",
                    detail=f"{_tool(event)} outcome={_id(event.get('outcome'))}",
                )
            )
        if event.get("risk") == "high" and event.get("outcome") in _EXECUTED and not event.get("approved_by"):
            out.append(
                Finding(
                    "unauthorized_tool", "unapproved_high_risk", detail=f"{_tool(event)} approved_by=none"
                )
            )
        args = event.get("args")
        if isinstance(args, dict) and args:
            for path, value in _strings(args, "args"):
                if entry := self._entry(value, OTHER):
                    self._emit(entry, path, out)
        return out

    def _guardrail(self, event: Any, ctx: ConversationContext | None) -> list[Finding]:
        out: list[Finding] = []
        category = _GROUNDING.get(str(event.get("category") or "").lower())
        verdict = str(event.get("verdict") or "").lower()
        if category is not None and verdict in ("flag", "block"):
            detail = f"check={_id(event.get('check'))} verdict={verdict} score={_id(event.get('score'))}"
            out.append(Finding("ungrounded", category, detail=detail))
        text = event.get("detail")
        if isinstance(text, str) and (entry := self._entry(text, OTHER)):
            self._emit(entry, "detail", out)
        return out

    def _plain_field(self, name: str) -> _TypeRule:
        """A type whose one scanned field is ``name``."""

        def handler(event: Any, ctx: ConversationContext | None) -> list[Finding]:
            out: list[Finding] = []
            text = event.get(name)
            if isinstance(text, str) and (entry := self._entry(text, OTHER)):
                self._emit(entry, name, out)
            return out

        return _TypeRule(handler, (name,), attrgetter(name))

    def _customer_text(self, name: str) -> _TypeRule:
        """A type whose one scanned field holds the customer's own words: PII there counts as
        supplied."""

        def handler(event: Any, ctx: ConversationContext | None) -> list[Finding]:
            out: list[Finding] = []
            text = event.get(name)
            if isinstance(text, str) and (entry := self._entry(text, OTHER)):
                self._emit(entry, name, out, supplied=ctx.supplied if ctx else None)
            return out

        return _TypeRule(handler, (name,), attrgetter(name))

    # -- strings to hits -------------------------------------------------------------------------
    def _entry(self, text: str, origin: Origin) -> Entry:
        """The hits in ``text`` with their keyed hashes, from the cache when the string was seen."""
        if len(text) < self._shortest and text.isascii():
            return _NO_HITS
        row = self._cache.get(text)
        slot = _SLOTS.get(origin)
        if row is not None and slot is not None:
            entry = row[slot]
            if entry is not None:
                return entry
        key = self.hash_key
        entry = tuple(
            (h, value_hash(key, h.category if h.category == "injection" else h.type, h.value))
            for h in self.hits(text, origin)
        )
        if slot is None or len(text) > _CACHE_LONGEST:
            return entry
        if row is None:
            cache = self._cache
            while cache and (len(cache) >= _CACHE_SIZE or self._cached_chars > _CACHE_CHARS):
                oldest = next(iter(cache))
                del cache[oldest]
                self._cached_chars -= len(oldest)
            row = cache[text] = [None] * len(_SLOTS)
            self._cached_chars += len(text)
        row[slot] = entry
        return entry

    def _plain_hits(self, text: str, origin: Origin) -> tuple[Hit, ...]:
        hits: list[Hit] = []
        first = _TRIGGER.search(text)
        if first is not None:
            spans: dict[str | None, list[tuple[int, int]]] = {
                "num": [],
                "iban": [],
                "at": [],
                "v6": [],
                "sec": [],
            }
            for m in _TRIGGER.finditer(text, first.start()):
                spans[m.lastgroup].append(m.span())
            if spans["num"] or spans["iban"] or spans["at"] or spans["v6"]:
                hits += pii.find_pii(text, spans["num"], spans["at"], spans["v6"], spans["iban"])
            if spans["sec"]:
                hits += find_secrets(text)
        low = text.lower()
        for word in CREDENTIAL_WORDS:
            if word in low:
                hits += find_credentials(text)
                break
        for token in self._canaries.tokens:
            if token in text:
                hits += self._canaries.find(text)
                break
        kind = INJECTION_KINDS.get(origin.role)
        if kind is not None:
            hits += find_injections(
                text, low, indirect=kind == "indirect", internal=origin.trust == "internal"
            )
        for recognizer in self._recognizers:
            hits += recognizer.find(text, origin)
        return tuple(hits) if hits else ()

    def _hits_with_hidden(self, text: str, origin: Origin) -> tuple[Hit, ...]:
        """Report the hidden runs, scan the text as a model sees it, and scan what tags carried."""
        hits: list[Hit] = []
        cleaned, where = strip_hidden(text)
        for h in self._plain_hits(cleaned, origin):
            hits.append(
                h._replace(
                    start=where[h.start], end=where[h.end - 1] + 1 if h.end > h.start else where[h.start]
                )
            )
        for run in find_hidden(text):
            hits.append(
                Hit(
                    "injection",
                    "hidden_text",
                    run.start,
                    run.end,
                    run.decoded or text[run.start : run.end],
                    f"hidden={run.kind}",
                )
            )
            if run.decoded:
                for h in self._plain_hits(run.decoded, origin):
                    note = f"{h.detail}; in hidden tag text" if h.detail else "in hidden tag text"
                    hits.append(h._replace(start=run.start, end=run.end, detail=note))
        hits.sort(key=lambda h: h.start)
        return tuple(hits)

    # -- hits to findings ------------------------------------------------------------------------
    def _emit(
        self,
        entry: Entry,
        field: str,
        out: list[Finding],
        *,
        indirect: str | None = None,
        supplied: set[str] | None = None,
    ) -> None:
        """Append one finding per hit; PII hashes go into ``supplied`` when given."""
        for h, digest in entry:
            detail = h.detail
            if h.category == "injection":
                label = detail if h.type == "hidden_text" else f"rule={detail}"
                detail = f"indirect; {indirect}; {label}" if indirect else label
            elif supplied is not None and h.category == "pii":
                supplied.add(digest)
            out.append(Finding(h.category, h.type, field, h.start, h.end, digest, detail))


def _guardrail_may_find(event: Any) -> bool:
    return event.verdict != "pass" or bool(event.detail)


def _is_object(value: object) -> bool:
    """A JSON object, or its typed form (see ``scan``)."""
    return isinstance(value, dict) or hasattr(value, "get")


def _business_contact(h: Hit) -> bool:
    """A company's own role address or toll-free number, which assistants give out on purpose."""
    if h.type == "email":
        return h.value.partition("@")[0] in pii.ROLE_LOCAL_PARTS
    if h.type == "phone":
        return pii.is_business_phone(h.value)
    return False


def _tool(event: Any) -> str:
    return f"tool={_id(event.get('tool'))} agent={_id(event.get('agent_id'))}"


_UNSAFE = re.compile(r"[^\x21-\x7e]")


def _id(value: object) -> str:
    """An identifier for a detail string: printable ASCII, no spaces, bounded."""
    if value is None:
        return "none"
    text = value[:64] if type(value) is str else str(value)[:64]
    # (the usual identifier passes three checks in C; only another goes through the regex)
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return _UNSAFE.sub("?", text)


def _strings(value: object, path: str) -> Iterable[tuple[str, str]]:
    """(dotted path, string) for every string inside nested dicts and lists, bounded."""
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    seen = 0
    while stack and seen < _MAX_ARG_STRINGS:
        node, where, d = stack.pop()
        if isinstance(node, str):
            if node:
                seen += 1
                yield where, node
        elif d < _MAX_DEPTH and isinstance(node, dict):
            stack.extend((v, f"{where}.{k}", d + 1) for k, v in reversed(node.items()))
        elif d < _MAX_DEPTH and isinstance(node, list):
            stack.extend((v, f"{where}.{i}", d + 1) for i, v in reversed(list(enumerate(node))))
