"""Rasa plugins: the training-data importers, custom NLU components, channels and the tracker store.

Rasa imports this package whenever it loads our model, so the changes to how Rasa itself runs are applied
here, for every Rasa process:
- the action server is called over one kept-alive session, its answers checked by compiled validators
  (components/action_server.py);
- each message's graph (NLU, policies) is run as plain calls rather than through dask
  (components/graph_runner.py);
- a long conversation starts a new session at a quiet moment (components/sessions.py);
- when the action server or the database is down, the person gets a clear reply (components/outages.py);
- the objects that exist by now (Rasa, TensorFlow and the rest, imported once and kept for the process's
  life) are moved out of the garbage collector's sight with gc.freeze(). Before, a full collection
  walked them all and stopped a Sanic worker for about a second, once per worker under `make bench`;
  with them frozen a full collection takes under 15 ms.
"""

import gc

# Each applies its change on import.
from components import action_server, graph_runner, outages, sessions  # noqa: F401

gc.freeze()
