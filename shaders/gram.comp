// gram.comp: the Gram matrix G' = Σ_i x̃'_i x̃'_iᵀ of stored rows, x̃'_i
// the stored (shifted) row i with a 1 appended at column COLS, in double.
//
// First stage (default): work group g of a dispatch computes one T×T tile
// of G' (tile pair pairs[pair0 + g / nrc], rows J… and columns K… of G')
// over one row chunk (positions (g mod nrc)·RC … of the segment). Its
// 256 invocations stage RB rows of the tile's two column blocks in shared
// memory as double (float32 values widen exactly, and a product of two
// float32 values is exact in double), then each adds the products into
// its 2×2 block of the tile (rows ty, ty+16, columns tx, tx+16), in row
// order. The tile's sums go to part[(g mod nrc)·len + tile·T² …], len =
// npairs·T².
//
// Second stage (REDUCE): invocation j adds scalar j of the nrc row chunks'
// partials in chunk order into acc[j] (set when first), so the segments of
// a pass are added in the order they run: a fixed order, the same bits
// every run.
//
// With WEIGHTED the sums are G' = Σ_i w_i·x̃'_i x̃'_iᵀ: the row tile's
// staged values are multiplied by the row's weight (loadW, in double:
// WDOUBLE), so the last row of G' holds Σ w·x' and Σ w.
//
// Defines: T (tile side, 32), RB (rows staged at a time), RC (rows per
// chunk), and for the first stage C4, COLS, NX (see common.glsl).

#ifdef REDUCE

layout(local_size_x = WG) in;

layout(std430, binding = 5) readonly restrict buffer GPart { double part[]; };
layout(std430, binding = 6) restrict buffer GAcc { double acc[]; };

uniform uint len;   // scalars per row chunk
uniform uint nrc;   // row chunks
uniform uint first;
uniform uint groupBase;

void main() {
	uint j = (groupBase + gl_WorkGroupID.x) * uint(WG) + gl_LocalInvocationID.x;
	if (j >= len) {
		return;
	}
	double s = first != 0u ? 0.0 : acc[j];
	for (uint g = 0u; g < nrc; g++) {
		s += part[g * len + j];
	}
	acc[j] = s;
}

#else

layout(local_size_x = 256) in;

layout(std430, binding = 4) readonly restrict buffer Pairs { uvec2 pairs[]; };
layout(std430, binding = 5) writeonly restrict buffer GPart { double part[]; };

uniform uint n;         // rows in the segment
uniform uint pos0;      // its first row
uniform uint groupBase;
uniform uint chunk0;
uniform uint nbound;
uniform uint chunkRows;
uniform uint pair0;     // first tile pair of the batch
uniform uint npairs;    // tile pairs in the batch
uniform uint nrc;       // row chunks in the segment

#define T4 (T / 4)
shared dvec4 sa[RB * T4];
shared dvec4 sb[RB * T4];

// loadRow returns vec4 v (columns 4v…4v+3) of x̃' at segment position q
// (< n), the 1 at column COLS, zero past it.
dvec4 loadRow(uint q, uint v) {
	uint row = pos0 + q;
	uint c = row / chunkRows - chunk0;
	dvec4 x = dvec4(0);
	if (c < nbound && v < uint(C4)) {
		x = dvec4(loadX(c, (row - (chunk0 + c) * chunkRows) * uint(C4) + v));
	}
	for (int a = 0; a < 4; a++) {
		uint col = 4u * v + uint(a);
		if (col == uint(COLS)) {
			x[a] = 1.0;
		} else if (col > uint(COLS)) {
			x[a] = 0.0;
		}
	}
	return x;
}

#ifdef WEIGHTED
// rowWeight returns the weight of the row at segment position q (< n), 0
// outside the bound window.
double rowWeight(uint q) {
	uint row = pos0 + q;
	uint c = row / chunkRows - chunk0;
	return c < nbound ? double(loadW(c, row - (chunk0 + c) * chunkRows)) : 0.0;
}
#endif

void main() {
	uint g = groupBase + gl_WorkGroupID.x;
	uint tile = g / nrc;
	uint rc = g - tile * nrc;
	uvec2 pr = pairs[pair0 + tile];
	uint t = gl_LocalInvocationID.x;
	uint tx = t & 15u, ty = t >> 4;
	double c00 = 0.0, c01 = 0.0, c10 = 0.0, c11 = 0.0;
	uint q0 = rc * uint(RC);
	uint qe = min(q0 + uint(RC), n);
	// Staging: invocations 0…RB·T4−1 load the row block's vec4s of the
	// row tile, the next RB·T4 those of the column tile.
	uint nh = uint(RB * T4);
	uint e = t < nh ? t : t - nh;
	uint si = e / uint(T4), sv = e - si * uint(T4);
	uint vb = (t < nh ? pr.x : pr.y) * uint(T4) + sv;
	for (uint r0 = q0; r0 < qe; r0 += uint(RB)) {
		if (t < 2u * nh) {
			dvec4 x = dvec4(0);
			if (r0 + si < qe) {
				x = loadRow(r0 + si, vb);
#ifdef WEIGHTED
				if (t < nh) {
					x *= rowWeight(r0 + si);
				}
#endif
			}
			if (t < nh) {
				sa[e] = x;
			} else {
				sb[e] = x;
			}
		}
		barrier();
		for (int i = 0; i < RB; i++) {
			double a0 = sa[i * T4 + int(ty >> 2)][ty & 3u];
			double a1 = sa[i * T4 + int((ty + 16u) >> 2)][ty & 3u];
			double b0 = sb[i * T4 + int(tx >> 2)][tx & 3u];
			double b1 = sb[i * T4 + int((tx + 16u) >> 2)][tx & 3u];
			c00 = fma(a0, b0, c00);
			c01 = fma(a0, b1, c01);
			c10 = fma(a1, b0, c10);
			c11 = fma(a1, b1, c11);
		}
		barrier();
	}
	uint o = rc * npairs * uint(T * T) + tile * uint(T * T);
	part[o + ty * uint(T) + tx] = c00;
	part[o + ty * uint(T) + tx + 16u] = c01;
	part[o + (ty + 16u) * uint(T) + tx] = c10;
	part[o + (ty + 16u) * uint(T) + tx + 16u] = c11;
}

#endif
