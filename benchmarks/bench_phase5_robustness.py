"""Benchmark: phase 5's adversarial robustness and self-blended-image generalisation, on CPU.

    python benchmarks/bench_phase5_robustness.py [--train-pairs 200] [--test-pairs 100] [--crop 32]
        [--epochs 15] [--train-eps 2] [--threads 1] [--skip-sbi] [--skip-robustness]

Prints, with the machine (CPU model, SIMD / matrix flags, threads):

1. Robustness: a small frame CNN (ImageNet-normalised inputs, global average pooling, one logit) trained
   on real + ``blend`` face crops with dfkit's Trainer, once normally and once with Madry adversarial
   training (PGD-3 at ``--train-eps``/255 through the trainer's ``step`` hook). Held-out AUC (other
   seeds) clean and under PGD-10 (step eps / 4, random start) at eps = 1, 2, 4, 8 /255, and training times.
2. Generalisation: the same CNN trained on real + self-blended images only (SBI, made from the real
   clips) and on real + ``blend``: held-out AUC on ``blend``, ``flicker`` and ``upsample`` fakes (target:
   SBI -> blend >= 0.90, a face swap it never saw).
"""
import argparse
import tempfile
import time

import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from machine import machine  # this folder: the scripts run as files
from dfkit.curriculum import load
from dfkit.data.in_memory import face_images
from dfkit.synthetic import make_clip
from dfkit.training import TrainConfig, Trainer

PHASE = "phase5_advanced_methods"
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
EPS = (0, 1, 2, 4, 8)  # /255
TESTS = ("blend", "flicker", "upsample")


def normalise(x):
    return (x - torch.tensor(MEAN).reshape(1, 3, 1, 1)) / torch.tensor(STD).reshape(1, 3, 1, 1)


def pairs(first_seed, n, crop, manipulation="blend"):
    """Normalised crops (2n, 3, crop, crop) of n real clips and their fakes (1 frame, 64 px), labels (2n,)."""
    clips = [make_clip(seed=s, num_frames=1, size=64, fake=fake, manipulations=(manipulation,) if fake else None)
             for s in range(first_seed, first_seed + n) for fake in (False, True)]
    x = torch.cat([face_images(c, size=crop) for c in clips]).float() / 255
    return normalise(x), torch.tensor([float(c.label) for c in clips])


def detector():
    """Small frame CNN: 3 conv blocks (BatchNorm, ReLU), global average pooling, one logit."""
    def stage(cin, cout, pool=True):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()] + ([nn.MaxPool2d(2)] if pool else [])
    return nn.Sequential(*stage(3, 8), *stage(8, 16), *stage(16, 32, pool=False),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 1), nn.Flatten(0))


def train(x, y, epochs, step=None):
    """The detector trained with dfkit's Trainer on (x, y) and its horizontal flips; (model, seconds)."""
    torch.manual_seed(0)
    model = detector()
    data = torch.utils.data.TensorDataset(torch.cat([x, x.flip(-1)]), torch.cat([y, y]))
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(epochs=epochs, batch_size=32, lr=2e-3, seed=0, output_dir=out, device="cpu", progress=False)
        started = time.perf_counter()
        Trainer(model, data, None, config, step=step).fit()
    return model.eval(), time.perf_counter() - started


def auc(model, x, y):
    with torch.no_grad():
        return roc_auc_score(y.numpy(), model(x).numpy())


def robustness(args, adv):
    x, y = pairs(0, args.train_pairs, args.crop)
    xt, yt = pairs(10_000, args.test_pairs, args.crop)
    eps = args.train_eps / 255
    step = adv.adversarial_step(eps, MEAN, STD, steps=3, alpha=eps / 2, generator=torch.Generator().manual_seed(0))
    print(f"\n1. robustness: {len(x)} training crops (+ flips), {len(xt)} held-out crops of {args.crop} px; "
          f"PGD-10 (step eps/4, random start) against each crop's label")
    print(f"{'training':34s}{'time':>8s}" + "".join(f"{f'{e}/255' if e else 'clean':>9s}" for e in EPS))
    for name, hook in (("standard", None), (f"adversarial (PGD-3, {args.train_eps}/255)", step)):
        model, seconds = train(x, y, args.epochs, hook)
        curve = adv.robust_auc(model, xt, yt, [e / 255 for e in EPS], MEAN, STD, steps=10)
        print(f"{name:34s}{seconds:7.1f}s" + "".join(f"{a:9.3f}" for a in curve.values()))


def generalisation(args, sbi):
    reals = [make_clip(seed=s, num_frames=2, size=96) for s in range(args.train_pairs)]
    data = sbi.SelfBlendedFaces(reals, size=args.crop, seed=0)
    x_sbi, y_sbi = map(torch.stack, zip(*[data[i][:2] for i in range(len(data))]))
    x_blend, y_blend = pairs(0, args.train_pairs, args.crop)
    tests = {name: pairs(20_000, args.test_pairs, args.crop, name) for name in TESTS}
    print(f"\n2. generalisation: held-out AUC by test manipulation ({args.test_pairs} pairs each, other seeds)")
    print(f"{'trained on':34s}{'time':>8s}" + "".join(f"{name:>10s}" for name in TESTS))
    for name, (x, y) in ((f"real + SBI ({len(x_sbi)} crops)", (normalise(x_sbi), y_sbi)),
                         (f"real + blend ({len(x_blend)} crops)", (x_blend, y_blend))):
        model, seconds = train(x, y, args.epochs)
        print(f"{name:34s}{seconds:7.1f}s" + "".join(f"{auc(model, *tests[t]):10.3f}" for t in TESTS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-pairs", type=int, default=200)
    parser.add_argument("--test-pairs", type=int, default=100)
    parser.add_argument("--crop", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--train-eps", type=float, default=2.0, help="adversarial training budget, /255")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-sbi", action="store_true")
    parser.add_argument("--skip-robustness", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    if not args.skip_robustness:
        robustness(args, load(f"{PHASE}.template_adversarial_training"))
    if not args.skip_sbi:
        generalisation(args, load(f"{PHASE}.template_self_blended_images"))


if __name__ == "__main__":
    main()
