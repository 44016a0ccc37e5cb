"""Text to shingle hashes: normalising, splitting pages into paragraphs, word n-grams."""
