package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// A tile is one digit to draw with the lines of text under it.
type tile struct {
	img     []byte // side*side pixels, 0 background
	caption []string
}

// ink is the pixel value from which a pixel is drawn: about the middle of
// the anti-aliased edge, so strokes keep their width.
const ink = 96

// screenWidth is the terminal width the tiles are laid out for.
const screenWidth = 80

const gap = 3 // spaces between tiles

// drawTiles draws the digits side by side, as many to a row as fit in
// screenWidth, two pixel rows to a line with the half blocks ▀ ▄ █. All
// tiles are cropped to the same box, the smallest holding every inked
// pixel of any of them, so that they line up.
func drawTiles(w io.Writer, tiles []tile) error {
	if len(tiles) == 0 {
		return nil
	}
	top, bottom, left, right := side, -1, side, -1
	for _, t := range tiles {
		for y := range side {
			for x := range side {
				if t.img[y*side+x] >= ink {
					top, bottom = min(top, y), max(bottom, y)
					left, right = min(left, x), max(right, x)
				}
			}
		}
	}
	if bottom < 0 { // all blank: draw the whole frame
		top, bottom, left, right = 0, side-1, 0, side-1
	}
	if (bottom-top+1)%2 == 1 { // whole lines of two pixel rows
		if bottom < side-1 {
			bottom++
		} else {
			top--
		}
	}
	width := right - left + 1
	for _, t := range tiles {
		for _, c := range t.caption {
			width = max(width, utf8.RuneCountInString(c))
		}
	}
	perRow := max(1, (screenWidth+gap)/(width+gap))
	var b strings.Builder
	for start := 0; start < len(tiles); start += perRow {
		row := tiles[start:min(start+perRow, len(tiles))]
		for y := top; y <= bottom; y += 2 {
			var cells []string
			for _, t := range row {
				var line strings.Builder
				for x := left; x <= right; x++ {
					line.WriteString(halfBlock(t.img[y*side+x] >= ink, t.img[(y+1)*side+x] >= ink))
				}
				cells = append(cells, line.String())
			}
			writeRow(&b, cells, width)
		}
		lines := 0
		for _, t := range row {
			lines = max(lines, len(t.caption))
		}
		for l := range lines {
			var cells []string
			for _, t := range row {
				c := ""
				if l < len(t.caption) {
					c = t.caption[l]
				}
				cells = append(cells, c)
			}
			writeRow(&b, cells, width)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRow writes cells padded to width, gap apart, without trailing
// spaces.
func writeRow(b *strings.Builder, cells []string, width int) {
	var line strings.Builder
	for i, c := range cells {
		if i > 0 {
			line.WriteString(strings.Repeat(" ", gap))
		}
		line.WriteString(c)
		line.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(c)))
	}
	b.WriteString(strings.TrimRight(line.String(), " "))
	b.WriteString("\n")
}

// halfBlock is the character for a pixel above another.
func halfBlock(upper, lower bool) string {
	switch {
	case upper && lower:
		return "█"
	case upper:
		return "▀"
	case lower:
		return "▄"
	}
	return " "
}

// pickDigits chooses n test images to draw: the first n, with the last
// replaced by the first misclassified image if none of them is wrong, so
// that a drawing of two or more shows a mistake when there is one.
func pickDigits(n int, class, labels []int) []int {
	n = min(n, len(labels))
	picks := make([]int, n)
	wrong := false
	for i := range picks {
		picks[i] = i
		wrong = wrong || class[i] != labels[i]
	}
	if n < 2 || wrong {
		return picks
	}
	for i := n; i < len(labels); i++ {
		if class[i] != labels[i] {
			picks[n-1] = i
			break
		}
	}
	return picks
}

// caption is the text under a digit: the image's index, the predicted
// and the true label, and the predicted class's score.
func caption(i, pred, label int, score float32) []string {
	mark := "ok"
	if pred != label {
		mark = "WRONG"
	}
	return []string{
		fmt.Sprintf("#%d: %d, true %d", i, pred, label),
		fmt.Sprintf("score %.4f %s", score, mark),
	}
}
