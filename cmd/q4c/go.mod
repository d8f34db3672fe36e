module github.com/query4code/query4code/cmd/q4c

go 1.26.0

require (
	github.com/query4code/query4code/platform v0.0.0
	github.com/query4code/query4code/proto/gen/go v0.0.0
	github.com/query4code/query4code/services/parser v0.0.0
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.19.1 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/query4code/query4code/services/annotator v0.0.0
	github.com/query4code/query4code/services/docs v0.0.0
	github.com/query4code/query4code/services/orchestrator v0.0.0
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

replace github.com/query4code/query4code/services/parser => ../../services/parser

replace github.com/query4code/query4code/platform => ../../platform

replace github.com/query4code/query4code/proto/gen/go => ../../proto/gen/go

replace github.com/query4code/query4code/services/docs => ../../services/docs

replace github.com/query4code/query4code/services/annotator => ../../services/annotator

replace github.com/query4code/query4code/services/orchestrator => ../../services/orchestrator
