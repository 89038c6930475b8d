"""Document keys (MinHash, hashes) and the repeated-content cleanup of kept documents."""
