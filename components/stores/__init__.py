"""Where Rasa keeps conversations and their locks, named in endpoints.yml (scripts/endpoints.py)."""
