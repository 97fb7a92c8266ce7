"""Our NLU components, named in config.yml's pipeline: they call bot/ on each message."""
