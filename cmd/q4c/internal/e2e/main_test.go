package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: process readers,
// fakellm servers and client connections all end at test cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
