"""Generator clients: the local llama.cpp model or any OpenAI-compatible server, behind one interface.

The answer code only needs "stream text for these chat messages" and "how many tokens is this", so
that is the whole interface. The local model is loaded once per process (loading takes seconds and
~1.2 GB) and guarded by a lock, because a llama.cpp context cannot serve two requests at once. The
HTTP client uses only the standard library: no extra dependency for a 60-line protocol.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ingest.modelstore import GENERATOR, ModelSetupError, require_verified
from ingest.settings import Settings

# Bytes of UTF-8 per Qwen token, measured on QĐ 294 text (4.5 for Vietnamese, ~5.8 for English);
# a server gives us no tokenizer, so we under-estimate the ratio and never overflow its context.
_BYTES_PER_TOKEN_ESTIMATE = 3.0
_HTTP_TIMEOUT_S = 300.0


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


class LlamaCppGenerator:
    """The local GGUF model through llama-cpp-python."""

    def __init__(self, model_path: Path, context_tokens: int, threads: int) -> None:
        import llama_cpp

        self.name = model_path.stem
        self._llama = llama_cpp.Llama(
            model_path=str(model_path), n_ctx=context_tokens, n_threads=threads, verbose=False
        )
        self._lock = threading.Lock()

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> Iterator[str]:
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))


class OpenAICompatibleGenerator:
    """A server speaking OpenAI's /v1/chat/completions with ``stream: true`` (SSE)."""

    def __init__(self, url: str, model: str, timeout: float = _HTTP_TIMEOUT_S) -> None:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Generator URL must be http(s)://host[:port][/v1], got {url!r}")
        self.name = f"{model}@{parts.hostname}"
        self._parts = parts
        self._base_path = parts.path if parts.path.endswith("/v1") else f"{parts.path}/v1"
        self._model = model
        self._timeout = timeout

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
                headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
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
        connection = self._connection(timeout=3.0)
        try:
            connection.request("GET", f"{self._base_path}/models")
            response = connection.getresponse()
            payload = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        if response.status != 200:
            raise GeneratorError(f"{self.name}: HTTP {response.status}")
        return [str(m.get("id", "")) for m in payload.get("data", [])]

    def _connection(self, timeout: float | None = None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname or "", self._parts.port, timeout=timeout or self._timeout)


def _sse_content(response: http.client.HTTPResponse) -> Iterator[str]:
    """Content deltas from an SSE body: ``data: {json}`` events until ``data: [DONE]``.

    Lines are read as bytes and decoded per event, so a multi-byte Vietnamese character is never
    split; comments (": ping") and other fields are ignored as the SSE spec says.
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


@lru_cache(maxsize=2)
def _local_generator(model_path: Path, context_tokens: int, threads: int) -> LlamaCppGenerator:
    return LlamaCppGenerator(model_path, context_tokens, threads)


def generator_status(settings: Settings) -> tuple[bool, str]:
    """Whether answers can be generated, and a bilingual reason the UI shows when they cannot."""
    config = settings.generator
    if config.url:
        try:
            OpenAICompatibleGenerator(config.url, config.api_model).models()
        except (OSError, ValueError, GeneratorError, http.client.HTTPException) as exc:
            return False, f"Không kết nối được máy chủ mô hình / Generator server unreachable at {config.url}: {exc}"
        return True, f"Máy chủ mô hình / generator server: {config.url} ({config.api_model})"
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False, (
            "Chưa cài llama-cpp-python / llama-cpp-python is not installed: run `make generator`, "
            "or set PARTYDOCS_GENERATOR__URL to an OpenAI-compatible server."
        )
    try:
        path = require_verified(settings.generator_model_file, GENERATOR)
    except ModelSetupError as exc:
        return False, str(exc)
    return True, f"Mô hình cục bộ / local model: {path.name}"


def make_generator(settings: Settings) -> tuple[Generator | None, str]:
    """The configured generator with ``generator_status``'s description, checked once here (a server
    generator's check is an HTTP round trip); None and the bilingual reason when it is unavailable."""
    available, reason = generator_status(settings)
    if not available:
        return None, reason
    config = settings.generator
    if config.url:
        return OpenAICompatibleGenerator(config.url, config.api_model), reason
    return _local_generator(settings.generator_model_file, config.context_tokens, config.threads), reason
