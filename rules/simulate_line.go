package rules

import "github.com/switchboard-dev/switchboard/actions"

// SimulationLine is the line Simulate writes for one job (JSON and a line
// break), for callers that evaluate rules of their own, such as a
// repository's.
func SimulationLine(j actions.Job) ([]byte, error) { return simulationLine(j) }

// StaticFiles is a FileLister that answers files, complete, for any pull
// request: the changed files given on a command line.
func StaticFiles(files []string) FileLister { return staticFiles(files) }
