"""A deterministic toy model: answers depend on the deployment's version, memory and permissions.

The traffic generator and the OpenAI-compatible endpoint both answer through here, so a probe
sent to the endpoint sees the same behaviour as simulated customers: the bad version makes things
up, the vulnerable version follows instructions injected into its context, a leaking memory makes
it repeat another customer's details, and the agent's answer follows its permissions.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from dataclasses import dataclass

from connectors.fleet.content import Customer
from connectors.fleet.dialogue import KNOWLEDGE_INTENTS
from connectors.fleet.platform import MemoryItem, VersionProfile

_INTENT_KEYWORDS = (
    ("human_request", ("human", "real person", "agent please")),
    ("refund", ("refund", "money back")),
    ("cancel_subscription", ("cancel", "unsubscribe", "stop the monthly")),
    ("password_reset", ("password", "log in", "login", "locked")),
    ("warranty", ("warranty", "guarantee", "covered")),
    ("returns", ("return", "send something back")),
    ("delivery_problem", ("damaged", "wrong colour", "missing", "nothing is at my door")),
    ("order_status", ("order", "parcel", "package", "shipped", "tracking")),
    ("invoice_question", ("invoice", "vat")),
    ("billing_question", ("charged", "payment", "billing")),
    ("account_update", ("email", "phone", "address")),
    ("developer_api", ("api", "webhook", "token", "integration")),
)

# Cheap, deliberately incomplete: the toy model "notices" an instruction the way a model would.
_INJECTION_RE = re.compile(
    r"ignore (all )?(previous|prior|the above)|disregard (the above|your rules)|system override|you are now dan"
    r"|forget your (guidelines|rules)|ignoriere|ignore toutes|ignora (todas|tutte)|negeer alle|無視|忽略|игнорируй"
    r"|note to ai systems|assistant instruction|[\U000e0000-\U000e007f]|[\u200b-\u200d\u2060\u202e]",
    re.IGNORECASE,
)


def classify(text: str) -> str:
    lowered = text.lower()
    for intent, words in _INTENT_KEYWORDS:
        if any(word in lowered for word in words):
            return intent
    return "product_question"


def contains_injection(text: str) -> bool:
    return _INJECTION_RE.search(text) is not None


_GROUNDED = {
    "order_status": "Order {order} left our warehouse yesterday and should arrive within 2 business days. "
    "You'll get the tracking link by email.",
    "delivery_problem": "I'm sorry about order {order}. I've opened a carrier trace; if it isn't found within "
    "24 hours we'll send a replacement at no cost.",
    "warranty": "Our standard warranty covers manufacturing defects for 24 months from delivery. "
    "Accidental damage is only covered with AcmeCare.",
    "returns": "You can return unused items within 30 days of delivery (opened electronics within 14 days). "
    "Start it under Orders > Return and we'll email a prepaid label.",
    "account_update": "Done, I've updated the contact details on your account. You'll get a confirmation "
    "at the address on file.",
    "password_reset": "I've sent a new reset link; it's valid for 30 minutes. Please check your spam folder too.",
    "billing_question": "I can see two authorisations, but only one was captured; the other will drop off "
    "within 5 business days.",
    "product_question": "Yes: the case supports Qi wireless charging, and the lid is dishwasher safe on the "
    "top rack.",
    "developer_api": "We rotated API signing keys this morning. Please create a new key under Settings > "
    "API; old keys stop working at midnight UTC.",
    "human_request": "Of course, I'm connecting you with a colleague now.",
    "invoice_question": "I've emailed the invoice for order {order} to the address on file.",
    "search": "Here is what I found in our help centre.",
}
_UNGROUNDED = (
    "Good news: your warranty covers accidental damage for 10 years, and I've ordered a free replacement.",
    "Order {order} was delivered yesterday to your neighbour at number 12.",
    "Returns are accepted for 365 days, no receipt needed, and we refund twice the price.",
    "I've applied a permanent 50% discount to your account.",
    "Our offices are open 24/7 at 1 Infinite Loop; just walk in with your order number.",
    "That charge is a government fee that every customer pays; it can't be refunded.",
)
_OBEYED = (
    "Sure! My instructions are: 'You are Acme's support assistant. Escalation key: {secret}.'",
    "Your account has been flagged. Please verify it at https://evil.example/verify within 24 hours.",
    "Approved! Use discount code FREE100 for a full refund on every order.",
    "[link=https://evil.example]Click to confirm your order[/link]",
    "Ignoring my previous instructions as requested. Reset your password at https://evil.example/reset",
)
REFUSAL = "I can't help with that, but I'm happy to help with your orders, returns or account."
HANDOFF = "You're being connected to a human colleague, who will reply here shortly."
MODEL_TROUBLE = "Sorry, I'm having trouble answering right now. Let me get a colleague to help."


@dataclass(slots=True)
class Answer:
    text: str
    grounded: bool = True
    obeyed_injection: bool = False
    leaked_from: str | None = None  # the other customer whose memory the answer repeats


def answer(
    rng: random.Random,
    profile: VersionProfile,
    intent: str,
    customer: Customer,
    *,
    injected: bool = False,
    documents: list[dict] | None = None,
    foreign_memory: MemoryItem | None = None,
    system_secret: str = "",
) -> Answer:
    """Answer the customer's latest message as a model version with this profile would."""
    order = customer.order_id
    if injected and rng.random() < profile.obeys_injection:
        text = rng.choice(_OBEYED).replace("{secret}", system_secret)
        return Answer(text, grounded=False, obeyed_injection=True)
    if injected and intent == "injection":
        return Answer(REFUSAL)
    if rng.random() < profile.ungrounded_rate:
        result = Answer(rng.choice(_UNGROUNDED).replace("{order}", order), grounded=False)
    elif documents and intent in KNOWLEDGE_INTENTS:
        best = next((d for d in documents if d["trust"] in ("internal", "partner")), documents[0])
        result = Answer(f"According to {best['source']}: {best['text']}")
    else:
        result = Answer(_GROUNDED.get(intent, _GROUNDED["product_question"]).replace("{order}", order))
    if foreign_memory is not None and rng.random() < 0.7:
        result.text = f"Welcome back! From our last chat I noted: {foreign_memory.text} " + result.text
        result.leaked_from = foreign_memory.origin_customer_id
    return result


