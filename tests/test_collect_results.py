"`python -m scripts.collect_results` on a synthetic results tree, in fresh processes: exact table values, clear errors, the paper builds."
import json, math, os, shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_py
from safekd.results import compile_paper, copy_to_paper, synthetic_results, synthetic_run

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
    (['--delta', '0.02'], 'error: no SAFE-KD safe curve at delta=0.02; the runs have delta in 0.01, 0.05, 0.1'),
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


# SAFE-KD's schema: the files and keys SAFE-KD's collect_results.py, tables.py and figures.py read from a run folder.
SAFE_KD = Path('/tmp/orig/safe-kd')
NO_SAFE_KD = pytest.mark.skipif(not (SAFE_KD / 'scripts' / 'collect_results.py').exists(),
                                reason='the SAFE-KD clone (github.com/salimkhazem/safe-kd) is not at /tmp/orig/safe-kd')


def _js(d, name):
    return json.loads((d / name).read_text())


def check_safe_kd_schema(d):
    "Every SAFE-KD key a collector reads is in run folder d, equal to safekd's own numbers there."
    m, st, rel = _js(d, 'metrics.json'), _js(d, 'exit_stats.json'), _js(d, 'reliability.json')
    K = len(m['test_acc'])
    assert m['acc_final'] == m['final_test_acc'] and m['best_acc'] == m['best_val_acc']
    assert [m[f'acc_exit{j}'] for j in range(1, K + 1)] == m['test_acc']
    assert [m[f'ece_exit{j}'] for j in range(1, K + 1)] == [x['ece'] for x in rel['raw']['metrics']]
    assert all(math.isfinite(m[f'nll_exit{j}']) and m[f'nll_exit{j}'] > 0 for j in range(1, K + 1))
    assert sorted(st['safe']) == ['0.01', '0.05', '0.1'] and sorted(st['naive']) == ['0.7', '0.8', '0.9']
    z = np.load(d / 'test_exits.npz')
    for key, s in st['safe'].items():        # the stored quantiles applied to safekd's own test outputs give the stored figures
        ok = z['maxprob'].astype(np.float64) >= 1.0 - np.asarray(s['quantiles'])[:, None]
        k = np.where(ok.any(0), ok.argmax(0), K - 1)
        assert np.allclose(s['exit_rates'], [(k == j).mean() for j in range(K)])
        assert math.isclose(s['overall_acc'], (z['pred'][k, np.arange(len(k))] == z['labels']).mean())
        assert math.isclose(s['overall_risk'], 1 - s['overall_acc'])
        assert math.isclose(s['expected_compute'], sum(r * (j + 1) / K for j, r in enumerate(s['exit_rates'])))
        assert math.isclose(s['expected_flops_share'], float(np.dot(s['exit_rates'], st['flops_share'])))
    for j, r in enumerate(rel['raw']['reliability']):
        n = sum(b['count'] for b in r['bins'])
        assert rel[f'exit{j + 1}']['bin_counts'] == [b['count'] / n for b in r['bins']]
        assert rel[f'exit{j + 1}']['bin_acc'] == [b['accuracy'] or 0.0 for b in r['bins']]
    return m, st


def test_synthetic_runs_carry_safe_kd_schema(collected):
    res, _ = collected
    d = res / 'toy2d' / 'mlp' / 'safe_kd' / 'seed_0'
    m, st = check_safe_kd_schema(d)
    rob = _js(d, 'robustness.json')
    acc = {f"{r['corruption']}_s{r['severity']}": r['exits'][-1]['accuracy'] for r in rob['results']}
    assert {k: rob[k] for k in acc} == acc and math.isclose(rob['mean_corruption_acc'], np.mean(list(acc.values())))
    assert sorted(k for k in rob if k.startswith('risk_delta_')) == ['risk_delta_0.01', 'risk_delta_0.05', 'risk_delta_0.1']
    s = pd.read_csv(res / 'summary.csv').set_index(['method', 'seed']).loc[('safe_kd', 0)]
    assert (s.acc_delta, s.risk_delta, s.expected_compute) == tuple(st['safe']['0.05'][k] for k in ('overall_acc', 'overall_risk', 'expected_compute'))
    assert (s.nll_final, s.best_acc) == (m['nll_exit3'], m['best_acc'])


def test_delta_is_safe_kd_and_table_delta_is_ltt(tmp_path):
    res = tmp_path / 'results'; synthetic_results(res)
    r = run_py(*CLI, '--results-dir', str(res), '--no-figures', '--delta', '0.1', '--table-delta', '0.2', '--format', 'csv')
    assert r.returncode == 0, r.stderr
    s = pd.read_csv(res / 'summary.csv').set_index(['method', 'seed']).loc[('safe_kd', 1)]
    assert s.acc_delta == _js(res / 'toy2d' / 'mlp' / 'safe_kd' / 'seed_1', 'exit_stats.json')['safe']['0.1']['overall_acc']
    assert r'$\delta=0.2$' in (res / 'tables' / 'main_key_subset.tex').read_text()
    r = run_py(*CLI, '--results-dir', str(res), '--no-figures', '--delta', '0.02')
    assert r.returncode != 0 and 'error: no SAFE-KD safe curve at delta=0.02; the runs have delta in 0.01, 0.05, 0.1' in r.stderr


