"""Course material for trainers: an outline, key points, a glossary and a quiz from the documents.

A lesson follows the regulation, not a relevance ranking: the admission steps are HD 06's points
3.1 … 3.10 in that order, and a step that ranks low for the topic is still a step. So retrieval only
decides *which* documents and top-level sections the topic is about; the outline is then every
heading under those sections, read from the document's own heading tree in document order, and
each piece of material cites the stored chunk that contains it.

Everything is extractive first: key points, glossary entries and quiz stems are sentences of the
documents, and every key point and quiz answer must pass the answers' support check
(``assistant.support``) against the passage it cites, or it is dropped. Generative mode only
rewrites a key point into a shorter statement, and the rewrite faces the same check as a generated
answer (``check_cited_text``); a rewrite that fails leaves the verbatim sentence in place.

One module per job, in the order ``build.build_course`` runs them:

- ``selection``: which documents and top-level sections the topic is about;
- ``outline``: every heading under those sections, in document order;
- ``material``: the documents' chunks and heading trees, and the citable sentences under the outline;
- ``keypoints``: one statement per heading, shortened in generative mode;
- ``terms``: the glossary of terms and party bodies the lesson uses;
- ``quiz``: fill-in-the-blank questions with plausible wrong options;
- ``verify``: the support check every key point and quiz answer must pass;
- ``model``: the dataclasses a course is made of; ``lexicon``: the party vocabulary the steps share.

Callers import from the package itself; ``assistant.course_export`` writes a course out.
"""

from assistant.course.build import CourseTopicError, build_course
from assistant.course.model import BLANK, OPTIONS, Course, GlossaryEntry, KeyPoint, OutlineSection, QuizQuestion

__all__ = [
    "BLANK",
    "OPTIONS",
    "Course",
    "CourseTopicError",
    "GlossaryEntry",
    "KeyPoint",
    "OutlineSection",
    "QuizQuestion",
    "build_course",
]
