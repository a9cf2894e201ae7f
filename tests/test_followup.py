"""What a message asks: follow-ups that need the conversation, and the sentences that ask.
Table-driven, no model."""

from __future__ import annotations

import pytest

from assistant.followup import carry_over, needs_context

HISTORY = [
    {"role": "user", "content": "Vem leder nätverket för kommunal e-hälsa?"},
    {"role": "assistant", "content": "Karin Brage."},
]


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("Och vem leder den?", True),
        ("Har du hans nummer och mejl?", True),  # a possessive pointing back
        ("Vad har hon för roll?", True),
        ("What is her phone number?", True),
        ("Vem leder nätverket för socialchefer?", False),  # names its own topic
        ("Vilka kommuner ingår i samarbetet om nära vård i Örebro län och hur styrs det?", False),
    ],
)
def test_follow_ups_are_recognised(question, follow_up):
    assert needs_context(question) is follow_up


def test_a_follow_up_carries_the_previous_question():
    assert carry_over("Har du hans nummer?", HISTORY).endswith(HISTORY[0]["content"])
    assert carry_over("Vem leder nätverket för socialchefer?", HISTORY) == (
        "Vem leder nätverket för socialchefer?"
    )


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        # the asker's context and courtesy around the question are not search words
        (
            "Jag är ny som enhetschef i Kumla. Vem leder nätverket för socialchefer?",
            "Vem leder nätverket för socialchefer?",
        ),
        ("Vem leder nätverket? Tack på förhand!", "Vem leder nätverket?"),
        ("Vad är färdplanen? Och när blir den klar?", "Vad är färdplanen? Och när blir den klar?"),
        ("Vem leder nätverket för socialchefer?", "Vem leder nätverket för socialchefer?"),
        # without a question mark nothing tells the question from its context: kept whole
        ("Jag är ny. Berätta om nära vård.", "Jag är ny. Berätta om nära vård."),
    ],
)
def test_the_asking_sentences_of_a_message(message, asked):
    from assistant.units import asked_part

    assert asked_part(message) == asked


def test_the_robustness_rewrites_keep_the_question():
    from evals.robustness import REWRITES, swapped

    question = "När antogs målbilden för nära vård?"
    assert REWRITES["no å/ä/ö"](question) == "Nar antogs malbilden for nara vard?"
    once = swapped(question)
    assert once == swapped(question) and once != question  # deterministic, and a change
    assert sorted(once) == sorted(question) and len(once.split()) == len(question.split())
    assert all(rewrite(question) for rewrite in REWRITES.values())
