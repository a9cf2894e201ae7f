"""What a message asks: follow-ups that need the conversation, and the sentences that ask.
Table-driven, no model."""

from __future__ import annotations

import pytest

from assistant.followup import asked_part, carry_over, needs_context

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
        # the asker's context before the question is not searched
        (
            "Jag är ny som enhetschef i Kumla. Vem leder nätverket för socialchefer?",
            "Vem leder nätverket för socialchefer?",
        ),
        # from the first question on, all of it: a second request without "?" too
        (
            "Jag är ny här. Vem leder nätverket? Och när träffas de",
            "Vem leder nätverket? Och när träffas de",
        ),
        ("Vem leder nätverket? Tack på förhand!", "Vem leder nätverket? Tack på förhand!"),
        # the question points back into the statement before it: kept whole
        (
            "Jag har en fråga om färdplanen. När blir den klar?",
            "Jag har en fråga om färdplanen. När blir den klar?",
        ),
        # a question in quotes ends with its closing quote
        (
            "Min chef undrade. ”Vem leder nätverket för MAS?”",
            "”Vem leder nätverket för MAS?”",
        ),
        # without a question mark nothing tells the question from its context: kept whole
        ("Jag är ny. Berätta om nära vård.", "Jag är ny. Berätta om nära vård."),
    ],
)
def test_the_asking_part_of_a_message(message, asked):
    assert asked_part(message) == asked


def test_the_robustness_rewrites_keep_the_question():
    from evals.robustness import REWRITES, swapped

    question = "När antogs målbilden för nära vård?"
    assert REWRITES["no å/ä/ö"](question) == "Nar antogs malbilden for nara vard?"
    once = swapped(question)
    assert once == swapped(question) and once != question  # deterministic, and a change
    assert sorted(once) == sorted(question) and len(once.split()) == len(question.split())
