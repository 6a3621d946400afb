"""Source labellers: gold tags or a token-classification model, with per-word probabilities."""

from xner.labelers.base import Labeler, Labelled
from xner.labelers.gold import GoldLabeler
from xner.labelers.model import ModelLabeler

__all__ = ["GoldLabeler", "Labelled", "Labeler", "ModelLabeler"]
