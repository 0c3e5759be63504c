"`python -m scripts.collect_results` on a synthetic results tree, in fresh processes: exact table values, clear errors, the paper builds."
import json, math, os, shutil

import pandas as pd
import pytest

from conftest import ROOT, run_py
from safekd.results import compile_paper, copy_to_paper, synthetic_results

CLI = ['-m', 'scripts.collect_results']


@pytest.fixture(scope='module')
def collected(tmp_path_factory):
    "A synthetic tree (safe_kd: 2 seeds, kd: 1, erm teacher: no calibration) after one collect_results run."
    res = tmp_path_factory.mktemp('collect') / 'results'
    synthetic_results(res)
    r = run_py(*CLI, '--results-dir', str(res), '--format', 'both')
    assert r.returncode == 0, r.stderr
    return res, r


def test_writes_every_file(collected):
    res, r = collected
    names = ['summary.csv', 'summary.json', 'summary_aggregated.csv'] + [
        f'tables/{t}.{x}' for t in ('main_key_subset', 'early_exit_tradeoff', 'cifar10c_robustness') for x in ('csv', 'tex')] + [
        'tables/summary_macros.tex'] + [f'figures/{f}.{x}' for f in ('risk_vs_delta', 'acc_compute_curve', 'reliability_exit1_exit2_exit3')
                                        for x in ('pdf', 'png')]
    assert r.stdout.split() == [str(res / n) for n in names]
    assert 'toy2d/mlp/kd/seed_0: no test_exits.npz, its threshold sweep is skipped' in r.stderr


def test_summary_rows_and_means_over_seeds(collected):
    res, _ = collected
    s = pd.read_csv(res / 'summary.csv')
    assert list(s.method) == ['erm', 'kd', 'safe_kd', 'safe_kd'] and list(s.final_test_acc) == [0.75, 0.7, 0.8, 0.9]
    assert json.loads((res / 'summary.json').read_text())[2]['test_acc_1'] == 0.7
    a = pd.read_csv(res / 'summary_aggregated.csv').set_index('method').loc['safe_kd']
    assert a.seeds == 2
    assert math.isclose(a.test_acc_0_mean, 0.65) and math.isclose(a.test_acc_0_std, 0.1 / math.sqrt(2))


def test_main_table_values(collected):
    res, _ = collected
    m = pd.read_csv(res / 'tables' / 'main_key_subset.csv').set_index('method')
    sk = m.loc['safe_kd']
    assert math.isclose(sk.test_acc_2_mean, 0.85) and math.isclose(sk.test_acc_2_std, 0.1 / math.sqrt(2))
    assert math.isclose(sk.ece_final_mean, 0.03)
    assert math.isclose(sk.test_risk_mean, 0.035)                 # epsilon / 2 + delta / 10 at (0.05, 0.1)
    assert math.isclose(sk.flops_speedup_mean, 1 / 0.61)          # exit shares 0.5/0.3/0.2 at FLOPs shares 0.4/0.7/1
    assert math.isclose(sk.wallclock_speedup_mean, 1.25)          # 1.2 + 0.1 * seed at batch 256, seeds 0 and 1
    assert m.loc['erm', ['test_risk_mean', 'flops_speedup_mean', 'wallclock_speedup_mean']].isna().all()   # the teacher: no calibration
    tex = (res / 'tables' / 'main_key_subset.tex').read_text()
    assert r'0.850 $\pm$ 0.071' in tex and r'safe\_kd' in tex and r'\toprule' in tex


def test_tradeoff_and_robustness_tables(collected):
    res, _ = collected
    t = pd.read_csv(res / 'tables' / 'early_exit_tradeoff.csv')
    assert len(t) == 3 * 4 * 3                                    # 3 calibrated runs x 4 settings x (ltt + 2 baselines)
    ltt = t[(t.policy == 'ltt') & (t.method == 'safe_kd') & (t.seed == 1) & (t.epsilon == 0.05) & (t.delta == 0.1)].iloc[0]
    assert ltt.certified and math.isclose(ltt.wallclock_speedup, 1.3) and math.isclose(ltt.flops_speedup, 1 / 0.61)
    assert t[t.kind == 'baseline'].wallclock_speedup.isna().all() and not t[t.kind == 'baseline'].certified.any()
    rob = pd.read_csv(res / 'tables' / 'cifar10c_robustness.csv')
    x = rob[(rob.corruption == 'gaussian_noise') & (rob.severity == 2) & (rob.epsilon == 0.05) & (rob.delta == 0.1)].iloc[0]
    assert math.isclose(x.acc_2, 0.6) and math.isclose(x.risk, 0.045)
    macros = (res / 'tables' / 'summary_macros.tex').read_text()
    assert r'\newcommand{\NumRuns}{4}' in macros and r'\newcommand{\BestMeasuredSpeedup}{1.25}' in macros


@pytest.mark.parametrize('args, msg', [
    (['--format', 'xlsx'], "error: unknown format 'xlsx'; valid: csv, json, both"),
    (['--epsilon', '0.02'], 'error: no calibrated setting at epsilon=0.02, delta=0.1; the runs have'),
])
def test_bad_arguments_are_clear_errors(collected, args, msg):
    res, _ = collected
    r = run_py(*CLI, '--results-dir', str(res), '--no-figures', *args)
    assert r.returncode != 0 and msg in r.stderr, r.stderr


def test_a_folder_without_finished_runs_is_a_clear_error(tmp_path):
    (tmp_path / 'toy2d' / 'mlp' / 'kd' / 'seed_0').mkdir(parents=True)        # started, never finished
    r = run_py(*CLI, '--results-dir', str(tmp_path))
    assert r.returncode != 0 and f'error: no finished run (a folder holding metrics.json) under {tmp_path}' in r.stderr


def test_the_paper_compiles(collected, tmp_path):
    if not (shutil.which('pdflatex') and shutil.which('latexmk')):
        if os.environ.get('CI'): pytest.fail('pdflatex/latexmk missing on CI: apt-get install texlive-latex-base texlive-latex-recommended latexmk')
        pytest.skip('pdflatex/latexmk not installed')
    res, _ = collected
    shutil.copy(ROOT / 'paper' / 'main.tex', tmp_path / 'main.tex')
    copied = copy_to_paper(res, tmp_path)
    assert sorted(p.name for p in copied if p.suffix == '.pdf') == ['acc_compute_curve.pdf', 'reliability_exit1_exit2_exit3.pdf', 'risk_vs_delta.pdf']
    pdf = compile_paper(tmp_path)
    assert pdf.read_bytes()[:5] == b'%PDF-'
    log = (tmp_path / 'main.log').read_text(errors='replace')
    assert 'undefined' not in log and 'LaTeX Warning' not in log, 'unresolved references or LaTeX warnings'
