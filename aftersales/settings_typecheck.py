"""The settings mypy's django-stubs plugin reads (`[tool.django-stubs]` in pyproject.toml): the
production settings with `TESTING` on, so the queue is Huey's in-memory one and type checking
opens no queue file and needs no prepared data directory. Nothing here runs the site."""

import os

os.environ["AFTERSALES_TESTING"] = "1"

from aftersales.settings import *  # noqa: E402, F403
