package server

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func register(cfg Config) func(*platformserver.Server) error {
	return func(s *platformserver.Server) error {
		srv, err := New(cfg)
		if err != nil {
			return err
		}
		srv.Register(s.GRPC())
		return nil
	}
}

func TestContract(t *testing.T) {
	servertest.CheckContract(t, servertest.Contract{
		Service:  "query4code.parser.v1.ParserService",
		Register: register(Config{AllowedRoots: []string{t.TempDir()}}),
		Invalid: func(ctx context.Context, conn *grpc.ClientConn) error {
			stream, err := parserv1.NewParserServiceClient(conn).ParseRepository(ctx, &parserv1.ParseRepositoryRequest{
				Source: &parserv1.Source{},
			})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		},
		InvalidField: "source.kind",
	})
}

// parse runs ParseRepository and returns the functions and the stats.
func parse(t *testing.T, conn *grpc.ClientConn, req *parserv1.ParseRepositoryRequest) ([]*parserv1.Function, *parserv1.ParseStats, error) {
	t.Helper()
	stream, err := parserv1.NewParserServiceClient(conn).ParseRepository(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	var funcs []*parserv1.Function
	var stats *parserv1.ParseStats
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return funcs, stats, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if stats != nil {
			t.Fatalf("message after the stats: %v", msg)
		}
		if f := msg.GetFunction(); f != nil {
			funcs = append(funcs, f)
		} else {
			stats = msg.GetStats()
		}
	}
}

