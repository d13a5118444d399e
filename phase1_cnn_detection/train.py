"""Train a phase-1 frame-level deepfake detector (Xception, EfficientNet-B4, Meso4, MesoInception4).

    python phase1_cnn_detection/train.py --dataset synthetic --model meso4 --epochs 4 --output runs/meso4
    python phase1_cnn_detection/train.py --dataset faceforensics --data-root /data/ffpp \\
        --model xceptionnet --pretrained imagenet --epochs 30 --batch-size 32 --output runs/xception
    torchrun --nproc_per_node 4 phase1_cnn_detection/train.py ...   # several GPUs (global --batch-size)

``--dataset synthetic`` without ``--data-root`` trains on seeded synthetic clips made in memory.
With ``--data-root`` the videos' faces are cropped once into ``--faces-dir`` (default
``<output>/faces``; resumable) and training reads the crops. Train / validation videos come from
the dataset's official split (FaceForensics++ splits/*.json, DFDC metadata), else from a seeded
video-level split (``--val-fraction``).

Writes under ``--output``: ``last.pt`` (every epoch, for ``--resume``), ``best.pt`` (best video-level
validation AUC), ``metrics.jsonl`` (one line per epoch) and ``config.json``.
Exit status 2 with one ``error:`` line for bad input (data layout, checkpoint, flags).
"""
import sys
from pathlib import Path

from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, fraction, positive_int, run
from dfkit.curriculum import add_impl_argument, load
from dfkit.data import VideoSubset, split_videos
from dfkit.errors import CheckpointError

from phase1_cnn_detection.cli_common import (
    CLASSIFIER, DATASETS, Normalizer, Phase1Config, add_runtime_arguments, check_both_classes, model_input_spec,
    preprocess_faces_dir, use_impl)

def build_parser():
    parser = ArgumentParser(prog="train.py", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=DATASETS, default="synthetic")
    parser.add_argument("--data-root", default=None, help="dataset folder in its published layout "
                        "(omit with --dataset synthetic to train on clips generated in memory)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods to keep (real videos: 'real'; default: all)")
    parser.add_argument("--model", default="xceptionnet",
                        choices=("xceptionnet", "efficientnet_b4", "meso4", "mesoinception4"))
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--batch-size", type=positive_int, default=32, help="global batch (all processes)")
    parser.add_argument("--lr", type=float, default=None, help="AdamW learning rate "
                        "(default 1e-3 for MesoNet, 2e-4 for Xception / EfficientNet)")
    parser.add_argument("--output", required=True, help="folder for checkpoints and logs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from <output>/last.pt")
    parser.add_argument("--image-size", type=positive_int, default=None,
                        help="input side in px (default: the model's own; MesoNet needs 256)")
    parser.add_argument("--frames-per-video", type=positive_int, default=16, help="face crops per video")
    parser.add_argument("--pretrained", default=None, help="weights to start from: a local file or 'imagenet'")
    parser.add_argument("--augment", choices=("none", "light", "medium"), default="light")
    parser.add_argument("--val-fraction", type=fraction, default=0.2,
                        help="share of videos held out when the dataset has no validation split")
    parser.add_argument("--patience", type=positive_int, default=None, help="early stopping (epochs)")
    parser.add_argument("--faces-dir", default=None, help="face-crop cache (default <output>/faces)")
    parser.add_argument("--detector", choices=("mtcnn", "groundtruth"), default=None,
                        help="face boxes for cropping (default: groundtruth for synthetic, else mtcnn)")
    parser.add_argument("--num-videos", type=positive_int, default=48,
                        help="in-memory synthetic set: number of clips (half real)")
    parser.add_argument("--clip-size", type=positive_int, default=96, help="in-memory synthetic frame side (px)")
    add_runtime_arguments(parser)
    add_impl_argument(parser)
    return parser


