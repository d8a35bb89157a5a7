"""mechacoder-soar: domain and engines."""
__version__ = "0.1.0"
