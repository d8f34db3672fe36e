package cli

import (
	"testing"

	"go.uber.org/goleak"
)

// The commands start the four services in process; none may outlive its command.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
