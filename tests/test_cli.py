"CLI and fresh-process behaviour: what does not fit beside the code in the notebooks."
import json


def test_library_imports_in_a_fresh_process(py):
    r = py('-c', 'import safekd.core, safekd.data, safekd.backbones, safekd.wrapper as w; print(len(w.list_models()))')
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) >= 13


def test_check_contract_runs_from_the_library(py):
    "The contract check is exported: it must run from a fresh process, with only the library's own imports."
    r = py('-c', "from safekd.wrapper import check_contract as c; print([len(c(n, ch, s)) for n, ch, s in "
                 "[('resnet8', 1, 28), ('wrn_16_1', 3, 32), ('vgg8', 1, 28), ('msdnet', 3, 32), ('mlp', 2, 1), ('msdnet_pl', 3, 32)]])")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[3, 3, 3, 3, 3, 3]'


def test_demo_help(py):
    r = py('-m', 'scripts.demo', '--help')
    assert r.returncode == 0 and '--dataset' in r.stdout


def test_demo_runs_on_real_fashion_mnist(py, tmp_path):
    out = tmp_path / 'demo.json'
    r = py('-m', 'scripts.demo', '--model', 'mnv3s', '-n', '64', '--reps', '1', '--data-dir', str(tmp_path),
           '--json', str(out))
    assert r.returncode == 0, r.stderr
    assert 'early_exit equals the simulated policy: True' in r.stdout
    rep = json.loads(out.read_text())
    assert rep['dataset'] == 'fashion_mnist' and rep['batch'] == 64 and rep['input_shape'] == [1, 28, 28]
    assert rep['settings']['all_at_exit0']['exit_share'][0] == 1.0
    assert rep['env']['torch']


def test_demo_unknown_model_is_a_clear_error(py):
    r = py('-m', 'scripts.demo', '--model', 'resnet9000')
    assert r.returncode != 0
    assert "unknown model 'resnet9000'" in r.stderr and 'rn18' in r.stderr


def test_missing_dataset_is_a_clear_error(py, tmp_path):
    empty = tmp_path / 'empty'; empty.mkdir()
    code = ('from safekd.data import load_data\n'
            f'load_data("stl10", {str(empty)!r}, download=False)')
    r = py('-c', code, env={'SAFEKD_DATA': str(empty), 'HOME': str(empty)}, cwd=tmp_path)
    assert r.returncode != 0
    assert 'FileNotFoundError' in r.stderr and 'stl10' in r.stderr and str(empty) in r.stderr


def test_early_exit_benchmark_writes_its_record(py, tmp_path):
    out = tmp_path / 'b.json'
    r = py('bench/early_exit_speed.py', '--models', 'rn18', '--batches', '2', '--reps', '1', '--device', 'cpu',
           '--out', str(out))
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert {'command', 'env', 'results'} <= set(rec) and rec['env']['torch'] and 'git' in rec['env']
    row = rec['results'][0]
    assert row['model'] == 'rn18' and row['batch'] == 2
    assert row['settings']['all_at_exit0']['flops_speedup'] > 1
