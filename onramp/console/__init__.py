"""The local console: one user's path through the embedded pipeline, in a browser and a terminal."""
