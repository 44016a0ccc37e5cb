"""The report of a run: an HTML page and a terminal summary of what repeats."""
