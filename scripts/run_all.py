"""Run a sweep on Ray: one task per run (one GPU each where there are GPUs), teachers before their students.

    python -m scripts.run_all --sweep configs/sweeps/full_benchmark.yaml [--gpus 0,1,2 | all] [--jobs N|auto]
        [--address ADDR] [--skip-existing] [--notebook] [--fast | --quick] [--dry-run] [--output-dir DIR] [--config FILE]
        [--log-dir DIR] [run and SAFE-KD flags as scripts.sweep]
    python -m scripts.run_all --datasets cifar10 stl10 --models rn50 --methods erm safe_kd --seeds 0 1 [...]

Without GPUs, --jobs runs at once with the CPU threads split between them. --address joins an existing Ray
cluster (`ray start --head` on the head node, `ray start --address=<head>:6379` on the others); --output-dir must
then be storage every node sees. A failed run (or a dead worker) is reported and the others go on; the rerun
resumes it. --datasets/--models/--methods/--seeds (space- or comma-separated) give the sweep's axes instead of
--sweep, as in SAFE-KD's run_all.py; --log-dir also copies each run's log to DIR/<dataset>_<model>_<method>_seed<s>.log.
Exits 1 if any run failed.
"""
from safekd.reproduction import sweep
from safekd.safe_kd_config import axes_sweep, sweep_overrides
from .sweep import RUN_FLAGS, parser


def main(argv=None):
    p = parser('python -m scripts.run_all', __doc__, sweep_default=None)
    for axis in ('datasets', 'models', 'methods', 'seeds'): p.add_argument(f'--{axis}', nargs='*', help=f'sweep axis ({axis})')
    p.add_argument('--gpus', default='0', help="local GPU indices, e.g. 0,1,2, or all (default 0, as SAFE-KD's run_all.py; ignored without GPUs)")
    p.add_argument('--jobs', help='runs at once: a whole number >= 1, or auto (the default: one per GPU, else 1)')
    p.add_argument('--address', help="an existing Ray cluster: 'auto' or host:port")
    p.add_argument('--log-dir', help="also copy each run's log here, named <dataset>_<model>_<method>_seed<s>.log")
    a = p.parse_args(argv)
    try:
        res = sweep(axes_sweep(vars(a)), a.quick, a.dry_run, a.notebook, a.output_dir, a.skip_existing, engine='ray',
                    gpus=a.gpus, n_jobs=a.jobs, address=a.address, config=a.config, log_dir=a.log_dir, fast=a.fast,
                    overrides=sweep_overrides(vars(a), RUN_FLAGS))
    except (KeyError, ValueError, FileNotFoundError, ImportError, ConnectionError) as e:
        raise SystemExit(f'error: {e}')
    raise SystemExit(int(any(r['status'] == 'failed' for r in res)))


if __name__ == '__main__':
    main()
