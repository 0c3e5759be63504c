"""A shift the user names (`calibration.shift`) and constraints certified jointly (`calibration.risk` as a list,
`calibration.budget`), on tiny real runs in fresh processes: what the run folder records, and that its numbers agree
with each other. The guarantees are probabilistic, so nothing here asserts that a calibrated risk stays within epsilon."""
import json, math, re

import numpy as np
import pytest
import torch

from conftest import run_py
from safekd.config import check_config, resolve_config
from safekd.reports import run_report
from safekd.wrapper import exit_indices

SHIFT = [dict(corruption='contrast', severity=5), dict(corruption='clean')]
FMNIST = ['--dataset', 'fashion_mnist', '--model', 'mlp', '--method', 'multiexit', '--quick']
SMALL = ['data.max_train=3000', 'data.max_eval=1000', 'train.epochs=2', 'calibration.epsilon=[0.05, 0.1]', 'calibration.delta=[0.1]',
         'calibration.timing_batches=[]', 'calibration.baselines=false']
ONE_THREAD = {'OMP_NUM_THREADS': '1'}   # a tiny MLP: one thread is fastest, and many times faster on a shared CPU


def _json(d, name): return json.loads((d / name).read_text())
def _th(ts): return [float(t) for t in ts]   # JSON writes +inf as 'inf'


@pytest.fixture(scope='module')
def shift_run(tmp_path_factory):
    "One Fashion-MNIST run (MLP, 2 epochs on 3000 images) calibrated for SHIFT and evaluated under two corruptions."
    out = tmp_path_factory.mktemp('shift')
    r = run_py('-m', 'scripts.run', *FMNIST, '--robustness', '--output-dir', str(out), '--data-dir', str(out), *SMALL,
               f'calibration.shift={json.dumps(SHIFT)}', 'robustness.corruptions=[contrast, gaussian_noise]', 'robustness.severities=[5]',
               'robustness.seed=2', 'robustness.monitor=true', 'robustness.monitor_fraction=0.5', env=ONE_THREAD)
    assert r.returncode == 0, r.stderr
    return out / 'fashion_mnist' / 'mlp' / 'multiexit' / 'seed_0'


def test_the_shift_variant_is_calibrated_recorded_and_run_on_clean_test(shift_run):
    rc, st = _json(shift_run, 'risk_calibration.json'), _json(shift_run, 'exit_stats.json')['calibration']
    assert (rc['shift'], rc['shift_seed'], list(rc['settings'])) == (SHIFT, 2, ['raw', 'shift'])   # the mixture's seed: robustness.seed
    for c in rc['settings']['shift']:
        assert 'each image one of: contrast at severity 5, clean' in c['guarantee'], c['guarantee']
        assert c['guarantee'].endswith('this holds for test data drawn from that mixture')
    assert not any('mixture' in c['guarantee'] for c in rc['settings']['raw'])
    assert ' shift (calibrated for test data drawn from: contrast at severity 5, clean):' in run_report(shift_run)
    rows = st['settings']
    assert [(r['variant'], r['epsilon'], r['shift']) for r in rows] == [('raw', .05, None), ('raw', .1, None), ('shift', .05, SHIFT), ('shift', .1, SHIFT)]
    assert [_th(r['thresholds']) for r in rows[2:]] == [_th(c['thresholds']) for c in rc['settings']['shift']]
    te = np.load(shift_run / 'test_exits.npz')     # the clean test split's predictions and max-probabilities per exit
    pred, scores = torch.from_numpy(te['pred']), torch.from_numpy(te['maxprob'])
    for r in rows:                                 # real early exit on the clean test split, checked against its simulation
        k = exit_indices(scores, _th(r['thresholds']))
        risk = float((pred.gather(0, k[None])[0] != pred[-1]).double().mean())
        assert r['matches_simulation'] > .99 and abs(risk - r['test_risk']) <= 1 - r['matches_simulation'] + 1e-12, (r, risk)


def test_robustness_compares_clean_and_shift_calibrated_thresholds(shift_run):
    rob = _json(shift_run, 'robustness.json')
    assert rob['shift'] == SHIFT
    assert [(r['corruption'], r['severity'], r['variant']) for r in rob['results']] == [
        ('contrast', 5, 'raw'), ('contrast', 5, 'shift'), ('gaussian_noise', 5, 'raw'), ('gaussian_noise', 5, 'shift')]
    cmp = rob['shift_comparison']
    assert [(r['corruption'], r['severity'], r['in_shift'], r['epsilon'], r['delta']) for r in cmp] == [
        (None, 0, True, .05, .1), (None, 0, True, .1, .1), ('contrast', 5, True, .05, .1), ('contrast', 5, True, .1, .1),
        ('gaussian_noise', 5, False, .05, .1), ('gaussian_noise', 5, False, .1, .1)]
    by = {(r['corruption'], r['variant']): r['calibrations'] for r in rob['clean'] + rob['results']}
    for r in cmp:
        for v, key in (('raw', 'clean_calibrated'), ('shift', 'shift_calibrated')):
            p = next(p for p in by[r['corruption'], v] if p['epsilon'] == r['epsilon'])
            assert r[key] == {k: p[k] for k in ('realised_risk', 'within_epsilon', 'expected_flops_share')}
            assert math.isfinite(r[key]['realised_risk']) and 0 < r[key]['expected_flops_share'] <= 1
            assert r[key]['within_epsilon'] == (r[key]['realised_risk'] <= r['epsilon'])
    st = _json(shift_run, 'exit_stats.json')['calibration']['settings']
    assert [_th(p['thresholds']) for p in by['contrast', 'shift']] == [_th(r['thresholds']) for r in st if r['variant'] == 'shift']


