package processor

// walkTokens is walkTokensGo in assembly (extract_walk_amd64.s), which keeps
// every loop-carried value in a register.
func walkTokens(line []byte, toks, marks []int32, t *walkTables) (bad, depth, nm int) {
	if len(toks) < 2 || len(marks) < len(toks) {
		return walkTokensGo(line, toks, marks, t)
	}
	return walkTokensAsm(&line[0], &toks[0], len(toks), &marks[0], t)
}

// walkTokensAsm is walkTokensGo over the nt tokens at toks (nt >= 2) of the
// line at line, with room for nt marks at marks.
//
//go:noescape
func walkTokensAsm(line *byte, toks *int32, nt int, marks *int32, t *walkTables) (bad, depth, nm int)
