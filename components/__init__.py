"""Rasa plugins: the training-data importers, custom NLU components, channels and the tracker store.

Rasa imports this package whenever it loads our model, so the one change to how Rasa itself runs is applied
here, for every Rasa process: the action server's answers are validated with a schema compiled once
(components/action_results.py).
"""

from components import action_results  # noqa: F401  (applies the change on import)
