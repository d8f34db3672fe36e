package analysis

import (
	"context"
	"testing"
)

// idView is what the layout golden files pin down: ids, the edges between
// them, the APIs left outside the repository and the traits.
type idView struct {
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Callees   []Callee  `json:"callees,omitempty"`
	APICalls  []APICall `json:"api_calls,omitempty"`
	IsTest    bool      `json:"is_test,omitempty"`
	IsDunder  bool      `json:"is_dunder,omitempty"`
	IsTrivial bool      `json:"is_trivial,omitempty"`
}

// TestModuleIDsGolden covers the three places an import root can be: the
// package itself (it keeps its name), a checkout with a src/ layout
// (looked through) and a plain checkout (the root).
func TestModuleIDsGolden(t *testing.T) {
	tests := []struct {
		name, root, golden string
	}{
		{"package root", "testdata/layouts/pkgroot/mypkg", "ids_package_root.json"},
		{"src layout", "testdata/layouts/srclayout", "ids_src_layout.json"},
		{"plain checkout", "testdata/layouts/checkout", "ids_checkout.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), Options{Root: tt.root})
			if err != nil {
				t.Fatal(err)
			}
			var view []idView
			for _, f := range res.Functions {
				view = append(view, idView{ID: f.ID, Path: f.Path, Callees: f.Callees, APICalls: f.APICalls,
					IsTest: f.IsTest, IsDunder: f.IsDunder, IsTrivial: f.IsTrivial})
			}
			checkGolden(t, tt.golden, view)
		})
	}
}
