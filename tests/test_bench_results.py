"""Benchmarks write their rows into results pages that people also annotate by hand."""

from bench.first_answer import with_row


def test_a_new_row_goes_under_the_table_not_under_the_notes_written_below_it() -> None:
    page = "# Title\n\nProse.\n\n| date | s |\n|---|---|\n| old | 1 |\n\nA note on the old run.\n"
    assert with_row(page, "| new | 2 |") == (
        "# Title\n\nProse.\n\n| date | s |\n|---|---|\n| old | 1 |\n| new | 2 |\n\nA note on the old run.\n"
    )
