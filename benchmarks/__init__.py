"""Timed measurements. Never part of the test suite: run with `make bench`."""
