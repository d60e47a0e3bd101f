"""The rules, free of Flask request objects: one module per area, plus small pure helpers."""
