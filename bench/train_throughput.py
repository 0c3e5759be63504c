"""Training throughput (images/s) of a plain backbone, the same backbone multi-exit (`multiexit`), and `safe_kd`
with its teacher's forward pass included, on data held on the device (Fashion-MNIST by default), for each of
several models. Steps run through `safekd.training.Trainer.train_step`, the trainer's own step (channels_last,
AMP on CUDA, gradient clipping), so the figures are what a run gets.

Writes one JSON file with the command, git commit, device, torch version and the figures: per model the images/s
of each setup, multi-exit over plain (target, issue 9: within 10%, i.e. >= 0.9), and the teacher's share of a
`safe_kd` step (the teacher's forward time over the whole step's time, measured on its own).

    python bench/train_throughput.py [--models resnet8 resnet20 resnet56] [--teacher resnet56] [--steps 20]
        [--batch-size 128] [--device cuda] [--amp bf16] [--dataset fashion_mnist] [--out FILE]
"""
import argparse, sys, tempfile, time
from pathlib import Path

import torch

from safekd.core import atomic_write_json, env_info
from safekd.data import batches
from safekd.experiment import prepare_data
from safekd.training import FrozenTeacher, Trainer, build_method
from safekd.wrapper import build_model

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, items, sync):
    "Seconds to call fn on every item, after 3 untimed warm-up items."
    for it in items[:3]: fn(*it)
    sync(); t0 = time.perf_counter()
    for it in items[3:]: fn(*it)
    sync()
    return time.perf_counter() - t0


def throughput(net, method, data, teacher, steps, **train):
    "Images/s of the trainer's step, and the teacher forward's share of that time (None without a teacher)."
    tr = Trainer(net, method, data, tempfile.mkdtemp(), teacher=teacher, progress='none', **train)
    net.train(); method.train()
    g = torch.Generator().manual_seed(0)
    it = batches(data.train, tr.batch_size, shuffle=True, augment=True, device=tr.device, mean=tr.mean, std=tr.std,
                 generator=g, drop_last=True, with_index=True)
    b = [next(it) for _ in range(min(steps + 3, tr.steps_per_epoch))]
    sync = torch.cuda.synchronize if tr.device.type == 'cuda' else (lambda: None)
    sec = timed(lambda x, y, i: tr.train_step(x, y, i, 0.5, g), b, sync)
    share = None
    if teacher is not None:
        with torch.no_grad(), tr.autocast(): t_sec = timed(lambda x, y, i: tr.teacher(x, None, False), b, sync)
        share = t_sec / sec
    return len(b[3:]) * tr.batch_size / sec, share


def bench_model(name, teacher, data, steps, train):
    "Plain, multiexit and safe_kd throughput of one model."
    info = data.info
    mk = lambda n, k: build_model(n, info.num_classes, in_chans=info.in_chans, input_size=info.input_size, num_exits=k)
    torch.manual_seed(0); plain, _ = throughput(mk(name, 1), build_method('erm', 1), data, None, steps, **train)
    torch.manual_seed(0); multi, _ = throughput(mk(name, 3), build_method('multiexit', 3), data, None, steps, **train)
    torch.manual_seed(0); kd, share = throughput(mk(name, 3), build_method('safe_kd', 3), data, FrozenTeacher(mk(teacher, 3)), steps, **train)
    return dict(model=name, teacher=teacher, images_per_s=dict(plain=plain, multiexit=multi, safe_kd=kd),
                multiexit_over_plain=multi / plain, safe_kd_over_plain=kd / plain, teacher_share_of_safe_kd_step=share)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--dataset', default='fashion_mnist')
    p.add_argument('--models', nargs='+', default=['resnet8', 'resnet20', 'resnet56'])
    p.add_argument('--teacher', default='resnet56', help="the safe_kd students' teacher (a model key)")
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--amp', default='bf16'); p.add_argument('--out', default=None)
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    out = Path(a.out or ROOT / 'bench' / 'results' / f'train_throughput_{dev.type}.json')
    data = prepare_data(a.dataset, 0, max_train=a.batch_size * (a.steps + 3))
    train = dict(batch_size=a.batch_size, device=a.device, amp=a.amp, lr=0.01)
    rows = []
    for name in a.models:
        r = bench_model(name, a.teacher, data, a.steps, train); rows.append(r)
        ips = r['images_per_s']
        print(f"{name:>10}: plain {ips['plain']:8.1f} | multiexit {ips['multiexit']:8.1f} ({r['multiexit_over_plain']:.3f} of plain) | "
              f"safe_kd ({a.teacher} teacher) {ips['safe_kd']:8.1f} images/s, teacher share {r['teacher_share_of_safe_kd_step']:.2f}", flush=True)
    atomic_write_json(out, dict(benchmark='train_throughput', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(dev, ROOT),
                                settings=dict(vars(a)), results=rows))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
