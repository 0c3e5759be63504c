"""TARDIS-EarlyExit's demo notebooks run on `safekd.tardis` with only their import lines changed.

Two demos, each held below as the text of its code cells (the user's workflow), run cell by cell as a notebook runs
them, on a small VGG-19 and synthetic CIFAR-sized data (no downloads, CPU, a few seconds):

* `demo.ipynb` at the repository's HEAD (Ilias-Paralikas/early_exit, 120bb50), the one-call `create_networks` API;
  when the clone /tmp/orig/early_exit is present, the held cells are checked against it, line for line;
* `demo.ipynb` of the package API (the same repository, commit 27270fa720db839da0b2bd361a5c9f5d09c11900):
  `EarlyExitNetwork`, `train_model`, `seperate_networks(...).to(device)`, `test_networks`, saved segments.

What the test supplies in place of a cell: the model download (`torch.hub.load`, or the user's own `models`
module) and the CIFAR-10 download. Results are checked against an independent implementation of TARDIS's
deployment rule (one sample at a time; exit k when the max of the softmax of its exit logits is > t_k).
"""
import ast, json, os, sys, types
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset
from torchvision.models import vgg

ORIG_DEMO = Path('/tmp/orig/early_exit/demo.ipynb')


def run_cells(cells, ns):
    "Run code cells as a notebook does: each cell's last expression is its value. Returns the values."
    values = []
    for src in cells:
        tree = ast.parse(src)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, '<cell>', 'exec'), ns)
        values.append(eval(compile(ast.Expression(last.value), '<cell>', 'eval'), ns) if last else None)
    return values


def cifar_like(n, seed=0, num_classes=10):
    "`n` 3 x 32 x 32 images of 10 classes: a fixed random template per class plus noise."
    proto = torch.randn(num_classes, 3, 32, 32, generator=torch.Generator().manual_seed(123))
    g = torch.Generator().manual_seed(seed); y = torch.randint(num_classes, (n,), generator=g)
    return TensorDataset(proto[y] + torch.randn(n, 3, 32, 32, generator=g), y)


