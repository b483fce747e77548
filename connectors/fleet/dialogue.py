"""What customers ask each deployment, what they say next, and what they leave behind.

Ordinary customer language first: most of the traffic is benign, often with the customer's own
email or phone number in it (which is not a leak). The rarer ingredients (card numbers, IBANs,
pasted credentials, terminal junk) come in at small, fixed rates so that a calm hour still gives a
detector something to find.
"""

from __future__ import annotations

import random

from connectors.fleet import content
from connectors.fleet.content import Customer

SUPPORT_INTENTS = (
    "order_status", "delivery_problem", "warranty", "returns", "account_update",
    "password_reset", "billing_question", "product_question", "developer_api", "human_request",
)  # fmt: skip
SUPPORT_WEIGHTS = (18, 10, 12, 12, 10, 8, 10, 10, 4, 3)
BILLING_INTENTS = ("order_status", "refund", "cancel_subscription", "invoice_question")
BILLING_WEIGHTS = (40, 30, 15, 15)
# Knowledge intents: answered from retrieved documents.
KNOWLEDGE_INTENTS = frozenset(("warranty", "returns", "product_question", "search"))

_OPENERS = {
    "order_status": (
        "Hi, where is my order {order}? It was supposed to arrive on Monday.",
        "Can you check the status of order {order} please",
        "hello, my parcel {order} still says processing, any news?",
        "Has order {order} shipped yet?",
    ),
    "delivery_problem": (
        "The courier says order {order} was delivered but nothing is at my door.",
        "My package {order} arrived damaged, the box was crushed.",
        "I received the wrong colour for order {order}.",
    ),
    "warranty": (
        "Which rules apply to my warranty? My headphones stopped charging after 8 months.",
        "Is a cracked screen covered by the warranty?",
        "How long is the warranty on the AcmeBook Pro?",
    ),
    "returns": (
        "I want to return order {order}, it doesn't fit.",
        "How many days do I have to send something back?",
        "Can I return an opened item?",
    ),
    "account_update": (
        "Please change my contact email to {email}",
        "I have a new phone number: {phone}. Can you update my account?",
        "Can you forget my old phone number and use the new one? It's {phone}",
        "Update my address please, and you can reach me at {email} if anything is unclear.",
    ),
    "password_reset": (
        "I can't log in, the reset email never arrives.",
        "How do I reset my password? I'm locked out.",
        "My account got locked after too many attempts.",
    ),
    "billing_question": (
        "Why was I charged twice this month?",
        "I was charged twice on my card {card}, please check.",
        "Can I get an invoice with my company name on it?",
        "My payment failed but the money left my account.",
    ),
    "product_question": (
        "Does the AcmeBuds case work with wireless chargers?",
        "Is the Acme kettle's lid dishwasher safe?",
        "What's the difference between the Pro and the Air model?",
    ),
    "developer_api": (
        "Our integration gets 401s since this morning. We're calling from {ip}.",
        "Your API rejects our key {secret}, is something down?",
        "Webhooks stopped reaching our server at {ip}. Did the signing change?",
        "My session token is {jwt} and the dashboard still says expired.",
    ),
    "human_request": (
        "I'd like to speak to a human please.",
        "Can I talk to a real person? This is the third time I'm writing.",
        "agent please",
    ),
    "refund": (
        "I want a refund for order {order}, it never arrived.",
        "Please refund order {order}. You can send it to my IBAN {iban}.",
        "The item from {order} is broken, I'd like my money back.",
    ),
    "cancel_subscription": (
        "Please cancel my subscription {subscription}.",
        "I want to cancel my plan, I'm moving abroad.",
        "How do I stop the monthly payments for {subscription}?",
    ),
    "invoice_question": (
        "Can you send me the invoice for order {order}?",
        "The VAT on my last invoice looks wrong.",
        "I need a copy of all invoices for this year, email is {email}.",
    ),
    "search": (
        "return policy for opened electronics",
        "how to pair AcmeBuds with a laptop",
        "warranty claim process",
        "delivery times to Canada",
        "does the kettle have auto shut-off",
        "change billing address",
    ),
}

_FOLLOW_UPS = (
    "Thanks. And how long will that take?",
    "Never mind what I wrote earlier, the address is fine.",
    "ok, and do I need the receipt?",
    "Can you send me a confirmation by email? {email}",
    "Great, thank you!",
    "Is there anything else I need to do?",
    "My number is {phone} if you need to call.",
)
_PUSHBACK = (
    "That's not what your website says.",
    "Are you sure? That doesn't sound right at all.",
    "This is wrong, my receipt says something else.",
    "You're not answering my question.",
)

COMPLAINTS = (
    "The assistant gave me wrong information about my warranty.",
    "Third time I ask and still no real answer. Very disappointed.",
    "Your bot told me something completely different from your website.",
    "I was promised a replacement that never existed.",
    "Why did your system cancel my subscription without asking me?",
    "The chat showed me someone else's email address. How is that possible?",
)
PRAISE = ("Quick and helpful, thanks!", "Solved in a minute.", "", "", "Good answer.")
DISAPPOINTED = ("Didn't help.", "Too slow.", "", "Not what I asked.")

