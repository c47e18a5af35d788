"""The one typed settings object, owned by the whole app (ingest, retrieval, answers, UI, generator).

It sits beside ``app.py`` rather than inside a stage so that no stage owns another's knobs. It is
longer than the ~400 lines other modules keep to because it must stay whole: one model per group,
one described field per tunable, and the unknown-key check that walks them all.

Every tunable lives here so that a deployment is described by one file (``partydocs.toml``, or the
file named by ``PARTYDOCS_CONFIG``) plus ``PARTYDOCS_*`` environment variables, and tests build a
``Settings`` with temporary paths instead of patching constants. Nested groups use ``__`` in env
names, e.g. ``PARTYDOCS_EMBEDDING__DTYPE=float32``.

A key that names no setting, in the environment or in the file, is refused when ``Settings`` is
built (``UnknownSettingsError`` names it and the closest real key): a misspelt threshold would
otherwise be ignored without a word and the default would run instead. Every field has a
description; ``python -m settings --readme`` writes them into the README's configuration table.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent
ENV_PREFIX = "PARTYDOCS_"
# PARTYDOCS_* variables that are not settings, each read by the code named beside it. Any other
# PARTYDOCS_* name that maps to no setting is refused (tests/test_settings.py keeps this list whole).
OTHER_ENV = frozenset(
    {
        "PARTYDOCS_CONFIG",  # config_file(): the TOML file
        "PARTYDOCS_CRASH_AT",  # ingest.faults: crash at the Nth checkpoint
        "PARTYDOCS_CRASH_TRACE",  # ingest.faults: record the checkpoints reached
        "PARTYDOCS_GENERATOR_PARENT",  # assistant.local_llm: set for the llama.cpp child process
        "PARTYDOCS_JUDGE_URL",  # eval.judge: the judging model's server
        "PARTYDOCS_JUDGE_MODEL",  # eval.judge: its model name
        "PARTYDOCS_SCREENSHOTS",  # tests/test_ui_e2e.py: refresh the docs' screenshots
    }
)


def _default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "partydocs"


def config_file() -> Path:
    """The TOML file: ``PARTYDOCS_CONFIG`` as the environment has it now, else the clone's own."""
    return Path(os.environ.get("PARTYDOCS_CONFIG", REPO_ROOT / "partydocs.toml"))


class _Group(BaseModel):
    """A group of settings (a ``[table]`` in the TOML file); keys it does not have are refused."""

    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(_Group):
    """The sentence-transformers model and how it runs on a 2-core CPU."""

    name: str = Field(
        default="embeddinggemma-300m",
        description="The embedding model's folder in the model cache; `app.py setup` assembles EmbeddingGemma-300M "
        "there, the model the index and the refusal bars were calibrated with.",
    )
    dtype: Literal["auto", "bfloat16", "float32"] = Field(
        default="auto",
        description="Precision the embedding model runs in. `auto` picks `bfloat16` where the CPU has bf16 "
        "instructions torch can use (AVX-512 BF16 or AMX) and `float32` elsewhere, where bf16 ran 5-6x slower than "
        "fp32 in an emulation of such a CPU; both rank alike (dev and ALQAC 2022 within 0.005, "
        "bench/results/ingest.md). The index records the precision that built it (fp32 adds `:float32` to the model "
        "id); under `auto` an existing index keeps its own, so a data dir moved to another CPU still opens. An "
        "explicit precision that differs from the index's is refused: ingest into a fresh data dir.",
    )
    batch_size: int = Field(default=16, description="Texts embedded per model call while ingesting.")
    query_prompt: str = Field(
        default="task: search result | query: ",
        description="Prefix of every question: EmbeddingGemma's retrieval-query prompt, which the model was trained "
        "with.",
    )
    document_prompt: str = Field(
        default="title: {title} | text: ",
        description="Prefix of every passage: EmbeddingGemma's document prompt, its title slot filled with the "
        "document's title.",
    )
    threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        description="torch threads one embedding call uses.",
        json_schema_extra={"readme_default": "CPU cores"},
    )
    workers: int = Field(
        default=2,
        ge=1,
        description="Threads that run the model. torch keeps state per calling thread (oneDNN caches, OpenMP teams), "
        "so a server handing each request to any of its 40 threads grew without bound; a fixed pair plateaus "
        "(bench/results/load.md).",
    )


