"""Label projectors: source entities + word alignments -> target entities."""
