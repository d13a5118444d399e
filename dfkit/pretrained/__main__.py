"""``python -m dfkit.pretrained mesonet --out DIR [--weights DIR]``: the published MesoNet weights as checkpoints."""
import sys

from dfkit.cli import ArgumentParser, run
from dfkit.drivers.common import checked_output_dir
from dfkit.pretrained.mesonet import PUBLISHED, WEIGHTS_DIR, write_checkpoints


def main(argv=None):
    parser = ArgumentParser(prog="python -m dfkit.pretrained",
                            description="Convert published weights shipped in pretrained/ into checkpoints.")
    parser.add_argument("family", choices=("mesonet",), help="which published weights")
    parser.add_argument("--out", required=True, help="folder for the checkpoints (<name>.pt)")
    parser.add_argument("--weights", default=str(WEIGHTS_DIR), help="folder holding the published .h5 files")
    parser.add_argument("--names", nargs="+", choices=PUBLISHED, default=PUBLISHED, help="which files to convert")
    args = parser.parse_args(argv)
    out = checked_output_dir(args.out, flag="--out")
    for path in write_checkpoints(out, args.weights, args.names):
        print(path, file=sys.stdout)
    return 0


if __name__ == "__main__":
    run(main)
