"""The CPU reproduction (issue 10), packaged as evidence: `python -m scripts.reproduce --sweep configs/sweeps/cpu.yaml
--jobs 2` on the project's 2-core CPU, then its tables, figures, summaries, sweep status and compiled paper copied
to `bench/results/reproduce_cpu/` (no checkpoints; each run's config, env, metrics, exit stats and reliability under runs/), with one JSON file
(reproduce_cpu.json) holding the command, the git commit and device the runs recorded, the torch version, the time
of each stage, the run counts, and the headline figures of the main table.

    python bench/reproduce_cpu.py [--skip-run] [--sweep configs/sweeps/cpu.yaml] [--results results] [--paper paper]
        [--out bench/results/reproduce_cpu]

--skip-run packages a reproduction that already ran (the command above, run by hand into --results and --paper).
"""
import argparse, json, shutil, subprocess, sys, time
from pathlib import Path

import pandas as pd
import torch

from safekd.core import atomic_write_json, env_info

ROOT = Path(__file__).resolve().parents[1]
SWEEP = 'configs/sweeps/cpu.yaml'
RUN_FILES = ('config.yaml', 'env.json', 'metrics.json', 'exit_stats.json', 'reliability.json', 'metrics_per_epoch.jsonl')  # robustness.json: in tables/cifar10c_robustness.csv


def copy_evidence(results: Path, paper: Path, out: Path) -> list:
    "Tables, figures, summaries, status files, the paper PDF and every run's small files; returns the run folders."
    for sub in ('tables', 'figures'):
        shutil.copytree(results / sub, out / sub, dirs_exist_ok=True)
    for f in ('summary.csv', 'summary.json', 'summary_aggregated.csv', 'sweep_status.json', 'reproduce.json'):
        shutil.copy(results / f, out / f)
    shutil.copy(paper / 'main.pdf', out / 'main.pdf')
    runs = sorted(p.parent for p in results.rglob('metrics.json'))
    for d in runs:
        dst = out / 'runs' / d.relative_to(results)
        dst.mkdir(parents=True, exist_ok=True)
        for f in RUN_FILES:
            if (d / f).exists(): shutil.copy(d / f, dst / f)
    return runs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--skip-run', action='store_true', help='package a reproduction that already ran')
    p.add_argument('--results', default='results'); p.add_argument('--paper', default='paper')
    p.add_argument('--out', default='bench/results/reproduce_cpu')
    p.add_argument('--sweep', default=SWEEP, help=f'the sweep file (default {SWEEP})')
    a = p.parse_args(argv)
    cmd = ['-m', 'scripts.reproduce', '--sweep', a.sweep, '--jobs', '2', '--output-dir', a.results, '--paper-dir', a.paper]
    results, paper, out = ROOT / a.results, ROOT / a.paper, ROOT / a.out
    wall = None
    if not a.skip_run:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, *cmd], cwd=ROOT)
        wall = time.perf_counter() - t0
        if r.returncode not in (0, 1): raise SystemExit(f'the reproduction failed (exit {r.returncode})')
    out.mkdir(parents=True, exist_ok=True)
    runs = copy_evidence(results, paper, out)
    rep = json.loads((results / 'reproduce.json').read_text())
    envs = [json.loads((d / 'env.json').read_text()) for d in runs]
    main_t = pd.read_csv(results / 'tables' / 'main_key_subset.csv')
    atomic_write_json(out / 'reproduce_cpu.json', dict(
        command=['python', *cmd], packaged_by=['python', 'bench/reproduce_cpu.py', *(argv or sys.argv[1:])],
        git_commits_of_runs=sorted({json.dumps(e.get('git')) for e in envs}), devices_of_runs=sorted({str(e.get('device')) for e in envs}),
        torch=torch.__version__, packaging_env=env_info(), wall_seconds=wall, stages_seconds=rep['stages_seconds'],
        counts=rep['counts'], runs=len(runs), main_table=main_t.round(4).to_dict(orient='records')))
    print(f"{len(runs)} runs packaged into {out}")


if __name__ == '__main__':
    main()
