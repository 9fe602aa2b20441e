"""The architecture contract in practice: inference runs without training or the generator,
and a new difference type is one class that leaves the shipped describer working."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from tellapart import compare
from tellapart.models.shipped import default_available

needs_weights = pytest.mark.skipif(not default_available(), reason="no shipped describer weights")

# A child process whose import system refuses training, the synthetic generator and the
# benchmark: `compare` with both default proposers must still run and find the planted mark.
BLOCKED_RUN = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    BLOCKED = ("tellapart.train", "tellapart.synth", "tellapart.bench")

    class Block(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.startswith(BLOCKED):
                raise ImportError(f"{name} is blocked: inference must not import it")
            return None

    sys.meta_path.insert(0, Block())

    import numpy as np
    from PIL import Image
    from tellapart import compare

    root = sys.argv[1]
    rng = np.random.default_rng(0)
    for side in ("a", "b"):
        folder = f"{root}/{side}"
        __import__("os").makedirs(folder)
        for i in range(16):
            img = rng.integers(60, 200, (128, 128, 3)).astype(np.uint8)
            if side == "a":
                img[8:40, 8:40] = (255, 0, 255)  # a magenta square in every A image
            Image.fromarray(img).save(f"{folder}/{i}.png")
    report = compare(f"{root}/a", f"{root}/b", cache="", progress=False, jobs=1)
    assert report.settings["proposers"] == ["learned", "measurements"]
    assert report.significant, "the planted square was not found"
    leaked = [m for m in sys.modules if m.startswith(BLOCKED)]
    assert not leaked, leaked
    print("OK", len(report.significant))
    """
)


@needs_weights
def test_compare_runs_with_training_and_generator_blocked(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", BLOCKED_RUN, str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("OK")


@pytest.fixture
def throwaway_difference() -> Any:
    """A difference type defined and registered here, as a contributor would add one; removed
    afterwards so no other test sees it."""
    from tellapart.edits.differences import DIFFERENCES, Difference, register_difference

    @register_difference
    class CyanCorner(Difference):
        name = "throwaway_cyan_corner"
        family = "overlay"
        sentence = "Set A images have a cyan square in the top-left corner"
        paraphrases: ClassVar[tuple[str, ...]] = ("Set A images show a cyan corner square",)
        phrase = "have a cyan square in the top-left corner"
        param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"side": (0.1, 0.3)}

        def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
            out = image.copy()
            side = max(2, int(p["side"] * min(image.shape[:2])))
            out[:side, :side] = (0, 255, 255)
            return out

    yield CyanCorner
    DIFFERENCES.unregister(CyanCorner.name)


@needs_weights
def test_a_new_difference_type_is_one_class_and_compare_still_works(
    throwaway_difference: Any, tmp_path: Path
) -> None:
    from tellapart.models.weights import load_default
    from tellapart.synth import DiffSpec, make_task, write_task

    task = make_task([DiffSpec(throwaway_difference.name, s=1.0, prevalence=1.0, target="A")],
                     n_per_side=16, size=128, base="smooth", seed=3)
    write_task(task, tmp_path / "task", contact_sheet=False)
    model = load_default()
    assert throwaway_difference.name not in model.type_ids  # unknown until retrained
    report = compare(tmp_path / "task" / "a", tmp_path / "task" / "b",
                     cache="", progress=False, jobs=1,
                     hypotheses=["Set A images have a cyan square in the top-left corner"])
    assert report.significant, "the new difference was not found by any proposer or scorer"
    typed = [f for f in report.findings if f.user]
    assert len(typed) == 1 and typed[0].more_in == "A"
