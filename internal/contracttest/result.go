// Package contracttest decodes the outside contract's result lines
// (../shared/contract.md) for the tests of every package, independently of
// the code that writes them: a test that decoded with the writer's own type
// could not catch a field the writer renamed.
package contracttest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Result is a result line as the contract describes it.
type Result struct {
	Window     string   `json:"window"`
	Start      int64    `json:"start"`
	End        int64    `json:"end"`
	Uniques    uint64   `json:"uniques"`
	Frames     uint64   `json:"frames"`
	Late       uint64   `json:"late"`
	Status     string   `json:"status"`
	Exact      bool     `json:"exact"`
	ErrorBound *float64 `json:"error_bound"` // absent on exact results
}

// Bound returns the result's error bound, 0 for an exact result.
func (r Result) Bound() float64 {
	if r.ErrorBound == nil {
		return 0
	}
	return *r.ErrorBound
}

// DecodeResult decodes one result line strictly: a field the contract does
// not name, or anything after the object, is an error.
func DecodeResult(line []byte) (Result, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return Result{}, fmt.Errorf("result %q: %w", line, err)
	}
	if dec.More() {
		return Result{}, fmt.Errorf("result %q: data after the object", line)
	}
	return r, nil
}
