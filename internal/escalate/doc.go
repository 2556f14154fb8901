// Package escalate owns what happens when the policy engine says
// "escalate": the approval request a human sees, the ways an answer can
// arrive (inline in the session's terminal, or from another terminal with
// `ironcurtain escalations` through files), the timeout that turns silence
// into a deny, and the session-scoped whitelist that approve+ builds.
//
// It sits on the trusted side of the boundary. The agent chose every
// argument it shows, so everything printed to a terminal is escaped
// (control, C1 and bidirectional-formatting characters cannot reach the
// screen raw). The answer files in the per-session directory are treated as
// hostile too: an answer counts only when it is a regular file owned by the
// current user, not group- or world-writable, small, strict JSON, and for a
// request that is still pending. Anything else is logged and ignored (a
// real answer written with Respond replaces it); the request keeps waiting
// and times out into a deny.
//
// Layout: <home>/sessions/<sessionID>/escalations/ holds
// request-<id>.json (written by the Broker) and response-<id>.json
// (written by Respond). Every directory on that path below and including
// <home> must be owned by the current user and not group- or
// world-writable; the Broker creates missing ones 0700. The directory lies
// inside <home>, which the policy protects and the cage never mounts.
//
// It must not decide anything by itself: a timeout or any error is a deny
// for the caller, the whitelist can only turn a later escalate into an
// allow, never a deny, and nothing here holds a lock shared between calls
// while a human is being asked. It imports policy and resource for their
// value types, never the gateway or the CLI.
package escalate
