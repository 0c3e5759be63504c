"""How the API reference renders: nbdev's show_doc reads each parameter's own comment through fastcore's docments, so every
exported function and class documents each of its parameters on its own line (a `;`-joined comment lands on one)."""
import importlib, inspect, pkgutil

import pytest
from fastcore.docments import docments

import safekd

MODULES = sorted(m.name for m in pkgutil.iter_modules(safekd.__path__) if not m.name.startswith('_'))


def registry_entries() -> set:
    """Registry entry points that share one contract documented once: MODELS' (timm's three-line entries, `build_backbone`)
    and DATASETS' loaders (the registry's prose in 01_data, `load_data`)."""
    from safekd.backbones import MODELS
    from safekd.data import DATASETS
    return {id(R[k]) for R in (MODELS, DATASETS) for k in R.keys()}


def exported(mod):
    "The functions and classes a module exports and defines itself (what the docs render), less registry entry points."
    skip = registry_entries()
    for name in getattr(mod, '__all__', []):
        o = getattr(mod, name)
        if (inspect.isfunction(o) or inspect.isclass(o)) and getattr(o, '__module__', None) == mod.__name__ and id(o) not in skip:
            yield name, o


def undocumented(o):
    "Parameters without their own comment, and comments that still list several parameters."
    f = o.__init__ if inspect.isclass(o) else o
    if inspect.isclass(o) and f is object.__init__: return []
    try: sig = inspect.signature(f)
    except (TypeError, ValueError): return []
    if inspect.isclass(o) and '__init__' not in vars(o) and not hasattr(o, '__dataclass_fields__'): return []
    docs = docments(o if hasattr(o, '__dataclass_fields__') else f)
    names = [n for n, p in sig.parameters.items() if n not in ('self', 'cls') and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return [n for n in names if not docs.get(n)]


@pytest.mark.parametrize('module', MODULES)
def test_every_parameter_has_its_own_comment(module):
    mod = importlib.import_module(f'safekd.{module}')
    bad = {n: u for n, o in exported(mod) if (u := undocumented(o))}
    assert not bad, f'safekd.{module}: parameters without their own comment: {bad}'


def test_docments_reads_single_parameters():
    "A few signatures, checked text for text: each parameter gets its own comment, not the whole list."
    from safekd.losses import kd_loss
    from safekd.data import load_data
    from safekd.wrapper import build_model
    d = docments(kd_loss)
    assert d['T'] == 'temperature' and 'teacher' in d['logits_t'] and ';' not in d['logits_s']
    d = docments(load_data)
    assert d['seed'] == 'split seed' and d['val_frac'] == 'val fraction' and ';' not in (d['name'] or '')
    from safekd.backbones import build_backbone
    assert set(docments(build_backbone)) >= {'num_classes', 'in_chans', 'input_size', 'pretrained'}
    assert all(docments(build_backbone)[k] for k in ('num_classes', 'in_chans', 'input_size', 'pretrained'))
    d = docments(build_model)
    assert d['num_classes'] and d['num_classes'] != d['name'] and all(';' not in (v or '') for v in d.values())
