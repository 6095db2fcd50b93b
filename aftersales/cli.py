"""The `aftersales` console command: `serve`, `demo`, and every Django management command."""

from __future__ import annotations

import os
import sys

# Command names with a hyphen (Django's are module names).
ALIASES = {
    "bench-dispatch": "bench_dispatch",
    "import-history": "import_history",
    "export-history": "export_history",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    from django.core.management import execute_from_command_line

    from aftersales import datadir

    datadir.prepare()

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["aftersales", *args])


if __name__ == "__main__":
    main()
