"""The Spark engine: the batch core per partition; exact keys, bands and components in Spark."""
