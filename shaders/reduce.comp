// reduce.comp: second stage of the row reductions. Work group j sums
// scalar j of the groups' partial vectors in double: invocation t adds
// groups t, t+WG, … in order, then a fixed pairwise tree adds the
// invocations. acc[j] is set (first = 1) or added to (first = 0), so the
// segments of one pass are added in the order they run.

layout(local_size_x = WG) in;

layout(std430, binding = 0) readonly restrict buffer Part { AREAL part[]; };
layout(std430, binding = 1) restrict buffer Acc { double acc[]; };

uniform uint groups; // partial vectors
uniform uint len;    // scalars per partial vector
uniform uint first;
uniform uint groupBase; // first scalar of this dispatch

shared double sd[WG];

void main() {
	uint j = groupBase + gl_WorkGroupID.x;
	uint t = gl_LocalInvocationID.x;
	double s = 0.0;
	for (uint g = t; g < groups; g += uint(WG)) {
		s += double(part[g * len + j]);
	}
	sd[t] = s;
	barrier();
	for (uint h = WG / 2u; h > 0u; h >>= 1) {
		if (t < h) {
			sd[t] += sd[t + h];
		}
		barrier();
	}
	if (t == 0u) {
		acc[j] = first != 0u ? sd[0] : acc[j] + sd[0];
	}
}
