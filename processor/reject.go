package processor

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// AppendReject appends a rejected frame as one JSON object, the line format
// of `headcount count --rejects`: its reason, where it came from and the
// original line, so no input is ever lost:
//
//	{"reason":"bad_ts","source":"in.jsonl","line":17,"frame":"{\"uid\":..."}
//
// A line that is not valid UTF-8 cannot travel as a JSON string without
// loss; it is written as "frame_base64" instead.
func AppendReject(dst []byte, f Frame, r Reason, source string) []byte {
	dst = append(dst, `{"reason":"`...)
	dst = append(dst, r.String()...)
	dst = append(dst, `","source":`...)
	dst = appendJSONString(dst, []byte(source))
	dst = append(dst, `,"line":`...)
	dst = strconv.AppendInt(dst, f.Pos, 10)
	if utf8.Valid(f.Raw) {
		dst = append(dst, `,"frame":`...)
		dst = appendJSONString(dst, f.Raw)
	} else {
		dst = append(dst, `,"frame_base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, f.Raw)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
