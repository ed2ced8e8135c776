"""The hub's shared-data catalogue: Avro schemas of the national datasets and of the change envelope.

The files here are data; :mod:`hub.catalogue` loads them.
"""

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
CATALOGUE_FILE = SCHEMA_DIR / "catalogue.yaml"
ENVELOPE_FILE = SCHEMA_DIR / "envelope.avsc"
