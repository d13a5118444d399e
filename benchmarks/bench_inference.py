"""Benchmark: detect_video's inference engines side by side on a 10 s 1080p clip, 32 frames.

For each of Xception-299, EfficientNet-B4 (380 px) and Meso4 (256 px), in one run: the blueprint's naive
loop (bench_detect_video.py), then detect_video.py's pipeline with PyTorch fp32, PyTorch bf16 (only where
the CPU runs it natively), ONNX Runtime fp32 and ONNX Runtime int8 (static QDQ, per-channel weights,
calibrated on ``--calibration`` face crops: half drawn synthetic faces, half the astronaut photo in other
takes than the clip's). Per row: seconds per video split into decode /
face detection / model, speed-up over the naive loop, and the largest per-frame score difference from the
PyTorch fp32 pipeline (for the naive loop this also reflects its unsmoothed boxes, i.e. other crops). The
models are untrained (speed does not depend on the weights), with BatchNorm
statistics set on the clip's own face crops and the last layer scaled so their scores spread over about
0.1-0.9: an untrained net scores every face alike, which would hide any difference.

``--auc`` adds the accuracy side of int8: Meso4 trained on synthetic clips (strength 0.3, so the AUC is
not trivially 1), scored on held-out clips with PyTorch fp32, ONNX Runtime fp32 and int8.
``--stages`` measures what is left outside the model: seeking vs decoding the whole GOP, face-detection
downscale and batch size, and thread counts.

    python benchmarks/bench_inference.py [--models xceptionnet efficientnet_b4 meso4] [--repeats 1]
        [--threads 2] [--calibration 128] [--no-naive] [--auc] [--stages]

Prints the machine (CPU model and flags, benchmarks/machine.py) and the load average first: on a shared
machine the figures are only comparable within one run.
"""
import argparse
import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench_detect_video import naive_loop, write_clip  # this folder: the scripts run as files
from machine import machine
from dfkit import registry
from dfkit.cli import run
from dfkit.curriculum import load
from dfkit.drivers import detect
from dfkit.drivers.checkpoints import detector_record
from dfkit.export import export_detector
from dfkit.export.samples import calibration_inputs
from dfkit.training import save_checkpoint
from dfkit.video import sample_indices

MODELS = ("xceptionnet", "efficientnet_b4", "meso4")


def trained_like(name, faces):
    """Detector ``name`` (seeded random weights) whose BatchNorm statistics are those of ``faces`` (N, 3, S, S)
    and whose last linear layer spreads their logits over about +-2 (scores 0.1-0.9)."""
    torch.manual_seed(0)
    model = registry.build_detector(name)
    for layer in model.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.momentum = None
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        model.train()(faces)
        logits = model.eval()(faces)
        scale = 2 / float(logits.std())
        head.weight *= scale
        head.bias.mul_(scale).sub_(float(logits.mean()) * scale)
    return model


