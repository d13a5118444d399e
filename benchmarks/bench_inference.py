"""Benchmark: detect_video's inference engines side by side on a 10 s 1080p clip, 32 frames.

For each of Xception-299, EfficientNet-B4 (380 px) and Meso4 (256 px), in one run: the blueprint's naive
loop (bench_detect_video.py), then detect_video.py's pipeline with PyTorch fp32, PyTorch bf16 (only where
the CPU runs it natively), ONNX Runtime fp32 and ONNX Runtime int8 (dfkit.export's static QDQ, calibrated
on ``--calibration`` face crops: half drawn synthetic faces, half the astronaut photo in other takes than
the clip's). Per row: seconds per video split into decode / face detection / model, speed-up over the
naive loop, the model stage's rate in GFLOP/s (the fp32 operations of one forward pass, counted by
torch's FlopCounterMode, times the crops, over the model seconds: how close an engine runs to the CPU's
peak) and the largest per-frame score difference from the PyTorch fp32 pipeline (for the naive loop this
also reflects its unsmoothed boxes, i.e. other crops). The models are untrained (speed does not depend on
the weights), with BatchNorm statistics set on the clip's own face crops and the last layer scaled so their
scores spread: an untrained net scores every face alike, which would hide any difference. Its int8 score
differences say little about accuracy; ``--auc`` measures that.

``--auc`` trains each of ``--auc-models`` on synthetic clips (``--auc-cache DIR`` keeps the checkpoints, so a
second run, e.g. under as_avx2_cpu.py, scores the same weights) and scores held-out clips with PyTorch fp32,
ONNX Runtime fp32 and int8 calibrated on crops of the training clips: video and frame AUC and their change,
mean and largest score differences, verdicts at 0.5 that change.
``--stages`` measures what is left outside the model: seeking vs decoding the whole GOP, face-detection
downscale and batch size, and thread counts.

    python benchmarks/bench_inference.py [--models xceptionnet efficientnet_b4 meso4] [--repeats 1]
        [--threads 2] [--calibration 128] [--no-naive] [--no-engines] [--stages]
        [--auc --auc-models xceptionnet efficientnet_b4 meso4 --auc-cache DIR]
    python benchmarks/as_avx2_cpu.py python benchmarks/bench_inference.py ...   # AVX2-only kernels

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
from dfkit.export.samples import calibration_inputs, spread_inputs
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


def gflop_per_item(model, size):
    """Floating-point operations (GFLOP, a multiply-add counts 2) of one forward pass on a (1, 3, size, size) input."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return counter.get_total_flops() / 1e9


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
          f"{'vs naive':>8} | model GFLOP/s | max |score diff| vs PyTorch fp32")
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
        gflop = gflop_per_item(model, spec.size)
        print(f"{name} ({spec.size} px, {gflop:.2f} GFLOP per crop; export {info['fp32'][0]:.1f} s fp32, "
              f"{info['int8'][0]:.1f} s int8 with {args.calibration} calibration crops; int8 vs PyTorch on the "
              f"export's check crops {info['int8'][1]:.4f}; PyTorch fp32 scores on the clip "
              f"{reference.min():.3f}-{reference.max():.3f})")
        for label, (timing, scores) in rows.items():
            total = sum(timing.values())
            speedup = f"{naive_total / total:7.1f}x" if naive_total else "      -"
            print(f"{label:>28} | {total:7.2f} | {timing['decode']:6.2f} | {timing['face_detection']:6.2f} | "
                  f"{timing['model']:6.2f} | {speedup} | {gflop * len(scores) / timing['model']:13.0f} | "
                  f"{np.abs(scores - reference).max():.4f}")
    if not native_bf16:
        print("(no bf16 row: this CPU has no native bf16, where autocast would be slower than fp32)")


def trained_detector(name, train_set, args):
    """``name`` trained on ``train_set`` for ``--auc-epochs``: the checkpoint in ``--auc-cache`` when one is there (so
    a run under as_avx2_cpu.py can score the same weights), else trained now and saved there. Returns (model in
    eval mode, training seconds or None when loaded)."""
    from dfkit.drivers.checkpoints import load_detector
    from dfkit.drivers.train import training_loss
    from dfkit.training import TrainConfig, Trainer

    cached = Path(args.auc_cache) / f"{name}-{args.auc_train}x{args.auc_epochs}-s{args.auc_strength}.pt" \
        if args.auc_cache else None
    if cached and cached.is_file():
        return load_detector(cached, device="cpu")[0].eval(), None
    spec = registry.input_spec(name)
    with tempfile.TemporaryDirectory() as output:
        config = TrainConfig(epochs=args.auc_epochs, batch_size=8, lr=2e-3 if name == "meso4" else 5e-4, seed=1,
                             output_dir=output, arch=name, device="cpu", progress=False)
        torch.manual_seed(1)
        trainer = Trainer(registry.build_detector(name), train_set, None, config, loss=training_loss(name))
        started = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - started
    model = trainer.model.eval()
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(cached, model, arch=name,
                        detector=detector_record(name, registry.get(name).kwargs, spec))
    return model, seconds


