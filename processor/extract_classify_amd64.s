#include "textflag.h"

// func classifyAVX512(line *byte, nblocks int, masks *blockMasks)
//
// One 64-byte load and seventeen byte compares into mask registers a block;
// the masks are stored in blockMasks' field order (TestClassifyAVX512
// compares every field with classifySWAR).
TEXT ·classifyAVX512(SB), NOSPLIT, $0-24
	MOVQ line+0(FP), SI
	MOVQ nblocks+8(FP), CX
	MOVQ masks+16(FP), DI
	MOVL $0x22, AX
	VPBROADCASTB AX, Z16 // '"'
	MOVL $0x5c, AX
	VPBROADCASTB AX, Z17 // '\\'
	MOVL $0x20, AX
	VPBROADCASTB AX, Z18 // ' ', the first byte that is not a control byte, and the case bit
	MOVL $0x7b, AX
	VPBROADCASTB AX, Z19 // '{', and '[' with the case bit
	MOVL $0x7d, AX
	VPBROADCASTB AX, Z20 // '}', and ']' with the case bit
	MOVL $0x3a, AX
	VPBROADCASTB AX, Z21 // ':'
	MOVL $0x2c, AX
	VPBROADCASTB AX, Z22 // ','
	MOVL $0x09, AX
	VPBROADCASTB AX, Z23 // '\t'
	MOVL $0x0a, AX
	VPBROADCASTB AX, Z24 // '\n', and the number of digits
	MOVL $0x0d, AX
	VPBROADCASTB AX, Z25 // '\r'
	MOVL $0x30, AX
	VPBROADCASTB AX, Z26 // '0'
	MOVL $0x2d, AX
	VPBROADCASTB AX, Z27 // '-'
	MOVL $0x2b, AX
	VPBROADCASTB AX, Z28 // '+'
	MOVL $0x2e, AX
	VPBROADCASTB AX, Z29 // '.'
	MOVL $0x65, AX
	VPBROADCASTB AX, Z30 // 'e', and 'E' with the case bit
	TESTQ CX, CX
	JEQ done

loop:
	VMOVDQU8 (SI), Z0
	VPORD Z18, Z0, Z1 // the byte with the case bit set
	VPCMPEQB Z16, Z0, K1
	KMOVQ K1, 0(DI) // quote
	VPCMPEQB Z17, Z0, K1
	KMOVQ K1, 8(DI) // backslash
	VPCMPUB $1, Z18, Z0, K1
	KMOVQ K1, 16(DI) // ctl
	VPCMPEQB Z19, Z1, K1
	VPCMPEQB Z20, Z1, K2
	KORQ K1, K2, K2
	KMOVQ K2, 24(DI) // bracket
	VPCMPEQB Z21, Z0, K1
	VPCMPEQB Z22, Z0, K3
	KORQ K1, K3, K3
	KMOVQ K3, 32(DI) // sep
	KORQ K2, K3, K2
	VPCMPEQB Z18, Z0, K1
	KORQ K1, K2, K2
	VPCMPEQB Z23, Z0, K1
	KORQ K1, K2, K2
	VPCMPEQB Z24, Z0, K1
	KORQ K1, K2, K2
	VPCMPEQB Z25, Z0, K1
	KORQ K1, K2, K2
	KMOVQ K2, 40(DI) // delim
	VPSUBB Z26, Z0, Z2
	VPCMPUB $1, Z24, Z2, K1
	KMOVQ K1, 48(DI) // digit
	VPCMPEQB Z26, Z0, K1
	KMOVQ K1, 56(DI) // zero
	VPCMPEQB Z27, Z0, K1
	KMOVQ K1, 64(DI) // minus
	VPCMPEQB Z28, Z0, K1
	KMOVQ K1, 72(DI) // plus
	VPCMPEQB Z29, Z0, K1
	KMOVQ K1, 80(DI) // dot
	VPCMPEQB Z30, Z1, K1
	KMOVQ K1, 88(DI) // expo
	ADDQ $64, SI
	ADDQ $96, DI
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