def train_val_sets(args, train_transform, val_transform):
    """(train dataset, val dataset) of face crops: items (image (3, S, S) normalised, label, video_id)."""
    if args.data_root is None:  # seeded synthetic clips made in memory, cropped at their true face boxes
        from dfkit.data import SyntheticFrameDataset
        from dfkit.synthetic import make_clips

        clips = make_clips(args.num_videos, num_frames=args.frames_per_video, size=args.clip_size, seed=args.seed)
        train_full = SyntheticFrameDataset(clips, transform=train_transform)
        val_full = SyntheticFrameDataset(clips, transform=val_transform)
        train_ids, val_ids = split_videos(train_full.video_ids, train_full.labels, args.val_fraction, args.seed)
        return VideoSubset(train_full, train_ids), VideoSubset(val_full, val_ids)

    from dfkit.data import FaceFrameDataset
    from dfkit.datasets import load_records

    records = [r for r in load_records(args.dataset, args.data_root, methods=args.methods) if r.split != "test"]
    faces_dir = Path(args.faces_dir or Path(args.output) / "faces")
    preprocess_faces_dir(records, faces_dir, args.dataset, args.frames_per_video, detector=args.detector,
                         device=args.device, progress=not args.quiet)
    train_full = FaceFrameDataset(faces_dir, transform=train_transform)
    val_full = FaceFrameDataset(faces_dir, transform=val_transform)
    wanted = {r.uid for r in records}
    if any(r.split == "val" for r in records):  # the dataset's own split
        train_ids = [r.uid for r in records if r.split == "train"]
        val_ids = [r.uid for r in records if r.split == "val"]
    else:
        kept = [(v, label) for v, label in zip(train_full.video_ids, train_full.labels) if v in wanted]
        train_ids, val_ids = split_videos([v for v, _ in kept], [lab for _, lab in kept],
                                          args.val_fraction, args.seed)
    return VideoSubset(train_full, train_ids), VideoSubset(val_full, val_ids)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data_root is None and args.dataset != "synthetic":
        parser.error(f"--dataset {args.dataset} needs --data-root (only synthetic clips can be made in memory)")
    mesonet = args.model.startswith("meso")
    if mesonet and args.image_size not in (None, 256):
        parser.error(f"--model {args.model} reads 256 px crops (its dense layer is sized for them); "
                     f"got --image-size {args.image_size}")
    use_impl(args.impl)
    from dfkit.training import Trainer, distributed, select_device

    classifier = load(CLASSIFIER)
    size, mean, std = model_input_spec(classifier, args.model, args.image_size)
    config = Phase1Config(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr or (1e-3 if mesonet else 2e-4),
        seed=args.seed, output_dir=args.output, arch=args.model, num_workers=args.num_workers,
        device=args.device, patience=args.patience, progress=not args.quiet, warmup_epochs=0 if mesonet else 1,
        image_size=size, dataset=args.dataset, frames_per_video=args.frames_per_video)
    device = select_device(args.device)
    with distributed.process_group(device):
        train_set, val_set = train_val_sets(args, Normalizer(size, mean, std, augment=args.augment),
                                            Normalizer(size, mean, std))
        check_both_classes(train_set.labels, "the training set")
        check_both_classes(val_set.labels, "the validation set")
        try:
            model = classifier.build_detector(args.model, weights=args.pretrained)
        except (ValueError, FileNotFoundError) as err:
            raise CheckpointError(f"--pretrained {args.pretrained}: {err}") from None
        if distributed.is_main_process():
            write_json(Path(args.output) / "config.json", {"args": vars(args), "train_config": config.to_dict()})
            print(f"{args.model} at {size} px: {len(train_set)} training crops "
                  f"({len(set(train_set.video_ids))} videos), {len(val_set)} validation crops "
                  f"({len(set(val_set.video_ids))} videos) on {device}", file=sys.stderr)
        history = Trainer(model, train_set, val_set, config).fit(resume=args.resume)
        if distributed.is_main_process() and history:
            best = max(history, key=lambda record: record["monitor"])
            print(f"best epoch {best['epoch']}: validation video AUC {best['monitor']:.4f}; "
                  f"checkpoints in {args.output} (best.pt, last.pt)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