class ChunkingSettings(_Group):
    """Bounds in the embedding model's tokens, so no chunk is truncated at embedding time."""

    max_tokens: int = Field(
        default=320, description="Largest chunk, in the embedding model's tokens; a longer section is split."
    )
    min_tokens: int = Field(
        default=40,
        description="Sibling points smaller than this are merged with their neighbours under the same parent, so a "
        "one-line point does not stand alone as a passage.",
    )


class RetrievalSettings(_Group):
    """Hybrid search and the evidence bar below which the assistant refuses."""

    k: int = Field(default=10, description='Passages retrieved for a question (and shown as "retrieved").')
    answer_passages: int = Field(default=5, description="Of those, the passages an answer may draw on.")
    refuse_below: float = Field(
        default=0.44,
        description="Top cosine below which a Vietnamese question is refused: the collection does not hold the "
        "answer. Calibrated on eval/questions/dev.jsonl: answerable >= 0.454, off-topic <= 0.424.",
    )
    refuse_below_en: float = Field(
        default=0.33,
        description="The same bar for English questions, whose cross-lingual cosines run lower: answerable >= 0.343, "
        "off-topic <= 0.323.",
    )
    # Evidence that is on topic can still lack the question's point ("the minimum time a rotated
    # cadre serves" next to rules on rotation).
    min_focus: float = Field(
        default=0.45,
        description="Share of the question's focus weight the best unit of evidence must hold (assistant.evidence); "
        "below it the answer says the collection does not hold the point. Calibrated by eval/answerability.py "
        "(leave one document out; eval/reports/answerability).",
    )
    keyword_weight: float = Field(
        default=0.08,
        ge=0,
        description="Keyword bonus at a query's best BM25 match, in cosine units (assistant.fusion): small, so exact "
        "terms reorder passages of similar meaning without outvoting meaning. Fitted with keyword_weight_en and "
        "official_prior by 5-fold cross-validation on the dev set (eval/fusion.py).",
    )
    keyword_weight_en: float = Field(
        default=0.05,
        ge=0,
        description="The keyword bonus for English questions: BM25 alone is nearly blind to them (dev hit@5 0.26), "
        "but the glossary's Vietnamese terms they carry make it a useful tie-breaker. Fitted with keyword_weight.",
    )
    official_prior: float = Field(
        default=0.03,
        ge=0,
        description="Score added to a passage of an official document (any kind but 'article'), in cosine units "
        "(assistant.fusion): where a news article quotes a rule word for word, the document that lays it down ranks "
        "first. Fitted with the keyword weights (eval/fusion.py); ALQAC's laws carry no kind, so it is neutral there.",
    )
    local_penalty: float = Field(
        default=0.02,
        ge=0,
        description="Score taken from a passage of a local body's document (its issuer names a place: 'Ban Tổ chức "
        "Thành ủy Hà Nội') when the question names no document or place, in cosine units (assistant.fusion): a "
        "question about the Party's rules is settled by the central rule, and the Hanoi guidance's restatement of it "
        "ranks after it; a question naming Hà Nội searches that place's documents and is not touched. Fitted by "
        "cross-validation on the dev set (eval/fusion.py); neutral on ALQAC, whose laws name no place.",
    )
    scenario_stems: bool = Field(
        default=True,
        description="Also search a question with its story's names and numbers stripped (assistant.rewrite."
        "scenario_stem), each passage keeping its better score: issue 16's lever 4, kept because it won on the dev "
        "set and on ALQAC 2022 (eval/reports/retrieval-levers).",
    )
    max_question_chars: int = Field(
        default=1000,
        gt=0,
        description="Longest question the CLI and the UI accept (characters, after cleaning). The longest dev "
        "question has 147; a pasted page only blurs the query embedding and matches every BM25 term.",
    )
    candidates: int = Field(
        default=50,
        gt=0,
        description="Candidates each search (dense and BM25) hands to fusion (assistant.retriever), and chunks "
        "a keyword look-up inside chosen documents ranks.",
    )
    boost: float = Field(
        default=1.0,
        description="Score added to a passage that mentions a document the question names but the collection lacks "
        "(assistant.fusion): above any cosine plus keyword bonus, so it outranks every other passage.",
    )
    related_passages: int = Field(
        default=2,
        ge=0,
        description="Passages looked up inside the documents that name a missing document (assistant.retrieval): "
        "where they say what it means for the question's point.",
    )
    short_question_words: int = Field(
        default=6,
        description="A question of at most this many words cannot stand alone: with a history it is rewritten as a "
        "follow-up of the last standalone question (assistant.rewrite).",
    )


