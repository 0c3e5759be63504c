"""Wrap a backbone with exits, run it on real test images and report exits, FLOPs and early-exit timings.

    python -m scripts.demo [--dataset fashion_mnist] [--model rn18] [-n 256] [--data-dir DIR] [--json FILE]
"""
import argparse

from safekd.wrapper import demo


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m scripts.demo', description=__doc__.splitlines()[0])
    p.add_argument('--dataset', default='fashion_mnist', help='dataset key (see safekd.data.list_datasets())')
    p.add_argument('--model', default='rn18', help='model key (see safekd.wrapper.list_models())')
    p.add_argument('-n', type=int, default=256, help='number of test images in the batch')
    p.add_argument('--data-dir', default=None, help='data folder searched first (default: ./data)')
    p.add_argument('--reps', type=int, default=3, help='timed repetitions per measurement')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', default=None, help='also write the full report to this JSON file')
    a = p.parse_args(argv)
    try: return demo(a.dataset, a.model, a.n, a.data_dir, reps=a.reps, seed=a.seed, json_path=a.json, show=True)
    except (KeyError, ValueError, FileNotFoundError) as e: raise SystemExit(f'error: {e}')


if __name__ == '__main__':
    main()
