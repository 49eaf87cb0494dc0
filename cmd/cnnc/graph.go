package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cnnc/cnnc/dot"
)

// renderFormats are the -o extensions handed to Graphviz, with dot's -T
// name for each.
var renderFormats = map[string]string{".svg": "svg", ".png": "png", ".pdf": "pdf"}

func graphCmd() *command {
	return &command{
		name:    "graph",
		args:    "MODEL",
		short:   "draw the model's graph, after the optimizing passes or as imported, as Graphviz DOT (or SVG, PNG, PDF with dot installed)",
		example: "cnnc graph testdata/tutorial_125_mnist.cnn -o mnist.svg",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			before := fs.Bool("before", false, "draw the graph as imported, before the optimizing passes")
			outPath := fs.String("o", "", "write to `file` instead of stdout: .dot or .gv writes DOT; .svg, .png and .pdf run Graphviz's dot")
			consts := fs.Bool("consts", false, fmt.Sprintf("draw constants of at most %d elements as nodes with their values", dot.SmallConstant))
			lr := fs.Bool("lr", false, "lay the graph out left to right instead of top to bottom")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				format, err := outputFormat(*outPath)
				if err != nil {
					return err
				}
				m, err := mf.load(path)
				if err != nil {
					return err
				}
				g, stage := m.Graph, "as imported"
				if *before {
					for _, d := range splitList(mf.dumpAfter) {
						if d != "import" && d != "all" {
							return usageError(fmt.Sprintf("-dump-after %s names a pass, and -before runs none (use -dump-after import)", d))
						}
					}
					if err := mf.dumpImport(g); err != nil {
						return err
					}
				} else {
					opts, err := mf.compileOptions()
					if err != nil {
						return err
					}
					if g, err = m.Optimize(opts); err != nil {
						return fmt.Errorf("%w (cnnc graph -before draws the graph as imported)", err)
					}
					stage = "after the optimizing passes"
				}
				var src bytes.Buffer
				title := fmt.Sprintf("%s (%s, %s)", g.Name, m.Source, stage)
				if err := dot.Write(&src, g, dot.Options{Title: title, Constants: *consts, LeftToRight: *lr}); err != nil {
					return err
				}
				switch {
				case *outPath == "":
					_, err = out.Write(src.Bytes())
					return err
				case format == "dot":
					return writeFile(*outPath, src.Bytes())
				}
				img, err := renderDot(src.Bytes(), format, mf.log())
				if err != nil {
					return fmt.Errorf("-o %s: %w", *outPath, err)
				}
				if err := writeFile(*outPath, img); err != nil {
					return err
				}
				mf.progress("wrote %s (%d nodes)", *outPath, len(g.Nodes))
				return nil
			}
		},
	}
}

// outputFormat tells -o's format from its extension: "dot" for DOT text,
// else a Graphviz output format.
func outputFormat(path string) (string, error) {
	if path == "" {
		return "dot", nil
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".dot" || ext == ".gv" {
		return "dot", nil
	}
	if f, ok := renderFormats[ext]; ok {
		return f, nil
	}
	return "", usageError(fmt.Sprintf("-o %s: want a .dot, .gv, .svg, .png or .pdf file", path))
}

// renderDot runs Graphviz's dot on DOT source and returns the image.
// Graphviz's warnings go to log (nil drops them).
func renderDot(src []byte, format string, log io.Writer) ([]byte, error) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		return nil, fmt.Errorf("Graphviz's dot program is needed to write %s and was not found (%w); "+
			"install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz), "+
			"or write DOT without it: cnnc graph MODEL > model.dot", strings.ToUpper(format), err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-T"+format)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(src), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -T%s: %w: %s", bin, format, err, strings.TrimSpace(stderr.String()))
	}
	if log != nil && stderr.Len() > 0 {
		fmt.Fprintf(log, "cnnc: dot: %s\n", strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// writeFile writes data through a temporary file beside path, so that a
// failure leaves no half-written image or DOT file behind.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
