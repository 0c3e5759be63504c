"""Collect finished runs into a summary, tables and figures.

    python -m scripts.collect_results [--results-dir results] [--output results/summary.csv] [--format csv|json|both]
        [--delta 0.05] [--epsilon 0.05 --table-delta 0.1] [--no-figures]

Writes the summary (one row per run; summary.json holds the same rows), summary_aggregated.csv (means and standard
deviations over seeds) beside it, <results-dir>/tables/{main_key_subset,early_exit_tradeoff,cifar10c_robustness}.{csv,tex}
and summary_macros.tex, and <results-dir>/figures/{risk_vs_delta,acc_compute_curve,reliability_exit1_exit2_exit3}.{pdf,png}.
--results-dir, --output, --format and --delta are SAFE-KD's flags with SAFE-KD's meaning and defaults: --delta is its
miscoverage level, the safe-curve entry (exit_stats.json safe[str(delta)]) in the summary's acc_delta, risk_delta and
expected_compute. --epsilon and --table-delta (safekd's LTT failure probability; --delta before SAFE-KD's flag took
the name) choose the calibrated setting the paper's tables show (the CSV files hold every setting). A run folder that
cannot be read (a truncated JSON or test_exits.npz, an empty metrics.json) is named in a warning and skipped; the rest
is collected and the exit status is 1.
"""
import argparse

from safekd.results import FORMATS, collect


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m scripts.collect_results', description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('--results-dir', default='results', help='the folder holding <dataset>/<model>/<method>/seed_<s>/ runs')
    p.add_argument('--output', help='the summary file (default: <results-dir>/summary.csv)')
    p.add_argument('--format', default='both', help=f"summary format: {', '.join(FORMATS)}")
    p.add_argument('--delta', type=float, default=0.05, help="SAFE-KD's miscoverage level of the summary's acc_delta, risk_delta, expected_compute")
    p.add_argument('--epsilon', type=float, default=0.05, help='risk level shown in the tables')
    p.add_argument('--table-delta', type=float, default=0.1, help='LTT failure probability shown in the tables')
    p.add_argument('--no-figures', action='store_true', help='skip the figures')
    a = p.parse_args(argv)
    try:
        paths = collect(a.results_dir, a.output, a.format, epsilon=a.epsilon, table_delta=a.table_delta, figures=not a.no_figures, delta=a.delta)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    print('\n'.join(map(str, paths)))
    if paths.skipped: raise SystemExit(f"error: {len(paths.skipped)} run folder(s) could not be read and were skipped (named above)")


if __name__ == '__main__':
    main()
