"""Word aligners: sentence pairs in, word-level links (source index, target index) out."""
