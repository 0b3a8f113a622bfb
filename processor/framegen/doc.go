// Package framegen generates deterministic synthetic frames: the JSON lines that
// headcount counts, shaped at least as hard as the challenge's own data. It is the
// input of `headcount gen`, of the tests and of the benchmarks.
//
// A frame is one JSON object of about 2 KB on one line. Its top-level "uid" (19
// lowercase hex characters, drawn uniformly from a pool of users) and "ts" (unix
// seconds, an integer or a string of digits) appear exactly once each, in either
// order, after up to three other keys. Everything else is there to trip an
// extractor up:
//   - nested objects and arrays reuse the names "uid" and "ts" (also spelled with
//     \u escapes) for other values: other users' uids, nearby timestamps, numbers,
//     objects;
//   - top-level decoy keys such as "UID", "Ts", "uid_", "u\"id" and "uid\\",
//     so a decoder that matches names case-insensitively (encoding/json decoding
//     into a struct does) counts the wrong field: decode into
//     map[string]json.RawMessage to check frames independently;
//   - other top-level keys repeat;
//   - strings carry \" \\ \/ \b \f \n \r \t, \u escapes (surrogate pairs too),
//     runs of backslashes, embedded JSON text such as {\"uid\":\"...\"}, and
//     Cyrillic and other UTF-8 text;
//   - numbers come as negatives, fractions and exponents, some beyond 64 bits;
//   - some frames have spaces or tabs between tokens.
//
// Knobs in Config delay frames (out-of-order arrival), flip one high bit of ts,
// truncate lines, insert lines that are not JSON or almost-JSON (a trailing
// comma, a bad escape or number, junk after the object, ...), and write frames
// that are valid JSON but break the contract (no uid, empty uid, negative ts, ...).
//
// For speed, most top-level members of compact frames are copied from a library
// of 8,192 members drawn once per Generator (their nested decoy timestamps lie
// near Start); the others, and every member of frames with whitespace, are drawn
// per frame. About 2 µs of CPU per frame, 1 GB/s (BenchmarkGenerate).
//
// Output depends only on the Config. Each frame draws its content and each knob
// its decision from separate random streams keyed by the seed and the frame's
// index, so changing one knob changes only what that knob touches: the same seed
// with and without delays yields the same frames, only in another order.
package framegen
