// glob_oracle answers glob queries with github.com/bmatcuk/doublestar/v4, the library and
// version zot v2.1.20 uses for accessControl.repositories globs.
//
// zot refuses to start when doublestar.ValidatePattern(glob) is false and, per request,
// applies a glob when doublestar.Match(glob, repository) returns (true, nil).
//
// Protocol: one JSON object per line on stdin, one answer per line on stdout, in order.
//
//	{"pattern": "ci/**", "name": "ci/app"} -> {"valid": true, "match": true, "error": false}
//
// "valid" is ValidatePattern(pattern); "match" and "error" are Match's results.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/bmatcuk/doublestar/v4"
)

type query struct {
	Pattern string `json:"pattern"`
	Name    string `json:"name"`
}

type answer struct {
	Valid bool `json:"valid"`
	Match bool `json:"match"`
	Error bool `json:"error"`
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	encoder := json.NewEncoder(out)

	for scanner.Scan() {
		var q query
		if err := json.Unmarshal(scanner.Bytes(), &q); err != nil {
			fmt.Fprintf(os.Stderr, "glob_oracle: bad query %q: %v\n", scanner.Text(), err)
			os.Exit(2)
		}

		matched, err := doublestar.Match(q.Pattern, q.Name)
		if err := encoder.Encode(answer{
			Valid: doublestar.ValidatePattern(q.Pattern),
			Match: matched,
			Error: err != nil,
		}); err != nil {
			fmt.Fprintf(os.Stderr, "glob_oracle: %v\n", err)
			os.Exit(2)
		}
	}

	if err := scanner.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "glob_oracle: %v\n", err)
		os.Exit(2)
	}
}
