"""faust-streaming processors: clean and validate raw change events, dead-letter the bad ones."""
