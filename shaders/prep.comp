// prep.comp: the evaluation point of a row kernel, in the storage type.
// w[j] = v_j for the columns (0 past COLS, and 0 at column zero when
// zero < COLS: the target, for predictions) and w[C4] = (b, 0, 0, 0) with
// b = v_intercept + Σ_j shift_j·v_j summed in double, so that
// b + Σ_j x'_j·w_j = Σ_j x_j·v_j + v_intercept for the unshifted row x.
// One work group.

layout(local_size_x = WG) in;

layout(std430, binding = 0) readonly restrict buffer Vec { double vec[]; };
layout(std430, binding = 1) writeonly restrict buffer W { REAL w[]; };

uniform uint at;   // slot of the point
uniform uint zero; // column held at 0 (COLS for none)

shared double sd[WG];

void main() {
	uint t = gl_LocalInvocationID.x;
	double s = 0.0;
	for (uint j = t; j < uint(4 * C4); j += uint(WG)) {
		double v = j < uint(COLS) && j != zero ? vec[at * uint(P) + j] : 0.0;
		w[j] = REAL(v);
		s += vec[uint(SHIFT * P) + j] * v;
	}
	sd[t] = s;
	barrier();
	for (uint h = WG / 2u; h > 0u; h >>= 1) {
		if (t < h) {
			sd[t] += sd[t + h];
		}
		barrier();
	}
	if (t < 4u) {
		w[4 * C4 + int(t)] = t == 0u ? REAL(vec[at * uint(P) + uint(COLS)] + sd[0]) : REAL(0);
	}
}