class AnswerSettings(_Group):
    """How the evidence units an answer quotes are weighed and chosen (assistant.evidence)."""

    context_weight: float = Field(
        default=0.35,
        description="Weight of a unit's section heading in its focus score: the heading tells what a unit is about, "
        "but is not the rule.",
    )
    items_weight: float = Field(
        default=0.2,
        description="Weight of a list's items in its score: a list is found by its opening line, and its items count "
        "for less, or the section holding every list would beat the list asked for.",
    )
    list_bonus: float = Field(
        default=0.25,
        description="Added to a list when the question asks for one (what, which steps), subtracted when it does not.",
    )
    quantity_bonus: float = Field(
        default=0.3,
        description="Added to a sentence stating an amount or a date when the question asks how many, how long, when.",
    )
    max_units: int = Field(default=3, ge=1, description="Most units (sentences or whole lists) one answer quotes.")
    on_point: float = Field(
        default=0.75,
        description="A sentence is on the question's point when it covers this share of what the best sentence "
        "covers; a quantity question is answered only when such a sentence states the kind of quantity asked.",
    )
    semantic_passages: int = Field(
        default=5,
        description="Passages whose units are compared by meaning when the question's words cannot be (English): "
        "~20 ms a unit on 2 cores, so only the passages most likely to hold the answer.",
    )
    semantic_weight: float = Field(
        default=1.0, description="Weight of that meaning cosine in a unit's score (English questions)."
    )


class SupportSettings(_Group):
    """When a sentence is backed by the passages it cites (assistant.support): one judge for extractive and
    generative answers, course material and eval. Calibrated on 29 hand-labelled claim/passage pairs
    (tests/test_support.py)."""

    lexical_strong: float = Field(
        default=0.55,
        description="A Vietnamese claim whose lexical score reaches this is supported by it alone: faithful claims "
        "scored 0.60-0.98, false ones without a number at most 0.43, with one 0.52-0.53.",
    )
    lexical_weak: float = Field(
        default=0.45,
        description="Below this lexical score a Vietnamese claim is unsupported whatever its cosine; between the two "
        "bars the cosine decides.",
    )
    cosine_weak: float = Field(
        default=0.85,
        description="Cosine a Vietnamese claim in the band between the lexical bars needs (false claims reached "
        "0.86 by cosine alone, hence cosine never suffices by itself).",
    )
    cosine_cross_lingual: float = Field(
        default=0.65,
        description="Cosine a non-Vietnamese claim needs against a Vietnamese passage: faithful English claims "
        "scored 0.655-0.79, false ones 0.55-0.63.",
    )
    vietnamese_share: float = Field(
        default=0.3,
        description="A claim is judged as Vietnamese (lexically) from this share of words with Vietnamese letters "
        "or tone marks; an English answer quoting 'đảng phí' is still English.",
    )


