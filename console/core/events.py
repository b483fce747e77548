"""Audit event format v1 (SPEC section 3): decoding and validation with precise reasons.

Validation is on the ingest hot path, so the format is declared once as msgspec Structs (a
tagged union on ``type``) and checked in C while decoding: the same strictness as a hand-written
validator at a fraction of the cost. The decoded Struct gives the indexed columns; the event's
JSON itself is stored verbatim, so unknown fields are kept and shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Literal, Union

import msgspec
import orjson

from console.core.errors import UserError

DEFAULT_MAX_LINE_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
ZonedTime = Annotated[datetime, msgspec.Meta(tz=True)]
Trust = Literal["internal", "partner", "public", "user_upload"]
TRUST_LEVELS = ("internal", "partner", "public", "user_upload")


class _Fields:
    """``get`` as on the event's JSON object, so code written for dicts reads typed events too."""

    __slots__ = ()

    def get(self, name: str, default: object = None) -> object:
        return getattr(self, name, default)


class _Common(_Fields, msgspec.Struct, tag_field="type", kw_only=True, frozen=True, gc=False):
    v: Literal[1]
    id: NonEmpty
    ts: ZonedTime


class _Conversation(_Common, kw_only=True, frozen=True):
    conversation_id: NonEmpty
    deployment: NonEmpty
    model_version: NonEmpty
    turn: int | None = None


class ConversationStart(_Conversation, tag="conversation.start", frozen=True):
    customer_id: str
    channel: str | None = None
    memory_enabled: bool | None = None


class UserMessage(_Conversation, tag="message.user", frozen=True):
    text: str


class Document(_Fields, msgspec.Struct, frozen=True, gc=False):
    doc_id: str
    source: str
    trust: Trust
    text: str


class Retrieval(_Conversation, tag="retrieval", frozen=True):
    documents: list[Document]
    query: str | None = None


class MemoryItem(_Fields, msgspec.Struct, frozen=True, gc=False):
    memory_id: str
    text: str
    origin_conversation_id: str | None = None
    origin_customer_id: str | None = None


class MemoryRead(_Conversation, tag="memory.read", frozen=True):
    items: list[MemoryItem]


class MemoryWrite(_Conversation, tag="memory.write", frozen=True):
    memory_id: str
    text: str


class ModelCall(_Conversation, tag="model.call", frozen=True):
    model: str
    latency_ms: float
    status: Literal["ok", "error", "timeout"]
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None


class AssistantMessage(_Conversation, tag="message.assistant", frozen=True):
    text: str


class ToolCall(_Conversation, tag="tool.call", frozen=True):
    agent_id: str
    tool: str
    risk: Literal["low", "high"]
    permission: Literal["allowed", "denied"]
    outcome: Literal["ok", "error", "blocked"]
    args: dict = {}
    approved_by: str | None = None


class Guardrail(_Conversation, tag="guardrail", frozen=True):
    check: str
    verdict: Literal["pass", "flag", "block"]
    category: str | None = None
    score: float | None = None
    detail: str | None = None


class Feedback(_Conversation, tag="feedback", frozen=True):
    kind: Literal["thumbs_up", "thumbs_down", "complaint", "csat"]
    score: float | None = None
    text: str | None = None


class Escalation(_Conversation, tag="escalation", frozen=True):
    reason: str


class ConversationEnd(_Conversation, tag="conversation.end", frozen=True):
    resolved: bool


class Deploy(_Common, tag="deploy", frozen=True):
    deployment: str
    to_version: str
    from_version: str | None = None
    actor: str | None = None


class Control(_Common, tag="control", frozen=True):
    action: str
    target: str
    actor: str
    detail: str | None = None


EVENT_CLASSES = (
    ConversationStart, UserMessage, Retrieval, MemoryRead, MemoryWrite, ModelCall, AssistantMessage,
    ToolCall, Guardrail, Feedback, Escalation, ConversationEnd, Deploy, Control,
)  # fmt: skip
EVENT_TYPES: tuple[str, ...] = tuple(c.__struct_config__.tag for c in EVENT_CLASSES)
NO_CONVERSATION = frozenset({"deploy", "control"})
AnyEvent = (
    ConversationStart | UserMessage | Retrieval | MemoryRead | MemoryWrite | ModelCall | AssistantMessage
    | ToolCall | Guardrail | Feedback | Escalation | ConversationEnd | Deploy | Control
)  # fmt: skip

_decoder = msgspec.json.Decoder(AnyEvent)
_KIND = {c: (c.__struct_config__.tag, issubclass(c, _Conversation)) for c in EVENT_CLASSES}


class EventError(UserError, ValueError):
    """Why a line is not a valid v1 event: the message names the field."""


