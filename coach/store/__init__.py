"""The call store: every call recorded as it happens (redacted), flagged, reviewed by QA.

``db`` (tables and queries), ``recorder`` (the sink that writes a call), ``flags`` (why a call
needs a human), ``config`` (settings). Import the module you need: the package itself loads nothing.
"""
