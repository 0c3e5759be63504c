"""Continual learning at CPU scale: average accuracy and forgetting per exit of fine-tuning, replay, EWC and both, over seeds.

Reads the finished runs of `configs/sweeps/continual_cpu.yaml` (their cl_metrics.json) and writes one JSON file with
the command, git commit, device, torch version, every run's accuracy matrix (final exit), average accuracy and
forgetting per exit, and their mean and standard deviation over seeds per variant; prints the same as a table and
draws the final exit's accuracy matrices (PNG).

    python -m scripts.run_all --sweep configs/sweeps/continual_cpu.yaml --jobs 2 --output-dir results/continual_cpu
    python bench/continual_cpu.py --results results/continual_cpu [--out FILE]
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
from safekd.results import find_runs

ROOT = Path(__file__).resolve().parents[1]


def variant(cl):
    "A continual run's variant name from its cl section."
    parts = (['replay'] if cl['replay_ratio'] else []) + (['ewc'] if cl['lambda_ewc'] else [])
    return '+'.join(parts) or 'finetune'


def describe(run_dir):
    d = Path(run_dir); cfg = yaml.safe_load((d / 'config.yaml').read_text())
    c, m = json.loads((d / 'cl_metrics.json').read_text()), json.loads((d / 'metrics.json').read_text())
    return dict(variant=variant(cfg['cl']), seed=cfg['seed'], cl=cfg['cl'], acc_matrix=c['acc_matrix'],
                avg_acc=c['avg_acc_per_exit'], forgetting=c['forgetting_per_exit'], test_acc=m['test_acc'], run_dir=str(run_dir))


def stats(rs, key):
    v = np.array([r[key] for r in rs], dtype=float)
    return v.mean(0).tolist(), (v.std(0, ddof=1).tolist() if len(rs) > 1 else None)


ORDER = ['finetune', 'ewc', 'replay', 'replay+ewc']


def plot(groups, out):
    fig, axs = plt.subplots(1, len(groups), figsize=(3 * len(groups), 3.2))
    for ax, g in zip(np.atleast_1d(axs), groups):
        A = np.array(g['acc_matrix_mean']); ax.imshow(A, vmin=0, vmax=1, cmap='viridis')
        for i in range(len(A)):
            for j in range(len(A)): ax.text(j, i, f'{A[i, j]:.2f}', ha='center', va='center', fontsize=6, color='w' if A[i, j] < .6 else 'k')
        ax.set_title(f"{g['variant']}\navg {g['avg_acc_mean'][-1]:.3f}, forget {g['forgetting_mean'][-1]:.3f}", fontsize=8)
        ax.set_xlabel('task evaluated'); ax.set_ylabel('after task')
    fig.tight_layout(); atomic_write(out, lambda f: fig.savefig(f, format='png', dpi=120)); plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--results', required=True, help='the sweep output folder')
    p.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'continual_cpu.json'))
    a = p.parse_args(argv)
    runs = [describe(d) for d in find_runs(a.results) if (Path(d) / 'cl_metrics.json').exists()]
    if not runs: raise SystemExit(f"no finished continual runs under {a.results}")
    by = defaultdict(list)
    for r in runs: by[r['variant']].append(r)
    groups = []
    for v in sorted(by, key=lambda v: ORDER.index(v) if v in ORDER else len(ORDER)):
        rs = by[v]; (aa, asd), (fm, fsd), (tm, tsd) = stats(rs, 'avg_acc'), stats(rs, 'forgetting'), stats(rs, 'test_acc')
        groups.append(dict(variant=v, seeds=sorted(r['seed'] for r in rs), cl=rs[0]['cl'], avg_acc_mean=aa, avg_acc_sd=asd,
                           forgetting_mean=fm, forgetting_sd=fsd, test_acc_mean=tm, test_acc_sd=tsd,
                           acc_matrix_mean=np.mean([r['acc_matrix'] for r in rs], 0).tolist()))
    f = lambda m, s: ' / '.join(f"{x:.3f}" + (f"±{y:.3f}" if s else '') for x, y in zip(m, s or [0] * len(m)))
    print('| variant | seeds | average accuracy per exit | forgetting per exit |\n|---|---|---|---|')
    for g in groups: print(f"| {g['variant']} | {len(g['seeds'])} | {f(g['avg_acc_mean'], g['avg_acc_sd'])} | {f(g['forgetting_mean'], g['forgetting_sd'])} |")
    png = Path(a.out).with_suffix('.png'); plot(groups, png)
    atomic_write_json(Path(a.out), dict(benchmark='continual_cpu', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                        date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(None, ROOT), results=str(a.results),
                                        figure=png.name, groups=groups, runs=runs))
    print(f'wrote {a.out} and {png}')


if __name__ == '__main__':
    main()