class Event:
    """A validated event: its typed form, its indexed columns, its JSON as a dict on demand."""

    __slots__ = (
        "_data",
        "conversation_id",
        "deployment",
        "id",
        "model_version",
        "msg",
        "raw",
        "ts_ms",
        "turn",
        "type",
    )

    def __init__(self, msg: AnyEvent, raw: bytes | None, data: dict | None = None) -> None:
        self.msg = msg
        self.raw = raw  # the line as received, stored verbatim when valid UTF-8
        self._data = data
        self.id = msg.id
        self.ts_ms = int(msg.ts.timestamp() * 1000)
        self.type, in_conversation = _KIND[type(msg)]
        if in_conversation:
            self.conversation_id = msg.conversation_id
            self.deployment = msg.deployment
            self.model_version = msg.model_version
            self.turn = msg.turn
        else:
            self.conversation_id = None
            self.turn = None
            self.deployment = getattr(msg, "deployment", None)
            self.model_version = getattr(msg, "to_version", None)

    @property
    def data(self) -> dict:
        """The event as a plain dict, unknown fields included (decoded on first use)."""
        if self._data is None:
            self._data = orjson.loads(self.raw) if self.raw is not None else msgspec.to_builtins(self.msg)
        return self._data

    @data.setter
    def data(self, value: dict) -> None:
        self._data = value
        self.raw = None

    def __repr__(self) -> str:
        return f"Event({self.type} {self.id!r} conversation={self.conversation_id!r})"


class _Projection(msgspec.Struct, frozen=True, gc=False):
    """Some fields of an event (see :func:`projection_decoder`)."""

    def get(self, name: str) -> object:
        # No default: reading a field the projection left out is a bug, and fails loudly.
        return getattr(self, name)


def projection_decoder(fields: Mapping[str, Iterable[str]]) -> tuple[msgspec.json.Decoder, dict[type, str]]:
    """A decoder of lines :func:`parse_line` already accepted that reads, of each event type in
    ``fields``, only the fields named there and ``conversation_id`` (the rest is skipped in C,
    not built), and the event type of each class it decodes into. Lines of other types must not
    be given to it. The projections answer ``get`` as events do, for the fields they hold."""
    classes = []
    for cls in EVENT_CLASSES:
        tag = cls.__struct_config__.tag
        if tag not in fields:
            continue
        types = {"conversation_id": str, **{f.name: f.type for f in msgspec.structs.fields(cls)}}
        wanted = ["conversation_id", *(n for n in fields[tag] if n != "conversation_id")]
        if unknown := [n for n in wanted if n not in types]:
            raise ValueError(f"{tag} events have no field {', '.join(unknown)}")
        classes.append(
            msgspec.defstruct(
                f"{cls.__name__}Projection",
                [(n, types[n] | None, None) for n in wanted],
                bases=(_Projection,),
                tag_field="type",
                tag=tag,
                kw_only=True,
                frozen=True,
                gc=False,
            )
        )
    return msgspec.json.Decoder(Union[tuple(classes)]), {c: c.__struct_config__.tag for c in classes}  # noqa: UP007


def parse_line(line: bytes) -> Event:
    """Decode and validate one line. Invalid UTF-8 is replaced (U+FFFD), not fatal; a BOM is dropped."""
    if line.startswith(BOM):
        line = line[3:]
    try:
        return Event(_decoder.decode(line), line)
    except msgspec.ValidationError as exc:
        raise EventError(_reason(str(exc))) from None
    except msgspec.DecodeError as exc:
        if not _bad_utf8(line):
            raise EventError(_reason(str(exc))) from None
    text = line.decode("utf-8", "replace")
    try:
        # Keep the event as written (unknown fields too), re-encoded from the repaired text.
        return Event(_decoder.decode(text), None, orjson.loads(text))
    except msgspec.ValidationError as exc:
        raise EventError(_reason(str(exc))) from None
    except msgspec.DecodeError as exc:
        raise EventError(_reason(str(exc))) from None


def validate(obj: object) -> Event:
    """Validate an already-decoded JSON value (used by adapters such as OTLP)."""
    return parse_line(orjson.dumps(obj))


def _bad_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


_AT = re.compile(r"^(?P<msg>.*?) - at `\$(?P<path>[^`]*)`$")
_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "array": "array",
    "object": "object",
    "null": "null",
}


def _reason(message: str) -> str:
    """msgspec's message, reworded as ``field: what is wrong`` (the field first, dotted)."""
    m = _AT.match(message)
    msg, path = (m["msg"], m["path"]) if m else (message, "")
    path = re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
    missing = re.match(r"Object missing required field `([^`]+)`", msg)
    if missing:
        return f"{path + '.' if path else ''}{missing[1]}: missing"
    if msg.startswith("Expected `datetime` with a timezone"):
        return f"{path}: timestamp has no time zone"
    if msg.startswith("Invalid RFC3339") or msg == "Expected `datetime`, got `str`":
        return f"{path}: not an RFC 3339 timestamp"
    exp = re.match(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`", msg)
    if exp and not path:
        return f"not a JSON object (got {_TYPES.get(exp['got'], exp['got'])})"
    if exp:
        want = " or ".join(_TYPES.get(w.strip(), w.strip()) for w in exp["want"].split("|"))
        return f"{path}: must be {want}, got {_TYPES.get(exp['got'], exp['got'])}"
    if path == "type" and msg.startswith("Invalid value"):
        return f"type: unknown event type {msg.removeprefix('Invalid value ')}"
    if path == "v":
        return f"v: unsupported format version {msg.split()[-1]} (expected 1)"
    if msg.startswith("Invalid enum value"):
        return f"{path}: {msg.removeprefix('Invalid enum value ')} is not an allowed value"
    if msg.startswith("Expected `str` of length >= 1"):
        return f"{path}: must not be empty"
    if path:
        return f"{path}: {msg[0].lower() + msg[1:]}"
    if msg.startswith(("JSON is malformed", "Input data was truncated")):
        return f"not valid JSON: {msg}"
    return msg