def calibration_crops(record, count):
    """``count`` model inputs: half drawn synthetic faces (dfkit.export's default calibration), half the
    astronaut photo in other takes (seeds) than the benchmark clip's, 4 crops per clip."""
    from dfkit.drivers.checkpoints import record_input_spec
    from dfkit.drivers.inputs import video_inputs
    from dfkit.faces.pipeline import crop_faces
    from dfkit.synthetic import make_clips

    clips = make_clips(-(-count // 8), seed=77, num_frames=4, size=256, photo="astronaut")
    photo = [video_inputs("face_crops", crop_faces(c.frames, c.boxes, record["margin"]), record_input_spec(record))[0]
             for c in clips]
    return torch.cat([calibration_inputs(record, count=count // 2), *photo])[:count]


def export_models(name, folder, count, video, boxes):
    """Write ``<name>.pt`` (:func:`trained_like` on the clip's own face crops at the generator's ``boxes``, so its
    scores on the clip are not saturated), ``<name>.onnx`` and ``<name>-int8.onnx`` (calibrated on other
    faces, :func:`calibration_crops`). Returns the model and {"fp32" / "int8": (export seconds, the export's
    max |score difference| on its check crops)}."""
    from dfkit.drivers.checkpoints import record_input_spec
    from dfkit.drivers.inputs import video_inputs
    from dfkit.faces.pipeline import crop_faces
    from dfkit.video import read_frames

    record = detector_record(name, registry.get(name).kwargs, registry.input_spec(name))
    frames, indices = read_frames(video, num_frames=32)
    spec = record_input_spec(record)
    faces = video_inputs("face_crops", crop_faces(frames, boxes[indices], record["margin"]), spec)[0]
    model = trained_like(name, faces)
    calibration = calibration_crops(record, count)
    save_checkpoint(folder / f"{name}.pt", model, arch=name)
    info = {}
    for precision in ("fp32", "int8"):
        started = time.perf_counter()
        exported = export_detector(model, record, calibration=calibration if precision == "int8" else None,
                                   tolerance=1.0)  # report the difference rather than refuse
        (folder / f"{name}{'-int8' if precision == 'int8' else ''}.onnx").write_bytes(
            exported.proto.SerializeToString())
        info[precision] = (time.perf_counter() - started, exported.max_score_diff)
    return model, info


def pipeline(video, model_file, folder, frames, repeats, *extra):
    """detect_video.main ``repeats`` times: (fastest stage seconds, per-frame scores, report's model entry)."""
    argv = ["--input", str(video), "--model", str(model_file), "--output", str(folder / "report.json"),
            "--frames", str(frames), "--device", "cpu", *extra]
    best = None
    for _ in range(repeats):
        with contextlib.redirect_stdout(io.StringIO()):
            run(detect.main, argv)
        report = json.loads((folder / "report.json").read_text())
        timing = {k: report["timing_s"][k] for k in ("decode", "face_detection", "model")}
        best = timing if best is None or sum(timing.values()) < sum(best.values()) else best
    return best, np.array([f["score"] for f in report["frames"]]), report["model"]


def compare_engines(args, folder, video, truth):
    features = load("phase1_cnn_detection.template_feature_extraction")
    native_bf16 = detect.model_precision("auto", torch.device("cpu")) == "bf16"
    print(f"{'model / engine':>28} | {'total s':>7} | {'decode':>6} | {'faces':>6} | {'model':>6} | "
          f"{'vs naive':>8} | max |score diff| vs PyTorch fp32")
    for name in args.models:
        model, info = export_models(name, folder, args.calibration, video, truth)
        spec = registry.input_spec(name)
        rows = {}
        if not args.no_naive:
            slow = None
            for _ in range(args.repeats):
                timing, _, slow_scores = naive_loop(video, model, features, sample_indices(len(truth), args.frames),
                                                    spec.size, spec.mean, spec.std)
                slow = timing if slow is None or sum(timing.values()) < sum(slow.values()) else slow
            rows["naive loop (PyTorch fp32)"] = (slow, slow_scores)
        engines = {"PyTorch fp32": (f"{name}.pt", "--precision", "fp32")}
        if native_bf16:
            engines["PyTorch bf16"] = (f"{name}.pt", "--precision", "bf16")
        engines["ONNX Runtime fp32"] = (f"{name}.onnx", "--runtime", "onnxruntime")
        engines["ONNX Runtime int8"] = (f"{name}-int8.onnx", "--runtime", "onnxruntime")
        for engine, (model_file, *extra) in engines.items():
            timing, scores, _ = pipeline(video, folder / model_file, folder, args.frames, args.repeats, *extra)
            rows[f"pipeline, {engine}"] = (timing, scores)
        reference = rows["pipeline, PyTorch fp32"][1]
        naive_total = sum(rows["naive loop (PyTorch fp32)"][0].values()) if not args.no_naive else None
        print(f"{name} ({spec.size} px; export {info['fp32'][0]:.1f} s fp32, {info['int8'][0]:.1f} s int8 with "
              f"{args.calibration} calibration crops; int8 vs PyTorch on the export's check crops "
              f"{info['int8'][1]:.4f}; PyTorch fp32 scores on the clip {reference.min():.3f}-{reference.max():.3f})")
        for label, (timing, scores) in rows.items():
            total = sum(timing.values())
            speedup = f"{naive_total / total:7.1f}x" if naive_total else "      -"
            print(f"{label:>28} | {total:7.2f} | {timing['decode']:6.2f} | {timing['face_detection']:6.2f} | "
                  f"{timing['model']:6.2f} | {speedup} | {np.abs(scores - reference).max():.4f}")
    if not native_bf16:
        print("(no bf16 row: this CPU has no native bf16, where autocast would be slower than fp32)")


def int8_auc(args):
    """Meso4 trained on synthetic clips; held-out video AUC with PyTorch fp32, ONNX Runtime fp32 and int8."""
    from dfkit.data import SyntheticFaces
    from dfkit.drivers.inputs import face_dataset
    from dfkit.drivers.train import training_loss
    from dfkit.export import item_scores
    from dfkit.metrics import summarize
    from dfkit.export.session import OnnxDetector
    from dfkit.synthetic import make_clips
    from dfkit.training import TrainConfig, Trainer

    spec = registry.input_spec("meso4")
    clip_args = dict(size=256, strength=args.auc_strength)
    train_set = face_dataset("face_crops", SyntheticFaces(make_clips(args.auc_train, seed=1, num_frames=1,
                                                                    **clip_args)), spec)
    test_set = face_dataset("face_crops", SyntheticFaces(make_clips(args.auc_test, seed=1001, num_frames=4,
                                                                   **clip_args)), spec)
    with tempfile.TemporaryDirectory() as output:
        config = TrainConfig(epochs=args.auc_epochs, batch_size=8, lr=2e-3, seed=1, output_dir=output, arch="meso4",
                             device="cpu", progress=False)
        torch.manual_seed(1)
        trainer = Trainer(registry.build_detector("meso4"), train_set, None, config, loss=training_loss("meso4"))
        started = time.perf_counter()
        trainer.fit()
        train_seconds = time.perf_counter() - started
    model = trainer.model.eval()
    record = detector_record("meso4", registry.get("meso4").kwargs, spec)
    inputs = torch.stack([test_set[i][0] for i in range(len(test_set))])
    labels, video_ids = np.array(test_set.labels), test_set.video_ids
    engines = {"PyTorch fp32": model}
    for precision, calibration in (("fp32", None), ("int8", calibration_inputs(record, count=args.calibration))):
        exported = export_detector(model, record, calibration=calibration, tolerance=1.0)
        engines[f"ONNX Runtime {precision}"] = OnnxDetector.from_model(exported.proto.SerializeToString(),
                                                                       torch.device("cpu"))
    print(f"int8 accuracy: Meso4 trained {args.auc_epochs} epochs on {args.auc_train} synthetic clips (strength "
          f"{args.auc_strength}, {train_seconds:.0f} s); held-out {args.auc_test} clips x 4 frames (other seeds)")
    reference = None
    for engine, scorer in engines.items():
        started = time.perf_counter()
        scores = item_scores(scorer, inputs)
        seconds = time.perf_counter() - started
        summary = summarize(labels, scores, video_ids)
        reference = summary["video"]["auc"] if reference is None else reference
        auc = summary["video"]["auc"]
        print(f"{engine:>18}: video AUC {auc:.4f} (change {auc - reference:+.4f}), "
              f"frame AUC {summary['frame']['auc']:.4f}; {len(inputs)} crops scored in {seconds:.2f} s")


def pipeline_stages(args, video, folder, truth):
    """What is left outside the model: decoding strategy, detection downscale / batch size, threads."""
    import av

    from bench_video_read import read_with_opencv
    from dfkit.faces.pipeline import FaceTracker
    from dfkit.video import read_frames, write_video

    def best(fn):
        times = []
        for _ in range(max(2, args.repeats)):
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        return min(times), result

    indices = sample_indices(len(truth), args.frames)
    wanted = set(int(i) for i in indices)
    short_gop = folder / "gop25.mp4"
    with av.open(str(video)) as container:
        frames_all = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    write_video(short_gop, frames_all, fps=25, gop=25)
    del frames_all
    print(f"decode, {args.frames} of {len(truth)} frames of the 1080p clip:")
    for label, path in (("x264 default GOP (keyframe every 250)", video), ("GOP 25 (keyframe every 1 s)", short_gop)):
        seconds, _ = best(lambda: read_frames(path, num_frames=args.frames))
        print(f"  {label}: dfkit read_frames (seeks when a keyframe lies ahead) {seconds:.2f} s")

        def decode_all():
            with av.open(str(path)) as container:
                container.streams.video[0].thread_type = "AUTO"
                kept = [f.to_ndarray(format="rgb24") for i, f in enumerate(container.decode(video=0)) if i in wanted]
            return kept
        seconds, _ = best(decode_all)
        print(f"  {label}: PyAV decoding every frame (threaded), keeping {args.frames}: {seconds:.2f} s; "
              f"OpenCV every frame: {best(lambda: read_with_opencv(path, indices))[0]:.2f} s")
    frames, _ = read_frames(video, num_frames=args.frames)
    print(f"face detection (MTCNN) on {args.frames} 1080p frames, {torch.get_num_threads()} threads:")
    reference = None
    for detect_size in (640, 480, 320):
        tracker = FaceTracker(device="cpu", detect_size=detect_size)
        tracker(frames[:2])  # load MTCNN outside the timing
        seconds, (boxes, _) = best(lambda: tracker(frames))
        reference = boxes if reference is None else reference
        print(f"  --detect-size {detect_size}: {seconds:.2f} s, boxes within {np.abs(boxes - reference).max():.1f} px "
              f"of 640's, {np.abs(boxes - truth[indices]).max():.1f} px of the generator's")
    tracker = FaceTracker(device="cpu", detect_size=640)
    for batch in (4, 32):
        tracker.detector.batch_size = batch
        print(f"  batch {batch} (default 16): {best(lambda: tracker(frames))[0]:.2f} s")
    tracker.detector.batch_size = 16
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    print(f"  1 torch thread instead of {threads}: {best(lambda: tracker(frames))[0]:.2f} s")
    torch.set_num_threads(threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest is reported")
    parser.add_argument("--calibration", type=int, default=128, help="synthetic face crops for int8 calibration")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive loop")
    parser.add_argument("--no-engines", action="store_true", help="skip the engine table")
    parser.add_argument("--auc", action="store_true", help="int8's held-out AUC change (trains Meso4)")
    parser.add_argument("--auc-train", type=int, default=256)
    parser.add_argument("--auc-test", type=int, default=128)
    parser.add_argument("--auc-epochs", type=int, default=12)
    parser.add_argument("--auc-strength", type=float, default=0.3)
    parser.add_argument("--stages", action="store_true", help="decode and face-detection measurements")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at start; ATEN_CPU_CAPABILITY="
          f"{os.environ.get('ATEN_CPU_CAPABILITY', '-')}, "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}, "
          f"PyTorch CPU capability {torch.backends.cpu.get_cpu_capability()}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        video = folder / "clip.mp4"
        if not args.no_engines or args.stages:
            started = time.perf_counter()
            truth = write_clip(video)
            print(f"clip: {len(truth)} frames 1920x1080 H.264, made in {time.perf_counter() - started:.0f} s")
        if not args.no_engines:
            compare_engines(args, folder, video, truth)
        if args.stages:
            pipeline_stages(args, video, folder, truth)
    if args.auc:
        int8_auc(args)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
