"""Calibration Transfer's own command lines (scripts.train_teacher, scripts.train_student) in fresh processes: every flag of
their utils/argparser.py is accepted, a tiny Fashion-MNIST teacher then a student distilled from its run folder, and clear errors."""
import json, os, subprocess, sys

import pytest
import yaml

from conftest import ROOT, run_py
from safekd.data import DATASETS, search_paths

THEIR_FLAGS = ['--current_time', '--dataset', '--workers', '--seed', '--T', '--Lambda', '--epochs', '--start-epoch', '--exp_name',
               '--teacher', '--teacher_path', '--train-batch-size', '--test-batch-size', '--lr', '--alpha', '--beta', '--gamma',
               '--scheduler', '--schedule-steps', '--lr-decay-factor', '--warmup', '--momentum', '--weight-decay', '--wd',
               '--checkpoint', '--loss', '--model', '--optimizer', '--prefix', '--regularizer', '--patience', '--chain_length']  # utils/argparser.py

TINY = ['data.max_train=128', 'data.max_eval=64', 'train.progress=none']   # seconds on a CPU


def fashion_mnist_here() -> bool:
    "Fashion-MNIST's files in a folder safekd searches (it finds them under /usr/share/datasets/fashion-mnist)."
    present = DATASETS['fashion_mnist'].registry_meta['layout'].present
    return any(present(p) for p in search_paths('fashion_mnist'))


def test_help_of_both_scripts_lists_every_flag_of_their_parser():
    e = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    ps = [subprocess.Popen([sys.executable, '-m', f'scripts.{s}', '--help'], cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for s in ('train_teacher', 'train_student')]   # both at once: each start imports torch
    for p in ps:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert not [f for f in THEIR_FLAGS if f not in out], out
        assert 'overrides' in out and '[default: 42]' in out


@pytest.mark.skipif(not fashion_mnist_here(), reason='no local Fashion-MNIST')
def test_teacher_then_student_from_its_run_folder(tmp_path):
    ck, data = tmp_path / 'checkpoint', f'data.data_dir={tmp_path / "data"}'
    r = run_py('-m', 'scripts.train_teacher', '--dataset', 'fashion_mnist', '--model', 'resnet8', '--lr', '0.05', '--epochs', '2',
               '--scheduler', 'multistep', '--schedule-steps', '1', '--lr-decay-factor', '0.5', '--wd', '1e-4', '--train-batch-size', '32',
               '--loss', 'FL+MDCA', '--gamma', '3.0', '--beta', '1.0', '--alpha', '0.1', '--workers', '8', '--checkpoint', str(ck), data, *TINY)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout.strip().splitlines()[-1])
    teacher = ck / 'fashion_mnist' / 'resnet8' / 'erm-FL+MDCA-beta1-gamma3' / 'seed_42'
    assert (m['method'], m['seed'], m['run_dir']) == ('erm', 42, str(teacher))
    assert "--alpha 0.1 is unused: their FL+MDCA loss does not take it" in r.stderr and '--workers 8 is unused' in r.stderr
    cfg = yaml.safe_load((teacher / 'config.yaml').read_text())
    t = cfg['train']
    assert (t['optimizer'], t['momentum'], t['weight_decay'], t['lr'], t['batch_size'], t['eval_batch_size']) == ('sgd', 0.9, 1e-4, 0.05, 32, 100)
    assert (t['schedule'], t['milestones'], t['gamma'], t['warmup_epochs'], t['grad_clip'], t['label_smoothing']) == ('multistep', [1], 0.5, 0, None, 0.0)
    assert cfg['method_args'] == {'loss': 'FL+MDCA', 'loss_args': {'gamma': 3.0, 'beta': 1.0}} and cfg['model_args']['num_exits'] == 1
    rec = json.loads((teacher / 'calibration_transfer_flags.json').read_text())
    assert set(rec['unused']) == {'--alpha', '--workers'} and rec['flags']['loss'] == 'FL+MDCA'
    # one exit, no calibration split (their 90/10 train/val): calibration on by default, skipped and said why; every other artifact written
    assert cfg['data']['cal_frac'] == 0 and cfg['calibration']['enable'] is True and 'calibration.enable=false' not in rec['overrides']
    assert 'calibration skipped: the net has one exit, so there are no exit thresholds to certify' in r.stderr
    assert sorted(p.name for p in teacher.iterdir()) == ['calibration_transfer_flags.json', 'checkpoint_best.pt', 'checkpoint_last.pt', 'config.yaml',
                                                         'env.json', 'exit_stats.json', 'metrics.json', 'metrics_per_epoch.jsonl', 'reliability.json', 'test_exits.npz']
    st, rel = json.loads((teacher / 'exit_stats.json').read_text()), json.loads((teacher / 'reliability.json').read_text())
    assert (st['calibration'], st['safe'], m['test_acc'] == st['test_acc'], list(rel)) == (None, {}, True, ['meta', 'raw', 'exit1'])
    assert json.loads((teacher / 'metrics.json').read_text())['calibration'] == []

    r = run_py('-m', 'scripts.train_student', '--dataset', 'fashion_mnist', '--model', 'resnet8', '--epochs', '1', '--train-batch-size', '32',
               '--T', '4', '--Lambda', '0.7', '--teacher', 'resnet8', '--teacher_path', str(teacher), '--loss', 'LS',
               '--checkpoint', str(ck), '--exp_name', 'from_fl_mdca', data, *TINY)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout.strip().splitlines()[-1])
    assert (m['method'], m['run_dir']) == ('kd', str(ck / 'fashion_mnist' / 'resnet8' / 'kd-from_fl_mdca' / 'seed_42'))
    assert "--loss 'LS' is unused: train_student.py never reads it" in r.stderr
    cfg = yaml.safe_load((ck / 'fashion_mnist' / 'resnet8' / 'kd-from_fl_mdca' / 'seed_42' / 'config.yaml').read_text())
    assert cfg['method_args'] == {'T': 4.0, 'kd_weight': 0.7, 'ce_weight': 1 - 0.7}
    assert (cfg['teacher']['name'], cfg['teacher']['ckpt']) == ('resnet8', str(teacher / 'checkpoint_best.pt'))
    assert cfg['train']['schedule'] == 'multistep' and cfg['train']['milestones'] == [] and cfg['model_args']['num_exits'] == 1


