"""ASMB at CPU scale: each student's accuracy and ECE per exit, by variant (kd from one teacher, from the averaged teachers, asmb with or without IB), over seeds.

Reads the finished runs of `configs/sweeps/asmb_cpu.yaml` (students and the teachers they were distilled from) and
writes one JSON file with the command, git commit, device, torch version, every run's per-exit test accuracy and ECE
(15 bins, raw softmax, from its reliability.json), the teacher-exit disagreement recorded in its metrics.json, and the
mean and standard deviation over seeds per variant; prints the same as a table and draws accuracy per exit (PNG).

    python -m scripts.run_all --sweep configs/sweeps/asmb_cpu.yaml --jobs 2 --output-dir results/asmb_cpu
    python bench/asmb_cpu.py --results results/asmb_cpu [--out FILE]
"""
import json
from collections import defaultdict
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import yaml

from safekd.results import find_runs, run_row

from _common import cells, parser, save_png, seed_stats, write_record


def describe(run_dir):
    "One run: a teacher (by model) or a student (by its sweep tag), seed, per-exit accuracy and ECE, disagreement."
    d = Path(run_dir); cfg, r = yaml.safe_load((d / 'config.yaml').read_text()), run_row(run_dir)
    m, k = json.loads((d / 'metrics.json').read_text()), r['num_exits']
    teacher = cfg['method'] == 'erm'
    return dict(kind='teacher' if teacher else 'student', variant=cfg['model'] if teacher else cfg['tag'], seed=cfg['seed'],
                teachers=None if teacher else cfg['teacher']['name'], acc=[r[f'test_acc_{i}'] for i in range(k)],
                ece=[r[f'ece_{i}'] for i in range(k)], disagreement=m.get('disagreement'), run_dir=str(run_dir))


def plot(groups, out):
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for g in groups:
        if g['kind'] != 'student': continue
        x = np.arange(len(g['acc_mean']))
        ax.errorbar(x, g['acc_mean'], yerr=g['acc_sd'], marker='o', capsize=3, label=f"{g['variant']} (n={len(g['seeds'])})")
    ax.set_xticks(x, [f'exit {i}' for i in x]); ax.set_ylabel('test accuracy'); ax.grid(alpha=.3)
    ax.set_title('Fashion-MNIST, 3-exit ResNet-8: mean ± sd over seeds'); ax.legend(fontsize=7)
    fig.tight_layout(); save_png(fig, out); plt.close(fig)


def main(argv=None):
    a = parser(__doc__, 'asmb_cpu').parse_args(argv)
    runs = [describe(d) for d in find_runs(a.results)]
    if not runs: raise SystemExit(f"no finished runs under {a.results}")
    by = defaultdict(list)
    for r in runs: by[(r['kind'], r['variant'])].append(r)
    groups = []
    for (kind, v), rs in sorted(by.items(), key=lambda kv: (kv[0][0] == 'student', kv[0][1])):
        (am, asd), (em, esd) = seed_stats(rs, 'acc'), seed_stats(rs, 'ece')
        groups.append(dict(kind=kind, variant=v, seeds=sorted(r['seed'] for r in rs), teachers=rs[0]['teachers'],
                           acc_mean=am, acc_sd=asd, ece_mean=em, ece_sd=esd))
    print('| run | variant | seeds | accuracy per exit | ECE per exit |\n|---|---|---|---|---|')
    for g in groups: print(f"| {g['kind']} | {g['variant']} | {len(g['seeds'])} | {cells(g['acc_mean'], g['acc_sd'], 4)} | {cells(g['ece_mean'], g['ece_sd'], 4)} |")
    png = Path(a.out).with_suffix('.png'); plot(groups, png)
    write_record(a.out, 'asmb_cpu', str(a.results), figure=png.name, groups=groups, runs=runs)
    print(f'wrote {a.out} and {png}')


if __name__ == '__main__':
    main()
