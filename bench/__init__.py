"""Byline's benchmark harness: see bench/README.md."""
