"""The incremental Index: in-memory state, plans of a change, replay from a store, bulk build."""
