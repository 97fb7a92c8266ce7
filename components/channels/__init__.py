"""The channels Rasa listens on (credentials.yml), and how each of them reads a message and limits a flood."""
