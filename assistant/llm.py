"""Generator clients: the local llama.cpp model or any OpenAI-compatible server, behind one interface.

The answer code only needs "stream text for these chat messages" and "how many tokens is this", so
that is the whole interface. Both generators speak the same protocol through one HTTP client: the
local model runs in a child process (``assistant.local_llm``), because llama.cpp is native code
and a crash there (SIGSEGV from a CPU kernel, an out-of-memory kill) must end only the generator,
never the UI serving every user. The HTTP client uses only the standard library: no extra
dependency for a 60-line protocol.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import logging
from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

from ingest.modelstore import GENERATOR, ModelSetupError, require_verified
from settings import Settings

logger = logging.getLogger(__name__)

# Bytes of UTF-8 per Qwen token, measured on QĐ 294 text (4.5 for Vietnamese, ~5.8 for English);
# a server gives us no tokenizer, so we under-estimate the ratio and never overflow its context.
_BYTES_PER_TOKEN_ESTIMATE = 3.0
_HTTP_TIMEOUT_S = 300.0
# What the local generator's child process imports: llama.cpp and its server's web stack.
_LOCAL_SERVER_MODULES = ("llama_cpp", "uvicorn", "sse_starlette", "starlette_context")


class GeneratorError(RuntimeError):
    """The generator failed mid-request; the message is shown to the user."""


class Generator(Protocol):
    """What answering needs from a language model."""

    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        """Yield the reply's text pieces as they are produced."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` occupies in the model's context (an upper estimate is acceptable)."""
        ...


class OpenAICompatibleGenerator:
    """A server speaking OpenAI's /v1/chat/completions with ``stream: true`` (SSE)."""

    def __init__(self, url: str, model: str, timeout: float = _HTTP_TIMEOUT_S, api_key: str | None = None) -> None:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Generator URL must be http(s)://host[:port][/v1], got {url!r}")
        self.name = f"{model}@{parts.hostname}"
        self._parts = parts
        self._base_path = parts.path if parts.path.endswith("/v1") else f"{parts.path}/v1"
        self._model = model
        self._timeout = timeout
        self._auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        body = {
            "model": self._model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        connection = self._connection()
        try:
            connection.request(
                "POST",
                f"{self._base_path}/chat/completions",
                body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json", "Accept": "text/event-stream", **self._auth},
            )
            response = connection.getresponse()
            if response.status != 200:
                detail = response.read(500).decode("utf-8", "replace")
                raise GeneratorError(f"{self.name}: HTTP {response.status}: {detail}")
            yield from _sse_content(response)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a malformed event
            raise GeneratorError(f"{self.name}: {exc}") from exc
        finally:
            connection.close()

    def count_tokens(self, text: str) -> int:
        return int(len(text.encode("utf-8")) / _BYTES_PER_TOKEN_ESTIMATE) + 1

    def models(self) -> list[str]:
        """Model ids the server lists; also the cheap reachability probe for the status line."""
        payload = self.request_json("GET", "/models", timeout=3.0)
        return [str(m.get("id", "")) for m in payload.get("data", [])]

    def request_json(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """One JSON request below the API root (``/models``; llama.cpp's ``/extras/...`` beside it)."""
        root = self._base_path if not path.startswith("/extras") else self._base_path.removesuffix("/v1")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {**self._auth, **({"Content-Type": "application/json"} if data else {})}
        connection = self._connection(timeout=timeout)
        try:
            connection.request(method, f"{root}{path}", body=data, headers=headers)
            response = connection.getresponse()
            payload = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        if response.status != 200:
            raise GeneratorError(f"{self.name}: HTTP {response.status}")
        return payload

    def _connection(self, timeout: float | None = None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname or "", self._parts.port, timeout=timeout or self._timeout)


def _sse_content(response: http.client.HTTPResponse) -> Iterator[str]:
    """Content deltas from an SSE body: ``data: {json}`` events until ``data: [DONE]``.

    Lines are read as bytes and decoded per event, so a multi-byte Vietnamese character is never
    split; comments (": ping") and other fields are ignored as the SSE spec says. A body that ends
    without ``[DONE]`` is an error: the server died mid-answer, and a cut-off draft must not pass
    as a complete one.
    """
    for raw in response:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event: dict[str, Any] = json.loads(data)
        if "error" in event:
            raise GeneratorError(str(event["error"]))
        for choice in event.get("choices", []):
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                yield piece
    raise GeneratorError("stream ended before [DONE] / luồng trả lời bị cắt giữa chừng")


def generator_status(settings: Settings) -> tuple[bool, str]:
    """Whether answers can be generated, and a bilingual reason the UI shows when they cannot.

    For the local model nothing native is loaded here: the check only finds the server package and
    the verified model file, so the app's own process never runs llama.cpp code.
    """
    config = settings.generator
    if config.url:
        try:
            OpenAICompatibleGenerator(config.url, config.api_model).models()
        except (OSError, ValueError, GeneratorError, http.client.HTTPException) as exc:
            return False, f"Không kết nối được máy chủ mô hình / Generator server unreachable at {config.url}: {exc}"
        return True, f"Máy chủ mô hình / generator server: {config.url} ({config.api_model})"
    missing = [name for name in _LOCAL_SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return False, (
            "Chưa cài llama-cpp-python[server] / llama-cpp-python[server] is not installed "
            f"(missing {', '.join(missing)}): run `make generator`, "
            "or set PARTYDOCS_GENERATOR__URL to an OpenAI-compatible server."
        )
    try:
        path = require_verified(settings.generator_model_file, GENERATOR)
    except ModelSetupError as exc:
        return False, str(exc)
    return True, f"Mô hình cục bộ / local model: {path.name}"


def make_generator(settings: Settings) -> tuple[Generator | None, str]:
    """The configured generator with ``generator_status``'s description, checked once here (a server
    generator's check is an HTTP round trip); None and the bilingual reason when it is unavailable.

    The local model's supervisor is one per process and model (see ``local_llm``), so chat, course
    building and a second ``Assistant`` share one child process.
    """
    available, reason = generator_status(settings)
    if not available:
        logger.info("no generator: %s", reason)
        return None, reason
    config = settings.generator
    if config.url:
        return OpenAICompatibleGenerator(config.url, config.api_model), reason
    from assistant.local_llm import local_generator  # it builds on this module's client

    return local_generator(settings.generator_model_file, config, settings.generator_log_file), reason
