"""How real our pedestrians look to detectors trained on real photographs.

For each condition (day, dusk, night, night + rain) it renders frames of 1280x768 with one
pedestrian 5-14 m ahead (so >= 100 px tall), and for each shipped driving scenario frames of the
same size, then reports:

- OpenCV's HOG people detector (``HOGDescriptor_getDefaultPeopleDetector``): recall of the
  people >= 100 px tall (a detection matches a person when the IoU of its box, less the window's
  margin, and the person's visible box is >= 0.5, one detection per person, greedy by IoU), and
  the false boxes (detections that match no person or rider of any size) over the whole set;
- MediaPipe's pose model (BlazePose; the model ships in its wheel) run on a crop around each person
  (its visible box grown by 30 %): the share where it finds a person, and PCK@0.2 of its 17 COCO
  keypoints against ours (a keypoint is correct within 0.2 x the torso diameter, the distance from
  the left shoulder to the right hip, as in LSP's PCK; only our keypoints marked visible count).

OpenCV 5 has no HOGDescriptor and MediaPipe pulls opencv-contrib-python 5: run it from a venv of
its own (the ``realism`` extra) so the project's venv keeps its OpenCV::

    python -m venv /work/venv-realism
    /work/venv-realism/bin/pip install -e '.[realism,3d]'
    PYTHONPATH=. /work/venv-realism/bin/python scripts/bench_realism.py --num 50 [--json out.json]

``--per-keypoint`` adds each keypoint's mean offset of MediaPipe's from ours (a keypoint we place
off the joint shows as a steady offset, not as noise) and the share found and PCK per view (front,
side, back); ``--crops DIR`` writes each pose miss and each person under PCK 0.9 with both keypoint
sets drawn, to look at; ``--sets day`` runs only some conditions while iterating.

MediaPipe is pinned below 0.10.22: later wheels dropped ``mediapipe.solutions`` and no longer ship
the pose model (the Tasks API downloads it); 0.10.21 brings opencv-contrib-python 4.11 (which has
HOGDescriptor too) and numpy 1.26.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 768
CONDITIONS = {"day": ("day", "clear"), "dusk": ("dusk", "clear"), "night": ("night", "clear")}
CONDITIONS["night + rain"] = ("night", "rain")
MIN_HEIGHT = 100  # px: the people that count for recall
PEOPLE = ("person", "rider")

# BlazePose's 33 landmarks -> COCO's 17 keypoints (both name the person's own left and right)
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
LEFT_SHOULDER, RIGHT_HIP = 5, 12


@dataclass
class Tally:
    """Counts of one set of frames."""

    frames: int = 0
    people: int = 0  # people >= MIN_HEIGHT px
    hog_found: int = 0
    hog_false: int = 0
    pose_found: int = 0
    pck_hits: list = field(default_factory=list)  # per found person: share of its visible keypoints within 0.2 torso
    heights: list = field(default_factory=list)
    # per found person: (17, 2) offsets of MediaPipe's keypoints from ours in torso diameters, NaN
    # where ours is not visible (a keypoint placed off the joint shows as a mean offset, not noise)
    offsets: list = field(default_factory=list)
    views: list = field(default_factory=list)  # per counted person: (view, pose found, PCK or NaN)

    def row(self, name: str) -> dict:
        pck = float(np.mean(self.pck_hits)) if self.pck_hits else float("nan")
        return {
            "set": name,
            "frames": self.frames,
            "people": self.people,
            "hog_recall": self.hog_found / self.people if self.people else float("nan"),
            "hog_false_boxes": self.hog_false,
            "pose_found": self.pose_found,
            "pck_0.2": pck,
            "median_height_px": float(np.median(self.heights)) if self.heights else float("nan"),
        }


def iou(a, b) -> float:
    """IoU of two (x, y, w, h) boxes."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def hog_boxes(hog, image_bgr: np.ndarray) -> list[tuple[float, float, float, float]]:
    """People boxes (x, y, w, h) from OpenCV's default HOG people detector (its usual settings).

    A detection is the detector's 64x128 window, in which the person stands 96 px tall with a
    margin of 16 px on every side (Dalal and Triggs 2005): the box returned is that person's part
    (the middle half of the width, the middle three quarters of the height), comparable with a
    tight visible box.
    """
    rects, _ = hog.detectMultiScale(image_bgr, winStride=(8, 8), padding=(8, 8), scale=1.05)
    return [(float(x + w / 4), float(y + h / 8), float(w / 2), float(h * 3 / 4)) for x, y, w, h in rects]