class ExamSettings(_Group):
    """How an exam item is decided by the evidence (assistant.exam_answer, assistant.exam_evidence). Tuned on
    eval/questions/exam.jsonl by eval/exam.py; see eval/reports/exam/."""

    passages_per_query: int = Field(
        default=5, description="Passages kept from each search of an item (its stem with all options, then each)."
    )
    support_bar: float = Field(
        default=0.4, description="An option whose support is below this is not stated by the collection."
    )
    margin: float = Field(
        default=0.02,
        description="The best option must lead the next by this much, or the evidence does not decide and the item "
        "is declined: a guess would be quoted with confidence.",
    )
    about_bar: float = Field(
        default=0.45, description="A true/false statement with no unit holding this share of it is declined."
    )
    join_gain: float = Field(
        default=0.15,
        description="Two adjacent sentences are read as one when together they hold this much more of a claim than "
        "either alone (a claim that joins two facts).",
    )
    true_bar: float = Field(
        default=0.6,
        description="A statement is true only when a unit holds this share of it and fills none of its slots "
        "otherwise.",
    )
    place_bar: float = Field(
        default=0.5,
        description="An amount is read where at least this share of its surroundings recurs; a different amount "
        "there makes the statement false.",
    )
    read_units: int = Field(default=12, description="Units aligned word by word with a claim: the best covering ones.")
    story_weight: float = Field(
        default=0.5,
        description="Weight of a scenario's story words in a claim's coverage: the rule a document states does not "
        "repeat the story's details.",
    )
    reach: int = Field(default=20, description="Syllables either side of an amount that count as its surroundings.")
    other_side: float = Field(
        default=0.5, description="Weight of a surrounding word found on the amount's other side in the evidence."
    )
    substitution_bar: float = Field(
        default=1.5,
        description="IDF weight the claim's side of a changed slot must carry to make the statement false (one "
        "rare word, or two common).",
    )
    swap_length: int = Field(
        default=2,
        description="A changed slot is about as long on both sides: the evidence's side at most swap_length times "
        "the claim's plus swap_slack syllables; longer, it says more (a condition, a list), not something else.",
    )
    swap_slack: int = Field(default=4, description="Syllables of slack in that comparison.")
    run: int = Field(
        default=3,
        ge=1,
        description="A four-option item's option is held by a unit only in runs of this many syllables (or the whole "
        "option, when shorter): an option's words scattered over a sentence name something else.",
    )
    bind_lead: float = Field(
        default=1.5,
        gt=1.0,
        description="When one sentence holds several options, one per case, the option bound to the stem's case must "
        "weigh this many times the next, or none of them is taken from that sentence.",
    )
    model_tokens: int = Field(
        default=8, ge=1, description="Generative mode: the longest reply to a tie between options (a letter is enough)."
    )


class CourseSettings(_Group):
    """How a course (outline, key points, quiz, glossary) is built from the collection (assistant.course)."""

    retrieve_k: int = Field(
        default=50, description="Passages per topic query: enough to see which sections a topic lives in."
    )
    candidate_groups: int = Field(
        default=30, description="Top-level sections, by retrieval evidence, considered for the lesson."
    )
    heading_match: float = Field(
        default=0.5,
        description="A section is taught only when its heading shares at least this much of the topic's wording: "
        "retrieval evidence alone keeps sections whose passages merely mention the topic. Calibrated on the "
        "admission, party dues, official-membership and transfer topics over HD 06 + QĐ 294.",
    )
    keep_score: float = Field(
        default=0.75, description="... and when its evidence share plus heading match reaches this."
    )
    max_headings: int = Field(
        default=80, description="Outline size: a lesson, not the whole collection; sections are added whole."
    )
    title_words: int = Field(
        default=12, description="A node's first line shorter than this many words is its title, not a rule."
    )
    min_words: int = Field(
        default=6,
        description="Sentences shorter than this many words are headings or fragments, not teachable statements.",
    )
    long_words: int = Field(
        default=45,
        description="Key points longer than this many words are penalised: trainers want short statements.",
    )
    rewrite_above_words: int = Field(
        default=25,
        description="Generative mode shortens only key points longer than this: shorter ones already are the short "
        "statement wanted, and each rewrite costs seconds of a 1.5B model on 2 cores.",
    )
    rewrite_tokens: int = Field(default=80, description="Longest rewritten key point, in generated tokens.")
    quiz_max_words: int = Field(
        default=60, description="Longest quiz stem, in words: a longer one is a reading test, not a question."
    )
    glossary_max: int = Field(default=12, description="Most glossary terms a course lists.")
    recurring_min_sections: int = Field(
        default=3,
        description="A party body is a recurring term of the course when named under at least this many outline "
        "headings.",
    )


