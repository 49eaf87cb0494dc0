#!/usr/bin/python3
"""Generates the torchvision reference data for vision's tests.

Run by hand from this directory with Debian's python (torch 1.13, torchvision 0.14,
PIL 9.4):

    cd vision/testdata && /usr/bin/python3 gen.py

It writes a few small deterministic images (PNG and JPEG) and, for each case in
CASES, the tensor torchvision computes for that image as a float32 .npy of shape
(C, H, W): PIL opens the image, convert('RGB') or convert('L'), then
transforms.Resize / CenterCrop / ToTensor / Normalize. The Go test
(vision_test.go, TestTorchvision) lists the same cases and reads these files.
"""
import os

import numpy as np
import torch
import torchvision
from PIL import Image, ImageDraw
from torchvision import transforms as T

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def gradient_noise(w, h, seed, channels=3):
    """A smooth gradient with uniform noise, so that resampling has structure and edges."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = [
        255 * x / max(w - 1, 1),
        255 * y / max(h - 1, 1),
        127.5 + 127.5 * np.sin((x + 2 * y) / 5.0),
        255 * (x * y) / max((w - 1) * (h - 1), 1),
    ]
    img = np.stack(base[:channels], axis=-1) + rng.uniform(-40, 40, size=(h, w, channels))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def digit(size):
    """A white '3'-ish stroke on black, like an MNIST digit, drawn at the given size."""
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    s = size / 28.0
    d.arc([7 * s, 4 * s, 21 * s, 14 * s], start=180, end=90, fill=255, width=max(1, int(2.5 * s)))
    d.arc([7 * s, 13 * s, 21 * s, 24 * s], start=270, end=180, fill=255, width=max(1, int(2.5 * s)))
    return img


def write_images():
    Image.fromarray(gradient_noise(64, 48, 1), "RGB").save("rgb_64x48.png")
    Image.fromarray(gradient_noise(37, 53, 2), "RGB").save("rgb_37x53.png")
    Image.fromarray(gradient_noise(20, 15, 3), "RGB").save("rgb_20x15.png")
    Image.fromarray(gradient_noise(40, 30, 4, channels=4), "RGBA").save("rgba_40x30.png")
    Image.fromarray(gradient_noise(45, 45, 5)[:, :, 0], "L").save("gray_45x45.png")
    Image.fromarray(gradient_noise(33, 21, 6), "RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
        "pal_33x21.png"
    )
    jpeg = Image.fromarray(gradient_noise(50, 40, 7), "RGB")
    jpeg.save("rgb_50x40_444.jpg", quality=95, subsampling=0)
    jpeg.save("rgb_50x40_422.jpg", quality=95, subsampling=1)
    jpeg.save("rgb_50x40_420.jpg", quality=95, subsampling=2)
    digit(100).save("digit_100x100.png")
    digit(28).save("digit_28x28.png")


# name: (image, mode, [transforms before ToTensor], mean, std)
def cases():
    B, N = T.InterpolationMode.BILINEAR, T.InterpolationMode.NEAREST
    R, C = T.Resize, T.CenterCrop
    return {
        "rgb64x48_imagenet": ("rgb_64x48.png", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "rgb37x53_imagenet": ("rgb_37x53.png", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "rgb37x53_nearest": ("rgb_37x53.png", "RGB", [R(32, interpolation=N), C(28)], None, None),
        "rgb37x53_gray": ("rgb_37x53.png", "L", [R(32), C(28)], [0.5], [0.5]),
        "rgb64x48_factor6": ("rgb_64x48.png", "RGB", [R(8), C(8)], None, None),
        "rgb64x48_direct": ("rgb_64x48.png", "RGB", [R((28, 28))], None, None),
        "rgb64x48_crop_resize": ("rgb_64x48.png", "RGB", [R(32), C((26, 30)), R((16, 20))], None, None),
        "rgb37x53_pad": ("rgb_37x53.png", "RGB", [C(40)], None, None),
        "rgb64x48_resize_pad": ("rgb_64x48.png", "RGB", [R(20), C(28)], None, None),
        "rgb20x15_upscale": ("rgb_20x15.png", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "rgba40x30_rgb": ("rgba_40x30.png", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "rgba40x30_gray": ("rgba_40x30.png", "L", [R(32), C(28)], None, None),
        "gray45_rgb": ("gray_45x45.png", "RGB", [R(32), C(28)], None, None),
        "gray45_gray": ("gray_45x45.png", "L", [R(32), C(28)], None, None),
        "pal33x21_rgb": ("pal_33x21.png", "RGB", [R(32), C(28)], None, None),
        "jpeg444_imagenet": ("rgb_50x40_444.jpg", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "jpeg420_imagenet": ("rgb_50x40_420.jpg", "RGB", [R(32), C(28)], IMAGENET_MEAN, IMAGENET_STD),
        "jpeg444_pixels": ("rgb_50x40_444.jpg", "RGB", [], None, None),
        "jpeg422_pixels": ("rgb_50x40_422.jpg", "RGB", [], None, None),
        "jpeg420_pixels": ("rgb_50x40_420.jpg", "RGB", [], None, None),
        "digit100_mnist": ("digit_100x100.png", "L", [R((28, 28))], None, None),
        "digit28_mnist": ("digit_28x28.png", "L", [], None, None),
    }


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    print("torch", torch.__version__, "torchvision", torchvision.__version__, "PIL", Image.__version__)
    write_images()
    for name, (path, mode, pre, mean, std) in cases().items():
        steps = pre + [T.ToTensor()]
        if mean is not None:
            steps.append(T.Normalize(mean, std))
        x = T.Compose(steps)(Image.open(path).convert(mode))
        np.save(name + ".npy", x.numpy().astype(np.float32))
        print(name, tuple(x.shape))


if __name__ == "__main__":
    main()
