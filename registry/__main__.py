"""``python -m registry``: the Confluent-compatible schema registry service (settings from the environment)."""

from registry.main import run

if __name__ == "__main__":
    run()
