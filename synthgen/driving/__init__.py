"""The driving domain: a renderer-independent scene graph (objects, camera rig, lights), procedural
roads and actors built with trimesh, declarative scenarios, and the ``mesh3d`` renderer (pyrender,
offscreen through EGL) with its 2D/3D labels.

Heavy dependencies (trimesh, pyrender, OpenGL) are imported by the modules that use them, so
``import synthgen`` stays light.
"""
