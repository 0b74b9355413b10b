"""llmcourse: build a miniature ChatGPT, one notebook at a time. Importing the package does nothing else."""
__version__ = "0.0.1"
