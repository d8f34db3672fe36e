package server

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"

	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

// TestContract runs the orchestrator on the real platform server: health,
// reflection, protovalidate and auth.
func TestContract(t *testing.T) {
	parser := fakeservices.Serve(t, func(s *grpc.Server) { parserv1.RegisterParserServiceServer(s, fakeservices.NewParser()) })
	docs := fakeservices.Serve(t, func(s *grpc.Server) { docsv1.RegisterDocsServiceServer(s, fakeservices.NewDocs(nil)) })
	annotator := fakeservices.Serve(t, func(s *grpc.Server) {
		annotatorv1.RegisterAnnotatorServiceServer(s, fakeservices.NewAnnotator())
	})
	dir := t.TempDir()
	servertest.CheckContract(t, servertest.Contract{
		Service: "query4code.orchestrator.v1.OrchestratorService",
		Register: func(s *platformserver.Server) error {
			srv, err := New(Config{
				Parser: parserv1.NewParserServiceClient(parser), Docs: docsv1.NewDocsServiceClient(docs),
				Annotator:  annotatorv1.NewAnnotatorServiceClient(annotator),
				StorePath:  filepath.Join(dir, "store.db"),
				OutputRoot: filepath.Join(dir, "out"),
			})
			if err != nil {
				return err
			}
			s.OnShutdown(func(context.Context) error { return srv.Close() })
			orchestratorv1.RegisterOrchestratorServiceServer(s.GRPC(), srv)
			return nil
		},
		Invalid: func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := orchestratorv1.NewOrchestratorServiceClient(conn).SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{})
			return err
		},
		InvalidField: "sources",
	})
}
