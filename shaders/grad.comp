// grad.comp: the fused residual and gradient pass, first stage.
//
// Work group g reads WG·R rows of the segment once. Invocation t takes rows
// q = g·WG·R + k·WG + t (k < R: neighbouring invocations read neighbouring
// rows), forms each residual r = b + Σ_j x'_j·w_j in registers and adds
// r·x' and (r, r²) to its LANES = C4+1 register sums; treeStore then sums
// the work group's invocations. The second stage (reduce.comp) adds the
// groups in double.
//
// w (binding 4) is the evaluation point rounded to the storage type, C4
// vec4s, then (b, 0, 0, 0) with b = θ_intercept + Σ_j shift_j·θ_j: the
// table is stored shifted (x' = x − shift), see prep.comp.
//
// With LOGIT (the binomial family) the residual is σ(z) − y, z the sum
// above (w's label entry is zero) and y the label column TGT, and the
// second lane sums each row's log(1+e^z) − y·z instead of r² (logitRL).
//
// With WEIGHTED each row's terms are multiplied by its weight w_i (loadW):
// the sums are Σ w·r·x', Σ w·r and Σ w·r² (Σ w·(log(1+e^z) − y·z)).

layout(local_size_x = WG) in;

layout(std430, binding = 4) readonly restrict buffer W { RVEC w[]; };
layout(std430, binding = 6) readonly restrict buffer Order { int order[]; };

uniform uint n;         // positions in the segment
uniform uint pos0;      // first position: a row, or an index into the bound order buffer
uniform uint groupBase; // segment's group index of this dispatch's first group
uniform uint shuffled;  // 1: row = order[pos]
uniform uint chunk0;    // table buffer bound at binding 0
uniform uint nbound;    // table buffers bound (≤ NX)
uniform uint chunkRows; // rows per table buffer
#ifdef LOGIT
uniform REAL yshift;    // the label column's shift: y = x'_TGT + yshift
#endif

#if WSH
// The point in shared memory: every invocation reads all of it per row.
shared RVEC ws[C4 + 1];
#define WV(j) ws[j]
#else
#define WV(j) w[j]
#endif

// RW is the row's residual as it enters the sums: w·r when weighted
// (the binomial family's rl is weighted already).
#if defined(WEIGHTED) && !defined(LOGIT)
#define RW rw
#else
#define RW r
#endif

void main() {
	uint t = gl_LocalInvocationID.x;
	uint g = groupBase + gl_WorkGroupID.x;
#if WSH
	for (uint j = t; j <= uint(C4); j += uint(WG)) {
		ws[j] = w[j];
	}
	barrier();
#endif
	AVEC acc[LANES];
	for (int j = 0; j < LANES; j++) {
		acc[j] = AVEC(0);
	}
	REAL b = WV(C4).x;
	uint q0 = g * uint(WG * R) + t;
	for (int k = 0; k < R; k++) {
		uint q = q0 + uint(k * WG);
		if (q >= n) {
			break;
		}
		uint row = pos0 + q;
		if (shuffled != 0u) {
			row = uint(order[row]);
		}
		uint c = row / chunkRows - chunk0; // wraps to a huge value below the window
		if (c >= nbound) {
			continue;
		}
		uint ri = row - (chunk0 + c) * chunkRows;
		uint base = ri * uint(C4);
		REAL r = b;
#if C4 <= 16
		RVEC xr[C4];
		for (int j = 0; j < C4; j++) {
			xr[j] = loadX(c, base + uint(j));
			r += dot(xr[j], WV(j));
		}
#ifdef LOGIT
		// r is the linear predictor z (the label's w entry is zero).
		RVEC rl = RVEC(logitRL(r, xr[TGT / 4][TGT % 4] + yshift), 0, 0);
#ifdef WEIGHTED
		rl *= loadW(c, ri);
#endif
		r = rl.x;
#elif defined(WEIGHTED)
		REAL rw = loadW(c, ri) * r;
#endif
		for (int j = 0; j < C4; j++) {
			acc[j] += RW * xr[j];
		}
#else
		for (int j = 0; j < C4; j++) {
			r += dot(loadX(c, base + uint(j)), WV(j));
		}
#ifdef LOGIT
		RVEC rl = RVEC(logitRL(r, loadX(c, base + uint(TGT / 4))[TGT % 4] + yshift), 0, 0);
#ifdef WEIGHTED
		rl *= loadW(c, ri);
#endif
		r = rl.x;
#elif defined(WEIGHTED)
		REAL rw = loadW(c, ri) * r;
#endif
		for (int j = 0; j < C4; j++) {
			acc[j] += RW * loadX(c, base + uint(j));
		}
#endif
		acc[C4].x += RW;
#ifdef LOGIT
		acc[C4].y += rl.y; // the row's negative log-likelihood (weighted)
#else
		acc[C4].y += RW * r;
#endif
	}
	treeStore(acc, gl_WorkGroupID.x + groupBase);
}
