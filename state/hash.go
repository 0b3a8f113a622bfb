// Package state holds headcount's window state: exact sets and sketches of user
// hashes, the per-window aggregates built on them, and the changelog encoding that
// lets a restarted instance rebuild them exactly.
package state

import "github.com/zeebo/xxh3"

// Hash returns the 64-bit hash that stands for a uid in every set, sketch and
// changelog record. It must never change: restored state is keyed by it. With
// 64-bit hashes, the chance that two of n distinct uids collide is about
// n²/2⁶⁵ (6e-11 for the 48k uids of a busy minute).
func Hash(uid []byte) uint64 { return xxh3.Hash(uid) }
