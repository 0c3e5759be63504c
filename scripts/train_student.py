"""Calibration Transfer's train_student.py on safekd: vanilla KD from a trained teacher into a one-exit network.

    python -m scripts.train_student --dataset cifar100 --model resnet20 --lr 0.1 --epochs 160 --scheduler multistep
        --schedule-steps 80 120 --wd 1e-4 --train-batch-size 128 --T 20 --Lambda 0.9
        --teacher resnet56 --teacher_path checkpoint/cifar100/resnet56/erm-FL+MDCA-beta1-gamma3/seed_42
        [every other flag of their utils/argparser.py, with its default] [key.sub=value ...]

Each flag means what it means in Calibration Transfer's code, with its default (the table: nbs/08d_calibration_transfer_cli);
a flag this script does not read is logged as unused. Runs safekd's kd with T=<--T>, kd_weight=<--Lambda> and
ce_weight=1-<--Lambda>; --teacher_path is a safekd run folder (scripts.train_teacher's, its checkpoint_best.pt) or a
checkpoint file; --teacher alone trains that teacher first. Writes <--checkpoint>/<dataset>/<model>/kd[-<--exp_name>]/seed_<seed>/.
Dotted safekd overrides after the flags win over them.
"""
import json

from safekd.calibration_transfer_cli import parse_ct_args, train_student


def main(argv=None):
    a = parse_ct_args('train_student', argv, doc=__doc__)
    try: m = train_student(a)
    except (KeyError, ValueError, FileNotFoundError) as e: raise SystemExit(f'error: {e}')
    print(json.dumps({k: m[k] for k in ('dataset', 'model', 'method', 'seed', 'test_acc', 'run_dir')}))


if __name__ == '__main__':
    main()
