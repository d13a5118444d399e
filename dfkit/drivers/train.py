"""The train driver: train any registered detector, from seeded synthetic clips or a dataset's videos.

``phaseN_*/train.py`` are thin entry points: ``sys.exit(run(main, phase="phaseN_..."))``; the phase
limits ``--model`` to its own detectors. Everything else comes from the registry: the builder, the
input kind and spec, constructor arguments (``--model-arg name=value``) and the training recipe
(learning rate, warm-up, loss; phase 1 trains with the learner's ``class_balanced_bce``).

Writes under ``--output``: ``last.pt`` (every epoch, for ``--resume``), ``best.pt`` (best validation
AUC), ``metrics.jsonl`` (one line per epoch) and ``config.json``. A seeded CPU run is identical from
process to process, and a killed run resumed with ``--resume`` ends where an uninterrupted one does.
"""
import sys
from pathlib import Path

from dfkit import registry
from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, fraction, key_value, positive_int
from dfkit.curriculum import add_impl_argument
from dfkit.data.augment import AUGMENTATIONS
from dfkit.datasets import COMPRESSIONS, DATASETS
from dfkit.drivers.checkpoints import detector_record
from dfkit.drivers.common import (add_runtime_arguments, checked_device, checked_output_dir, exercises_reported,
                                  use_impl)
from dfkit.drivers.inputs import face_dataset
from dfkit.drivers.sources import cache_faces, check_both_classes
from dfkit.errors import CheckpointError
from dfkit.preprocess import DETECTORS


def build_parser(phase=None, prog="train.py"):
    """The train CLI's flags; ``--model`` choices are ``phase``'s detectors (all registered ones without)."""
    models = registry.names(phase)
    parser = ArgumentParser(prog=prog, description="Train a deepfake detector of the course.")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="synthetic")
    parser.add_argument("--data-root", default=None, help="dataset folder in its published layout "
                        "(omit with --dataset synthetic to train on clips generated in memory)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods to keep (real videos: 'real'; default: all)")
    parser.add_argument("--compression", choices=COMPRESSIONS, default="c23",
                        help="FaceForensics++ / synthetic quality folder (c23 = FF++'s light, c40 = heavy)")
    parser.add_argument("--model", choices=models, default=models[0])
    parser.add_argument("--model-arg", type=key_value, action="append", default=[], metavar="NAME=VALUE",
                        help="constructor argument of the detector, e.g. attention=true (repeatable)")
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--batch-size", type=positive_int, default=32, help="global batch (all processes)")
    parser.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default: the detector's recipe)")
    parser.add_argument("--output", required=True, help="folder for checkpoints and logs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from <output>/last.pt")
    parser.add_argument("--image-size", type=positive_int, default=None,
                        help="input side in px (default: the detector's own; MesoNet needs 256)")
    parser.add_argument("--clip-len", type=positive_int, default=None,
                        help="frames per clip for clip detectors (default: the detector's recipe)")
    parser.add_argument("--frames-per-video", type=positive_int, default=16, help="face crops per video")
    parser.add_argument("--pretrained", default=None, help="weights to start from: a local file or 'imagenet'")
    parser.add_argument("--augment", choices=AUGMENTATIONS, default=None,
                        help="training augmentation (default: the detector's recipe; frequency detectors use none)")
    parser.add_argument("--val-fraction", type=fraction, default=0.2,
                        help="share of videos held out when the dataset has no validation split")
    parser.add_argument("--patience", type=positive_int, default=None, help="early stopping (epochs)")
    parser.add_argument("--faces-dir", default=None, help="face-crop cache (default <output>/faces)")
    parser.add_argument("--detector", choices=DETECTORS, default=None,
                        help="face boxes for cropping (default: groundtruth for synthetic, else mtcnn)")
    parser.add_argument("--num-videos", type=positive_int, default=48,
                        help="in-memory synthetic set: number of clips (half real)")
    parser.add_argument("--clip-size", type=positive_int, default=96, help="in-memory synthetic frame side (px)")
    add_runtime_arguments(parser)
    add_impl_argument(parser)
    return parser


