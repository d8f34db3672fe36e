package server

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
)

// TestContract runs the docs service on the real platform server: health,
// reflection, protovalidate and auth.
func TestContract(t *testing.T) {
	servertest.CheckContract(t, servertest.Contract{
		Service: "query4code.docs.v1.DocsService",
		Register: func(s *platformserver.Server) error {
			cfg := DefaultConfig()
			cfg.DisableInstalled = true
			srv, err := New(cfg)
			if err != nil {
				return err
			}
			s.OnShutdown(func(context.Context) error { return srv.Close() })
			srv.Register(s.GRPC())
			return nil
		},
		Invalid: func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := docsv1.NewDocsServiceClient(conn).LookupAPIs(ctx, &docsv1.LookupAPIsRequest{})
			return err
		},
		InvalidField: "apis",
	})
}
