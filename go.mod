module github.com/cnnc/cnnc

go 1.26.8
