"""TARDIS-EarlyExit's README workflow (steps 1-7), verbatim but for its import line, runs on `safekd.tardis`, and its
segments behave as TARDIS's: one unbatched sample each, exit when the max of the softmax of the exit logits is > t
(checked against that rule written out here)."""
import os
from copy import deepcopy

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision.models.vgg import make_layers


IMPORTS = '''
from safekd.tardis import EarlyExitNetwork, train_model, test_all_exits_accuracy
from safekd.tardis import seperate_networks, SegmentedEarlyExitNetwork, test_networks
import torch.nn as nn
import torch
'''
# TARDIS's README, steps 2-7, as it stands (its import line, step 1, is IMPORTS above)
README = '''
# Example with a VGG model
device_side_net = deepcopy(model.features[:7])
server_side_net = deepcopy(model.features[7:17])
cloud_side_net = nn.Sequential(
    deepcopy(model.features[17:]),
    nn.Flatten(),
    deepcopy(model.classifier)
)

core_net = nn.Sequential(device_side_net, server_side_net, cloud_side_net)

# Create exit layers based on intermediate feature shapes
exits = nn.ModuleList([
    nn.Sequential(
        nn.Flatten(),
        nn.Linear(intermediate_shape_1, 512),
        nn.Linear(512, num_classes)
    ),
    nn.Sequential(
        nn.Flatten(),
        nn.Linear(intermediate_shape_2, 512),
        nn.Linear(512, num_classes)
    )
])

eenet = EarlyExitNetwork(core_net, exits).to(device)

# Train all exits simultaneously
optimizer = torch.optim.Adam(eenet.parameters(), lr=1e-4)
criterion = nn.BCEWithLogitsLoss()
train_model(eenet, trainloader, criterion, optimizer, epochs=5)

# Or train a specific exit
exit_to_train = 0
optimizer = torch.optim.Adam(eenet.exits[exit_to_train].parameters(), lr=1e-4)
train_model(eenet, trainloader, criterion, optimizer, exit_chosen=exit_to_train)

# Test all exits simultaneously
correct, total = test_all_exits_accuracy(eenet, testloader)
for i, c in enumerate(correct):
    print(f"Exit {i} accuracy: {c/total:.4f}")

# Create segmented networks with confidence thresholds
networks = seperate_networks(eenet, thresholds=[0.9, 0.9])

# Test segmented networks
accuracy, exit_stats = test_networks(networks, testset)
print(f"Overall accuracy: {accuracy:.4f}")
print("Exit statistics:", exit_stats)

# Save segmented models
for i, net in enumerate(networks):
    torch.save(net, f"model_{i}.pth")
'''


class TinyVGG(nn.Module):
    "torchvision's VGG layers, widths 8-16-32, for 16 x 16 inputs (features -> 32 x 2 x 2)."
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = make_layers([8, 8, 'M', 16, 16, 'M', 32, 32, 'M'], batch_norm=True)
        self.classifier = nn.Linear(32 * 2 * 2, num_classes)

    def forward(self, x): return self.classifier(self.features(x).flatten(1))


def toy_images(n, num_classes=4, seed=0):
    "`n` 3 x 16 x 16 images: a fixed random template per class plus noise."
    proto = torch.randn(num_classes, 3, 16, 16, generator=torch.Generator().manual_seed(123))
    g = torch.Generator().manual_seed(seed); y = torch.randint(num_classes, (n,), generator=g)
    return TensorDataset(proto[y] + 1.5 * torch.randn(n, 3, 16, 16, generator=g), y)


@pytest.mark.parametrize('criterion', ['nn.BCEWithLogitsLoss()', 'nn.CrossEntropyLoss()'])
def test_readme_workflow(criterion, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                     # step 7 saves into the working directory
    torch.manual_seed(0)
    trainset, testset = toy_images(256), toy_images(200, seed=1)
    ns = dict(deepcopy=deepcopy, model=TinyVGG(4), num_classes=4, device='cpu', testset=testset,
              intermediate_shape_1=8 * 8 * 8, intermediate_shape_2=32 * 4 * 4,
              trainloader=DataLoader(trainset, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)),
              testloader=DataLoader(testset, batch_size=64))
    exec(IMPORTS + README.replace('nn.BCEWithLogitsLoss()', criterion), ns)

    out = capsys.readouterr().out
    assert [ln.split(':')[0] for ln in out.splitlines()] == ['Exit 0 accuracy', 'Exit 1 accuracy', 'Exit 2 accuracy',
                                                             'Overall accuracy', 'Exit statistics']
    assert type(ns['criterion']).__name__ == criterion[3:-2]
    correct, total, stats, eenet = ns['correct'], ns['total'], ns['exit_stats'], ns['eenet']
    assert total == 200 and min(correct) / total > 0.3, correct        # 4 classes: above chance
    with torch.no_grad(): assert eenet.eval()(testset.tensors[0][:4]).shape == (4, 3, 4)   # TARDIS's (B, K, C)
    networks = ns['networks']
    assert type(networks) is nn.ModuleList and [type(n).__name__ for n in networks] == ['SegmentedEarlyExitNetwork'] * 3
    assert (ns['accuracy'], stats) == reference_deploy(eenet, [0.9, 0.9], testset)
    assert all(set(s) == {'correct', 'total'} for s in stats.values()) and sum(s['total'] for s in stats.values()) == 200
    loaded = [torch.load(f'model_{i}.pth', weights_only=False) for i in range(3)]
    with torch.no_grad():
        for img, _ in list(testset)[:20]:
            for a, b in zip(loaded, networks):              # each saved segment, called as TARDIS calls it
                (za, ea), (zb, eb) = a(img), b(img)
                assert ea is eb and torch.equal(za, zb)
                if ea: break
                img = za
    assert sorted(os.listdir(tmp_path)) == ['model_0.pth', 'model_1.pth', 'model_2.pth']


def reference_deploy(eenet, thresholds, dataset):
    "TARDIS's deployment rule, written out: (accuracy, {k: {'correct', 'total'}}), one unbatched sample at a time."
    stats = {k: {'correct': 0, 'total': 0} for k in range(len(thresholds) + 1)}
    with torch.no_grad():
        for img, label in dataset:
            h = img[None]
            for k, t in enumerate(thresholds):
                h = eenet.network[k](h); z = eenet.exits[k](h)[0]
                if torch.softmax(z, 0).max().item() > t: break
            else: k, z = len(thresholds), eenet.exits[-1](h)[0]
            stats[k]['total'] += 1; stats[k]['correct'] += int(z.argmax().item() == int(label))
    return sum(s['correct'] for s in stats.values()) / len(dataset), stats
