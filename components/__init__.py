"""Rasa plugins: the training-data importers, custom NLU components, channels and the tracker store.

Rasa imports this package whenever it loads our model, so the changes to how Rasa itself runs are applied
here, for every Rasa process:
- the action server's answers are validated with a schema compiled once (components/action_results.py);
- a long conversation starts a new session at a quiet moment (components/sessions.py);
- when the action server or the database is down, the person gets a clear reply (components/outages.py).
"""

from components import action_results, outages, sessions  # noqa: F401  (they apply their change on import)
