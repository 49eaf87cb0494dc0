package digits

//go:generate go run github.com/cnnc/cnnc/cmd/cnnc compile digits.cnn -o . -pkg digits
