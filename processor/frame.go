package processor

// Frame is one extracted frame on its way through the engine.
type Frame struct {
	// TS is the frame's event time, unix seconds.
	TS int64
	// Hash stands for the frame's uid (state.Hash).
	Hash uint64
	// Raw is the original line. Only frames the engine holds back or rejects
	// need it; a held frame keeps its own copy.
	Raw []byte
	// Pos says where the frame came from: a line number for files, an offset
	// for Kafka partitions. It travels with rejects so they can be found again.
	Pos int64
}
