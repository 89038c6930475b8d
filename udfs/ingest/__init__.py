"""WARC records to pages: reading WARC files, HTTP bodies, charsets, input lists."""
