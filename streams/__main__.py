"""``python -m streams`` runs the faust worker with settings from the environment."""

from __future__ import annotations

import os
import sys

from hub.catalogue import load_catalogue
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from streams.app import create_app


def main() -> None:
    app = create_app(HubSettings(), KafkaSettings(), RegistrySettings(), load_catalogue())
    sys.argv = [sys.argv[0], "worker", "-l", os.environ.get("HUB_LOG_LEVEL", "info")]
    app.main()


if __name__ == "__main__":
    main()
