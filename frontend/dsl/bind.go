package dsl

import (
	"fmt"
	"slices"
	"strings"
)

// maxLayers bounds the layers of one model.
const maxLayers = 10_000

// layer is one resolved layer call: its class, its name and its arguments
// converted and completed with Keras' defaults.
type layer struct {
	spec  *layerSpec
	name  string
	pos   Pos // where the layer's class name is written
	args  map[string]any
	given map[string]Pos // arguments the call spelled out, and where
}

// has reports whether the call gave the argument.
func (l *layer) has(name string) bool { _, ok := l.given[name]; return ok }

// at returns the position of argument name, or of the call.
func (l *layer) at(name string) Pos {
	if p, ok := l.given[name]; ok {
		return p
	}
	return l.pos
}

func (l *layer) int(name string) int       { return l.args[name].(int) }
func (l *layer) bool(name string) bool     { return l.args[name].(bool) }
func (l *layer) str(name string) string    { return l.args[name].(string) }
func (l *layer) pair(name string) [2]int   { return l.args[name].([2]int) }
func (l *layer) float(name string) float64 { return l.args[name].(float64) }

// model is a resolved file: the model's name, its input and its layers.
type model struct {
	name      string
	namePos   Pos
	input     *inputDecl
	layers    []*layer
	modelVar  string // the name bound by `model = Sequential()`
	modelDecl Pos
}

// inputDecl is the model input: from an Input/InputLayer statement or the
// first layer's input_shape.
type inputDecl struct {
	name  string // "" for the default, "input"
	batch int    // ir.Batch or a fixed size
	shape []int  // without the batch dimension
	pos   Pos
}

// resolver turns statements into a model, collecting errors.
type resolver struct {
	m     *model
	errs  *errorSink
	count map[string]int // Keras' per-class default-name counters
	names map[string]Pos // names taken so far
}

// modelMethods are the methods of a Sequential model a file may call.
var modelMethods = []string{"add", "summary", "compile"}

func resolve(f *File) (*model, error) {
	r := &resolver{m: &model{}, errs: &errorSink{}, count: map[string]int{}, names: map[string]Pos{}}
	for _, s := range f.Stmts {
		if r.errs.full {
			break
		}
		r.stmt(s)
	}
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	if len(r.m.layers) == 0 {
		return nil, &Error{Pos: Pos{Filename: f.Filename}, Msg: "the model has no layers; add some with model.add(Conv2D(...)) or Conv2D(...) statements"}
	}
	if r.m.input == nil {
		l := r.m.layers[0]
		return nil, &Error{Pos: l.pos, Msg: fmt.Sprintf("the model's input shape is not given: add input_shape=(height, width, channels) to the first layer %s, or an Input(shape=...) statement before it", l.spec.class)}
	}
	return r.m, nil
}

func (r *resolver) errorf(p Pos, format string, args ...any) {
	r.errs.addf(p, format, args...)
}

func (r *resolver) stmt(s Stmt) {
	switch s := s.(type) {
	case *ImportStmt:
		// Keras imports carry nothing the model needs.
	case *AssignStmt:
		r.assign(s)
	case *ExprStmt:
		c, ok := s.X.(*Call)
		if !ok {
			r.errorf(s.Start(), "%s does nothing: a statement must be a call such as model.add(Conv2D(...)) or Conv2D(...)", clip(ExprString(s.X)))
			return
		}
		r.callStmt(c)
	}
}

// calleeName returns the last component of a call's callee (Conv2D in
// keras.layers.Conv2D): module prefixes are ignored, so tf.keras.layers,
// keras.layers and layers all work.
func calleeName(c *Call) (string, bool) {
	n, ok := dottedName(c.Fun)
	if !ok {
		return "", false
	}
	return n[strings.LastIndexByte(n, '.')+1:], true
}

