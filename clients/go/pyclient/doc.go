// Package pyclient tests the Python client (clients/python) from Go: it
// starts an annotator and an orchestrator test double on loopback and runs
// the Python unittest suite and the example script against them with
// Debian's /usr/bin/python3, and checks the generated Python stubs against
// the protos.
package pyclient
