// moments.comp: column sums, first stage, accumulated in double (compiled
// with ACC64; Moments is not in the hot loop, and squares of float32
// values overflow float32 beyond 1.8e19). With mode 0 each work group sums
// x' over its WG·R rows; with mode 1 it sums (x' − m')², m' the column
// means of the stored values (binding 4, double). Same row mapping and
// tree as grad.comp; LANES = C4. With WEIGHTED every row's terms are
// multiplied by its weight w (read in double: WDOUBLE), and LANES = C4 + 1: the last
// lane is (Σw, 0, 0, 0).

layout(local_size_x = WG) in;

layout(std430, binding = 4) readonly restrict buffer M { dvec4 mean[]; };

uniform uint n;         // rows in the segment
uniform uint pos0;      // first row
uniform uint groupBase;
uniform uint chunk0;
uniform uint nbound;
uniform uint chunkRows;
uniform uint mode;

void main() {
	uint t = gl_LocalInvocationID.x;
	uint g = groupBase + gl_WorkGroupID.x;
	AVEC acc[LANES];
	for (int j = 0; j < LANES; j++) {
		acc[j] = AVEC(0);
	}
	uint q0 = g * uint(WG * R) + t;
	for (int k = 0; k < R; k++) {
		uint q = q0 + uint(k * WG);
		if (q >= n) {
			break;
		}
		uint row = pos0 + q;
		uint c = row / chunkRows - chunk0;
		if (c >= nbound) {
			continue;
		}
		uint ri = row - (chunk0 + c) * chunkRows;
		uint base = ri * uint(C4);
#ifdef WEIGHTED
		AREAL wt = AREAL(loadW(c, ri));
		acc[C4].x += wt;
#define WT wt *
#else
#define WT
#endif
		for (int j = 0; j < C4; j++) {
			AVEC x = AVEC(loadX(c, base + uint(j)));
			if (mode == 1u) {
				AVEC e = x - AVEC(mean[j]);
				acc[j] += WT (e * e);
			} else {
				acc[j] += WT x;
			}
		}
	}
	treeStore(acc, g);
}