def train_val_sources(args):
    """(train videos, val videos) as face sources, split by video (a real video stays with its fakes)."""
    from dfkit.data import PreprocessedFaces, SyntheticFaces, split_videos

    if args.data_root is None:  # seeded synthetic clips made in memory, cropped at their true face boxes
        from dfkit.synthetic import make_clips

        source = SyntheticFaces(make_clips(args.num_videos, num_frames=args.frames_per_video, size=args.clip_size,
                                           seed=args.seed))
        videos = list(source)
        train_ids, val_ids = split_videos([v.uid for v in videos], [v.label for v in videos], args.val_fraction,
                                          args.seed)
    else:
        from dfkit.datasets import load_records

        records = [r for r in load_records(args.dataset, args.data_root, methods=args.methods,
                                           compression=args.compression) if r.split != "test"]
        faces_dir = Path(args.faces_dir or Path(args.output) / "faces")
        cache_faces(records, faces_dir, args.dataset, args.frames_per_video, detector=args.detector,
                    device=args.device, progress=not args.quiet, compression=args.compression)
        wanted = {r.uid for r in records}
        videos = [v for v in PreprocessedFaces(faces_dir) if v.uid in wanted]
        if any(r.split == "val" for r in records):  # the dataset's own split
            train_ids = [r.uid for r in records if r.split == "train"]
            val_ids = [r.uid for r in records if r.split == "val"]
        else:
            train_ids, val_ids = split_videos([v.uid for v in videos], [v.label for v in videos],
                                              args.val_fraction, args.seed)
    train_ids, val_ids = set(train_ids), set(val_ids)
    return [v for v in videos if v.uid in train_ids], [v for v in videos if v.uid in val_ids]


def training_loss(name):
    """The recipe's loss adapted to the trainer's hook (outputs (B,) or (B, 1) logits), or None."""
    from dfkit.training.trainer import as_logits

    loss = registry.loss_function(name)
    if loss is None:
        return None
    return lambda outputs, targets: loss(as_logits(outputs).float(), targets)


def main(argv=None, phase=None, prog="train.py"):
    parser = build_parser(phase, prog)
    args = parser.parse_args(argv)
    if args.data_root is None and args.dataset != "synthetic":
        parser.error(f"--dataset {args.dataset} needs --data-root (only synthetic clips can be made in memory)")
    recipe = registry.get(args.model).recipe
    if args.clip_len is not None and registry.get(args.model).input_kind != "face_clips":
        parser.error(f"--clip-len is for clip detectors; {args.model} scores single frames")
    try:
        kwargs = registry.constructor_kwargs(args.model, **dict(args.model_arg))
        spec = registry.input_spec(args.model, image_size=args.image_size, clip_len=args.clip_len)
    except ValueError as err:
        parser.error(str(err))
    checked_output_dir(args.output)
    if args.faces_dir:
        checked_output_dir(args.faces_dir, "--faces-dir")
    device = checked_device(args.device)
    use_impl(args.impl)
    from dfkit.training import Trainer, TrainConfig, distributed
    from dfkit.training.checkpoint import seed_everything

    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr or recipe.lr, seed=args.seed,
        output_dir=args.output, arch=args.model, detector=detector_record(args.model, kwargs, spec),
        num_workers=args.num_workers, device=str(device), patience=args.patience, progress=not args.quiet,
        warmup_epochs=recipe.warmup_epochs, dataset=args.dataset, compression=args.compression,
        frames_per_video=args.frames_per_video)
    with exercises_reported(), distributed.process_group(device):
        seed_everything(args.seed)  # before anything random: clips, split, model init
        kind = registry.get(args.model).input_kind
        if recipe.fit:  # closed-form detectors: one pass over the training videos, no epochs
            if kind == "multi":  # a fusion of other detectors' scores (phase 5)
                from dfkit.drivers.multi_modal import fit_training_set
            else:
                from dfkit.drivers.signals import fit_training_set

            fit_training_set(args, kwargs, config.to_dict(), detector_record(args.model, kwargs, spec))
            return 0
        train_videos, val_videos = train_val_sources(args)
        train_set = face_dataset(kind, train_videos, spec, augment=args.augment or recipe.augment)
        val_set = face_dataset(kind, val_videos, spec)
        check_both_classes(train_set.labels, "the training set")
        check_both_classes(val_set.labels, "the validation set")
        seed_everything(args.seed)  # the model's initial weights do not depend on the data's size
        try:
            model = registry.build_detector(args.model, weights=args.pretrained, **kwargs)
        except (ValueError, FileNotFoundError) as err:
            raise CheckpointError(f"--pretrained {args.pretrained}: {err}") from None
        if distributed.is_main_process():
            write_json(Path(args.output) / "config.json", {"args": vars(args), "train_config": config.to_dict()})
            print(f"{args.model} at {spec.size} px: {len(train_set)} training items ({len(train_videos)} videos), "
                  f"{len(val_set)} validation items ({len(val_videos)} videos) on {device}", file=sys.stderr)
        history = Trainer(model, train_set, val_set, config, loss=training_loss(args.model)).fit(resume=args.resume)
        if distributed.is_main_process() and history:
            best = max(history, key=lambda record: record["monitor"])
            print(f"best epoch {best['epoch']}: validation video AUC {best['monitor']:.4f}; "
                  f"checkpoints in {args.output} (best.pt, last.pt)")
    return 0
