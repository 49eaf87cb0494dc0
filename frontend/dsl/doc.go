// Package dsl is cnnc's front end for models written as Keras Sequential
// code: the model definition of a Keras script, pasted as it stands.
//
//	from keras.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
//	from keras.models import Sequential
//
//	model = Sequential()
//	model.add(Conv2D(filters=32, kernel_size=(3, 3), input_shape=(28, 28, 1)))
//	model.add(Activation('relu'))
//	model.add(MaxPooling2D(pool_size=(2, 2)))
//	model.add(Flatten())
//	model.add(Dense(10, activation='softmax'))
//	model.summary()
//
// The language is a small subset of Python: imports (ignored), one
// `model = Sequential(...)`, `model.add(Layer(...))` or bare `Layer(...)`
// statements, `model.summary()` and `model.compile(...)` (ignored), with
// Python literals as arguments. GRAMMAR.md in this directory describes it
// in full, with every layer, its arguments and their defaults.
//
// Parse reads the syntax into a File; Build resolves layers and arguments
// with Keras' semantics (channels-last, Keras' defaults and default layer
// names), builds a typed ir.Graph and binds the weights, from a
// Keras-compatible .npz or a seeded Glorot-uniform initialisation; Load
// does both for a file on disk. Errors are file:line:col: message, several
// at once where that is natural, and no input makes the package panic.
package dsl
