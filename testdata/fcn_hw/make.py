#!/usr/bin/python3
"""Writes model.onnx and two test data sets here: a tiny fully convolutional
network whose input height and width are symbolic (dim_param "height" and
"width"), so that tests can check that cnnc binds them from the input it is
given. Run by hand with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 testdata/fcn_hw/make.py
"""
import os
import numpy as np
import torch
import torch.nn as nn
from onnx import numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)
m = nn.Sequential(
    nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
    nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.ReLU(),
    nn.ConvTranspose2d(8, 4, 2, stride=2), nn.Sigmoid(),
    nn.Conv2d(4, 2, 1),
).eval()
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
x0 = torch.randn(1, 3, 12, 16)
torch.onnx.export(m, x0, os.path.join(here, 'model.onnx'), opset_version=13,
                  input_names=['input'], output_names=['output'],
                  dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                                'output': {0: 'batch', 2: 'height', 3: 'width'}})
for k, shape in enumerate([(1, 3, 12, 16), (2, 3, 8, 10)]):
    x = torch.randn(*shape)
    with torch.no_grad():
        y = m(x)
    d = os.path.join(here, 'test_data_set_%d' % k)
    os.makedirs(d, exist_ok=True)
    for fn, arr in (('input_0.pb', x), ('output_0.pb', y)):
        t = numpy_helper.from_array(arr.numpy().astype(np.float32))
        open(os.path.join(d, fn), 'wb').write(t.SerializeToString())
