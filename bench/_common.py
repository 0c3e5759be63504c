"""What the sweep benchmarks share: the --results/--out command line, mean and sd over seeds, the table cells, and the
JSON record (benchmark, command, date, environment, the results folder, then the figures)."""
import argparse, sys, time
from pathlib import Path

import numpy as np

from safekd.core import atomic_write, atomic_write_json, env_info

ROOT = Path(__file__).resolve().parents[1]


def parser(doc: str, name: str) -> argparse.ArgumentParser:
    "--results (the sweep output folder) and --out (default bench/results/<name>.json)."
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument('--results', required=True, help='the sweep output folder')
    p.add_argument('--out', default=str(ROOT / 'bench' / 'results' / f'{name}.json'))
    return p


def seed_stats(rs: list, key: str) -> tuple:
    "Mean and sample sd (None for one seed) over the runs `rs` of each run's list `key`, per position."
    v = np.array([r[key] for r in rs], dtype=float)
    return v.mean(0).tolist(), (v.std(0, ddof=1).tolist() if len(rs) > 1 else None)


def cells(mean: list, sd, digits: int = 3) -> str:
    "'m0±s0 / m1±s1 / ...' (no ± for one seed)."
    return ' / '.join(f"{x:.{digits}f}" + (f"±{y:.{digits}f}" if sd else '') for x, y in zip(mean, sd or [0] * len(mean)))


def save_png(fig, out: Path, dpi: int = 120):
    "Write the figure atomically as PNG."
    atomic_write(out, lambda f: fig.savefig(f, format='png', dpi=dpi))


def write_record(out, benchmark: str, results, **figures) -> dict:
    "The benchmark's JSON: what ran it (command, date, environment, results folder) and then `figures`."
    rec = dict(benchmark=benchmark, command=' '.join([Path(sys.executable).name, *sys.argv]),
               date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(None, ROOT), results=results, **figures)
    atomic_write_json(Path(out), rec)
    return rec
