"""``driving_insert``: the actors of a driving scenario rendered into a user's own frames.

The frames (a KITTI-layout folder or a folder of photographs with one camera) are read one at a
time (``frames``); the ground is taken from the calibration, the labelled 3D boxes or the camera
(``ground``); the scenario's actors are placed on it, clear of every labelled box and inside the
view (``placement``); the ``mesh3d_insert`` renderer draws them with the mesh3d renderer through the
frame's camera and lays them into the frame with occlusion both ways, a contact shadow, the frame's
light, blur, noise and JPEG level (``composite``, ``match``); the ``insert_real`` annotator gives
back the frame's own labels, changed only where an actor covers them (``real_labels``).
"""
