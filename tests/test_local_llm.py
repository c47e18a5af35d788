"""The local generator: a portable build, a child process on loopback, and crashes that stay contained.

Everything here runs the real model in the real child process (``python -m assistant.local_llm``)
and kills it for real (SIGKILL, as the kernel's out-of-memory killer or ``kill -9`` does). The kill
is sent at a chosen moment, the first streamed piece of an answer, because a timed kill would land
before or after the stream as often as inside it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.chain import Assistant
from assistant.llm import make_generator
from assistant.local_llm import LOOPBACK, GeneratorCrashed, LocalServerGenerator, describe_exit, smoke_test
from ingest.embedder import Embedder
from ingest.modelstore import ModelSetupError
from settings import Settings

pytestmark = pytest.mark.generator

QUESTION = "Thời hạn tổ chức lễ kết nạp đảng viên là bao lâu?"
# A prompt the model answers at length, so a kill after the first piece lands mid-stream.
COUNTING = [{"role": "user", "content": "Hãy đếm từ 1 đến 300, mỗi số trên một dòng."}]


@pytest.fixture(scope="module")
def local() -> LocalServerGenerator:
    generator, reason = make_generator(Settings())
    assert isinstance(generator, LocalServerGenerator), f"`make test` sets up the local generator: {reason}"
    return generator


def kill_after_first_piece(generator: LocalServerGenerator, stream: Iterator[str]) -> Iterator[str]:
    """Pass ``stream`` through, SIGKILLing the child as soon as the first piece has arrived."""
    for n, piece in enumerate(stream):
        if n == 0:
            assert generator.pid is not None
            os.kill(generator.pid, signal.SIGKILL)
        yield piece


# --- the build ----------------------------------------------------------------------------------


def test_the_installed_llama_cpp_is_the_portable_build() -> None:
    """No host-specific kernel may be compiled in: the AMX one crashed on Intel Xeon hosts."""
    import llama_cpp

    libraries = list(Path(llama_cpp.__file__).parent.rglob("libggml-cpu*.so*"))
    assert libraries, "libggml-cpu not found beside llama_cpp"
    for library in libraries:
        dynamic = subprocess.run(["nm", "-D", str(library)], capture_output=True, text=True, check=True).stdout
        assert "ggml_backend_amx_mul_mat" not in dynamic, f"{library} carries the AMX kernel"
    # What ggml reports it was compiled with, in a child so this process never loads native code.
    probe = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    info = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "AVX2 = 1" in info and "FMA = 1" in info, info
    assert "AVX512" not in info and "AMX" not in info, info
    flags = Path(sys.prefix, ".llama-cmake-args").read_text()
    assert "-DGGML_NATIVE=OFF" in flags and "-DGGML_AMX_INT8=OFF" in flags and "-DGGML_AVX512=OFF" in flags


# --- the child process --------------------------------------------------------------------------


def _listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket ``pid`` listens on, from /proc (IPv4 and IPv6)."""
    inodes = {
        match.group(1)
        for fd in Path(f"/proc/{pid}/fd").iterdir()
        if (match := re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd)))
    }
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                raw = bytes.fromhex(address)  # host-order 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                ip = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)
                found.append((ip, int(port, 16)))
    return found


def test_the_child_listens_on_loopback_only_and_needs_its_key(local: LocalServerGenerator) -> None:
    client = local.ensure_running()
    assert local.pid is not None
    listening = _listening_addresses(local.pid)
    assert listening and all(address == LOOPBACK for address, _ in listening), listening
    # Without the per-start key the server answers nobody, not even on loopback.
    import http.client

    port = listening[0][1]
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    connection.request("GET", "/v1/models")
    assert connection.getresponse().status == 401
    assert client.models() == ["local"]
    # The key travels in the child's environment, never on its command line (which `ps` shows anyone).
    assert "API_KEY" not in Path(f"/proc/{local.pid}/cmdline").read_text()


