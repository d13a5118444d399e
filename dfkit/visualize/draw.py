"""Drawing on RGB uint8 frames with OpenCV: score-coloured face boxes and the panel under each frame.

Colours: a score s (probability of fake) is ``score_colour(s)`` = green (0, 255, 0) at 0, yellow
(255, 255, 0) at 0.5, red (255, 0, 0) at 1, linear in between; a missing score is grey. The panel under
the frame holds the verdict line, the legend and the score timeline (one curve per track or per
``<name>_score`` field, the threshold dashed, a cursor at the frame shown).
"""
import math

import cv2
import numpy as np

NO_SCORE = (160, 160, 160)
CURVE_COLOURS = ((80, 160, 255), (255, 140, 40), (200, 90, 255), (40, 220, 220), (255, 90, 160))
TEXT = (255, 255, 255)
PANEL_BACKGROUND = (24, 24, 24)
FONT = cv2.FONT_HERSHEY_SIMPLEX
LEGEND = "box colour = P(fake): green 0, yellow 0.5, red 1; * = frame not sampled: nearest sampled box and score"


def score_colour(score):
    """RGB tuple for a probability of fake ``score`` (see the module docstring); grey for None / NaN."""
    if score is None or math.isnan(score):
        return NO_SCORE
    s = min(max(float(score), 0.0), 1.0)
    return (min(255, round(510 * s)), min(255, round(510 * (1 - s))), 0)


def line_width(height, width):
    """Box line thickness (px) for a frame of ``height`` x ``width``: at least 4, so the colour survives
    H.264's half-resolution chroma."""
    return max(4, round(min(height, width) / 120))


def panel_height(height):
    """Height (px) of the panel drawn under a frame ``height`` px tall: max(64, height // 4), made even."""
    rows = max(64, height // 4)
    return rows + rows % 2


def _font_scale(width):
    return min(max(width / 1600, 0.3), 1.0)


def draw_box(frame, box, score, label, estimated=False):
    """Draw ``box`` [x0, y0, x1, y1] px on ``frame`` (H, W, 3) uint8 RGB in place, coloured by ``score``, with
    ``label`` and the score printed above it (``*`` when ``estimated``: taken from the nearest sampled frame)."""
    if box is None or np.isnan(box).any():
        return
    height, width = frame.shape[:2]
    colour, thickness = score_colour(score), line_width(height, width)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    cv2.rectangle(frame, (x0, y0), (x1, y1), colour, thickness)
    score_text = "n/a" if score is None or math.isnan(score) else f"{score:.2f}"
    text = f"{label} {score_text}{'*' if estimated else ''}"
    scale = _font_scale(width) * 1.2
    (text_w, text_h), base = cv2.getTextSize(text, FONT, scale, 1)
    top = y0 - thickness // 2 - text_h - base - 4
    top = top if top >= 0 else y1 + thickness // 2
    cv2.rectangle(frame, (x0 - thickness // 2, top), (x0 - thickness // 2 + text_w + 6, top + text_h + base + 4),
                  colour, cv2.FILLED)
    cv2.putText(frame, text, (x0 - thickness // 2 + 3, top + text_h + 2), FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)


def modality_line(report):
    """`` | visual 0.81, audio n/a`` for a multi-modal report's per-modality scores, else ""."""
    if not report.modalities:
        return ""
    return " | " + ", ".join(f"{name} {'n/a' if score is None else f'{score:.2f}'}"
                             for name, score in report.modalities.items())


class Panel:
    """The strip under every frame, ``panel_height(height)`` x ``width``: its static part (legend, verdict,
    curves, threshold) is drawn once; :meth:`at` adds the cursor and frame number for one frame."""

    def __init__(self, report, num_frames, height, width):
        self.num_frames, self.width = num_frames, width
        self.rows = panel_height(height)
        self.scale = _font_scale(width)
        self.line = cv2.getTextSize("Ag", FONT, self.scale, 1)[0][1] + 6
        self.plot = (8, 2 * self.line + 6, width - 9, self.rows - 6)  # x0, y0, x1, y1 of the timeline
        self.image = np.full((self.rows, width, 3), PANEL_BACKGROUND, np.uint8)
        self._static(report)

    def x(self, frame):
        x0, _, x1, _ = self.plot
        return int(round(x0 + (x1 - x0) * frame / max(self.num_frames - 1, 1)))

    def y(self, score):
        _, y0, _, y1 = self.plot
        return int(round(y1 - (y1 - y0) * min(max(score, 0.0), 1.0)))

    def _static(self, report):
        image = self.image
        score = "n/a" if report.video_score is None else f"{report.video_score:.3f}"
        threshold = "" if report.threshold is None else f", threshold {report.threshold:.2f}"
        self.title = f"{report.verdict.upper()} (video score {score}{threshold}) {report.model}{modality_line(report)}"
        cv2.putText(image, LEGEND, (8, 2 * self.line - 4), FONT, self.scale * 0.8, (190, 190, 190), 1, cv2.LINE_AA)
        x0, y0, x1, y1 = self.plot
        cv2.rectangle(image, (x0, y0), (x1, y1), (70, 70, 70), 1)
        if report.threshold is not None:
            y = self.y(report.threshold)
            for start in range(x0, x1, 8):
                cv2.line(image, (start, y), (min(start + 4, x1), y), (150, 150, 150), 1)
        label_x = x0 + 4
        for k, (name, (indices, scores)) in enumerate(report.curves.items()):
            keep = ~np.isnan(scores)
            points = np.array([(self.x(i), self.y(s)) for i, s in zip(indices[keep], scores[keep])], np.int32)
            colour = CURVE_COLOURS[k % len(CURVE_COLOURS)]
            if len(points) > 1:
                cv2.polylines(image, [points], False, colour, 1, cv2.LINE_AA)
            for point, s in zip(points, scores[keep]):
                cv2.circle(image, tuple(int(v) for v in point), 2, score_colour(s), cv2.FILLED)
            if len(report.curves) > 1:
                cv2.putText(image, name, (label_x, y0 + self.line), FONT, self.scale * 0.8, colour, 1, cv2.LINE_AA)
                label_x += cv2.getTextSize(name, FONT, self.scale * 0.8, 1)[0][0] + 12

    def at(self, frame, colour):
        """The panel for video frame ``frame`` (``colour``: the verdict line's colour), a new array."""
        image = self.image.copy()
        cv2.putText(image, f"{self.title}  frame {frame + 1}/{self.num_frames}", (8, self.line - 2), FONT,
                    self.scale, colour, 1, cv2.LINE_AA)
        x = self.x(frame)
        cv2.line(image, (x, self.plot[1]), (x, self.plot[3]), TEXT, 1)
        return image
