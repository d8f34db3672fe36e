// Command docs serves query4code.docs.v1.DocsService: API popularity and
// documentation for unpopular third-party APIs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/query4code/query4code/platform/config"
	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/services/docs/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	srvCfg := platformserver.DefaultConfig("docs", ":50052")
	srvCfg.RegisterFlags(fs)
	cfg := server.DefaultConfig()
	server.RegisterFlags(fs, &cfg)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	return platformserver.Run(context.Background(), srvCfg, func(s *platformserver.Server) error {
		cfg.Logger = s.Logger()
		docs, err := server.New(cfg)
		if err != nil {
			return err
		}
		s.OnShutdown(func(context.Context) error { return docs.Close() })
		docs.Register(s.GRPC())
		return nil
	})
}
