"""Operators' view of the hub: consumer lag with a threshold-free status, Prometheus metrics, an end-to-end
probe and a web dashboard.

======================  =========================================================================
module                  what it does
======================  =========================================================================
``evaluator``           Burrow's rules: ``evaluate(window) -> Status`` (pure)
``offsets``             Kafka adapter: groups, committed and log-end offsets, message timestamps
``store``               the observation windows, in SQLite under ``HUB_DATA_DIR/monitor``
``lag``, ``sampler``    lag reports (pure) and taking samples (service and ``hub lag``)
``tables``              ClickHouse figures: freshness, dead letters, data quality
``probe``               canaries through the whole pipeline, produce → visible latency
``state``, ``history``  the values the metrics, API and dashboard render
``metrics``             every Prometheus metric name and its rendering
``service``, ``web``    the threads and the Starlette app; ``main`` wires them (``python -m monitor``)
``cli``                 ``hub lag`` and ``hub dashboard``
======================  =========================================================================
"""
