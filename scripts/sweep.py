"""Run a sweep one run after another in this process.

    python -m scripts.sweep --sweep configs/sweeps/key_subset.yaml [--fast] [--dry-run] [--notebook]
        [--output-dir DIR] [--skip-existing]

Every run's config is checked before anything trains. `--dry-run` prints each run's folder (teachers and runs
whose data is not on this machine noted) and `N runs (+M teacher runs)`. Ends with a table of done, skipped and
failed runs (also in <output-dir>/sweep_status.json) and exits 1 if any failed. `scripts.run_all` runs the same
sweep on Ray.
"""
import argparse

from safekd.reproduction import sweep


def parser(prog='python -m scripts.sweep', doc=__doc__):
    "The flags scripts.sweep and scripts.run_all share."
    p = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    p.add_argument('--sweep', required=True, help='a sweep YAML file (configs/sweeps/)')
    p.add_argument('--fast', action='store_true', default=None, help='apply configs/fast.yaml to every run')
    p.add_argument('--dry-run', action='store_true', help='print the runs, train nothing')
    p.add_argument('--notebook', action='store_true', help='run every run through papermill; keep run.ipynb in its folder')
    p.add_argument('--output-dir', help='where the runs go (default: the configs\' output_dir, results)')
    p.add_argument('--skip-existing', action='store_true', help='skip runs that are complete with the same config')
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    try:
        res = sweep(a.sweep, a.fast, a.dry_run, a.notebook, a.output_dir, a.skip_existing, engine='process')
    except (KeyError, ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    raise SystemExit(int(any(r['status'] == 'failed' for r in res)))


if __name__ == '__main__':
    main()
