"""Continual learning at CPU scale: average accuracy and forgetting per exit of fine-tuning, replay, EWC and both, over seeds.

Reads the finished runs of `configs/sweeps/continual_cpu.yaml` (their cl_metrics.json) and writes one JSON file with
the command, git commit, device, torch version, every run's accuracy matrix (final exit), average accuracy and
forgetting per exit, and their mean and standard deviation over seeds per variant; prints the same as a table and
draws the final exit's accuracy matrices (PNG). EWC is ASIB-CL's (cl.lambda_ewc, variant asib_ewc) or safekd's online EWC
(cl.lambda_online_ewc, variant online_ewc); in runs made before cl.lambda_online_ewc existed, cl.lambda_ewc was the online
one, and the committed bench/results/continual_cpu.json, written then, calls those variants ewc and replay+ewc.

    python -m scripts.run_all --sweep configs/sweeps/continual_cpu.yaml --jobs 2 --output-dir results/continual_cpu
    python bench/continual_cpu.py --results results/continual_cpu [--out FILE]
"""
import json
from collections import defaultdict
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import yaml

from safekd.results import find_runs

from _common import cells, parser, save_png, seed_stats, write_record


def variant(cl):
    "A continual run's variant name from its cl section: replay, ASIB-CL's EWC (asib_ewc) and safekd's online EWC (online_ewc)."
    replay = cl.get('replay_share') or cl['replay_ratio']   # runs made before replay_share held the share in replay_ratio
    old = 'lambda_online_ewc' not in cl                     # runs made before lambda_online_ewc: lambda_ewc was safekd's online EWC
    online, asib = (cl['lambda_ewc'], 0) if old else (cl['lambda_online_ewc'], cl['lambda_ewc'])
    parts = (['replay'] if replay else []) + (['asib_ewc'] if asib else []) + (['online_ewc'] if online else [])
    return '+'.join(parts) or 'finetune'


def describe(run_dir):
    d = Path(run_dir); cfg = yaml.safe_load((d / 'config.yaml').read_text())
    c, m = json.loads((d / 'cl_metrics.json').read_text()), json.loads((d / 'metrics.json').read_text())
    return dict(variant=variant(cfg['cl']), seed=cfg['seed'], cl=cfg['cl'], acc_matrix=c['acc_matrix'],
                avg_acc=c['avg_acc_per_exit'], forgetting=c['forgetting_per_exit'], test_acc=m['test_acc'], run_dir=str(run_dir))


ORDER = ['finetune', 'asib_ewc', 'online_ewc', 'replay', 'replay+asib_ewc', 'replay+online_ewc']


def plot(groups, out):
    fig, axs = plt.subplots(1, len(groups), figsize=(3 * len(groups), 3.2))
    for ax, g in zip(np.atleast_1d(axs), groups):
        A = np.array(g['acc_matrix_mean']); ax.imshow(A, vmin=0, vmax=1, cmap='viridis')
        for i in range(len(A)):
            for j in range(len(A)): ax.text(j, i, f'{A[i, j]:.2f}', ha='center', va='center', fontsize=6, color='w' if A[i, j] < .6 else 'k')
        ax.set_title(f"{g['variant']}\navg {g['avg_acc_mean'][-1]:.3f}, forget {g['forgetting_mean'][-1]:.3f}", fontsize=8)
        ax.set_xlabel('task evaluated'); ax.set_ylabel('after task')
    fig.tight_layout(); save_png(fig, out); plt.close(fig)


def main(argv=None):
    a = parser(__doc__, 'continual_cpu').parse_args(argv)
    runs = [describe(d) for d in find_runs(a.results) if (Path(d) / 'cl_metrics.json').exists()]
    if not runs: raise SystemExit(f"no finished continual runs under {a.results}")
    by = defaultdict(list)
    for r in runs: by[r['variant']].append(r)
    groups = []
    for v in sorted(by, key=lambda v: ORDER.index(v) if v in ORDER else len(ORDER)):
        rs = by[v]; (aa, asd), (fm, fsd), (tm, tsd) = seed_stats(rs, 'avg_acc'), seed_stats(rs, 'forgetting'), seed_stats(rs, 'test_acc')
        groups.append(dict(variant=v, seeds=sorted(r['seed'] for r in rs), cl=rs[0]['cl'], avg_acc_mean=aa, avg_acc_sd=asd,
                           forgetting_mean=fm, forgetting_sd=fsd, test_acc_mean=tm, test_acc_sd=tsd,
                           acc_matrix_mean=np.mean([r['acc_matrix'] for r in rs], 0).tolist()))
    print('| variant | seeds | average accuracy per exit | forgetting per exit |\n|---|---|---|---|')
    for g in groups: print(f"| {g['variant']} | {len(g['seeds'])} | {cells(g['avg_acc_mean'], g['avg_acc_sd'])} | {cells(g['forgetting_mean'], g['forgetting_sd'])} |")
    png = Path(a.out).with_suffix('.png'); plot(groups, png)
    write_record(a.out, 'continual_cpu', str(a.results), figure=png.name, groups=groups, runs=runs)
    print(f'wrote {a.out} and {png}')


if __name__ == '__main__':
    main()
