from .base import Environment, Evaluation

__all__ = ["Environment", "Evaluation"]
