"""xinyong (信用): an open-source public credit information platform."""

__version__ = "0.1.0"
