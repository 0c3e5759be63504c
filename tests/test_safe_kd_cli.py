"SAFE-KD's own command lines and config files, run against safekd's scripts in fresh processes (no training: dry runs and errors)."
import pytest
import yaml

from conftest import run_py

SAFE_KD_RUN_FLAGS = ['--weight-decay', '--warmup-epochs', '--grad-accum-steps', '--num-workers', '--alpha', '--beta', '--temperature',
                     '--exit-weights', '--conf-head', '--amp', '--no-amp', '--pretrained', '--no-pretrained', '--deterministic',
                     '--no-deterministic', '--no-progress']


@pytest.mark.parametrize('script', ['scripts.run', 'scripts.sweep', 'scripts.run_all'])
def test_every_safe_kd_flag_is_accepted(script):
    r = run_py('-m', script, '--help')
    assert r.returncode == 0, r.stderr
    missing = [f for f in SAFE_KD_RUN_FLAGS + ['--config', '--gpus', '--epochs', '--lr'] if f not in r.stdout]
    assert not missing, missing


def test_run_all_takes_the_axes_as_run_by_dataset_sh_passes_them(tmp_path):
    r = run_py('-m', 'scripts.run_all', '--datasets', 'toy2d', '--models', 'mlp', '--methods', 'erm', 'multiexit', 'safe_kd',
               '--seeds', '0', '--gpus', '0', '--no-deterministic', '--epochs', '2', '--dry-run', '--output-dir', str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == '3 runs (+0 teacher runs)'
    r = run_py('-m', 'scripts.run_all', '--datasets', 'toy2d', '--dry-run')
    assert r.returncode != 0 and 'missing: --models, --methods, --seeds' in r.stderr


def test_sweep_passes_safe_kd_flags_and_config_to_every_run(tmp_path):
    cfg = tmp_path / 'safe_kd.yaml'
    cfg.write_text(yaml.safe_dump({'method': {'name': 'safe_kd', 'alpha': 2.0, 'beta': 0.5}}))
    sw = tmp_path / 'toy.yaml'
    sw.write_text(yaml.safe_dump({'sweep': {'datasets': ['toy2d'], 'models': ['mlp'], 'methods': ['safe_kd'], 'seeds': [0, 1]}}))
    r = run_py('-m', 'scripts.sweep', '--sweep', str(sw), '--config', str(cfg), '--temperature', '3', '--exit-weights', '1,1,2',
               '--no-amp', '--lr', '0.01', '--dry-run', '--output-dir', str(tmp_path / 'out'))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == '2 runs (+0 teacher runs)'


def test_a_method_block_is_merged_and_checked(tmp_path):
    "A method block in a config file is never dropped: its keys apply to the run's method, an unknown key is an error naming it."
    bad = tmp_path / 'bad.yaml'
    bad.write_text(yaml.safe_dump({'method': {'name': 'safe_kd', 'alpha': 5.0, 'beta': 9.0, 'not_a_key': 1}}))
    r = run_py('-m', 'scripts.run', '--dataset', 'toy2d', '--model', 'mlp', '--method', 'safe_kd', '--config', str(bad),
               '--output-dir', str(tmp_path))
    assert r.returncode != 0 and 'not_a_key' in r.stderr, r.stderr
    code = ("from safekd.config import resolve_config as r\n"
            f"c = r('toy2d', 'mlp', 'safe_kd', config={str(tmp_path / 'good.yaml')!r})\n"
            "print(c['method_args']['alpha'], c['method_args']['beta'])\n"
            f"c = r('toy2d', 'mlp', 'pl', config={str(tmp_path / 'pl.yaml')!r})\n"
            "print(c['method_args']['C'], c['model_args']['num_exits'])")
    (tmp_path / 'good.yaml').write_text(yaml.safe_dump({'method': {'name': 'safe_kd', 'alpha': 5.0, 'beta': 9.0}}))
    (tmp_path / 'pl.yaml').write_text(yaml.safe_dump({'method': {'name': 'pl', 'C': 0.3}, 'model': {'name': 'mlp', 'num_exits': 4}}))
    r = run_py('-c', code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['5.0', '9.0', '0.3', '4']


@pytest.mark.parametrize('args, msg', [
    (['--gpus', '0,1'], 'scripts.run_all --gpus 0,1'),
    (['--conf-head', 'attention'], "valid: maxprob, mlp"),
    (['--exit-weights', '0.3;0.7'], 'comma-separated numbers'),
])
def test_safe_kd_flags_safekd_cannot_honour_are_clear_errors(tmp_path, args, msg):
    r = run_py('-m', 'scripts.run', '--dataset', 'toy2d', '--model', 'mlp', '--method', 'safe_kd', '--output-dir', str(tmp_path), *args)
    assert r.returncode != 0 and msg in r.stderr, r.stderr


def test_a_safe_kd_file_trains_as_safe_kd_does_and_fast_sets_only_the_epochs(tmp_path):
    "A SAFE-KD base.yaml-like file: AdamW, cosine stepped per epoch; --fast takes its sweep.fast_epochs over its train.epochs, --epochs wins; conf_head mlp is logged."
    f = tmp_path / 'base.yaml'
    f.write_text(yaml.safe_dump({'exp_name': 'default', 'train': {'epochs': 10, 'lr': 3.0e-4, 'warmup_epochs': 1},
                                 'method': {'name': 'safe_kd', 'conf_head': 'mlp'}, 'sweep': {'fast_mode': True, 'fast_epochs': 3}}))
    code = ("from safekd.config import resolve_config as r\n"
            f"c = r('toy2d', 'mlp', config={str(f)!r}, fast=True)\n"
            "t = c['train']; print(t['optimizer'], t['schedule'], t['schedule_unit'], t['epochs'], t['lr'], c['calibration']['score'])\n"
            f"print(r('toy2d', 'mlp', config={str(f)!r}, fast=True, overrides=['train.epochs=5'])['train']['epochs'])\n"
            f"print(r('toy2d', 'mlp', config={str(f)!r})['train']['epochs'], r('toy2d', 'mlp')['train']['schedule_unit'])")
    r = run_py('-c', code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['adamw', 'cosine', 'epoch', '3', '0.0003', 'maxprob', '5', '10', 'step']
    assert 'ConfidenceHead' in r.stderr   # SAFE-KD's mlp heads, never called there: logged, not dropped silently
