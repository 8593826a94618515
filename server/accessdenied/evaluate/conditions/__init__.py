"""Condition operator families, one module each."""
