package framegen

// The text tables frames are built from, written as they appear in a frame,
// escapes included, so most of a frame is copied rather than encoded. Never
// modified.

// topKeys are the other top-level keys, quoted and followed by their colon. None
// decodes to "uid" or "ts", but some come close: other cases, extra characters,
// escapes.
var topKeys = []string{
	`"ip":`, `"lang":`, `"v":`, `"event":`, `"page":`, `"ref":`, `"agent":`, `"geo":`, `"tags":`,
	`"ab":`, `"sess":`, `"dur":`, `"score":`, `"flags":`, `"msg":`, `"path":`, `"note":`,
	`"user":`, `"ctx":`, `"items":`, `"meta":`, `"extra":`, `"device":`, `"os":`, `"screen":`,
	`"q":`, `"cart":`, `"price":`, `"currency":`, `"x":`, `"id":`, `"uuid":`, `"user_id":`,
	`"userid":`, `"time":`, `"timestamp":`, `"tstamp":`, `"ts_ms":`, `"uid_":`, `"_uid":`,
	`"uids":`, `"ts_":`, `"_ts":`, `"UID":`, `"Ts":`, `"TS":`, `"Uid":`, `"uid ":`, `" ts":`,
	`"t s":`, `"u\"id":`, `"uid\\":`, `"\u0074s_x":`, `"\u0075id2":`, `"\/uid":`, `"ключ":`,
	`"время":`, `"пользователь":`,
}

// nestedKey is a key for nested objects, quoted and followed by its colon; isUID
// and isTS mark the names that decode to "uid" or "ts", whose values are decoys.
type nestedKey struct {
	k           string
	isUID, isTS bool
}

var nestedKeys = []nestedKey{
	{k: `"uid":`, isUID: true}, {k: `"ts":`, isTS: true},
	{k: `"uid":`, isUID: true}, {k: `"ts":`, isTS: true},
	{k: `"\u0075id":`, isUID: true}, {k: `"t\u0073":`, isTS: true}, {k: `"\u0075\u0069\u0064":`, isUID: true},
	{k: `"id":`}, {k: `"name":`}, {k: `"value":`}, {k: `"k":`}, {k: `"at":`}, {k: `"when":`}, {k: `"who":`},
	{k: `"user":`}, {k: `"data":`}, {k: `"list":`}, {k: `"child":`}, {k: `"UID":`}, {k: `"Ts":`}, {k: `"текст":`},
	{k: `"a\"b":`}, {k: `"c\\d":`}, {k: `"":`},
}

// escPieces make up the insides of escaped strings: every JSON escape, runs of backslashes of
// odd and even length (also right before the closing quote), escaped slashes,
// surrogate pairs, JSON text inside strings, and multi-byte UTF-8.
var escPieces = []string{
	`He said \"hello\" and left`,
	`C:\\Program Files\\headcount\\bin\\hc.exe`,
	`\\\\server\\share\\logs\\`,
	`line one\nline two\r\nline three`,
	`\tindented\t\ttext\t`,
	`bell\b form\f feed`,
	`https:\/\/example.com\/a\/b?q=\"x\"&y=1`,
	`\u0041\u00e9\u00DF\u4e2d\u6587`,
	`emoji \ud83d\ude00 \uD83C\uDF89`,
	`\\\"quoted\\\"`,
	`\\\\\\\\`,
	`\\`,
	`\u005c\u0022`,
	`\"uid\":\"`,
	`\"ts\":1468244340`,
	`\/\/ comment \/* not *\/`,
	`\u2028\u2029`,
	`a\\nb\\tc`,
	`мягкий \"знак\" \\ твёрдый`,
	`{\"a\":[1,2,{\"b\":\"c\\\\\"}]}`,
	`\r\n\r\n`,
	`path\/to\/file.json`,
	`\\\\\\\"\\`,
	`\u0000\u001f\u007f`,
	`}\"]}`,
}

// words are string values without escapes, quoted.
var words = []string{
	`"Привет, мир"`, `"Съешь же ещё этих мягких французских булок, да выпей чаю"`, `"Москва"`,
	`"пользователь"`, `"Ünïcödé ÄÖÜ"`, `"日本語テキスト"`, `"café"`, `"naïve"`, `"uid"`, `"ts"`,
	`"hello"`, `"world"`, `"headcount"`, `"kafka"`, `"frame"`, `"click"`, `"view"`, `"checkout"`,
	`"Mozilla/5.0 (X11; Linux x86_64)"`, `"en-US"`, `"ru-RU"`, `"de-CH"`, `"{"`, `"}"`, `"["`,
	`"]"`, `":"`, `","`, `"' '"`, `"1468244340"`, `"0"`, `"-1"`, `"true"`, `"null"`,
}

// badUIDs are top-level uid values that break the contract: not a non-empty string.
var badUIDs = []string{`""`, `12345`, `null`, `true`, `1.5e3`, `[]`, `{}`}

// badTSs are top-level ts values that break the contract; a '#' stands for the
// frame's real timestamp.
var badTSs = []string{
	`-#`, `#.5`, `"abc"`, `""`, `"-#"`, `"#.0"`, `"99999999999999999999"`,
	`99999999999999999999`, `true`, `null`, `[#]`, `{"ts":#}`, `" #"`, `"# "`, `"+#"`,
}

// badMembers are members that make an otherwise valid frame invalid JSON.
var badMembers = []string{
	`"esc":"abc\x41def"`, `"esc":"\U0041"`, `"esc":"\u00g1"`, `"esc":"it\'s"`, `"esc":"\a"`,
	"\"ctl\":\"tab\there\"", "\"ctl\":\"\x01\"", "\"ctl\":\"\x1f\"",
	`"n":01`, `"n":+1`, `"n":1.`, `"n":.5`, `"n":1e`, `"n":1e+`, `"n":-`, `"n":0x1F`,
	`"n":1_000`, `"n":NaN`, `"n":Infinity`, `"n":-Infinity`, `"n":--1`,
	`"l":tru`, `"l":True`, `"l":nul`, `"l":NULL`, `"l":undefined`, `"l":falsey`,
	`"s":'single'`, `"a":[1,2}`, `"o":{"a":1]`, `"k" 1`, `"a":1 "b":2`, `key:1`,
	`"a":1,,"b":2`, `"a"::1`, `"s":"unterminated}`,
}

// badPrefixes and badSuffixes surround an otherwise valid frame.
var (
	badPrefixes = []string{"\xef\xbb\xbf", "\x1b[0m", "data: ", "[", "INFO ", "{"}
	badSuffixes = []string{" x", "}", ",", "]", `{"uid":"0","ts":0}`, " //", "\x00"}
)

// logLines are plain-text lines that end up in a topic by mistake.
var logLines = []string{
	"2016-07-11 13:39:00,123 WARN [kafka-producer-network-thread] Connection to node 2 could not be established. Broker may not be available.",
	"2016-07-11 13:39:01,007 INFO  o.a.k.c.p.KafkaProducer - Closing the Kafka producer with timeoutMillis = 9223372036854775807 ms.",
	"Exception in thread \"main\" java.lang.NullPointerException: uid is null\tat com.example.Frames.emit(Frames.java:42)",
	"uid=1fdbcd9f8b9e7a3a8c4 ts=1468244340 msg=\"not json\"",
	"ts,uid\t1468244340,1fdbcd9f8b9e7a3a8c4",
	"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
	"# comment line: {\"uid\":\"1fdbcd9f8b9e7a3a8c4\",\"ts\":1468244340}",
	"Ошибка: соединение разорвано",
	"null null",
	"undefined",
}
