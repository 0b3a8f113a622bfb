#include "textflag.h"

// func walkTokensAsm(line *byte, toks *int32, nt int, marks *int32, t *walkTables) (bad, depth, nm int)
//
// Registers: SI line, DI toks, R10 nt, R8 marks, R9 t, AX i, BX kinds,
// DX depth, R11 prev,
// R12 bad, R14 nm; CX, R13 and R15 are scratch. The offsets are those of
// walkTables' fields (TestAssemblyLayouts checks them).
TEXT ·walkTokensAsm(SB), NOSPLIT, $0-64
	MOVQ line+0(FP), SI
	MOVQ toks+8(FP), DI
	MOVQ nt+16(FP), R10
	MOVQ marks+24(FP), R8
	MOVQ t+32(FP), R9
	MOVL $1, AX
	XORL BX, BX
	MOVL $1, DX
	XORL R11, R11
	XORL R12, R12
	XORL R14, R14

loop:
	MOVLQSX (DI)(AX*4), R15       // p = toks[i]
	MOVBLZX -1(SI)(R15*1), CX
	MOVBLZX 256(R9)(CX*1), CX     // sep = t.sep[line[p-1]]
	CMPL CX, $3
	JEQ space

sepok:
	MOVBLZX (SI)(R15*1), R15
	MOVBLZX (R9)(R15*1), R15      // t.class[line[p]]
	LEAL (CX)(R15*4), R15
	MOVL BX, CX
	ANDL $1, CX
	SHLL $5, CX
	ORL CX, R15                   // s = ctx<<5 | cls<<2 | sep
	MOVL R11, CX
	SHLL $6, CX
	ORL R15, CX
	MOVBLZX 512(R9)(CX*1), CX     // t.illegal[prev<<6|s]
	ORL CX, R12
	MOVL DX, CX                   // depth outside 1..64: after the top-level object, or too deep
	DECL CX
	SHRL $6, CX
	SHLL $1, CX
	ORL CX, R12
	MOVBLZX 1088(R9)(R15*1), CX   // t.open: push
	SHLQ CX, BX
	ADDQ CX, DX
	MOVBLZX 1216(R9)(R15*1), CX   // t.array
	ORQ CX, BX
	MOVBLZX 1152(R9)(R15*1), CX   // t.shut: pop
	SHRQ CX, BX
	SUBQ CX, DX
	MOVL AX, (R8)(R14*4)          // marks[nm] = i
	MOVBLZX 1344(R9)(R15*1), R13  // t.key, at depth 1
	XORL CX, CX
	CMPL DX, $1
	SETEQ CX
	ANDL CX, R13
	MOVBLZX 1280(R9)(R15*1), CX   // t.literal
	ORL CX, R13
	ADDQ R13, R14
	MOVBLZX 1024(R9)(R15*1), R11  // prev = t.next[s]
	INCQ AX
	CMPQ AX, R10
	JLT loop

	MOVQ R12, bad+40(FP)
	MOVQ DX, depth+48(FP)
	MOVQ R14, nm+56(FP)
	RET

space:
	// Whitespace before the token: the separator is the last byte before
	// it that is not whitespace (line[0] is '{').
	LEAQ -1(R15), R13

spaceloop:
	DECQ R13
	MOVBLZX (SI)(R13*1), CX
	MOVBLZX 256(R9)(CX*1), CX
	CMPL CX, $3
	JEQ spaceloop
	JMP sepok
