package cli

import (
	"bytes"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

func annotating(callsDone, callsTotal int64) *orchestratorv1.Progress {
	return &orchestratorv1.Progress{Stage: orchestratorv1.Stage_STAGE_ANNOTATING, FunctionsTotal: callsTotal / 3, CallsTotal: callsTotal, CallsDone: callsDone}
}

// The views count annotation calls, and a bar is full only when the job finished its work.
func TestProgressViews(t *testing.T) {
	var lines bytes.Buffer
	newProgressView(&lines).update(annotating(6, 30)) // not a terminal: plain lines
	if got := lines.String(); !strings.Contains(got, "annotating: 6/30 calls (20%)") {
		t.Fatalf("line view printed %q", got)
	}

	for _, complete := range []bool{false, true} {
		var out bytes.Buffer
		bar := &barView{w: &out}
		bar.update(annotating(15, 30))
		bar.finish(complete)
		if full := strings.Contains(out.String(), "100%"); full != complete {
			t.Errorf("finish(%v) after 15 of 30 calls drew a full bar: %v\n%s", complete, full, out.String())
		}
		if strings.Contains(out.String(), "||") {
			t.Errorf("bar drawn without width: %q", out.String())
		}
	}
}
