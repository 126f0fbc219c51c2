"""Web-archive plumbing for WarcReader: decompression, records, HTTP, charsets."""
