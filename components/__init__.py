"""Rasa plugins: the training-data importer for the knowledge base and custom NLU components."""
