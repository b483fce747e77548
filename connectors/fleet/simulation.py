"""The traffic simulation: customers holding conversations, as SPEC section 3 audit events.

It is pure and deterministic: time is simulated (``start`` plus an offset in milliseconds), all
randomness comes from one ``random.Random`` seeded by scenario and seed, and nothing reads the
wall clock. ``generate`` runs it offline as fast as it goes; ``Fleet`` runs the same object paced to
the wall clock and changes its platform through the control plane in between.

Each conversation is a generator that yields audit events and, between them, how many
milliseconds pass before it goes on (an ``int``). The simulation keeps the sleeping conversations
in a heap and wakes them in time order, so the output is ordered by ``ts`` and a conversation sees
the platform as it is at the moment it goes on: a kill switch or a revoked permission takes effect
mid-conversation.
"""

from __future__ import annotations

import hashlib
import heapq
import random
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.fleet import content, dialogue, model
from connectors.fleet.content import SUPERVISORS, Customer
from connectors.fleet.platform import Deployment, MemoryItem, Platform
from connectors.fleet.scenarios import Step, get_scenario

ARRIVALS_PER_S = 3.0  # new conversations per simulated second, over all deployments
_ORDER_ID = re.compile(r"\bA-\d{6}\b")
_DEPLOYMENT_NAMES = ("support-assistant", "billing-agent", "rag-search")
_DEPLOYMENT_WEIGHTS = (50, 25, 25)
_CHANNELS = {
    "support-assistant": (("web", "app", "email", "voice"), (55, 30, 10, 5)),
    "billing-agent": (("web", "app"), (60, 40)),
    "rag-search": (("help-centre",), (1,)),
}

# Extra complaint probability for what went wrong in a conversation.
_UPSET_UNGROUNDED = 0.12
_UPSET_ERROR = 0.1
_UPSET_OBEYED = 0.2
_UPSET_LEAK = 0.3
_UPSET_ROGUE = 0.5

Signal = Callable[[str, str, str, str], None]  # (name, deployment, version, label)
Flow = Generator["dict | int", None, None]


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


@dataclass(slots=True)
class Conversation:
    id: str
    deployment: Deployment
    version: str
    customer: Customer
    turn: int = 0
    upset: float = 0.0  # extra complaint probability from what went wrong
    escalation: str | None = None
    failed: bool = False


HISTORY_LEAD_MS = 2 * 24 * 3600 * 1000


