"""Validity and power of every multiple-testing procedure of `safekd.conformal` against the oracle, on every simulation scenario.

Runs `safekd.conformal.simulate` for each scenario of `SIM_SCENARIOS` (monotone, bump, shallow valley, a
final exit failing alone, ties, small n, five exits, each risk, two risks with a FLOPs budget) and writes one
JSON file with the command, git commit, device, torch version, the settings and one row per (scenario,
procedure): violation rate, mean population risk, certified share, early-exit share, the oracle's share.

    python bench/conformal_sim.py [--trials 300] [--n 2000] [--scenarios monotone overthinking] [--out FILE]
"""
import argparse, sys, time, warnings
from pathlib import Path

import torch

from safekd.conformal import SIM_PROCEDURES, SIM_SCENARIOS, UncertifiedWarning, simulate, simulation_table
from safekd.core import atomic_write_json, env_info

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--trials', type=int, default=300, help='independent calibration sets per cell')
    p.add_argument('--n', type=int, default=2000, help='calibration samples (unless the scenario sets its own)')
    p.add_argument('--delta', type=float, default=.1)
    p.add_argument('--scenarios', nargs='+', default=list(SIM_SCENARIOS), choices=list(SIM_SCENARIOS))
    p.add_argument('--procedures', nargs='+', default=list(SIM_PROCEDURES), choices=list(SIM_PROCEDURES))
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'conformal_sim.json'))
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads); warnings.simplefilter('ignore', UncertifiedWarning)
    rows, t0 = [], time.perf_counter()
    for s in a.scenarios:
        rows += simulate(s, a.procedures, trials=a.trials, n=a.n, delta=a.delta)
        print(simulation_table([r for r in rows if r['scenario'] == s]).split('\n', 1)[1], flush=True)
    atomic_write_json(Path(a.out), dict(benchmark='conformal_sim', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                        date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(None, ROOT),
                                        settings=dict(trials=a.trials, n=a.n, delta=a.delta, grid=500, pool=100_000),
                                        scenarios={s: SIM_SCENARIOS[s] for s in a.scenarios}, seconds=time.perf_counter() - t0, rows=rows))
    print(simulation_table(rows)); print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
