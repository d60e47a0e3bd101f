"""The engine adapter (issue 3): knows nothing of construction sites."""