def test_explicit_calibration_of_one_exit_and_an_empty_cal_split_fail_before_training(tmp_path):
    "calibration.enable=true on their one-exit net, and three exits with their empty calibration split: clear errors, nothing trained."
    ck, data = tmp_path / 'checkpoint', f'data.data_dir={tmp_path / "data"}'
    code = ("import sys\nfrom scripts.train_teacher import main\n"
            "try: main(sys.argv[1:]); print('NO ERROR')\nexcept SystemExit as e: print(str(e).replace('\\n', ' '))\n")
    for extra, want in ((['calibration.enable=true'], 'error: calibration.enable=true, but the net has 1 exit (model_args.num_exits=1)'),
                        (['model_args.num_exits=3'], 'error: calibration.enable=true calibrates on the cal split, which is empty (data.cal_frac=0,')):
        r = run_py('-c', code, '--dataset', 'toy2d', '--model', 'mlp', '--epochs', '1', '--checkpoint', str(ck), data, 'train.progress=none', *extra)
        assert r.returncode == 0 and want in r.stdout, (r.stdout, r.stderr)
    assert not list(ck.rglob('checkpoint_*.pt'))


ERRORS = [  # (script, command line, what the error must say)
    ('train_teacher', ['--dataset', 'svhn'], "unknown dataset (--dataset) 'svhn'; valid: toy2d, fashion_mnist, cifar10, cifar100"),
    ('train_teacher', ['--dataset', 'tiny_imagenet', '--model', 'resnet110'], "unknown dataset (--dataset) 'tiny_imagenet'; valid:"),
    ('train_teacher', ['--dataset', 'cifar100', '--model', 'shufflenetv2'], "unknown model (--model) 'shufflenetv2'; valid: rn18"),
    ('train_teacher', ['--loss', 'FLSD'], "unknown loss (--loss) 'FLSD'; valid:"),
    ('train_teacher', ['--scheduler', 'warmupcosine', '--warmup', '1000'], 'Use --warmup 0'),
    ('train_teacher', ['--scheduler', 'step'], "unknown scheduler (--scheduler) 'step'; valid: multistep, cosine, warmupcosine"),
    ('train_teacher', ['--start-epoch', '5'], 'pass --epochs 195, or the override resume=true'),
    ('train_student', ['--dataset', 'cifar100', '--model', 'resnet20'], 'train_student needs a teacher: --teacher_path'),
    ('train_student', ['--teacher_path', '/nonexistent/run'], "looked for /nonexistent/run; give a safekd run folder (holding checkpoint_best.pt"),
]


def test_clear_errors():
    "Each bad command line exits with an error naming the bad value and what to use (one fresh process for all)."
    code = ("import importlib, json, sys\ncases = json.loads(sys.argv[1])\n"
            "for script, argv, _ in cases:\n"
            "    try: importlib.import_module(f'scripts.{script}').main(argv); print('NO ERROR')\n"
            "    except SystemExit as e: print(str(e).replace('\\n', ' '))\n")
    r = run_py('-c', code, json.dumps(ERRORS))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == len(ERRORS), r.stdout
    for (script, argv, want), got in zip(ERRORS, lines):
        assert got.startswith('error: ') and want in got, (script, argv, got)
