"""Test support: tiny random models that stand in for hub checkpoints offline."""
