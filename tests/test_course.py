"""Course material on a real index of HD 06 and QĐ 294, the two documents the admission steps live in.

The index is built once for the module from a copy of the session subset's index, which already
holds QĐ 294, so only HD 06's 109 chunks are embedded here instead of all 367 (the module setup went
from ~160 s to ~80 s on a busy 2-core machine); every test then reads the one course built from it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import docx
import gradio as gr
import pytest

from assistant.chain import Assistant
from assistant.course import BLANK, Course, build_course
from assistant.course_export import HEADINGS, course_markdown, write_course
from assistant.exam import ExamItem
from assistant.llm import generator_status
from assistant.support import checker_for
from assistant.ui.course_tab import CourseCallbacks, build_course_tab, file_slug
from ingest.embedder import Embedder
from ingest.vitokens import normalize
from settings import Settings
from tests.conftest import SUBSET, copy_of_index

HD06 = "official/hd-06-2025-thi-hanh-dieu-le.pdf"
QD294 = "official/qd-294-2025-thi-hanh-dieu-le.pdf"
TOPIC = "quy trình kết nạp đảng viên"


@pytest.fixture(scope="module")
def course_settings(
    subset_settings: Settings, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Settings]:
    """HD 06 and QĐ 294 over a copy of the subset's index: QĐ 294 is reused, the rest pruned."""
    from ingest.service import collection_stats, ingest_collection, open_index

    settings = copy_of_index(subset_settings, tmp_path_factory.mktemp("course"), (HD06, QD294))
    report = ingest_collection(settings, embedder=embedder)
    assert not report.failures, report.failures
    stats = collection_stats(settings, open_index(settings, embedder)[1])
    chunks = {d["source"]: d["chunks"] for d in stats["documents"]}
    assert set(chunks) == {HD06, QD294}, "the subset's other documents must be pruned"
    assert report.files_unchanged == 1 and report.files_updated == 1  # QĐ 294 is not even re-read
    assert report.chunks_embedded == chunks[HD06] > 0  # only HD 06 is embedded
    assert report.files_removed == len(SUBSET) - 1 and report.chunks_deleted > 0
    assert stats["total_chunks"] == sum(chunks.values())
    yield settings