class GeneratorSettings(_Group):
    """The local llama.cpp model, or any OpenAI-compatible server when ``url`` is set."""

    name: str = Field(
        default="qwen2.5-coder-1.5b-instruct-q4_k_m",
        description="The local model's file in the model cache, without `.gguf`; `app.py setup --generator` "
        "fetches it (1.1 GB).",
    )
    url: str | None = Field(
        default=None,
        description="An OpenAI-compatible server (`http://host:port/v1`) to generate with instead of the local model.",
    )
    api_model: str = Field(default="local", description="Model name sent to the server at `url`.")

    context_tokens: int = Field(
        default=4096,
        description="Context window the local model starts with; the prompt gets what max_new_tokens leaves.",
    )
    max_new_tokens: int = Field(default=384, description="Longest generated answer, in tokens.")
    temperature: float = Field(
        default=0.1, description="Sampling temperature: low, so an answer keeps to its passages' wording."
    )
    threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        description="llama.cpp threads, for the prompt and for generation.",
        json_schema_extra={"readme_default": "CPU cores"},
    )
    prompt_passage_tokens: int = Field(
        default=1200,
        description="Passage tokens a generative prompt may carry (within the context): each costs prompt time.",
    )
    start_timeout_s: float = Field(
        default=180.0,
        description="Seconds the local model may take to start: seconds when idle, but under load on 2 cores it has "
        "taken a minute.",
    )


class UISettings(_Group):
    """The Gradio app. Loopback by default; any other bind address requires a login."""

    host: str = Field(
        default="127.0.0.1",
        description="Address the UI binds to: loopback by default; any other address requires a login.",
    )
    port: int = Field(default=7860, description="Port the UI listens on (Gradio's usual one).")
    username: str | None = Field(
        default=None, description="Login name; with the password, required on any address but loopback."
    )
    password: str | None = Field(default=None, description="Password of that login.")
    language: Literal["vi", "en"] = Field(
        default="vi", description="Language the UI opens in (`vi` or `en`); each user can switch."
    )
    concurrency: int = Field(default=2, description="Answers computed at once; more only queue on 2 cores.")
    # Memory and disk stay bounded however long the server runs (issue 11.12): a conversation keeps
    # its latest answers only, the server keeps the state of this many browser sessions (least
    # recently used dropped first), and temporary downloads and uploads are deleted after an hour.
    max_turns: int = Field(
        default=20,
        description="Answers a conversation keeps (chat, citation panels, follow-up context), so memory stays "
        "bounded however long a tab stays open.",
    )
    max_sessions: int = Field(
        default=100,
        description="Browser sessions whose state the server keeps, least recently used dropped first; ~1 MB each "
        "at max_turns.",
    )
    max_downloads: int = Field(default=20, description="Course builds whose .md/.docx files are kept on disk.")
    temp_max_age_s: int = Field(
        default=3600, description="Uploads and downloads older than this many seconds are deleted."
    )
    index_on_start: bool = Field(
        default=True,
        description="`serve` opens the page at once and indexes the collection in the background, official "
        "documents first; answers say the index is partial until it is done. Set false on all but one of several "
        "servers sharing one Chroma server.",
    )


class IngestSettings(_Group):
    """Limits that keep one ingest run bounded and recoverable."""

    max_file_mb: float = Field(
        default=20.0,
        description="Largest file ingested, in MB; bigger ones are refused with a message naming this setting. The "
        "collection's largest is 0.9 MB; a 30 MB text file would take hours to embed on 2 cores.",
    )
    window_chunks: int = Field(
        default=256,
        description="Chunks embedded and stored together: a crash loses at most one window of embedding work.",
    )
    max_unasked_removals: int = Field(
        default=5,
        description="Documents whose files are gone that one run may drop; more needs `ingest --prune`, so ingesting "
        "the wrong folder cannot silently empty the index.",
    )
    lock_wait_s: float = Field(
        default=3600.0,
        description="Seconds an ingest or upload waits for the one writing the same data dir (the background indexing "
        "at start, another process) before giving up; runs never overlap.",
    )


