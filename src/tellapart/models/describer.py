"""The learned difference describer: a small vision-language model in one file.

Usage::

    from tellapart.models import Describer, DescriberConfig, WordTokenizer
    tok = WordTokenizer.build(sentences)
    model = Describer(DescriberConfig.small(vocab_size=len(tok)), tok).eval()
    emb_a = model.embed(images_a)              # (Na, D) from uint8 (Na, H, W, 3)
    emb_b = model.embed(images_b)              # (Nb, D)
    model.describe(emb_a, emb_b, n=8)          # [("Set A images contain tiny rectangles", -0.4), ...]
    model.score_texts(emb_a, ["tiny rectangles"])   # (Na, 1) logits: how much each image shows it

Parts (each ``nn.Module`` below):

- :class:`ImageEncoder`: a stride-2-stem residual CNN on ``image_size`` RGB input
  (channels_last); global mean, global max and 2x2-tile max pooling keep small, local marks
  (a 1 % rectangle) and where they are. One pass per image; embeddings are cached by callers.
- :class:`SetComparator`: order-free summary of set A vs set B from per-image embeddings:
  masked set statistics (mean, std, prevalence of learned detectors, and their A - B
  differences) and a fixed number of learned queries cross-attending to all images of both
  sets. Cost is linear in the number of images; the output is ``n_prefix`` tokens.
- :class:`HypothesisDecoder`: a nanoGPT-style word-level decoder that reads the prefix tokens
  and writes sentences naming the set ("Set B images are darker than set A images").
- :class:`TypeClassifier` (optional): per-image logits of the trained difference types from
  the frozen embedding, fitted after training (:mod:`tellapart.train.type_stage`); without
  it the jointly trained linear type head gives them.
- :class:`ImageTextScorer`: projects an image embedding into the frozen MiniLM sentence
  space (:mod:`tellapart.models.text`); a logit of how much one image shows a phrase, for
  any wording, which is how generated and user-typed hypotheses are verified per image.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import checked_fields
from . import text as text_side
from .tokenizer import WordTokenizer, normalize_sentence
from .vocabulary import TypeWords


@dataclass
class DescriberConfig:
    """Sizes of every part of the describer. ``vocab_size`` comes from the tokenizer."""

    image_size: int = 128  # encoder input side; images are resized (antialiased) to this
    enc_widths: tuple[int, ...] = (16, 32, 64, 128, 192)  # stem width, then one per stride-2 stage
    enc_blocks: int = 1  # residual blocks per stage
    embed_dim: int = 256  # D: per-image embedding width
    text_dim: int = text_side.TEXT_DIM  # MiniLM sentence embedding width
    d_model: int = 192  # comparator and decoder width
    n_head: int = 4
    n_queries: int = 8  # learned cross-set attention queries
    n_detectors: int = 64  # learned per-image detectors whose prevalence per set is a statistic
    n_stat_tokens: int = 2  # prefix tokens made from the set statistics
    n_cmp_layer: int = 2  # cross-attention layers of the comparator
    n_layer: int = 3  # decoder transformer blocks
    block_size: int = 32  # longest sentence in tokens, <bos> and <eos> included
    vocab_size: int = 0
    # >0: a linear head from each image embedding to one logit per trained difference type.
    # Only a training aid: a fixed-vocabulary target that teaches the encoder faster than
    # the open-vocabulary image-text loss alone (which starts at a constant predictor).
    n_types: int = 0
    # with a type head: each set's mean type probability (and A - B) joins the comparator's
    # statistics, so the decoder conditions on the densely supervised per-image evidence
    type_stats: bool = False
    # >0: a type classifier (an MLP of this hidden width) fitted after training on the frozen
    # embeddings of many labelled images (:mod:`tellapart.train.type_stage`); it then gives
    # every per-image type logit (claims, scoring, floors). The comparator keeps reading the
    # jointly trained type head, whose statistics it was trained on.
    type_classifier_hidden: int = 0
    dropout: float = 0.0

    @property
    def n_prefix(self) -> int:
        return self.n_stat_tokens + self.n_queries

    @classmethod
    def tiny(cls, vocab_size: int) -> DescriberConfig:
        """For tests and smoke runs: fast on a CPU, learns nothing deep."""
        return cls(image_size=64, enc_widths=(8, 16, 32, 48), embed_dim=64, d_model=64,
                   n_head=2, n_queries=4, n_detectors=16, n_stat_tokens=1, n_cmp_layer=1,
                   n_layer=1, vocab_size=vocab_size)

    @classmethod
    def small(cls, vocab_size: int) -> DescriberConfig:
        """The shipped size (about 4.5 M parameters, 128-px input)."""
        return cls(vocab_size=vocab_size)

    @classmethod
    def named(cls, name: str, vocab_size: int) -> DescriberConfig:
        if name == "tiny":
            return cls.tiny(vocab_size)
        if name == "small":
            return cls.small(vocab_size)
        raise ValueError(f"unknown describer config {name!r}; known: tiny, small")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["enc_widths"] = list(self.enc_widths)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DescriberConfig:
        values = checked_fields(cls, data, "describer config")
        if "enc_widths" in values:
            values["enc_widths"] = tuple(int(w) for w in values["enc_widths"])
        return cls(**values)


# -- image encoder ---------------------------------------------------------------------------------


class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )


class ResidualBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = ConvBNReLU(c, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        nn.init.zeros_(self.bn2.weight)  # start as identity: stable early training

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.bn2(self.conv2(self.conv1(x))))


class ImageEncoder(nn.Module):
    """uint8 (N, H, W, 3) images -> (N, D) embeddings.

    Global mean pooling tells what is everywhere (tone, blur); global max pooling and the
    max of each 2x2 tile tell that a small thing is somewhere, and roughly where.
    """

    def __init__(self, config: DescriberConfig) -> None:
        super().__init__()
        self.image_size = config.image_size
        w = config.enc_widths
        layers: list[nn.Module] = [ConvBNReLU(3, w[0], stride=2)]
        for c_in, c_out in zip(w[:-1], w[1:], strict=True):
            layers.append(ConvBNReLU(c_in, c_out, stride=2))
            layers.extend(ResidualBlock(c_out) for _ in range(config.enc_blocks))
        self.features = nn.Sequential(*layers)
        c = w[-1]
        self.head = nn.Sequential(nn.Linear(6 * c, config.embed_dim), nn.LayerNorm(config.embed_dim))
        self.pixel_mean = 0.45 * 255.0
        self.pixel_std = 0.25 * 255.0

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """(N, H, W, 3) uint8/float 0..255 -> normalised (N, 3, S, S) float, channels_last."""
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"images must be (N, H, W, 3), got {tuple(images.shape)}")
        x = images.permute(0, 3, 1, 2).float()  # (N, 3, H, W); NHWC memory = channels_last
        s = self.image_size
        if x.shape[-2:] != (s, s):
            x = F.interpolate(x, size=(s, s), mode="bilinear", antialias=True, align_corners=False)
        x = (x - self.pixel_mean) / self.pixel_std
        return x.contiguous(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.features(self.prepare(images))  # (N, C, h, w)
        n, c = x.shape[:2]
        g_mean = x.mean(dim=(2, 3))  # (N, C)
        g_max = x.amax(dim=(2, 3))  # (N, C)
        tiles = F.adaptive_max_pool2d(x, 2).reshape(n, 4 * c)  # (N, 4C)
        return self.head(torch.cat([g_mean, g_max, tiles], dim=1))  # (N, D)


# -- set comparator --------------------------------------------------------------------------------


def masked_mean_std(x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std over dim 1 of (B, N, F) ``x`` where (B, N) ``mask`` is True."""
    m = mask.unsqueeze(-1).to(x.dtype)  # (B, N, 1)
    count = m.sum(dim=1).clamp_min(1.0)  # (B, 1)
    mean = (x * m).sum(dim=1) / count  # (B, F)
    var = (((x - mean.unsqueeze(1)) ** 2) * m).sum(dim=1) / count
    return mean, torch.sqrt(var + 1e-6)