def match(gt: list, det: list, threshold: float = 0.5) -> tuple[set, set]:
    """Greedy one-to-one matching by IoU: (matched gt indices, matched detection indices)."""
    pairs = sorted(((iou(g, d), i, j) for i, g in enumerate(gt) for j, d in enumerate(det)), reverse=True)
    used_g, used_d = set(), set()
    for value, i, j in pairs:
        if value < threshold:
            break
        if i not in used_g and j not in used_d:
            used_g.add(i)
            used_d.add(j)
    return used_g, used_d


def pose_on_crop(pose, image_rgb: np.ndarray, box, keypoints: np.ndarray) -> tuple[float, np.ndarray] | None:
    """PCK@0.2 of MediaPipe's keypoints on a crop around ``box`` and their (17, 2) pixel positions,
    or None when it finds no person."""
    x, y, w, h = box
    grow = 0.3
    side = max(w, h) * (1 + grow)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(image_rgb.shape[1], cx + side / 2)), int(min(image_rgb.shape[0], cy + side / 2))
    crop = np.ascontiguousarray(image_rgb[y0:y1, x0:x1])
    result = pose.process(crop)
    if result.pose_landmarks is None:
        return None
    lm = result.pose_landmarks.landmark
    pred = np.array([(lm[i].x * crop.shape[1] + x0, lm[i].y * crop.shape[0] + y0) for i in BLAZEPOSE_TO_COCO])
    torso = float(np.linalg.norm(keypoints[LEFT_SHOULDER, :2] - keypoints[RIGHT_HIP, :2]))
    seen = keypoints[:, 2] == 2
    if torso <= 0 or not seen.any():
        return None
    err = np.linalg.norm(pred - keypoints[:, :2], axis=1)
    return float(np.mean(err[seen] <= 0.2 * torso)), pred


