"""synthgen: labelled synthetic training data for computer vision.

``import synthgen`` stays light: stages and their heavy dependencies are imported where used.
"""

__version__ = "0.1.0"
