"""The hub's schema registry: Confluent's REST API for Avro, state in a compacted Kafka topic.

Pure core (no I/O, unit-tested without Kafka):

- ``model``, ``records``  plain values; the topic's messages in Confluent's ``_schemas`` layout
- ``avro``                parse and check a schema, its stored text and identity (parsing canonical form)
- ``state``               apply the topic's records in order -> subjects, versions, ids, levels, modes
- ``queries``             read requests: state -> answer, or a RegistryError with Confluent's code
- ``commands``            write requests: state -> plan (records to append + answer), or an error
- ``compatibility``       Avro reader/writer compatibility at Confluent's levels
- ``diff``                field-level differences between two schemas

Shell:

- ``base``                the seams: the ``Log`` protocol and the compatibility ``Checker``
- ``log``                 the Kafka topic as that log (reader thread; fenced transactional writer)
- ``memory``              the same log in memory, for tests
- ``service``             ``Registry``: state + log, reads, and the single-writer protocol for writes
- ``api``, ``app``        the REST endpoints and the ASGI application (Starlette, uvicorn)
- ``main``, ``__main__``  wiring; ``python -m registry`` runs the service
- ``store``               ``KafkaSchemaStore``: the registry in-process, for the SDK, streams and sinks
- ``client``, ``cli``     an HTTP client and the ``hub schemas`` commands
- ``errors``              the error tree, with Confluent's HTTP status and error code on each error
"""
