"""Test doubles of the optional backends: tiny CLIP/SigLIP folders and a chat-completions server.

``make_tiny_model(folder, kind)`` writes a randomly initialised CLIP or SigLIP model built from a
transformers config, with a word-level tokenizer and an image processor, in the
``save_pretrained`` layout that :func:`tellapart.models.clip.load_clip` reads (nothing is
downloaded). ``FakeChatServer`` is a local HTTP server speaking the chat-completions API with
recorded, deterministic answers; the model name picks how it behaves (see ``BEHAVIOURS``).
Used by the tests and by ``benchmarks/backends_null.py``.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

COLOURS = ("red", "green", "blue")
WORDS = ("a", "photo", "of", "the", "and", "with", "in", "on", "more", "show", "images", "set",
         "scene", "scenes", "mostly", "dog", "dogs", "cat", "cats", "grass", "people", "park",
         *COLOURS, "dark", "bright")


def make_tiny_model(folder: str | Path, kind: str = "clip", seed: int = 0) -> str:
    """Write a tiny random ``kind`` ("clip" or "siglip") model to ``folder``; returns its path."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        PreTrainedTokenizerFast,
        SiglipConfig,
        SiglipImageProcessor,
        SiglipModel,
    )

    torch.manual_seed(seed)
    vocab = {"[PAD]": 0, "[UNK]": 1, "[BOS]": 2, "[EOS]": 3}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                        bos_token="[BOS]", eos_token="[EOS]", model_max_length=16)
    text = dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                num_attention_heads=2, max_position_embeddings=16)
    vision = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                  image_size=32, patch_size=8)
    model: Any
    if kind == "clip":
        model = CLIPModel(CLIPConfig(text_config={**text, "eos_token_id": 3, "bos_token_id": 2,
                                                  "pad_token_id": 0},
                                     vision_config=vision, projection_dim=8))
        processor: Any = CLIPImageProcessor(size={"shortest_edge": 32},
                                            crop_size={"height": 32, "width": 32})
    elif kind == "siglip":
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
        processor = SiglipImageProcessor(size={"height": 32, "width": 32})
    else:
        raise ValueError(f"unknown tiny model kind {kind!r}")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


# -- the chat-completions server -----------------------------------------------------------

BEHAVIOURS = {
    "recorded": "captions name the image's dominant colour; proposals list colour concepts as JSON",
    "flaky": "the first attempt of each distinct request gets HTTP 503, the retry is answered",
    "http500": "always HTTP 500",
    "http400": "always HTTP 400 (not retried)",
    "slow": "answers after 2 s (longer than the tests' client timeout)",
    "malformed": "HTTP 200 with a body that is not JSON",
    "nocontent": "HTTP 200 JSON without choices",
    "prose": "a proposal answer in prose, with no JSON list",
}


def caption_of(jpeg: bytes) -> str:
    """The recorded caption of an image: its dominant colour and brightness."""
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.float64)
    means = rgb.reshape(-1, 3).mean(axis=0)
    colour = COLOURS[int(np.argmax(means))]
    light = "bright" if means.mean() > 127 else "dark"
    return f"a {light} photo of a mostly {colour} scene"


def proposals_from(prompt: str) -> list[dict[str, str]]:
    """The recorded proposal answer: each colour word, on the side whose captions say it more."""
    part_a, _, part_b = prompt.partition("Group B:")
    out = []
    for word in (*COLOURS, "dark", "bright"):
        n_a, n_b = part_a.count(f" {word} "), part_b.count(f" {word} ")
        if n_a != n_b:
            out.append({"more_in": "A" if n_a > n_b else "B", "concept": f"{word} scenes"})
    return out or [{"more_in": "A", "concept": "red scenes"}]


def judge_rating(prompt: str) -> str:
    """The recorded LLM-judge answer: 1 when the hypothesis names set 1's first word, else 0."""
    set1 = re.search(r'set A shows "([^"]*)"', prompt)
    hypothesis = re.search(r'Hypothesis: "([^"]*)"', prompt)
    if not set1 or not hypothesis:
        return "0"
    word = set1.group(1).split()[0].lower().rstrip("s")
    return "1" if word in hypothesis.group(1).lower() else "0"


class FakeChatServer:
    """A chat-completions endpoint on 127.0.0.1 with recorded answers (a context manager).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT/v1``.
    calls : Counter
        Requests received per model name.
    auth : list of str
        The Authorization headers received.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.auth: list[str] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                model = str(body.get("model"))
                with server._lock:
                    server.calls[model] += 1
                    server.auth.append(self.headers.get("Authorization", ""))
                    first = raw.decode("utf-8") not in server._seen
                    server._seen.add(raw.decode("utf-8"))
                status, payload = server.answer(model, body, first)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

        return Handler

    def answer(self, model: str, body: dict[str, Any], first: bool) -> tuple[int, bytes]:
        """(HTTP status, body bytes) for one request."""
        if model == "http500" or (model == "flaky" and first):
            return (500 if model == "http500" else 503), b'{"error": "server error"}'
        if model == "http400":
            return 400, b'{"error": "bad request"}'
        if model == "slow":
            time.sleep(2.0)
        if model == "malformed":
            return 200, b'{"choices": [ {"message": '
        if model == "nocontent":
            return 200, b'{"object": "chat.completion"}'
        content = body["messages"][0]["content"]
        text = next(p["text"] for p in content if p["type"] == "text")
        images = [p["image_url"]["url"] for p in content if p["type"] == "image_url"]
        if images:
            reply = caption_of(base64.b64decode(re.sub(r"^data:[^,]*,", "", images[0])))
        elif "Hypothesis:" in text:  # the VisDiff runner's LLM judge
            reply = judge_rating(text)
        elif model == "prose":
            reply = "The two groups differ mostly in their colours."
        else:
            reply = "Here you go:\n" + json.dumps(proposals_from(text))
        message = {"role": "assistant", "content": reply}
        return 200, json.dumps({"object": "chat.completion",
                                "choices": [{"index": 0, "message": message}]}).encode("utf-8")
