"""One-command reproduction: a sweep on Ray, its tables and figures, the paper compiled.

    python -m scripts.reproduce [--full] [--quick] [--sweep FILE] [--config FILE] [--skip-run] [--gpus 0,1,2] [--jobs N|auto]
        [--address ADDR] [--output-dir results] [--paper-dir paper] [--skip-existing] [--notebook]

Default sweep: configs/sweeps/key_subset.yaml. As SAFE-KD's reproduce.py, every run gets --fast (train.epochs =
fast_epochs, 2) unless --full; a sweep's own train.epochs override wins. --quick adds safekd's CPU preset. Needs LaTeX (Debian's
texlive-latex-base texlive-latex-recommended latexmk), checked before any run starts. Writes
<output-dir>/summary.csv, summary.json, summary_aggregated.csv, tables/, figures/, reproduce.json and
<paper-dir>/main.pdf. Exits 1 if any run failed.
"""
import argparse

from safekd.reproduction import reproduce


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m scripts.reproduce', description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('--full', action='store_true', help="the configs' epochs (default, as SAFE-KD's reproduce.py: every run gets --fast, 2 epochs)")
    p.add_argument('--quick', action='store_true', default=None, help="safekd's CPU-minutes preset for every run (configs/quick.yaml; default: the sweep file's quick)")
    p.add_argument('--config', help="a config file applied to every run (safekd's schema or SAFE-KD's)")
    p.add_argument('--skip-run', action='store_true', help='train nothing: collect, draw and compile what --output-dir holds')
    p.add_argument('--sweep', help='a sweep YAML file (default: configs/sweeps/key_subset.yaml)')
    p.add_argument('--gpus', help='local GPU indices, e.g. 0,1,2 (default: all)')
    p.add_argument('--jobs', help='runs at once: a whole number >= 1, or auto (the default: one per GPU, else 1)')
    p.add_argument('--address', help="an existing Ray cluster: 'auto' or host:port")
    p.add_argument('--output-dir', default='results', help='runs, tables and figures (default: results)')
    p.add_argument('--paper-dir', default='paper', help='the LaTeX folder (default: paper)')
    p.add_argument('--skip-existing', action='store_true', help='skip runs that are complete with the same config')
    p.add_argument('--notebook', action='store_true', help='through papermill: reproduce.ipynb kept in the output folder, run.ipynb in every run folder')
    a = p.parse_args(argv)
    try:
        out = reproduce(a.sweep, a.full, a.gpus, a.jobs, a.address, a.output_dir, a.paper_dir, a.skip_existing, a.notebook,
                        config=a.config, skip_run=a.skip_run, quick=a.quick)
    except (KeyError, ValueError, FileNotFoundError, ImportError, RuntimeError, ConnectionError) as e:
        raise SystemExit(f'error: {e}')
    print(f"paper: {out['pdf']}; stages (s): {out['stages_seconds']}; runs: {out['counts']}")
    raise SystemExit(int(out['counts']['failed'] > 0))


if __name__ == '__main__':
    main()