def int8_auc(args):
    """Each of ``--auc-models`` trained on ``--auc-train`` synthetic clips (:func:`trained_detector`); held-out video
    AUC with PyTorch fp32, ONNX Runtime fp32 and int8 calibrated on ``--calibration`` crops of the training clips
    (as ``python -m dfkit.export --int8 --calibration DIR`` on a training crop folder)."""
    from dfkit.data import SyntheticFaces
    from dfkit.drivers.inputs import face_dataset
    from dfkit.export import item_scores
    from dfkit.export.session import OnnxDetector
    from dfkit.metrics import summarize
    from dfkit.synthetic import make_clips

    train_clips = make_clips(args.auc_train, seed=1, num_frames=1, size=256, strength=args.auc_strength)
    test_clips = make_clips(args.auc_test, seed=1001, num_frames=4, size=256, strength=args.auc_strength)
    print(f"int8 accuracy: detectors trained {args.auc_epochs} epochs on {args.auc_train} synthetic clips (strength "
          f"{args.auc_strength}); held-out {args.auc_test} clips x 4 frames (other seeds)")
    for name in args.auc_models:
        spec = registry.input_spec(name)
        train_set = face_dataset("face_crops", SyntheticFaces(train_clips), spec)
        test_set = face_dataset("face_crops", SyntheticFaces(test_clips), spec)
        model, train_seconds = trained_detector(name, train_set, args)
        calibration = spread_inputs(train_set, args.calibration)
        record = detector_record(name, registry.get(name).kwargs, spec)
        inputs = spread_inputs(test_set)
        labels, video_ids = np.array(test_set.labels), test_set.video_ids
        engines = {"PyTorch fp32": model}
        for precision, crops in (("fp32", None), ("int8", calibration)):
            exported = export_detector(model, record, calibration=crops, tolerance=1.0)
            engines[f"ONNX Runtime {precision}"] = OnnxDetector.from_model(exported.proto.SerializeToString(),
                                                                           torch.device("cpu"))
        trained = f"trained in {train_seconds:.0f} s" if train_seconds else f"weights from {args.auc_cache}"
        print(f"{name} ({spec.size} px, {trained}):")
        reference = None
        for engine, scorer in engines.items():
            started = time.perf_counter()
            scores = item_scores(scorer, inputs)
            seconds = time.perf_counter() - started
            summary = summarize(labels, scores, video_ids)
            auc = summary["video"]["auc"]
            if reference is None:  # PyTorch fp32, the first engine
                reference, base, base_frame = scores, auc, summary["frame"]["auc"]
            difference = np.abs(scores - reference)
            flipped = int(((scores >= 0.5) != (reference >= 0.5)).sum())
            print(f"{engine:>20}: video AUC {auc:.4f} ({auc - base:+.4f}), frame AUC {summary['frame']['auc']:.4f} "
                  f"({summary['frame']['auc'] - base_frame:+.4f}); |score diff| mean {difference.mean():.4f}, max "
                  f"{difference.max():.4f}; verdicts at 0.5 changed {flipped} / {len(inputs)}; "
                  f"{len(inputs)} crops in {seconds:.1f} s")


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
        print(f"  {label}: dfkit read_frames (seeks past keyframes >= 32 frames ahead) {seconds:.2f} s")

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
    parser.add_argument("--auc", action="store_true", help="int8's held-out AUC change (trains --auc-models)")
    parser.add_argument("--auc-models", nargs="+", choices=MODELS, default=["meso4"])
    parser.add_argument("--auc-cache", default=None, help="folder for the trained checkpoints (reused when there)")
    parser.add_argument("--auc-train", type=int, default=128)
    parser.add_argument("--auc-test", type=int, default=128)
    parser.add_argument("--auc-epochs", type=int, default=8)
    parser.add_argument("--auc-strength", type=float, default=0.5)
    parser.add_argument("--stages", action="store_true", help="decode and face-detection measurements")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at start; PyTorch CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}")
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
