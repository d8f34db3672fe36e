package server

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// TestContract runs the annotator on the real platform server: health,
// reflection, protovalidate and auth.
func TestContract(t *testing.T) {
	servertest.CheckContract(t, servertest.Contract{
		Service: "query4code.annotator.v1.AnnotatorService",
		Register: func(s *platformserver.Server) error {
			srv, err := New(DefaultConfig())
			if err != nil {
				return err
			}
			s.OnShutdown(func(context.Context) error { srv.Close(); return nil })
			srv.Register(s.GRPC())
			return nil
		},
		Invalid: func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := annotatorv1.NewAnnotatorServiceClient(conn).Annotate(ctx, &annotatorv1.AnnotateRequest{
				Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def f(): pass", Language: "cobol"},
			})
			return err
		},
		InvalidField: "function.language",
	})
}
