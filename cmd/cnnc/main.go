// Command cnnc compiles convolutional neural networks, from a Keras-like
// DSL (.cnn) or ONNX (.onnx), into plain Go packages, and inspects, runs,
// checks and times them.
//
// Usage:
//
//	cnnc compile MODEL -o DIR [-pkg NAME]   write a Go package for the model
//	cnnc summary MODEL                      print a Keras-style summary table
//	cnnc check MODEL [DATA_DIR...]          compare outputs with stored references
//	cnnc run MODEL                          run the model on an input
//	cnnc bench MODEL                        time the generated code
//	cnnc graph MODEL                        draw the graph as Graphviz DOT
//	cnnc quantize MODEL -calibrate INPUTS   write an int8 QDQ ONNX model
//	cnnc version                            print cnnc's, Go's and the generated code's versions
//
// Run "cnnc help COMMAND" or "cnnc COMMAND -h" for a command's flags.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand: its flags, usage text and body.
type command struct {
	name, args, short, example string
	// flags declares the command's flags on fs and returns its body, which
	// writes its results to out.
	flags func(fs *flag.FlagSet, out, errOut io.Writer) func(positional []string) error
}

func commands() []*command {
	return []*command{compileCmd(), summaryCmd(), checkCmd(), runCmd(), benchCmd(), graphCmd(), quantizeCmd(), versionCmd()}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status, so tests
// can drive the CLI in-process.
func run(args []string, stdout, stderr io.Writer) int {
	// Help that was asked for is the command's output: stdout, exit 0.
	// Usage printed because of a mistake goes to stderr with exit 2.
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "-version", "--version":
		name, args = "version", append([]string{"version"}, args[1:]...)
	case "help":
		if len(args) < 2 || args[1] == "help" {
			usage(stdout)
			return 0
		}
		name, args = args[1], []string{args[1], "-h"}
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		fs := flag.NewFlagSet("cnnc "+c.name, flag.ContinueOnError)
		// The flag package writes both -h's usage and a bad flag's error
		// to fs.Output; collect them and route them once the parse says
		// which it was.
		var parseOut bytes.Buffer
		fs.SetOutput(&parseOut)
		body := c.flags(fs, stdout, stderr)
		fs.Usage = func() {
			w := fs.Output()
			nflags := 0
			fs.VisitAll(func(*flag.Flag) { nflags++ })
			line := "cnnc " + c.name
			if nflags > 0 {
				line += " [flags]"
			}
			if c.args != "" {
				line += " " + c.args
			}
			fmt.Fprintf(w, "usage: %s\n\n%s\n\nexample:\n  %s\n", line, c.short, c.example)
			if nflags > 0 {
				fmt.Fprintf(w, "\nflags:\n")
				fs.PrintDefaults()
			}
		}
		positional, err := parseInterleaved(fs, args[1:])
		if errors.Is(err, flag.ErrHelp) {
			stdout.Write(parseOut.Bytes())
			return 0
		}
		stderr.Write(parseOut.Bytes())
		fs.SetOutput(stderr)
		if err != nil {
			return 2
		}
		if err := body(positional); err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "cnnc %s: %v\n", c.name, err)
				fs.Usage()
				return 2
			}
			fmt.Fprintf(stderr, "cnnc %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "cnnc: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "cnnc compiles convolutional neural networks (.cnn DSL or .onnx) into plain Go packages.\n\nusage: cnnc COMMAND [flags] MODEL ...\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, "\nexamples:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n", c.example)
	}
	fmt.Fprintf(w, "\nRun 'cnnc help COMMAND' for a command's flags.\n")
}

// usageError is a mistake in the command line; the command's usage is
// printed after it.
type usageError string

func (e usageError) Error() string { return string(e) }

// parseInterleaved parses flags that may come before or after positional
// arguments ("cnnc summary model.cnn -macs"), as users type them.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// dimsFlag collects repeated -dim NAME=VALUE flags.
type dimsFlag map[string]int

func (d dimsFlag) String() string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, d[k])
	}
	return strings.Join(parts, ",")
}

func (d dimsFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	var n int
	if _, err := fmt.Sscanf(val, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != val {
		return fmt.Errorf("dimension %s=%s must be a positive integer", name, val)
	}
	d[name] = n
	return nil
}