def draw_pair(image_rgb: np.ndarray, box, ours: np.ndarray, pred: np.ndarray | None, path: Path) -> None:
    """A crop around ``box`` grown 4x, with our visible keypoints (green) and MediaPipe's (red),
    each pair joined by a line, written to ``path``."""
    import cv2

    x, y, w, h = box
    side = max(w, h) * 1.3
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(image_rgb.shape[1], cx + side / 2)), int(min(image_rgb.shape[0], cy + side / 2))
    scale = 4
    crop = cv2.resize(image_rgb[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)

    def at(p):
        return int((p[0] - x0) * scale), int((p[1] - y0) * scale)

    for k in range(len(ours)):
        if ours[k, 2] != 2:
            continue
        cv2.circle(out, at(ours[k]), 5, (0, 255, 0), -1)
        if pred is not None:
            cv2.line(out, at(ours[k]), at(pred[k]), (0, 255, 255), 1)
            cv2.circle(out, at(pred[k]), 5, (0, 0, 255), -1)
    cv2.imwrite(str(path), out)


def measure(samples, tally: Tally, hog, pose, dump: Path | None = None, crops: Path | None = None) -> None:
    """Run both detectors on each sample and add to ``tally``; with ``crops``, write a crop of each
    person the pose model misses or places at PCK < 0.9, both keypoint sets drawn."""
    import cv2

    for sample in samples:
        tally.frames += 1
        image = sample.image
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        people = [i for i in sample.labels.instances if i.category in PEOPLE and i.visible]
        counted = [i for i in people if i.bbox[3] >= MIN_HEIGHT and i.category == "person"]
        det = hog_boxes(hog, bgr)
        found, _ = match([tuple(i.bbox) for i in counted], det)
        _, explained = match([tuple(i.bbox) for i in people], det)
        tally.people += len(counted)
        tally.hog_found += len(found)
        tally.hog_false += len(det) - len(explained)
        for number, inst in enumerate(counted):
            tally.heights.append(inst.bbox[3])
            kp = np.asarray(inst.keypoints, np.float64)
            found_pose = pose_on_crop(pose, image, inst.bbox, kp)
            pred = None
            if found_pose is not None:
                pck, pred = found_pose
                tally.pose_found += 1
                tally.pck_hits.append(pck)
                torso = float(np.linalg.norm(kp[LEFT_SHOULDER, :2] - kp[RIGHT_HIP, :2]))
                offset = (pred - kp[:, :2]) / torso
                offset[kp[:, 2] != 2] = np.nan
                tally.offsets.append(offset)
            tally.views.append((view_of(kp), pred is not None, pck if pred is not None else float("nan")))
            if crops is not None and (pred is None or pck < 0.9):
                tag = ("miss" if pred is None else f"pck{pck:.2f}") + "_" + view_of(kp)
                name = f"{sample.meta['index']:04d}_{number}_{tag}_{inst.attributes.get('pose', '')}.png"
                draw_pair(image, inst.bbox, kp, pred, crops / name)
        if dump is not None:
            out = bgr.copy()
            for inst in counted:
                x, y, w, h = inst.bbox
                cv2.rectangle(out, (x, y), (x + w, y + h), (0, 255, 0), 2)
            for x, y, w, h in det:
                cv2.rectangle(out, (int(x), int(y)), (int(x + w), int(y + h)), (0, 0, 255), 2)
            cv2.imwrite(str(dump / f"{sample.meta['index']:04d}.jpg"), out, [cv2.IMWRITE_JPEG_QUALITY, 85])


def view_of(keypoints: np.ndarray) -> str:
    """``front``, ``back`` or ``side``: how a person is seen, from our keypoints (the shoulders'
    spread against the torso's length; the nose seen or hidden)."""
    spread = abs(keypoints[5, 0] - keypoints[6, 0])
    length = abs((keypoints[5, 1] + keypoints[6, 1]) / 2 - (keypoints[11, 1] + keypoints[12, 1]) / 2)
    if spread < 0.35 * length:
        return "side"
    return "front" if keypoints[0, 2] == 2 else "back"


def print_views(views: list) -> None:
    """Pose found and mean PCK@0.2 per view (front, side, back)."""
    for view in ("front", "side", "back"):
        rows = [(found, pck) for v, found, pck in views if v == view]
        if rows:
            pcks = [pck for found, pck in rows if found]
            mean = f"{np.mean(pcks):.2f}" if pcks else "-"
            print(f"  {view:6s} people {len(rows):3d}  pose found {sum(f for f, _ in rows):3d}  PCK@0.2 {mean}")


def print_per_keypoint(name: str, offsets: np.ndarray) -> None:
    """Each COCO keypoint's mean offset (MediaPipe's minus ours, torso diameters, image x right and
    y down), median error and PCK@0.2 over the found people whose keypoint we mark visible.

    Args:
        offsets: (people, 17, 2), NaN where our keypoint is not visible.
    """
    from synthgen.driving.categories import COCO_KEYPOINTS

    print(f"  {name}: keypoint      n   mean dx  mean dy  median err  PCK@0.2")
    err = np.linalg.norm(offsets, axis=2)
    for k, kp_name in enumerate(COCO_KEYPOINTS):
        ok = ~np.isnan(err[:, k])
        if not ok.any():
            continue
        dx, dy = np.mean(offsets[ok, k], axis=0)
        print(
            f"  {kp_name:16s} {ok.sum():4d}  {dx:+7.3f}  {dy:+7.3f}  {np.median(err[ok, k]):9.3f}  "
            f"{np.mean(err[ok, k] <= 0.2):6.2f}"
        )


def condition_config(tod: str, weather: str, folder: Path) -> Path:
    """A run config of one pedestrian 5-14 m ahead, seen at 1280x768, at ``tod`` in ``weather``."""
    text = f"""
name: realism_{tod}_{weather}
seed: 0
num_samples: 1000
scene:
  kind: driving
  params:
    width: {WIDTH}
    height: {HEIGHT}
    camera: {{fov_deg: 75, mount_height: 1.5, pitch_deg: 0}}
    scenario:
      name: realism
      time_of_day: {tod}
      weather: {weather}
      road: {{lanes: 2}}
      traffic: {{parked: "randint(0, 2)", ahead: 0, oncoming: "randint(0, 1)"}}
      actors:
        pedestrian:
          kind: pedestrian
          distance: uniform(5, 14)
          lateral: uniform(-2.0, 2.0)
          heading: choice([0, 90, -90, 180, 45, -45, 135, -135])
          pose: choice([walking, standing])
render:
  kind: mesh3d
augment:
  rain: {{kind: rain}}
outputs: [coco]
"""
    path = folder / f"{tod}_{weather}.yaml"
    path.write_text(text)
    return path


def scenario_config(name: str) -> list[str]:
    """Overrides of the shipped driving config that draw only scenario ``name``, at 1280x768."""
    from synthgen.driving.scenario import scenario_folder

    names = [p.stem for p in sorted(scenario_folder().glob("*.yaml"))]
    return [f"scene.params.scenarios.{n}={int(n == name)}" for n in names] + [
        f"scene.params.width={WIDTH}",
        f"scene.params.height={HEIGHT}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=50, help="frames per condition")
    parser.add_argument("--scenario-num", type=int, default=12, help="frames per shipped scenario (0: skip)")
    parser.add_argument("--json", help="write the table as JSON here")
    parser.add_argument("--dump", help="write each frame with the people (green) and HOG boxes (red) here")
    parser.add_argument(
        "--crops", help="write crops of pose misses and PCK < 0.9 people, both keypoint sets drawn, here"
    )
    parser.add_argument("--sets", help="comma-separated conditions to run (default: all), e.g. day,dusk")
    parser.add_argument("--per-keypoint", action="store_true", help="print each keypoint's offset and PCK per set")
    args = parser.parse_args()
    try:
        import cv2
        import mediapipe as mp
    except ImportError as exc:
        print(f"bench_realism needs the realism extra (opencv-python-headless<5, mediapipe): {exc}", file=sys.stderr)
        return 2
    if not hasattr(cv2, "HOGDescriptor"):
        print(f"OpenCV {cv2.__version__} has no HOGDescriptor: install opencv-python-headless<5", file=sys.stderr)
        return 2
    from synthgen.config import load_run_config
    from synthgen.engine.source import GeneratedSource, stream

    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, min_detection_confidence=0.5)
    rows = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        for name, (tod, weather) in CONDITIONS.items():
            if args.sets and name not in args.sets.split(","):
                continue
            sets.append((name, load_run_config(condition_config(tod, weather, Path(tmp))), args.num))
        if args.scenario_num:
            from synthgen.driving.scenario import scenario_folder

            for path in sorted(scenario_folder().glob("*.yaml")):
                config = load_run_config(ROOT / "synthgen" / "configs" / "driving.yaml", scenario_config(path.stem))
                sets.append((f"scenario {path.stem}", config, args.scenario_num))
        for name, config, num in sets:
            tally = Tally()
            dump = None
            if args.dump:
                dump = Path(args.dump) / name.replace(" ", "_").replace("+", "")
                dump.mkdir(parents=True, exist_ok=True)
            crops = None
            if args.crops:
                crops = Path(args.crops) / name.replace(" ", "_").replace("+", "")
                crops.mkdir(parents=True, exist_ok=True)
            measure(stream(GeneratedSource(config), range(num)), tally, hog, pose, dump, crops)
            if args.per_keypoint and tally.offsets:
                print_per_keypoint(name, np.stack(tally.offsets))
                print_views(tally.views)
            rows.append(tally.row(name))
            r = rows[-1]
            print(
                f"{name:38s} frames {r['frames']:3d}  people {r['people']:3d}  HOG {r['hog_recall']:6.1%}  "
                f"false {r['hog_false_boxes']:3d}  pose {r['pose_found']:3d}/{r['people']:<3d}  "
                f"PCK@0.2 {r['pck_0.2']:.2f}  median h {r['median_height_px']:.0f} px",
                flush=True,
            )
    print(f"{time.perf_counter() - start:.0f} s")
    print()
    print("| set | people >= 100 px | HOG recall | HOG false boxes | pose finds a person | PCK@0.2 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        recall = "-" if not r["people"] else f"{r['hog_recall']:.0%}"
        pck = "-" if np.isnan(r["pck_0.2"]) else f"{r['pck_0.2']:.2f}"
        print(
            f"| {r['set']} | {r['people']} | {recall} | {r['hog_false_boxes']} | "
            f"{r['pose_found']}/{r['people']} | {pck} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
