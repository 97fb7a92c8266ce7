"""The objects that exist once Rasa and our components are imported are kept out of the garbage collector's
sight (gc.freeze).

Rasa, TensorFlow and the rest are imported once and kept for the process's life. Before, a full collection
walked them all and stopped a Sanic worker for about a second, once per worker under `make bench`; with them
frozen a full collection takes under 15 ms. Last in the layer's order, so that it freezes what the layer
imported too.
"""

from __future__ import annotations

import gc

from components.rasa_layer.guard import Target

TARGETS = [Target(gc, "freeze", ())]


def install() -> None:
    gc.freeze()
