"Sweeps in fresh processes: the seed's sweep files, Ray with two local workers (an isolated failure, --skip-existing, a shared teacher trained once, a killed worker resumed), the papermill batch."
import json, os, re, signal, subprocess, sys, time

import yaml

from conftest import ROOT, run_py

TOY = ['train.epochs=3', 'teacher.epochs=3', 'train.progress=log', 'calibration.timing_batches=[]']


def _sweep(tmp_path, name, body):
    f = tmp_path / f'{name}.yaml'
    f.write_text(yaml.safe_dump(body))
    return str(f)


def test_the_seed_sweep_files_expand_as_the_seed_means_them():
    for f, n in [('key_subset', 108), ('full_benchmark', 540)]:
        r = run_py('-m', 'scripts.sweep', '--sweep', f'configs/sweeps/{f}.yaml', '--dry-run')
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip().splitlines()[-1] == f'{n} runs (+0 teacher runs)'
    r = run_py('-m', 'scripts.sweep', '--sweep', 'configs/sweeps/key_subset.yaml', '--dry-run', '--quick')
    assert r.stdout.strip().splitlines()[-1] == '108 runs (+9 teacher runs)'
    assert 'results/cifar100/rn18/erm/seed_0  (teacher of 4 run(s), not in the sweep' in r.stdout
    r = run_py('-m', 'scripts.sweep', '--sweep', 'configs/sweeps/key_subset.yaml', '--dry-run', '--fast')   # SAFE-KD's README command
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == '108 runs (+0 teacher runs)', r.stderr   # the same runs, 2 epochs each


def test_a_bad_sweep_entry_fails_before_anything_trains(tmp_path):
    f = _sweep(tmp_path, 'bad', dict(sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['kd', 'distill'])))
    r = run_py('-m', 'scripts.sweep', '--sweep', f, '--output-dir', str(tmp_path / 'out'))
    assert r.returncode != 0 and "sweep run toy2d/mlp/distill/seed None: unknown method 'distill'; valid:" in r.stderr, r.stderr
    assert not (tmp_path / 'out').exists()


def test_ray_isolates_a_failure_shares_the_teacher_and_skips_what_is_complete(tmp_path):
    out = tmp_path / 'out'
    f = _sweep(tmp_path, 'toy', dict(
        sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['kd', 'safe_kd_next', 'multiexit'], seeds=[0]),
        overrides=TOY + [f'data.data_dir={tmp_path}', 'data.download=false'],
        runs=[dict(dataset='cifar100', model='resnet8', method='multiexit', seed=0),
              dict(dataset='toy2d', model='mlp', method='asmb', seed=0, overrides=['teacher.name=[mlp, mlp]']),
              dict(dataset='toy2d', model='mlp', method='multiexit', seed=0, overrides=['cl.num_tasks=2', 'cl.lambda_ewc=0', 'cl.lambda_online_ewc=10'])]))
    r = run_py('-m', 'scripts.run_all', '--sweep', f, '--jobs', '2', '--output-dir', str(out))
    assert r.returncode == 1, r.stdout + r.stderr
    fail = next(l for l in r.stdout.splitlines() if l.startswith('failed'))
    assert 'cifar100/resnet8/multiexit/seed_0' in fail and 'FileNotFoundError' in fail, r.stdout
    assert r.stdout.strip().splitlines()[-1] == '6 done, 0 skipped, 1 failed'
    st = json.loads((out / 'sweep_status.json').read_text())
    assert st['counts'] == dict(done=6, skipped=0, failed=1) and st['engine'] == 'ray'
    assert (out / 'toy2d' / 'mlp' / 'asmb' / 'seed_0' / 'stages' / 'stage_1' / 'done.pt').exists()             # asmb's stages
    assert (out / 'toy2d' / 'mlp' / 'multiexit-cl2-ratio0.5-oewc10' / 'seed_0' / 'cl_metrics.json').exists()            # a continual run
    assert (out / 'cifar100' / 'resnet8' / 'multiexit' / 'seed_0' / 'error.txt').exists()
    teacher = out / 'toy2d' / 'mlp' / 'erm' / 'seed_0'
    assert (teacher / 'run.log').read_text().count(': starting in process') == 1      # trained once, for two students
    for m in ('kd', 'safe_kd_next', 'asmb'):
        assert 'reusing teacher run' in (out / 'toy2d' / 'mlp' / m / 'seed_0' / 'run.log').read_text()
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob('metrics.json')}
    r = run_py('-m', 'scripts.run_all', '--sweep', f, '--jobs', '2', '--output-dir', str(out), '--skip-existing')
    assert r.returncode == 1 and r.stdout.strip().splitlines()[-1] == '0 done, 6 skipped, 1 failed', r.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob('metrics.json')} == stamp        # nothing retrained


