"""callup: administration of compulsory military service."""

__version__ = "0.1.0"
