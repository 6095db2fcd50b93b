"""The test suite's settings (pytest's `DJANGO_SETTINGS_MODULE`, in pyproject.toml): the
production settings with `TESTING` on, instead of guessing from `"pytest" in sys.modules`.

`TESTING` runs the queue synchronously, turns the API rate limits off, uses a fast password
hasher and serves static files from the finders (`aftersales/settings.py` says where). It
prepares the data directory, as every entry point does (`aftersales/datadir.py`). A
subprocess a test starts names its own settings and environment.
"""

import os

os.environ["AFTERSALES_TESTING"] = "1"

from aftersales import datadir  # noqa: E402

datadir.prepare()

from aftersales.settings import *  # noqa: E402, F403
