package pystd

import "testing"

func TestIsStdlib(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"os", true},
		{"os.path.join", true},
		{"collections.abc.Mapping", true},
		{"asyncio", true},
		{"numpy", false},
		{"numpy.mean", false},
		{"requests.get", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsStdlib(tt.path); got != tt.want {
			t.Errorf("IsStdlib(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestIsBuiltin(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"len", true},
		{"super", true},
		{"Exception", true},
		{"print", true},
		{"numpy", false},
		{"self", false},
	}
	for _, tt := range tests {
		if got := IsBuiltin(tt.name); got != tt.want {
			t.Errorf("IsBuiltin(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
