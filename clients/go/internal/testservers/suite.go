package testservers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	platformclient "github.com/query4code/query4code/platform/client"
	platformserver "github.com/query4code/query4code/platform/server"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// ListenSuite serves the real parser, docs, annotator (offline) and
// orchestrator on one loopback address, the way the all-in-one mode does:
// the orchestrator reaches the other three through that same address.
// Local sources must lie under allowedRoot; the orchestrator's store and
// datasets go under dataDir. Docs reads no installed Python environment,
// so runs do not depend on the machine's packages.
func ListenSuite(auth bool, allowedRoot, dataDir string) (addr string, stop func() error, err error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var conn interface{ Close() error }
	addr, stop, err = Listen("q4c", auth, func(s *platformserver.Server) error {
		if err := s.Listen(); err != nil {
			return err
		}
		token := ""
		if auth {
			token = Token
		}
		self, err := platformclient.Dial(s.Addr().String(), platformclient.Config{Token: token})
		if err != nil {
			return err
		}
		conn = self
		parser, err := parserserver.New(parserserver.Config{AllowedRoots: []string{allowedRoot}, Logger: logger})
		if err != nil {
			return fmt.Errorf("parser: %w", err)
		}
		docs, err := docsserver.New(docsserver.Config{DisableInstalled: true, Logger: logger})
		if err != nil {
			return fmt.Errorf("docs: %w", err)
		}
		annotator, err := annotatorserver.New(annotatorserver.DefaultConfig())
		if err != nil {
			return fmt.Errorf("annotator: %w", err)
		}
		orch, err := orchestratorserver.New(orchestratorserver.Config{
			Parser:             parserv1.NewParserServiceClient(self),
			Docs:               docsv1.NewDocsServiceClient(self),
			Annotator:          annotatorv1.NewAnnotatorServiceClient(self),
			StorePath:          filepath.Join(dataDir, "orchestrator.db"),
			OutputRoot:         filepath.Join(dataDir, "out"),
			AllowedRoots:       []string{allowedRoot},
			DefaultConcurrency: 4,
			ProgressInterval:   50 * time.Millisecond,
			Logger:             logger,
		})
		if err != nil {
			return fmt.Errorf("orchestrator: %w", err)
		}
		s.OnShutdown(func(context.Context) error {
			annotator.Close()
			return errors.Join(orch.Close(), docs.Close())
		})
		parser.Register(s.GRPC())
		docs.Register(s.GRPC())
		annotator.Register(s.GRPC())
		orchestratorv1.RegisterOrchestratorServiceServer(s.GRPC(), orch)
		return nil
	})
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return "", nil, err
	}
	stopServer := stop
	return addr, func() error {
		return errors.Join(stopServer(), conn.Close())
	}, nil
}

// StartSuite is ListenSuite stopped at test cleanup, with temporary data.
func StartSuite(t testing.TB, auth bool, allowedRoot string) string {
	t.Helper()
	return cleanupOnEnd(t)(ListenSuite(auth, allowedRoot, t.TempDir()))
}