class CrossAttentionBlock(nn.Module):
    """Queries attend to a (masked) bag of tokens, then an MLP; pre-norm residual."""

    def __init__(self, d: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.ln_q = nn.LayerNorm(d)
        self.ln_kv = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, n_head, dropout=dropout, batch_first=True)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = MLP(d, dropout)

    def forward(self, q: torch.Tensor, kv: torch.Tensor, kv_mask: torch.Tensor) -> torch.Tensor:
        kv_n = self.ln_kv(kv)
        # key_padding_mask is True where a key must be ignored
        a, _ = self.attn(self.ln_q(q), kv_n, kv_n, key_padding_mask=~kv_mask, need_weights=False)
        q = q + a
        return q + self.mlp(self.ln_2(q))


class SetComparator(nn.Module):
    """(B, Na, D) set A and (B, Nb, D) set B embeddings -> (B, n_prefix, d_model) tokens.

    Invariant to the order of images within each set; linear in Na + Nb.
    """

    def __init__(self, config: DescriberConfig) -> None:
        super().__init__()
        d, e = config.d_model, config.embed_dim
        self.detectors = nn.Linear(e, config.n_detectors)
        n_stats = 6 * e + 3 * config.n_detectors
        self.n_type_stats = config.n_types if config.type_stats else 0
        n_stats += 3 * self.n_type_stats
        self.n_stat_tokens = config.n_stat_tokens
        self.stats_mlp = nn.Sequential(
            nn.LayerNorm(n_stats),
            nn.Linear(n_stats, d),
            nn.GELU(),
            nn.Linear(d, config.n_stat_tokens * d),
        )
        self.in_proj = nn.Linear(e, d)
        self.contrast_proj = nn.Linear(e, d)  # image minus the other set's mean
        self.set_embed = nn.Parameter(torch.zeros(2, d))
        self.queries = nn.Parameter(torch.randn(config.n_queries, d) * 0.02)
        self.cross = nn.ModuleList(
            CrossAttentionBlock(d, config.n_head, config.dropout) for _ in range(config.n_cmp_layer)
        )
        self.mix = Block(d, config.n_head, config.dropout, causal=False)
        self.ln_out = nn.LayerNorm(d)
        nn.init.normal_(self.set_embed, std=0.02)

    def forward(
        self,
        emb_a: torch.Tensor,
        emb_b: torch.Tensor,
        mask_a: torch.Tensor | None = None,
        mask_b: torch.Tensor | None = None,
        types_a: torch.Tensor | None = None,
        types_b: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``types_a``/``types_b``: (B, N, K) type probabilities, needed when ``type_stats``."""
        bsz = emb_a.shape[0]
        if mask_a is None:
            mask_a = torch.ones(emb_a.shape[:2], dtype=torch.bool, device=emb_a.device)
        if mask_b is None:
            mask_b = torch.ones(emb_b.shape[:2], dtype=torch.bool, device=emb_b.device)
        mean_a, std_a = masked_mean_std(emb_a, mask_a)  # (B, D) each
        mean_b, std_b = masked_mean_std(emb_b, mask_b)
        prev_a, _ = masked_mean_std(torch.sigmoid(self.detectors(emb_a)), mask_a)  # (B, K)
        prev_b, _ = masked_mean_std(torch.sigmoid(self.detectors(emb_b)), mask_b)
        parts = [mean_a, mean_b, mean_a - mean_b, std_a, std_b, std_a - std_b,
                 prev_a, prev_b, prev_a - prev_b]
        if self.n_type_stats:
            if types_a is None or types_b is None:
                raise ValueError("this comparator reads type probabilities; pass types_a and types_b")
            type_a, _ = masked_mean_std(types_a, mask_a)  # (B, T)
            type_b, _ = masked_mean_std(types_b, mask_b)
            parts += [type_a, type_b, type_a - type_b]
        stats = torch.cat(parts, dim=1)  # (B, 6D + 3K [+ 3T])
        stat_tokens = self.stats_mlp(stats).view(bsz, self.n_stat_tokens, -1)  # (B, S, d)

        tok_a = self.in_proj(emb_a) + self.contrast_proj(emb_a - mean_b.unsqueeze(1)) + self.set_embed[0]
        tok_b = self.in_proj(emb_b) + self.contrast_proj(emb_b - mean_a.unsqueeze(1)) + self.set_embed[1]
        tokens = torch.cat([tok_a, tok_b], dim=1)  # (B, Na + Nb, d)
        mask = torch.cat([mask_a, mask_b], dim=1)  # (B, Na + Nb)
        q = self.queries.unsqueeze(0).expand(bsz, -1, -1) + stat_tokens.mean(dim=1, keepdim=True)
        for block in self.cross:
            q = block(q, tokens, mask)  # (B, Q, d)
        prefix = self.mix(torch.cat([stat_tokens, q], dim=1))  # (B, S + Q, d)
        return self.ln_out(prefix)


# -- text decoder (nanoGPT-style) ------------------------------------------------------------------


class MLP(nn.Module):
    def __init__(self, d: int, dropout: float) -> None:
        super().__init__()
        self.c_fc = nn.Linear(d, 4 * d)
        self.c_proj = nn.Linear(4 * d, d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class SelfAttention(nn.Module):
    def __init__(self, d: int, n_head: int, dropout: float, causal: bool) -> None:
        super().__init__()
        if d % n_head:
            raise ValueError(f"d_model {d} is not divisible by n_head {n_head}")
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.n_head = n_head
        self.causal = causal
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape  # (B, T, d)
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, h, T, d/h)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=self.causal, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # (B, T, d)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, d: int, n_head: int, dropout: float, causal: bool = True) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = SelfAttention(d, n_head, dropout, causal)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = MLP(d, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class HypothesisDecoder(nn.Module):
    """Prefix tokens (B, P, d) + token ids (B, T) -> next-token logits (B, T, V).

    The prefix sits before the sentence under one causal mask, so every word sees the
    whole comparison summary (the prefix-LM of small captioners).
    """

    def __init__(self, config: DescriberConfig) -> None:
        super().__init__()
        if config.vocab_size < 5:
            raise ValueError(f"vocab_size must come from the tokenizer, got {config.vocab_size}")
        d = config.d_model
        self.n_prefix = config.n_prefix
        self.block_size = config.block_size
        self.wte = nn.Embedding(config.vocab_size, d)
        self.wpe = nn.Embedding(config.n_prefix + config.block_size, d)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(d, config.n_head, config.dropout) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as in GPT-2

    def forward(self, prefix: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        b, t = idx.shape
        if t > self.block_size:
            raise ValueError(f"sequence of {t} tokens exceeds block_size {self.block_size}")
        p = prefix.shape[1]
        pos = torch.arange(p + t, device=idx.device)
        x = torch.cat([prefix, self.wte(idx)], dim=1) + self.wpe(pos)  # (B, P + T, d)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x[:, p:])  # (B, T, d): only sentence positions predict words
        return self.lm_head(x)  # (B, T, V)


# -- image-text scorer -----------------------------------------------------------------------------


class ImageTextScorer(nn.Module):
    """(N, D) image embeddings x (T, 384) MiniLM text embeddings -> (N, T) logits.

    The text side is frozen MiniLM plus a residual linear map that starts at zero, so any
    wording MiniLM places near a trained phrase scores like it.
    """

    def __init__(self, config: DescriberConfig) -> None:
        super().__init__()
        self.img_proj = nn.Sequential(
            nn.Linear(config.embed_dim, config.embed_dim),
            nn.GELU(),
            nn.Linear(config.embed_dim, config.text_dim),
        )
        self.txt_adapter = nn.Linear(config.text_dim, config.text_dim)
        nn.init.zeros_(self.txt_adapter.weight)
        nn.init.zeros_(self.txt_adapter.bias)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.logit_bias = nn.Parameter(torch.tensor(-3.0))

    def text_side(self, txt_emb: torch.Tensor) -> torch.Tensor:
        """(T, 384) MiniLM embeddings -> (T, 384) unit-length embeddings the images are matched to."""
        return F.normalize(txt_emb + self.txt_adapter(txt_emb), dim=-1)

    def forward(self, img_emb: torch.Tensor, txt_emb: torch.Tensor) -> torch.Tensor:
        i = F.normalize(self.img_proj(img_emb), dim=-1)  # (N, 384)
        t = self.text_side(txt_emb)  # (T, 384)
        scale = self.logit_scale.clamp(max=math.log(100.0)).exp()
        return scale * i @ t.T + self.logit_bias  # (N, T)


# -- the whole model -------------------------------------------------------------------------------


class TypeClassifier(nn.Module):
    """Per-image type logits from a frozen embedding: LayerNorm, one hidden GELU layer.

    Fitted after the joint training (:mod:`tellapart.train.type_stage`) on many more labelled
    images per type than the joint training's type head saw, including images with several
    differences at once; the hidden layer lets it combine evidence one linear map cannot.
    """

    def __init__(self, embed_dim: int, hidden: int, n_types: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(embed_dim)
        self.hidden = nn.Linear(embed_dim, hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_types)

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.hidden(self.norm(emb)))  # (..., H)
        return self.out(self.drop(h))  # (..., T)


@dataclass
class _Beam:
    ids: list[int]
    logprob: float
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Describer(nn.Module):
    """Image encoder + set comparator + hypothesis decoder + image-text scorer.

    Parameters
    ----------
    config : DescriberConfig
        Sizes; ``config.vocab_size`` must equal ``len(tokenizer)``.
    tokenizer : WordTokenizer
        The decoder's vocabulary.
    known_sentences : dict of str -> str, optional
        Normalised sentence -> difference id ("diff:tiny_rectangles") for sentences the
        model was trained on, so callers can tell a known concept from free text.
    type_ids : list of str, optional
        The difference id of each type-head output, in order.
    type_sentences : list of (str, str), optional
        Per type, its canonical sentence about set A and the same about set B.
    type_floor : list of float, optional
        Per type, the type-head logit that images without that difference rarely exceed
        (calibrated after training); below it an image counts as not showing the type.
    type_words : dict of str -> TypeWords, optional
        Per type id, the words the model learned it by (canonical sentence, opposite,
        trained phrases, reading phrases): what :mod:`tellapart.models.reading` reads free
        wordings against. Empty, or one entry per type id.
    """

    def __init__(
        self,
        config: DescriberConfig,
        tokenizer: WordTokenizer,
        known_sentences: dict[str, str] | None = None,
        type_ids: list[str] | None = None,
        type_sentences: list[tuple[str, str]] | None = None,
        type_floor: list[float] | None = None,
        type_words: dict[str, TypeWords] | None = None,
    ) -> None:
        super().__init__()
        if config.vocab_size != len(tokenizer):
            raise ValueError(
                f"config.vocab_size={config.vocab_size} but the tokenizer has {len(tokenizer)} tokens"
            )
        self.config = config
        self.tokenizer = tokenizer
        self.known_sentences: dict[str, str] = dict(known_sentences or {})
        self.type_ids: list[str] = list(type_ids or [])
        self.type_sentences: list[tuple[str, str]] = [(str(a), str(b)) for a, b in type_sentences or []]
        if config.n_types and self.type_ids and len(self.type_ids) != config.n_types:
            raise ValueError(f"{len(self.type_ids)} type ids for a type head of {config.n_types}")
        if self.type_sentences and len(self.type_sentences) != len(self.type_ids):
            raise ValueError("type_sentences needs one (set A, set B) pair per type id")
        self.type_floor: list[float] = [float(v) for v in type_floor or []]
        if self.type_floor and len(self.type_floor) != len(self.type_ids):
            raise ValueError("type_floor needs one logit per type id")
        self.type_words: dict[str, TypeWords] = dict(type_words or {})
        if self.type_words and set(self.type_words) != set(self.type_ids):
            raise ValueError("type_words needs one entry per type id")
        if config.type_stats and not config.n_types:
            raise ValueError("type_stats needs a type head (n_types > 0)")
        self.encoder = ImageEncoder(config)
        self.comparator = SetComparator(config)
        self.decoder = HypothesisDecoder(config)
        self.scorer = ImageTextScorer(config)
        self.type_head = nn.Linear(config.embed_dim, config.n_types) if config.n_types > 0 else None
        if config.type_classifier_hidden and not config.n_types:
            raise ValueError("type_classifier_hidden needs a type head (n_types > 0)")
        self.type_classifier = (
            TypeClassifier(config.embed_dim, config.type_classifier_hidden, config.n_types)
            if config.type_classifier_hidden > 0 else None
        )
        self.apply(self._init_weights)
        # the text adapter starts as the identity map of frozen MiniLM space
        nn.init.zeros_(self.scorer.txt_adapter.weight)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # -- training-time forward passes ------------------------------------------------------------
    def compare(
        self,
        emb_a: torch.Tensor,
        emb_b: torch.Tensor,
        mask_a: torch.Tensor | None = None,
        mask_b: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, Na, D), (B, Nb, D) embeddings -> (B, P, d) decoder prefix."""
        types_a = types_b = None
        if self.config.type_stats and self.type_head is not None:
            # detached: the type head stays a plain per-image classifier
            types_a = torch.sigmoid(self.type_head(emb_a)).detach()  # (B, Na, T)
            types_b = torch.sigmoid(self.type_head(emb_b)).detach()
        return self.comparator(emb_a, emb_b, mask_a, mask_b, types_a, types_b)

    def sentence_loss(
        self,
        prefix: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Mean next-token cross-entropy of (B, T) padded ``targets`` given (B, P, d) prefixes."""
        logits = self.decoder(prefix, targets[:, :-1])  # (B, T-1, V)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(),
            targets[:, 1:].reshape(-1),
            ignore_index=self.tokenizer.pad_id,
        )

    # -- inference -------------------------------------------------------------------------------
    @torch.no_grad()
    def embed(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, H, W, 3) uint8 images (any one size) -> (N, D) float32 embeddings."""
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"images must be (N, H, W, 3), got {images.shape}")
        if images.dtype != np.uint8:
            raise TypeError(f"images must be uint8, got {images.dtype}")
        was_training = self.training
        self.eval()
        out = []
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size]))
            out.append(self.encoder(batch.to(self.device)).float().cpu().numpy())
        self.train(was_training)
        if not out:
            return np.zeros((0, self.config.embed_dim), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)

    @torch.no_grad()
    def describe(
        self,
        emb_a: np.ndarray,
        emb_b: np.ndarray,
        n: int = 8,
        beam_width: int | None = None,
        max_len: int | None = None,
    ) -> list[tuple[str, float]]:
        """Up to ``n`` distinct sentences about how set A differs from set B, best first.

        Beam search over the decoder; finished sentences are deduplicated on their
        normalised text and ranked by total log-probability.

        Parameters
        ----------
        emb_a, emb_b : np.ndarray
            (Na, D) and (Nb, D) embeddings from :meth:`embed`; Na, Nb >= 1.
        n : int
            How many sentences to return.
        beam_width : int, optional
            Beams kept per step; default ``max(2 * n, 8)``.

        Returns
        -------
        list of (str, float)
            (sentence, log-probability) pairs.
        """
        ea, eb = self._as_set(emb_a, "emb_a"), self._as_set(emb_b, "emb_b")
        was_training = self.training
        self.eval()
        prefix = self.compare(ea, eb)  # (1, P, d)
        width = beam_width or max(2 * n, 8)
        max_len = min(max_len or self.config.block_size, self.config.block_size)
        tok = self.tokenizer
        beams = [_Beam([tok.bos_id], 0.0)]
        finished: list[_Beam] = []
        for _ in range(max_len - 1):
            alive = [b for b in beams if not b.done]
            if not alive:
                break
            idx = torch.tensor([b.ids for b in alive], device=self.device)  # (W, t)
            logits = self.decoder(prefix.expand(len(alive), -1, -1), idx)[:, -1].float()
            logp = F.log_softmax(logits, dim=-1)  # (W, V)
            logp[:, tok.pad_id] = -math.inf
            logp[:, tok.bos_id] = -math.inf
            total = logp + torch.tensor([b.logprob for b in alive], device=self.device)[:, None]
            top = torch.topk(total.flatten(), k=min(width, total.numel()))
            beams = []
            vocab = logp.shape[1]
            for score, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                if not math.isfinite(score):
                    continue
                parent, token = divmod(flat, vocab)
                beam = _Beam(alive[parent].ids + [token], score, done=token == tok.eos_id)
                (finished if beam.done else beams).append(beam)
            if len(finished) >= 4 * width:
                break
        finished.extend(beams)  # unfinished at max_len still count, ranked by their logprob
        self.train(was_training)
        seen: dict[str, float] = {}
        for beam in sorted(finished, key=lambda b: -b.logprob):
            sentence = normalize_sentence(tok.decode(beam.ids))
            if sentence and sentence not in seen:
                seen[sentence] = beam.logprob
            if len(seen) >= n:
                break
        return list(seen.items())

    @torch.no_grad()
    def score_texts(self, emb: np.ndarray, texts: list[str]) -> np.ndarray:
        """(N, D) image embeddings x ``texts`` (per-image phrases) -> (N, T) float32 logits."""
        e = self._as_set(emb, "emb")[0]  # (N, D)
        txt = torch.from_numpy(text_side.encode(list(texts))).to(self.device)  # (T, 384)
        was_training = self.training
        self.eval()
        out = self.scorer(e, txt).float().cpu().numpy()
        self.train(was_training)
        return out.astype(np.float32)

    @torch.no_grad()
    def text_embeddings(self, texts: list[str]) -> np.ndarray:
        """(T, 384) float32 unit-length embeddings of ``texts`` on the image-text scorer's text side.

        MiniLM plus the scorer's trained adapter: wordings the scorer treats alike lie close
        here, which raw MiniLM does not promise for opposites ("lower/higher contrast").
        """
        txt = torch.from_numpy(text_side.encode(list(texts))).to(self.device)  # (T, 384)
        return self.scorer.text_side(txt).float().cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def type_logits(self, emb: np.ndarray) -> np.ndarray:
        """(N, D) embeddings -> (N, T) per-image type logits, T = ``len(type_ids)``.

        From the fitted type classifier when the model has one, else from the type head.
        """
        if self.type_head is None:
            raise ValueError("this describer has no type head")
        e = self._as_set(emb, "emb")[0]
        head = self.type_classifier if self.type_classifier is not None else self.type_head
        return head(e).float().cpu().numpy().astype(np.float32)

    def type_index(self, concept: str | None) -> int | None:
        """Type-head output of "diff:<id>" (or "<id>"), or None."""
        if concept is None or self.type_head is None:
            return None
        tid = concept.split(":")[1] if concept.startswith("diff:") else concept
        return self.type_ids.index(tid) if tid in self.type_ids else None

    def describe_types(self, emb_a: np.ndarray, emb_b: np.ndarray, n: int = 8) -> list[tuple[str, float]]:
        """The canonical sentences of the ``n`` trained types whose prevalence differs most.

        A type's prevalence in a set is the mean type-head probability over its images; the
        sentence names the set where it is higher. Returns (sentence, A - B difference).
        """
        return [(sentence, d) for _, sentence, d in self.type_claims(emb_a, emb_b, n)]

    def type_claims(self, emb_a: np.ndarray, emb_b: np.ndarray, n: int = 8,
                    logits: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[int, str, float]]:
        """(type index, sentence, A - B prevalence difference) of :meth:`describe_types`.

        ``logits``: the (Na, T) and (Nb, T) per-image type logits to use instead of the type
        head's on ``emb_a`` and ``emb_b`` (e.g. pooled over views of large images).
        """
        if self.type_head is None or not self.type_sentences:
            return []
        diff = self.type_prevalence_difference(emb_a, emb_b, logits)
        order = np.argsort(-np.abs(diff), kind="stable")[:n]
        return [(int(k), self.type_sentences[k][0 if diff[k] > 0 else 1], float(diff[k])) for k in order]

    def type_prevalence_difference(self, emb_a: np.ndarray, emb_b: np.ndarray,
                                   logits: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """(T,) mean type probability over set A minus the same over set B."""
        la, lb = logits if logits is not None else (self.type_logits(emb_a), self.type_logits(emb_b))
        pa = 1.0 / (1.0 + np.exp(-np.asarray(la, dtype=np.float64)))  # (Na, T)
        pb = 1.0 / (1.0 + np.exp(-np.asarray(lb, dtype=np.float64)))
        return np.asarray(pa.mean(axis=0) - pb.mean(axis=0))

    def concept_of(self, sentence: str) -> str | None:
        """"diff:<id>" when ``sentence`` is one the model was trained on, else None."""
        return self.known_sentences.get(normalize_sentence(sentence))

    def _as_set(self, emb: np.ndarray, name: str) -> torch.Tensor:
        arr = np.asarray(emb, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[1] != self.config.embed_dim or len(arr) == 0:
            raise ValueError(
                f"{name} must be (N >= 1, {self.config.embed_dim}) embeddings, got {arr.shape}"
            )
        return torch.from_numpy(arr).to(self.device).unsqueeze(0)  # (1, N, D)
