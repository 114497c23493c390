// moments.comp: column sums, first stage. With mode 0 each work group
// sums x' over its WG·R rows; with mode 1 it sums (x' − m')², m' the
// column means of the stored values (binding 4). Same row mapping and tree
// as grad.comp; LANES = C4.

layout(local_size_x = WG) in;

layout(std430, binding = 4) readonly restrict buffer M { RVEC mean[]; };

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
	RVEC acc[LANES];
	RVEC mu[C4];
	for (int j = 0; j < C4; j++) {
		acc[j] = RVEC(0);
		mu[j] = mode == 1u ? mean[j] : RVEC(0);
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
		uint base = (row - (chunk0 + c) * chunkRows) * uint(C4);
		for (int j = 0; j < C4; j++) {
			RVEC e = loadX(c, base + uint(j)) - mu[j];
			acc[j] += mode == 1u ? e * e : e;
		}
	}
	treeStore(acc, g);
}
