// Command annotator serves query4code.annotator.v1.AnnotatorService: summary,
// query and reverse-validation score for a function, with the offline
// back-end or any OpenAI-compatible LLM server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/query4code/query4code/platform/config"
	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/services/annotator/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "annotator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("annotator", flag.ContinueOnError)
	srvCfg := platformserver.DefaultConfig("annotator", ":50053")
	srvCfg.RegisterFlags(fs)
	cfg := server.DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	return platformserver.Run(context.Background(), srvCfg, func(s *platformserver.Server) error {
		cfg.Logger = s.Logger()
		cfg.Metrics = s.Registerer()
		annotator, err := server.New(cfg)
		if err != nil {
			return err
		}
		s.OnShutdown(func(context.Context) error { annotator.Close(); return nil })
		annotator.Register(s.GRPC())
		return nil
	})
}
