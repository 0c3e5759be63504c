"`python -m scripts.run`: runs, clear errors, resume after a kill, the papermill notebook, all in fresh processes."
import json, signal, subprocess, sys, time

import pytest
import yaml

from conftest import ROOT, run_py

TOY = ['--dataset', 'toy2d', '--model', 'mlp', '--quick']


def _layout(d):
    return sorted(p.name for p in d.iterdir())


def test_toy2d_safe_kd_next_run_writes_the_layout(tmp_path):
    "safekd's variant with a trained teacher (cached as a run, reused by kd); SAFE-KD's safe_kd (an EMA teacher) in the test below."
    r = run_py('-m', 'scripts.run', *TOY, '--method', 'safe_kd_next', '--output-dir', str(tmp_path), '--data-dir', str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    d = tmp_path / 'toy2d' / 'mlp' / 'safe_kd_next' / 'seed_0'
    assert out['run_dir'] == str(d)
    assert _layout(d) == ['checkpoint_best.pt', 'checkpoint_last.pt', 'config.yaml', 'env.json', 'exit_stats.json',
                          'metrics.json', 'metrics_per_epoch.jsonl', 'reliability.json', 'risk_calibration.json', 'test_exits.npz']
    rc, st = json.loads((d / 'risk_calibration.json').read_text()), json.loads((d / 'exit_stats.json').read_text())
    assert (rc['risk'], rc['method'], len(rc['settings']['raw'])) == ('consistency', 'ltt', 9)
    rows = st['calibration']['settings']
    assert [(r['epsilon'], r['delta']) for r in rows] == [(e, d) for e in (.01, .02, .05) for d in (.01, .05, .1)]
    assert all(set(r['wallclock']) == {'1', '256'} and 'naive' in r['baselines'] for r in rows)
    assert all(r['flops_speedup'] > 1 for r in rows if r['certified'] and r['exit_shares'][-1] < 1)
    m = json.loads((d / 'metrics.json').read_text())
    assert len(m['test_acc']) == 3 and min(m['test_acc']) > 0.5      # 4 classes: chance is 0.25
    assert (tmp_path / 'toy2d' / 'mlp' / 'erm' / 'seed_0' / 'metrics.json').exists()   # the teacher, cached as a run
    assert 'reusing teacher' not in r.stderr
    r2 = run_py('-m', 'scripts.run', *TOY, '--method', 'kd', '--output-dir', str(tmp_path), '--data-dir', str(tmp_path))
    assert r2.returncode == 0 and 'reusing teacher run' in r2.stderr


@pytest.mark.parametrize('args, msg', [
    (['--dataset', 'mnist'], "unknown dataset 'mnist'; valid: toy2d"),
    (['--model', 'resnet18'], "unknown model 'resnet18'; valid:"),
    (['--method', 'distill'], "unknown method 'distill'; valid:"),
    (['train.epoch=3'], "unknown config key 'train.epoch'; valid: train.epochs"),
    (['method_args.gamma=2'], "unknown argument(s) ['gamma'] for method 'safe_kd'"),
    (['--teacher', 'resnet'], "unknown teacher 'resnet'; valid:"),
    (['calibration.risk=agree'], "unknown risk 'agree'; valid: consistency"),
    (['calibration.epsilon=[0.05, 1.5]'], "calibration epsilon and delta must lie in (0, 1); got [1.5]"),
    (['--robustness'], "robustness needs image data; dataset 'toy2d'"),
])
def test_bad_names_and_keys_are_clear_errors(tmp_path, args, msg):
    r = run_py('-m', 'scripts.run', *TOY, '--output-dir', str(tmp_path), '--data-dir', str(tmp_path), *args)
    assert r.returncode != 0 and msg in r.stderr, r.stderr


def test_a_run_killed_mid_epoch_resumes(tmp_path):
    cmd = [sys.executable, '-m', 'scripts.run', *TOY, '--method', 'multiexit', '--output-dir', str(tmp_path),
           '--data-dir', str(tmp_path), 'train.epochs=40', 'train.batch_size=32', 'train.progress=log']
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    d = tmp_path / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0'
    t0 = time.time()
    while not (d / 'metrics_per_epoch.jsonl').exists() or len((d / 'metrics_per_epoch.jsonl').read_text().splitlines()) < 2:
        assert p.poll() is None and time.time() - t0 < 300, p.stdout.read() if p.poll() is not None else 'timeout'
        time.sleep(0.05)
    time.sleep(0.3)                                    # now in the middle of a later epoch
    p.send_signal(signal.SIGKILL); p.wait()
    done = len((d / 'metrics_per_epoch.jsonl').read_text().splitlines())
    assert 2 <= done < 40 and not (d / 'metrics.json').exists()
    r = run_py('-m', 'scripts.run', *TOY, '--method', 'multiexit', '--output-dir', str(tmp_path), '--data-dir', str(tmp_path),
               'train.epochs=40', 'train.batch_size=32', 'train.progress=log', '--resume')
    assert r.returncode == 0, r.stderr
    assert f'resumed from {d / "checkpoint_last.pt"} after epoch' in r.stderr
    hist = [json.loads(l) for l in (d / 'metrics_per_epoch.jsonl').read_text().splitlines()]
    assert [h['epoch'] for h in hist] == list(range(1, 41))
    assert json.loads((d / 'metrics.json').read_text())['epochs'] == 40


def test_notebook_run_keeps_the_executed_copy(tmp_path):
    r = run_py('-m', 'scripts.run', *TOY, '--method', 'multiexit', '--output-dir', str(tmp_path), '--data-dir', str(tmp_path),
               '--notebook', 'train.epochs=2')
    assert r.returncode == 0, r.stderr
    d = tmp_path / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0'
    nb = json.loads((d / 'run.ipynb').read_text())
    params = next(c for c in nb['cells'] if 'injected-parameters' in c['metadata'].get('tags', []))
    assert 'dataset = "toy2d"' in ''.join(params['source'])
    assert (d / 'metrics.json').exists()
    assert any(o.get('output_type') == 'display_data' for c in nb['cells'] for o in c.get('outputs', []))   # the plots


def test_the_seed_toy_command_trains_the_mlp_and_says_so(tmp_path):
    "SAFE-KD's README: `python -m scripts.run --dataset toy2d --model rn50 --method safe_kd --seed 0 --fast`."
    r = run_py('-m', 'scripts.run', '--dataset', 'toy2d', '--model', 'rn50', '--method', 'safe_kd', '--seed', '0', '--fast',
               '--output-dir', str(tmp_path), '--data-dir', str(tmp_path), 'calibration.timing_batches=[]')
    assert r.returncode == 0, r.stderr
    assert "model 'rn50' takes images, so the 'mlp' backbone trains instead" in r.stderr
    d = tmp_path / 'toy2d' / 'rn50' / 'safe_kd' / 'seed_0'      # SAFE-KD's folder: the model asked for
    cfg = yaml.safe_load((d / 'config.yaml').read_text())
    assert (cfg['model'], cfg['model_requested'], cfg['teacher']['name']) == ('mlp', 'rn50', 'ema')   # SAFE-KD's EMA teacher
    assert cfg['train']['epochs'] == 2 and cfg['requested']['fast'] and not cfg['requested']['quick']   # SAFE-KD's --fast: fast_epochs
    assert json.loads((d / 'metrics.json').read_text())['model'] == 'mlp'


def test_asmb_and_continual_runs_from_the_command_line(tmp_path):
    "asmb with two teachers (each its own cached erm run) trains in stages; a continual run writes cl_metrics.json; both end like any run."
    base = [*TOY, '--output-dir', str(tmp_path), '--data-dir', str(tmp_path)]
    r = run_py('-m', 'scripts.run', *base, '--method', 'asmb', '--teacher', '[mlp, mlp]')
    assert r.returncode == 0, r.stderr
    d = tmp_path / 'toy2d' / 'mlp' / 'asmb' / 'seed_0'
    assert (d / 'stages' / 'stage_1' / 'done.pt').exists() and (d / 'risk_calibration.json').exists()
    m = json.loads((d / 'metrics.json').read_text())
    assert m['teacher'] == 'mlp+mlp' and set(m['disagreement']) == {'pred', 'both_wrong'}
    assert m['disagreement']['pred']['teacher0 vs teacher1'] == 0.0          # the same cached teacher run, twice
    r = run_py('-m', 'scripts.run', *base, '--method', 'multiexit', 'cl.num_tasks=2', 'cl.replay_ratio=0.2', 'cl.buffer_size=100')
    assert r.returncode == 0, r.stderr
    d = tmp_path / 'toy2d' / 'mlp' / 'multiexit-cl2-ratio0.2-ewc0.4' / 'seed_0'     # ASIB-CL's EWC at its default 0.4
    c, m = json.loads((d / 'cl_metrics.json').read_text()), json.loads((d / 'metrics.json').read_text())
    assert len(c['acc_matrix']) == 2 and len(c['acc_matrix_per_exit']) == 3 and m['cl']['avg_acc'] == c['avg_acc']
    assert len(m['test_acc']) == 3 and (d / 'risk_calibration.json').exists()     # calibrated on every class, as any run
