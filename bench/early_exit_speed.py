"""Realised wall-clock speedup of real early exit (`MultiExitNet.early_exit`) against the FLOPs-ideal speedup.

Two modes, each writing one JSON file with the command, git commit, device, torch version and every figure.

* Untrained nets (default): for each model and batch size it times the plain backbone (segments + final
  classifier, no early heads), the full multi-exit forward, and `early_exit` with every sample leaving at the
  first exit ("all_at_exit0") and with no sample leaving early ("none_early"). Targets (issue 2): all_at_exit0
  close to the FLOPs ratio; none_early costs little more than the plain backbone.
* Calibrated thresholds (`--run RUN_DIR`): the trained run's best checkpoint on its own test images, with every
  certified threshold vector of its `risk_calibration.json`, at each batch size (images processed in batches of
  that size, at least `--samples` of them). The JSON also keeps the run's own test figures per setting (exit
  shares, accuracy, test risk, FLOPs speedup) from its `exit_stats.json`. Targets (issue 4): speedup >= 0.9 of the FLOPs-ideal speedup at
  batch >= 256 on a GPU, >= 0.8 at batch 1 on a CPU.

    python bench/early_exit_speed.py [--models rn18 vit_t] [--batches 1 256] [--device cpu] [--out FILE]
    python bench/early_exit_speed.py --run results/fashion_mnist/rn18/safe_kd/seed_0 [--batches 1 256] [--samples 512]
"""
import argparse, json, sys, time
from pathlib import Path

import torch
import yaml

from safekd.core import atomic_write_json, env_info, from_jsonable
from safekd.experiment import prepare_data
from safekd.reports import RunEval, wallclock
from safekd.training import load_model
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
    p.add_argument('--out', default=None, help='default: bench/results/early_exit_speed[_calibrated]_<device type>.json')
    p.add_argument('--run', default=None, help='a finished run folder: time its calibrated thresholds on its test images')
    p.add_argument('--samples', type=int, default=512, help='--run: images per timing pass (at least one batch)')
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    if a.run: return calibrated(a, dev)
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


TARGETS = dict(cpu=dict(min_batch=1, max_batch=1, ratio=0.8), cuda=dict(min_batch=256, max_batch=10**9, ratio=0.9))


def calibrated(a, dev):
    "Time a trained run's certified thresholds (every distinct vector in its risk_calibration.json) on its test images."
    run = Path(a.run)
    cfg = yaml.safe_load((run / 'config.yaml').read_text())
    data = prepare_data(cfg['dataset'], cfg['seed'], **cfg['data'])
    net = load_model(run / 'checkpoint_best.pt', dev).eval()
    rc = from_jsonable(json.loads((run / 'risk_calibration.json').read_text()))   # 'inf' strings back to floats
    certified = {json.dumps(c['thresholds']): c['thresholds'] for c in rc['settings']['raw'] if c['certified']}
    if not certified: raise SystemExit(f'error: no certified setting in {run / "risk_calibration.json"}')
    ev = RunEval(net, data, dev, max(a.batches), logits={})
    w = wallclock(ev, data.test, certified, batch_sizes=a.batches, samples=a.samples, reps=a.reps, score=rc['score'])
    tgt, rows = TARGETS[dev.type], []
    for b, r in w.items():
        for key, v in r['settings'].items():
            applies = tgt['min_batch'] <= int(b) <= tgt['max_batch']
            rows.append(dict(batch=int(b), n=r['n'], thresholds=v['thresholds'], exit_share=v['exit_share'], speedup=v['speedup'],
                             flops_speedup=v['flops_speedup'], speedup_vs_ideal=v['speedup_vs_ideal'],
                             target=tgt['ratio'] if applies else None, meets_target=v['speedup_vs_ideal'] >= tgt['ratio'] if applies else None))
            print(f"batch {b}: exit shares {[round(s, 3) for s in v['exit_share']]} | {v['speedup']:.2f}x measured, "
                  f"{v['flops_speedup']:.2f}x FLOPs ideal, ratio {v['speedup_vs_ideal']:.2f}"
                  + (f" (target >= {tgt['ratio']}: {'met' if rows[-1]['meets_target'] else 'MISSED'})" if applies else ''), flush=True)
    keep = ('epsilon', 'delta', 'certified', 'thresholds', 'exit_shares', 'accuracy', 'test_risk', 'within_epsilon', 'flops_speedup')
    settings = [{k: r[k] for k in keep} for r in json.loads((run / 'exit_stats.json').read_text())['calibration']['settings'] if r['variant'] == 'raw']
    out = Path(a.out or ROOT / 'bench' / 'results' / f'early_exit_speed_calibrated_{dev.type}.json')
    atomic_write_json(out, dict(benchmark='early_exit_speed_calibrated', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(dev, ROOT), run=str(run), dataset=cfg['dataset'],
                                model=cfg['model'], method=cfg['method'], risk=rc['risk'], calibration_method=rc['method'],
                                run_settings=settings, targets=tgt, timing={b: dict(plain_s=r['plain_s'], n=r['n'], reps=r['reps']) for b, r in w.items()}, results=rows))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
