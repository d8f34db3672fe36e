// Command parser serves query4code.parser.v1.ParserService: functions, call
// graph and callee-first order of Python repositories.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/query4code/query4code/platform/config"
	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/services/parser/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "parser:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("parser", flag.ContinueOnError)
	srvCfg := platformserver.DefaultConfig("parser", ":50051")
	srvCfg.RegisterFlags(fs)
	cfg := server.DefaultConfig()
	server.RegisterFlags(fs, &cfg)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	return platformserver.Run(context.Background(), srvCfg, func(s *platformserver.Server) error {
		cfg.Logger = s.Logger()
		cfg.Metrics = s.Registerer()
		parser, err := server.New(cfg)
		if err != nil {
			return err
		}
		parser.Register(s.GRPC())
		return nil
	})
}
