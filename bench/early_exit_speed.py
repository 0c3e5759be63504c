"""Realised wall-clock speedup of real early exit (`MultiExitNet.early_exit`) against the FLOPs-ideal speedup.

For each model and batch size it times the plain backbone (segments + final classifier, no early heads), the
full multi-exit forward, and `early_exit` with every sample leaving at the first exit ("all_at_exit0") and
with no sample leaving early ("none_early"), and writes one JSON file with the command, git commit, device,
torch version and every figure. Targets (issue 2): all_at_exit0 close to the FLOPs ratio; none_early costs
little more than the plain backbone.

    python bench/early_exit_speed.py [--models rn18 vit_t] [--batches 1 256] [--device cpu] [--out FILE]
"""
import argparse, sys, time
from pathlib import Path

import torch

from safekd.core import atomic_write_json, env_info
from safekd.wrapper import build_model, early_exit_timing

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['rn18', 'vit_t'])
    p.add_argument('--batches', nargs='+', type=int, default=[1, 256])
    p.add_argument('--input', nargs=3, type=int, default=[3, 32, 32], metavar=('C', 'H', 'W'))
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--reps', type=int, default=10)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--out', default=None, help='default: bench/results/early_exit_speed_<device type>.json')
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    out = Path(a.out or ROOT / 'bench' / 'results' / f'early_exit_speed_{dev.type}.json')
    c, h, w = a.input
    rows = []
    for name in a.models:
        torch.manual_seed(0)
        net = build_model(name, a.num_classes, in_chans=c, input_size=h).to(dev).eval()
        inf = [float('inf')] * (net.num_exits - 1)
        for b in a.batches:
            x = torch.randn(b, c, h, w, device=dev)
            r = early_exit_timing(net, x, dict(all_at_exit0=[0.0] * len(inf), none_early=inf), reps=a.reps)
            s0, sn = r['settings']['all_at_exit0'], r['settings']['none_early']
            r.update(model=name, none_early_overhead=sn['seconds'] / r['plain_s'] - 1)
            rows.append(r)
            print(f"{name} batch {b}: plain {r['plain_s'] * 1e3:.2f} ms | all at exit 0: {s0['speedup']:.2f}x "
                  f"(FLOPs ideal {s0['flops_speedup']:.2f}x, ratio {s0['speedup_vs_ideal']:.2f}) | "
                  f"none early: {r['none_early_overhead']:+.1%} vs plain", flush=True)
    atomic_write_json(out, dict(benchmark='early_exit_speed', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(dev, ROOT), results=rows))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
