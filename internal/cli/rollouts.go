package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
)

func (a *app) rolloutsCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rollouts",
		Short: "List rollouts from their journals, newest first",
		Long: "List the rollouts journaled on this machine: when they started, who ran them, what\n" +
			"they replaced with what, and their state. Unfinished ones can be resumed with\n" +
			"`molt resume ID` or rolled back with `molt rollback ID`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usageError("-o: unknown output %q: use text or json", output)
			}
			dir, err := actions.DefaultDir()
			if err != nil {
				return err
			}
			list, err := actions.ListRollouts(dir)
			if err != nil && len(list) == 0 {
				return err
			}
			a.sweepLate(cmd, dir, list)
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if list == nil {
					list = []actions.Summary{}
				}
				if err := enc.Encode(list); err != nil {
					return err
				}
			} else {
				writeRollouts(cmd.OutOrStdout(), list)
			}
			return damagedError(list)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

// lateWindow is how long after a rollout's end `molt rollouts` looks for droplets its
// creates answered with an error made after it ended.
const lateWindow = 24 * time.Hour

// sweepLate destroys, for the rollouts that ended lately after a create answered with an
// error, the droplets the API committed after their end (journaled in them), and says
// so on stderr. It needs an account: without credentials (the embedded simulator) it
// does nothing, and what it cannot do it leaves to `molt resume ID`.
func (a *app) sweepLate(cmd *cobra.Command, dir string, list []actions.Summary) {
	var todo []string
	for _, s := range list {
		if s.MayHaveLateDroplets(time.Now(), lateWindow) {
			todo = append(todo, s.ID)
		}
	}
	creds, err := fleet.ResolveCredentials(fleet.CredentialOptions{AccessToken: stringFlag(cmd, flagAccessToken),
		Context: stringFlag(cmd, flagContext), APIURL: stringFlag(cmd, flagAPIURL)})
	if len(todo) == 0 || err != nil || !creds.HasToken() {
		return
	}
	s, err := a.connect(cmd.Context(), cmd, connectOptions{})
	if err != nil {
		return
	}
	defer s.Close()
	for _, id := range todo {
		n, err := actions.SweepEnded(cmd.Context(), s.Client, id, actions.Options{Dir: dir, Version: s.version})
		if err == nil && n > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "molt: rollout %s had ended; destroyed %d droplets its creates made after its end\n", id, n)
		}
	}
}

func writeRollouts(w io.Writer, list []actions.Summary) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No rollouts yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tOPERATOR\tSELECTION\tFROM -> TO\tSTATE")
	for _, s := range list {
		if s.Damaged != "" {
			fmt.Fprintf(tw, "%s\t?\t?\t?\t?\tjournal %s: rebuild it with `molt recover %s`\n", s.ID, s.Damaged, s.ID)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s -> %s\t%s\n", s.ID, s.Started.Local().Format("2006-01-02 15:04"),
			s.Operator, s.Selection, s.FromText(), s.To, stateSummary(s)+keptCost(s))
	}
	tw.Flush()
}

// damagedError says which journals cannot be read (exit 1), or nil.
func damagedError(list []actions.Summary) error {
	var bad []string
	for _, s := range list {
		if s.Damaged != "" {
			bad = append(bad, fmt.Sprintf("%s (%s)", s.ID, s.Damaged))
		}
	}
	switch len(bad) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("the journal of rollout %s cannot be read; rebuild it from the cloud with `molt recover`", bad[0])
	}
	return fmt.Errorf("%d journals cannot be read: %s; rebuild them from the cloud with `molt recover`", len(bad), strings.Join(bad, ", "))
}

// stateSummary says where a rollout is, with progress and kept droplets.
func stateSummary(s actions.Summary) string {
	st := strings.ReplaceAll(string(s.State), "_", " ")
	if !s.State.Final() {
		st = fmt.Sprintf("%s (%d/%d replaced)", st, s.Replaced, s.Planned)
	}
	if s.Recovered {
		st += ", recovered from the cloud"
	}
	if s.Kept > 0 {
		until := "until finalised"
		if !s.KeptUntil.IsZero() {
			until = "until " + s.KeptUntil.Local().Format(time.DateTime)
		}
		st += fmt.Sprintf(", keeping %d old %s", s.Kept, until)
	}
	return st
}
