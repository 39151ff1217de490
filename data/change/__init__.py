"""Learning and validating land-use change: change models and their scores against real maps."""
