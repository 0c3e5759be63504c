"""Calibration transfer at CPU scale: each student's accuracy and ECE per exit, by teacher loss and T, over seeds.

Reads the finished runs of `configs/sweeps/calibration_transfer_cpu.yaml` (students and the teachers they were
distilled from) and writes one JSON file with the command, git commit, device, torch version, every run's
per-exit test accuracy and ECE (15 bins, raw softmax, from its reliability.json) and their mean and standard
deviation over seeds per (teacher loss, T); prints the same as a table.

    python -m scripts.run_all --sweep configs/sweeps/calibration_transfer_cpu.yaml --jobs 2 --output-dir results/transfer_cpu
    python bench/calibration_transfer_cpu.py --results results/transfer_cpu [--out FILE]

Rows added later (the focal teacher, `configs/sweeps/calibration_transfer_cpu_focal.yaml`) join the committed ones with
`--merge`: the runs already in FILE are kept (each with the results folder it came from) and the groups recomputed.

    python bench/calibration_transfer_cpu.py --results results/transfer_cpu_focal --merge
"""
import json
from collections import defaultdict
from pathlib import Path

import yaml

from safekd.results import find_runs, run_row

from _common import cells, parser, seed_stats, write_record


def describe(run_dir):
    "One run: student or teacher, the teacher's loss, T, seed, per-exit accuracy and ECE."
    cfg, r = yaml.safe_load((Path(run_dir) / 'config.yaml').read_text()), run_row(run_dir)
    teacher = cfg['method'] == 'erm'
    k = r['num_exits']
    return dict(kind='teacher' if teacher else 'student', model=cfg['model'], seed=cfg['seed'],
                teacher_loss=cfg['method_args'].get('loss', 'ce') if teacher else cfg['teacher']['loss'],
                T=None if teacher else cfg['method_args'].get('T'), kd_weight=None if teacher else cfg['method_args'].get('kd_weight'),
                acc=[r[f'test_acc_{i}'] for i in range(k)], ece=[r[f'ece_{i}'] for i in range(k)], run_dir=str(run_dir))


def main(argv=None):
    p = parser(__doc__, 'calibration_transfer_cpu')
    p.add_argument('--merge', action='store_true', help="keep the runs already in --out and add these")
    a = p.parse_args(argv)
    runs = [dict(describe(d), results=str(a.results)) for d in find_runs(a.results)]
    if not runs: raise SystemExit(f"no finished runs under {a.results}")
    if a.merge and not Path(a.out).exists(): raise SystemExit(f"--merge: no {a.out} to merge into")
    old = json.loads(Path(a.out).read_text()) if a.merge else {}
    kept = [dict(r, results=r.get('results', old.get('results'))) for r in old.get('runs', []) if r['run_dir'] not in {n['run_dir'] for n in runs}]
    runs = kept + runs
    by = defaultdict(list)
    for r in runs: by[(r['kind'], r['teacher_loss'], r['T'])].append(r)
    groups = [dict(kind=kd, teacher_loss=l, T=T, seeds=sorted(r['seed'] for r in rs),
                   **dict(zip(('acc_mean', 'acc_sd'), seed_stats(rs, 'acc'))), **dict(zip(('ece_mean', 'ece_sd'), seed_stats(rs, 'ece'))))
              for (kd, l, T), rs in sorted(by.items(), key=lambda kv: (kv[0][0] == 'student', kv[0][1], kv[0][2] or 0))]
    print('| run | teacher loss | T | seeds | accuracy per exit | ECE per exit |\n|---|---|---|---|---|---|')
    for g in groups: print(f"| {g['kind']} | {g['teacher_loss']} | {g['T'] or '-'} | {len(g['seeds'])} | {cells(g['acc_mean'], g['acc_sd'])} | {cells(g['ece_mean'], g['ece_sd'])} |")
    write_record(a.out, 'calibration_transfer_cpu', sorted({r['results'] for r in runs}), merged_from=dict(command=old.get('command'), date=old.get('date'), env=old.get('env')) if a.merge else None,
                 groups=groups, runs=runs)
    print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
