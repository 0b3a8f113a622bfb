package processor

import "golang.org/x/sys/cpu"

// hasIndexAVX512 says whether this CPU runs indexAVX512: AVX-512 F, BW and
// VBMI2 (VPCOMPRESSB), carry-less multiplication and POPCNT.
var hasIndexAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI2 &&
	cpu.X86.HasPCLMULQDQ && cpu.X86.HasPOPCNT

// scanState is what stage 1 carries from one block to the next in
// indexAVX512 (extract_index_amd64.s reads it by offset): the or of the
// failed checks, and the carries of indexGo's loop, doubledSeps and
// badNumbers, each kept as the previous block's whole mask where a
// check needs its top bit, or as 0/1 (0/-1 for inStr).
type scanState struct {
	bad, sepRun                                      uint64
	esc, inStr, scalar                               uint64
	run, expoRun, dotRun                             uint64
	digit, expo, needDigit, inRun, intZero, nonDigit uint64
	escaped, unicode                                 uint64 // this block's escaped bytes; escaped 'u's
}

// indexAVX512 is indexGo in assembly; it checks the escapes itself, so it
// lists none.
func (x *Extractor) indexAVX512(line []byte) int {
	var s scanState
	full := len(line) >> 6
	nt := 0
	if full > 0 {
		nt = indexBlocksAVX512(&line[0], full, 0, &x.toks[0], &s)
	}
	if len(line)&63 != 0 {
		pad := lastBlock(line)
		nt += indexBlocksAVX512(&pad[0], 1, full<<6, &x.toks[nt], &s)
	}
	x.nt = nt
	if s.bad != 0 || s.inStr != 0 {
		return -1
	}
	return 0
}

// indexBlocksAVX512 runs stage 1 over the nblocks 64-byte blocks at line,
// the first at position base of the line, writing token positions from toks
// on, carrying state in s. It returns how many it wrote.
//
//go:noescape
func indexBlocksAVX512(line *byte, nblocks, base int, toks *int32, s *scanState) (nt int)
