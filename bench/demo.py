"""The main job (`make demo`), measured: wall time, where the time goes, and the targets of issue 9.

Runs exactly the demo's command, `python -m scripts.run --config configs/demo.yaml`, into a fresh output folder (so
the teacher trains too), and writes one JSON file with the command, git commit, device, torch version, the wall
time, the time of each phase (teacher training, teacher post-training, student training, each post-training step of
the student), the student's per-exit figures, every calibrated setting, and each target with its value and whether
it is met:

* wall time of the whole command <= 600 s (on the project's 2-core CPU);
* final-exit test accuracy >= 0.90, exit accuracies increasing with depth;
* at epsilon 0.05, delta 0.1: a certified setting with FLOPs speedup >= 1.5x and measured batch-256 speedup >= 1.3x;
* post-training steps of the student under a fifth of the wall time.

It also copies the run's evidence (config, env, metrics, exit stats, reliability, the teacher's metrics) to
`bench/results/demo_run/`, which the README quotes.

    python bench/demo.py [--config configs/demo.yaml] [--work DIR] [--out bench/results/demo_cpu.json] [overrides ...]
"""
import argparse, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import torch
import yaml

from safekd.core import atomic_write_json, env_info
from safekd.config import run_dir, teacher_config

ROOT = Path(__file__).resolve().parents[1]
EVIDENCE = ('config.yaml', 'env.json', 'metrics.json', 'exit_stats.json', 'reliability.json', 'metrics_per_epoch.jsonl')


def targets(wall: float, m: dict, st: dict) -> dict:
    "Each target of the main job: its value, its bound and whether it is met."
    acc = st['test_acc']
    rows = [r for r in st['calibration']['settings'] if r['variant'] == 'raw' and r['epsilon'] == 0.05 and r['delta'] == 0.1]
    s = rows[0] if rows else {}
    post = sum(m['post_training_seconds'].values())
    return dict(
        wall_seconds=dict(value=wall, max=600, met=wall <= 600),
        final_test_acc=dict(value=acc[-1], min=0.90, met=acc[-1] >= 0.90),
        exit_acc_increasing=dict(value=acc, met=all(a < b for a, b in zip(acc, acc[1:]))),
        certified_eps05_delta01=dict(value=s.get('certified'), met=bool(s.get('certified'))),
        flops_speedup_eps05_delta01=dict(value=s.get('flops_speedup'), min=1.5, met=(s.get('flops_speedup') or 0) >= 1.5),
        batch256_speedup_eps05_delta01=dict(value=s.get('wallclock', {}).get('256', {}).get('speedup'), min=1.3,
                                             met=(s.get('wallclock', {}).get('256', {}).get('speedup') or 0) >= 1.3),
        post_training_share=dict(value=post / wall, max=0.2, met=post / wall <= 0.2))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default='configs/demo.yaml')
    p.add_argument('--work', default=None, help='output folder for the runs (default: a fresh temporary folder)')
    p.add_argument('--out', default=None, help='default: bench/results/demo_<device type>.json')
    p.add_argument('overrides', nargs='*', help='dotted config overrides passed on to scripts.run')
    a = p.parse_args(argv)
    work = Path(a.work or tempfile.mkdtemp(prefix='safekd-demo-'))
    cmd = [sys.executable, '-m', 'scripts.run', '--config', a.config, '--output-dir', str(work), *a.overrides]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode: raise SystemExit(f"the demo failed ({r.returncode}):\n{r.stderr[-4000:]}")
    print(r.stdout)
    d = Path(json.loads(r.stdout.strip().splitlines()[-1])['run_dir'])
    m, st = (json.loads((d / f).read_text()) for f in ('metrics.json', 'exit_stats.json'))
    cfg = yaml.safe_load((d / 'config.yaml').read_text())
    td = run_dir(teacher_config(cfg))   # its cached teacher run
    tm = json.loads((td / 'metrics.json').read_text())
    phases = dict(teacher_training=tm['train_seconds'], teacher_post_training=sum(tm['post_training_seconds'].values()),
                  student_training=m['train_seconds'], **{f'student_{k}': v for k, v in m['post_training_seconds'].items()})
    phases['other (start-up, data, model building)'] = wall - sum(phases.values())
    tg = targets(wall, m, st)
    dev = torch.device(cfg['train']['device'] if cfg['train']['device'] != 'auto' else ('cuda' if torch.cuda.is_available() else 'cpu'))
    out = Path(a.out or ROOT / 'bench' / 'results' / f'demo_{dev.type}.json')
    atomic_write_json(out, dict(benchmark='demo', command=' '.join(['python', *cmd[1:3], *cmd[3:5], *a.overrides]),
                                date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(dev, ROOT), wall_seconds=wall,
                                phases_seconds=phases, teacher=dict(model=tm['model'], test_acc=tm['test_acc'], epochs=tm['epochs']),
                                student=dict(model=m['model'], method=m['method'], epochs=m['epochs'], n_train=m['n_train'],
                                             n_test=m['n_test'], test_acc=st['test_acc'], flops_share=st['flops_share'], params=st['params']),
                                settings=m['calibration'], targets=tg, all_met=all(t['met'] for t in tg.values())))
    ev = ROOT / 'bench' / 'results' / 'demo_run'
    shutil.rmtree(ev, ignore_errors=True); ev.mkdir(parents=True)
    for f in EVIDENCE: shutil.copy(d / f, ev / f)
    shutil.copy(td / 'metrics.json', ev / 'teacher_metrics.json')
    print(f"wall time {wall:.0f} s; " + ', '.join(f"{k} {v:.0f} s" for k, v in phases.items()))
    for k, t in tg.items(): print(f"  {'met' if t['met'] else 'MISSED':>6}  {k}: {t['value']}")
    print(f'wrote {out} and {ev}/')


if __name__ == '__main__':
    main()
