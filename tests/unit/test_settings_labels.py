"""Every setting has a human label and a section of the settings page (a new setting without one fails here)."""

from __future__ import annotations

import pytest

from cacherr.settings import Settings
from cacherr.settings_labels import LABELS, SECTIONS, label_of, ordered_names


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_has_a_label_and_a_known_section(name: str) -> None:
    assert name in LABELS, f"{name} has no label: add it to cacherr/settings_labels.py (section, label)"
    label = LABELS[name]
    assert label.section in SECTIONS
    assert label.label.strip() and label.label != name and len(label.label) <= 60


def test_no_label_for_a_setting_that_does_not_exist() -> None:
    assert set(LABELS) <= set(Settings.model_fields), set(LABELS) - set(Settings.model_fields)


def test_labels_are_unique() -> None:
    labels = [lab.label.lower() for lab in LABELS.values()]
    assert len(labels) == len(set(labels))


def test_page_order_is_section_by_section_and_covers_every_setting() -> None:
    names = ordered_names()
    assert sorted(names) == sorted(Settings.model_fields)
    ranks = [SECTIONS.index(label_of(n).section) for n in names]
    assert ranks == sorted(ranks)
    assert names[0] == "PLEX_URL"


def test_every_section_is_used() -> None:
    assert {lab.section for lab in LABELS.values()} == set(SECTIONS)


def test_a_setting_without_a_label_still_gets_a_section_from_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(LABELS, "TRAKT_COUNT")
    fallback = label_of("TRAKT_COUNT")
    assert fallback.section == "Trakt" and fallback.label == "Trakt count"
    assert "TRAKT_COUNT" in ordered_names()
