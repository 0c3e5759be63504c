"""Train (and evaluate) one safekd run.

    python -m scripts.run --dataset cifar10 --model rn50 --method safe_kd --seed 0 [--fast | --quick] [--gpus 0]
        [--batch-size 128 --eval-batch-size 256 --epochs 50 --lr 1e-4] [--output-dir results] [--config FILE]
        [--teacher rn50 | self | ema | none] [--teacher-ckpt PATH | --teacher_path PATH] [--teacher-loss mdca]
        [--schedule-steps 80 120] [--resume] [--notebook] [--robustness]
        [SAFE-KD's flags: --weight-decay --warmup-epochs --grad-accum-steps --num-workers --alpha --beta --temperature
         --exit-weights --conf-head --amp/--no-amp --pretrained/--no-pretrained --deterministic/--no-deterministic
         --no-progress]
        [key.sub=value ...]

Writes results/<dataset>/<model>/<method>/seed_<seed>/ (see the experiment notebook). --config takes safekd's
config files and SAFE-KD's (configs/base.yaml, configs/methods/safe_kd.yaml, ...), each key with SAFE-KD's meaning
(safekd.safe_kd_config). Later flags and dotted overrides win over the config files.
"""
import argparse, json

from safekd.experiment import experiment
from safekd.safe_kd_config import add_safe_kd_flags, one_gpu, safe_kd_overrides

FLAGS = {  # flag -> dotted config key
    'batch_size': 'train.batch_size', 'eval_batch_size': 'train.eval_batch_size', 'epochs': 'train.epochs',
    'lr': 'train.lr', 'output_dir': 'output_dir', 'teacher': 'teacher.name', 'teacher_ckpt': 'teacher.ckpt',
    'teacher_loss': 'teacher.loss', 'data_dir': 'data.data_dir'}


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m scripts.run', description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('--dataset'); p.add_argument('--model'); p.add_argument('--method')
    p.add_argument('--seed', type=int)
    p.add_argument('--fast', action='store_true', help="SAFE-KD's --fast: train.epochs = fast_epochs (2), nothing else")
    p.add_argument('--quick', action='store_true', help="safekd's preset for a run that finishes in minutes on a CPU (configs/quick.yaml)")
    p.add_argument('--gpus', help='one CUDA device index, e.g. 0 (default: CUDA if present)')
    p.add_argument('--batch-size', type=int); p.add_argument('--eval-batch-size', type=int)
    p.add_argument('--epochs', type=int); p.add_argument('--lr', type=float)
    p.add_argument('--output-dir'); p.add_argument('--data-dir')
    p.add_argument('--config', help="a YAML file of overrides, in safekd's schema or SAFE-KD's")
    p.add_argument('--teacher'); p.add_argument('--teacher-ckpt', '--teacher_path', dest='teacher_ckpt',
                                                help="a teacher checkpoint file or run folder (its checkpoint_best.pt); --teacher_path is Calibration Transfer's name, a folder")
    p.add_argument('--teacher-loss')
    p.add_argument('--schedule-steps', type=int, nargs='+',
                   help="Calibration Transfer's multi-step schedule: the lr falls by train.gamma at these epochs")
    p.add_argument('--resume', action='store_true', help='continue from checkpoint_last.pt')
    p.add_argument('--notebook', action='store_true', help='run through papermill; keep run.ipynb in the run folder')
    p.add_argument('--robustness', action='store_true', help='also evaluate under the 15 corruptions (robustness.json)')
    add_safe_kd_flags(p)
    p.add_argument('overrides', nargs='*', help='dotted config overrides, e.g. train.epochs=3')
    a = p.parse_args(argv)
    ov = [f'{key}={getattr(a, f)}' for f, key in FLAGS.items() if getattr(a, f) is not None]
    ov += (['resume=true'] if a.resume else []) + (['robustness.enable=true'] if a.robustness else [])
    ov += ['train.schedule=multistep', f'train.milestones={a.schedule_steps}'] if a.schedule_steps else []
    try:
        ov += one_gpu(a.gpus) + safe_kd_overrides(vars(a))
        m = experiment(a.dataset, a.model, a.method, seed=a.seed, quick=a.quick, fast=a.fast, config=a.config,
                       overrides=ov + a.overrides, notebook=a.notebook, show=True)
    except (KeyError, ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    print(json.dumps({k: m[k] for k in ('dataset', 'model', 'method', 'seed', 'test_acc', 'run_dir')}))


if __name__ == '__main__':
    main()