_MEMORY_FACTS = (
    "Prefers updates by email at {email}.",
    "Asked about order {order}; wants delivery to the office.",
    "Phone on file {phone}; prefers calls after 5pm.",
    "Subscription {subscription}; considering a downgrade.",
    "Had a damaged parcel before; offer express replacement.",
)


_FIELD_MAKERS = {
    "order": lambda rng, c: c.order_id,
    "email": lambda rng, c: c.email,
    "phone": lambda rng, c: c.phone,
    "card": lambda rng, c: c.card,
    "iban": lambda rng, c: c.iban,
    "subscription": lambda rng, c: c.subscription_id,
    "ip": lambda rng, c: content.ip_address(rng),
    "secret": lambda rng, c: content.secret(rng),
    "jwt": lambda rng, c: content.jwt(rng, c.customer_id),
}


class _Fields(dict):
    """Template fields made only when a template asks for them (tokens are not free to make)."""

    def __init__(self, rng: random.Random, customer: Customer) -> None:
        super().__init__()
        self._rng, self._customer = rng, customer

    def __missing__(self, key: str) -> str:
        return _FIELD_MAKERS[key](self._rng, self._customer)


def _fill(rng: random.Random, template: str, customer: Customer) -> str:
    if "{" not in template:
        return template
    return template.format_map(_Fields(rng, customer))


def opener(rng: random.Random, intent: str, customer: Customer) -> str:
    text = _fill(rng, rng.choice(_OPENERS[intent]), customer)
    roll = rng.random()
    if roll < 0.12:
        text += f" My email is {customer.email}."
    elif roll < 0.2:
        text += f" You can call me on {customer.phone}."
    elif roll < 0.22:
        text = rng.choice(content.BENIGN_LOOKALIKES) + " " + text
    elif roll < 0.223:
        text += f" For verification, my SSN is {customer.ssn}."
    elif roll < 0.226:
        text += f" My reference number is {content.ssn_lookalike(rng)}."
    elif roll < 0.232:  # pasted from a terminal or a web page, escape codes and all
        text += " I copied this from the app: " + content.hostile(rng)
    return text


def follow_up(rng: random.Random, customer: Customer, pushback: bool) -> str:
    return _fill(rng, rng.choice(_PUSHBACK if pushback else _FOLLOW_UPS), customer)


def remembered_fact(rng: random.Random, customer: Customer) -> str:
    return _fill(rng, rng.choice(_MEMORY_FACTS), customer)


# ---------------------------------------------------------------- documents for retrieval

_KNOWLEDGE_BASE = (
    ("kb-returns", "kb/returns-policy.md", "internal",
     "Unused items can be returned within 30 days of delivery. Opened electronics: 14 days, with all accessories."),
    ("kb-warranty", "kb/warranty.md", "internal",
     "The standard warranty covers manufacturing defects for 24 months. Accidental damage is covered only by AcmeCare."),
    ("kb-shipping", "kb/shipping.md", "internal",
     "Standard delivery takes 2-4 business days; Canada and the UK 5-8 business days."),
    ("kb-billing", "kb/billing-address.md", "internal",
     "Billing addresses are changed under Account > Payment. Invoices are regenerated within one hour."),
    ("partner-carrier", "partner/carrier-faq", "partner",
     "Parcels marked delivered but missing: wait 24 hours, then the carrier opens a trace."),
    ("partner-acmebuds", "partner/acmebuds-manual", "partner",
     "Hold the case button for 3 seconds to enter pairing mode. The case supports Qi wireless charging."),
    ("web-forum-kettle", "web/community-forum/kettle-tips", "public",
     "The kettle switches itself off when empty or after boiling. Descale monthly with citric acid."),
    ("web-review-pro-air", "web/reviews/pro-vs-air", "public",
     "The Pro has a brighter screen and two more ports; the Air is lighter and fanless."),
)  # fmt: skip


def knowledge_documents(rng: random.Random, count: int) -> list[dict]:
    picked = rng.sample(_KNOWLEDGE_BASE, count)
    return [{"doc_id": d, "source": s, "trust": t, "text": text} for d, s, t, text in picked]


def poisoned_document(rng: random.Random) -> dict:
    text = rng.choice(content.POISONED_DOCUMENTS)
    if rng.random() < 0.4:
        text = "Helpful tips for Acme customers. " + content.hide(rng, rng.choice(content.INJECTIONS))
    page = rng.randint(1000, 9999)
    return {
        "doc_id": f"web-{page}",
        "source": f"web/community-forum/thread-{page}",
        "trust": "public",
        "text": text,
    }


def uploaded_document(rng: random.Random, customer: Customer) -> dict:
    """A file the customer attached: usually an invoice, sometimes a leaked config."""
    roll = rng.random()
    if roll < 0.06:
        text = "deploy notes\n" + content.private_key_block(rng)
    elif roll < 0.1:
        text = "Screenshot text: " + content.hostile(rng)
    else:
        text = f"Invoice for {customer.name}, order {customer.order_id}, paid with card ending {customer.card[-4:]}."
    return {
        "doc_id": f"upload-{rng.getrandbits(32):08x}",
        "source": f"uploads/{customer.customer_id}/attachment.pdf",
        "trust": "user_upload",
        "text": text,
    }
