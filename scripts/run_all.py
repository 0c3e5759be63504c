"""Run a sweep on Ray: one task per run (one GPU each where there are GPUs), teachers before their students.

    python -m scripts.run_all --sweep configs/sweeps/full_benchmark.yaml [--gpus 0,1,2] [--jobs N]
        [--address ADDR] [--skip-existing] [--notebook] [--fast] [--dry-run] [--output-dir DIR]

Without GPUs, --jobs runs at once with the CPU threads split between them. --address joins an existing Ray
cluster (`ray start --head` on the head node, `ray start --address=<head>:6379` on the others); --output-dir must
then be storage every node sees. A failed run (or a dead worker) is reported and the others go on; the rerun
resumes it. Exits 1 if any run failed.
"""
from safekd.reproduction import sweep
from .sweep import parser


def main(argv=None):
    p = parser('python -m scripts.run_all', __doc__)
    p.add_argument('--gpus', help='local GPU indices, e.g. 0,1,2 (default: all)')
    p.add_argument('--jobs', type=int, help='runs at once (default: one per GPU, else 1)')
    p.add_argument('--address', help="an existing Ray cluster: 'auto' or host:port")
    a = p.parse_args(argv)
    try:
        res = sweep(a.sweep, a.fast, a.dry_run, a.notebook, a.output_dir, a.skip_existing, engine='ray',
                    gpus=a.gpus, n_jobs=a.jobs, address=a.address)
    except (KeyError, ValueError, FileNotFoundError, ImportError) as e:
        raise SystemExit(f'error: {e}')
    raise SystemExit(int(any(r['status'] == 'failed' for r in res)))


if __name__ == '__main__':
    main()
