"""Detector quality on the labelled corpus stays above the committed floors and the targets."""

from __future__ import annotations

import pytest

from .corpus.generate import injection_cases, leak_cases, pii_cases, secret_cases
from .quality import FLOORS, TARGETS, evaluate, mistakes


@pytest.fixture(scope="module")
def figures() -> dict[str, tuple[float, float, int]]:
    return evaluate()


@pytest.mark.parametrize("category", sorted(TARGETS))
def test_precision_and_recall(figures, category):
    precision, recall, n = figures[category]
    floor_p, floor_r = FLOORS[category]
    target_p, target_r = TARGETS[category]
    report = "\n".join(mistakes(category)[:40])
    assert precision >= max(floor_p, target_p), f"{category} precision {precision:.3f}\n{report}"
    assert recall >= max(floor_r, target_r), f"{category} recall {recall:.3f}\n{report}"
    assert n >= 250  # a few hundred labelled items per category


def test_corpus_is_deterministic_and_has_hard_cases():
    assert pii_cases() == pii_cases() and secret_cases() == secret_cases()
    notes = {c.note for c in pii_cases()} | {c.note for c in secret_cases()}
    assert {"near miss", "hand-written"} <= notes
    assert sum(not c.expected for c in pii_cases()) >= 150  # look-alikes with no PII at all
    assert sum(not c.attack for c in injection_cases()) >= 150  # customer language, benign documents
    assert len({c.note for c in leak_cases()}) >= 6