def test_the_monitored_deployments_agree_with_the_shift_rows(shift_run):
    rob = _json(shift_run, 'robustness.json')
    mons, n = rob['monitor'], rob['n']
    assert [(m['corruption'], m['variant'], m['epsilon']) for m in mons] == [
        (c, v, e) for c in ('contrast', 'gaussian_noise') for v in ('raw', 'shift') for e in (.05, .1)]
    pol = lambda rows, c, v, e: next(p for r in rows if r['corruption'] == c and r['variant'] == v for p in r['calibrations'] if p['epsilon'] == e)
    for m in mons:   # the stream's two parts are the clean and the shifted test sets: their risks are the rows' realised risks
        assert (m['n_clean'], m['n_shifted'], m['risk'], m['fraction'], m['alpha']) == (n, n, 'consistency', .5, .01)
        assert abs(m['clean_risk'] - pol(rob['clean'], None, m['variant'], m['epsilon'])['realised_risk']) < 1e-12
        assert abs(m['shifted_risk'] - pol(rob['results'], m['corruption'], m['variant'], m['epsilon'])['realised_risk']) < 1e-12
        assert m['alarm'] == (m['alarm_position'] is not None) and 0.4 * 2 * n < m['audited'] < 0.6 * 2 * n
        assert m['false_alarm'] == (m['alarm'] and m['alarm_position'] < n)
        assert m['detected_after'] == (m['alarm_position'] - n if m['alarm'] and not m['false_alarm'] else None)


def test_joint_risks_and_a_budget_are_recorded_with_their_test_values(tmp_path):
    r = run_py('-m', 'scripts.run', '--dataset', 'toy2d', '--model', 'mlp', '--method', 'multiexit', '--quick', '--output-dir', str(tmp_path),
               '--data-dir', str(tmp_path), 'calibration.risk=[consistency, gap]', 'calibration.epsilon=[[0.05, 0.05]]', 'calibration.budget=0.9',
               'calibration.delta=[0.1]', 'calibration.timing_batches=[]', 'train.epochs=3', env=ONE_THREAD)
    assert r.returncode == 0, r.stderr
    d = tmp_path / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0'
    rc, st = _json(d, 'risk_calibration.json'), _json(d, 'exit_stats.json')['calibration']
    assert (rc['risk'], rc['budget'], st['risk'], st['budget']) == (['consistency', 'gap'], .9, ['consistency', 'gap'], .9)
    names = [('consistency', .05), ('gap', .05), ('flops_budget', .9)]
    assert [(c['name'], c['level']) for c in rc['settings']['raw'][0]['constraints']] == names
    (row,) = st['settings']
    assert (row['risk'], row['epsilon'], row['budget']) == ('consistency', .05, .9)
    assert [(c['name'], c['level']) for c in row['test_constraints']] == names
    assert [c['test_value'] for c in row['test_constraints']] == [row['risks']['consistency'], row['risks']['gap'], row['expected_flops_share']]
    assert all(c['within'] == (c['test_value'] <= c['level']) for c in row['test_constraints'])
    assert f"also on test: gap {row['risks']['gap']:.4f}" in run_report(d) and 'flops_budget' in run_report(d)


@pytest.mark.parametrize('dataset, overrides, msg', [
    ('fashion_mnist', ['calibration.shift=[{corruption: fogg, severity: 2}]'], "unknown corruption 'fogg'; valid: clean, gaussian_noise, shot_noise"),
    ('fashion_mnist', ['calibration.shift=[{corruption: fog, severity: 9}]'], 'unknown severity 9; valid: 1, 2, 3, 4, 5'),
    ('fashion_mnist', ['calibration.shift=[{corruption: fog}]'], 'unknown severity None; valid: 1, 2, 3, 4, 5'),
    ('toy2d', ['calibration.shift=[{corruption: fog, severity: 2}]'], "calibration.shift needs image data; dataset 'toy2d' has vector inputs"),
    ('toy2d', ['calibration.risk=[consistency, gap]', 'calibration.epsilon=[0.05]'],
     "with the risks ['consistency', 'gap'], every calibration.epsilon entry must be a list of 2 levels, one per risk"),
    ('toy2d', ['calibration.budget=1.5'], "calibration.budget is a share of the final exit's FLOPs in (0, 1), got 1.5"),
    ('toy2d', ['calibration.options={procedure: hochberg}'], "unknown procedure 'hochberg'; valid: fixed_sequence"),
])
def test_bad_shift_risks_budget_and_procedure_fail_before_training(dataset, overrides, msg):
    "`run` calls check_config before it loads data or trains: these configs fail there, naming the bad value."
    cfg = resolve_config(dataset, 'mlp', 'multiexit', quick=True, overrides=overrides)
    with pytest.raises(ValueError, match=re.escape(msg)): check_config(cfg)
