"""Shared core of the data hub: settings, catalogue, wire format, errors, local stack and the `hub` CLI."""

__version__ = "0.1.0"
