"""The local GGUF model, served out of process by llama-cpp-python's OpenAI-compatible server.

llama.cpp is native code: on an Intel host with AMX a natively built ggml died with SIGSEGV on
every generation, and a 1.1 GB model can be killed for memory. Run in the UI's process, either
ends the app for every user. So the model lives in a child process that speaks the same protocol
as a remote generator, and the parent keeps one code path (``OpenAICompatibleGenerator``):

- the child binds loopback only, on a port chosen at start, and requires a random API key (passed
  in its environment, not on the command line), so no other local user can drive it;
- it dies with its parent (``PR_SET_PDEATHSIG``), so a killed app leaves no 1 GB orphan;
- if it dies, the request in flight fails with ``GeneratorCrashed`` (the chain answers
  extractively and says why) and the next request starts a new child;
- llama.cpp keeps the processed prefix of the last prompt, so a Vietnamese answer prompt reuses the
  instructions the previous one processed; start-up primes them, so the first question does too.
  (llama-cpp-python's RAM prompt cache, which would keep both languages' instructions, is not
  used: it copies the whole logits buffer, ~300 MB for this vocabulary, with every saved state.)

Run as ``python -m assistant.local_llm`` it is the child: it arms the parent-death signal and hands
over to ``llama_cpp.server``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import http.client
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from assistant.llm import GeneratorError, OpenAICompatibleGenerator
from ingest.modelstore import ModelSetupError
from prompts.answer import answer_messages
from settings import GeneratorSettings, Settings

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_MODEL_ALIAS = "local"
_PR_SET_PDEATHSIG = 1
_PARENT_ENV = "PARTYDOCS_GENERATOR_PARENT"


class GeneratorCrashed(GeneratorError):
    """The generator process died; the message says how, in both languages."""


class LocalServerGenerator:
    """Supervises one llama.cpp server child and streams through it.

    Starting is lazy (the first request pays the model load, seconds) and restarting is automatic:
    whatever killed the last child, the next request gets a fresh one. ``primers`` are chat
    prompts whose prefix real prompts share; they run once per start (a few tokens each), which is
    both the smoke test and what leaves that prefix processed in the model's context.
    """

    def __init__(
        self,
        model_path: Path,
        config: GeneratorSettings,
        log_path: Path,
        primers: Sequence[list[dict[str, str]]] = (),
    ) -> None:
        self.name = model_path.stem
        self.model_path = model_path
        self.config = config
        self.log_path = log_path
        self.primers = list(primers)
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._client: OpenAICompatibleGenerator | None = None
        self._lock = threading.Lock()
        atexit.register(self.stop)

    # --- the Generator interface ----------------------------------------------------------------
    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        client = self.ensure_running()
        try:
            yield from client.stream(messages, max_tokens, temperature)
        except GeneratorError as exc:
            raise self._crash_or(exc) from exc

    def count_tokens(self, text: str) -> int:
        return self._count_tokens(text)

    @lru_cache(maxsize=4096)  # noqa: B019 - one supervisor per process; context fitting asks for the same texts
    def _count_tokens(self, text: str) -> int:
        client = self.ensure_running()
        try:
            payload = client.request_json("POST", "/extras/tokenize/count", {"input": text, "model": _MODEL_ALIAS})
        except (OSError, http.client.HTTPException, GeneratorError) as exc:
            raise self._crash_or(exc) from exc
        return int(payload["count"])

    # --- the child process ----------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The running child's process id (None when there is none): for tests and the status line."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def ensure_running(self) -> OpenAICompatibleGenerator:
        """The client of a live, primed child, starting one if there is none (or the last one died)."""
        with self._lock:
            if self._client is None or self.pid is None:
                self._start()
            assert self._client is not None
            return self._client

    def stop(self) -> None:
        """End the child (SIGTERM, then SIGKILL after 5 s); safe to call twice."""
        process, self._process, self._client = self._process, None, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _start(self) -> None:
        self.stop()
        port = _free_loopback_port()
        api_key = secrets.token_urlsafe(24)
        command = [
            sys.executable, "-m", "assistant.local_llm",
            "--model", str(self.model_path), "--model_alias", _MODEL_ALIAS,
            "--host", LOOPBACK, "--port", str(port),
            "--n_ctx", str(self.config.context_tokens),
            "--n_threads", str(self.config.threads), "--n_threads_batch", str(self.config.threads),
            # Queue a second user's request instead of cutting off the answer being streamed.
            "--interrupt_requests", "false",
            "--verbose", "false",
        ]  # fmt: skip
        environment = {**os.environ, "API_KEY": api_key, _PARENT_ENV: str(os.getpid())}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(command)}\n".encode())
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        self.starts += 1
        started = time.monotonic()
        logger.info(
            "generator %s starting (pid %d, port %d, start %d)", self.name, self._process.pid, port, self.starts
        )
        client = OpenAICompatibleGenerator(f"http://{LOOPBACK}:{port}/v1", _MODEL_ALIAS, api_key=api_key)
        client.name = self.name
        self._wait_until_ready(client)
        for messages in self.primers:
            try:
                for _ in client.stream(messages, max_tokens=2, temperature=0.0):
                    pass
            except GeneratorError as exc:
                raise self._crash_or(exc) from exc
        self._client = client
        logger.info("generator %s ready in %.1f s", self.name, time.monotonic() - started)

    def _wait_until_ready(self, client: OpenAICompatibleGenerator) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise self._crash_or(GeneratorError("exited while loading the model"))
            with contextlib.suppress(OSError, http.client.HTTPException, GeneratorError, ValueError):
                client.models()
                return
            time.sleep(0.2)
        self.stop()
        logger.error(
            "generator %s did not start within %.0f s; see %s", self.name, self.config.start_timeout_s, self.log_path
        )
        raise GeneratorError(
            f"Mô hình sinh không khởi động trong {self.config.start_timeout_s:.0f} s / the generator did not start "
            f"within {self.config.start_timeout_s:.0f} s; see {self.log_path}"
        )

    def _crash_or(self, error: Exception) -> GeneratorError:
        """``GeneratorCrashed`` naming how the child ended, if it did; otherwise ``error`` as it is.

        A dropped connection reaches us a moment before the kernel reaps the child, so a failed
        request waits briefly for the exit status before calling it anything else.
        """
        process = self._process
        as_is = error if isinstance(error, GeneratorError) else GeneratorError(str(error))
        if process is None:
            return as_is
        try:
            code = process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return as_is
        self._process, self._client = None, None
        how = describe_exit(code)
        logger.error(
            "generator %s (pid %d) stopped: %s; its output is in %s", self.name, process.pid, how, self.log_path
        )
        return GeneratorCrashed(
            f"Mô hình sinh đã dừng đột ngột ({how}); câu hỏi sinh tiếp theo sẽ khởi động lại nó. / "
            f"The generator process stopped unexpectedly ({how}); the next generative question restarts it. "
            f"Log: {self.log_path}"
        )


_SUPERVISORS: dict[tuple[Path, str], LocalServerGenerator] = {}
_SUPERVISORS_LOCK = threading.Lock()


def local_generator(model_path: Path, config: GeneratorSettings, log_path: Path) -> LocalServerGenerator:
    """One supervisor (so one child, one copy of the model) per process and model configuration,
    primed with the Vietnamese answer prompt's instructions; the first caller's ``log_path`` is kept."""
    key = (model_path, config.model_dump_json())
    with _SUPERVISORS_LOCK:
        if key not in _SUPERVISORS:
            _SUPERVISORS[key] = LocalServerGenerator(model_path, config, log_path, [answer_messages("", [], "vi")])
        return _SUPERVISORS[key]


def smoke_test(settings: Settings) -> str:
    """Start the local generator, generate a few tokens, stop it; the text, or a ``ModelSetupError``.

    Setup ends with this so that a build that cannot run on this CPU fails at ``make generator``,
    with its likely cause named, instead of at a user's first generative question.
    """
    generator = local_generator(settings.generator_model_file, settings.generator, settings.generator_log_file)
    try:
        return "".join(generator.stream([{"role": "user", "content": "Xin chào"}], max_tokens=4, temperature=0.0))
    except GeneratorError as exc:
        raise ModelSetupError(
            f"Mô hình sinh không chạy được trên máy này / The generator cannot run on this machine: {exc}. "
            "Nguyên nhân thường gặp / likely cause: llama-cpp-python was built for another CPU or with host-specific "
            "kernels (e.g. ggml's AMX kernel on an Intel Xeon, which crashes). Rebuild the portable wheel: "
            "`rm -f .venv/.llama-installed && make generator`."
        ) from exc
    finally:
        generator.stop()


def describe_exit(code: int) -> str:
    """A child's exit status in words: the signal's name, which says what kind of failure it was."""
    if code >= 0:
        return f"exit code {code}"
    name = signal.Signals(-code).name
    hint = {"SIGSEGV": "native crash", "SIGKILL": "killed, e.g. out of memory", "SIGABRT": "native abort"}
    return f"{name}, {hint[name]}" if name in hint else name


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _child_main() -> None:
    """Die with the parent, then become llama-cpp-python's server (its own argument parsing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if str(os.getppid()) != os.environ.get(_PARENT_ENV):  # the parent died before the signal was armed
        sys.exit(0)
    from llama_cpp.server.__main__ import main

    main()


if __name__ == "__main__":
    _child_main()
