"""What one comparison with the optional backends costs: requests and seconds, tiny models.

Usage::

    .venv/bin/python benchmarks/backends_cost.py [--n 100] [--size 64] [--model clip|siglip]

Writes ``--n`` + ``--n`` PNG images (one distribution, as ``benchmarks/backends_null.py``) and
compares them once with ``--proposers clip vlm`` (a tiny random CLIP or SigLIP model, and the
local chat-completions server with recorded answers of ``tests/backend_fakes.py``), with no
feature or answer cache, then once more with the answer cache the first run filled. Prints the
report's cost lines (requests to the endpoint, images embedded, seconds) and the wall time of each
run. The request count is what the VisDiff recipe sends for sets of this size; the seconds are
those of the tiny model and the local server, not of real models.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    from backends_null import write_null_pair

    from backend_fakes import FakeChatServer, make_tiny_model
    from tellapart import compare

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="images per set")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--model", choices=("clip", "siglip"), default="clip")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, FakeChatServer() as server:
        root = Path(tmp)
        model = make_tiny_model(root / "model", args.model)
        a, b = write_null_pair(root / "images", args.n, args.size, seed=0)
        for label in ("cold", "answers cached"):
            started = time.perf_counter()
            report = compare(a, b, progress=False, cache="", api_cache=str(root / "answers.sqlite"),
                             proposers=["clip", "vlm"], clip_model=model, api_base=server.url,
                             vlm_model="recorded")
            wall = time.perf_counter() - started
            cost = report.settings.get("cost", {})
            print(f"{label}: {wall:.1f} s per comparison; vlm: {cost.get('vlm')}; clip: {cost.get('clip')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
