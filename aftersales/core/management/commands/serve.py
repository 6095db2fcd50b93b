"""`aftersales serve`: migrate, load demo data into an empty database, then run the web server
(gunicorn) and the Huey worker together until interrupted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def use_base_url(host: str, port: int) -> str:
    """The address in links sent to customers: AFTERSALES_BASE_URL when set, else this
    server's own address (the machine's name when listening on every interface). Set for this
    process and, through the environment, for the web server and the worker it starts."""
    given = os.environ.get("AFTERSALES_BASE_URL", "").strip().rstrip("/")
    if not given:
        if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - naming, not binding
            host = socket.gethostname()
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        given = f"http://{host}:{port}"
    os.environ["AFTERSALES_BASE_URL"] = given
    settings.AFTERSALES_BASE_URL = given
    return given


class Command(BaseCommand):
    help = "Set up the database and run the web server and the background worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        from aftersales.accounts.models import Company
        from aftersales.web.accounts import demo_accounts

        base_url = use_base_url(options["host"], options["port"])
        self.stdout.write(f"Links sent to customers start with {base_url}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        if (
            not options["no_demo"]
            and settings.AFTERSALES_DEMO_ON_EMPTY
            and not Company.objects.exists()
        ):
            self.stdout.write("Empty database: loading demo data ...")
            call_command("demo", orders=120, seed=1)
        call_command("collectstatic", interactive=False, verbosity=0)

        accounts = demo_accounts()
        if accounts:
            self.stdout.write("\nDemo accounts (also listed on the login page):")
            for acc in accounts:
                self.stdout.write(f"  {acc['role']:<16} {acc['username']:<16} {acc['password']}")
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(f"\nAftersales is starting at {url}  (Ctrl+C to stop)\n")
        self.stdout.flush()

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "aftersales.wsgi:application",
                    "--bind",
                    f"{options['host']}:{options['port']}",
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "10",
                ],
                env=env,
            )
        ]
        if not options["no_worker"]:
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "aftersales.cli", "run_huey", "--quiet"], env=env
                )
            )

        def stop(*_: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [child.returncode for child in children]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            sys.exit(1)
