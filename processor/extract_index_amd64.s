#include "textflag.h"
#include "extract_amd64.h"

// func indexBlocksAVX512(line *byte, nblocks, base int, toks *int32, s *scanState) (nt int)
//
// Stage 1 for nblocks 64-byte blocks at line, whose first byte is at
// position base of the line: the loop of index in extract_index.go, with the
// classification in vector compares, the prefix xor as one carry-less
// multiplication, the positions written with VPCOMPRESSB, and the escape
// sequences checked with masks rather than listed. The carries
// between blocks live in *s (scanState; TestAssemblyLayouts checks the
// offsets), so that a call can go on where the previous one stopped.
//
// Registers: SI line, CX blocks left, R8 next token slot, R10 base, R11
// bad; AX BX DX R13 R14 R15 scratch. Z15 the base broadcast, Z6..Z14 and
// Z16..Z30 byte constants, Z31 the bytes 0..63,
// X5 all ones (low quadword). K4 digit, K5 zero, K6 minus, K7 plus, K0 dot.
// STORE_TOKENS widens the 16 compressed positions in lane LANE of Z2 to
// dwords, adds the block's base and stores them at OFF(R8).
#define STORE_TOKENS(LANE, OFF) \
	VEXTRACTI32X4 LANE, Z2, X4 \
	VPMOVZXBD X4, Z3 \
	VPADDD Z15, Z3, Z3 \
	VMOVDQU32 Z3, OFF(R8)

TEXT ·indexBlocksAVX512(SB), NOSPLIT, $0-48
	MOVQ line+0(FP), SI
	MOVQ nblocks+8(FP), CX
	MOVQ base+16(FP), R10
	MOVQ toks+24(FP), R8
	MOVQ s+32(FP), DI
	MOVQ 0(DI), R11

	BYTE_CONSTANTS
	MOVL $0x2f, AX
	VPBROADCASTB AX, Z6 // '/'
	MOVL $0x62, AX
	VPBROADCASTB AX, Z7 // 'b'
	MOVL $0x66, AX
	VPBROADCASTB AX, Z8 // 'f'
	MOVL $0x6e, AX
	VPBROADCASTB AX, Z9 // 'n'
	MOVL $0x72, AX
	VPBROADCASTB AX, Z10 // 'r'
	MOVL $0x74, AX
	VPBROADCASTB AX, Z11 // 't'
	MOVL $0x75, AX
	VPBROADCASTB AX, Z12 // 'u'
	MOVL $0x61, AX
	VPBROADCASTB AX, Z13 // 'a'
	MOVL $0x06, AX
	VPBROADCASTB AX, Z14 // the number of hex letters
	VMOVDQU8 ·iota64(SB), Z31
	MOVQ $-1, AX
	VMOVQ AX, X5
	TESTQ CX, CX
	JEQ done

block:
	VMOVDQU8 (SI), Z0
	VPORD Z18, Z0, Z1 // the bytes with the case bit set
	VPBROADCASTD R10, Z15

	// Escaped bytes (escapedBytes): AX = esc, BX = backslashes.
	VPCMPEQB Z17, Z0, K1
	KMOVQ K1, BX
	MOVQ 16(DI), DX
	MOVQ DX, AX
	NOTQ AX
	ANDQ BX, AX
	LEAQ (AX)(AX*1), R13
	MOVQ $0xaaaaaaaaaaaaaaaa, R14
	ORQ R14, R13
	SUBQ AX, R13
	XORQ R14, R13
	MOVQ BX, AX
	ORQ DX, AX
	XORQ R13, AX
	ANDQ BX, R13
	SHRQ $63, R13
	MOVQ R13, 16(DI)

	// The escaped bytes wait in s for their checks, after the numbers.
	MOVQ AX, 112(DI)
	VPCMPEQB Z16, Z0, K1
	KMOVQ K1, DX // quotes

	// Strings (stringBytes): DX = unescaped quotes, R13 = inside strings.
	NOTQ AX
	ANDQ AX, DX
	VMOVQ DX, X4
	VPCLMULQDQ $0, X5, X4, X4
	VMOVQ X4, R13
	XORQ 24(DI), R13
	MOVQ R13, AX
	SARQ $63, AX
	MOVQ AX, 24(DI)
	VPCMPUB $1, Z18, Z0, K1
	KMOVQ K1, AX
	ANDQ R13, AX
	ORQ AX, R11 // a control byte in a string
	MOVQ R13, R14
	ORQ DX, R14
	NOTQ R14 // R14 = outside strings
	ANDQ R13, DX // DX = opening quotes

	// Separators (K2), whitespace (K1), doubled separators (doubledSeps),
	// brackets (K3), and the bytes that end a scalar.
	VPCMPEQB Z21, Z0, K1
	VPCMPEQB Z22, Z0, K2
	KORQ K1, K2, K2
	VPCMPEQB Z18, Z0, K1
	VPCMPEQB Z23, Z0, K6
	KORQ K1, K6, K1
	VPCMPEQB Z24, Z0, K6
	KORQ K1, K6, K1
	VPCMPEQB Z25, Z0, K6
	KORQ K1, K6, K1
	KORQ K1, K2, K6
	KMOVQ K6, AX
	ANDQ R14, AX
	KMOVQ K2, BX
	ANDQ R14, BX
	BTQ $0, 8(DI)
	ADCQ BX, AX
	SETCS 8(DI)
	ANDQ BX, AX
	ORQ AX, R11 // a separator after a separator
	VPCMPEQB Z19, Z1, K1
	VPCMPEQB Z20, Z1, K3
	KORQ K1, K3, K3
	KORQ K6, K3, K2
	KMOVQ K2, AX
	NOTQ AX
	ANDQ R14, AX // AX = scalar bytes

	// Scalar starts: R13.
	MOVQ 32(DI), BX
	MOVQ AX, 32(DI)
	SHRQ $63, BX
	LEAQ (BX)(AX*2), R13
	NOTQ R13
	ANDQ AX, R13

	// Tokens: brackets outside strings, opening quotes, scalar starts.
	KMOVQ K3, BX
	ANDQ R14, BX
	ORQ DX, BX
	ORQ R13, BX
	KMOVQ BX, K1
	VPCOMPRESSB Z31, K1, Z2
	VPMOVZXBD X2, Z3
	VPADDD Z15, Z3, Z3
	VMOVDQU32 Z3, (R8)
	POPCNTQ BX, BX
	CMPQ BX, $16
	JA tokensMore

