// Package apicheck tests scripts/check-breaking, the API stability gate of
// `make lint`: in a throwaway git repository holding a copy of the protos,
// renumbering or removing a field must fail `buf breaking` against main and
// an additive change must pass.
package apicheck
