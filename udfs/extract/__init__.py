"""Pages to documents: DOM rules, main content, interleaving, signals and document rules."""