class Settings(BaseSettings):
    """Deployment settings. Paths default to the layout a fresh clone has."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    collection_path: Path = Field(
        default=REPO_ROOT.parent / "shared" / "corpus",
        description="The folder of documents `app.py ingest` indexes when given none.",
    )
    data_dir: Path = Field(
        default=REPO_ROOT / ".data", description="Where the Chroma store, keyword index, uploads and logs live."
    )
    model_cache: Path = Field(
        default_factory=lambda: _default_cache() / "models",
        description="Where `app.py setup` puts the models, outside the clone so that clones share them.",
        json_schema_extra={"readme_default": "`$XDG_CACHE_HOME/partydocs/models` (`~/.cache/…` when unset)"},
    )
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server (e.g. `http://127.0.0.1:8000`) instead of the store embedded in data_dir.",
    )
    collection_name: str = Field(
        default="partydocs", description="Prefix of the Chroma collections' names, so indexes can share a server."
    )

    embedding: EmbeddingSettings = Field(default=EmbeddingSettings(), description=EmbeddingSettings.__doc__)
    ingest: IngestSettings = Field(default=IngestSettings(), description=IngestSettings.__doc__)
    chunking: ChunkingSettings = Field(default=ChunkingSettings(), description=ChunkingSettings.__doc__)
    retrieval: RetrievalSettings = Field(default=RetrievalSettings(), description=RetrievalSettings.__doc__)
    answer: AnswerSettings = Field(default=AnswerSettings(), description=AnswerSettings.__doc__)
    support: SupportSettings = Field(default=SupportSettings(), description=SupportSettings.__doc__)
    exam: ExamSettings = Field(default=ExamSettings(), description=ExamSettings.__doc__)
    course: CourseSettings = Field(default=CourseSettings(), description=CourseSettings.__doc__)
    ui: UISettings = Field(default=UISettings(), description=UISettings.__doc__)
    generator: GeneratorSettings = Field(default=GeneratorSettings(), description=GeneratorSettings.__doc__)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_path(self) -> Path:
        return self.data_dir / "keyword"

    @property
    def uploads_path(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def embedding_model_dir(self) -> Path:
        return self.model_cache / self.embedding.name

    @property
    def generator_log_file(self) -> Path:
        """Where the local generator's child process writes (its crashes are explained there)."""
        return self.data_dir / "logs" / "generator.log"

    @property
    def generator_model_file(self) -> Path:
        return self.model_cache / f"{self.generator.name}.gguf"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments beat env vars, which beat the TOML file. pydantic refuses unknown keys
        # inside a group, but skips an env var that matches no field at all; checking both sources
        # here, before either is read, gives one message for every kind of misspelling.
        path = config_file()
        toml = TomlConfigSettingsSource(settings_cls, toml_file=path)
        refuse_unknown_keys(settings_cls, os.environ, toml.toml_data, path)
        return (init_settings, env_settings, toml)


class UnknownSettingsError(ValueError):
    """Keys that name no setting. A ValueError, so the CLI prints it as a one-line-per-key error."""


def _groups(settings_cls: type[BaseSettings]) -> dict[str, type[BaseModel] | None]:
    """Each top-level field: its group model, or None for a plain setting."""
    groups: dict[str, type[BaseModel] | None] = {}
    for name, field in settings_cls.model_fields.items():
        kind = field.annotation
        groups[name] = kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None
    return groups


def setting_keys(settings_cls: type[BaseSettings] = Settings) -> list[tuple[str, ...]]:
    """Every setting as its path of field names, in declaration order: ("retrieval", "k")."""
    keys: list[tuple[str, ...]] = []
    for name, group in _groups(settings_cls).items():
        keys.extend([(name,)] if group is None else [(name, sub) for sub in group.model_fields])
    return keys


def env_name(key: tuple[str, ...]) -> str:
    return ENV_PREFIX + "__".join(key).upper()


