// bandwidth.comp: a read-only pass over a buffer, for measuring the
// device's read bandwidth. Consecutive invocations read consecutive vec4s
// (fully coalesced), each striding over the buffer; the sum is stored
// only if it hits a value it never does on the zeroed buffer, so the
// loads cannot be dropped and nothing is written.

layout(local_size_x = WG) in;

layout(std430, binding = 0) readonly restrict buffer B { vec4 v[]; };
layout(std430, binding = 1) writeonly restrict buffer O { vec4 o[]; };

uniform uint n; // vec4s in the buffer

void main() {
	uint stride = gl_NumWorkGroups.x * uint(WG);
	vec4 s = vec4(0);
	for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
		s += v[i];
	}
	if (s.x == 1234.5) {
		o[0] = s;
	}
}
