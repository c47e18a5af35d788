"""Settings: unknown keys are refused by name, from the environment and from the TOML file alike."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import (
    OTHER_ENV,
    README,
    REPO_ROOT,
    Settings,
    UnknownSettingsError,
    readme_table,
    setting_field,
    setting_keys,
    settings_table,
    unknown_env_names,
    with_table,
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TOML file of the test's own (not yet written), and no PARTYDOCS_* variables but the one naming it."""
    for name in list(os.environ):
        if name.upper().startswith("PARTYDOCS_"):
            monkeypatch.delenv(name)
    path = tmp_path / "partydocs.toml"
    monkeypatch.setenv("PARTYDOCS_CONFIG", str(path))
    return path


def refusal(**env: str) -> str:
    """The message Settings() refuses with, given these extra environment variables."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with pytest.raises(UnknownSettingsError) as refused:
            Settings()
    return str(refused.value)


def test_misspelt_nested_env_var_is_refused_by_name(config: Path) -> None:
    message = refusal(PARTYDOCS_RETRIEVAL__REFUSE_BELOWW="0.5")
    assert "PARTYDOCS_RETRIEVAL__REFUSE_BELOWW (biến môi trường / environment variable)" in message
    assert "did you mean PARTYDOCS_RETRIEVAL__REFUSE_BELOW?" in message
    assert message.startswith("thiết lập không tồn tại / unknown setting:")


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("PARTYDOCS_DATA_DIRR", "PARTYDOCS_DATA_DIR"),  # top level: pydantic-settings alone skips these
        ("PARTYDOCS_RETRIVAL__K", "PARTYDOCS_RETRIEVAL__K"),  # the group misspelt
        ("partydocs_retrieval__refuse_beloww", "PARTYDOCS_RETRIEVAL__REFUSE_BELOW"),  # env names match in any case
        ("PARTYDOCS_REFUSE_BELOW", "PARTYDOCS_RETRIEVAL__REFUSE_BELOW"),  # the group left out
        ("PARTYDOCS_CONFG", "PARTYDOCS_CONFIG"),
    ],
)
def test_other_unknown_env_vars_are_refused_with_the_closest_key(config: Path, name: str, meant: str) -> None:
    message = refusal(**{name: "1"})
    assert f"  {name} (biến môi trường" in message
    assert f"did you mean {meant}?" in message


def test_every_unknown_key_is_named_at_once(config: Path) -> None:
    config.write_text('colection_path = "/tmp/x"\n[ui]\nprot = 8000\n', encoding="utf-8")
    message = refusal(PARTYDOCS_EMBEDDING__DTYP="float32", PARTYDOCS_UI__HOSTS="0.0.0.0")
    named = [line.split()[0] for line in message.splitlines()[1:-1]]
    assert named == ["PARTYDOCS_EMBEDDING__DTYP", "PARTYDOCS_UI__HOSTS", "colection_path", "ui.prot"]


def test_misspelt_toml_keys_are_refused_by_name_and_file(config: Path) -> None:
    config.write_text("[retrieval]\nrefuse_beloww = 0.5\n", encoding="utf-8")
    message = refusal()
    assert f"  retrieval.refuse_beloww ({config}); có phải / did you mean retrieval.refuse_below?" in message

    config.write_text('data_dirr = "/tmp/x"\n', encoding="utf-8")
    assert f"  data_dirr ({config}); có phải / did you mean data_dir?" in refusal()

    config.write_text("[retrival]\nk = 3\n", encoding="utf-8")
    assert f"  retrival ({config}); có phải / did you mean " in refusal()


def test_valid_env_and_toml_still_load(config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[retrieval]\nrefuse_below = 0.5\nk = 7\n[ui]\nport = 8001\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PARTYDOCS_RETRIEVAL__K", "3")  # the environment beats the file
    monkeypatch.setenv("PARTYDOCS_EMBEDDING__DTYPE", "float32")
    monkeypatch.setenv("PARTYDOCS_GENERATOR", '{"temperature": 0.0}')  # a whole group as JSON
    monkeypatch.setenv("PARTYDOCS_CRASH_AT", "3")  # not a setting, but a PARTYDOCS_ name the code reads
    settings = Settings()
    assert settings.data_dir == tmp_path / "data"
    assert (settings.retrieval.refuse_below, settings.retrieval.k, settings.ui.port) == (0.5, 3, 8001)
    assert settings.retrieval.answer_passages == 5  # the rest of a group keeps its defaults
    assert (settings.embedding.dtype, settings.generator.temperature) == ("float32", 0.0)


def test_unknown_keys_in_code_and_in_a_json_group_fail_too(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="data_dirr"):
        Settings(data_dirr="/tmp/x")  # type: ignore[call-arg]
    monkeypatch.setenv("PARTYDOCS_RETRIEVAL", '{"refuse_beloww": 0.5}')
    with pytest.raises(ValidationError, match=r"retrieval\.refuse_beloww"):
        Settings()


def test_the_cli_stops_at_start_up_naming_the_key(config: Path) -> None:
    env = {**os.environ, "PARTYDOCS_RETRIEVAL__REFUSE_BELOWW": "0.5"}
    run = subprocess.run(
        [sys.executable, "app.py", "stats"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("Lỗi / Error: thiết lập không tồn tại / unknown setting:\n")
    assert "PARTYDOCS_RETRIEVAL__REFUSE_BELOWW" in run.stderr


def _written_sources() -> list[Path]:
    """Where PARTYDOCS_ names are written down: code, docs, the build (not this file's misspellings)."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(REPO_ROOT):
        subfolders[:] = [name for name in subfolders if name == ".ci" or not name.startswith((".", "__"))]
        found.extend(Path(folder) / name for name in names if name.endswith((".py", ".md", ".toml")))
        found.extend(Path(folder) / name for name in names if name == "Makefile" or folder.endswith(".ci"))
    return [path for path in found if path != Path(__file__).resolve()]


def test_every_partydocs_name_the_repo_uses_is_accepted() -> None:
    used: dict[str, Path] = {}
    for path in _written_sources():
        # A name followed by * or … is a pattern (PARTYDOCS_UI__*), not a variable.
        for name in re.findall(r"PARTYDOCS_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*…])", path.read_text(encoding="utf-8")):
            used.setdefault(name, path)
    assert "PARTYDOCS_RETRIEVAL__REFUSE_BELOW" in used  # the search itself works
    refused = unknown_env_names(Settings, dict.fromkeys(used, ""))
    assert {name: str(used[name]) for name in refused} == {}
    assert OTHER_ENV - set(used) == set()  # and OTHER_ENV lists no name that nothing reads any more


def test_every_setting_and_group_has_a_description() -> None:
    missing = [".".join(key) for key in setting_keys() if not setting_field(Settings, key).description]
    missing += [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_the_readme_table_is_the_settings_model() -> None:
    readme = README.read_text(encoding="utf-8")
    table = readme_table(readme)
    assert table == settings_table(), "run: .venv/bin/python -m settings --readme"
    assert len(table.splitlines()) == len(setting_keys()) + 2  # a header, a rule, a row per setting
    section = readme[readme.index("## Configuration") :]
    assert section.index(table) < section.index("\n## ")  # the table is the Configuration section's own


def test_the_table_shows_defaults_as_a_deployment_writes_them() -> None:
    rows = {row.split(" | ")[0].strip("| `"): row.split(" | ")[1] for row in settings_table().splitlines()[2:]}
    assert rows["PARTYDOCS_RETRIEVAL__REFUSE_BELOW"] == "`0.44`"
    assert rows["PARTYDOCS_DATA_DIR"] == "`.data`"  # relative to the clone, not this machine's path
    assert rows["PARTYDOCS_COLLECTION_PATH"] == "`../shared/corpus`"
    assert rows["PARTYDOCS_UI__USERNAME"] == "unset"
    assert rows["PARTYDOCS_EMBEDDING__THREADS"] == "CPU cores"  # computed at run time, so described
    assert rows["PARTYDOCS_EMBEDDING__QUERY_PROMPT"] == '`"task: search result \\| query: "`'  # space kept, | escaped


def test_the_readme_table_can_be_rewritten_in_place() -> None:
    readme = README.read_text(encoding="utf-8")
    old = "| env | default | description |\n|---|---|---|\n| `PARTYDOCS_OLD` | `1` | gone |\n"
    stale = with_table(readme, old)
    before, table, after = readme.partition(readme_table(readme))
    assert stale == before + old + after  # only the table changes
    assert with_table(stale, table) == readme
