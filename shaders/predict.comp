// predict.comp: X·w + b for the rows of one table buffer (compiled with
// NX = 1): out[i] = b + Σ_j x'_ij·w_j, one row per invocation, w and b as
// made by prep.comp.

layout(local_size_x = WG) in;

layout(std430, binding = 4) readonly restrict buffer W { RVEC w[]; };
layout(std430, binding = 5) writeonly restrict buffer Out { REAL outv[]; };

uniform uint n;         // rows in the buffer
uniform uint groupBase; // first group of this dispatch

void main() {
	uint i = (groupBase + gl_WorkGroupID.x) * uint(WG) + gl_LocalInvocationID.x;
	if (i >= n) {
		return;
	}
	REAL r = w[C4].x;
	for (int j = 0; j < C4; j++) {
		r += dot(loadX(0u, i * uint(C4) + uint(j)), w[j]);
	}
	outv[i] = r;
}
