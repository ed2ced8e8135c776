"""Writers of the ClickHouse analyst tables, fed from the clean topics with an exactly-once effect."""
