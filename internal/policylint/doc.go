// Package policylint checks a compiled policy against its tool annotations
// without running anything: rules that can never fire, names that refer to
// nothing, grants inside protected paths, allow rules that write anywhere,
// and escalate rules that silently become denials.
//
// It reads trusted artifacts and decides nothing at run time; a finding is
// advice for the person who owns the policy. It imports the policy and
// resource packages only to read their values.
package policylint
