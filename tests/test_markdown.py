"""The one Markdown writer, shared by the course export and the eval report."""

from __future__ import annotations

from assistant.markdown import Heading, Image, Item, Paragraph, Table, to_markdown


def test_blocks_are_separated_by_a_blank_line_and_list_items_by_a_line_break() -> None:
    blocks = [
        Heading(1, "Bài giảng"),
        Paragraph("Bản nháp."),
        Item("Điều lệ Đảng"),
        Item("Quy định 294"),
        Item("Câu hỏi [1]", marker="1."),
        Heading(8, "Sâu"),
        Image("ours.png", "ours"),
    ]
    assert to_markdown(blocks) == (
        "# Bài giảng\n\nBản nháp.\n\n- Điều lệ Đảng\n- Quy định 294\n1. Câu hỏi [1]\n\n"
        "###### Sâu\n\n![ours](ours.png)\n"
    )


def test_table_cells_stay_on_one_line_with_pipes_escaped() -> None:
    table = Table(["id", "expected"], [["dev-1", ["a | b", "c\n  d"]]])
    assert to_markdown([table]) == "| id | expected |\n|---|---|\n| dev-1 | a \\| b<br>c d |\n"
