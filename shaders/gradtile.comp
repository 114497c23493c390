// gradtile.comp: the fused residual and gradient pass, first stage, tiled
// for throughput (the same sums as grad.comp, in another fixed order).
//
// Work group g takes the TT·TR positions g·TT·TR … of the segment as TT
// tiles of TR rows. Per tile:
//
//  1. load: the work group copies the tile's TR·C4 vec4s into shared
//     memory; invocation t loads vec4s t, t+WG, … of the tile, so for
//     contiguous rows neighbouring invocations load neighbouring vec4s
//     (coalesced). The loads of tile k+1 are issued into registers
//     (pre[LD]) while tile k is computed, and stored after the next
//     barrier (register prefetch);
//  2. residual: PR = WG/TR invocations per row each sum every PR-th vec4
//     of the row against the point (invocation t: row t % TR, so the
//     invocations of a warp read one column of neighbouring rows; the
//     tile's row stride CP is odd, which spreads them over the banks) and
//     store their part in rp[row][part]; part 0 adds b;
//  3. gradient: invocation t owns lanes j = t % NLT (+ m·NLT, m < M) of
//     the LANES = C4+1 sums (lane C4 is (Σr, Σr², 0, 0)) for the rows
//     s, s+SL, … of the tile, s = t / NLT: it forms r from rp[row] and
//     adds r·x'_j to a register sum for the tile, which is then added to
//     the group's register accumulator.
//
// Three barriers per tile (four with LOGIT, the binomial family: between
// phases 2 and 3 the invocations t < TR turn row t's residual into
// (σ(z) − y, log(1+e^z) − y·z), see grad.comp). At the end the SL slices' sums of each lane are
// added by a fixed pairwise tree in shared memory and the group's partial
// vector is written to part[g·LANES …] for reduce.comp, as grad.comp does.
// Every row's position → (buffer, offset) is computed once per tile by the
// invocations t < TR (rinfo, double-buffered), so shuffled rows, row
// ranges and tiles that straddle table buffers or the bound window need
// no special case: a row outside the window or past n loads zeros and has
// r = 0, adding exactly nothing.
//
// With WEIGHTED the same invocations also read each row's weight (loadW)
// into rwt, beside rinfo (0 for a row outside the window or past n), and
// the gradient phase adds w·r·x'_j and (w·r, w·r², 0, 0); with LOGIT the
// row's (σ(z) − y, log(1+e^z) − y·z) is multiplied by w.
//
// Header (gpu/layout.go, tiledShape): C4, COLS, NX as for grad.comp, and
//
//	WG       invocations per work group
//	TR, TT   rows per tile, tiles per work group
//	PR       invocations per row in the residual phase (WG/TR: 1, 2 or 4)
//	CP       the tile's row stride in vec4s (C4 or C4+1, odd)
//	NLT, SL  invocations per slice (min(LANES, WG)) and slices (WG/NLT)
//	SLP      SL rounded up to a power of two (the final tree)
//	M        lanes per invocation (⌈LANES/NLT⌉)
//	LD       vec4s each invocation loads per tile (⌈TR·C4/WG⌉)
//	TILELEN  vec4s of the tile array (≥ TR·CP and ≥ SL·LANES)

layout(local_size_x = WG) in;

#define LANES (C4 + 1)

layout(std430, binding = 4) readonly restrict buffer W { RVEC w[]; };
layout(std430, binding = 5) writeonly restrict buffer Part { RVEC part[]; };
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

shared RVEC tile[TILELEN]; // the tile, row i at i·CP; at the end the slices' sums
shared RVEC rp[TR];        // per tile row, the residual's PR parts (part 0 with b)
shared uvec2 rinfo[2 * TR]; // per tile row (two tiles): vec4 offset in its buffer, buffer (≥ nbound: none)
shared RVEC ws[LANES];     // the point, then (b, 0, 0, 0)
#ifdef WEIGHTED
shared REAL rwt[2 * TR];   // per tile row (two tiles): its weight
#endif

// rowInfo records where the row at position q of the segment is, for
// tile row t of the tile in slot.
void rowInfo(uint t, uint q, uint slot) {
	uvec2 info = uvec2(0u, 0xFFFFFFFFu);
#ifdef WEIGHTED
	REAL wt = REAL(0);
#endif
	if (q < n) {
		uint row = pos0 + q;
		if (shuffled != 0u) {
			row = uint(order[row]);
		}
		uint c = row / chunkRows - chunk0; // wraps to a huge value below the window
		if (c < nbound) {
			info = uvec2((row - (chunk0 + c) * chunkRows) * uint(C4), c);
#ifdef WEIGHTED
			wt = loadW(c, row - (chunk0 + c) * chunkRows);
#endif
		}
	}
	rinfo[slot * uint(TR) + t] = info;
#ifdef WEIGHTED
	rwt[slot * uint(TR) + t] = wt;
#endif
}

