"""The one typed settings object.

Every tunable lives here so that a deployment is described by one file (``partydocs.toml``, or the
file named by ``PARTYDOCS_CONFIG``) plus ``PARTYDOCS_*`` environment variables, and tests build a
``Settings`` with temporary paths instead of patching constants. Nested groups use ``__`` in env
names, e.g. ``PARTYDOCS_EMBEDDING__DTYPE=float32``.

A key that names no setting, in the environment or in the file, is refused when ``Settings`` is
built (``UnknownSettingsError`` names it and the closest real key): a misspelt threshold would
otherwise be ignored without a word and the default would run instead.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
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

    name: str = "embeddinggemma-300m"
    # bf16 measured ~2x faster than fp32 on this CPU with the same ranking (bench/ingest.py).
    dtype: Literal["bfloat16", "float32"] = "bfloat16"
    batch_size: int = 16
    query_prompt: str = "task: search result | query: "
    # EmbeddingGemma's document prompt has a title slot; we fill it with the document title.
    document_prompt: str = "title: {title} | text: "
    threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    # Threads that run the model. torch keeps state per calling thread (oneDNN scratchpads and
    # primitive caches, OpenMP teams), so a server whose thread pool hands each request to any of
    # 40 threads grew without bound; a fixed pair plateaus (bench/results/load.md).
    workers: int = Field(default=2, ge=1)


class ChunkingSettings(_Group):
    """Bounds in the embedding model's tokens, so no chunk is truncated at embedding time."""

    max_tokens: int = 320
    # Sibling points smaller than this are merged with their neighbours under the same parent.
    min_tokens: int = 40


class RetrievalSettings(_Group):
    """Hybrid search and the evidence bar below which the assistant refuses."""

    k: int = 10  # passages returned (and shown as "retrieved")
    answer_passages: int = 5  # passages the answer may draw on
    # Top cosine below this means the collection does not hold the answer. Cross-lingual cosines
    # run lower, so English questions get their own bar. Calibrated on eval/questions/dev.jsonl:
    # Vietnamese answerable >= 0.454 vs off-topic <= 0.424; English answerable >= 0.343 vs <= 0.323.
    refuse_below: float = 0.44
    refuse_below_en: float = 0.33
    # Evidence that is on topic can still lack the question's point ("the minimum time a rotated
    # cadre serves" next to rules on rotation). Below this share of the question's focus weight in
    # the best unit of evidence (assistant.evidence), the answer says the collection does not hold
    # it. Calibrated by eval/answerability.py (leave one document out; see eval/reports/answerability).
    min_focus: float = 0.45
    # The keyword bonus at a query's best BM25 match, in cosine units (assistant.fusion): small, so
    # exact terms reorder passages of similar meaning without outvoting meaning. BM25 over English
    # words against Vietnamese text is mostly noise (dev hit@5 0.19 alone; glossary terms still
    # count), so English questions get less. Chosen by 5-fold cross-validation (eval/fusion.py).
    keyword_weight: float = Field(default=0.05, ge=0)
    keyword_weight_en: float = Field(default=0.02, ge=0)
    # Longest question (characters, after cleaning) accepted by the CLI and the UI. The longest dev
    # question has 147; a pasted rule of a few sentences fits, while a whole pasted page only blurs
    # the query embedding and matches every BM25 term, and would reach the parsers unbounded.
    max_question_chars: int = Field(default=1000, gt=0)


class GeneratorSettings(_Group):
    """The local llama.cpp model, or any OpenAI-compatible server when ``url`` is set."""

    name: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    url: str | None = None
    api_model: str = "local"
    context_tokens: int = 4096
    max_new_tokens: int = 384
    temperature: float = 0.1
    threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    # Passage tokens a generative prompt may carry (within the context): each costs prompt time.
    prompt_passage_tokens: int = 1200
    # Loading the 1.1 GB model takes seconds idle; under load on 2 cores it has taken a minute.
    start_timeout_s: float = 180.0


class UISettings(_Group):
    """The Gradio app. Loopback by default; any other bind address requires a login."""

    host: str = "127.0.0.1"
    port: int = 7860
    username: str | None = None
    password: str | None = None
    language: Literal["vi", "en"] = "vi"
    concurrency: int = 2  # answers computed at once; more only queue on 2 cores
    # Memory and disk stay bounded however long the server runs (issue 11.12): a conversation keeps
    # its latest answers only, the server keeps the state of this many browser sessions (least
    # recently used dropped first), and temporary downloads and uploads are deleted after an hour.
    max_turns: int = 20  # answers a conversation keeps: chat, citation panels and follow-up context
    max_sessions: int = 100  # sessions whose state is kept; ~1 MB each at max_turns
    max_downloads: int = 20  # course builds whose .md/.docx files are kept on disk
    temp_max_age_s: int = 3600  # uploads and downloads older than this are deleted


class IngestSettings(_Group):
    """Limits that keep one ingest run bounded and recoverable."""

    # A 30 MB text file would take hours to embed on 2 cores; the collection's largest file is
    # 0.9 MB. Bigger files are refused with a message naming this setting.
    max_file_mb: float = 20.0
    # Chunks embedded and stored together; a crash loses at most one window of embedding work.
    window_chunks: int = 256
    # A run may drop this many documents whose files are gone; more needs ``ingest --prune``,
    # so ingesting the wrong folder cannot silently empty the index.
    max_unasked_removals: int = 5


class Settings(BaseSettings):
    """Deployment settings. Paths default to the layout a fresh clone has."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    collection_path: Path = REPO_ROOT.parent / "shared" / "corpus"
    data_dir: Path = REPO_ROOT / ".data"  # Chroma store, keyword index, upload area
    model_cache: Path = Field(default_factory=lambda: _default_cache() / "models")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 selects a Chroma server
    collection_name: str = "partydocs"

    embedding: EmbeddingSettings = EmbeddingSettings()
    ingest: IngestSettings = IngestSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    ui: UISettings = UISettings()
    generator: GeneratorSettings = GeneratorSettings()

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
    lines.append("  các thiết lập có / valid settings: README.md, Configuration (python -m ingest.settings)")
    raise UnknownSettingsError("\n".join(lines))


def _hint(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f"; có phải / did you mean {close[0]}?" if close else ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for the CLI; tests construct their own ``Settings``."""
    return Settings()
