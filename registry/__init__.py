"""The hub's schema registry: schemas stored in a compacted Kafka topic, Confluent-compatible ids."""