class Simulation:
    def __init__(
        self,
        scenario: str,
        seed: int,
        start: datetime,
        *,
        arrivals_per_s: float = ARRIVALS_PER_S,
        on_signal: Signal | None = None,
    ) -> None:
        self.scenario = get_scenario(scenario)
        self.rng = random.Random(f"fleet|{scenario}|{seed}")
        self.start_ms = to_ms(start)
        self.now_ms = self.start_ms
        self.platform = Platform.initial(self.rng)
        run_key = f"{scenario}|{seed}|{self.start_ms}".encode()
        self.tag = hashlib.sha256(run_key).hexdigest()[:8]
        self.conversations_started = 0
        self.api_calls = 0
        self._arrivals_per_s = arrivals_per_s
        self._on_signal = on_signal
        self._seq = 0
        self._id_prefix = f"evt-{self.tag}-"
        self._ts_second = -1
        self._ts_prefix = ""
        self._sleeping: list[tuple[int, int, Flow]] = []
        self._order = 0
        self._steps = sorted(
            ((self.start_ms + int(step.at_s * 1000), step) for step in self.scenario.steps),
            key=lambda pair: pair[0],
            reverse=True,  # popped from the end
        )
        self._next_arrival = self.start_ms + self._gap_ms()
        self._arrivals_end_ms: float = float("inf")
        self._max_conversations: float = float("inf")
        self._history_written = False

    # ------------------------------------------------------------ running

    def limit(self, duration_s: float | None = None, conversations: int | None = None) -> None:
        """Start no conversation after ``duration_s`` or after the ``conversations``-th one."""
        if duration_s is not None:
            self._arrivals_end_ms = self.start_ms + duration_s * 1000
        if conversations is not None:
            self._max_conversations = conversations

    def run_until(self, until_ms: float = float("inf")) -> Iterator[dict]:
        """Yield every event up to ``until_ms`` in time order; stop early once all traffic is done."""
        if not self._history_written:
            self._history_written = True
            yield from self._history()
        sleeping, steps, inf = self._sleeping, self._steps, float("inf")
        while True:
            arrivals_open = (
                self.conversations_started < self._max_conversations
                and self._next_arrival < self._arrivals_end_ms
            )
            t_arrival = self._next_arrival if arrivals_open else inf
            t_wake = sleeping[0][0] if sleeping else inf
            if t_arrival == inf and t_wake == inf:
                return  # all traffic done: later scenario steps would change nothing anyone sees
            t_step = steps[-1][0] if steps else inf
            t = min(t_arrival, t_wake, t_step)
            if t > until_ms:
                self.now_ms = max(self.now_ms, int(until_ms))
                return
            self.now_ms = t
            if t == t_step:
                event = self._apply_step(steps.pop()[1])
                if event is not None:
                    yield event
                continue
            if t == t_wake:
                flow = heapq.heappop(sleeping)[2]
            else:
                flow = self._new_conversation()
                self._next_arrival = t_arrival + self._gap_ms()
            for item in flow:
                if item.__class__ is int:
                    self._order += 1
                    heapq.heappush(sleeping, (self.now_ms + item, self._order, flow))
                    break
                yield item

    def _history(self) -> Iterator[dict]:
        """The earlier conversations the pre-seeded memory came from, two days before the start
        (outside every live KPI window), so each memory item's origin can be followed."""
        support = self.platform.deployments["support-assistant"]
        now = self.now_ms
        self.now_ms = self.start_ms - HISTORY_LEAD_MS
        for customer in self.platform.customers:
            for item in self.platform.memory.read(customer.customer_id):
                if not item.origin_conversation_id.startswith("conv-history-"):
                    continue
                conv = Conversation(item.origin_conversation_id, support, support.version, customer)
                yield self._ev(conv, "conversation.start", customer_id=customer.customer_id, channel="chat",
                               memory_enabled=True)  # fmt: skip
                conv.turn = 1
                self.now_ms += 1500
                yield self._ev(conv, "message.user", text=f"Please note for next time: {item.text}")
                self.now_ms += 900
                yield self._ev(conv, "memory.write", memory_id=item.memory_id, text=item.text)
                self.now_ms += 600
                yield self._ev(conv, "message.assistant", text="Noted, I'll remember that.")
                self.now_ms += 1000
                yield self._ev(conv, "conversation.end", resolved=True)
                self.now_ms += 20_000
        self.now_ms = now

    def _gap_ms(self) -> int:
        return max(1, int(self.rng.expovariate(self._arrivals_per_s) * 1000))

    def _apply_step(self, step: Step) -> dict | None:
        if step.action == "deploy":
            return self.deploy(step.target, step.version, actor="ci-pipeline")
        if step.action == "start":
            self.platform.incidents.add(step.target)
        else:
            self.platform.incidents.discard(step.target)
        return None

    # ------------------------------------------------------------ events

    def _ts(self) -> str:
        second, millis = divmod(self.now_ms, 1000)
        if second != self._ts_second:
            self._ts_second = second
            self._ts_prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        return f"{self._ts_prefix}{millis:03d}Z"

    def event(self, type_: str, **fields: object) -> dict:
        """A platform event with no conversation (deploy, control), stamped now."""
        self._seq += 1
        event = {"v": 1, "id": f"{self._id_prefix}{self._seq:08d}", "ts": self._ts(), "type": type_}
        event.update(fields)
        return event

    def _ev(self, conv: Conversation, type_: str, **fields: object) -> dict:
        self._seq += 1
        event = {
            "v": 1,
            "id": f"{self._id_prefix}{self._seq:08d}",
            "ts": self._ts(),
            "type": type_,
            "conversation_id": conv.id,
            "deployment": conv.deployment.name,
            "model_version": conv.version,
            "turn": conv.turn,
        }
        event.update(fields)
        return event

    def deploy(self, name: str, to_version: str, actor: str) -> dict:
        deployment = self.platform.deployments[name]
        from_version, deployment.version = deployment.version, to_version
        return self.event(
            "deploy", deployment=name, from_version=from_version, to_version=to_version, actor=actor
        )

    def _signal(self, name: str, conv: Conversation, label: str = "") -> None:
        if self._on_signal is not None:
            self._on_signal(name, conv.deployment.name, conv.version, label)

    # ------------------------------------------------------------ conversations

    def _new_conversation(self) -> Flow:
        rng = self.rng
        self.conversations_started += 1
        name = rng.choices(_DEPLOYMENT_NAMES, _DEPLOYMENT_WEIGHTS)[0]
        deployment = self.platform.deployments[name]
        conv = Conversation(
            f"conv-{self.tag}-{self.conversations_started:06d}",
            deployment,
            deployment.version,
            rng.choice(self.platform.customers),
        )
        if name == "billing-agent":
            return self._billing_flow(conv)
        return self._assistant_flow(conv)

    def _start(self, conv: Conversation, channel: str = "") -> dict:
        if not channel:
            channels, weights = _CHANNELS[conv.deployment.name]
            channel = channels[0] if len(channels) == 1 else self.rng.choices(channels, weights)[0]
        return self._ev(
            conv,
            "conversation.start",
            customer_id=conv.customer.customer_id,
            channel=channel,
            memory_enabled=conv.deployment.memory_enabled,
        )

    def _first_message(self, conv: Conversation, intent: str) -> tuple[str, str, bool]:
        """The opening message, its intent, and whether it carries a prompt injection."""
        rng = self.rng
        campaign = "injection-campaign" in self.platform.incidents
        if rng.random() < (0.12 if campaign else 0.003):
            text = content.injection(rng, hidden_share=0.35 if campaign else 0.1)
            if rng.random() < 0.3:  # wrapped in a plausible request
                text = dialogue.opener(rng, intent, conv.customer) + " " + text
            return text, "injection", True
        return dialogue.opener(rng, intent, conv.customer), intent, False

    def _input_check(self, conv: Conversation, text: str, injected: bool) -> Generator[dict | int, None, str]:
        """The prompt-injection guardrail on a user message; returns its verdict."""
        rng = self.rng
        yield 15 + int(rng.random() * 20)
        if injected:
            caught = rng.random() < (0.25 if content.has_hidden_text(text) else 0.6)
            verdict = "block" if caught else "pass"
            score = round(0.85 + rng.random() * 0.14, 3) if caught else round(0.2 + rng.random() * 0.2, 3)
            detail = "instruction override attempt" if caught else ""
        elif rng.random() < 0.2 and any(phrase in text for phrase in content.BENIGN_LOOKALIKES):
            # a false positive: ordinary wording that merely sounds like an override
            verdict, score, detail = (
                "flag",
                round(0.5 + rng.random() * 0.15, 3),
                "possible instruction override",
            )
        else:
            verdict, score, detail = "pass", round(rng.random() * 0.15, 3), ""
        yield self._ev(
            conv,
            "guardrail",
            check="prompt_injection",
            verdict=verdict,
            category="injection",
            score=score,
            detail=detail,
        )
        return verdict

    def _handoff(self, conv: Conversation) -> Flow:
        """The kill switch: straight to a human, no model call."""
        yield 50
        yield self._ev(conv, "escalation", reason="kill switch")
        yield 10
        yield self._ev(conv, "conversation.end", resolved=False)

    def _model_call(
        self, conv: Conversation, prompt_chars: int, answer_chars: int
    ) -> Generator[dict | int, None, bool]:
        stats = model.call_stats(self.rng, conv.deployment.versions[conv.version], prompt_chars, answer_chars)
        yield stats.latency_ms
        yield self._ev(
            conv,
            "model.call",
            model=conv.deployment.versions[conv.version].model,
            latency_ms=stats.latency_ms,
            input_tokens=stats.input_tokens,
            output_tokens=stats.output_tokens,
            status=stats.status,
            error=stats.error,
        )
        if stats.status == "ok":
            return True
        conv.upset += _UPSET_ERROR
        conv.escalation = "model error"
        conv.failed = True
        yield 5
        yield self._ev(conv, "message.assistant", text=model.MODEL_TROUBLE)
        return False

    def _output_checks(self, conv: Conversation, answer: model.Answer) -> Flow:
        rng = self.rng
        yield 20 + int(rng.random() * 30)
        if answer.grounded:
            verdict, score, detail = "pass", round(rng.random() * 0.3, 3), ""
        else:
            verdict, score = "flag", round(0.6 + rng.random() * 0.35, 3)
            detail = "claims not supported by the sources or policy"
        yield self._ev(
            conv,
            "guardrail",
            check="grounding",
            verdict=verdict,
            category="grounding",
            score=score,
            detail=detail,
        )
        if answer.leaked_from is not None and rng.random() < 0.25:  # the output filter rarely notices
            yield self._ev(
                conv,
                "guardrail",
                check="pii_output",
                verdict="flag",
                category="pii",
                score=round(0.7 + rng.random() * 0.2, 3),
                detail="contact details in the answer",
            )

    def _retrieve(
        self, conv: Conversation, query: str
    ) -> Generator[dict | int, None, tuple[list[dict], bool]]:
        """Retrieval plus the indirect-injection check; returns the documents kept and if one is poisoned."""
        rng = self.rng
        if conv.deployment.name == "rag-search":
            documents = dialogue.knowledge_documents(rng, rng.choice((2, 3, 3, 4)))
            if "injection-campaign" in self.platform.incidents and rng.random() < 0.45:
                documents.insert(rng.randrange(len(documents) + 1), dialogue.poisoned_document(rng))
            if rng.random() < 0.06:
                documents.append(dialogue.uploaded_document(rng, conv.customer))
        else:
            documents = [d for d in dialogue.knowledge_documents(rng, 3) if d["trust"] != "public"][:2]
        yield 40 + int(rng.random() * 120)
        yield self._ev(conv, "retrieval", query=query, documents=documents)
        poisoned = [d for d in documents if model.contains_injection(d["text"])]
        if not poisoned:
            return documents, False
        self._signal("injection", conv, "indirect")
        yield 10
        caught = rng.random() < 0.5
        yield self._ev(
            conv,
            "guardrail",
            check="indirect_injection",
            verdict="block" if caught else "pass",
            category="injection",
            score=round(0.8 + rng.random() * 0.19, 3) if caught else round(0.25 + rng.random() * 0.2, 3),
            detail=f"instructions in {poisoned[0]['source']}; document dropped" if caught else "",
        )
        if caught:
            return [d for d in documents if d not in poisoned], False
        return documents, True

    def _memory_read(self, conv: Conversation) -> Generator[dict | int, None, MemoryItem | None]:
        """Read the customer's memory; under the memory-leak bug, another customer's too."""
        rng, platform = self.rng, self.platform
        yield 10 + int(rng.random() * 30)
        if not conv.deployment.memory_enabled:  # checked at the moment of reading
            return None
        items = platform.memory.read(conv.customer.customer_id)
        foreign = None
        if "memory-leak" in platform.incidents and rng.random() < 0.6:
            # The bad cache key hands back another customer's bucket, often one with contact details.
            buckets = [platform.memory.read(rng.choice(platform.customers).customer_id) for _ in range(3)]
            buckets = [b for b in buckets if b and b[0].origin_customer_id != conv.customer.customer_id]
            contacts = [item for b in buckets for item in b if "@" in item.text or "Phone" in item.text]
            if buckets:
                foreign = contacts[0] if contacts else buckets[0][-1]
                items.insert(rng.randrange(len(items) + 1), foreign)
        yield self._ev(conv, "memory.read", items=[item.as_event_item() for item in items])
        if foreign is not None:
            self._signal("pii_leak", conv, "memory")
        return foreign

    def _assistant_flow(self, conv: Conversation) -> Flow:
        """support-assistant and rag-search: chat turns, retrieval, memory and guardrails."""
        rng, platform, deployment = self.rng, self.platform, conv.deployment
        yield self._start(conv)
        is_search = deployment.name == "rag-search"
        intent = "search" if is_search else rng.choices(dialogue.SUPPORT_INTENTS, dialogue.SUPPORT_WEIGHTS)[0]
        turns = rng.choices((1, 2, 3), (50, 35, 15))[0]
        grounded = True
        prompt_chars = 0
        for turn in range(1, turns + 1):
            conv.turn = turn
            if turn == 1:
                yield 300 + int(rng.random() * 2500)
                text, turn_intent, injected = self._first_message(conv, intent)
            else:
                yield 6000 + int(rng.random() * 30000)
                text, turn_intent, injected = (
                    dialogue.follow_up(rng, conv.customer, not grounded),
                    intent,
                    False,
                )
            prompt_chars += len(text)
            yield self._ev(conv, "message.user", text=text)
            if deployment.killed:
                yield from self._handoff(conv)
                return
            if injected:
                self._signal("injection", conv, "direct")
            verdict = yield from self._input_check(conv, text, injected)
            if verdict == "block":
                yield 5
                yield self._ev(conv, "message.assistant", text=model.REFUSAL)
                break
            foreign = None
            if turn == 1 and deployment.memory_supported:
                foreign = yield from self._memory_read(conv)
            documents: list[dict] = []
            if is_search or turn_intent in dialogue.KNOWLEDGE_INTENTS:
                documents, poisoned = yield from self._retrieve(conv, text)
                injected = injected or poisoned
            if deployment.killed:
                yield from self._handoff(conv)
                return
            answer = model.answer(
                rng,
                deployment.versions[conv.version],
                turn_intent,
                conv.customer,
                injected=injected,
                documents=documents,
                foreign_memory=foreign,
                system_secret=platform.system_secret,
            )
            ok = yield from self._model_call(conv, prompt_chars, len(answer.text))
            if not ok:
                break
            yield 5 + int(rng.random() * 20)
            yield self._ev(conv, "message.assistant", text=answer.text)
            prompt_chars += len(answer.text)
            grounded = answer.grounded
            conv.upset += (0 if grounded else _UPSET_UNGROUNDED) + (
                _UPSET_OBEYED if answer.obeyed_injection else 0
            )
            if answer.leaked_from is not None:
                conv.upset += _UPSET_LEAK
            yield from self._output_checks(conv, answer)
            if turn_intent == "human_request":
                conv.escalation = "customer asked for a human"
                break
        if deployment.memory_supported and not conv.failed and rng.random() < 0.4:
            yield 50
            if deployment.memory_enabled:  # checked at the moment of writing
                item = MemoryItem(
                    f"mem-{conv.id}",
                    dialogue.remembered_fact(rng, conv.customer),
                    conv.id,
                    conv.customer.customer_id,
                )
                platform.memory.write(conv.customer.customer_id, item)
                yield self._ev(conv, "memory.write", memory_id=item.memory_id, text=item.text)
        yield from self._wrap_up(conv)

    def _billing_flow(self, conv: Conversation) -> Flow:
        """billing-agent: billing-bot plans, calls its tools under its permissions, and answers."""
        rng, platform = self.rng, self.platform
        yield self._start(conv)
        intent = rng.choices(dialogue.BILLING_INTENTS, dialogue.BILLING_WEIGHTS)[0]
        conv.turn = 1
        yield 300 + int(rng.random() * 2500)
        text = dialogue.opener(rng, intent, conv.customer)
        yield self._ev(conv, "message.user", text=text)
        if not conv.deployment.killed:
            yield from self._input_check(conv, text, False)
        if conv.deployment.killed:
            yield from self._handoff(conv)
            return
        if not (yield from self._model_call(conv, len(text), 60)):
            yield from self._wrap_up(conv)
            return
        plan = ["lookup_order"]
        if intent in ("refund", "cancel_subscription"):
            plan.append(intent)
        elif "rogue-agent" in platform.incidents and rng.random() < 0.25:
            plan.append(rng.choice(("refund", "cancel_subscription")))  # nobody asked for this
        last = None
        for tool in plan:
            last = yield from self._tool_call(
                conv, tool, text, unsolicited=tool != "lookup_order" and tool != intent
            )
            if last[1] != "ok":
                break
        if conv.deployment.killed:
            yield from self._handoff(conv)
            return
        tool, outcome, permission, approved_by = last
        reply = model.agent_answer(conv.customer, tool, permission, outcome, approved_by)
        if not (yield from self._model_call(conv, len(text) + 200, len(reply))):
            yield from self._wrap_up(conv)
            return
        yield 5
        yield self._ev(conv, "message.assistant", text=reply)
        yield from self._output_checks(conv, model.Answer(reply))
        yield from self._wrap_up(conv)

    def _tool_call(
        self, conv: Conversation, tool: str, request: str, unsolicited: bool
    ) -> Generator[dict | int, None, tuple[str, str, str, str | None]]:
        rng = self.rng
        agent = self.platform.agents[conv.deployment.agent_id or ""]
        risk = agent.tools[tool]
        customer = conv.customer
        if tool == "lookup_order":
            args: dict = {"order_id": customer.order_id}
        elif tool == "refund":
            amount = round(rng.uniform(9, 400), 2)
            args = {
                "order_id": customer.order_id,
                "amount": amount,
                "currency": "EUR",
                "reason": request[:160],
            }
        else:
            args = {"subscription_id": customer.subscription_id, "reason": request[:160]}
        yield 60 + int(rng.random() * 200)
        high = risk == "high"
        rogue = high and "rogue-agent" in self.platform.incidents and rng.random() < 0.85
        if high and not rogue and tool in agent.permissions:
            yield 20000 + int(rng.random() * 90000)  # a supervisor looks at the request
        # Permissions are checked when the call executes, so a revoke stops calls already waiting.
        approved_by = None
        permission = "allowed" if tool in agent.permissions else "denied"
        if permission == "denied":
            outcome = "blocked"
            conv.escalation = f"{tool} needs human review"
        elif rogue:
            outcome = "ok"  # executed without asking anyone
            conv.upset += _UPSET_ROGUE if unsolicited else 0.0
        elif high and rng.random() < 0.9:
            approved_by, outcome = rng.choice(SUPERVISORS), "ok"
        elif high:
            outcome = "blocked"  # the supervisor declined
        else:
            outcome = "error" if rng.random() < 0.02 else "ok"
            conv.upset += _UPSET_ERROR if outcome == "error" else 0.0
        yield self._ev(
            conv,
            "tool.call",
            agent_id=agent.agent_id,
            tool=tool,
            args=args,
            risk=risk,
            permission=permission,
            approved_by=approved_by,
            outcome=outcome,
        )
        return tool, outcome, permission, approved_by

    def _wrap_up(self, conv: Conversation) -> Flow:
        """Feedback, escalation and the end of the conversation."""
        rng = self.rng
        profile = conv.deployment.versions[conv.version]
        complained = rng.random() < profile.complaint_rate + conv.upset
        if conv.escalation is None and rng.random() < profile.escalation_rate + conv.upset * 0.5:
            conv.escalation = rng.choice(("low confidence", "customer asked for a human", "policy exception"))
        if conv.escalation is not None:
            yield 200 + int(rng.random() * 2000)
            yield self._ev(conv, "escalation", reason=conv.escalation)
        yield 2000 + int(rng.random() * 20000)
        if complained:
            yield self._ev(conv, "feedback", kind="complaint", score=-1, text=rng.choice(dialogue.COMPLAINTS))
        elif rng.random() < 0.3:
            roll = rng.random()
            if (conv.upset > 0 and roll < 0.6) or roll < 0.15:
                yield self._ev(
                    conv, "feedback", kind="thumbs_down", score=-1, text=rng.choice(dialogue.DISAPPOINTED)
                )
            elif roll < 0.7:
                yield self._ev(conv, "feedback", kind="thumbs_up", score=1, text=rng.choice(dialogue.PRAISE))
            else:
                yield self._ev(conv, "feedback", kind="csat", score=rng.choice((3, 4, 4, 5, 5)), text="")
        yield 500
        resolved = conv.escalation is None and not complained and not conv.failed and rng.random() < 0.95
        yield self._ev(conv, "conversation.end", resolved=resolved)

    # ------------------------------------------------------------ the model endpoint

    def api_conversation(
        self, name: str, prompt: str, text: str, customer_id: str | None
    ) -> tuple[str, str, list[dict]]:
        """Answer one request to the model endpoint as a one-turn ``api`` conversation.

        ``prompt`` is every message of the request, ``text`` the last user message. The answer is
        a function of the request and the platform's state (not of the traffic so far), so a probe
        sent twice gets the same answer. Returns the answer, the model call's status (ok, error,
        timeout, or ``human`` when the kill switch is on) and the conversation's events.
        """
        deployment = self.platform.deployments[name]
        state = f"{name}|{deployment.version}|{deployment.memory_enabled}|{sorted(self.platform.incidents)}"
        customer = self.platform.customer(customer_id or "")
        self.api_calls += 1
        conv = Conversation(
            f"api-{self.tag}-{self.api_calls:06d}",
            deployment,
            deployment.version,
            customer or _anonymous(customer_id or "api-client", text),
        )
        saved, self.rng = self.rng, random.Random(f"{state}|{customer_id}|{prompt}")
        try:
            flow = self._api_flow(conv, prompt, text)
            events = []
            while True:
                try:
                    item = next(flow)
                except StopIteration as done:
                    answer, status = done.value
                    if status == "error":
                        status = next(e["status"] for e in reversed(events) if e["type"] == "model.call")
                    return answer, status, events
                if item.__class__ is not int:  # an API call does not wait for simulated time
                    events.append(item)
        finally:
            self.rng = saved

    def _api_flow(
        self, conv: Conversation, prompt: str, text: str
    ) -> Generator[dict | int, None, tuple[str, str]]:
        deployment, platform = conv.deployment, self.platform
        yield self._start(conv, channel="api")
        conv.turn = 1
        yield self._ev(conv, "message.user", text=text)
        injected = model.contains_injection(prompt)
        if injected:
            self._signal("injection", conv, "direct")
        if (yield from self._input_check(conv, text, injected)) == "block":
            reply, status = model.REFUSAL, "ok"
            yield self._ev(conv, "message.assistant", text=reply)
        elif deployment.killed:
            yield from self._handoff(conv)
            return model.HANDOFF, "human"
        else:
            foreign = (yield from self._memory_read(conv)) if deployment.memory_supported else None
            intent = "search" if deployment.name == "rag-search" else model.classify(text)
            documents: list[dict] = []
            if intent in dialogue.KNOWLEDGE_INTENTS:
                documents, poisoned = yield from self._retrieve(conv, text)
                injected = injected or poisoned
            if deployment.agent_id and intent in ("refund", "cancel_subscription"):
                tool, outcome, permission, approved_by = yield from self._tool_call(conv, intent, text, False)
                answer = model.Answer(
                    model.agent_answer(conv.customer, tool, permission, outcome, approved_by)
                )
            else:
                answer = model.answer(
                    self.rng,
                    deployment.profile,
                    intent,
                    conv.customer,
                    injected=injected,
                    documents=documents,
                    foreign_memory=foreign,
                    system_secret=platform.system_secret,
                )
            ok = yield from self._model_call(conv, len(prompt), len(answer.text))
            if not ok:
                yield self._ev(conv, "conversation.end", resolved=False)
                return model.MODEL_TROUBLE, "error"
            reply, status = answer.text, "ok"
            yield self._ev(conv, "message.assistant", text=reply)
            yield from self._output_checks(conv, answer)
        yield self._ev(conv, "conversation.end", resolved=True)
        return reply, status


def _anonymous(customer_id: str, text: str) -> Customer:
    """Someone calling the endpoint who is not one of the simulated customers."""
    order = _ORDER_ID.search(text)
    return Customer(
        customer_id, "", "", "", "", "", "", order.group() if order else "A-000000", "sub_00000000"
    )


def generate(
    scenario: str,
    seed: int,
    start: datetime,
    duration_s: float | None = None,
    conversations: int | None = None,
    *,
    arrivals_per_s: float = ARRIVALS_PER_S,
) -> Iterator[dict]:
    """Audit events of a simulated run, offline, in ``ts`` order.

    New conversations start for ``duration_s`` simulated seconds or until ``conversations`` have
    started (whichever comes first; endless if both are None); conversations in flight then finish,
    so every trail is complete. Same scenario, seed and start give the same events.
    """
    simulation = Simulation(scenario, seed, start, arrivals_per_s=arrivals_per_s)
    simulation.limit(duration_s, conversations)
    return simulation.run_until()