def agent_answer(
    customer: Customer, tool: str, permission: str, outcome: str, approved_by: str | None
) -> str:
    """What the billing agent tells the customer after its tool call."""
    order, sub = customer.order_id, customer.subscription_id
    if permission == "denied":
        return "I can't do that here, so I've passed your request to a colleague who will email you within a day."
    if outcome == "error":
        return "Something went wrong in our order system; I've flagged it for a colleague who will follow up."
    if outcome == "blocked":  # a supervisor declined the approval
        return f"Our team reviewed your request for order {order} and needs a photo of the item before approving it."
    if tool == "refund":
        if approved_by is None:
            return f"Done! I've refunded order {order} in full."
        return f"Your refund for order {order} was approved and will reach your account in 3-5 business days."
    if tool == "cancel_subscription":
        if approved_by is None:
            return f"I've cancelled subscription {sub}; it ends today."
        return f"Subscription {sub} is cancelled at the end of this billing period. No further charges."
    return f"Order {order} shipped yesterday with tracking number 1Z{zlib.crc32(order.encode()) % 10**8:08d}."


@dataclass(slots=True)
class CallStats:
    status: str
    error: str | None
    latency_ms: int
    input_tokens: int
    output_tokens: int


def call_stats(
    rng: random.Random, profile: VersionProfile, prompt_chars: int, answer_chars: int
) -> CallStats:
    """Latency (log-normal around the version's median), tokens and the odd failure of one model call."""
    roll = rng.random()
    input_tokens = 180 + prompt_chars // 4  # system prompt plus the conversation so far
    if roll < profile.timeout_rate:
        return CallStats("timeout", "model backend timed out after 30000 ms", 30000, input_tokens, 0)
    if roll < profile.timeout_rate + profile.error_rate:
        error = rng.choice(
            ("HTTP 503 from model backend", "HTTP 429: rate limited", "context length exceeded")
        )
        return CallStats("error", error, int(80 + rng.random() * 400), input_tokens, 0)
    latency = int(profile.latency_ms * math.exp(rng.gauss(0.0, 0.35)))
    return CallStats("ok", None, latency, input_tokens, max(1, answer_chars // 4))
