"""The words of each trained difference, as the describer learned them.

Usage::

    words = model.type_words["darker"]
    words.sentence            # "Set A images are darker than set B images"
    words.opposite            # "brighter" ("" when the property changes one way only)
    words.reading_phrases     # what a free wording is compared with to read it as "darker"

Training writes these into the weights' metadata (``describer.json``, key ``type_words``),
so inference knows the differences its weights were trained on without importing the
generator (:mod:`tellapart.synth`) or the trainer. A difference type added to the generator
later is simply unknown to these weights until they are retrained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TypeWords:
    """The words of one trained difference.

    Attributes
    ----------
    sentence : str
        The canonical sentence, about set A ("Set A images are darker than set B images").
    opposite : str
        The trained difference that is the same property changed the other way ("brighter"
        for "darker"); "" when there is none.
    trained_phrases : tuple of str
        Per-image phrases ("are darker") the image-text scorer was trained on.
    reading_phrases : tuple of str
        The trained phrases, then the type's written wordings (duplicates once): what a free
        wording is compared with to be read as this difference.
    """

    sentence: str
    opposite: str
    trained_phrases: tuple[str, ...]
    reading_phrases: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "opposite": self.opposite,
                "trained_phrases": list(self.trained_phrases),
                "reading_phrases": list(self.reading_phrases)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TypeWords:
        """The words from their JSON form; a missing or mistyped field raises ValueError."""
        try:
            words = cls(str(data["sentence"]), str(data["opposite"]),
                        tuple(str(p) for p in data["trained_phrases"]),
                        tuple(str(p) for p in data["reading_phrases"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed type words {data!r}: {exc}") from None
        return words