def test_a_killed_child_fails_the_answer_in_flight_and_the_next_one_restarts_it(local: LocalServerGenerator) -> None:
    local.ensure_running()
    first_pid, starts = local.pid, local.starts
    pieces: list[str] = []
    with pytest.raises(GeneratorCrashed) as crashed:
        pieces.extend(kill_after_first_piece(local, local.stream(COUNTING, max_tokens=600, temperature=0.0)))
    assert pieces, "the kill must land mid-stream"
    message = str(crashed.value)
    assert "SIGKILL" in message and "dừng đột ngột" in message and "stopped unexpectedly" in message
    assert local.pid is None
    # The next request starts a new child and is answered.
    reply = "".join(local.stream([{"role": "user", "content": "Xin chào"}], max_tokens=8, temperature=0.0))
    assert reply.strip() and local.starts == starts + 1 and local.pid not in (None, first_pid)


def test_setup_smoke_generation_fails_with_the_likely_cause(tmp_path: Path) -> None:
    """A model the child cannot run ends setup with a message that says what to do, not a traceback."""
    settings = Settings(model_cache=tmp_path / "models", data_dir=tmp_path / "data")
    settings.model_cache.mkdir()
    settings.generator_model_file.write_bytes(b"GGUF" + b"\0" * 1024)  # a header and nothing after it
    with pytest.raises(ModelSetupError) as failed:
        smoke_test(settings)
    message = str(failed.value)
    assert "The generator cannot run on this machine" in message and "make generator" in message
    assert "exit code" in message or "SIG" in message
    assert settings.generator_log_file.read_text().strip()  # the child's own words are kept


def test_exit_statuses_are_described_by_their_signal() -> None:
    assert describe_exit(-signal.SIGSEGV) == "SIGSEGV, native crash"
    assert describe_exit(-signal.SIGKILL) == "SIGKILL, killed, e.g. out of memory"
    assert describe_exit(3) == "exit code 3"


def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    """A parent killed with -9 runs no cleanup; the child's parent-death signal still ends it."""
    script = (
        "import ingest, sys, time\n"
        "from assistant.llm import make_generator\n"
        "from settings import Settings\n"
        "g, _ = make_generator(Settings())\n"
        "g.ensure_running()\n"
        "print(g.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path.cwd())
    try:
        child = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert Path(f"/proc/{child}").exists()
    finally:
        parent.kill()
        parent.wait()
    for _ in range(100):
        if not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break
        subprocess.run(["sleep", "0.1"], check=True)
    else:
        pytest.fail(f"the generator child {child} outlived its parent")


# --- the chain: a crash becomes an extractive answer with a note ---------------------------------


def test_a_crash_mid_answer_gives_the_extractive_answer_with_a_note_then_generation_resumes(
    subset_settings: Settings, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    shutil.copytree(subset_settings.data_dir, data)
    assistant = Assistant(subset_settings.model_copy(update={"data_dir": data}), embedder)
    generator, reason = assistant.generator()
    assert isinstance(generator, LocalServerGenerator), reason
    real_stream = LocalServerGenerator.stream
    monkeypatch.setattr(
        LocalServerGenerator,
        "stream",
        lambda self, *args, **kwargs: kill_after_first_piece(self, real_stream(self, *args, **kwargs)),
    )
    crashed = assistant.ask(QUESTION, mode="generative")
    monkeypatch.undo()
    assert crashed.mode == "extractive" and not crashed.refused
    assert any("Mô hình sinh gặp lỗi" in note and "SIGKILL" in note for note in crashed.notes), crashed.notes
    assert "SIGKILL" in crashed.answer and "30 ngày" in crashed.answer and crashed.citations

    resumed = assistant.ask(QUESTION, mode="generative")
    assert resumed.mode == "generative" and "30 ngày" in resumed.answer, resumed.answer
    assert generator.pid is not None
