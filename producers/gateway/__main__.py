"""``python -m producers.gateway``: the HTTP ingest gateway (settings from the environment)."""

from producers.gateway.main import run

if __name__ == "__main__":
    run()
