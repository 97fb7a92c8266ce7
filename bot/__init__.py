"""TwitchCheck core: findings, knowledge, red-flag triage and storage, with no Rasa imports."""
