#include "textflag.h"
#include "extract_amd64.h"

// func classifyAVX512(line *byte, nblocks int, masks *blockMasks)
//
// One 64-byte load and seventeen byte compares into mask registers a block;
// the masks are stored in blockMasks' field order (TestClassifyAssembly
// compares every field with classifySWAR).
TEXT ·classifyAVX512(SB), NOSPLIT, $0-24
	MOVQ line+0(FP), SI
	MOVQ nblocks+8(FP), CX
	MOVQ masks+16(FP), DI
	BYTE_CONSTANTS
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

// AVX2HALF classifies the 32 bytes in Y0 into the 32-bit halves of the
// blockMasks at DI+OFF (OFF is 0 for a block's low half, 4 for its high one).
#define AVX2HALF(OFF) \
	VPOR Y7, Y0, Y1 \
	VPCMPEQB Y4, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (0+OFF)(DI) \
	VPCMPEQB Y5, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (8+OFF)(DI) \
	VPMAXUB Y7, Y0, Y2 \
	VPCMPEQB Y0, Y2, Y2 \
	VPMOVMSKB Y2, AX \
	NOTL AX \
	MOVL AX, (16+OFF)(DI) \
	VPCMPEQB Y8, Y1, Y2 \
	VPCMPEQB Y9, Y1, Y3 \
	VPOR Y2, Y3, Y3 \
	VPMOVMSKB Y3, AX \
	MOVL AX, (24+OFF)(DI) \
	VPCMPEQB Y10, Y0, Y2 \
	VPCMPEQB Y11, Y0, Y15 \
	VPOR Y2, Y15, Y15 \
	VPMOVMSKB Y15, AX \
	MOVL AX, (32+OFF)(DI) \
	VPOR Y3, Y15, Y15 \
	VPCMPEQB Y7, Y0, Y2 \
	VPOR Y2, Y15, Y15 \
	VPBROADCASTB ·classifyBytes+11(SB), Y3 \
	VPCMPEQB Y3, Y0, Y2 \
	VPOR Y2, Y15, Y15 \
	VPBROADCASTB ·classifyBytes+12(SB), Y3 \
	VPCMPEQB Y3, Y0, Y2 \
	VPOR Y2, Y15, Y15 \
	VPBROADCASTB ·classifyBytes+13(SB), Y3 \
	VPCMPEQB Y3, Y0, Y2 \
	VPOR Y2, Y15, Y15 \
	VPMOVMSKB Y15, AX \
	MOVL AX, (40+OFF)(DI) \
	VPSUBB Y12, Y0, Y2 \
	VPMINUB Y13, Y2, Y3 \
	VPCMPEQB Y2, Y3, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (48+OFF)(DI) \
	VPCMPEQB Y12, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (56+OFF)(DI) \
	VPCMPEQB Y6, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (64+OFF)(DI) \
	VPBROADCASTB ·classifyBytes+14(SB), Y3 \
	VPCMPEQB Y3, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (72+OFF)(DI) \
	VPBROADCASTB ·classifyBytes+15(SB), Y3 \
	VPCMPEQB Y3, Y0, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (80+OFF)(DI) \
	VPCMPEQB Y14, Y1, Y2 \
	VPMOVMSKB Y2, AX \
	MOVL AX, (88+OFF)(DI)

// func classifyAVX2(line *byte, nblocks int, masks *blockMasks)
//
// classifyAVX512 for CPUs with AVX2 only: each 64-byte block as two 32-byte
// halves (AVX2HALF). Y0 the half, Y1 it with the case bit set, Y2 Y3 Y15
// scratch, Y4..Y14 byte constants, the rarer ones broadcast from
// classifyBytes as they are needed.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-24
	MOVQ line+0(FP), SI
	MOVQ nblocks+8(FP), CX
	MOVQ masks+16(FP), DI
	VPBROADCASTB ·classifyBytes+0(SB), Y4  // '"'
	VPBROADCASTB ·classifyBytes+1(SB), Y5  // '\\'
	VPBROADCASTB ·classifyBytes+2(SB), Y7  // ' ', the first byte that is not a control byte, and the case bit
	VPBROADCASTB ·classifyBytes+3(SB), Y8  // '{', and '[' with the case bit
	VPBROADCASTB ·classifyBytes+4(SB), Y9  // '}', and ']' with the case bit
	VPBROADCASTB ·classifyBytes+5(SB), Y10 // ':'
	VPBROADCASTB ·classifyBytes+6(SB), Y11 // ','
	VPBROADCASTB ·classifyBytes+7(SB), Y12 // '0'
	VPBROADCASTB ·classifyBytes+8(SB), Y13 // 9, the largest digit less '0'
	VPBROADCASTB ·classifyBytes+9(SB), Y14 // 'e', and 'E' with the case bit
	VPBROADCASTB ·classifyBytes+10(SB), Y6 // '-'
	TESTQ CX, CX
	JEQ avx2done

avx2block:
	VMOVDQU (SI), Y0
	AVX2HALF(0)
	VMOVDQU 32(SI), Y0
	AVX2HALF(4)
	ADDQ $64, SI
	ADDQ $96, DI
	DECQ CX
	JNZ avx2block

avx2done:
	VZEROUPPER
	RET

// classifyBytes are the bytes classifyAVX2 compares with: '"' '\\' ' ' '{'
// '}' ':' ',' '0' 9 'e' '-' '\t' '\n' '\r' '+' '.'.
DATA ·classifyBytes+0(SB)/8, $0x302c3a7d7b205c22
DATA ·classifyBytes+8(SB)/8, $0x2e2b0d0a092d6509
GLOBL ·classifyBytes(SB), RODATA, $16
