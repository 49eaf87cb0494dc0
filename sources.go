// Package cnnc carries, inside the cnnc binary, the sources a generated
// package needs at build time: the runtime kernels and the module files
// that pin their one dependency. cnnc check --engine go and cnnc bench use
// them to build generated code in a temporary module wherever cnnc runs,
// without a checkout of this repository.
//
// The compiler itself lives in the subpackages; see the README.
package cnnc

import "embed"

// Sources holds go.mod, go.sum, the runtime package's non-test files (with
// its AMX kernels, runtime/internal/amx) and the Go engine's runner
// package.
//
//go:embed go.mod go.sum runtime/*.go runtime/*.s runtime/internal/amx/*.go runtime/internal/amx/*.s runtime/modeltest/*.go engine/runner/*.go
var Sources embed.FS

// ModulePath is this module's import path.
const ModulePath = "github.com/cnnc/cnnc"
