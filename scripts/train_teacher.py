"""Calibration Transfer's train_teacher.py on safekd: a one-exit network trained with a calibration loss.

    python -m scripts.train_teacher --dataset cifar100 --model resnet56 --lr 0.1 --epochs 160 --scheduler multistep
        --schedule-steps 80 120 --lr-decay-factor 0.1 --wd 1e-4 --train-batch-size 128 --loss FL+MDCA --gamma 3.0 --beta 1.0
        [every other flag of their utils/argparser.py, with its default] [key.sub=value ...]

Each flag means what it means in Calibration Transfer's code, with its default (the table: nbs/08d_calibration_transfer_cli);
a flag this script does not read is logged as unused. Runs safekd's erm with method_args.loss=<--loss> and writes
<--checkpoint>/<dataset>/<model>/erm-<loss>[-<arg><value>...][-<--exp_name>]/seed_<seed>/, whose folder
scripts.train_student takes as --teacher_path. Dotted safekd overrides after the flags win over them.
"""
import json

from safekd.calibration_transfer_cli import parse_ct_args, train_teacher


def main(argv=None):
    a = parse_ct_args('train_teacher', argv, doc=__doc__)
    try: m = train_teacher(a)
    except (KeyError, ValueError, FileNotFoundError) as e: raise SystemExit(f'error: {e}')
    print(json.dumps({k: m[k] for k in ('dataset', 'model', 'method', 'seed', 'test_acc', 'run_dir')}))


if __name__ == '__main__':
    main()
