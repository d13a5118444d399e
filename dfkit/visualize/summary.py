"""The PNG summary sheet: a few sampled frames with their boxes, and the score plot under them."""
import math

from matplotlib.figure import Figure

from dfkit.reports import save_figure
from dfkit.visualize.draw import modality_line

COLUMNS = 4


def write_summary(path, frames, report, num_frames):
    """Write the sheet to ``path`` (atomically): ``frames`` is a list of ``(frame number, annotated (H, W, 3)
    uint8 RGB)``, ``report`` a :class:`dfkit.visualize.report.DetectionReport`; returns the path."""
    columns = min(len(frames), COLUMNS)
    rows = math.ceil(len(frames) / columns)
    aspect = frames[0][1].shape[0] / frames[0][1].shape[1]  # height / width of a frame
    figure = Figure(figsize=(3.2 * columns, (3.2 * aspect + 0.4) * rows + 2.8))
    grid = figure.add_gridspec(rows + 1, columns, height_ratios=[1] * rows + [0.9])
    for k, (index, image) in enumerate(frames):
        axes = figure.add_subplot(grid[k // columns, k % columns])
        axes.imshow(image)
        axes.set_title(f"frame {index}", fontsize=9)
        axes.axis("off")
    axes = figure.add_subplot(grid[rows, :])
    for name, (indices, scores) in report.curves.items():
        axes.plot(indices, scores, marker="o", markersize=3, label=name)
    if report.threshold is not None:
        axes.axhline(report.threshold, color="grey", linestyle="--", linewidth=0.8, label="threshold")
    axes.set(xlim=(0, max(num_frames - 1, 1)), ylim=(-0.02, 1.02), xlabel="frame", ylabel="P(fake)")
    axes.legend(loc="upper right", fontsize=8)
    score = "n/a" if report.video_score is None else f"{report.video_score:.3f}"
    figure.suptitle(f"verdict: {report.verdict} (video score {score}) {report.model}{modality_line(report)}")
    return save_figure(figure, path)
