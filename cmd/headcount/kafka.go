package main

import (
	"errors"
)

// errNotYet marks the Kafka commands whose issue has not landed.
var errNotYet = errors.New("not implemented yet (see the open issue for the Kafka service)")
