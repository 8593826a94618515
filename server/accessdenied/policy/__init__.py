"""Package placeholder; its owner replaces this docstring."""
