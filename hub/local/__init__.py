"""The local stack: a real single-node Kafka broker and the hub's services as background processes."""
