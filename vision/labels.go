package vision

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Class is one entry of a model's output ranked by TopK.
type Class struct {
	Index int     // position in the output
	Score float32 // the output value: a probability or a logit
	Label string  // labels[Index], or "" when there is no such label
}

// String formats c as "Label (Index): Score", or "Index: Score" without a label.
func (c Class) String() string {
	if c.Label == "" {
		return fmt.Sprintf("%d: %.4g", c.Index, c.Score)
	}
	return fmt.Sprintf("%s (%d): %.4g", c.Label, c.Index, c.Score)
}

// ranksBefore orders scores from highest to lowest, NaN after every number,
// and equal scores (and NaNs) by lower index.
func ranksBefore(a float32, i int, b float32, j int) bool {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return i < j
	case an:
		return false
	case bn:
		return true
	case a != b:
		return a > b
	}
	return i < j
}

// TopK returns the k highest scores, highest first; equal scores come in index
// order and NaNs after every number. k is clipped to len(scores); k <= 0 gives
// nil. labels (nil for none) name the classes: Class.Label is labels[Index] when
// labels has that many entries. Scores may be probabilities or logits: the
// ranking is the same (use Softmax first to report probabilities).
func TopK(scores []float32, k int, labels []string) []Class {
	k = min(k, len(scores))
	if k <= 0 {
		return nil
	}
	top := make([]Class, 0, k)
	if k <= 32 {
		// Insertion into a short sorted list: one pass over the scores.
		for i, s := range scores {
			if len(top) == k && !ranksBefore(s, i, top[k-1].Score, top[k-1].Index) {
				continue
			}
			if len(top) < k {
				top = append(top, Class{})
			}
			j := len(top) - 1
			for j > 0 && ranksBefore(s, i, top[j-1].Score, top[j-1].Index) {
				top[j] = top[j-1]
				j--
			}
			top[j] = Class{Index: i, Score: s}
		}
	} else {
		idx := make([]int, len(scores))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(i, j int) int {
			if ranksBefore(scores[i], i, scores[j], j) {
				return -1
			}
			if i == j {
				return 0
			}
			return 1
		})
		for _, i := range idx[:k] {
			top = append(top, Class{Index: i, Score: scores[i]})
		}
	}
	for i := range top {
		if top[i].Index < len(labels) {
			top[i].Label = labels[top[i].Index]
		}
	}
	return top
}

// ReadLabels reads class names, one per line, as in the synset or
// imagenet_classes.txt files published with classifiers: line i (from 0) names
// output i. Lines are kept as they are (so "n01440764 tench" stays whole) except
// that a trailing "\r" and surrounding spaces are trimmed and a UTF-8 byte order
// mark is dropped; blank lines at the end are ignored, blank lines before the last
// label are kept as empty labels so that indexes stay right. Lines may be of any
// length.
func ReadLabels(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var labels []string
	for first := true; ; first = false {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("vision: reading labels: %w", err)
		}
		if first {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line != "" || err == nil {
			labels = append(labels, strings.TrimSpace(line))
		}
		if err == io.EOF {
			break
		}
	}
	for len(labels) > 0 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	if len(labels) == 0 {
		return nil, nil
	}
	return labels, nil
}

// Softmax replaces x by softmax(x): exp(x[i]-max) / sum(exp(x[j]-max)), values
// in 0..1 summing to 1, computed in float64 so that large logits neither overflow
// nor lose the small classes. Use it on the output of models that end in a plain
// linear layer and so give logits (most ONNX classifiers, torchvision's
// among them); a model whose last layer is a softmax (the DSL's
// Activation('softmax'), an ONNX Softmax node) already gives probabilities.
// NaN in x makes every value NaN; +Inf entries share the probability.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := math.Inf(-1)
	for _, v := range x {
		if float64(v) > m || v != v {
			m = float64(v)
			if v != v {
				break
			}
		}
	}
	if math.IsInf(m, 1) {
		for i, v := range x {
			x[i] = 0
			if math.IsInf(float64(v), 1) {
				x[i] = 1
			}
		}
		n := float32(0)
		for _, v := range x {
			n += v
		}
		for i := range x {
			x[i] /= n
		}
		return
	}
	if math.IsInf(m, -1) { // every entry -Inf: uniform
		for i := range x {
			x[i] = 1 / float32(len(x))
		}
		return
	}
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v)-m) / sum)
	}
}
