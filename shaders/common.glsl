// common.glsl: types, the table's storage blocks and the work-group tree,
// shared by the kernels. It follows the header the gpu package generates:
//
//	C4     vec4s per stored row (columns padded with zeros to 4·C4)
//	WG     invocations per work group (a power of two)
//	R      rows per invocation in the row kernels
//	NX     table buffers bound at once (1…4), at bindings 0…NX−1
//	LANES  vec4 sums per invocation reduced by the tree (row kernels)
//	KB     lanes the tree reduces per pass (shared memory bound)
//	WSH    1 when the gradient kernel keeps the point in shared memory
//	COLS   table columns (the target included); the intercept is entry COLS
//	F64    defined when the table is stored in double
//	ACC64  defined when a row kernel accumulates in double (moments)

#ifdef F64
#define REAL double
#define RVEC dvec4
#else
#define REAL float
#define RVEC vec4
#endif

// The accumulators of the row kernels and their partial sums.
#if defined(F64) || defined(ACC64)
#define AREAL double
#define AVEC dvec4
#else
#define AREAL float
#define AVEC vec4
#endif

// The optimizer's vectors live in one double buffer, slot s at s·P:
// θ, look, grad, m1, m2 (lsgd.Slot order), then mask, ridge and the column
// shift of the stored table (x' = x − shift; zero past COLS).
#define P (4 * C4 + 4)
#define GRAD 2
#define M1 3
#define M2 4
#define MASK 5
#define RIDGE 6
#define SHIFT 7
#define NVEC 8

// Status, read back by Data.Status.
struct Stat {
	double loss;    // loss of the last gradient
	double grad2;   // ‖g‖² of the last gradient
	double param2;  // ‖θ‖² over free entries after the last step
	double lossSum; // Σ loss since the last read
	int count;      // gradients since the last read
	int restarts;   // Nesterov restarts since Init
	int k;          // Nesterov steps since the last restart
	int pad;
};

#ifdef NX
// The table: stored row i of buffer k holds x[k][i·C4 … i·C4+C4−1].
layout(std430, binding = 0) readonly restrict buffer X0 { RVEC x0[]; };
#if NX > 1
layout(std430, binding = 1) readonly restrict buffer X1 { RVEC x1[]; };
#endif
#if NX > 2
layout(std430, binding = 2) readonly restrict buffer X2 { RVEC x2[]; };
#endif
#if NX > 3
layout(std430, binding = 3) readonly restrict buffer X3 { RVEC x3[]; };
#endif

// loadX returns vec4 i of table buffer k (k < NX). With several buffers
// the switch is the portable way to choose one: GL 4.3 forbids indexing
// an array of storage blocks by a non-uniform value.
RVEC loadX(uint k, uint i) {
#if NX == 1
	return x0[i];
#else
	switch (k) {
	case 0u: return x0[i];
	case 1u: return x1[i];
#if NX > 2
	case 2u: return x2[i];
#endif
#if NX > 3
	case 3u: return x3[i];
#endif
	}
	return RVEC(0);
#endif
}
#endif

#ifdef LANES
// Per work group g, the LANES sums at part[g·LANES …].
layout(std430, binding = 5) writeonly restrict buffer Part { AVEC part[]; };

shared AVEC red[KB * WG];

// treeStore sums acc over the work group with a fixed pairwise tree in
// shared memory, KB lanes per pass, and stores the group's sums at
// part[g·LANES …]. Every invocation of the group must call it. The order
// of the additions depends only on WG, so the result is reproducible.
void treeStore(AVEC acc[LANES], uint g) {
	uint t = gl_LocalInvocationID.x;
	for (int c0 = 0; c0 < LANES; c0 += KB) {
		for (int j = 0; j < KB; j++) {
			if (c0 + j < LANES) {
				red[j * WG + t] = acc[c0 + j];
			}
		}
		barrier();
		for (uint s = WG / 2u; s > 0u; s >>= 1) {
			if (t < s) {
				for (int j = 0; j < KB; j++) {
					if (c0 + j < LANES) {
						red[j * WG + t] += red[j * WG + t + s];
					}
				}
			}
			barrier();
		}
		if (t < uint(KB) && c0 + int(t) < LANES) {
			part[g * uint(LANES) + uint(c0) + t] = red[t * WG];
		}
		barrier();
	}
}
#endif
