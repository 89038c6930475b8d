"""CLIP models and embedding batches."""
