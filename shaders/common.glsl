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
//	WEIGHTED  defined when the table has row weights (see loadW)
//	WDOUBLE   defined when a weighted kernel reads the weights in double

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

#ifdef WEIGHTED
// The row weights, split like the table: weight buffer k (binding 7 + k)
// holds the weights of the rows of table buffer k bound at binding k. The
// gradient kernels read them in the storage type; Moments and Gram, which
// sum in double, read them as given (WDOUBLE: a double copy of a float32
// table's weights).
#if defined(F64) || defined(WDOUBLE)
#define WREAL double
#else
#define WREAL float
#endif
layout(std430, binding = 7) readonly restrict buffer W0 { WREAL w0[]; };
#if NX > 1
layout(std430, binding = 8) readonly restrict buffer W1 { WREAL w1[]; };
#endif
#if NX > 2
layout(std430, binding = 9) readonly restrict buffer W2 { WREAL w2[]; };
#endif
#if NX > 3
layout(std430, binding = 10) readonly restrict buffer W3 { WREAL w3[]; };
#endif

// loadW returns the weight of row i of table buffer k (k < NX).
WREAL loadW(uint k, uint i) {
#if NX == 1
	return w0[i];
#else
	switch (k) {
	case 0u: return w0[i];
	case 1u: return w1[i];
#if NX > 2
	case 2u: return w2[i];
#endif
#if NX > 3
	case 3u: return w3[i];
#endif
	}
	return WREAL(0);
#endif
}
#endif
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

#ifdef LOGIT
// The binomial family (LOGIT defined, TGT the label's column): logitRL
// returns (σ(z) − y, log(1 + e^z) − y·z) for the linear predictor z and
// label y, stably: only e^{−|z|} is formed, log(1+e^z) = max(z, 0) +
// log1p(e^{−|z|}). GLSL has exp and log for float only, so a double table
// gets its own: expNeg and log1pUnit below, accurate to a few units of
// double rounding.
#ifdef F64
// expNeg returns e^x for x ≤ 0: x = k·ln2 + r with |r| ≤ ln2/2 (ln2 in two
// parts, so r is exact to double rounding), e^r by its Taylor series to
// degree 13 (truncation < 2⁻⁵⁸), then ·2^k.
double expNeg(double x) {
	if (x < -708.0) {
		return 0.0;
	}
	double k = floor(x * 1.4426950408889634LF + 0.5LF);
	double r = (x - k * 6.93147180369123816490e-01LF) - k * 1.90821492927058770002e-10LF;
	double p = 1.0LF / 6227020800.0LF;
	p = p * r + 1.0LF / 479001600.0LF;
	p = p * r + 1.0LF / 39916800.0LF;
	p = p * r + 1.0LF / 3628800.0LF;
	p = p * r + 1.0LF / 362880.0LF;
	p = p * r + 1.0LF / 40320.0LF;
	p = p * r + 1.0LF / 5040.0LF;
	p = p * r + 1.0LF / 720.0LF;
	p = p * r + 1.0LF / 120.0LF;
	p = p * r + 1.0LF / 24.0LF;
	p = p * r + 1.0LF / 6.0LF;
	p = p * r + 0.5LF;
	p = p * r + 1.0LF;
	p = p * r + 1.0LF;
	return ldexp(p, int(k));
}

// log1pUnit returns log(1 + e) for 0 ≤ e ≤ 1 as 2·atanh(s), s = e/(2+e)
// ≤ 1/3, by the series 2·Σ s^(2i+1)/(2i+1) to i = 17 (the next term is
// below 2⁻⁵⁸ of the sum); relative accuracy holds down to the smallest e.
double log1pUnit(double e) {
	double s = e / (2.0LF + e);
	double s2 = s * s;
	double p = 1.0LF / 35.0LF;
	for (int i = 16; i >= 0; i--) {
		p = p * s2 + 1.0LF / double(2 * i + 1);
	}
	return 2.0LF * s * p;
}

dvec2 logitRL(double z, double y) {
	double e = expNeg(-abs(z));
	double sg = z >= 0.0LF ? 1.0LF / (1.0LF + e) : e / (1.0LF + e);
	return dvec2(sg - y, max(z, 0.0LF) + log1pUnit(e) - y * z);
}
#else
vec2 logitRL(float z, float y) {
	float e = exp(-abs(z));
	float sg = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
	// log(1 + e) loses e's digits when e is tiny: the series's first
	// terms there.
	float l = e < 1e-3 ? e * (1.0 - e * (0.5 - e / 3.0)) : log(1.0 + e);
	return vec2(sg - y, max(z, 0.0) + l - y * z);
}
#endif
#endif
