#!/usr/bin/python3
"""Exports CNNs the project needs beyond the torchvision suite of ../shared/tools/zoo/export.py.

Usage:  /usr/bin/python3 scripts/export_extra.py OUTDIR [name ...]   (the default list when no name is given)
        /usr/bin/python3 scripts/export_extra.py --list               (every model, default or not)
Needs:  Debian's python3-torch, python3-torchvision and python3-onnx (torch 1.13, torchvision 0.14,
        onnx 1.12); run by hand, nothing in the tests calls it.

Same conventions as the suite: weights random but seeded from the model's name, BatchNorm
statistics randomised (so that folding them is exercised), the stored output PyTorch's in eval mode,
and the ONNX backend-test layout OUTDIR/NAME/model.onnx with OUTDIR/NAME/test_data_set_K/
{input_0,output_0}.pb that `cnnc check` reads. After each export the script prints the op-type
histogram of the written graph, and fails if an op the model is meant to exercise is missing
(LayerNormalization in convnext_tiny, say, which older exporters decompose).

Models:
  convnext_tiny     torchvision ConvNeXt-T, opset 17: LayerNormalization, GELU as Erf, 7x7 depthwise
  fcn_symbolic_hw   a small fully convolutional net with symbolic batch, height and width, opset 13;
                    two data sets, 1x3x96x128 and 1x3x64x80
  resnext50_32x4d   grouped 3x3 convolutions (32 groups)
  mobilenet_v3_small  HardSwish (opset 14; at 13 PyTorch writes x*HardSigmoid(x)), squeeze-and-excitation
  lraspp_mobilenet_v3_large  LR-ASPP segmentation head (bilinear Resize, sigmoid gate), 224x224
  deeplabv3_mobilenet_v3_large  DeepLabV3 head (dilated convs, ASPP pooling branch + Resize)
"""
import collections, os, sys, zlib
import numpy as np
import onnx
import torch, torch.nn as nn, torchvision
from onnx import numpy_helper


def tv(name, **kw):
    return lambda: getattr(torchvision.models, name)(weights=None, **kw)


def seg(name, **kw):
    # The segmentation models return a dict {'out': ...}; export the main output only.
    class Out(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = getattr(torchvision.models.segmentation, name)(
                weights=None, weights_backbone=None, **kw)

        def forward(self, x):
            return self.m(x)['out']
    return Out


class FCN(nn.Module):
    """A small fully convolutional net: its output has the input's height and width, whatever they
    are (both even): conv-bn-relu, a stride-2 conv, a residual block, ConvTranspose back up, a
    skip concat, a 1x1 head."""

    def __init__(self, classes=5):
        super().__init__()

        def cbr(i, o, k=3, s=1):
            return nn.Sequential(nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o), nn.ReLU())
        self.stem = cbr(3, 16)
        self.down = cbr(16, 32, s=2)
        self.block = nn.Sequential(cbr(32, 32), nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32))
        self.up = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.fuse = cbr(32, 16)
        self.head = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        s = self.stem(x)
        d = self.down(s)
        d = torch.relu(d + self.block(d))
        u = self.up(d)
        return self.head(self.fuse(torch.cat([s, u], 1)))


HW = {'input': {0: 'batch', 2: 'height', 3: 'width'}, 'output': {0: 'batch', 2: 'height', 3: 'width'}}

# name: (constructor, input shapes (one data set each), opset, dynamic axes, ops the graph must hold)
MODELS = {
    'convnext_tiny':   (tv('convnext_tiny'), [(1, 3, 224, 224)], 17, None, {'LayerNormalization', 'Erf'}),
    'fcn_symbolic_hw': (FCN, [(1, 3, 96, 128), (1, 3, 64, 80)], 13, HW, {'ConvTranspose', 'Concat'}),
    'resnext50_32x4d': (tv('resnext50_32x4d'), [(1, 3, 224, 224)], 13, None, set()),
    'mobilenet_v3_small': (tv('mobilenet_v3_small'), [(1, 3, 224, 224)], 14, None, {'HardSwish', 'HardSigmoid'}),
    'lraspp_mobilenet_v3_large': (seg('lraspp_mobilenet_v3_large', num_classes=21), [(1, 3, 224, 224)], 13, None, {'Resize'}),
    'deeplabv3_mobilenet_v3_large': (seg('deeplabv3_mobilenet_v3_large', num_classes=21, aux_loss=False), [(1, 3, 224, 224)], 13, None, {'Resize'}),
}
DEFAULT = list(MODELS)  # all of them export cleanly with torch 1.13 / torchvision 0.14


def randomise_bn(m, seed):
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            n = mod.num_features
            mod.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            mod.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def histogram(path):
    g = onnx.load(path).graph
    h = collections.Counter(n.op_type for n in g.node)
    return h, g


def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


def export(name, outdir):
    ctor, shapes, opset, dynamic, need = MODELS[name]
    seed = zlib.crc32(('extra/' + name).encode()) % 100000
    torch.manual_seed(seed)
    m = ctor().eval()
    randomise_bn(m, seed + 1)
    d = os.path.join(outdir, name)
    xs = []
    for k, shape in enumerate(shapes):
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed + 2 + k))
        with torch.no_grad():
            y = m(x)
        os.makedirs(os.path.join(d, f'test_data_set_{k}'), exist_ok=True)
        for fn, arr in (('input_0.pb', x), ('output_0.pb', y)):
            t = numpy_helper.from_array(arr.numpy().astype(np.float32))
            open(os.path.join(d, f'test_data_set_{k}', fn), 'wb').write(t.SerializeToString())
        xs.append((x, y))
    path = os.path.join(d, 'model.onnx')
    torch.onnx.export(m, xs[0][0], path, opset_version=opset,
                      input_names=['input'], output_names=['output'], do_constant_folding=True,
                      dynamic_axes=dynamic)
    onnx.checker.check_model(path)
    h, g = histogram(path)
    params = sum(p.numel() for p in m.parameters())
    outs = ', '.join(str(tuple(y.shape)) for _, y in xs)
    print(f'{name}: opset {opset}, {params:,} parameters, input {dims(g.input[0])}, output {dims(g.output[0])}; '
          f'data sets: {outs}', flush=True)
    print('  ops: ' + ', '.join(f'{op} {n}' for op, n in sorted(h.items(), key=lambda kv: (-kv[1], kv[0]))), flush=True)
    missing = need - set(h)
    if missing:
        sys.exit(f'{name}: the exported graph has no {", ".join(sorted(missing))}')


if __name__ == '__main__':
    args = sys.argv[1:]
    if args and args[0] == '--list':
        for n in MODELS:
            print(n, '' if n in DEFAULT else '(not in the default list)')
        sys.exit(0)
    if not args or args[0] in ('-h', '--help'):
        print(__doc__.strip())
        sys.exit(0 if args else 2)
    for n in args[1:] or DEFAULT:
        if n not in MODELS:
            sys.exit(f'unknown model {n!r}; this script has: {" ".join(MODELS)}')
        export(n, args[0])
