"""Other executors of the batch core, such as engines/spark/, giving the local answers."""
