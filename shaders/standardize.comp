// standardize.comp: x' ← x'·mul for every stored value of one table
// buffer, one vec4 per invocation. The host folds the shift into the
// column shift it keeps (shift ← (shift − s)·mul), so the stored values
// are only scaled. mul is 0 on the padding columns.

layout(local_size_x = WG) in;

layout(std430, binding = 0) restrict buffer X { RVEC x[]; };
layout(std430, binding = 4) readonly restrict buffer Mul { RVEC mul[]; };

uniform uint n;         // vec4s in the buffer
uniform uint groupBase; // first group of this dispatch

void main() {
	uint i = (groupBase + gl_WorkGroupID.x) * uint(WG) + gl_LocalInvocationID.x;
	if (i >= n) {
		return;
	}
	x[i] *= mul[i % uint(C4)];
}
