"""Rasa SDK actions: each turns a tracker into a call of `bot` and the result into messages."""
