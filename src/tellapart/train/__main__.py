"""``python -m tellapart.train ...`` runs ``tellapart train ...``."""

import sys

from .trainer import main

sys.exit(main())
