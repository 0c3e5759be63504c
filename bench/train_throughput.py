"""Training throughput (images/s) of a plain backbone, the same backbone multi-exit (`multiexit`), and `safe_kd`
with its teacher's forward pass included, on data held on the device (Fashion-MNIST by default).

Writes one JSON file with the command, git commit, device, torch version and the figures. Target (issue 3): on an
H100, multi-exit training within 10% of the plain backbone's images/s.

    python bench/train_throughput.py [--dataset fashion_mnist] [--model rn18] [--teacher rn50] [--steps 20]
        [--batch-size 256] [--device cuda] [--amp bf16] [--out FILE]
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


def throughput(net, method, data, teacher, steps, **train):
    "Images/s over `steps` timed training steps, after 3 warm-up steps."
    tr = Trainer(net, method, data, tempfile.mkdtemp(), teacher=teacher, progress='none', **train)
    net.train(); method.train()
    g = torch.Generator().manual_seed(0)
    it = batches(data.train, tr.batch_size, shuffle=True, augment=True, device=tr.device, mean=tr.mean, std=tr.std,
                 generator=g, drop_last=True, with_index=True)
    b = [next(it) for _ in range(min(steps + 3, tr.steps_per_epoch))]
    sync = torch.cuda.synchronize if tr.device.type == 'cuda' else (lambda: None)
    for x, y, i in b[:3]: tr.train_step(x, y, i, 0.5, g)
    sync(); t0 = time.perf_counter()
    for x, y, i in b[3:]: tr.train_step(x, y, i, 0.5, g)
    sync()
    return len(b[3:]) * tr.batch_size / (time.perf_counter() - t0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--dataset', default='fashion_mnist'); p.add_argument('--model', default='rn18')
    p.add_argument('--teacher', default='rn50'); p.add_argument('--steps', type=int, default=20)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--amp', default='bf16'); p.add_argument('--out', default=None)
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    out = Path(a.out or ROOT / 'bench' / 'results' / f'train_throughput_{dev.type}.json')
    data = prepare_data(a.dataset, 0, max_train=a.batch_size * (a.steps + 3))
    info, train = data.info, dict(batch_size=a.batch_size, device=a.device, amp=a.amp, lr=0.01)
    mk = lambda name, k: build_model(name, info.num_classes, in_chans=info.in_chans, input_size=info.input_size, num_exits=k)
    rows = {}
    torch.manual_seed(0); rows['plain'] = throughput(mk(a.model, 1), build_method('erm', 1), data, None, a.steps, **train)
    torch.manual_seed(0); rows['multiexit'] = throughput(mk(a.model, 3), build_method('multiexit', 3), data, None, a.steps, **train)
    torch.manual_seed(0); rows['safe_kd'] = throughput(mk(a.model, 3), build_method('safe_kd', 3), data,
                                                       FrozenTeacher(mk(a.teacher, 3)), a.steps, **train)
    rel = rows['multiexit'] / rows['plain']
    for k, v in rows.items(): print(f'{k:>10}: {v:8.1f} images/s')
    print(f'multi-exit / plain: {rel:.3f}')
    atomic_write_json(out, dict(benchmark='train_throughput', command=' '.join([Path(sys.executable).name, *sys.argv]),
                                date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), env=env_info(dev, ROOT),
                                settings=dict(vars(a)), images_per_s=rows, multiexit_over_plain=rel))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
