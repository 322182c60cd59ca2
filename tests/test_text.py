"""The shared words: clipping to Slack's limits, notes inside sentences, CSV cells."""

import pytest

from bot.text import aside, clip, sentence, spreadsheet_cell, spreadsheet_row


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word_within_the_limit():
    assert clip("Northside CV Clinic", 75) == "Northside CV Clinic"
    why = "offers CV and job applications; specialist for care leavers; covers NW5"
    assert clip(why, 40) == "offers CV and job applications…"
    assert clip(why, 45) == "offers CV and job applications; specialist…"  # no ";…"
    for limit in range(10, len(why)):
        cut = clip(why, limit)
        assert len(cut) <= limit and cut.endswith("…")
        kept = cut.removesuffix("…")
        assert why.startswith(kept) and why[len(kept)] in " ;"


def test_a_word_longer_than_half_the_limit_is_cut_where_it_must_be():
    assert clip("Supercalifragilisticexpialidocious Clinic", 20) == "Supercalifragilisti…"
    assert len(clip("x" * 200, 150)) == 150


def test_a_note_in_brackets_leaves_the_full_stop_to_the_sentence_around_it():
    assert aside("Full until March.") == " (Full until March)"
    assert aside("  Full...  ") == " (Full)"
    assert aside("Can they do evenings?") == " (Can they do evenings?)"
    assert aside("") == aside(None) == ""
    assert sentence("declined: other" + aside("Full.")) == "declined: other (Full)."
    assert sentence("It is done!") == "It is done!"
    assert sentence("Why them: offers CV…") == "Why them: offers CV…"


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x","y")', "+44 7911 123456", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_text_that_starts_like_a_formula_gets_a_quote(typed):
    assert spreadsheet_cell(typed) == "'" + typed


def test_other_cells_and_numbers_are_left_as_they_are():
    for value in ("Northside CV Clinic", "2026-11-16 00:00", "", " =1", "HO-0001", "'=x"):
        assert spreadsheet_cell(value) == value
    # A count the bot made stays a number, negative or not: only text is touched.
    assert spreadsheet_cell(-3) == -3 and spreadsheet_cell(0.5) == 0.5
    assert spreadsheet_row(["=1", 2, "x"]) == ["'=1", 2, "x"]
    assert spreadsheet_row({"a": "@x", "b": None}) == {"a": "'@x", "b": None}


def test_the_notify_templates_document_says_what_the_sandbox_sends():
    """docs/notify-templates.md gives each template exactly as the stand-in is seeded."""
    from pathlib import Path

    from sandbox.notify_templates import TEMPLATES

    doc = (Path(__file__).parent.parent / "docs" / "notify-templates.md").read_text()
    for template in TEMPLATES:
        assert f"## `{template.key}`" in doc
        assert f"```\n{template.body}\n```" in doc
        if template.subject:
            assert f"Subject: `{template.subject}`" in doc
