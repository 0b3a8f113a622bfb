package processor

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header keys of a dead-letter record, part of the outside contract.
const (
	// HeaderReason holds the Reason's name, such as "bad_ts".
	HeaderReason = "reason"
	// HeaderSourceTopic holds the topic the frame was read from.
	HeaderSourceTopic = "source.topic"
	// HeaderSourcePartition holds the frame's partition in its source topic.
	HeaderSourcePartition = "source.partition"
	// HeaderSourceOffset holds the frame's offset in its source partition.
	HeaderSourceOffset = "source.offset"
)

// DeadLetter returns the record that sends a rejected frame to the dead-letter
// topic: its value is a copy of the original bytes, so that nothing is lost
// and the frame can be replayed as is; the reason and the frame's origin travel
// in headers (decimal strings for numbers). The key is nil, as the input's is.
//
// The value is never nil, even for an empty frame: a nil value is a tombstone.
func DeadLetter(topic string, raw []byte, r Reason, srcTopic string, partition int32, offset int64) *kgo.Record {
	return &kgo.Record{
		Topic: topic,
		Value: append(make([]byte, 0, len(raw)), raw...),
		Headers: []kgo.RecordHeader{
			{Key: HeaderReason, Value: []byte(r.String())},
			{Key: HeaderSourceTopic, Value: []byte(srcTopic)},
			{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(partition), 10)},
			{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, offset, 10)},
		},
	}
}
