"""The HTTP ingest gateway: ministries' systems POST change events, answered once Kafka acknowledged them.

    POST /v1/datasets/{dataset}/events     one JSON event or NDJSON; Authorization: Bearer <ministry token>
    GET  /healthz                          GET /openapi.json

``app`` (the ASGI application), ``auth`` (tokens), ``events`` (pure core: parsing, checks, answers),
``delivery`` (through the SDK), ``settings`` (``HUB_GATEWAY_*``), ``main`` (wiring, ``python -m``).
"""
