"""ASMB at CPU scale: each student's accuracy and ECE per exit, by variant (kd from one teacher, from the averaged teachers, asmb with or without IB), over seeds.

Reads the finished runs of `configs/sweeps/asmb_cpu.yaml` (students and the teachers they were distilled from) and
writes one JSON file with the command, git commit, device, torch version, every run's per-exit test accuracy and ECE
(15 bins, raw softmax, from its reliability.json), the teacher-exit disagreement recorded in its metrics.json, and the
mean and standard deviation over seeds per variant; prints the same as a table and draws accuracy per exit (PNG).

    python -m scripts.run_all --sweep configs/sweeps/asmb_cpu.yaml --jobs 2 --output-dir results/asmb_cpu
    python bench/asmb_cpu.py --results results/asmb_cpu [--out FILE]
"""
import argparse, json, sys, time
from collections import defaultdict
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import yaml

from safekd.core import atomic_write, atomic_write_json, env_info
from safekd.results import find_runs, run_row

ROOT = Path(__file__).resolve().parents[1]


def describe(run_dir):
    "One run: a teacher (by model) or a student (by its sweep tag), seed, per-exit accuracy and ECE, disagreement."
    d = Path(run_dir); cfg, r = yaml.safe_load((d / 'config.yaml').read_text()), run_row(run_dir)
    m, k = json.loads((d / 'metrics.json').read_text()), r['num_exits']
    teacher = cfg['method'] == 'erm'
    return dict(kind='teacher' if teacher else 'student', variant=cfg['model'] if teacher else cfg['tag'], seed=cfg['seed'],
                teachers=None if teacher else cfg['teacher']['name'], acc=[r[f'test_acc_{i}'] for i in range(k)],
                ece=[r[f'ece_{i}'] for i in range(k)], disagreement=m.get('disagreement'), run_dir=str(run_dir))


def stats(rs, key):
    v = np.array([r[key] for r in rs])
    return v.mean(0).tolist(), (v.std(0, ddof=1).tolist() if len(rs) > 1 else None)


def plot(groups, out):
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for g in groups:
        if g['kind'] != 'student': continue
        x = np.arange(len(g['acc_mean']))
        ax.errorbar(x, g['acc_mean'], yerr=g['acc_sd'], marker='o', capsize=3, label=f"{g['variant']} (n={len(g['seeds'])})")
    ax.set_xticks(x, [f'exit {i}' for i in x]); ax.set_ylabel('test accuracy'); ax.grid(alpha=.3)
    ax.set_title('Fashion-MNIST, 3-exit ResNet-8: mean ± sd over seeds'); ax.legend(fontsize=7)
    fig.tight_layout(); atomic_write(out, lambda f: fig.savefig(f, format='png', dpi=120)); plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--results', required=True, help='the sweep output folder')
    p.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'asmb_cpu.json'))
    a = p.parse_args(argv)
    runs = [describe(d) for d in find_runs(a.results)]
    if not runs: raise SystemExit(f"no finished runs under {a.results}")
    by = defaultdict(list)
    for r in runs: by[(r['kind'], r['variant'])].append(r)
    groups = []
    for (kind, v), rs in sorted(by.items(), key=lambda kv: (kv[0][0] == 'student', kv[0][1])):
        (am, asd), (em, esd) = stats(rs, 'acc'), stats(rs, 'ece')
        groups.append(dict(kind=kind, variant=v, seeds=sorted(r['seed'] for r in rs), teachers=rs[0]['teachers'],
                           acc_mean=am, acc_sd=asd, ece_mean=em, ece_sd=esd))
    f = lambda m, s: ' / '.join(f"{x:.4f}" + (f"±{y:.4f}" if s else '') for x, y in zip(m, s or [0] * len(m)))
    print('| run | variant | seeds | accuracy per exit | ECE per exit |\n|---|---|---|---|---|')
    for g in groups: print(f"| {g['kind']} | {g['variant']} | {len(g['seeds'])} | {f(g['acc_mean'], g['acc_sd'])} | {f(g['ece_mean'], g['ece_sd'])} |")
    png = Path(a.out).with_suffix('.png'); plot(groups, png)
    atomic_write_json(Path(a.out), dict(benchmark='asmb_cpu', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                        date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(None, ROOT), results=str(a.results),
                                        figure=png.name, groups=groups, runs=runs))
    print(f'wrote {a.out} and {png}')


if __name__ == '__main__':
    main()
