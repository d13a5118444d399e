"""The annotated video: every frame of the input with its face boxes and the panel under it, as H.264."""
import numpy as np
from tqdm import tqdm

from dfkit.video import VideoWriter, iter_frames
from dfkit.visualize.draw import Panel, draw_box, score_colour
from dfkit.visualize.summary import write_summary

CHUNK = 16          # frames encoded per write
SUMMARY_FRAMES = 8  # sampled frames shown on the summary sheet


def annotate_frame(frame, report, index, overlay=None):
    """``frame`` (H, W, 3) uint8 RGB of video frame ``index`` with every track's box drawn (a new array).

    A frame the report did not sample takes each track's nearest sampled box and score (marked ``*``).
    overlay: optional ``callable(image, track, position)`` drawing on the copy first (e.g. a heat map).
    """
    image = frame.copy()
    for track in report.tracks:
        position = track.nearest(index)
        if overlay is not None:
            overlay(image, track, position)
        draw_box(image, track.boxes[position], track.scores[position], track.label,
                 estimated=track.indices[position] != index)
    return image


def summary_indices(sampled, count=SUMMARY_FRAMES):
    """Up to ``count`` evenly spaced frame numbers among the report's ``sampled`` ones."""
    picks = np.unique(np.round(np.linspace(0, len(sampled) - 1, min(count, len(sampled)))).astype(int))
    return {int(sampled[k]) for k in picks}


def annotate_video(video, report, info, output, summary=None, overlay=None, crf=20, progress=None):
    """Write the annotated copy of ``video`` to ``output`` (H.264 MP4, yuv420p, same fps) and, if asked, the
    summary sheet PNG. Frames are (H + panel) x W; both files are written atomically. ``progress``: tqdm bar
    (None = when stderr is a terminal). Returns the number of frames written."""
    panel = Panel(report, info.num_frames, info.height, info.width)
    verdict_colour = score_colour(1.0 if report.verdict == "fake" else 0.0)
    wanted = summary_indices(report.sampled) if summary else set()
    kept, chunk = [], []
    with VideoWriter(output, info.fps, crf=crf) as writer:
        frames = iter_frames(video, range(info.num_frames))
        for index, frame in tqdm(frames, total=info.num_frames, desc="annotating", unit="frame",
                                 disable=None if progress is None else not progress):
            image = annotate_frame(frame, report, index, overlay)
            if index in wanted:
                kept.append((index, image))
            chunk.append(np.concatenate([image, panel.at(index, verdict_colour)]))
            if len(chunk) == CHUNK:
                writer.write(np.stack(chunk))
                chunk = []
        if chunk:
            writer.write(np.stack(chunk))
        if summary:
            write_summary(summary, kept, report, info.num_frames)
    return writer.frames_written
