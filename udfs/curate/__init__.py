"""Pair filters, caption signals, MetaCLIP balancing, clusters, NSFW scores."""
