"""One browser tab's conversation: the state the chat keeps between answers, and its bound.

It is the only per-session state the page has, so its size is what a tab left open costs the
server (issue 11); ``Callbacks.answer`` fills it, ``Callbacks.relabel`` re-renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.types import AnswerResult


@dataclass
class Conversation:
    """One browser tab's chat: its latest answers and their rendered citation panels.

    Panels are rendered once per answer (they read document text from the index) and kept, so a
    new answer does not re-render every earlier one; a language switch re-renders them all. Only
    the latest ``max_turns`` answers are kept: a tab left open all day must not hold every answer
    (about 40 KB each, twice over in Gradio's session copy) for as long as the server runs.
    ``first_turn`` numbers the oldest kept answer, so citation ids stay unique on the page.
    ``token`` names the conversation in its export link; it is drawn at the first answer, not
    here, because Gradio gives each session a deep copy of this default value.
    """

    results: list[AnswerResult] = field(default_factory=list)
    panels: list[str] = field(default_factory=list)
    first_turn: int = 0
    token: str = ""

    def questions(self) -> list[str]:
        return [r.question for r in self.results]

    def next_turn(self) -> int:
        return self.first_turn + len(self.results)

    def add(self, result: AnswerResult, panel: str, max_turns: int) -> None:
        self.results.append(result)
        self.panels.append(panel)
        excess = max(0, len(self.results) - max(1, max_turns))
        del self.results[:excess], self.panels[:excess]
        self.first_turn += excess
