"""Benchmarks of the workflow runtime: `python -m bench [--quick] [--only NAME]`.

Each module here with a `run(quick: bool) -> list[dict]` is one benchmark; it prints
measured figures and ratios against the goals stated in the issue. Not tests: nothing
here asserts a timing.
"""
