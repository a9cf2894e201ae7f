"""Which messages are follow-ups that need the conversation: table-driven, no model."""

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
