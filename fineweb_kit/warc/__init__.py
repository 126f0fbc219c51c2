"""Web-archive plumbing for WarcReader: decompression with offsets, record parsing, HTTP, charsets."""