@pytest.fixture(scope='module')
def toy_run(tmp_path_factory):
    "A real quick toy2d multiexit run (about 20 s on 2 cores)."
    t = tmp_path_factory.mktemp('toyrun')
    r = run_py('-m', 'scripts.run', '--dataset', 'toy2d', '--model', 'mlp', '--quick', '--method', 'multiexit',
               '--output-dir', str(t / 'results'), '--data-dir', str(t / 'data'), env={'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr
    return t / 'results'


@pytest.mark.slow
def test_a_real_run_carries_safe_kd_schema(toy_run):
    check_safe_kd_schema(toy_run / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0')


@NO_SAFE_KD
@pytest.mark.slow
def test_safe_kd_own_collect_results_reads_the_true_values(toy_run, tmp_path):
    "SAFE-KD's own scripts/collect_results.py (run from the clone, never copied) on a safekd results folder."
    out = tmp_path / 'safe_kd_summary.csv'
    r = run_py(str(SAFE_KD / 'scripts' / 'collect_results.py'), '--results-dir', str(toy_run), '--output', str(out), '--format', 'csv')
    assert r.returncode == 0, r.stderr
    row = pd.read_csv(out).iloc[0]
    d = toy_run / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0'
    m, s = _js(d, 'metrics.json'), _js(d, 'exit_stats.json')['safe']['0.05']
    assert (row.acc_final, row.best_acc, row.nll_final, row.ece_final) == (m['final_test_acc'], m['best_val_acc'], m['nll_exit3'], m['ece_exit3'])
    assert row.acc_final > 0.5 and row.ece_final == _js(d, 'reliability.json')['raw']['metrics'][-1]['ece']
    assert (row.acc_delta, row.risk_delta, row.expected_compute) == (s['overall_acc'], s['overall_risk'], s['expected_compute'])


SAFE_KD_READERS = '''
import json, sys
sys.path.insert(0, sys.argv[1] + "/src")
import matplotlib; matplotlib.use("Agg")
from pathlib import Path
from eval.figures import plot_acc_compute, plot_cifar10c_risk, plot_reliability, plot_risk_vs_delta
from eval.tables import build_cifar10c_table, build_early_exit_table, build_main_table, build_toy2d_sota_table
root, out = Path(sys.argv[2]), Path(sys.argv[3])
figs = {}
for run in sorted(p.parent for p in root.rglob("metrics.json")):
    for f, name in ((plot_reliability, "reliability.json"), (plot_risk_vs_delta, "exit_stats.json"), (plot_acc_compute, "exit_stats.json"),
                    (plot_cifar10c_risk, "robustness.json")):
        if (run / name).exists():
            figs[f"{run.relative_to(root)}:{f.__name__}"] = f(run / name, out / f"{run.relative_to(root).as_posix().replace('/', '_')}_{f.__name__}.pdf") is not None
tabs = {f.__name__: None if (t := f(root, out / f"{f.__name__}.csv", out / f"{f.__name__}.tex")) is None else t.to_dict("records")
        for f in (build_main_table, build_early_exit_table, build_cifar10c_table, build_toy2d_sota_table)}
print(json.dumps(dict(figures=figs, tables=tabs)))
'''


def safe_kd_readers(root, out):
    "SAFE-KD's own figure and table functions (src/eval/figures.py, tables.py, run from the clone) on a safekd results folder."
    r = run_py('-c', SAFE_KD_READERS, str(SAFE_KD), str(root), str(out))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@NO_SAFE_KD
def test_safe_kd_own_figures_and_tables_read_synthetic_runs(tmp_path):
    "Every figure SAFE-KD's reproduce.py draws from a run folder, and its tables, on safekd's files: no crash, safekd's numbers."
    res = tmp_path / 'results'; runs = synthetic_results(res)
    c10 = synthetic_run(res / 'cifar10' / 'rn18' / 'safe_kd' / 'seed_0', 'cifar10', 'rn18', 'safe_kd', 0, [0.5, 0.6, 0.7], [0.1, 0.05, 0.02], robustness=True)
    got = safe_kd_readers(res, tmp_path / 'out')
    draws = {k.split(':')[1]: [] for k in got['figures']}
    for k, v in got['figures'].items(): draws[k.split(':')[1]].append(v)
    assert all(draws['plot_reliability']) and len(draws['plot_reliability']) == 5      # reliability.json: every top-level value a dict
    assert draws['plot_cifar10c_risk'] == [True, True]                                  # robustness.json's risk_delta_* keys
    assert got['figures']['toy2d/mlp/kd/seed_0:plot_risk_vs_delta'] is False            # kd predates SAFE-KD's keys: no safe curve, no figure
    sota = {r['method']: r for r in got['tables']['build_toy2d_sota_table']}
    assert math.isclose(sota['safe_kd']['acc_delta_mean'], np.mean([_js(d, 'exit_stats.json')['safe']['0.05']['overall_acc'] for d in runs[:2]]))
    early = {(r['dataset'], r['method']): r for r in got['tables']['build_early_exit_table']}
    assert math.isclose(early['cifar10', 'safe_kd']['expected_compute'], _js(c10, 'exit_stats.json')['safe']['0.05']['expected_compute'])
    assert math.isclose(early['toy2d', 'safe_kd']['exit1_rate'], np.mean([_js(d, 'exit_stats.json')['safe']['0.05']['exit_rates'][0] for d in runs[:2]]))
    (main,) = got['tables']['build_main_table']                                         # SAFE-KD's main table leaves toy2d out
    assert (main['dataset'], main['method'], main['acc_mean']) == ('cifar10', 'safe_kd', _js(c10, 'metrics.json')['acc_exit3'])
    assert got['tables']['build_cifar10c_table'][0]['mean_corruption_acc'] == _js(c10, 'robustness.json')['mean_corruption_acc']


@NO_SAFE_KD
@pytest.mark.slow
def test_safe_kd_own_figures_and_tables_read_a_real_run(toy_run, tmp_path):
    got = safe_kd_readers(toy_run, tmp_path / 'out')
    assert got['figures'] == {f'toy2d/mlp/multiexit/seed_0:{f}': True for f in ('plot_reliability', 'plot_risk_vs_delta', 'plot_acc_compute')}
    s = _js(toy_run / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0', 'exit_stats.json')['safe']['0.05']
    (row,) = got['tables']['build_toy2d_sota_table']
    assert (row['acc_delta_mean'], row['risk_delta_mean'], row['expected_compute_mean']) == (s['overall_acc'], s['overall_risk'], s['expected_compute'])


SAFE_KD_REFERENCE = '''
import json, sys, torch
sys.path.insert(0, sys.argv[1] + "/src")
from methods.safe_exit import calibrate_thresholds
from eval.early_exit import naive_risk_curve, safe_risk_curve
d = json.load(sys.stdin); lc, lt = torch.tensor(d["cal"]).log(), torch.tensor(d["test"]).log()
th = calibrate_thresholds(list(lc), torch.tensor(d["ycal"]), [0.01, 0.05, 0.1])
print(json.dumps(dict(thresholds={str(k): v for k, v in th.items()}, safe=safe_risk_curve(list(lt), torch.tensor(d["ytest"]), th),
                      naive=naive_risk_curve(list(lt), torch.tensor(d["ytest"]), [0.7, 0.8, 0.9]))))
'''


@NO_SAFE_KD
def test_the_safe_curve_equals_safe_kd_own_functions():
    "safekd.results' reimplementation against SAFE-KD's calibrate_thresholds, safe_risk_curve and naive_risk_curve on the same outputs."
    import subprocess, sys
    from safekd.results import calibrate_thresholds, naive_risk_curve, safe_risk_curve
    g = np.random.default_rng(0)
    P = lambda n: g.dirichlet(np.full(5, 0.4), (3, n)).astype(np.float32)
    pc, yc, pt, yt = P(300), g.integers(0, 5, 300), P(400), g.integers(0, 5, 400)
    pc, pt = [torch_softmax_log(p) for p in (pc, pt)]
    r = subprocess.run([sys.executable, '-c', SAFE_KD_REFERENCE, str(SAFE_KD)], input=json.dumps(dict(cal=pc.tolist(), ycal=yc.tolist(), test=pt.tolist(), ytest=yt.tolist())),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ref, q = json.loads(r.stdout), calibrate_thresholds(pc, yc)
    assert {str(k): v for k, v in q.items()} == ref['thresholds']
    for mine, theirs in ((safe_risk_curve(pt, yt, q), ref['safe']), (naive_risk_curve(pt, yt), ref['naive'])):
        assert list(mine) == list(theirs)
        for k in theirs:
            for f in ('exit_rates', 'exit_acc', 'exit_risk', 'expected_compute', 'overall_acc', 'overall_risk'):
                assert np.allclose(mine[k][f], theirs[k][f], atol=1e-6), (k, f, mine[k][f], theirs[k][f])


def torch_softmax_log(p):
    "The softmax of log(p) in float32 (what SAFE-KD computes from logits log(p)), so both sides see the same probabilities."
    import torch
    return torch.from_numpy(p).log().softmax(-1).numpy()
