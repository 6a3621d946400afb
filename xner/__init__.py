"""xner: cross-lingual NER for low-resource languages (label projection vs teacher-student)."""

__version__ = "0.1.0"