func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseRepositoryStreamsCalleeFirst(t *testing.T) {
	root := t.TempDir()
	repo := writeRepo(t, map[string]string{
		"pkg/__init__.py":   "",
		"pkg/util.py":       "import numpy as np\n\ndef leaf(x):\n    return np.mean(x)\n\ndef mid(x):\n    return leaf(x) + leaf(x)\n",
		"pkg/app.py":        "from .util import mid\n\ndef ping(n):\n    return pong(n - 1) if n else 0\n\ndef pong(n):\n    return ping(n)\n\ndef top():\n    return mid([1]) + ping(3)\n",
		"pkg/broken.py":     "def ok():\n    return 1\n\ndef bad(:\n    ok()\n\ndef fine():\n    return ok()\n",
		"pkg/model.py":      "class M:\n    def __repr__(self):\n        name = type(self).__name__\n        return name.lower()\n",
		"pkg/test_model.py": "def test_m():\n    assert True\n",
		"pkg/legacy.py":     "caf\xe9 = 1\n",
	})
	if err := os.Rename(repo, filepath.Join(root, "repo")); err != nil {
		t.Fatal(err)
	}
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), register(Config{AllowedRoots: []string{root}}))
	funcs, stats, err := parse(t, conn, &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{
		Kind: &parserv1.Source_LocalPath{LocalPath: filepath.Join(root, "repo")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	byID := map[string]*parserv1.Function{}
	for i, f := range funcs {
		pos[f.GetId()] = i
		byID[f.GetId()] = f
	}
	for _, id := range []string{"pkg.util.leaf", "pkg.util.mid", "pkg.app.ping", "pkg.app.pong", "pkg.app.top", "pkg.broken.ok"} {
		if _, ok := pos[id]; !ok {
			t.Fatalf("function %s missing from %v", id, pos)
		}
	}
	for _, f := range funcs {
		for _, c := range f.GetCallees() {
			callee := byID[c.GetId()]
			if callee.GetSccId() != f.GetSccId() && pos[c.GetId()] > pos[f.GetId()] {
				t.Errorf("%s streamed before its callee %s", f.GetId(), c.GetId())
			}
		}
	}
	if byID["pkg.app.ping"].GetSccId() != byID["pkg.app.pong"].GetSccId() || byID["pkg.app.ping"].GetSccSize() != 2 {
		t.Errorf("ping/pong should share one SCC of size 2: %v / %v", byID["pkg.app.ping"], byID["pkg.app.pong"])
	}
	if got := byID["pkg.util.leaf"].GetApiCalls(); len(got) != 1 || got[0].GetApi() != "numpy.mean" || got[0].GetCount() != 1 {
		t.Errorf("leaf api calls = %v, want numpy.mean x1", got)
	}
	if byID["pkg.util.leaf"].GetLevel() != 0 || byID["pkg.app.top"].GetLevel() <= byID["pkg.util.mid"].GetLevel() {
		t.Errorf("levels: leaf %d, mid %d, top %d", byID["pkg.util.leaf"].GetLevel(), byID["pkg.util.mid"].GetLevel(), byID["pkg.app.top"].GetLevel())
	}
	if stats == nil {
		t.Fatal("no stats message")
	}
	if stats.GetFunctions() != int32(len(funcs)) || stats.GetFiles() != 6 || stats.GetParseErrorFiles() != 1 || stats.GetCycles() < 1 {
		t.Errorf("stats = %v (functions streamed %d)", stats, len(funcs))
	}
	traits := func(id string) [4]any {
		f := byID[id]
		return [4]any{f.GetIsTest(), f.GetIsDunder(), f.GetIsTrivial(), f.GetLanguage()}
	}
	for id, want := range map[string][4]any{
		"pkg.model.M.__repr__":  {false, true, false, "python"},
		"pkg.test_model.test_m": {true, false, true, "python"},
		"pkg.broken.fine":       {false, false, true, "python"},
		"pkg.util.mid":          {false, false, true, "python"},
	} {
		if got := traits(id); got != want {
			t.Errorf("%s: is_test, is_dunder, is_trivial, language = %v, want %v", id, got, want)
		}
	}
	if _, ok := byID["pkg.broken.bad"]; ok {
		t.Error("pkg.broken.bad holds a syntax error but was streamed")
	}
	if se := stats.GetSyntaxErrorFunctions(); len(se) != 1 || se[0].GetId() != "pkg.broken.bad" || se[0].GetPath() != "pkg/broken.py" || se[0].GetStartLine() != 4 {
		t.Errorf("syntax_error_functions = %v, want pkg.broken.bad at pkg/broken.py:4", se)
	}
	if sk := stats.GetSkipped(); len(sk) != 1 || sk[0].GetPath() != "pkg/legacy.py" || sk[0].GetReason() != "undecodable" || sk[0].GetDetail() == "" {
		t.Errorf("skipped = %v, want pkg/legacy.py as undecodable with a detail", sk)
	}
}

func TestParseRepositoryErrors(t *testing.T) {
	allowed := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(allowed, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(allowed, "file.py"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), register(Config{
		AllowedRoots: []string{allowed}, GitAllowedHosts: []string{"github.com"},
	}))
	local := func(p string) *parserv1.ParseRepositoryRequest {
		return &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: p}}}
	}
	gitReq := func(u string) *parserv1.ParseRepositoryRequest {
		return &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: u}}}}
	}
	tests := []struct {
		name string
		req  *parserv1.ParseRepositoryRequest
		want codes.Code
	}{
		{"outside the allowed roots", local(outside), codes.PermissionDenied},
		{"dot-dot escape", local(filepath.Join(allowed, "..", filepath.Base(outside))), codes.PermissionDenied},
		{"symlink escape", local(filepath.Join(allowed, "escape")), codes.PermissionDenied},
		{"missing path", local(filepath.Join(allowed, "nope")), codes.NotFound},
		{"a file, not a directory", local(filepath.Join(allowed, "file.py")), codes.InvalidArgument},
		{"file:// git URL", gitReq("file:///etc"), codes.InvalidArgument},
		{"ssh:// git URL", gitReq("ssh://git@github.com/psf/requests.git"), codes.InvalidArgument},
		{"host off the allowlist", gitReq("https://example.com/x.git"), codes.InvalidArgument},
		{"bad glob", &parserv1.ParseRepositoryRequest{
			Source:  &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: allowed}},
			Options: &parserv1.ParseOptions{Include: []string{"[unclosed"}},
		}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parse(t, conn, tt.req)
			if status.Code(err) != tt.want {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEmptyRepository(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte("# no python here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), register(Config{AllowedRoots: []string{root}}))
	funcs, stats, err := parse(t, conn, &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{
		Kind: &parserv1.Source_LocalPath{LocalPath: root},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(funcs) != 0 || stats.GetFiles() != 0 || stats.GetFunctions() != 0 {
		t.Errorf("repository without Python: %d functions, stats %v", len(funcs), stats)
	}
}
