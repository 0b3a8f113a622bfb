package framegen

// Defaults of the Config fields left zero.
const (
	DefaultFrames   = 200_000
	DefaultUsers    = 100_000
	DefaultRate     = 1000
	DefaultStart    = 1468244340 // 2016-07-11 13:39:00 UTC, as in the challenge sample
	DefaultMaxDelay = 5
	DefaultStringTS = 0.05
	DefaultCRLF     = 0.01
)

// Config says what to generate. Zero fields take the defaults noted; a share is
// the probability that one line gets the treatment, clamped to [0, 1]. For the
// shares whose default is not zero (StringTS, CRLF), a negative value means none.
type Config struct {
	Seed   int64 // same seed and config, byte-identical output
	Frames int   // number of lines, all kinds included (default 200,000)
	Users  int   // size of the uid pool (default 100,000); uids are 19-char lowercase hex derived from the seed

	// Event time: frame i has ts = Start + floor(i/Rate), or Start + floor(i*Interval)
	// when Interval > 0 (use it for sparse, long histories: 630 spreads 100,000
	// frames over two years).
	Rate     int     // frames per second of event time (default 1000)
	Interval float64 // seconds of event time between frames; overrides Rate when > 0
	Start    int64   // event time of the first frame, unix seconds (default 1468244340)

	Delayed  float64 // share of frames emitted later than their event time (default 0)
	MaxDelay int     // seconds: the most a delayed frame lags the newest frame before it (default 5)

	Flipped   float64 // share of frames with one bit of ts in 20..31 flipped: 12 days to 68 years off, future or past
	Truncated float64 // share of lines cut short at a random byte (never valid JSON)
	Garbage   float64 // share of lines that are not JSON: log text, HTML, binary bytes, or almost-JSON frames
	Invalid   float64 // share of frames that are valid JSON but break the contract: no or non-string uid, no ts, bad ts
	StringTS  float64 // share of frames whose ts is a JSON string of digits (default 0.05)
	CRLF      float64 // share of lines ending in "\r\n" rather than "\n" (default 0.01)
}

// withDefaults returns c with defaults filled in and shares clamped.
func (c Config) withDefaults() Config {
	if c.Frames <= 0 {
		c.Frames = DefaultFrames
	}
	if c.Users <= 0 {
		c.Users = DefaultUsers
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if !(c.Interval > 0) { // NaN too
		c.Interval = 0
	}
	if c.Start == 0 {
		c.Start = DefaultStart
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.StringTS == 0 {
		c.StringTS = DefaultStringTS
	}
	if c.CRLF == 0 {
		c.CRLF = DefaultCRLF
	}
	for _, p := range []*float64{&c.Delayed, &c.Flipped, &c.Truncated, &c.Garbage, &c.Invalid, &c.StringTS, &c.CRLF} {
		switch {
		case !(*p > 0): // negative or NaN
			*p = 0
		case *p > 1:
			*p = 1
		}
	}
	return c
}

// eventOffset returns the event time of frame i in seconds after Start,
// fractional: it orders delayed frames among the others.
func (c *Config) eventOffset(i int) float64 {
	if c.Interval > 0 {
		return float64(i) * c.Interval
	}
	// Division of exact integers: floor of it is exactly floor(i/Rate).
	return float64(i) / float64(c.Rate)
}

// eventTS returns the ts of frame i, before any bit flip.
func (c *Config) eventTS(i int) int64 {
	if c.Interval > 0 {
		return c.Start + int64(c.eventOffset(i))
	}
	return c.Start + int64(i/c.Rate)
}
