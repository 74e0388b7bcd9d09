"""``people``: OpenCV's classical people detectors as an offline pointing backend.

What it is: the HOG + linear-SVM pedestrian detector (Dalal & Triggs 2005, the model
shipped inside OpenCV as ``HOGDescriptor_getDefaultPeopleDetector``) run on each sampled
frame, with OpenCV's Haar frontal-face cascade as a fall-back when HOG finds nobody. For
every frame where something is found it returns ONE point: the centre of the best box
(highest HOG weight, else the largest face), normalised to [0, 1] of the frame.

What it can find: upright, reasonably large, mostly unoccluded people (the HOG window is
64x128 px at the working height, so a person must be roughly a third of the frame tall or
more), and frontal faces of at least ``min_face`` px. What it cannot: sitting or lying
people, people seen from above, hands-only close-ups (most cooking / crafts footage),
small or heavily occluded people, animals, and anything about *who* the person is or
*what* they do: it says "a person is visible here", nothing more. It ignores ``query``
(there is one class: person) and records that in its settings. Not finding a person is
therefore weak evidence of absence; the verdict logic treats it as no evidence at all.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...media.frames import Frame, FrameRequest
from ...models.registry import register
from ..parse import Point
from .base import Answer, Task


class PeopleDetector:
    name = "people"
    tasks: tuple[Task, ...] = ("point",)

    def __init__(self, fps: float = 1.0, max_frames: int = 16, work_height: int = 240,
                 hog_scale: float = 1.05, hog_stride: int = 8, min_hog_weight: float = 0.5,
                 use_faces: bool = True, min_face: int = 24, face_neighbors: int = 8):
        import cv2  # opencv-python-headless<5: a declared dependency, imported only when asked for

        self._cv2 = cv2
        self.fps, self.max_frames, self.work_height = float(fps), int(max_frames), int(work_height)
        self.hog_scale, self.hog_stride, self.min_hog_weight = float(hog_scale), int(hog_stride), float(min_hog_weight)
        self.use_faces, self.min_face, self.face_neighbors = bool(use_faces), int(min_face), int(face_neighbors)
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self._face = None
        if use_faces:
            path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
            self._face = cv2.CascadeClassifier(path)
            if self._face.empty():
                raise RuntimeError(f"people backend: cannot load the Haar face cascade {path}")

    # -- Protocol -------------------------------------------------------------------------
    def frame_request(self, task: Task, duration: float) -> FrameRequest:
        return FrameRequest(f"opinion:{self.name}", fps=self.fps, max_frames=self.max_frames)

    def settings(self) -> dict:
        return {"backend": self.name, "model": "opencv-hog-default-people+haar-frontalface-default",
                "opencv": self._cv2.__version__, "fps": self.fps, "max_frames": self.max_frames,
                "work_height": self.work_height,
                "hog": {"win_stride": self.hog_stride, "padding": 8, "scale": self.hog_scale,
                        "min_weight": self.min_hog_weight},
                "face": {"cascade": "haarcascade_frontalface_default.xml", "scale_factor": 1.1,
                         "min_neighbors": self.face_neighbors, "min_size": self.min_face} if self.use_faces else None,
                "query": "ignored: detects people only"}

    def run(self, task: Task, frames: Sequence[Sequence[Frame]], *, durations: Sequence[float],
            query: str | None = None) -> list[Answer]:
        if task != "point":
            raise ValueError(f"people backend: only 'point' is supported, not {task!r}")
        out = []
        for vframes in frames:
            points, raw = [], []
            for f in vframes:
                hit = self.detect(f.image)
                if hit is None:
                    raw.append(f"t={f.t:.3f} none")
                    continue
                x, y, how, score = hit
                points.append(Point(t=float(f.t), x=x, y=y, label="person"))
                raw.append(f"t={f.t:.3f} {how} x={x:.4f} y={y:.4f} score={score:.3f}")
            s = self.settings() | {"frame_times": [round(float(f.t), 3) for f in vframes]}
            out.append(Answer("point", points, "\n".join(raw), s))
        return out

    # -- detection --------------------------------------------------------------------------
    def detect(self, image: np.ndarray) -> tuple[float, float, str, float] | None:
        """(x, y, "hog"|"face", score) of the best person in an RGB frame, normalised; or None."""
        cv2 = self._cv2
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return None
        scale = self.work_height / h
        img = cv2.resize(image, (max(1, round(w * scale)), self.work_height),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR) if scale != 1 else image
        H, W = img.shape[:2]
        boxes, weights = self._hog.detectMultiScale(img, winStride=(self.hog_stride, self.hog_stride),
                                                    padding=(8, 8), scale=self.hog_scale)
        weights = np.ravel(weights) if len(boxes) else np.zeros(0)
        if len(boxes) and weights.max() >= self.min_hog_weight:
            bx, by, bw, bh = boxes[int(weights.argmax())]
            return (float(np.clip((bx + bw / 2) / W, 0, 1)), float(np.clip((by + bh / 2) / H, 0, 1)), "hog",
                    float(weights.max()))
        if self._face is not None:
            gray = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
            faces = self._face.detectMultiScale(gray, 1.1, self.face_neighbors, minSize=(self.min_face, self.min_face))
            if len(faces):
                fx, fy, fw, fh = max(faces, key=lambda b: b[2] * b[3])
                return (float(np.clip((fx + fw / 2) / W, 0, 1)), float(np.clip((fy + fh / 2) / H, 0, 1)), "face",
                        float(fw * fh) / (W * H))
        return None


@register("opinion", "people")
def _people(**kwargs) -> PeopleDetector:
    return PeopleDetector(**kwargs)