func (r *resolver) assign(s *AssignStmt) {
	c, ok := s.Value.(*Call)
	name := ""
	if ok {
		name, ok = calleeName(c)
	}
	if !ok || name != "Sequential" {
		hint := ""
		if ok && suggest(name, []string{"Sequential"}) != "" {
			hint = "; did you mean Sequential?"
		}
		r.errorf(s.Start(), "only `model = Sequential(...)` assignments are supported, not %s = %s: the DSL describes a model, it does not run Python%s", s.Target.Name, clip(ExprString(s.Value)), hint)
		return
	}
	if r.m.modelVar != "" {
		r.errorf(s.Start(), "a file defines one model; %s was already assigned a Sequential model at %d:%d", r.m.modelVar, r.m.modelDecl.Line, r.m.modelDecl.Col)
		return
	}
	r.m.modelVar, r.m.modelDecl = s.Target.Name, s.Start()
	r.sequential(c)
}

// sequential handles Sequential(layers=None, name=None).
func (r *resolver) sequential(c *Call) {
	params := []param{
		{name: "layers", conv: ignoredConv},
		{name: "name", conv: nameConv},
	}
	var layers Expr
	for i, a := range c.Args {
		name := a.Name
		if name == "" {
			if i >= len(params) {
				r.errorf(a.Value.Start(), "Sequential takes at most 2 positional arguments (layers, name), got %d", len(c.Args))
				return
			}
			name = params[i].name
		}
		switch name {
		case "layers":
			layers = a.Value
		case "name":
			v, err := evalLiteral(a.Value)
			if err != nil {
				r.errs.add(err)
				continue
			}
			n, why := nameConv.apply(v)
			if why != "" {
				r.argError("Sequential", "name", nameConv, v, why)
				continue
			}
			if r.m.name != "" {
				r.errorf(a.Value.Start(), "the model's name is already set at %d:%d", r.m.namePos.Line, r.m.namePos.Col)
				continue
			}
			r.m.name, r.m.namePos = n.(string), v.pos
		default:
			r.errorf(a.NamePos, "Sequential has no argument %s%s", name, didYouMean(name, []string{"layers", "name"}))
		}
	}
	if layers == nil {
		return
	}
	var elems []Expr
	switch l := layers.(type) {
	case *List:
		elems = l.Elems
	case *Tuple:
		elems = l.Elems
	case *Ident:
		if l.Name == "None" {
			return
		}
	}
	if elems == nil && !isEmptySeq(layers) {
		r.errorf(layers.Start(), "Sequential's layers must be a list of layer calls such as [Conv2D(32, 3), Flatten()], not %s", clip(ExprString(layers)))
		return
	}
	for _, e := range elems {
		if c, ok := e.(*Call); ok {
			r.layerCall(c, false)
		} else {
			r.errorf(e.Start(), "expected a layer call such as Conv2D(32, 3), found %s", clip(ExprString(e)))
		}
	}
}

func isEmptySeq(e Expr) bool {
	switch e := e.(type) {
	case *List:
		return len(e.Elems) == 0
	case *Tuple:
		return len(e.Elems) == 0
	}
	return false
}

// callStmt handles a call used as a statement: a method of the model, a
// bare layer, or Sequential(...) as a header.
func (r *resolver) callStmt(c *Call) {
	if sel, ok := c.Fun.(*Selector); ok {
		if id, ok := sel.X.(*Ident); ok && (id.Name == r.m.modelVar || r.m.modelVar == "" && id.Name == "model") {
			r.method(c, id, sel)
			return
		}
	}
	if sel, ok := c.Fun.(*Selector); ok && r.m.modelVar != "" && slices.Contains(modelMethods, sel.Sel) {
		if id, ok := sel.X.(*Ident); ok {
			r.errorf(id.At, "%s is not defined; the model is %s (assigned at %d:%d)", id.Name, r.m.modelVar, r.m.modelDecl.Line, r.m.modelDecl.Col)
			return
		}
	}
	name, ok := calleeName(c)
	if ok && name == "Sequential" {
		if r.m.modelVar != "" || r.m.modelDecl.IsValid() {
			r.errorf(c.Start(), "a file defines one model; Sequential(...) was already used at %d:%d", r.m.modelDecl.Line, r.m.modelDecl.Col)
			return
		}
		r.m.modelDecl = c.Start()
		r.sequential(c)
		return
	}
	r.layerCall(c, true)
}

