"""Data layer: sentences, entities, IOB2 tags, CoNLL I/O and dataset sources."""
