// Package tableio holds lsgd's Table, the row-major numeric table a fit
// reads (features and target side by side, float64 or float32), and its
// files: CSV (ReadCSV, WriteCSV) and NumPy .npy (ReadNPY, WriteNPY), chosen
// by extension in LoadTable and SaveTable, and WriteFileAtomic, the one way
// lsgd writes a file; ReadNIST reads a NIST StRD linear-regression dataset
// with its certified values. Errors in the input are *InputError values naming the
// file, line or row, and column.
package tableio
