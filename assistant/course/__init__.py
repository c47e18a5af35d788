"""Course material for trainers: the public face of the package (see ``build`` for how a course is made)."""

from assistant.course.build import (
    BLANK,
    OPTIONS,
    REWRITE_ABOVE_WORDS,
    Course,
    GlossaryEntry,
    KeyPoint,
    OutlineSection,
    QuizQuestion,
    build_course,
)

__all__ = [
    "BLANK",
    "OPTIONS",
    "REWRITE_ABOVE_WORDS",
    "Course",
    "GlossaryEntry",
    "KeyPoint",
    "OutlineSection",
    "QuizQuestion",
    "build_course",
]
