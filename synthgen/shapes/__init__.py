"""The shapes domain: filled polygons, discs, stars and rings that overlap, hide each other and
leave the image, a scene for labels beyond text (amodal boxes, occlusion, truncation, keypoints).

``scene`` samples the shapes (SceneKind ``shapes``), ``render`` draws them (RendererKind
``shapes2d``), ``raster`` rasterises one shape exactly, ``geometry`` holds what a shape is.
"""
