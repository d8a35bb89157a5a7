"""The recognition model: which primitives and compositions a task needs, learned from the library
(its (task, program) pairs and their dreams) and predicted from the task's grids alone.

    from mechacoder_soar.recognition import Recognizer, task_features
"""
from .dreams import DreamConfig, Dreamer, Example, dream_pairs, program_key
from .features import N_FEATURES, pair_features, task_features
from .model import Prediction, RecognitionConfig, RecognitionModel
from .recognizer import Recognizer, RecognizerConfig

__all__ = [
    "DreamConfig", "Dreamer", "Example", "dream_pairs", "program_key", "N_FEATURES", "pair_features",
    "task_features", "Prediction", "RecognitionConfig", "RecognitionModel", "Recognizer", "RecognizerConfig",
]
