package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/gitremote"
	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/policydiff"
	"github.com/ironcurtain/ironcurtain-go/internal/policylint"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

func newPolicyLintCmd(e env) *cobra.Command {
	var dir, annFile string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check a compiled policy without running it",
		Long: "Report rules that can never fire, names that refer to nothing, grants inside protected\n" +
			"paths, allow rules that write anywhere or that can admit no URL, and escalate rules whose\n" +
			"roles filter turns the call into a denial. A file that does not load is reported too.\n" +
			"Exit status: 0 no errors (warnings may be listed), 1 errors found, 2 bad usage.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			layout, err := config.Resolve(e.getenv)
			if err != nil {
				return badInput(err)
			}
			builtin := false
			if dir == "" {
				dir = layout.PolicyDir
				if _, err := os.Stat(filepath.Join(dir, "compiled-policy.json")); errors.Is(err, fs.ErrNotExist) {
					builtin = true // lint what check, test and the gateway would use
				}
			}
			if dir, err = absPath(dir); err != nil {
				return err
			}
			if annFile, err = absPath(annFile); err != nil {
				return err
			}
			if st, err := os.Stat(dir); !builtin && (err != nil || !st.IsDir()) {
				return badInput(fmt.Errorf("policy directory %s: not found", dir))
			}
			var findings []policylint.Finding
			var pol *policy.Policy
			var ann *policy.Annotations
			annPath := annFile
			if builtin {
				pol, ann, err = loadBuiltin(annFile)
				dir = ""
			} else {
				pol, ann, annPath, err = loadDir(dir, annFile)
			}
			if err != nil {
				var je jsondoc.Errors
				if !errors.As(err, &je) {
					return err
				}
				for _, x := range je {
					findings = append(findings, policylint.Finding{Severity: policylint.Error, Where: "load", Message: x.Error()})
				}
			} else {
				res, err := resource.NewPathResolver(resource.OSFS{}, layout.UserHome, layout.Sandbox)
				if err != nil {
					return badInput(err)
				}
				findings = policylint.Lint(pol, ann, policylint.Options{Resolver: res, Protected: layout.Protected(dir, annPath)})
			}
			errs := 0
			enc := json.NewEncoder(e.stdout)
			for _, f := range findings {
				if f.Severity == policylint.Error {
					errs++
				}
				if jsonOut {
					if err := enc.Encode(f); err != nil {
						return err
					}
				} else {
					fmt.Fprintln(e.stdout, oneLine(f.String()))
				}
			}
			summary := fmt.Sprintf("%d errors, %d warnings", errs, len(findings)-errs)
			if jsonOut {
				fmt.Fprintln(e.stderr, summary)
			} else {
				fmt.Fprintln(e.stdout, summary)
			}
			if errs > 0 {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().Var(&onceString{p: &dir}, "policy-dir", "directory with compiled-policy.json (default <home>/generated)")
	cmd.Flags().Var(&onceString{p: &annFile}, "annotations", "tool-annotations.json (default <policy-dir>/tool-annotations.json)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON finding per line")
	return cmd
}

func newPolicyDiffCmd(e env) *cobra.Command {
	var annFile string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "diff OLD_DIR NEW_DIR",
		Short: "Show every call whose decision differs between two policies",
		Long: "Decide the union of both policies' scenarios plus calls generated from the tool\n" +
			"annotations (each resource argument probed with the directories, hosts and list values\n" +
			"the rules mention and with values they do not) under both, and list the calls whose\n" +
			"decision changes. Exit status: 0 no difference, 1 differences listed, 2 bad usage.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("policy diff needs OLD_DIR and NEW_DIR (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			layout, err := config.Resolve(e.getenv)
			if err != nil {
				return badInput(err)
			}
			oldDir, err := absPath(args[0])
			if err != nil {
				return err
			}
			newDir, err := absPath(args[1])
			if err != nil {
				return err
			}
			if annFile, err = absPath(annFile); err != nil {
				return err
			}
			if annFile == "" {
				annFile = filepath.Join(newDir, "tool-annotations.json")
				if _, err := os.Stat(annFile); errors.Is(err, fs.ErrNotExist) {
					annFile = filepath.Join(oldDir, "tool-annotations.json")
				}
			}
			oldPol, ann, _, err := loadDir(oldDir, annFile)
			if err != nil {
				return err
			}
			newPol, _, _, err := loadDir(newDir, annFile)
			if err != nil {
				return err
			}
			build := func(p *policy.Policy) (*policy.Engine, error) {
				eng, err := policy.New(policy.Config{Policy: p, Annotations: ann, Home: layout.UserHome, Sandbox: layout.Sandbox,
					Protected: layout.Protected(oldDir, newDir, annFile), FS: resource.OSFS{}, Remotes: gitremote.Git{}})
				if err != nil {
					return nil, badInput(err)
				}
				return eng, nil
			}
			oldEng, err := build(oldPol)
			if err != nil {
				return err
			}
			newEng, err := build(newPol)
			if err != nil {
				return err
			}
			var calls []policy.Call
			for _, d := range []string{oldDir, newDir} {
				scs, err := scenario.Load(filepath.Join(d, "test-scenarios.json"))
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return badInput(err)
				}
				for _, s := range scs {
					calls = append(calls, s.Call)
				}
			}
			calls = append(calls, policydiff.Generate(ann, policydiff.ProbesFrom(layout.UserHome, layout.Sandbox, oldPol, newPol))...)
			changes := policydiff.Diff(oldEng, newEng, calls)
			enc := json.NewEncoder(e.stdout)
			enc.SetEscapeHTML(false)
			for _, c := range changes {
				if jsonOut {
					if err := enc.Encode(c); err != nil {
						return err
					}
					continue
				}
				a, _ := json.Marshal(c.Call.Arguments)
				fmt.Fprintf(e.stdout, "%s/%s %s: %s (%s) -> %s (%s)\n", oneLine(c.Call.Server), oneLine(c.Call.Tool), oneLine(string(a)),
					c.Old, oneLine(c.OldRule), c.New, oneLine(c.NewRule))
			}
			summary := fmt.Sprintf("%d calls compared, %d changed", len(calls), len(changes))
			if jsonOut {
				fmt.Fprintln(e.stderr, summary)
			} else {
				fmt.Fprintln(e.stdout, summary)
			}
			if len(changes) > 0 {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().Var(&onceString{p: &annFile}, "annotations", "tool-annotations.json (default NEW_DIR's, else OLD_DIR's)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON change per line")
	return cmd
}
