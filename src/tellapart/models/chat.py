"""A small client of an OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp, Ollama, hosted).

Usage::

    client = ChatClient("http://localhost:8000/v1", api_key=None, cache_path="answers.sqlite",
                        max_requests=300)
    answers = client.ask_many([ChatRequest("qwen2-vl", "Describe this image.", images=(img,))],
                              label="captions")
    answers[0].text, answers[0].error, client.cost_line()   # "41 requests, 12.3 s (3 cached)"

Only the standard library is used (``urllib``). Requests run a few at a time in threads; a
timeout, a refused connection, HTTP 429 or a 5xx answer is retried with exponential back-off;
every attempt counts against ``max_requests``, after which requests are not sent and come back
with an error. Answers are cached in SQLite (never pickle) under a hash of the model, the prompt,
the images' content hashes and the token limit, so a rerun on the same images costs nothing.
Nothing raises for a bad answer: each :class:`ChatAnswer` carries its text or its error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..io.store import default_cache_path

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ChatImage:
    """One image of a request: its file's content hash (the cache key) and JPEG bytes."""

    content_hash: str
    jpeg: bytes


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completions request: a user message of text and images."""

    model: str
    prompt: str
    images: tuple[ChatImage, ...] = ()
    max_tokens: int = 400

    def cache_key(self) -> str:
        """sha256 of the model, prompt, image content hashes and token limit."""
        material = json.dumps({"model": self.model, "prompt": self.prompt,
                               "images": [im.content_hash for im in self.images],
                               "max_tokens": self.max_tokens}, sort_keys=True)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def body(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": self.prompt}]
        for im in self.images:
            url = "data:image/jpeg;base64," + base64.b64encode(im.jpeg).decode("ascii")
            content.append({"type": "image_url", "image_url": {"url": url}})
        return {"model": self.model, "messages": [{"role": "user", "content": content}],
                "max_tokens": self.max_tokens, "temperature": 0}


@dataclass
class ChatAnswer:
    """The text of an answer, or why there is none."""

    text: str | None
    error: str | None = None
    cached: bool = False


@dataclass
class ChatStats:
    """What a client has cost since it was made."""

    sent: int = 0  # HTTP attempts, retries included
    cached: int = 0  # answers read from the cache
    failed: int = 0  # requests that ended without an answer
    over_budget: int = 0  # requests not sent because max_requests was spent
    seconds: float = 0.0  # wall time spent waiting for the endpoint
    errors: list[str] = field(default_factory=list)


def default_answer_cache(feature_cache: str | None) -> str | None:
    """Where answers are cached when ``api_cache`` is not set: beside the feature cache
    (``api_answers.sqlite``); nowhere when the feature cache is off ("")."""
    if feature_cache == "":
        return None
    base = feature_cache or default_cache_path()
    return os.path.join(os.path.dirname(os.path.abspath(base)), "api_answers.sqlite")


class ChatClient:
    """Batched, retried, cached and budgeted chat-completions requests.

    Parameters
    ----------
    api_base : str
        The endpoint's base URL, up to ``/v1`` (``/chat/completions`` is appended).
    api_key : str, optional
        Sent as a bearer token when given.
    cache_path : str, optional
        SQLite file of answers; None: no cache.
    max_requests : int
        HTTP attempts this client may make in all.
    timeout : float
        Seconds one attempt may take.
    retries : int
        Further attempts after a retryable failure.
    backoff : float
        Seconds before the first retry; doubled each time.
    workers : int
        Requests in flight at once.
    progress : bool
        A progress bar over the requests sent.
    """

    def __init__(self, api_base: str, api_key: str | None = None, *, cache_path: str | None = None,
                 max_requests: int = 500, timeout: float = 60.0, retries: int = 3,
                 backoff: float = 0.5, workers: int = 4, progress: bool = False) -> None:
        self.url = api_base.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.cache_path = cache_path
        self.max_requests = max_requests
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.workers = max(1, workers)
        self.progress = progress
        self.stats = ChatStats()
        self.notes: list[str] = []  # problems that are not one request's (the cache), for the report
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------

    def ask_many(self, requests: Sequence[ChatRequest], label: str = "requests") -> list[ChatAnswer]:
        """One answer per request, in order: cached ones first, the rest sent in parallel."""
        keys = [r.cache_key() for r in requests]
        answers: list[ChatAnswer | None] = list(self._cached(keys))
        todo = [i for i, a in enumerate(answers) if a is None]
        self.stats.cached += len(requests) - len(todo)
        if todo:
            started = time.perf_counter()
            with _Bar(self.progress, len(todo), label) as advance:
                with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
                    futures = [pool.submit(self._send, requests[i]) for i in todo]
                    for i, future in zip(todo, futures, strict=True):
                        answers[i] = future.result()
                        advance()
            self.stats.seconds += time.perf_counter() - started
            self._store([(keys[i], requests[i].model, answers[i]) for i in todo])
        return [a if a is not None else ChatAnswer(None, "no answer") for a in answers]

    def cost_line(self) -> str:
        """ "N requests, S s" plus what came from the cache, failed or was not sent."""
        s = self.stats
        extra = [f"{n} {what}" for n, what in ((s.cached, "answered from the cache"),
                                               (s.failed, "failed"),
                                               (s.over_budget, "not sent: --max-requests spent"))
                 if n]
        return f"{s.sent} requests, {s.seconds:.1f} s" + (f" ({', '.join(extra)})" if extra else "")

    # -- sending ------------------------------------------------------------------------

    def _take_budget(self) -> bool:
        with self._lock:
            if self.stats.sent >= self.max_requests:
                return False
            self.stats.sent += 1
            return True

    def _send(self, request: ChatRequest) -> ChatAnswer:
        data = json.dumps(request.body()).encode("utf-8")
        error = "not sent"
        for attempt in range(self.retries + 1):
            if not self._take_budget():
                return self._fail(f"not sent: the --max-requests budget ({self.max_requests}) is spent",
                                  budget=True)
            answer, retry = self._attempt(data)
            if answer is not None:
                return answer
            error = retry or "failed"
            if retry is None or attempt == self.retries:
                break
            time.sleep(self.backoff * (2 ** attempt))
        return self._fail(error)

    def _fail(self, error: str, budget: bool = False) -> ChatAnswer:
        with self._lock:
            if budget:
                self.stats.over_budget += 1
            else:
                self.stats.failed += 1
            self.stats.errors.append(error)
        return ChatAnswer(None, error)

    def _attempt(self, data: bytes) -> tuple[ChatAnswer | None, str | None]:
        """(answer, None) on success; (None, reason) to retry; (ChatAnswer with error, None) not to."""
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} from {self.url}"
            if exc.code in RETRY_STATUS:
                return None, reason
            return self._fail(reason), None
        except TimeoutError:
            return None, f"no answer within {self.timeout:g} s from {self.url}"
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            return None, f"cannot reach {self.url} ({why})"
        return _parse(raw, self.url, self._fail), None

    # -- cache --------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection | None:
        if not self.cache_path:
            return None
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.cache_path)), exist_ok=True)
            conn = sqlite3.connect(self.cache_path, timeout=30)
            conn.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT NOT NULL,"
                         " answer TEXT NOT NULL)")
            return conn
        except sqlite3.Error as exc:
            self.notes.append(f"the answer cache {self.cache_path} cannot be used ({exc}); "
                              "answers were not cached")
            self.cache_path = None
            return None

    def _cached(self, keys: list[str]) -> list[ChatAnswer | None]:
        conn = self._connect()
        if conn is None:
            return [None] * len(keys)
        found: dict[str, str] = {}
        with conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(f"SELECT key, answer FROM answers WHERE key IN ({marks})",
                                          chunk).fetchall())
        conn.close()
        return [ChatAnswer(found[k], cached=True) if k in found else None for k in keys]

    def _store(self, rows: list[tuple[str, str, ChatAnswer | None]]) -> None:
        good = [(k, m, a.text) for k, m, a in rows if a is not None and a.text is not None]
        conn = self._connect() if good else None
        if conn is None:
            return
        with conn:
            conn.executemany("INSERT OR REPLACE INTO answers (key, model, answer) VALUES (?, ?, ?)", good)
        conn.close()


def _parse(raw: bytes, url: str, fail: Callable[[str], ChatAnswer]) -> ChatAnswer:
    """The message text of a chat-completions answer, or a failed answer saying what was wrong."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return fail(f"malformed answer from {url} (not JSON: {raw[:60]!r})")
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return fail(f"malformed answer from {url} (no choices[0].message.content)")
    if isinstance(content, list):  # some servers answer in content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if not isinstance(content, str) or not content.strip():
        return fail(f"empty answer from {url}")
    return ChatAnswer(content.strip())


class _Bar:
    """A rich progress bar over requests sent (a no-op when off)."""

    def __init__(self, show: bool, total: int, label: str) -> None:
        self.show, self.total, self.label = show, total, label
        self._bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.show:
            return lambda: None
        from rich.console import Console
        from rich.progress import Progress

        self._bar = Progress(transient=True, console=Console(file=sys.stderr))
        self._bar.start()
        task = self._bar.add_task(f"VLM: {self.label}", total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
