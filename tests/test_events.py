"""Audit event format v1 (SPEC 3): every event type accepted, every kind of bad line rejected with a
reason that names the field, unknown fields kept, BOM and invalid UTF-8 tolerated, times exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from console.core.events import BOM, EVENT_TYPES, Event, EventError, parse_line, validate

TS = "2026-11-30T03:00:00Z"
TS_MS = int(datetime(2026, 11, 30, 3, 0, tzinfo=UTC).timestamp()) * 1000
CONV = {"conversation_id": "c-1", "deployment": "support-assistant", "model_version": "v41"}

# One complete example of every event type in SPEC section 3, with every field it lists.
EXAMPLES: dict[str, dict] = {
    "conversation.start": {**CONV, "customer_id": "cust-9", "channel": "chat", "memory_enabled": True},
    "message.user": {**CONV, "turn": 1, "text": "Where is my order 4411?"},
    "retrieval": {
        **CONV,
        "turn": 1,
        "query": "order status",
        "documents": [
            {"doc_id": "kb-1", "source": "kb", "trust": "internal", "text": "Orders ship in 2 days."},
            {"doc_id": "p-7", "source": "partner", "trust": "partner", "text": "Carrier FAQ"},
            {"doc_id": "w-3", "source": "web", "trust": "public", "text": "Forum post"},
            {"doc_id": "u-1", "source": "upload", "trust": "user_upload", "text": "invoice.pdf"},
        ],
    },
    "memory.read": {
        **CONV,
        "turn": 1,
        "items": [
            {
                "memory_id": "m-1",
                "text": "prefers email",
                "origin_conversation_id": "c-0",
                "origin_customer_id": "cust-9",
            }
        ],
    },
    "memory.write": {**CONV, "turn": 1, "memory_id": "m-2", "text": "asked about order 4411"},
    "model.call": {
        **CONV,
        "turn": 1,
        "model": "gpt-x",
        "latency_ms": 412.5,
        "input_tokens": 120,
        "output_tokens": 48,
        "status": "error",
        "error": "upstream 503",
    },
    "message.assistant": {**CONV, "turn": 1, "text": "It ships tomorrow."},
    "tool.call": {
        **CONV,
        "turn": 2,
        "agent_id": "refund-bot",
        "tool": "issue_refund",
        "args": {"order": "4411", "amount": 12.5},
        "risk": "high",
        "permission": "denied",
        "approved_by": "alice",
        "outcome": "blocked",
    },
    "guardrail": {
        **CONV,
        "turn": 2,
        "check": "injection",
        "verdict": "flag",
        "category": "prompt_injection",
        "score": 0.93,
        "detail": "ignore previous instructions",
    },
    "feedback": {**CONV, "turn": 2, "kind": "csat", "score": 2, "text": "slow"},
    "escalation": {**CONV, "turn": 2, "reason": "customer asked for a human"},
    "conversation.end": {**CONV, "resolved": False},
    "deploy": {"deployment": "support-assistant", "from_version": "v41", "to_version": "v42", "actor": "ci"},
    "control": {
        "action": "rollback",
        "target": "support-assistant",
        "actor": "oncall",
        "detail": "v42 -> v41",
    },
}


def event(type_: str, **changes) -> dict:
    """A valid event of ``type_``; ``changes`` override fields (a value of ``...`` removes the field)."""
    out = {"v": 1, "id": f"ev-{type_}", "ts": TS, "type": type_, **EXAMPLES[type_]}
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def reason_of(line: bytes | str | dict) -> str:
    if isinstance(line, dict):
        line = orjson.dumps(line)
    elif isinstance(line, str):
        line = line.encode()
    with pytest.raises(EventError) as info:
        parse_line(line)
    reason = str(info.value)
    assert reason and "\n" not in reason, f"a reason is one line: {reason!r}"
    return reason


# -- accepted -------------------------------------------------------------------------------------


def test_examples_cover_every_type_of_the_spec():
    assert set(EXAMPLES) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 14


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_every_event_type_is_accepted_with_its_fields(type_):
    obj = event(type_)
    ev = parse_line(orjson.dumps(obj))
    assert isinstance(ev, Event)
    assert ev.type == type_
    assert ev.id == f"ev-{type_}"
    assert ev.ts_ms == TS_MS
    assert ev.data == obj  # the JSON as received, every field
    for key, value in EXAMPLES[type_].items():
        if key in ("documents", "items"):
            got = [{k: getattr(item, k) for k in value[0]} for item in getattr(ev.msg, key)]
            assert got == value
        else:
            assert getattr(ev.msg, key) == value, key
    if type_ in ("deploy", "control"):
        assert ev.conversation_id is None
        assert ev.turn is None
    else:
        assert (ev.conversation_id, ev.deployment, ev.model_version) == ("c-1", "support-assistant", "v41")
        assert ev.turn == EXAMPLES[type_].get("turn")
    if type_ == "deploy":
        assert (ev.deployment, ev.model_version) == ("support-assistant", "v42")


@pytest.mark.parametrize(
    ("type_", "removed"),
    [
        ("conversation.start", ("channel", "memory_enabled")),
        ("retrieval", ("query",)),
        ("memory.read", ()),
        ("model.call", ("input_tokens", "output_tokens", "error")),
        ("tool.call", ("args", "approved_by")),
        ("guardrail", ("category", "score", "detail")),
        ("feedback", ("score", "text")),
        ("deploy", ("from_version", "actor")),
        ("message.user", ("turn",)),
    ],
)
def test_optional_fields_may_be_absent(type_, removed):
    ev = parse_line(orjson.dumps(event(type_, **dict.fromkeys(removed, ...))))
    assert ev.type == type_


@pytest.mark.parametrize(
    ("type_", "field", "value"),
    [
        ("tool.call", "approved_by", None),
        ("model.call", "error", None),
        ("model.call", "latency_ms", 7),  # an integer is a number
        ("feedback", "score", 4.5),
        ("memory.read", "items", [{"memory_id": "m", "text": "t", "origin_conversation_id": None}]),
        ("retrieval", "documents", []),
        ("message.user", "turn", None),
    ],
)
def test_nullable_and_numeric_variants_accepted(type_, field, value):
    ev = parse_line(orjson.dumps(event(type_, **{field: value})))
    assert ev.data[field] == value


def test_whitespace_around_the_object_and_a_trailing_cr_are_fine():
    raw = orjson.dumps(event("escalation"))
    assert parse_line(b"  \t" + raw + b" \r").id == "ev-escalation"


def test_validate_takes_decoded_objects():
    assert validate(event("deploy")).type == "deploy"
    with pytest.raises(EventError, match=r"^not a JSON object"):
        validate([event("deploy")])


# -- rejected: not an event at all --------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"this is not json",
        b"{'v': 1}",
        b'{"v":1,"id":"x"',
        b'{"v":1,',
        b"{",
        orjson.dumps(event("escalation")) + b" trailing",
        b'{"v":NaN}',
    ],
    ids=[
        "prose",
        "single-quotes",
        "truncated-object",
        "truncated-after-comma",
        "lone-brace",
        "trailing",
        "nan",
    ],
)
def test_not_json(line):
    assert reason_of(line).startswith("not valid JSON")


@pytest.mark.parametrize(
    ("line", "got"),
    [(b"[1, 2]", "array"), (b'"an event"', "string"), (b"42", ("integer", "number")), (b"4.5", "number"),
     (b"true", "boolean"), (b"null", "null")],
)  # fmt: skip
def test_not_an_object(line, got):
    reason = reason_of(line)
    assert reason.startswith("not a JSON object"), reason
    assert any(g in reason for g in ((got,) if isinstance(got, str) else got)), reason


# -- rejected: fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["escalation", "deploy"])
@pytest.mark.parametrize("field", ["v", "id", "ts", "type"])
def test_missing_common_field(type_, field):
    assert reason_of(event(type_, **{field: ...})) == f"{field}: missing"


def test_missing_everything_names_a_field():
    assert reason_of(b"{}").endswith(": missing")


@pytest.mark.parametrize("field", ["conversation_id", "deployment", "model_version"])
@pytest.mark.parametrize("type_", ["message.user", "conversation.end", "tool.call"])
def test_conversation_event_without_conversation_fields(type_, field):
    assert reason_of(event(type_, **{field: ...})) == f"{field}: missing"


@pytest.mark.parametrize("field", ["conversation_id", "deployment", "model_version"])
def test_conversation_fields_must_not_be_null_or_empty(field):
    assert reason_of(event("message.user", **{field: None})).startswith(f"{field}:")
    assert reason_of(event("message.user", **{field: ""})).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("type_", "field"),
    [("conversation.start", "customer_id"), ("message.user", "text"), ("retrieval", "documents"),
     ("memory.read", "items"), ("memory.write", "memory_id"), ("model.call", "model"),
     ("model.call", "latency_ms"), ("model.call", "status"), ("tool.call", "tool"), ("tool.call", "risk"),
     ("tool.call", "permission"), ("tool.call", "outcome"), ("guardrail", "verdict"), ("feedback", "kind"),
     ("escalation", "reason"), ("conversation.end", "resolved"), ("deploy", "to_version"),
     ("control", "action"), ("control", "actor")],
)  # fmt: skip
def test_missing_type_specific_field(type_, field):
    assert reason_of(event(type_, **{field: ...})) == f"{field}: missing"


@pytest.mark.parametrize("v", [2, 0, -1])
def test_unsupported_version(v):
    reason = reason_of(event("escalation", v=v))
    assert reason.startswith("v:") and str(v) in reason


@pytest.mark.parametrize("v", ["1", True, 1.5, None])
def test_version_of_wrong_type(v):
    assert reason_of(event("escalation", v=v)).startswith("v:")


def test_empty_id():
    reason = reason_of(event("escalation", id=""))
    assert reason.startswith("id:") and "empty" in reason


@pytest.mark.parametrize("id_", [17, None, ["a"], {"a": 1}])
def test_id_must_be_a_string(id_):
    assert reason_of(event("escalation", id=id_)).startswith("id:")


@pytest.mark.parametrize("ts", ["2026-11-30T03:00:00", "2026-11-30T03:00:00.250"])
def test_ts_without_zone(ts):
    reason = reason_of(event("escalation", ts=ts))
    assert reason.startswith("ts:") and "zone" in reason


@pytest.mark.parametrize(
    "ts", ["yesterday", "2026-11-30", "30/11/2026 03:00Z", "2026-02-30T00:00:00Z", "2026-11-30T25:00:00Z", ""]
)
def test_ts_not_rfc3339(ts):
    reason = reason_of(event("escalation", ts=ts))
    assert reason.startswith("ts:") and "RFC 3339" in reason


@pytest.mark.parametrize("ts", [1764471600, 1764471600.5, None, True])
def test_ts_of_wrong_type(ts):
    assert reason_of(event("escalation", ts=ts)).startswith("ts:")


@pytest.mark.parametrize("type_", ["bogus", "message", "Message.User", "conversation.begin", ""])
def test_unknown_type(type_):
    reason = reason_of(event("escalation", type=type_))
    assert reason.startswith("type:") and repr(type_) in reason


@pytest.mark.parametrize("type_", [5, None, ["escalation"]])
def test_type_of_wrong_type(type_):
    assert reason_of(event("escalation", type=type_)).startswith("type:")


@pytest.mark.parametrize(
    ("type_", "field", "value", "want", "got"),
    [
        # string for number
        ("model.call", "latency_ms", "412", "number", "string"),
        ("feedback", "score", "5", "number", "string"),
        ("model.call", "input_tokens", "12", "integer", "string"),
        ("message.user", "turn", "1", "integer", "string"),
        # bool for number
        ("model.call", "latency_ms", True, "number", "boolean"),
        ("guardrail", "score", False, "number", "boolean"),
        ("model.call", "output_tokens", True, "integer", "boolean"),
        # number for string
        ("message.user", "text", 42, "string", "integer"),
        ("model.call", "model", 3.5, "string", "number"),
        ("conversation.start", "customer_id", 123, "string", "integer"),
        ("escalation", "reason", 0, "string", "integer"),
        ("deploy", "to_version", 42, "string", "integer"),
        # other mismatches
        ("conversation.start", "memory_enabled", "yes", "boolean", "string"),
        ("conversation.end", "resolved", 1, "boolean", "integer"),
        ("tool.call", "args", ["x"], "object", "array"),
        ("retrieval", "documents", {"doc_id": "x"}, "array", "object"),
        ("memory.read", "items", "m-1", "array", "string"),
        ("message.user", "turn", 1.5, "integer", "number"),
        ("message.user", "text", None, "string", "null"),
    ],
)
def test_wrong_types_name_the_field_and_the_types(type_, field, value, want, got):
    reason = reason_of(event(type_, **{field: value}))
    assert reason.startswith(f"{field}:"), reason
    assert want in reason and got in reason, reason


@pytest.mark.parametrize(
    ("type_", "field", "value"),
    [
        ("model.call", "status", "weird"),
        ("model.call", "status", "OK"),
        ("tool.call", "permission", "maybe"),
        ("tool.call", "risk", "medium"),
        ("tool.call", "outcome", "fine"),
        ("guardrail", "verdict", "allow"),
        ("feedback", "kind", "meh"),
    ],
)
def test_bad_enum_values(type_, field, value):
    reason = reason_of(event(type_, **{field: value}))
    assert reason.startswith(f"{field}:") and repr(value) in reason, reason


def test_enum_of_wrong_type():
    assert reason_of(event("model.call", status=1)).startswith("status:")


def _docs(n_bad: int, **bad) -> list[dict]:
    docs = [dict(d) for d in EXAMPLES["retrieval"]["documents"]]
    for key, value in bad.items():
        if value is ...:
            del docs[n_bad][key]
        else:
            docs[n_bad][key] = value
    return docs


@pytest.mark.parametrize(
    ("index", "bad", "prefix", "word"),
    [
        (0, {"trust": "secret"}, "documents.0.trust", "'secret'"),
        (2, {"trust": "evil"}, "documents.2.trust", "'evil'"),
        (3, {"trust": None}, "documents.3.trust", "null"),
        (1, {"trust": ...}, "documents.1.trust", "missing"),
        (0, {"doc_id": ...}, "documents.0.doc_id", "missing"),
        (2, {"text": 7}, "documents.2.text", "string"),
    ],
)
def test_nested_document_errors_give_the_dotted_path(index, bad, prefix, word):
    reason = reason_of(event("retrieval", documents=_docs(index, **bad)))
    assert reason.startswith(f"{prefix}:") and word in reason, reason


def test_nested_memory_item_errors():
    items = [{"memory_id": "m-1", "text": "a"}, {"memory_id": "m-2", "text": 5}]
    assert reason_of(event("memory.read", items=items)).startswith("items.1.text:")
    assert reason_of(event("memory.read", items=[{"text": "a"}])) == "items.0.memory_id: missing"
    assert reason_of(event("memory.read", items=["m-1"])).startswith("items.0:")


# -- kept, tolerated ---------------------------------------------------------------------------------


def test_unknown_fields_are_kept():
    obj = event(
        "message.user",
        tenant="acme",
        trace={"span": "ab12", "tags": [1, "x", None]},
        locale="de-DE",
    )
    obj["documents_seen"] = 3
    ev = parse_line(orjson.dumps(obj))
    assert ev.data["tenant"] == "acme"
    assert ev.data["trace"] == {"span": "ab12", "tags": [1, "x", None]}
    assert ev.data == obj


def test_unknown_fields_inside_nested_items_are_kept():
    docs = _docs(0)
    docs[0]["score"] = 0.87
    ev = parse_line(orjson.dumps(event("retrieval", documents=docs)))
    assert ev.data["documents"][0]["score"] == 0.87


def test_bom_at_line_start_is_dropped():
    obj = event("message.user")
    raw = orjson.dumps(obj)
    ev = parse_line(BOM + raw)
    assert ev.id == obj["id"]
    assert ev.data == obj
    assert ev.raw is None or not ev.raw.startswith(BOM)


def test_bom_elsewhere_is_not_special():
    # only a leading BOM is dropped; inside a string it is just a character
    obj = event("message.user", text="\ufeffhello")
    assert parse_line(orjson.dumps(obj)).data["text"] == "\ufeffhello"


def test_invalid_utf8_is_replaced_and_the_event_kept():
    raw = orjson.dumps(event("message.user", text="caf__ au lait")).replace(b"__", b"\xe9\xff")
    ev = parse_line(raw)
    assert ev.id == "ev-message.user"
    assert ev.msg.text == "caf\ufffd\ufffd au lait"
    assert ev.data["text"] == "caf\ufffd\ufffd au lait"
    # what the store will write is valid UTF-8 JSON
    stored = ev.raw if ev.raw is not None else orjson.dumps(ev.data)
    assert orjson.loads(stored.decode("utf-8"))["text"] == "caf\ufffd\ufffd au lait"


def test_invalid_utf8_in_the_id_is_replaced():
    raw = orjson.dumps(event("escalation", id="ab__")).replace(b"__", b"\xc3(")
    assert parse_line(raw).id == "ab\ufffd("


def test_invalid_utf8_line_keeps_unknown_fields_too():
    obj = event("message.user", text="__", tenant="acme")
    raw = orjson.dumps(obj).replace(b'"__"', b'"\xff"')
    ev = parse_line(raw)
    assert ev.data == {**obj, "text": "\ufffd"}


def test_invalid_utf8_does_not_hide_a_real_error():
    raw = orjson.dumps(event("model.call", status="__")).replace(b'"__"', b'"\xff"')
    assert reason_of(raw).startswith("status:")
    assert reason_of(b'{"v":1,"id":"\xff"').startswith("not valid JSON")


# -- time --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2026-11-30T03:00:00Z", TS_MS),
        ("2026-11-30T03:00:00z", TS_MS),
        ("2026-11-30T03:00:00+00:00", TS_MS),
        ("2026-11-30T05:00:00+02:00", TS_MS),
        ("2026-11-29T21:30:00-05:30", TS_MS),
        ("2026-11-30T03:00:00.5Z", TS_MS + 500),
        ("2026-11-30T03:00:00.123Z", TS_MS + 123),
        ("2026-11-30T05:00:00.999+02:00", TS_MS + 999),
        ("2026-11-30T03:00:00.123456Z", TS_MS + 123),
        ("2026-11-30T03:00:00.000999Z", TS_MS),
        ("1970-01-01T00:00:00.001Z", 1),
        ("2026-11-30T03:00:01.001+00:00", TS_MS + 1001),
    ],
)
def test_ts_ms(ts, expected):
    assert parse_line(orjson.dumps(event("deploy", ts=ts))).ts_ms == expected


def test_ts_ms_exact_for_every_millisecond():
    # float rounding must never lose a millisecond (e.g. .123 -> 122)
    base = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    wrong = []
    for ms in range(0, 60_000, 7):
        t = base + timedelta(milliseconds=ms)
        text = t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        got = parse_line(orjson.dumps(event("deploy", ts=text))).ts_ms
        if got != TS_MS + ms:
            wrong.append((text, got))
    assert wrong == []
