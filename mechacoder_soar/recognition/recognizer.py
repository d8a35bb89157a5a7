"""The recognition model as the library proposer uses it: inputs observed, retrained on demand.

It remembers the train inputs of every task it is shown (public grids only, never outputs) as the
material dreams are made on, and retrains only when told to (the proposer does so when the library
changed, i.e. between iterations). Retraining never happens as a side effect of a prediction, so a
task's prediction does not depend on which other tasks happened to be searched before it.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain import Task
from ..library_search.primitives import Step
from .dreams import DreamConfig, Dreamer, MapFn
from .features import task_features
from .model import Prediction, RecognitionConfig, RecognitionModel


@dataclass(frozen=True)
class RecognizerConfig:
    model: RecognitionConfig = field(default_factory=RecognitionConfig)
    dreams: DreamConfig = field(default_factory=DreamConfig)


class Recognizer:
    def __init__(self, config: RecognizerConfig | None = None):
        self.config = config or RecognizerConfig()
        self.dreamer = Dreamer(self.config.dreams)
        self.model = RecognitionModel(self.config.model)
        self._inputs: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def observe(self, tasks: Iterable[Task]) -> int:
        """Remember the train inputs of `tasks` (ARC only) for the next retrain; returns how many were new."""
        new = 0
        with self._lock:
            for t in tasks:
                if t.kind == "arc" and t.id not in self._inputs and t.train:
                    self._inputs[t.id] = [e.input for e in t.train]
                    new += 1
        return new

    @property
    def n_observed(self) -> int:
        return len(self._inputs)

    def retrain(self, programs: Mapping[str, tuple[Sequence[Step], str | None]], map_fn: MapFn = map) -> int:
        """Refit on `programs` (key -> (steps, origin task id)) dreamed on the observed inputs;
        returns the number of examples. `map_fn` runs the new dreams (see `Dreamer.examples`)."""
        with self._lock:
            inputs = dict(self._inputs)
        examples = self.dreamer.examples(programs, inputs, map_fn)
        self.model = RecognitionModel(self.config.model).fit(examples)
        return len(examples)

    def predict(self, task: Task) -> Prediction:
        """What `task` needs, from its train pairs; its own dreams left out."""
        if task.kind != "arc" or not task.train or self.model.n_examples == 0:
            return Prediction()
        f = task_features([(e.input, e.output) for e in task.train])
        return self.model.predict(f, exclude_task=task.id)
