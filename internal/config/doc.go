// Package config locates IronCurtain's home directory and reads the files
// the user owns there: mcp-servers.json (the MCP servers to run and their
// network allowlists) and the derived default paths of everything else.
//
// It is trusted code reading user-owned files; it treats them as possibly
// malformed (every error names the file and JSON path) but not as hostile
// in intent. It never creates anything: commands that only read must work
// when <home> does not exist. It must not import the policy engine.
package config
