"""pipvet: keep a data practitioner's Python dependencies safe."""

__version__ = "0.1.0"
