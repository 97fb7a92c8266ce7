"""Rasa plugins: the training-data importers, custom NLU components, channels and the tracker store.

Rasa imports this package whenever it loads our model, so the changes to how Rasa itself runs are applied
here, for every Rasa process:
- the action server is called over one kept-alive session, its answers checked by compiled validators
  (components/action_server.py);
- a long conversation starts a new session at a quiet moment (components/sessions.py);
- when the action server or the database is down, the person gets a clear reply (components/outages.py).
"""

from components import action_server, outages, sessions  # noqa: F401  (they apply their change on import)
