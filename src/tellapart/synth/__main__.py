"""``python -m tellapart.synth``: same as ``tellapart synth``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
