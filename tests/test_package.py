"""What a `pip install safekd` user gets without a checkout: the wheel ships the CLI (safekd.cli, from scripts/), the
configs (safekd/configs) and the papermill templates (safekd/templates), and the library finds them there."""
import subprocess, sys, zipfile
from pathlib import Path

from conftest import ROOT, run_py

CONSOLE = ('safekd-run', 'safekd-sweep', 'safekd-run-all', 'safekd-collect', 'safekd-reproduce', 'safekd-demo', 'safekd-train-teacher',
           'safekd-train-student')


def build_wheel(out: Path) -> Path:
    "The project's wheel, built offline with the environment's setuptools."
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=300, cwd=out)
    assert r.returncode == 0, r.stderr[-2000:]
    return next(out.glob('safekd-*.whl'))


def test_wheel_ships_configs_templates_and_cli(tmp_path):
    whl = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(whl).namelist())
    configs = {p.relative_to(ROOT / 'configs').as_posix() for p in (ROOT / 'configs').rglob('*.yaml')}
    assert {f'safekd/configs/{c}' for c in configs} <= names, 'configs missing from the wheel'
    assert {'safekd/templates/run.ipynb', 'safekd/templates/reproduce.ipynb', 'safekd/cli/run.py'} <= names
    assert any(n.endswith('.dist-info/licenses/LICENSE') for n in names), 'LICENSE missing from the wheel'
    meta = next(n for n in names if n.endswith('entry_points.txt'))
    eps = zipfile.ZipFile(whl).read(meta).decode()
    assert all(f'{c} = safekd.cli.' in eps for c in CONSOLE), eps
    # the installed package, away from the checkout, finds its own configs and templates and runs the CLI's parser
    site = tmp_path / 'site'
    zipfile.ZipFile(whl).extractall(site)
    away = tmp_path / 'elsewhere'; away.mkdir()
    code = ("import safekd, safekd.config as c, safekd.experiment as e, safekd.cli.run as r; from pathlib import Path; "
            "pkg = Path(safekd.__file__).parent; assert Path(c.configs_dir()).resolve() == (pkg / 'configs').resolve(), c.configs_dir(); "
            "assert Path(e.experiment_template('run')).resolve() == (pkg / 'templates' / 'run.ipynb').resolve(); "
            "print(sorted(p.name for p in (pkg / 'configs' / 'methods').glob('*.yaml'))[:3])")
    res = run_py('-c', code, env={'PYTHONPATH': str(site), 'SAFEKD_CONFIGS': ''}, cwd=away, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'asmb.yaml' in res.stdout
    res = run_py('-m', 'safekd.cli.run', '--help', env={'PYTHONPATH': str(site)}, cwd=away, timeout=300)
    assert res.returncode == 0 and '--dataset' in res.stdout, res.stderr[-2000:]
