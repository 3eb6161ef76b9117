"""copact: check, simulate, run and settle supplier co-investment partnerships."""

__version__ = "0.1.0"
__all__ = ["__version__"]
