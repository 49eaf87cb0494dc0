package digits

//go:generate go tool cnnc compile digits.cnn -o . -pkg digits
