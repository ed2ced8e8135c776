"""``python -m streams`` runs the faust worker with settings from the environment."""

from __future__ import annotations

import os
import sys

from hub.catalogue import load_catalogue
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from streams import stack_dump
from streams.app import create_app


def main() -> None:
    stack_dump.install()  # SIGUSR1: where the worker is, without values
    app = create_app(HubSettings(), KafkaSettings(), RegistrySettings(), load_catalogue())
    # faust's worker command turns its web server (port 6066) back on unless told not to.
    sys.argv = [sys.argv[0], "worker", "--without-web", "-l", os.environ.get("HUB_LOG_LEVEL", "info")]
    app.main()


if __name__ == "__main__":
    main()
