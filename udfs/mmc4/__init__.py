"""MMC4: sentences, image filters, sentence-image assignment."""
