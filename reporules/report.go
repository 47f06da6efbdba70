package reporules

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/config"
)

// CheckName names the check run (or commit status) that reports a
// repository's file.
const CheckName = "switchboard/config"

// maxAnnotations is the most annotations GitHub takes in one request.
// https://docs.github.com/rest/checks/runs#create-a-check-run
const maxAnnotations = 50

// Installations hands out installation clients; githubapp.Creator
// implements it.
type Installations interface {
	Installation(id int64) (*github.Client, error)
}

// CheckReporter reports a repository's file as a check run named
// switchboard/config with one annotation per problem, or, when the App may
// not write checks (403), as a commit status of that name.
type CheckReporter struct {
	gh Installations
}

var _ Reporter = (*CheckReporter)(nil)

// NewCheckReporter returns a CheckReporter using gh.
func NewCheckReporter(gh Installations) *CheckReporter { return &CheckReporter{gh: gh} }

// ReportConfig implements Reporter.
func (c *CheckReporter) ReportConfig(ctx context.Context, installation int64, owner, repo, sha string, problems config.Errors) error {
	gc, err := c.gh.Installation(installation)
	if err != nil {
		return err
	}
	conclusion, title := "success", Path+" is valid; its rules apply"
	if len(problems) > 0 {
		conclusion = "failure"
		title = fmt.Sprintf("%s refused: %d problem(s); the last valid rules keep applying", Path, len(problems))
	}
	var summary strings.Builder
	summary.WriteString(title + "\n")
	var anns []*github.CheckRunAnnotation
	for i, p := range problems {
		fmt.Fprintf(&summary, "\n- line %d, column %d: %s", p.Pos.Line, p.Pos.Column, message(p))
		if i >= maxAnnotations {
			continue
		}
		a := &github.CheckRunAnnotation{
			Path: github.String(Path), StartLine: github.Int(p.Pos.Line), EndLine: github.Int(p.Pos.Line),
			AnnotationLevel: github.String("failure"), Message: github.String(message(p)),
			Title: github.String("switchboard: " + p.Key),
		}
		if p.Pos.Column > 0 {
			a.StartColumn, a.EndColumn = github.Int(p.Pos.Column), github.Int(p.Pos.Column)
		}
		anns = append(anns, a)
	}
	text := summary.String()
	if len(text) > 60000 {
		text = text[:60000] + "\n..."
	}
	_, resp, err := gc.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{
		Name: CheckName, HeadSHA: sha, Status: github.String("completed"), Conclusion: github.String(conclusion),
		Output: &github.CheckRunOutput{Title: github.String(title), Summary: github.String(text), Annotations: anns},
	})
	if err == nil {
		return nil
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		return fmt.Errorf("create check run %s: %w", CheckName, err)
	}
	// No checks: write permission: a commit status says the same, briefly.
	state, desc := "success", "valid; its rules apply"
	if len(problems) > 0 {
		state = "failure"
		desc = fmt.Sprintf("line %d: %s", problems[0].Pos.Line, message(problems[0]))
	}
	if len(desc) > 140 {
		desc = desc[:137] + "..."
	}
	_, _, err = gc.Repositories.CreateStatus(ctx, owner, repo, sha, &github.RepoStatus{
		State: github.String(state), Context: github.String(CheckName), Description: github.String(desc),
	})
	if err != nil {
		return fmt.Errorf("create commit status %s: %w", CheckName, err)
	}
	return nil
}

// message is a problem without its position (the annotation carries it).
func message(p *config.Error) string {
	if p.Key == "" {
		return p.Msg
	}
	return p.Key + ": " + p.Msg
}
