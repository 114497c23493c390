// Package tableio holds lsgd's Table, the row-major numeric table a fit
// reads (features and target side by side, float64 or float32), and its
// files: CSV (ReadCSV, WriteCSV), NumPy .npy (ReadNPY, WriteNPY) and
// Parquet (ReadParquet, WriteParquet), chosen by extension in LoadTable and
// SaveTable; LoadTable also reads a directory or glob of shards as one
// table. WriteFileAtomic is the one way lsgd writes a file; ReadNIST reads
// a NIST StRD linear-regression dataset with its certified values. Errors
// in the input are *InputError values naming the file, line or row, and
// column.
package tableio