def small_vgg19_bn(classifier, avgpool=True):
    "VGG-19-BN's layer sequence (torchvision's `features`, configuration 'E') at 1/16 of its widths, for 32 x 32."
    m = nn.Module()
    m.features = vgg.make_layers([v if v == 'M' else v // 16 for v in vgg.cfgs['E']], batch_norm=True)
    if avgpool: m.avgpool = nn.AdaptiveAvgPool2d(1)
    m.classifier = classifier
    return m


def reference_deploy(blocks, heads, last, thresholds, dataset):
    "TARDIS's deployment rule, written out: (accuracy, {k: {'correct', 'total'}}) over unbatched samples."
    stats = {k: {'correct': 0, 'total': 0} for k in range(len(blocks) + 1)}
    with torch.no_grad():
        for img, label in dataset:
            h = img[None]
            for k, (b, e, t) in enumerate(zip(blocks, heads, thresholds)):
                h = b(h); z = e(h)[0]
                if torch.softmax(z, 0).max().item() > t: break
            else: k, z = len(blocks), last(h)[0]
            stats[k]['total'] += 1; stats[k]['correct'] += int(z.argmax().item() == int(label))
    return sum(s['correct'] for s in stats.values()) / len(dataset), stats


# ---- demo.ipynb at HEAD (120bb50): create_networks. {cell index: source}; cell 0's first line is the import changed.
CREATE_IMPORT = {0: '''from safekd.tardis import create_networks
from models import vgg19_bn
import torch.nn as nn
from copy import deepcopy'''}
CREATE_CELLS = {1: '''class SplitModel(nn.Module):
    def __init__(self,pretrained_model):
        super(SplitModel, self).__init__() 
        self.device_side_net = deepcopy(pretrained_model.features[:14])
        self.server_side_net = deepcopy(pretrained_model.features[14:27])
        
        self.cloud_net = nn.Sequential(
            deepcopy(pretrained_model.features[27:]),
            deepcopy(pretrained_model.avgpool),
            nn.Flatten(),
            deepcopy(pretrained_model.classifier)
        )
        self.net = nn.Sequential(
            self.device_side_net,
            self.server_side_net,
            self.cloud_net
        )
        
    def forward(self, x):
        x = self.net(x)
        return x''',
    3: '''model = vgg19_bn()
model = SplitModel(model)
''',
    4: '''# Define the input parameters
input_shape = (1, 3, 32, 32)
thresholds = [0.8, 0.9, 0.9]
neurons_in_exit_layers = [[1024,1025], [1024,1024]]
epochs = 5
train_dataloader = testloader
test_dataloader = testloader
optimizer = torch.optim.SGD
optimizer_parameters = {'lr': 0.001}
criterion = torch.nn.CrossEntropyLoss()
training_method = 'whole_network'

# Call the create_networks function
networks, train_losses, test_accuracies = create_networks(
    model,
    input_shape,
    thresholds,
    neurons_in_exit_layers,
    epochs,
    train_dataloader,
    test_dataloader,
    optimizer,
    optimizer_parameters,
    criterion,
    training_method
)''',
    5: 'test_accuracies',
    6: 'train_losses'}
CREATE_DATA = '''
import torch
batch_size = 4
testset = cifar_like(64, seed=1)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False)
'''  # in place of cell 2, which downloads CIFAR-10


@pytest.mark.skipif(not ORIG_DEMO.exists(), reason='the TARDIS clone is not at /tmp/orig/early_exit')
def test_held_cells_are_the_demo():
    cells = [''.join(c['source']) for c in json.loads(ORIG_DEMO.read_text())['cells']]
    lines = lambda s: [ln.rstrip() for ln in s.splitlines()]
    for i, src in CREATE_CELLS.items(): assert lines(cells[i]) == lines(src), i
    assert lines(cells[0])[1:] == lines(CREATE_IMPORT[0])[1:]
    assert lines(cells[0])[0] == 'from early_exit.get_early_exit import create_networks'


def test_create_networks_demo(monkeypatch, capsys):
    torch.manual_seed(0)
    models = types.ModuleType('models')                  # the demo's own `models` module (a CIFAR VGG-19-BN)
    models.vgg19_bn = lambda: small_vgg19_bn(nn.Linear(32, 10))
    monkeypatch.setitem(sys.modules, 'models', models)
    ns = dict(cifar_like=cifar_like)
    cells = [CREATE_IMPORT[0], CREATE_CELLS[1], CREATE_DATA, CREATE_CELLS[3], CREATE_CELLS[4], CREATE_CELLS[5],
             CREATE_CELLS[6]]
    values = run_cells(cells, ns)

    out = capsys.readouterr().out.splitlines()
    assert [ln.split(':')[0] for ln in out] == [f'{e} loss' for e in range(5)] + [f'Accuracy of exit {i}' for i in range(3)]
    networks, losses, accs = ns['networks'], ns['train_losses'], ns['test_accuracies']
    assert values[-2:] == [accs, losses] and len(losses) == 5 and all(l == l for l in losses)
    assert list(accs) == ['exit_0', 'exit_1', 'exit_2'] and all(0 <= a <= 100 for a in accs.values())
    assert type(networks) is nn.ModuleList and [type(n).__name__ for n in networks] == ['SegmentedEarlyExitNetwork'] * 3
    assert [n.threshold for n in networks[:2]] == [0.8, 0.9] and networks[2].exit is None
    assert [[m.out_features for m in n.exit if isinstance(m, nn.Linear)] for n in networks[:2]] == [[1024, 1025, 10], [1024, 1024, 10]]
    img = ns['testset'][0][0]
    with torch.no_grad(): out, exit_taken = networks[0](img)   # one unbatched image, as TARDIS's segments take it
    assert isinstance(exit_taken, bool) and out.shape == ((10,) if exit_taken else (8, 8, 8))
    ref = reference_deploy([n.network for n in networks[:2]], [n.exit for n in networks[:2]], networks[2].network,
                           [0.8, 0.9], ns['testset'])
    from safekd.tardis import test_networks
    assert test_networks(networks, ns['testset']) == ref


# ---- demo.ipynb of the package API (commit 27270fa7); the `%cd` and `git clone` cells set up its machine
PACKAGE_IMPORT = '''from safekd.tardis import EarlyExitNetwork,train_model,test_all_exits_accuracy,seperate_networks, SegmentedEarlyExitNetwork
import torch.nn as nn
from copy import deepcopy'''
PACKAGE_DEVICE = '''import torch
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
device'''
PACKAGE_MODEL = 'model = cifar10_vgg19_bn()'   # in place of torch.hub.load("chenyaofo/pytorch-cifar-models", ...)
PACKAGE_CELLS_1 = ['model.features[:17]', '''from copy import deepcopy
import torch.nn as nn
class SplitModel(nn.Module):
    def __init__(self,pretrained_model,splits=[17,27]):
        super(SplitModel, self).__init__() 
        self.device_side_net = deepcopy(pretrained_model.features[:splits[0]])
        self.server_side_net = deepcopy(pretrained_model.features[splits[0]:splits[1]])
        
        self.cloud_net = nn.Sequential(
            deepcopy(pretrained_model.features[splits[1]:]),
            nn.Flatten(),
            deepcopy(pretrained_model.classifier)
        )
        self.net = nn.Sequential(
            self.device_side_net,
            self.server_side_net,
            self.cloud_net
        )
        
    def forward(self, x):
        x = self.net(x)
        return x''', '''class ExitLayers(nn.Module):
    def __init__(self, layers,classes=10):
        super(ExitLayers, self).__init__()
        self.layers = [nn.Flatten()]
        for i in range(len(layers)-1):
            self.layers.append(nn.Linear(layers[i],layers[i+1]))
        
        self.layers.append(nn.Linear(layers[-1],classes))
        self.network = nn.Sequential(*self.layers)
    def forward(self, x):
        return self.network(x)
''', '''import torch
x = torch.randn(1,3,32,32)
seperated_model = SplitModel(model)


exit_0 =seperated_model.device_side_net(x)
exit_0_shape = seperated_model.device_side_net(x).flatten().shape
print(exit_0_shape)

exit_1 = seperated_model.server_side_net(exit_0)
exit_1_shape = seperated_model.server_side_net(exit_0).flatten().shape
print(exit_1_shape)''', '''neurons_in_exit_0 = [exit_0_shape[0],512,512]
neurons_in_exit_1 = [exit_1_shape[0],512,512]

exits =nn.ModuleList([ExitLayers(neurons_in_exit_0).network,ExitLayers(neurons_in_exit_1).network])''']
PACKAGE_DATA = '''
batch_size = 32
trainset = cifar_like(64)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=False)
testset = cifar_like(64, seed=1)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False)
'''  # in place of the cell that downloads CIFAR-10
PACKAGE_CELLS_2 = ['''eenet=  EarlyExitNetwork(seperated_model.net,exits)
criterion = nn.BCEWithLogitsLoss()
lr = 1e-4''', '''optimizer = torch.optim.Adam(eenet.parameters(),lr=lr)
print("Before :",test_all_exits_accuracy(eenet,testloader))
for e in range(2):
    train_model(eenet,trainloader,criterion,optimizer) 
    print(f'Trained Exit {e} :{test_all_exits_accuracy(eenet,testloader)}')   ''', '''exit_taken=0
optimizer = torch.optim.Adam(eenet.exits[exit_taken].parameters(),lr=lr)
print("Before :",test_all_exits_accuracy(eenet,testloader))
train_model(eenet,trainloader,criterion,optimizer,exit_chosen=exit_taken)    
print(f'Trained Exit {e} :{test_all_exits_accuracy(eenet,testloader)}')  ''', '''exit_taken=1
optimizer = torch.optim.Adam(eenet.exits[exit_taken].parameters(),lr=lr)

print("Before :",test_all_exits_accuracy(eenet,testloader))
train_model(eenet,trainloader,criterion,optimizer,exit_chosen=exit_taken)    
print(f'Trained Exit {e} :{test_all_exits_accuracy(eenet,testloader)}')  ''', '''exit_to_train=2
optimizer = torch.optim.Adam(eenet.exits[exit_to_train].parameters(), lr=lr)
print("Before :",test_all_exits_accuracy(eenet,testloader))
for e in range(1):
    train_model(eenet,trainloader,criterion,optimizer,exit_chosen=exit_to_train)    
    print(f'Trained Exit {e} :{test_all_exits_accuracy(eenet,testloader)}')   ''', '''exit_to_train=2
optimizer = torch.optim.Adam(eenet.exits[exit_to_train].parameters(), lr=lr)
print("Before :",test_all_exits_accuracy(eenet,testloader))
for e in range(5):
    train_model(eenet,trainloader,criterion,optimizer,exit_chosen=exit_to_train)    
    print(f'Trained Exit {e} :{test_all_exits_accuracy(eenet,testloader)}')   ''',
    'from safekd.tardis import seperate_networks, SegmentedEarlyExitNetwork,test_networks',   # the import changed
    'networks = seperate_networks(eenet,[0.9,0.9]).to(device)  ',
    'test_networks(networks,testset)', '''import os
model_folder = 'edge_heavy'
os.makedirs(model_folder, exist_ok=True)
for i, net in enumerate(networks):
    net = net.to('cpu')
    model_file = os.path.join(model_folder, f"model_{i}.pth")
    torch.save(net, model_file)''']


def test_package_demo(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                          # the last cell saves into the working directory
    torch.manual_seed(0)
    classifier = lambda: nn.Sequential(nn.Linear(32, 32), nn.ReLU(True), nn.Linear(32, 32), nn.ReLU(True), nn.Linear(32, 10))
    ns = dict(cifar_like=cifar_like, cifar10_vgg19_bn=lambda: small_vgg19_bn(classifier(), avgpool=False))
    values = run_cells([PACKAGE_IMPORT, PACKAGE_DEVICE, PACKAGE_MODEL, *PACKAGE_CELLS_1, PACKAGE_DATA, *PACKAGE_CELLS_2], ns)

    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ['torch.Size([1024])', 'torch.Size([256])']
    assert [ln.split(':')[0].strip() for ln in out[2:]] == (['Before', 'Trained Exit 0', 'Trained Exit 1'] +
        ['Before', 'Trained Exit 1'] * 2 + ['Before', 'Trained Exit 0', 'Before'] + [f'Trained Exit {e}' for e in range(5)])
    eenet, networks, testset = ns['eenet'], ns['networks'], ns['testset']
    with torch.no_grad(): assert eenet.eval()(testset.tensors[0][:5]).shape == (5, 3, 10)   # torch.stack(outputs, dim=1)
    assert type(networks) is nn.ModuleList and len(networks) == 3
    assert all(isinstance(n.confidence_function, nn.Softmax) and n.confidence_function.dim == 0 for n in networks[:2])
    assert values[-2] == reference_deploy(list(eenet.network), list(eenet.exits[:-1]), eenet.exits[-1], [0.9, 0.9], testset)
    acc, stats = values[-2]
    assert sum(s['total'] for s in stats.values()) == len(testset) and all(set(s) == {'correct', 'total'} for s in stats.values())

    loaded = [torch.load(os.path.join('edge_heavy', f'model_{i}.pth'), weights_only=False) for i in range(3)]
    with torch.no_grad():
        for img, _ in list(testset)[:16]:
            out, exit_taken = loaded[0](img)            # a saved segment, called as TARDIS calls it
            ref, done = networks[0](img)
            assert exit_taken is done and torch.equal(out, ref)
            k = 0
            while not exit_taken: k += 1; out, exit_taken = loaded[k](out)
            assert k < 3
