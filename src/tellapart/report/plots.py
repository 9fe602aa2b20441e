"""Small score-distribution plots for the HTML report (matplotlib, Agg, PNG data URIs).

One figure is made once and redrawn for each finding: creating a matplotlib figure
costs more than drawing two histograms on it. The figure is used through the
object-oriented API only (no pyplot), so the caller's matplotlib backend and global
state are left alone.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Set colours, shared with the page's CSS so a set looks the same everywhere.
SET_COLORS = {"A": "#2563eb", "B": "#d97706"}
#: Size on the page in CSS pixels; the PNG holds twice as many for sharp high-DPI screens.
PLOT_WIDTH_PX = 360
PLOT_HEIGHT_PX = 120
_DPI = 100
_SCALE = 2


def _finite(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


class ScorePlotter:
    """Draws the per-image scores of both sets of one finding, one PNG at a time.

    The artists (histograms, median lines, rugs, legend) are made once and only get new
    data per finding: clearing and rebuilding an Axes costs more than drawing it.
    The plot is deterministic: same scores, same bytes (no random jitter, no
    timestamps or version strings in the PNG metadata).
    """

    def __init__(self) -> None:
        # lazy: matplotlib costs ~0.3 s to import
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig: Any = Figure(
            figsize=(PLOT_WIDTH_PX / _DPI, PLOT_HEIGHT_PX / _DPI),
            dpi=_DPI * _SCALE,
            facecolor="white",
        )
        # Legend and axis title are HTML around the image: text is the slowest thing
        # matplotlib draws, and the page renders it sharper anyway.
        ax: Any = fig.add_axes((0.02, 0.17, 0.96, 0.8))
        self._canvas: Any = FigureCanvasAgg(fig)
        self._ax = ax
        edges0, zero = np.array([0.0, 1.0]), np.zeros(1)
        self._fill: dict[str, Any] = {}
        self._outline: dict[str, Any] = {}
        self._median: dict[str, Any] = {}
        self._rug: dict[str, Any] = {}
        for name in ("A", "B"):
            color = SET_COLORS[name]
            self._fill[name] = ax.stairs(zero, edges0, fill=True, color=color, alpha=0.22, lw=0)
            self._outline[name] = ax.stairs(zero, edges0, color=color, linewidth=1.2)
            self._median[name] = ax.axvline(0.0, color=color, linewidth=1.0, linestyle=(0, (3, 2)))
            # A rug of the individual scores below the baseline: small sets are read
            # from the ticks, large ones from the histogram.
            (self._rug[name],) = ax.plot(
                [], [], linestyle="none", marker="|", markersize=5, color=color
            )
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#9ca3af")
        ax.tick_params(axis="x", labelsize=7, colors="#4b5563", length=2, pad=1)

    def png(self, scores: Mapping[str, Sequence[float]], more_in: str) -> bytes | None:
        """PNG bytes of the two score distributions, or None when there are no finite scores.

        Parameters
        ----------
        scores : mapping
            ``{"A": [...], "B": [...]}`` per-image scores (higher = shows the claim more).
        more_in : str
            The set the claim is predicted to be more true of; drawn on top.
        """
        data = {name: _finite(scores.get(name, [])) for name in ("A", "B")}
        if not any(len(v) for v in data.values()):
            return None
        ax = self._ax
        both = np.concatenate([v for v in data.values() if len(v)])
        n_bins = int(np.clip(np.sqrt(len(both)) * 1.5, 8, 30))
        edges = np.histogram_bin_edges(both, bins=n_bins)
        heights = {
            name: np.histogram(v, bins=edges, density=True)[0] if len(v) else np.zeros(n_bins)
            for name, v in data.items()
        }
        top = max(float(h.max()) for h in heights.values()) or 1.0
        for name, values in data.items():
            shown = len(values) > 0
            for artist in (
                self._fill[name],
                self._outline[name],
                self._median[name],
                self._rug[name],
            ):
                artist.set_visible(shown)
                artist.set_zorder(3 if name == more_in else 2)
            if not shown:
                continue
            self._fill[name].set_data(heights[name], edges)
            self._outline[name].set_data(heights[name], edges)
            median = float(np.median(values))
            self._median[name].set_xdata([median, median])
            rug_y = -0.09 * top if name == "A" else -0.19 * top
            self._rug[name].set_data(values, np.full(len(values), rug_y))
            self._rug[name].set_alpha(float(np.clip(12.0 / np.sqrt(len(values)), 0.15, 0.9)))
        ax.set_ylim(-0.26 * top, top * 1.05)
        ax.set_xlim(edges[0], edges[-1])
        ax.spines["bottom"].set_position(("data", -0.26 * top))
        buf = io.BytesIO()
        self._canvas.print_png(buf, metadata={"Software": None})
        return buf.getvalue()

    def data_uri(self, scores: Mapping[str, Sequence[float]], more_in: str) -> str | None:
        """The plot as a ``data:image/png;base64,...`` URI, or None when there is nothing to draw."""
        png = self.png(scores, more_in)
        if png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
