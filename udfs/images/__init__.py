"""Fetching, reading from the archive and decoding the documents' images."""
