"""Token classification models: features, data module, Lightning modules, distillation.

Heavy modules (torch, transformers, Lightning) are imported from their own files:
``xner.models.classifier.TokenClassifier``, ``xner.models.distill.DistillationModule``,
``xner.models.datamodule.NERDataModule``, ``xner.models.trainer.build_trainer``,
``xner.models.features.predict_word_probs``.
"""

from xner.models.registry import minilm_path, resolve_checkpoint

__all__ = ["minilm_path", "resolve_checkpoint"]
