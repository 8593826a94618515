"""accessdenied: AWS AccessDenied errors to diagnostics and verified IAM fixes."""

__version__ = "0.1.0"
