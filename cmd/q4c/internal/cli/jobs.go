package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/query4code/query4code/clients/go/q4c"
	"github.com/query4code/query4code/platform/client"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
)

// remoteFlags are how the job commands reach a running orchestrator.
type remoteFlags struct {
	addr string
	conn client.Config
}

func (r *remoteFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.addr, "orchestrator", "localhost:50054", "address of the orchestrator")
	gofs := flag.NewFlagSet("orchestrator", flag.ContinueOnError)
	r.conn.RegisterFlags(gofs, "cli", "orchestrator")
	cmd.Flags().AddGoFlagSet(gofs)
}

func (r *remoteFlags) dial() (orchestratorv1.OrchestratorServiceClient, *grpc.ClientConn, error) {
	conn, err := client.Dial(r.addr, r.conn)
	if err != nil {
		return nil, nil, err
	}
	return orchestratorv1.NewOrchestratorServiceClient(conn), conn, nil
}

// storeFlags let jobs and cancel reach the jobs of q4c annotate's in-process orchestrator, kept
// under its --state-dir, as well as a running orchestrator's.
type storeFlags struct {
	remoteFlags
	stateDir string
}

func (s *storeFlags) register(cmd *cobra.Command) {
	s.remoteFlags.register(cmd)
	cmd.Flags().StringVar(&s.stateDir, "state-dir", "", "the jobs of q4c annotate without --orchestrator, kept in this state directory, instead of a running orchestrator's")
}

// open reaches the orchestrator: a running one, or with --state-dir one started in this process on
// that store (it runs no job: an unfinished one continues only when its command runs again).
func (s *storeFlags) open(stderr io.Writer) (orchestratorv1.OrchestratorServiceClient, func() error, error) {
	if s.stateDir == "" {
		orch, conn, err := s.dial()
		if err != nil {
			return nil, nil, err
		}
		return orch, conn.Close, nil
	}
	suite, err := startLocal(&annotateFlags{stateDir: s.stateDir, annotator: annotatorserver.DefaultConfig()}, nil, s.stateDir, stderr)
	if err != nil {
		return nil, nil, err
	}
	return orchestratorv1.NewOrchestratorServiceClient(suite.Orchestrator), suite.Close, nil
}

func newJobsCmd() *cobra.Command {
	var r storeFlags
	var state string
	var limit int
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List the jobs of a running orchestrator, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := parseJobState(state)
			if err != nil {
				return err
			}
			orch, closeOrch, err := r.open(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() { _ = closeOrch() }()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSTATE\tCREATED\tDONE\tKEPT\tREJECTED\tFAILED\tCOST\tOUTPUT")
			token, shown := "", 0
			for shown < limit {
				resp, err := orch.ListJobs(cmd.Context(), &orchestratorv1.ListJobsRequest{
					PageSize: int32(min(limit-shown, 1000)), PageToken: token, State: filter,
				})
				if err != nil {
					return err
				}
				for _, j := range resp.GetJobs() {
					p := j.GetProgress()
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t$%.4f\t%s\n", j.GetJobId(), shortState(j.GetState()),
						j.GetCreatedAt().AsTime().Local().Format(time.DateTime), p.GetFunctionsDone(), p.GetFunctionsTotal(),
						p.GetPairsKept(), p.GetPairsRejected(), p.GetFunctionsFailed(), p.GetCostUsd(), j.GetOutputDir())
					shown++
				}
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
			}
			return tw.Flush()
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&state, "state", "", "only jobs in this state: queued, running, succeeded, failed or cancelled")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most this many jobs")
	return cmd
}

func newWatchCmd() *cobra.Command {
	var r remoteFlags
	var after uint64
	cmd := &cobra.Command{
		Use:   "watch JOB_ID",
		Short: "Follow a job's progress until it finishes (exit codes as q4c annotate's)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, conn, err := r.dial()
			if err != nil {
				return err
			}
			defer func() { _ = conn.Close() }()
			watcher := q4c.NewFromConn(conn, q4c.Options{WatchReconnects: watchReconnects})
			done, err := watchEvents(watcher.WatchJob(cmd.Context(), args[0], after), newProgressView(cmd.ErrOrStderr()))
			if err != nil {
				if cmd.Context().Err() != nil {
					return &exitError{code: exitInterrupted, err: errors.New("interrupted: the job goes on; watch it again with the same command")}
				}
				return err
			}
			return reportDone(cmd.OutOrStdout(), done)
		},
	}
	r.register(cmd)
	cmd.Flags().Uint64Var(&after, "after", 0, "only events after this sequence number")
	return cmd
}

func newCancelCmd() *cobra.Command {
	var r storeFlags
	cmd := &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a job; finished work stays in the store, so resubmitting resumes it",
		Long: `Cancel a job; finished work stays in the store, so running its command again
continues it. A cancelled job no longer holds its output directory, so another
command may write there. With --state-dir, cancel a job of q4c annotate without
--orchestrator (one a Ctrl-C or crash left unfinished).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			orch, closeOrch, err := r.open(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() { _ = closeOrch() }()
			resp, err := orch.CancelJob(cmd.Context(), &orchestratorv1.CancelJobRequest{JobId: args[0]})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", resp.GetJob().GetJobId(), shortState(resp.GetJob().GetState()))
			return nil
		},
	}
	r.register(cmd)
	return cmd
}

func shortState(s orchestratorv1.JobState) string {
	switch s {
	case orchestratorv1.JobState_JOB_STATE_QUEUED:
		return "queued"
	case orchestratorv1.JobState_JOB_STATE_RUNNING:
		return "running"
	case orchestratorv1.JobState_JOB_STATE_SUCCEEDED:
		return "succeeded"
	case orchestratorv1.JobState_JOB_STATE_FAILED:
		return "failed"
	case orchestratorv1.JobState_JOB_STATE_CANCELLED:
		return "cancelled"
	}
	return "unknown"
}

func parseJobState(s string) (orchestratorv1.JobState, error) {
	if s == "" {
		return orchestratorv1.JobState_JOB_STATE_UNSPECIFIED, nil
	}
	for v := range orchestratorv1.JobState_name {
		st := orchestratorv1.JobState(v)
		if shortState(st) == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("unknown --state %q (want queued, running, succeeded, failed or cancelled)", s)
}
