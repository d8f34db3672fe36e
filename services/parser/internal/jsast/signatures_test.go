package jsast

import (
	"strings"
	"testing"
)

// Two generic call signatures on consecutive lines of an interface: tree-sitter alone reads the
// first's return type and the next line's '<' as one generic type, and the error swallows the
// function after it. Parse must give a tree without errors in which the function is found.
func TestGenericCallSignaturesOnConsecutiveLines(t *testing.T) {
	src := "export interface Factory extends A {\n" +
		"    // nameless\n" +
		"    <T extends Function | undefined>(fn: T): T\n" +
		"    // named\n" +
		"    <T>(name: string, fn: T): T\n" +
		"    bound: A & B\n" +
		"}\n\n" +
		"export function isAction(thing: any) {\n    return typeof thing === \"function\"\n}\n"
	p := NewParser()
	defer p.Close()
	tree, err := p.Parse([]byte(src), TypeScript)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	root := tree.RootNode()
	if root.HasError() {
		t.Fatalf("tree has errors: %s", root.String())
	}
	if !strings.Contains(root.String(), "(function_declaration name: (identifier)") {
		t.Errorf("no function declaration in %s", root.String())
	}
	// Byte offsets are those of src: the function's name is where src has it.
	last := root.NamedChild(int(root.NamedChildCount()) - 1)
	if got := last.Content([]byte(src)); !strings.HasPrefix(got, "export function isAction(") {
		t.Errorf("last statement reads %q from src", got)
	}
}

func TestEndMembersBeforeAngles(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"after a type", "interface I {\n  <T>(a: T): T\n  <T>(b: T): T\n}", "interface I {\n  <T>(a: T): T\n ;<T>(b: T): T\n}"},
		{"comment lines looked through", "interface I {\n  (a): T\n  // two\n  <T>(b: T): T\n}", "interface I {\n  (a): T\n  // two\n ;<T>(b: T): T\n}"},
		{"first member", "interface I {\n  <T>(a: T): T\n}", ""},
		{"after an operator", "type U = A |\n  <T>(a: T) => T", ""},
		{"no indentation", "x = a\n<T>(b: T): T", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(endMembersBeforeAngles([]byte(tc.in)))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if got != "" && len(got) != len(tc.in) {
				t.Errorf("length changed: %d -> %d", len(tc.in), len(got))
			}
		})
	}
}