void main() {
	uint t = gl_LocalInvocationID.x;
	uint g = groupBase + gl_WorkGroupID.x;
	uint start = g * uint(TT * TR); // < n: the dispatch has ⌈n/(TT·TR)⌉ groups
	uint nt = min(uint(TT), (n - start + uint(TR - 1)) / uint(TR));

	for (uint j = t; j < uint(LANES); j += uint(WG)) {
		ws[j] = w[j];
	}
	if (t < uint(TR)) {
		rowInfo(t, start + t, 0u);
	}
	barrier();
	REAL b = ws[C4].x;

	// Register prefetch of the first tile.
	RVEC pre[LD];
	for (int m = 0; m < LD; m++) {
		uint idx = t + uint(m * WG);
		RVEC v = RVEC(0);
		if (idx < uint(TR * C4)) {
			uint i = idx / uint(C4);
			uvec2 info = rinfo[i];
			if (info.y < nbound) {
				v = loadX(info.y, info.x + idx - i * uint(C4));
			}
		}
		pre[m] = v;
	}

	// Residual phase: row ri, part rp0. Gradient phase: lanes jl + m·NLT,
	// slice sl.
	uint ri = t % uint(TR), rpart = t / uint(TR);
	uint jl = t % uint(NLT), sl = t / uint(NLT);
	RVEC acc[M];
	for (int m = 0; m < M; m++) {
		acc[m] = RVEC(0);
	}

	for (uint k = 0u; k < nt; k++) {
		uint slot = k & 1u;
		bool next = k + 1u < nt;
		if (next && t < uint(TR)) {
			rowInfo(t, start + (k + 1u) * uint(TR) + t, slot ^ 1u);
		}
		for (int m = 0; m < LD; m++) {
			uint idx = t + uint(m * WG);
			if (idx < uint(TR * C4)) {
				uint i = idx / uint(C4);
				tile[i * uint(CP) + idx - i * uint(C4)] = pre[m];
			}
		}
		barrier(); // the tile and rinfo of tile k+1 are complete

		if (next) {
			uint o = (slot ^ 1u) * uint(TR);
			for (int m = 0; m < LD; m++) {
				uint idx = t + uint(m * WG);
				RVEC v = RVEC(0);
				if (idx < uint(TR * C4)) {
					uint i = idx / uint(C4);
					uvec2 info = rinfo[o + i];
					if (info.y < nbound) {
						v = loadX(info.y, info.x + idx - i * uint(C4));
					}
				}
				pre[m] = v;
			}
		}

		// Residual parts of row ri.
		{
			RVEC av = RVEC(0);
			for (uint j = rpart; j < uint(C4); j += uint(PR)) {
				av += tile[ri * uint(CP) + j] * ws[j];
			}
			REAL s = (av.x + av.y) + (av.z + av.w);
			if (rpart == 0u) {
				s = b + s;
			}
			rp[ri][rpart] = rinfo[slot * uint(TR) + ri].y < nbound ? s : REAL(0);
		}
		barrier(); // rp is complete

#ifdef LOGIT
		// The binomial family: invocation t < TR turns row t's parts into
		// z, then rp[t] = (σ(z) − y, log(1+e^z) − y·z, 0, 0); a row outside
		// the window or past n gets zeros and adds nothing.
		if (t < uint(TR)) {
			RVEC q = rp[t];
			REAL z = q.x;
#if PR > 1
			z += q.y;
#endif
#if PR > 2
			z += q.z;
			z += q.w;
#endif
			RVEC rl = RVEC(0);
			if (rinfo[slot * uint(TR) + t].y < nbound) {
				rl.xy = logitRL(z, tile[t * uint(CP) + uint(TGT / 4)][TGT % 4] + yshift);
#ifdef WEIGHTED
				rl.xy *= rwt[slot * uint(TR) + t];
#endif
			}
			rp[t] = rl;
		}
		barrier(); // rp holds (r, loss) per row
#endif

		if (sl < uint(SL)) {
			uint rows = min(uint(TR), n - start - k * uint(TR));
			RVEC ts[M];
			for (int m = 0; m < M; m++) {
				ts[m] = RVEC(0);
			}
			for (uint i = sl; i < rows; i += uint(SL)) {
				RVEC q = rp[i];
				REAL r = q.x;
#ifdef LOGIT
				RVEC last = RVEC(r, q.y, 0, 0);
#else
#if PR > 1
				r += q.y;
#endif
#if PR > 2
				r += q.z;
				r += q.w;
#endif
#ifdef WEIGHTED
				REAL rr = r;
				r *= rwt[slot * uint(TR) + i]; // w·r
				RVEC last = r * RVEC(1, rr, 0, 0);
#else
				RVEC last = r * RVEC(1, r, 0, 0);
#endif
#endif
				for (int m = 0; m < M; m++) {
					uint j = jl + uint(m * NLT);
					if (j < uint(C4)) {
						ts[m] += r * tile[i * uint(CP) + j];
					} else if (j == uint(C4)) {
						ts[m] += last;
					}
				}
			}
			for (int m = 0; m < M; m++) {
				acc[m] += ts[m];
			}
		}
		barrier(); // the tile and rp are free
	}

	// The slices' sums, lane j of slice s at tile[s·LANES + j], added by a
	// fixed pairwise tree over s.
	if (sl < uint(SL)) {
		for (int m = 0; m < M; m++) {
			uint j = jl + uint(m * NLT);
			if (j < uint(LANES)) {
				tile[sl * uint(LANES) + j] = acc[m];
			}
		}
	}
	barrier();
	for (uint h = uint(SLP) / 2u; h > 0u; h >>= 1) {
		for (uint e = t; e < h * uint(LANES); e += uint(WG)) {
			uint s = e / uint(LANES);
			if (s + h < uint(SL)) {
				tile[e] += tile[e + h * uint(LANES)];
			}
		}
		barrier();
	}
	for (uint j = t; j < uint(LANES); j += uint(WG)) {
		part[g * uint(LANES) + j] = tile[j];
	}
}