func (r *resolver) method(c *Call, id *Ident, sel *Selector) {
	if r.m.modelVar == "" {
		r.errorf(id.At, "%s is not defined: start the model with %s = Sequential()", id.Name, id.Name)
		return
	}
	switch sel.Sel {
	case "add":
		if len(c.Args) != 1 || c.Args[0].Name != "" && c.Args[0].Name != "layer" {
			r.errorf(sel.SelPos, "%s.add takes one layer, as in %s.add(Conv2D(32, (3, 3)))", id.Name, id.Name)
			return
		}
		lc, ok := c.Args[0].Value.(*Call)
		if !ok {
			r.errorf(c.Args[0].Value.Start(), "expected a layer call such as Conv2D(32, (3, 3)), found %s", clip(ExprString(c.Args[0].Value)))
			return
		}
		r.layerCall(lc, false)
	case "summary", "compile":
		// They print or configure training; the model is the same
		// without them. Their arguments have parsed, which is all
		// they need.
	default:
		hint := didYouMean(sel.Sel, modelMethods)
		if hint == "" {
			hint = "; remove it: training, evaluation, prediction and saving belong in Python, not in the model file"
		}
		r.errorf(sel.SelPos, "%s.%s(...) is not supported: a model file holds the model definition only (%s.add, %s.summary and %s.compile)%s",
			id.Name, sel.Sel, id.Name, id.Name, id.Name, hint)
	}
}

// layerCall resolves one layer call. bare says it stands alone as a
// statement (the terse form), where a call that is no layer at all gets a
// different message.
func (r *resolver) layerCall(c *Call, bare bool) {
	name, ok := calleeName(c)
	if !ok {
		r.errorf(c.Start(), "expected a layer call such as Conv2D(32, (3, 3)), found %s", clip(ExprString(c)))
		return
	}
	spec := specByName[name]
	if spec == nil {
		hint := didYouMean(name, layerNames())
		looksLayer := hint != "" || name != "" && name[0] >= 'A' && name[0] <= 'Z'
		switch {
		case looksLayer || !bare:
			r.errorf(c.Start(), "unknown layer %s%s", name, orList(hint, layerNames()))
		default:
			r.errorf(c.Start(), "%s(...) is not supported: a model file holds the model definition only (imports, model = Sequential(...), model.add(...), layer calls, model.summary(), model.compile(...))", clip(ExprString(c.Fun)))
		}
		return
	}
	if len(r.m.layers) >= maxLayers {
		r.errorf(c.Start(), "the model has more than %d layers", maxLayers)
		r.errs.full = true
		return
	}
	l := &layer{spec: spec, pos: c.Start(), args: map[string]any{}, given: map[string]Pos{}}
	if !r.bindArgs(l, c) {
		return
	}
	if spec.input {
		r.inputLayer(l)
		return
	}
	r.inputFromLayer(l)
	r.nameLayer(l)
	r.m.layers = append(r.m.layers, l)
}

// orList adds the list of valid names when there is no close match.
func orList(hint string, names []string) string {
	if hint != "" {
		return hint
	}
	return "; cnnc knows " + strings.Join(names, ", ")
}

