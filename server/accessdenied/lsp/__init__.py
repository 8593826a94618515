"""The language server: services, features and the lifecycle handlers (see docs/architecture.md).

`app.build_server()` wires one module per feature; `convert.py` is the only place core
spans become LSP positions.
"""
