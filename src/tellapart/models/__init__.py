"""tellapart's own small vision-language model: the learned difference describer.

:mod:`~tellapart.models.describer` holds the model, :mod:`~tellapart.models.tokenizer`
its word vocabulary, :mod:`~tellapart.models.text` the frozen MiniLM text side and
:mod:`~tellapart.models.weights` saving/loading (safetensors + JSON).

The names below are imported on first use, so that the torch-free parts (the tokenizer,
the claim parser) can be used, e.g. in data-generation worker processes, without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .describer import Describer, DescriberConfig
    from .tokenizer import WordTokenizer

__all__ = ["Describer", "DescriberConfig", "WordTokenizer"]


def __getattr__(name: str) -> Any:
    if name in ("Describer", "DescriberConfig"):
        from . import describer

        return getattr(describer, name)
    if name == "WordTokenizer":
        from .tokenizer import WordTokenizer

        return WordTokenizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
