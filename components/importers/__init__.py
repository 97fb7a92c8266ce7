"""Training-data importers (config.yml): each turns what is written once in data/ into what Rasa trains on."""
