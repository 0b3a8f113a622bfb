//go:build !amd64

package processor

// walkTokens is walkTokensGo: this architecture has no assembly version.
func walkTokens(line []byte, toks, marks []int32, t *walkTables) (bad, depth, nm int) {
	return walkTokensGo(line, toks, marks, t)
}
