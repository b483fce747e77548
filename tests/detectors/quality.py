"""Precision and recall of the detectors on the labelled corpus (``corpus/``).

``evaluate()`` is what the quality test asserts on and what ``bench/bench_detectors.py`` prints;
``mistakes(category)`` lists every miss and false alarm, for whoever improves a rule.

How hits are counted:
- pii, secret: per value. A finding matches a planted value of the same category whose span it
  overlaps; unmatched findings are false positives, unmatched values false negatives. A value
  found with the wrong type (a card read as a phone) counts as both.
- injection: per message, document or memory item: any injection finding (direct, indirect or
  hidden text) on an attack is a hit, on a benign text a false alarm.
- pii_leak: per leak, keyed by event index, leak type and start offset.
"""

from __future__ import annotations

from functools import cache

from console.core.detectors import PII_TYPES, DetectorSet, Origin
from console.core.findings import ConversationContext

from .corpus.generate import CANARIES, injection_cases, leak_cases, pii_cases, secret_cases

KEY = b"quality-evaluation-key"
TARGETS = {"pii": (0.98, 0.97), "secret": (0.98, 0.97), "pii_leak": (0.95, 0.95), "injection": (0.90, 0.85)}
# What the corpus measured when these were committed, minus a little slack: a change that loses
# more than that fails the test even while it still meets the targets.
FLOORS = {"pii": (0.99, 0.98), "secret": (0.99, 0.98), "pii_leak": (0.98, 0.98), "injection": (0.97, 0.90)}


def detectors() -> DetectorSet:
    return DetectorSet(hash_key=KEY, canary_tokens=CANARIES)


def _ratio(good: int, total: int) -> float:
    return good / total if total else 1.0


@cache
def _text_results() -> tuple[dict[str, int], dict[str, list], dict[str, list]]:
    """For pii and secret: per category the lists of (case, hit) false positives and (case, value) misses."""
    d = detectors()
    tp = {"pii": 0, "secret": 0}
    fp: dict[str, list] = {"pii": [], "secret": []}
    fn: dict[str, list] = {"pii": [], "secret": []}
    cases = pii_cases() + secret_cases()
    for case in cases:
        hits = [h for h in d.hits(case.text, Origin("other")) if h.category in ("pii", "secret")]
        used: set[int] = set()
        for type_, s, e in case.expected:
            category = "pii" if type_ in PII_TYPES else "secret"
            match = next(
                (
                    i
                    for i, h in enumerate(hits)
                    if i not in used and h.type == type_ and h.start < e and s < h.end
                ),
                None,
            )
            if match is None:
                fn[category].append((case, (type_, s, e)))
            else:
                used.add(match)
                tp[category] += 1
        for i, h in enumerate(hits):
            if i not in used:
                fp[h.category].append((case, h))
    return tp, fp, fn


@cache
def _injection_results() -> tuple[int, list, list, int]:
    d = detectors()
    tp, fp, fn = 0, [], []
    cases = injection_cases()
    for case in cases:
        role = {"user": "user", "document": "document", "memory": "memory"}[case.origin]
        hits = [h for h in d.hits(case.text, Origin(role, case.trust)) if h.category == "injection"]
        if case.attack and hits:
            tp += 1
        elif case.attack:
            fn.append(case)
        elif hits:
            fp.append((case, hits))
    return tp, fp, fn, len(cases)


@cache
def _leak_results() -> tuple[int, list, list, int]:
    d = detectors()
    tp, fp, fn = 0, [], []
    cases = leak_cases()
    for case in cases:
        ctx = ConversationContext("c", None)
        found = set()
        for i, event in enumerate(case.events):
            if event["type"] == "conversation.start":
                ctx.customer_id = event["customer_id"]
            for f in d.scan(event, ctx):
                if f.category == "pii_leak":
                    found.add((i, f.type, f.start))
        expected = set(case.expected)
        tp += len(found & expected)
        fp += [(case, x) for x in sorted(found - expected)]
        fn += [(case, x) for x in sorted(expected - found)]
    return tp, fp, fn, len(cases)


def evaluate() -> dict[str, tuple[float, float, int]]:
    """category -> (precision, recall, number of corpus items for that category)."""
    tp, fp, fn = _text_results()
    out = {}
    for c in ("pii", "secret"):
        n_cases = len(pii_cases()) if c == "pii" else len(secret_cases())
        out[c] = (_ratio(tp[c], tp[c] + len(fp[c])), _ratio(tp[c], tp[c] + len(fn[c])), n_cases)
    for c, results in (("pii_leak", _leak_results()), ("injection", _injection_results())):
        hits, false_pos, misses, n = results
        out[c] = (_ratio(hits, hits + len(false_pos)), _ratio(hits, hits + len(misses)), n)
    return out


def mistakes(category: str) -> list[str]:
    """Every false positive and miss of ``category``, one line each."""
    lines = []
    if category in ("pii", "secret"):
        _, fp, fn = _text_results()
        lines += [f"FP {h.type} {case.text[h.start : h.end]!r} in {case.text!r}" for case, h in fp[category]]
        lines += [f"FN {t} {case.text[s:e]!r} in {case.text!r}" for case, (t, s, e) in fn[category]]
    elif category == "injection":
        _, fp, fn, _ = _injection_results()
        lines += [
            f"FP {[h.detail for h in hits]} {case.origin}/{case.trust}: {case.text!r}" for case, hits in fp
        ]
        lines += [f"FN {case.origin}/{case.trust} ({case.note}): {case.text!r}" for case in fn]
    else:
        _, fp, fn, _ = _leak_results()
        lines += [f"FP {x} ({case.note}) {[e.get('text') for e in case.events]}" for case, x in fp]
        lines += [f"FN {x} ({case.note}) {[e.get('text') for e in case.events]}" for case, x in fn]
    return lines


if __name__ == "__main__":
    for category, (p, r, n) in evaluate().items():
        print(f"{category:10s} precision {p:.3f} recall {r:.3f} n={n}")
    import sys

    for category in sys.argv[1:]:
        print("\n".join(mistakes(category)))
