"""A web process is ready before its first listener: models loaded, the loaded heap frozen."""

from __future__ import annotations

import gc

from mood import encoder
from personalais.warm import web_process_warm


def test_warming_loads_the_turns_models_and_freezes_what_is_loaded():
    try:
        web_process_warm()

        assert gc.get_freeze_count() > 10_000, "the loaded apps and models are out of the collector's walk"
        assert encoder._model, "the sentence encoder's session is built"
    finally:
        gc.unfreeze()
