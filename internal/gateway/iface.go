package gateway

import (
	"context"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// decider is the policy engine as the pipeline uses it.
type decider interface {
	Decide(policy.Call) policy.Decision
}

// recorder is the audit log: Append must have written and synced the
// record when it returns nil.
type recorder interface {
	Append(ctx context.Context, r audit.Record) error
}

// approver asks a human and keeps the session whitelist.
type approver interface {
	Whitelisted(server, tool string, d policy.Decision) (entry string, ok bool)
	Ask(ctx context.Context, req escalate.Request) (escalate.Answer, error)
	AddWhitelist(req escalate.Request) (entry string, err error)
}
