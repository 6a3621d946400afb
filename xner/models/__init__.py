"""Token classification models: features, data module, Lightning modules, distillation."""

from xner.models.registry import minilm_path, resolve_checkpoint

__all__ = ["minilm_path", "resolve_checkpoint"]
