package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// blockingApprover holds every escalation until released.
type blockingApprover struct {
	asked   chan escalate.Request
	release chan escalate.Answer
}

func (b *blockingApprover) Whitelisted(string, string, policy.Decision) (string, bool) {
	return "", false
}
func (b *blockingApprover) AddWhitelist(escalate.Request) (string, error) { return "", nil }
func (b *blockingApprover) Ask(ctx context.Context, req escalate.Request) (escalate.Answer, error) {
	b.asked <- req
	select {
	case a := <-b.release:
		return a, nil
	case <-ctx.Done():
		return escalate.Answer{}, ctx.Err()
	}
}

// TestNoLockWhileAskingAHuman: while one call waits for a person, other
// calls run to completion.
func TestNoLockWhileAskingAHuman(t *testing.T) {
	h := newHarness(t, time.Hour)
	ba := &blockingApprover{asked: make(chan escalate.Request, 1), release: make(chan escalate.Answer)}
	gw, err := New(Config{Servers: h.mgr, Engine: h.eng, Audit: h.audit, Approver: ba, SessionID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := gw.Call(context.Background(), "filesystem", "echo", json.RawMessage(`{"path":"/etc/hostname"}`))
		if err == nil && res.IsError {
			err = fmt.Errorf("escalated call refused: %s", text(t, res))
		}
		done <- err
	}()
	<-ba.asked // the escalated call is now waiting for a person
	for i := 0; i < 5; i++ {
		res, err := gw.Call(context.Background(), "filesystem", "big", json.RawMessage(`{"size":10}`))
		if err != nil || res.IsError {
			t.Fatalf("call %d while a person is asked: %v %+v", i, err, res)
		}
	}
	ba.release <- escalate.Answer{Outcome: escalate.Approved, By: "test"}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
