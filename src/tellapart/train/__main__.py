"""``python -m tellapart.train ...`` runs ``tellapart train ...``."""

import sys

from .cli import main

sys.exit(main())
