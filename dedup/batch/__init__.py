"""A crawl in, clusters out: reading a batch, fingerprinting in workers, band join, union-find."""