def unknown_env_names(settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> list[str]:
    """``PARTYDOCS_*`` variables that are neither a setting, a group (as JSON) nor in OTHER_ENV.

    pydantic-settings matches env names without regard to case, so this does too.
    """
    valid = _valid_env_names(settings_cls)
    return sorted(n for n in environ if n.upper().startswith(ENV_PREFIX) and n.upper() not in valid)


def _valid_env_names(settings_cls: type[BaseSettings]) -> set[str]:
    groups = {env_name((name,)) for name, group in _groups(settings_cls).items() if group is not None}
    return {env_name(key) for key in setting_keys(settings_cls)} | groups | OTHER_ENV


def unknown_toml_keys(settings_cls: type[BaseSettings], data: Mapping[str, object]) -> list[str]:
    """Dotted keys of the TOML data that name no setting: ``retrieval.refuse_beloww``, ``colection_path``.

    As pydantic-settings reads the file, top-level keys match in any case and keys in a table exactly.
    """
    groups = _groups(settings_cls)
    unknown: list[str] = []
    for key, value in data.items():
        group = groups.get(key.lower())
        if key.lower() not in groups:
            unknown.append(key)
        elif group is not None and isinstance(value, Mapping):  # a non-table is pydantic's error to report
            unknown.extend(f"{key}.{sub}" for sub in value if sub not in group.model_fields)
    return unknown


def refuse_unknown_keys(
    settings_cls: type[BaseSettings], environ: Mapping[str, str], toml: Mapping[str, object], path: Path
) -> None:
    """Raise UnknownSettingsError naming every unknown env var and TOML key, each with a suggestion."""
    env, keys = unknown_env_names(settings_cls, environ), unknown_toml_keys(settings_cls, toml)
    if not env and not keys:
        return
    valid_env = sorted(_valid_env_names(settings_cls))
    valid_toml = [".".join(key) for key in setting_keys(settings_cls)]
    lines = ["thiết lập không tồn tại / unknown setting:"]
    lines += [f"  {n} (biến môi trường / environment variable){_hint(n.upper(), valid_env)}" for n in env]
    lines += [f"  {key} ({path}){_hint(key, valid_toml)}" for key in keys]
    lines.append("  các thiết lập có / valid settings: README.md, Configuration (python -m settings)")
    raise UnknownSettingsError("\n".join(lines))


def _hint(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f"; có phải / did you mean {close[0]}?" if close else ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for the CLI; tests construct their own ``Settings``."""
    return Settings()


def setting_field(settings_cls: type[BaseSettings], key: tuple[str, ...]) -> FieldInfo:
    group = _groups(settings_cls)[key[0]]
    return settings_cls.model_fields[key[0]] if group is None else group.model_fields[key[1]]


def _shown_default(field: FieldInfo) -> str:
    """The default as the README shows it: paths relative to the clone, factories by their ``readme_default``."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "readme_default" in extra:
        return str(extra["readme_default"])
    if field.default_factory is not None:
        raise ValueError("a default computed at run time needs json_schema_extra={'readme_default': ...}")
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, Path):
        value = Path(os.path.relpath(value, REPO_ROOT)).as_posix()
    shown = str(value)
    return f"`{json.dumps(shown, ensure_ascii=False) if shown != shown.strip() else shown}`"


def settings_table(settings_cls: type[BaseSettings] = Settings) -> str:
    """The README's configuration table: every setting's env name, default and description."""
    rows = ["| env | default | description |", "|---|---|---|"]
    for key in setting_keys(settings_cls):
        field = setting_field(settings_cls, key)
        cells = (f"`{env_name(key)}`", _shown_default(field), field.description or "")
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


README = REPO_ROOT / "README.md"
_SECTION = "## Configuration\n"


def _table_span(readme: str) -> tuple[int, int]:
    """Where the table of the README's Configuration section starts and ends (character offsets)."""
    section = readme.index(_SECTION)
    end = readme.find("\n## ", section)
    lines = readme[section : len(readme) if end < 0 else end].splitlines(keepends=True)
    offsets = [section + sum(map(len, lines[:i])) for i in range(len(lines) + 1)]
    rows = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not rows:
        raise ValueError(f"README.md: no table under {_SECTION.strip()}")
    return offsets[rows[0]], offsets[rows[-1] + 1]


def readme_table(readme: str) -> str:
    start, end = _table_span(readme)
    return readme[start:end]


def with_table(readme: str, table: str) -> str:
    start, end = _table_span(readme)
    return readme[:start] + table + readme[end:]


if __name__ == "__main__":
    # python -m settings            print the configuration table
    # python -m settings --readme   write it into README.md's Configuration section
    if sys.argv[1:] == ["--readme"]:
        README.write_text(with_table(README.read_text(encoding="utf-8"), settings_table()), encoding="utf-8")
    elif sys.argv[1:]:
        sys.exit("usage: python -m settings [--readme]")
    else:
        print(settings_table(), end="")
