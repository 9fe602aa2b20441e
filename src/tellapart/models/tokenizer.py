"""A word-level tokenizer for the describer's sentences, saved as JSON beside the weights.

Usage::

    tok = WordTokenizer.build(["Set A images contain tiny rectangles", ...])
    ids = tok.encode("Set A images are darker than set B images")   # [BOS, ..., EOS]
    tok.decode(ids)        # "Set A images are darker than set B images"
    tok.save("vocab.json"); WordTokenizer.load("vocab.json")

Words are lower-cased except the set names: "A" and "B" after "set" are their own tokens,
so that "a" (the article) and "A" (the set) never collide and direction survives a round
trip. The vocabulary comes from the synthetic sentences and paraphrases, which is all the
decoder is trained to write; unknown words map to ``<unk>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS: tuple[str, ...] = (PAD, BOS, EOS, UNK)

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*%?|[^\sA-Za-z0-9]")
_NO_SPACE_BEFORE = {",", ".", ";", ":", ")", "%", "!", "?"}
_NO_SPACE_AFTER = {"("}


def split_words(text: str) -> list[str]:
    """Sentence -> word tokens (lower-cased, set names kept as "A"/"B")."""
    raw = _WORD_RE.findall(text)
    words: list[str] = []
    for w in raw:
        if w in ("A", "B", "a", "b") and words and words[-1] == "set":
            words.append(w.upper())
        else:
            words.append(w.lower())
    return words


def join_words(words: Sequence[str]) -> str:
    """Word tokens -> a sentence with the first letter capitalised and tidy punctuation."""
    out = ""
    prev = ""
    for w in words:
        if not out:
            out = w
        elif w in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER:
            out += w
        else:
            out += " " + w
        prev = w
    return out[:1].upper() + out[1:]


def normalize_sentence(text: str) -> str:
    """Canonical form for comparing sentences: the word round trip, no trailing full stop."""
    words = split_words(text)
    while words and words[-1] == ".":
        words.pop()
    return join_words(words)


class WordTokenizer:
    """Word <-> id mapping with ``<pad>`` = 0, ``<bos>``, ``<eos>``, ``<unk>``.

    Parameters
    ----------
    vocab : sequence of str
        All tokens, specials first (as returned by :meth:`build`).
    """

    def __init__(self, vocab: Sequence[str]) -> None:
        if tuple(vocab[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}, got {list(vocab[:4])}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocabulary has duplicate tokens")
        self.vocab: list[str] = list(vocab)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id = self.index[PAD]
        self.bos_id = self.index[BOS]
        self.eos_id = self.index[EOS]
        self.unk_id = self.index[UNK]

    @classmethod
    def build(cls, sentences: Iterable[str]) -> WordTokenizer:
        """A tokenizer whose vocabulary is every word of ``sentences`` (sorted, deterministic)."""
        words = sorted({w for s in sentences for w in split_words(s)})
        return cls(list(SPECIALS) + words)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, add_special: bool = True) -> list[int]:
        """Sentence -> ids, wrapped in ``<bos>`` ... ``<eos>`` when ``add_special``."""
        ids = [self.index.get(w, self.unk_id) for w in split_words(text)]
        return [self.bos_id, *ids, self.eos_id] if add_special else ids

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> sentence; stops at ``<eos>``, drops ``<bos>``/``<pad>``."""
        words: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.bos_id, self.pad_id):
                continue
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"token id {i} outside the vocabulary of {len(self.vocab)}")
            words.append(self.vocab[i])
        return join_words(words)

    def to_json(self) -> dict[str, object]:
        return {"kind": "word", "vocab": self.vocab}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> WordTokenizer:
        vocab = data.get("vocab")
        if data.get("kind") != "word" or not isinstance(vocab, list):
            raise ValueError("not a tellapart word tokenizer JSON (need kind='word' and a vocab list)")
        return cls([str(w) for w in vocab])

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> WordTokenizer:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