tokensDone:
	LEAQ (R8)(BX*4), R8

	// Numbers (badNumbers). AX = scalar bytes, R13 = starts.
	VPSUBB Z26, Z0, Z2
	VPCMPUB $1, Z24, Z2, K4 // digit
	VPCMPEQB Z26, Z0, K5    // zero
	VPCMPEQB Z27, Z0, K6    // minus
	VPCMPEQB Z28, Z0, K7    // plus
	VPCMPEQB Z29, Z0, K0    // dot
	VPCMPEQB Z30, Z1, K2    // expo
	KORQ K4, K6, K1
	KMOVQ K1, BX
	ANDQ R13, BX // BX = starts of number runs
	BTQ $0, 40(DI)
	MOVQ AX, R14
	ADCQ BX, R14
	SETCS 40(DI)
	NOTQ R14
	ANDQ AX, R14 // R14 = number runs
	KORQ K1, K7, K1
	KORQ K1, K0, K1
	KORQ K1, K2, K1
	KMOVQ K1, AX
	NOTQ AX
	ANDQ R14, AX
	ORQ AX, R11 // a byte no number has
	KMOVQ K6, AX
	ANDQ BX, AX // AX = leading minus signs
	KMOVQ K2, BX
	ANDQ R14, BX // BX = exponent marks in runs
	BTQ $0, 48(DI)
	MOVQ R14, DX
	ADCQ BX, DX
	SETCS 48(DI)
	NOTQ DX
	ANDQ R14, DX // DX = from the first exponent mark to the run's end
	MOVQ DX, R13
	NOTQ R13
	ANDQ BX, R13
	ORQ R13, R11 // a second exponent
	KMOVQ K0, R13
	ANDQ R14, R13 // R13 = dots in runs
	MOVQ R13, R15
	ANDQ DX, R15
	ORQ R15, R11 // a dot in the exponent
	BTQ $0, 56(DI)
	MOVQ R14, DX
	ADCQ R13, DX
	SETCS 56(DI)
	NOTQ DX
	ANDQ R14, DX
	NOTQ DX
	ANDQ R13, DX
	ORQ DX, R11 // a second dot
	KMOVQ K4, DX
	MOVQ 64(DI), R15
	MOVQ DX, 64(DI)
	SHRQ $63, R15
	LEAQ (R15)(DX*2), R15 // after a digit
	MOVQ R13, DX
	ORQ BX, DX
	NOTQ R15
	ANDQ R15, DX
	ORQ DX, R11 // a dot or exponent not after a digit
	MOVQ 72(DI), R15
	MOVQ BX, 72(DI)
	SHRQ $63, R15
	LEAQ (R15)(BX*2), R15 // R15 = after an exponent mark
	KORQ K6, K7, K1
	KMOVQ K1, BX // BX = signs
	MOVQ AX, DX
	ORQ R15, DX
	NOTQ DX
	ANDQ BX, DX
	ANDQ R14, DX
	ORQ DX, R11 // a sign neither leading ('-') nor after e
	KORQ K4, K1, K1
	KMOVQ K1, DX
	NOTQ DX
	ANDQ R15, DX
	ORQ DX, R11 // after e, neither a digit nor a sign
	ANDQ R15, BX
	ORQ R13, BX
	ORQ AX, BX // BX = what a digit must follow: dots, leading '-', signs after e
	MOVQ 80(DI), R15
	MOVQ BX, 80(DI)
	SHRQ $63, R15
	LEAQ (R15)(BX*2), R15
	KMOVQ K4, DX
	NOTQ DX // DX = not digits
	MOVQ DX, BX
	ANDQ R15, BX
	ORQ BX, R11 // no digit where one must be
	MOVQ AX, BX
	NOTQ BX
	ANDQ R14, BX // BX = run bytes but leading '-'
	MOVQ 88(DI), R15
	MOVQ BX, 88(DI)
	SHRQ $63, R15
	LEAQ (R15)(BX*2), R15
	KMOVQ K5, BX
	ANDQ R14, BX
	NOTQ R15
	ANDQ R15, BX // BX = zeros that start an integer part
	MOVQ 96(DI), R15
	MOVQ BX, 96(DI)
	SHRQ $63, R15
	LEAQ (R15)(BX*2), R15
	KMOVQ K4, BX
	ANDQ BX, R15
	ORQ R15, R11 // a digit after a leading zero
	ANDQ R14, DX // DX = run bytes that are not digits
	MOVQ 104(DI), R15
	MOVQ DX, 104(DI)
	SHRQ $63, R15
	LEAQ (R15)(DX*2), R15
	NOTQ R14
	ANDQ R14, R15
	ORQ R15, R11 // a run that ends with no digit

	// Escapes (validEscapes): the byte after a backslash is one of
	// "\/bfnrtu, and \u has four hex digits after it.
	VPCMPEQB Z16, Z0, K1
	VPCMPEQB Z17, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z6, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z7, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z8, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z9, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z10, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z11, Z0, K2
	KORQ K1, K2, K1
	VPCMPEQB Z12, Z0, K3
	KORQ K1, K3, K1
	KMOVQ K1, AX
	NOTQ AX
	MOVQ 112(DI), BX
	ANDQ BX, AX
	ORQ AX, R11 // an escape of another byte
	KMOVQ K3, AX
	ANDQ BX, AX // AX = escaped 'u'
	MOVQ 120(DI), R15
	MOVQ AX, 120(DI)
	MOVQ AX, DX
	SHLQ $1, R15, DX
	MOVQ AX, BX
	SHLQ $2, R15, BX
	ORQ BX, DX
	MOVQ AX, BX
	SHLQ $3, R15, BX
	ORQ BX, DX
	MOVQ AX, BX
	SHLQ $4, R15, BX
	ORQ BX, DX // DX = the four bytes after each
	VPSUBB Z13, Z1, Z2
	VPCMPUB $1, Z14, Z2, K1
	KORQ K1, K4, K1 // hex digits
	KMOVQ K1, AX
	NOTQ AX
	ANDQ AX, DX
	ORQ DX, R11 // \u without four hex digits

	ADDQ $64, SI
	ADDQ $64, R10
	DECQ CX
	JNZ block

done:
	MOVQ R11, 0(DI)
	MOVQ R8, AX
	SUBQ toks+24(FP), AX
	SHRQ $2, AX
	MOVQ AX, nt+40(FP)
	VZEROUPPER
	RET

tokensMore:
	// More than 16 tokens: the next 16-byte groups of Z2.
	STORE_TOKENS($1, 64)
	CMPQ BX, $32
	JLE tokensDone
	STORE_TOKENS($2, 128)
	CMPQ BX, $48
	JLE tokensDone
	STORE_TOKENS($3, 192)
	JMP tokensDone

DATA ·iota64+0(SB)/8, $0x0706050403020100
DATA ·iota64+8(SB)/8, $0x0f0e0d0c0b0a0908
DATA ·iota64+16(SB)/8, $0x1716151413121110
DATA ·iota64+24(SB)/8, $0x1f1e1d1c1b1a1918
DATA ·iota64+32(SB)/8, $0x2726252423222120
DATA ·iota64+40(SB)/8, $0x2f2e2d2c2b2a2928
DATA ·iota64+48(SB)/8, $0x3736353433323130
DATA ·iota64+56(SB)/8, $0x3f3e3d3c3b3a3938
GLOBL ·iota64(SB), RODATA, $64
