"""Collect finished runs into a summary, tables and figures.

    python -m scripts.collect_results [--results-dir results] [--output results/summary.csv] [--format csv|json|both]
        [--epsilon 0.05 --delta 0.1] [--no-figures]

Writes the summary (one row per run; summary.json holds the same rows), summary_aggregated.csv (means and standard
deviations over seeds) beside it, <results-dir>/tables/{main_key_subset,early_exit_tradeoff,cifar10c_robustness}.{csv,tex}
and summary_macros.tex, and <results-dir>/figures/{risk_vs_delta,acc_compute_curve,reliability_exit1_exit2_exit3}.{pdf,png}.
--epsilon and --delta choose the calibrated setting the paper's tables show (the CSV files hold every setting).
"""
import argparse

from safekd.results import FORMATS, collect


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m scripts.collect_results', description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('--results-dir', default='results', help='the folder holding <dataset>/<model>/<method>/seed_<s>/ runs')
    p.add_argument('--output', help='the summary file (default: <results-dir>/summary.csv)')
    p.add_argument('--format', default='csv', help=f"summary format: {', '.join(FORMATS)}")
    p.add_argument('--epsilon', type=float, default=0.05, help='risk level shown in the tables')
    p.add_argument('--delta', type=float, default=0.1, help='failure probability shown in the tables')
    p.add_argument('--no-figures', action='store_true', help='skip the figures')
    a = p.parse_args(argv)
    try:
        paths = collect(a.results_dir, a.output, a.format, epsilon=a.epsilon, delta=a.delta, figures=not a.no_figures)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    print('\n'.join(map(str, paths)))


if __name__ == '__main__':
    main()
