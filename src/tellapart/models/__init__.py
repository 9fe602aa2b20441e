"""tellapart's own small vision-language model: the learned difference describer.

:mod:`~tellapart.models.describer` holds the model, :mod:`~tellapart.models.tokenizer`
its word vocabulary, :mod:`~tellapart.models.text` the frozen MiniLM text side and
:mod:`~tellapart.models.weights` saving/loading (safetensors + JSON).
"""

from .describer import Describer, DescriberConfig
from .tokenizer import WordTokenizer

__all__ = ["Describer", "DescriberConfig", "WordTokenizer"]
