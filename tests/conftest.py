"""Every test sees an empty concept library unless it names one: a user's own learned
concepts must not change what the tests compare."""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config: object) -> None:
    os.environ["TELLAPART_LIBRARY"] = tempfile.mkdtemp(prefix="tellapart-test-library-")
