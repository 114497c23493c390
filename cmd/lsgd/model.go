package main

import "time"

// now is the creation time a saved lsgd.Model records.
func now() string { return time.Now().UTC().Format(time.RFC3339) }