// bindArgs matches a call's arguments to the spec's parameters as Python
// would, converts each and fills in the defaults. It reports every problem
// it finds and returns whether there were none.
func (r *resolver) bindArgs(l *layer, c *Call) bool {
	spec := l.spec
	all := spec.allParams()
	var positional []param
	for _, p := range all {
		if !p.kwOnly {
			positional = append(positional, p)
		}
	}
	ok := true
	suggested := map[string]bool{} // parameters a misspelt keyword was taken for
	bind := func(p param, e Expr, at Pos) {
		if _, dup := l.given[p.name]; dup {
			r.errorf(at, "%s got multiple values for argument %s", spec.class, p.name)
			ok = false
			return
		}
		l.given[p.name] = at
		v, err := evalLiteral(e)
		if err != nil {
			err.Msg = fmt.Sprintf("%s argument %s: %s", spec.class, p.name, err.Msg)
			r.errs.add(err)
			ok = false
			return
		}
		x, why := p.conv.apply(v)
		if why != "" {
			r.argError(spec.class, p.name, p.conv, v, why)
			ok = false
			return
		}
		l.args[p.name] = x
	}
	for i, a := range c.Args {
		if a.Name == "" {
			if i >= len(positional) {
				r.errorf(a.Value.Start(), "%s takes at most %d positional arguments (%s), got %d; pass the others by keyword",
					spec.class, len(positional), paramList(positional), countPositional(c))
				ok = false
				break
			}
			bind(positional[i], a.Value, a.Value.Start())
			continue
		}
		p, found := findParam(all, a.Name)
		if !found {
			s := suggest(a.Name, spec.paramNames())
			suggested[s] = true
			r.errorf(a.NamePos, "%s has no argument %s%s", spec.class, a.Name, orList(didYouMean(a.Name, spec.paramNames()), spec.paramNames()))
			ok = false
			continue
		}
		bind(p, a.Value, a.NamePos)
	}
	for _, p := range all {
		if _, set := l.given[p.name]; set {
			continue
		}
		if p.required {
			if !suggested[p.name] { // else the misspelling is reported
				r.errorf(c.Rparen, "%s is missing its required argument %s", spec.class, p.name)
			}
			ok = false
			continue
		}
		l.args[p.name] = p.def
	}
	return ok && r.checkLayer(l)
}