@pytest.fixture(scope="module")
def assistant(course_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(course_settings, embedder)


@pytest.fixture(scope="module")
def course(assistant: Assistant) -> Course:
    return build_course(assistant, TOPIC, questions=10)


def _numbers(label: str) -> tuple[int, ...]:
    """ "3.10. Việc phân công…" -> (3, 10)."""
    match = re.match(r"(\d+(?:\.\d+)*)\.", label)
    assert match, label
    return tuple(int(n) for n in match.group(1).split("."))


def test_outline_follows_the_admission_steps_of_hd_06_in_order(course: Course) -> None:
    steps = [
        _numbers(s.path[1])
        for s in course.outline
        if s.source == HD06 and s.path[0].startswith("3. Thủ tục xem xét kết nạp") and len(s.path) == 2
    ]
    assert steps == [(3, n) for n in range(1, 11)]  # 3.1 … 3.10, none skipped, none out of order
    headings = [s.heading for s in course.outline if s.source == HD06]
    assert "3.1. Bồi dưỡng nhận thức về Đảng" in headings
    assert "3.8. Tổ chức lễ kết nạp đảng viên" in headings


def test_outline_follows_qd_294_articles_4_and_5_in_document_order(course: Course) -> None:
    sections = [s for s in course.outline if s.source == QD294]
    assert {s.path[0] for s in sections} >= {"3. Điều 4", "4. Điều 5"}
    assert [s.start for s in sections] == sorted(s.start for s in sections)
    points = [_numbers(s.path[-1]) for s in sections if len(s.path) > 1]
    assert points == sorted(points)
    assert (4, 3, 1) in points  # the 45/30 working-day deadlines


def test_documents_are_kept_whole_and_each_in_document_order(course: Course) -> None:
    assert {m.source for m in course.documents} == {HD06, QD294}
    for source in (HD06, QD294):
        starts = [s.start for s in course.outline if s.source == source]
        assert starts == sorted(starts)
    assert [s.source for s in course.outline] == sorted(
        (s.source for s in course.outline), key=[m.source for m in course.documents].index
    )


def test_every_key_point_and_quiz_answer_is_supported_by_its_cited_passage(course: Course, embedder: Embedder) -> None:
    checker = checker_for(embedder)
    assert len(course.key_points) >= 20
    claims = [(p.text, course.citation(p.citation)) for p in course.key_points]
    claims += [(q.statement, course.citation(q.citation)) for q in course.quiz]
    for claim, citation in claims:
        assert citation.quote in citation.passage.text
        assert checker.check(claim, [citation.passage.text]).supported, claim
    for point in course.key_points:
        assert course.outline[point.section].source == course.citation(point.citation).passage.source


def test_key_points_carry_the_deadlines_the_trainer_needs(course: Course) -> None:
    text = "\n".join(p.text for p in course.key_points)
    assert "30 ngày làm việc" in text and "45 ngày làm việc" in text
    assert all(not p.text.endswith(":") for p in course.key_points)


def test_quiz_has_four_unique_options_exactly_one_of_them_in_the_cited_passage(course: Course) -> None:
    assert len(course.quiz) == 10
    for question in course.quiz:
        assert len(question.options) == 4
        assert len({normalize(o) for o in question.options}) == 4
        assert question.stem.count(BLANK) == 1
        passage = normalize(course.citation(question.citation).passage.text)
        assert normalize(question.statement) in passage
        for i, option in enumerate(question.options):
            assert (normalize(option) in passage) == (i == question.answer), (question.stem, option)
    letters = Counter(q.answer_letter for q in course.quiz)
    assert max(letters.values()) <= math.ceil(len(course.quiz) / 4)
    assert len({normalize(q.options[q.answer]) for q in course.quiz}) >= 8  # not ten times "12 tháng"


def test_every_quiz_item_is_answered_back_from_its_cited_passage(course: Course, assistant: Assistant) -> None:
    """The round trip: the exam answerer, given each item as a trainee sees it, picks the key and
    settles it from the passage the item cites."""
    assert len(course.quiz) == 10
    for question in course.quiz:
        verdict = assistant.decide(ExamItem(question.stem, tuple(question.options)))
        assert verdict.choice == question.answer_letter, question.statement
        assert verdict.evidence is not None
        assert verdict.evidence.passage.id == course.citation(question.citation).passage.id


def test_amount_questions_offer_amounts_from_the_same_documents(course: Course) -> None:
    amounts = [q for q in course.quiz if re.fullmatch(r"\d+ \S.*", q.options[q.answer])]
    assert amounts
    for question in amounts:
        units = {option.split(" ", 1)[1] for option in question.options}
        assert units == {question.options[question.answer].split(" ", 1)[1]}


def test_glossary_terms_are_quoted_in_use_with_citations(course: Course) -> None:
    terms = {normalize(e.term) for e in course.glossary}
    assert {"lý lịch", "chi bộ", "đảng viên dự bị"} <= terms
    for entry in course.glossary:
        assert normalize(entry.term) in normalize(entry.sentence)
        assert course.citation(entry.citation).quote == entry.sentence


def test_markdown_has_headings_quiz_answer_key_last_and_numbered_sources(course: Course, tmp_path: Path) -> None:
    text = write_course(course, tmp_path / "course.md").read_text(encoding="utf-8")
    assert text.index(HEADINGS["outline"]) < text.index(HEADINGS["quiz"]) < text.index(HEADINGS["answers"])
    assert text.rstrip().splitlines()[-1].startswith(f"{len(course.quiz)}. ")  # the answer key ends the file
    sources = text[text.index(HEADINGS["sources"]) : text.index(HEADINGS["answers"])]
    numbered = re.findall(r"^(\d+)\. ", sources, flags=re.MULTILINE)
    assert [int(n) for n in numbered] == list(range(1, len(course.citations) + 1))
    assert "#### 3. Thủ tục xem xét kết nạp đảng viên (kể cả kết nạp lại)" in text
    assert "06-HD/TW, 09/06/2025" in text and "[1]" in text


def test_docx_reads_back_with_headings_and_citations(course: Course, tmp_path: Path) -> None:
    document = docx.Document(str(write_course(course, tmp_path / "course.docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert {HEADINGS[k] for k in ("outline", "glossary", "quiz", "sources", "answers")} <= set(headings)
    assert "3.1. Bồi dưỡng nhận thức về Đảng" in headings
    body = "\n".join(p.text for p in document.paragraphs)
    assert all(f"[{c.n}]" in body for c in course.citations)
    assert course.citation(1).quote in body
    assert "A. " in body and "D. " in body


def test_unsupported_export_suffix_is_refused_in_both_languages(course: Course, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"chỉ hỗ trợ .* only .md or .docx"):
        write_course(course, tmp_path / "course.pdf")


class _RewritingGenerator:
    """Shortens the quoted sentence to its first clause on even calls; invents a rate on odd ones."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        self.calls += 1
        quoted = re.search(r"<document[^>]*>\n(.*?)\n</document>", messages[-1]["content"], re.DOTALL)
        assert quoted, messages
        if self.calls % 2:
            yield "Mỗi đảng viên đóng đảng phí 10% thu nhập hằng tháng [1]."
        else:
            yield re.split(r"[;,]", quoted.group(1))[0].rstrip(".") + " [1]."

    def count_tokens(self, text: str) -> int:
        return len(text) // 3


def test_generative_mode_keeps_supported_rewrites_and_falls_back_to_the_quote(
    assistant: Assistant, embedder: Embedder
) -> None:
    generator = _RewritingGenerator()
    course = build_course(assistant, TOPIC, sources=[QD294], questions=2, mode="generative", generator=generator)
    above = assistant.settings.course.rewrite_above_words
    long_points = [p for p in course.key_points if len(course.citation(p.citation).quote.split()) > above]
    assert generator.calls == len(long_points) > 2
    assert any(p.rewritten for p in course.key_points)
    assert any("10%" in flagged for flagged in course.flagged)
    assert all("10%" not in p.text for p in course.key_points)
    checker = checker_for(embedder)
    for point in course.key_points:
        assert checker.check(point.text, [course.citation(point.citation).passage.text]).supported


@pytest.mark.generator
def test_chat_and_course_share_one_generator_that_answers_with_a_citation(assistant: Assistant) -> None:
    generator, reason = assistant.generator()
    assert generator is not None, f"`make test` sets up the local generator: {reason}"
    assert assistant.generator() == (generator, "")  # loaded once per process, not per question
    result = assistant.ask("Lễ kết nạp đảng viên phải tổ chức trong thời hạn bao lâu?", mode="generative")
    assert not result.refused, result.answer
    assert "30 ngày" in result.answer and result.citations
    assert any("30 ngày" in c.quote for c in result.citations)


def test_an_unreachable_generator_is_explained_in_chat_and_course(
    course_settings: Settings, embedder: Embedder
) -> None:
    down = course_settings.model_copy(
        update={"generator": course_settings.generator.model_copy(update={"url": "http://127.0.0.1:9/v1"})}
    )
    assistant = Assistant(down, embedder)
    generator, reason = assistant.generator()
    assert generator is None and "Generator server unreachable at http://127.0.0.1:9/v1" in reason
    with pytest.raises(RuntimeError, match="Không kết nối được máy chủ mô hình"):
        assistant.ask("Lễ kết nạp đảng viên phải tổ chức trong thời hạn bao lâu?", mode="generative")
    course = build_course(assistant, TOPIC, sources=[QD294], questions=2, mode="generative")
    assert any("no generator, verbatim" in note and reason in note for note in course.notes)
    assert course.key_points and not any(p.rewritten for p in course.key_points)


def test_off_topic_topic_is_refused(assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="Không tìm thấy"):
        build_course(assistant, "Giá vàng hôm nay bao nhiêu?")


def test_tab_builds_the_same_course_and_both_downloads(
    assistant: Assistant, course_settings: Settings, course: Course
) -> None:
    with gr.Blocks(), gr.Tabs():
        build_course_tab(assistant, course_settings, generator_status(course_settings))
    status, preview, markdown, word = CourseCallbacks(assistant, course_settings).build(TOPIC, [], 10, "extractive")
    assert "10 câu hỏi" in status
    assert preview == course_markdown(course)  # seeded: the same topic gives the same course
    assert Path(markdown["value"]).read_text(encoding="utf-8") == preview
    assert Path(word["value"]).suffix == ".docx" and word["interactive"]
    empty = CourseCallbacks(assistant, course_settings).build("  ", [], 10, "extractive")
    assert "chủ đề" in empty[0] and empty[1] == ""


def test_file_slug_drops_diacritics_for_download_names() -> None:
    assert file_slug("Quy trình kết nạp Đảng viên") == "quy-trinh-ket-nap-dang-vien"
    assert file_slug("???") == "chu-de"
