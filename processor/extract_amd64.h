// Shared by extract_classify_amd64.s and extract_index_amd64.s.

// BYTE_CONSTANTS broadcasts into Z16..Z30 the bytes the AVX-512 classifiers
// compare with (AX is scratch), in this order: '"', '\\', ' ' (also the first
// byte that is not a control byte, and the case bit), '{' ('[' with the case
// bit), '}' (']' with it), ':', ',', '\t', '\n' (also the number of digits),
// '\r', '0', '-', '+', '.', 'e' ('E' with the case bit).
#define BYTE_CONSTANTS \
	MOVL $0x22, AX \
	VPBROADCASTB AX, Z16 \
	MOVL $0x5c, AX \
	VPBROADCASTB AX, Z17 \
	MOVL $0x20, AX \
	VPBROADCASTB AX, Z18 \
	MOVL $0x7b, AX \
	VPBROADCASTB AX, Z19 \
	MOVL $0x7d, AX \
	VPBROADCASTB AX, Z20 \
	MOVL $0x3a, AX \
	VPBROADCASTB AX, Z21 \
	MOVL $0x2c, AX \
	VPBROADCASTB AX, Z22 \
	MOVL $0x09, AX \
	VPBROADCASTB AX, Z23 \
	MOVL $0x0a, AX \
	VPBROADCASTB AX, Z24 \
	MOVL $0x0d, AX \
	VPBROADCASTB AX, Z25 \
	MOVL $0x30, AX \
	VPBROADCASTB AX, Z26 \
	MOVL $0x2d, AX \
	VPBROADCASTB AX, Z27 \
	MOVL $0x2b, AX \
	VPBROADCASTB AX, Z28 \
	MOVL $0x2e, AX \
	VPBROADCASTB AX, Z29 \
	MOVL $0x65, AX \
	VPBROADCASTB AX, Z30
