"""Rasa plugins, one package per kind: channels, importers, NLU components, stores, and the Rasa layer.

Rasa imports this package whenever it loads our model, so the changes to how Rasa itself runs are applied
here, for every Rasa process, by the one call below (components/rasa_layer says which, in what order, and
checks Rasa's version and each target first).
"""

from components import rasa_layer

rasa_layer.apply()
