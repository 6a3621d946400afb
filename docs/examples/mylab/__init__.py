"""Worked examples of the how-to guides: a projector, an aligner, a translator and a method kept
outside the xner package (``XNER_ALLOWED_TARGETS=mylab PYTHONPATH=docs/examples``)."""
