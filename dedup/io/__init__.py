"""Reading pages from files and streams, and writing results atomically."""
