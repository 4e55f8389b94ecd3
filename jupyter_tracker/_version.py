"""The package version, read by the build and by ``jupyter_tracker.__version__``."""

__version__ = "0.1.0"