func findParam(ps []param, name string) (param, bool) {
	for _, p := range ps {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

func paramList(ps []param) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

func countPositional(c *Call) int {
	n := 0
	for _, a := range c.Args {
		if a.Name == "" {
			n++
		}
	}
	return n
}

func (r *resolver) argError(class, name string, c converter, v value, why string) {
	if why == badType {
		r.errorf(v.pos, "%s argument %s must be %s, not %s", class, name, c.want, v.describe())
		return
	}
	r.errorf(v.pos, "%s argument %s: %s", class, name, why)
}

// checkLayer applies the rules Keras enforces between arguments.
func (r *resolver) checkLayer(l *layer) bool {
	ok := true
	bad := func(arg, format string, args ...any) {
		r.errorf(l.at(arg), "%s: %s", l.spec.class, fmt.Sprintf(format, args...))
		ok = false
	}
	switch l.spec.class {
	case "Conv2D":
		s, d := l.pair("strides"), l.pair("dilation_rate")
		if (s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1) {
			bad("dilation_rate", "strides %v and dilation_rate %v cannot both be greater than 1 (Keras rejects this too)", tuple(s[:]), tuple(d[:]))
		}
		if g := l.int("groups"); l.int("filters")%g != 0 {
			bad("groups", "filters (%d) must be divisible by groups (%d)", l.int("filters"), g)
		}
	case "BatchNormalization":
		if !l.bool("center") {
			bad("center", "center=False is not supported")
		}
		if !l.bool("scale") {
			bad("scale", "scale=False is not supported")
		}
	case "ReLU":
		if l.float("threshold") != 0 {
			bad("threshold", "a non-zero threshold is not supported")
		}
	case "LeakyReLU":
		if l.has("alpha") && l.has("negative_slope") {
			bad("negative_slope", "give alpha or negative_slope, not both")
		}
	}
	return ok
}

// tuple formats ints as a Python tuple.
func tuple(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// nameLayer gives the layer its name: name= if given, else Keras' default,
// the class in snake_case with a per-class counter (conv2d, conv2d_1, ...).
// Only unnamed layers advance the counter, as in Keras.
func (r *resolver) nameLayer(l *layer) {
	if n, ok := l.args["name"].(string); ok {
		l.name = n
	} else {
		k := r.count[l.spec.base]
		r.count[l.spec.base] = k + 1
		l.name = l.spec.base
		if k > 0 {
			l.name = fmt.Sprintf("%s_%d", l.spec.base, k)
		}
	}
	r.claim(l.name, l.at("name"))
}

// claim records a layer or input name, reporting a duplicate.
func (r *resolver) claim(name string, at Pos) {
	if prev, dup := r.names[name]; dup {
		r.errorf(at, "duplicate layer name %q (first used at %d:%d); layer names must be unique", name, prev.Line, prev.Col)
		return
	}
	r.names[name] = at
}

// inputLayer handles Input(...) and InputLayer(...), which declare the
// model input; they must come before every other layer.
func (r *resolver) inputLayer(l *layer) {
	if len(r.m.layers) > 0 {
		r.errorf(l.pos, "%s must come before the first layer", l.spec.class)
		return
	}
	if r.m.input != nil {
		r.errorf(l.pos, "the model input is already declared at %d:%d", r.m.input.pos.Line, r.m.input.pos.Col)
		return
	}
	d := r.shapeArgs(l, []string{"shape", "input_shape", "batch_shape", "batch_input_shape"})
	if d == nil {
		if !r.errs.full {
			r.errorf(l.pos, "%s needs a shape, as in %s(shape=(28, 28, 1))", l.spec.class, l.spec.class)
		}
		return
	}
	if n, ok := l.args["name"].(string); ok {
		d.name = n
		r.claim(n, l.at("name"))
	}
	r.m.input = d
}

// inputFromLayer takes the model input from a layer's input_shape (or
// batch_input_shape, or input_dim), as Keras does for the first layer. On a
// later layer Keras ignores it; here it must at least agree with the
// declared input, which catches a misplaced or stale shape.
func (r *resolver) inputFromLayer(l *layer) {
	d := r.shapeArgs(l, []string{"input_shape", "batch_input_shape", "input_dim"})
	if d == nil {
		if l.has("batch_size") {
			r.errorf(l.at("batch_size"), "%s: batch_size goes with input_shape", l.spec.class)
		}
		return
	}
	switch {
	case len(r.m.layers) == 0 && r.m.input == nil:
		r.m.input = d
	case len(r.m.layers) == 0:
		if !slices.Equal(d.shape, r.m.input.shape) {
			r.errorf(d.pos, "%s: input shape %s disagrees with the input declared at %d:%d, %s", l.spec.class, tuple(d.shape), r.m.input.pos.Line, r.m.input.pos.Col, tuple(r.m.input.shape))
		}
	default:
		r.errorf(d.pos, "%s: input_shape is only meaningful on the first layer", l.spec.class)
	}
}

// shapeArgs reads the shape-declaring arguments among names (at most one
// may be given) plus batch_size.
func (r *resolver) shapeArgs(l *layer, names []string) *inputDecl {
	var d *inputDecl
	given := ""
	for _, n := range names {
		v := l.args[n]
		if v == nil {
			continue
		}
		if d != nil {
			r.errorf(l.at(n), "%s: give only one of %s and %s", l.spec.class, given, n)
			return nil
		}
		given = n
		d = &inputDecl{batch: -1, pos: l.at(n)}
		switch v := v.(type) {
		case []int:
			d.shape = v
		case batchShape:
			d.batch, d.shape = v.batch, v.shape
		case int:
			d.shape = []int{v}
		}
	}
	if bs, ok := l.args["batch_size"].(int); ok && d != nil {
		if d.batch >= 0 {
			r.errorf(l.at("batch_size"), "%s: the batch size is already in %s", l.spec.class, given)
			return nil
		}
		d.batch = bs
	}
	return d
}
