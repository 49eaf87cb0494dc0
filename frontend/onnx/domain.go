package onnx

import (
	"fmt"
	"slices"
	"strings"
)

// Operators of domains other than ai.onnx. ONNX Runtime's com.microsoft
// domain holds the quantized operators (QLinearAdd, QLinearConcat, ...)
// that quantized model-zoo CNNs use; a model imports that domain with an
// opset_import entry of its own (version 1), which the importers of that
// domain are checked against.

// msDomain is ONNX Runtime's contrib-operator domain.
const msDomain = "com.microsoft"

// domains maps a normalized domain other than ai.onnx to its op types'
// importers. Each op's file registers its entries from its init function;
// the maps are written only while the package initializes.
var domains = map[string]map[string]opEntry{}

// registerIn registers an importer of an operator of another domain.
func registerIn(domain, opType string, e opEntry) {
	m := domains[domain]
	if m == nil {
		m = map[string]opEntry{}
		domains[domain] = m
	}
	if _, dup := m[opType]; dup {
		panic("onnx: two importers registered for " + domain + "." + opType) // a programming error, found by any test
	}
	m[opType] = e
}

// lookupOp finds the importer of an op type of a normalized domain.
func lookupOp(domain, opType string) (opEntry, bool) {
	if domain == "" {
		e, ok := registry[opType]
		return e, ok
	}
	e, ok := domains[domain][opType]
	return e, ok
}

// unknownOpReason says why an op type of a domain has no importer.
func unknownOpReason(domain, opType string) (suggested []string, reason string) {
	if domain == "" {
		return didYouMean(opType)
	}
	ops, ok := domains[domain]
	if !ok {
		known := []string{"ai.onnx"}
		for d := range domains {
			known = append(known, d)
		}
		slices.Sort(known[1:])
		return nil, fmt.Sprintf("only the %s domains are supported", orJoin(known))
	}
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Sprintf("of the %s domain cnnc imports only %s", domain, strings.Join(names, ", "))
}