def test_a_killed_worker_is_reported_and_its_run_resumes(tmp_path):
    out = tmp_path / 'out'
    f = _sweep(tmp_path, 'long', dict(sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['multiexit', 'sdn'], seeds=[0]),
                                      overrides=['train.epochs=40', 'train.batch_size=32', 'train.progress=log',
                                                 'calibration.timing_batches=[]', f'data.data_dir={tmp_path}']))
    cmd = [sys.executable, '-m', 'scripts.run_all', '--sweep', f, '--jobs', '2', '--output-dir', str(out)]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    d = out / 'toy2d' / 'mlp' / 'multiexit' / 'seed_0'
    t0 = time.time()
    while not (d / 'metrics_per_epoch.jsonl').exists() or len((d / 'metrics_per_epoch.jsonl').read_text().splitlines()) < 2:
        assert p.poll() is None and time.time() - t0 < 300, p.stdout.read() if p.poll() is not None else 'timeout'
        time.sleep(0.05)
    pid = int(re.search(r'in process (\d+)', (d / 'run.log').read_text()).group(1))
    os.kill(pid, signal.SIGKILL)
    text, _ = p.communicate(timeout=300)
    assert p.returncode == 1, text
    assert re.search(r'failed .*toy2d/mlp/multiexit/seed_0 .*the worker running it died', text), text
    assert (d / 'error.txt').exists() and not (d / 'metrics.json').exists()
    assert (out / 'toy2d' / 'mlp' / 'sdn' / 'seed_0' / 'metrics.json').exists()          # the other run finished
    r = run_py('-m', 'scripts.run_all', '--sweep', f, '--jobs', '2', '--output-dir', str(out), '--skip-existing')
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == '1 done, 1 skipped, 0 failed', r.stdout + r.stderr
    assert 'resuming in process' in (d / 'run.log').read_text()
    hist = [json.loads(l) for l in (d / 'metrics_per_epoch.jsonl').read_text().splitlines()]
    assert [h['epoch'] for h in hist] == list(range(1, 41)) and not (d / 'error.txt').exists()


def test_sweep_notebook_keeps_each_runs_executed_copy(tmp_path):
    out = tmp_path / 'out'
    f = _sweep(tmp_path, 'nb', dict(sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['kd'], seeds=[0]),
                                    overrides=['train.epochs=2', 'teacher.epochs=2', 'calibration.timing_batches=[]', f'data.data_dir={tmp_path}']))
    r = run_py('-m', 'scripts.sweep', '--sweep', f, '--notebook', '--output-dir', str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    for m in ('erm', 'kd'):                                  # the teacher run too
        d = out / 'toy2d' / 'mlp' / m / 'seed_0'
        nb = json.loads((d / 'run.ipynb').read_text())
        assert any('injected-parameters' in c['metadata'].get('tags', []) for c in nb['cells']) and (d / 'metrics.json').exists()
    assert r.stdout.strip().splitlines()[-1] == '2 done, 0 skipped, 0 failed'


def test_reproduce_without_latex_fails_before_any_run(tmp_path):
    r = run_py('-m', 'scripts.reproduce', '--sweep', 'configs/sweeps/toy.yaml', '--output-dir', str(tmp_path / 'out'),
               env={'PATH': str(tmp_path)})
    assert r.returncode != 0 and 'install them with `apt-get install texlive-latex-base texlive-latex-recommended latexmk`' in r.stderr, r.stderr
    assert not (tmp_path / 'out').exists()


def test_names_that_escape_jobs_below_one_and_a_dead_address_fail_fast(tmp_path):
    "Issue 21: a grid value with ../ wrote a run outside --output-dir; --jobs -2 hung; --address with nothing listening retried for minutes."
    out = tmp_path / 'out'
    f = _sweep(tmp_path, 'esc', dict(sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['erm']),
                                     grid={'method_args.T': ['../../../../../../escaped']}))
    r = run_py('-m', 'scripts.sweep', '--sweep', f, '--output-dir', str(out), '--dry-run', timeout=120)
    assert r.returncode != 0 and "tag='T=../../../../../../escaped' becomes part of a run's folder name" in r.stderr, r.stderr
    assert not out.exists() and not (tmp_path / 'escaped').exists()
    toy = _sweep(tmp_path, 'toy', dict(sweep=dict(datasets=['toy2d'], models=['mlp'], methods=['erm'])))
    for jobs in ('-2', '0'):
        r = run_py('-m', 'scripts.run_all', '--sweep', toy, '--output-dir', str(out), '--jobs', jobs, timeout=120)
        assert r.returncode != 0 and f"--jobs (n_jobs) must be a whole number >= 1 (runs at once) or auto (one per GPU, else 1), not '{jobs}'" in r.stderr, r.stderr
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]          # nothing listens there once closed
    t0 = time.time()
    r = run_py('-m', 'scripts.run_all', '--sweep', toy, '--output-dir', str(out), '--address', f'127.0.0.1:{port}', timeout=120)
    assert r.returncode != 0 and f'error: no Ray cluster at --address 127.0.0.1:{port}' in r.stderr and 'ray start --head' in r.stderr, r.stderr
    assert time.time() - t0 < 60 and not out.exists()
