"""Run a sweep one run after another in this process.

    python -m scripts.sweep [--sweep configs/sweeps/key_subset.yaml] [--config FILE] [--fast | --quick] [--dry-run] [--notebook]
        [--output-dir DIR] [--skip-existing] [--gpus 0] [--epochs N --batch-size N --eval-batch-size N --lr X]
        [SAFE-KD's flags: --weight-decay --warmup-epochs --grad-accum-steps --num-workers --alpha --beta --temperature
         --exit-weights --conf-head --amp/--no-amp --pretrained/--no-pretrained --deterministic/--no-deterministic
         --no-progress]

Every run's config is checked before anything trains. `--dry-run` prints each run's folder (teachers and runs
whose data is not on this machine noted) and `N runs (+M teacher runs)`. Ends with a table of done, skipped and
failed runs (also in <output-dir>/sweep_status.json) and exits 1 if any failed. `scripts.run_all` runs the same
sweep on Ray. --config (safekd's schema or SAFE-KD's) and the run flags apply to every run, as in SAFE-KD's sweep.py.
"""
import argparse

from safekd.reproduction import sweep
from safekd.safe_kd_config import add_safe_kd_flags, sweep_overrides

RUN_FLAGS = {'epochs': 'train.epochs', 'batch_size': 'train.batch_size', 'eval_batch_size': 'train.eval_batch_size', 'lr': 'train.lr'}


def parser(prog='python -m scripts.sweep', doc=__doc__, sweep_default='configs/sweeps/key_subset.yaml'):
    "The flags scripts.sweep and scripts.run_all share."
    p = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    p.add_argument('--sweep', default=sweep_default, help=f'a sweep YAML file (configs/sweeps/; default {sweep_default})')
    p.add_argument('--config', help="a config file applied to every run (safekd's schema or SAFE-KD's)")
    p.add_argument('--fast', action='store_true', help="SAFE-KD's --fast for every run: train.epochs = fast_epochs (2)")
    p.add_argument('--quick', action='store_true', default=None, help="safekd's CPU-minutes preset (configs/quick.yaml) for every run (default: the sweep file's quick)")
    p.add_argument('--dry-run', action='store_true', help='print the runs, train nothing')
    p.add_argument('--notebook', action='store_true', help='run every run through papermill; keep run.ipynb in its folder')
    p.add_argument('--output-dir', help='where the runs go (default: the configs\' output_dir, results)')
    p.add_argument('--skip-existing', action='store_true', help='skip runs that are complete with the same config')
    p.add_argument('--epochs', type=int); p.add_argument('--batch-size', type=int)
    p.add_argument('--eval-batch-size', type=int); p.add_argument('--lr', type=float)
    add_safe_kd_flags(p)
    return p


def main(argv=None):
    p = parser()
    p.add_argument('--gpus', help='one CUDA device index every run trains on, e.g. 0')
    a = p.parse_args(argv)
    try:
        res = sweep(a.sweep, a.quick, a.dry_run, a.notebook, a.output_dir, a.skip_existing, engine='process',
                    config=a.config, fast=a.fast, overrides=sweep_overrides(vars(a), RUN_FLAGS, one_gpu_flag=True))
    except (KeyError, ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    raise SystemExit(int(any(r['status'] == 'failed' for r in res)))


if __name__ == '__main__':
    main()
