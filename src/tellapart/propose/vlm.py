"""The vlm proposer: captions from a vision-language model, hypotheses from a language model.

Usage::

    export TELLAPART_API_KEY=...        # only if the endpoint wants one
    tellapart compare A/ B/ --proposers vlm measurements --api-base http://localhost:8000/v1 \\
        --vlm-model Qwen/Qwen2-VL-7B-Instruct --clip-model openai/clip-vit-base-patch32

VisDiff's recipe, on the proposal fold only: in each of ``settings.vlm_rounds`` rounds, up to
:data:`CAPTIONS_PER_SET` images of each set (not used in an earlier round) are captioned by
``settings.vlm_model``; then ``settings.llm_model`` (default: the same model) reads the two
sets' captions and lists concepts more often true of one set. Each becomes "Set X images more
often show <concept>", scored per image by the clip scorer when ``settings.clip_model`` is set
(else by the learned describer's image-text head) and tested on held-out images like any other
claim. With a clip model the candidates are ranked by how well their clip scores separate the
proposal images; without one, by how many rounds named them.

Requests go through :class:`tellapart.models.chat.ChatClient` (batched, retried, cached, bounded
by ``settings.max_requests``). A failed request or an answer that cannot be read costs only what
it would have given: the report lists it among its warnings and the run goes on.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..config import Settings
from ..context import DataContext, RunNotes
from ..models.chat import ChatAnswer, ChatClient, ChatImage, ChatRequest, default_answer_cache
from ..models.clip import clip_prompt, image_embeddings, load_clip
from ..stats import auroc
from ..types import Hypothesis
from .base import Proposer, register_proposer

CAPTIONS_PER_SET = 20
"""Images of each set captioned per round (VisDiff's proposer reads 20 captions per set)."""
CAPTION_SIDE = 512
"""Longest side, in pixels, of the JPEG sent for captioning."""

CAPTION_PROMPT = (
    "Describe this image in one or two sentences: the main subjects, what they are doing, the "
    "setting, and anything notable about the photograph itself (style, lighting, quality)."
)
PROPOSAL_PROMPT = """Below are captions of images from two groups, A and B.

Group A:
{captions_a}

Group B:
{captions_b}

List up to {n} differences between the groups: visual concepts that are true of more images in one \
group than in the other. Each concept is a short phrase saying what an image shows, such as \
"dogs on grass", "people wearing hats" or "black and white photos", never a comparison. Answer with \
JSON only: a list of objects {{"more_in": "A" or "B", "concept": "..."}}."""

_JSON_LIST_RE = re.compile(r"\[.*\]", re.DOTALL)


@dataclass
class _Candidate:
    concept: str
    more_in: str
    rounds: int = 1


@dataclass
class _Problems:
    """Errors of one comparison, counted per kind of request and reason."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, kind: str, reason: str) -> None:
        self.counts[(kind, reason)] += 1

    def warnings(self) -> list[str]:
        return [f"vlm proposer: {n} {kind} request(s) gave nothing: {reason}"
                for (kind, reason), n in sorted(self.counts.items())]


@register_proposer
class VlmProposer(Proposer):
    """Hypotheses written by a language model from VLM captions of the proposal images.

    Parameters
    ----------
    client : ChatClient, optional
        The endpoint; None: :meth:`unavailable_reason` says what is missing.
    vlm_model : str, optional
        The captioning model's name at the endpoint.
    llm_model : str, optional
        The model that writes hypotheses; default ``vlm_model``.
    rounds : int
        Rounds of captions per proposal fold.
    clip_model : str, optional
        The clip model that scores (and ranks) the hypotheses; None: the learned scorer does.
    seed : int
        Seeds which images are captioned.
    """

    name = "vlm"
    needs_images = True

    def __init__(self, client: ChatClient | None = None, vlm_model: str | None = None,
                 llm_model: str | None = None, rounds: int = 3, clip_model: str | None = None,
                 seed: int = 0) -> None:
        self.client = client
        self.vlm_model = vlm_model
        self.llm_model = llm_model or vlm_model
        self.rounds = rounds
        self.clip_model = clip_model
        self.seed = seed
        self._problems = _Problems()

    @classmethod
    def from_settings(cls, settings: Settings) -> VlmProposer:
        client = None
        if settings.api_base:
            cache = settings.api_cache if settings.api_cache is not None else \
                default_answer_cache(settings.cache)
            client = ChatClient(settings.api_base, os.environ.get(settings.api_key_env) or None,
                                cache_path=cache or None, max_requests=settings.max_requests,
                                timeout=settings.api_timeout, progress=settings.progress)
        return cls(client, settings.vlm_model, settings.llm_model, settings.vlm_rounds,
                   settings.clip_model, settings.seed)

    def unavailable_reason(self) -> str | None:
        if self.client is None:
            return ("the vlm proposer needs an OpenAI-compatible endpoint: --api-base URL "
                    "(vLLM, llama.cpp server, Ollama or a hosted API), the key in $TELLAPART_API_KEY")
        if not self.vlm_model:
            return "the vlm proposer needs the captioning model's name at the endpoint: --vlm-model NAME"
        if self.rounds < 1:
            return f"--vlm-rounds must be at least 1, got {self.rounds}"
        return None

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        rows = np.asarray(rows, dtype=int)
        is_a = ctx.table.is_a[rows]
        if k <= 0 or not is_a.any() or is_a.all() or self.client is None:
            return []
        order = _round_order(rows, is_a, self.seed)
        found: dict[tuple[str, str], _Candidate] = {}
        for round_no in range(self.rounds):
            batch_a = order["A"][round_no * CAPTIONS_PER_SET:(round_no + 1) * CAPTIONS_PER_SET]
            batch_b = order["B"][round_no * CAPTIONS_PER_SET:(round_no + 1) * CAPTIONS_PER_SET]
            if len(batch_a) == 0 or len(batch_b) == 0:
                break
            for cand in self._one_round(ctx, batch_a, batch_b, k):
                key = (cand.concept.lower(), cand.more_in)
                if key in found:
                    found[key].rounds += 1
                else:
                    found[key] = cand
        hyps = [self._hypothesis(c) for c in found.values()]
        return self._rank(ctx, rows, is_a, hyps)[:k]

    # -- one round ----------------------------------------------------------------------

    def _one_round(self, ctx: DataContext, rows_a: np.ndarray, rows_b: np.ndarray,
                   k: int) -> list[_Candidate]:
        captions = self._captions(ctx, np.concatenate([rows_a, rows_b]))
        caps_a = [c for c in captions[:len(rows_a)] if c]
        caps_b = [c for c in captions[len(rows_a):] if c]
        if not caps_a or not caps_b:
            self._problems.add("proposal", "no captions of one set to compare")
            return []
        prompt = PROPOSAL_PROMPT.format(captions_a=_numbered(caps_a), captions_b=_numbered(caps_b),
                                        n=max(k, 5))
        assert self.client is not None and self.llm_model is not None
        answer = self.client.ask_many([ChatRequest(self.llm_model, prompt, max_tokens=800)],
                                      label="proposing")[0]
        if answer.text is None:
            self._problems.add("proposal", str(answer.error))
            return []
        cands = parse_proposals(answer.text)
        if cands is None:
            self._problems.add("proposal", f"the answer was not a JSON list of concepts: {answer.text[:80]!r}")
            return []
        return cands

    def _captions(self, ctx: DataContext, rows: np.ndarray) -> list[str | None]:
        assert self.client is not None and self.vlm_model is not None
        requests = []
        for i in rows:
            record = ctx.table.records[int(i)]
            requests.append(ChatRequest(self.vlm_model, CAPTION_PROMPT,
                                        images=(ChatImage(record.content_hash,
                                                          _jpeg(ctx.load(record).rgb)),),
                                        max_tokens=120))
        answers = self.client.ask_many(requests, label="captioning")
        return [self._caption_text(a) for a in answers]

    def _caption_text(self, answer: ChatAnswer) -> str | None:
        if answer.text is None:
            self._problems.add("caption", str(answer.error))
            return None
        return " ".join(answer.text.split())[:400]

    # -- hypotheses ---------------------------------------------------------------------

    def _hypothesis(self, cand: _Candidate) -> Hypothesis:
        scorer = "clip" if self.clip_model else "learned"
        return Hypothesis(
            description=f"Set {cand.more_in} images more often show {cand.concept}",
            concept=f"{'clip' if self.clip_model else 'vlm'}:{cand.concept.lower()}:{cand.more_in}",
            more_in=cand.more_in, proposer=self.name, scorer=scorer,
            params={"phrase": cand.concept, "rounds": cand.rounds},
            proposal_score=float(cand.rounds),
        )

    def _rank(self, ctx: DataContext, rows: np.ndarray, is_a: np.ndarray,
              hyps: list[Hypothesis]) -> list[Hypothesis]:
        """By clip separation on the proposal rows when a clip model is set, else by rounds."""
        if not hyps or not self.clip_model:
            return sorted(hyps, key=lambda h: -h.proposal_score)
        backend = load_clip(self.clip_model)
        emb = image_embeddings(backend, ctx, [ctx.table.records[i] for i in rows])
        logits = backend.similarity(emb, backend.embed_texts([clip_prompt(h.params["phrase"])
                                                              for h in hyps]))
        for j, h in enumerate(hyps):
            named = is_a if h.more_in == "A" else ~is_a
            h.proposal_score = auroc(logits[named, j], logits[~named, j])
        return sorted(hyps, key=lambda h: -h.proposal_score)

    def take_notes(self) -> RunNotes:
        """The requests' cost, and a warning per kind of failure since the last call."""
        notes = RunNotes(warnings=self._problems.warnings())
        self._problems = _Problems()
        if self.client is not None:
            notes.warnings += [f"vlm proposer: {note}" for note in dict.fromkeys(self.client.notes)]
            self.client.notes.clear()
            if self.client.stats.sent or self.client.stats.cached:
                notes.cost["vlm"] = self.client.cost_line()
        return notes


def parse_proposals(text: str) -> list[_Candidate] | None:
    """The concepts of an answer's JSON list (``[{"more_in": "A", "concept": "..."}]``), or None
    when there is no readable list; entries without a set A/B or a concept are dropped."""
    match = _JSON_LIST_RE.search(text)
    if match is None:
        return None
    try:
        items = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        side = str(item.get("more_in", "")).strip().upper().removeprefix("GROUP ").removeprefix("SET ")
        concept = " ".join(str(item.get("concept", "")).split()).strip(" .")
        if side in ("A", "B") and concept and len(concept) <= 120:
            out.append(_Candidate(concept, side))
    return out


def _round_order(rows: np.ndarray, is_a: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Each set's proposal rows in a seeded order; round r captions the r-th block of 20."""
    rng = np.random.default_rng([seed, int(rows.sum()) % (2 ** 31), len(rows)])
    return {"A": rng.permutation(rows[is_a]), "B": rng.permutation(rows[~is_a])}


def _numbered(captions: list[str]) -> str:
    return "\n".join(f"{i}. {c}" for i, c in enumerate(captions, 1))


def _jpeg(rgb: np.ndarray) -> bytes:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    image = Image.fromarray(arr)
    image.thumbnail((CAPTION_SIDE, CAPTION_SIDE))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=90)
    return buf.getvalue()
