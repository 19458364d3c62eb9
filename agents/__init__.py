"""Models, populations and training for the tasks of :mod:`alrnn_tasks`.

The AL-RNN (:class:`ALRNN`) and its baselines map task inputs to outputs;
:class:`Population` stacks many AL-RNNs so that a sweep trains in one pass;
:func:`train` writes a run directory that :func:`load` reads back. The
``alrnn`` command line (:mod:`agents.cli`) drives all of it.
"""

from __future__ import annotations

from agents.alrnn import ALRNN
from agents.baselines import CTRNN, GatedRNN, VanillaRNN
from agents.errors import (
    AgentsError,
    CheckpointError,
    ConfigError,
    FitDataError,
    NonFiniteLossError,
)
from agents.evaluation import evaluate
from agents.fit_config import FitConfig
from agents.fitting import FitResult, fit
from agents.model_zoo import list_pretrained, pretrained
from agents.models import ModelConfig, RecurrentModel, build_model
from agents.population import Population
from agents.runs import load, load_population
from agents.train_config import TrainConfig
from agents.training import TrainResult, train

__all__ = [
    "ALRNN",
    "CTRNN",
    "AgentsError",
    "CheckpointError",
    "ConfigError",
    "FitConfig",
    "FitDataError",
    "FitResult",
    "GatedRNN",
    "ModelConfig",
    "NonFiniteLossError",
    "Population",
    "RecurrentModel",
    "TrainConfig",
    "TrainResult",
    "VanillaRNN",
    "build_model",
    "evaluate",
    "fit",
    "list_pretrained",
    "load",
    "load_population",
    "pretrained",
    "train",
]
