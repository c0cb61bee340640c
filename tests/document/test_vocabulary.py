# ruff: noqa: E501  (test data: German titles are kept verbatim)
"""The shared vocabulary (issue 12): one faction detector and one reference normaliser for the
document parser and ``bot.classify``.

Before, ``bot.classify.factions_from_text`` had its own generic patterns; it now reads the
parser's party list first and local groups only where no party name stands. The cases below
show where a feed title is read differently than before (each was checked against the old
code) and that the parser's reading of document lines is unchanged.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import classify
from bot.document.anfrage import parse_anfrage, vocabulary
from bot.document.anfrage.lines import Ctx
from bot.document.anfrage.reference import find_reference


@pytest.mark.parametrize(
    ("title", "factions", "before"),
    [
        # Compounds of the party list were missed by the old title patterns.
        ("Anmerkungen der CDU-Ratsfraktion vom 08.01.2008", ("CDU-Ratsfraktion",), ()),
        (
            "Große Anfrage der SPD-Kreistagsfraktion und der Kreistagsfraktion BÜNDNIS 90/DIE GRÜNEN",
            ("SPD-Kreistagsfraktion", "Kreistagsfraktion BÜNDNIS 90/DIE GRÜNEN"),
            (),
        ),
        # A party name ends where the party list ends, not where the sentence does.
        (
            "Die Fraktion Die Linke hat folgende Fragen gestellt",
            ("Fraktion Die Linke",),
            ("Fraktion Die Linke hat folgende Fragen gestellt",),
        ),
        (
            "Beschlussvorlage (Antrag CDU Fraktion 01. April 2021)",
            ("CDU Fraktion",),
            ("CDU Fraktion", "Fraktion 01. April 2021"),
        ),
    ],
)
def test_titles_read_with_the_party_list_first(
    title: str, factions: tuple[str, ...], before: tuple[str, ...]
) -> None:
    assert classify.factions_from_text(title) == factions
    assert factions != before


@pytest.mark.parametrize(
    ("title", "factions"),
    [
        # As before: local groups outside the party list, joint Anfragen, titles without one.
        ("Anfrage der FWV-Fraktion vom 20.05.2026; hier: Sachstandsberichte", ("FWV-Fraktion",)),
        (
            "Baumfällungen im Stadtwald – Anfrage der Fraktion Hagen Aktiv",
            ("Fraktion Hagen Aktiv",),
        ),
        ("Anfrage der Fraktion FWI vom 16.06.2025", ("Fraktion FWI",)),
        ("Anfrage der Gruppe Die PARTEI", ("Gruppe Die PARTEI",)),
        ("Fraktionsanfrage der Fraktion Die Linke", ("Fraktion Die Linke",)),
        (
            "Anfrage der Fraktion der SPD und der Fraktion Bündnis 90/Die Grünen",
            ("Fraktion der SPD", "Fraktion Bündnis 90/Die Grünen"),
        ),
        ("Radwege im Emscherpark", ()),
        (None, ()),
    ],
)
def test_titles_keep_local_groups(title: str | None, factions: tuple[str, ...]) -> None:
    assert classify.factions_from_text(title) == factions


def test_document_prose_reads_the_party_list_only() -> None:
    line = "Die Fraktion DIE LINKE fragt an: Ist der Verwaltung bekannt, wie viele Leuchten fehlen?"
    assert vocabulary.factions_named(line, local_groups=False) == ["Fraktion DIE LINKE"]
    assert vocabulary.factions_named("Anwohnende haben sich an uns gewandt.") == []


def test_a_form_field_names_a_local_group() -> None:
    text = "Anfrage\nFraktion:\tFraktion Hagen Aktiv\nBetreff: Baumfällungen\n\n1. Wie viele?\n"
    assert parse_anfrage(text).factions == ("Fraktion Hagen Aktiv",)


def test_one_reference_normaliser() -> None:
    assert classify.normalize_reference is vocabulary.normalize_reference
    assert classify.normalize_reference(" 14 /  1923 ") == "14/1923"
    lines = ["Drucksache 14 / 1923 -", "", "Betreff: Radwege"]
    # The parser normalises its match the same way and trims the dash the label row leaves.
    assert find_reference(Ctx(lines=lines, header_end=2)) == "14/1923"


# Pieces of faction names and the text around them, so that generated texts hit the patterns'
# edges: prefixes at the longest distance, a literal at the text's end, a name cut inside a word.
_PIECES = [
    "Fraktion", "fraktion", "Gemeinderats", "Kreistags", "Stadtrats", "Rats", "Bezirks", "Gruppe",
    "Fraktionen", "der ", "des ", "„", "“", "”", "SPD", "CDU", "FW", "FWI", "BÜNDNIS 90/DIE GRÜNEN",
    "Die Linke.", "Hagen Aktiv", "FWV", " ", "  ", "-", "/", ".", ",", ";", "(", ")", "\n", "und ",
    "vom ", "x", "Ä", "0", "12", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@settings(max_examples=800, deadline=None)
def test_faction_scans_find_what_the_patterns_find(text: str) -> None:
    """The detector scans only where a match can lie (issue 15); every pattern's matches are
    still exactly those of a scan over the whole text."""
    for spec in vocabulary._FACTION_SCANS + vocabulary._LOCAL_GROUP_SCANS:
        rx = spec[0]
        assert [m.span() for m in vocabulary._scan(spec, text)] == [
            m.span() for m in rx.finditer(text)
        ], (rx.pattern[:40], text)


def test_faction_scans_cover_every_pattern() -> None:
    assert [s[0] for s in vocabulary._FACTION_SCANS] == vocabulary.FACTION_RES
    assert [s[0] for s in vocabulary._LOCAL_GROUP_SCANS] == vocabulary._LOCAL_GROUP_RES
